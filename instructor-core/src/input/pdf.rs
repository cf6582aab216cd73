//! A PDF for the model to read.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use super::media::{
    check_bytes, data_url, decoded_len, input, is_pdf, kind_for, read, sniff, split_data_url,
};
use crate::error::Error;

/// A PDF for the model to read, sent inline as OpenAI's
/// `{"type":"file","file":{"filename":..,"file_data":"data:application/pdf;base64,.."}}`
/// part. OpenAI's vision models read its text and an image of each page; most
/// self-hosted servers (llama.cpp, vLLM) take no `file` parts: send its pages as
/// [`Image`](crate::Image)s there.
#[derive(Clone, PartialEq, Eq)]
pub struct Pdf {
    filename: Arc<str>,
    /// `data:application/pdf;base64,...`
    data_url: Arc<str>,
}

impl Pdf {
    /// The largest PDF read: 32 MB (32,000,000 bytes), OpenAI's limit for the files of one
    /// request. Larger files are refused with [`Error::Input`]: split them.
    pub const MAX_BYTES: usize = 32_000_000;

    /// A PDF from its bytes, named `document.pdf` (see [`with_filename`](Self::with_filename)).
    /// Bytes without a `%PDF-` header, or more than [`MAX_BYTES`](Self::MAX_BYTES), are
    /// [`Error::Input`].
    pub fn from_bytes(bytes: impl AsRef<[u8]>) -> Result<Self, Error> {
        let bytes = bytes.as_ref();
        let what = || format!("a PDF of {} bytes", bytes.len());
        check_bytes(what, bytes, Self::MAX_BYTES)?;
        if !is_pdf(bytes) {
            return Err(input(
                what(),
                "no `%PDF-` header: these bytes are not a PDF",
            ));
        }
        Ok(Self {
            filename: "document.pdf".into(),
            data_url: data_url("application/pdf", bytes).into(),
        })
    }

    /// The PDF in the file at `path`, read now, sent under the file's name. A file that
    /// cannot be read, is not a PDF, or is larger than [`MAX_BYTES`](Self::MAX_BYTES) is
    /// [`Error::Input`] naming the file.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let what = || format!("the PDF file `{}`", path.display());
        let bytes = read(path, what, Self::MAX_BYTES)?;
        if !is_pdf(&bytes) {
            let found = sniff(&bytes)
                .map(|m| format!("it holds `{m}`: use {}", kind_for(m)))
                .unwrap_or_else(|| "no `%PDF-` header: it is not a PDF".into());
            return Err(input(what(), found));
        }
        let filename = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "document.pdf".into());
        Ok(Self {
            filename: filename.into(),
            data_url: data_url("application/pdf", &bytes).into(),
        })
    }

    /// Made from a message read back from JSON: taken as it is, unchecked.
    pub(crate) fn from_wire(filename: String, data_url: String) -> Self {
        Self {
            filename: filename.into(),
            data_url: data_url.into(),
        }
    }

    /// The name sent as `filename`.
    pub fn with_filename(mut self, filename: impl Into<String>) -> Self {
        self.filename = filename.into().into();
        self
    }

    /// The name sent as `filename`.
    pub fn filename(&self) -> &str {
        &self.filename
    }

    /// The `data:application/pdf;base64,...` URL sent as `file_data`.
    pub fn data_url(&self) -> &str {
        &self.data_url
    }
}

impl fmt::Debug for Pdf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bytes = split_data_url(&self.data_url).map_or(0, |(_, d)| decoded_len(d));
        f.debug_struct("Pdf")
            .field("filename", &&*self.filename)
            .field("bytes", &bytes)
            .finish()
    }
}
