//! An image for the model to read, and how closely it looks ([`Detail`]).

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use super::media::{
    check_bytes, check_size, data_url, decoded_len, extension, input, is_image_mime, kind_for,
    read, shorten, sniff, split_data_url,
};
use crate::error::Error;

/// How closely the model looks at an image: OpenAI's `detail` (`auto` when not sent).
/// `Low` costs a fixed, small number of tokens; `High` reads the image in tiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Detail {
    /// The model decides.
    Auto,
    /// A low-resolution view (512 x 512 px on OpenAI).
    Low,
    /// The full resolution, in tiles.
    High,
}

impl Detail {
    /// The wire name: `auto`, `low` or `high`.
    pub fn as_str(self) -> &'static str {
        match self {
            Detail::Auto => "auto",
            Detail::Low => "low",
            Detail::High => "high",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Self> {
        [Detail::Auto, Detail::Low, Detail::High]
            .into_iter()
            .find(|d| d.as_str() == s)
    }
}

/// An image for the model to read: a URL the server fetches, or bytes sent inline as a
/// `data:` URL. Sent as OpenAI's `{"type":"image_url","image_url":{"url":..}}` part.
///
/// ```
/// use instructor_core::Image;
/// let png = b"\x89PNG\r\n\x1a\n....";
/// let image = Image::from_bytes(png, "image/png")?;
/// assert!(image.url().starts_with("data:image/png;base64,iVBORw0KGgo"));
/// assert!(Image::from_bytes(b"%PDF-1.7", "application/pdf").is_err());
/// # Ok::<(), instructor_core::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Image {
    /// The URL, or the whole `data:` URL.
    url: Arc<str>,
    detail: Option<Detail>,
}

impl Image {
    /// The largest image read from bytes or a file: 20 MB (20,000,000 bytes), OpenAI's
    /// limit per image. Larger images are refused with [`Error::Input`]: scale them down
    /// (models see at most about 2000 px on the long side anyway).
    pub const MAX_BYTES: usize = 20_000_000;

    /// An image the server fetches from `url` (`http://` or `https://`), or a `data:` URL
    /// holding a base64 image (`data:image/png;base64,...`). Any other text (a file path,
    /// a `data:` URL of another type) is [`Error::Input`]: read a file with
    /// [`from_path`](Self::from_path).
    ///
    /// The server fetches a remote URL itself: OpenAI and vLLM do, and so does llama.cpp's
    /// server (up to 10 MB, within 10 seconds). Send a local image with
    /// [`from_path`](Self::from_path).
    pub fn from_url(url: impl Into<String>) -> Result<Self, Error> {
        let url = url.into();
        let trimmed = url.trim();
        let lower = trimmed.get(..8).unwrap_or(trimmed).to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            return Ok(Self::inline(trimmed.into()));
        }
        let what = || format!("the image URL `{}`", shorten(trimmed));
        if lower.starts_with("data:") {
            let (mime, data) = split_data_url(trimmed).ok_or_else(|| {
                input(
                    what(),
                    "a `data:` URL must read `data:<mime>;base64,<data>`",
                )
            })?;
            if !is_image_mime(mime) {
                return Err(input(
                    what(),
                    format!("`{mime}` is not an image type: use Pdf or Audio for other files"),
                ));
            }
            check_size(what, decoded_len(data), Self::MAX_BYTES)?;
            return Ok(Self::inline(trimmed.into()));
        }
        Err(input(
            what(),
            "not an http(s) or data: URL; for a file on disk use Image::from_path",
        ))
    }

    /// An image of type `mime` (`image/png`, `image/jpeg`, `image/webp`, `image/gif`: what
    /// OpenAI reads; other `image/*` types go to servers that read them), sent inline.
    /// A type that is not `image/*`, no bytes, or more than [`MAX_BYTES`](Self::MAX_BYTES)
    /// is [`Error::Input`].
    pub fn from_bytes(bytes: impl AsRef<[u8]>, mime: &str) -> Result<Self, Error> {
        let bytes = bytes.as_ref();
        let mime = mime.trim().to_ascii_lowercase();
        let what = || format!("an image of {} bytes", bytes.len());
        if !is_image_mime(&mime) {
            return Err(input(
                what(),
                format!("`{mime}` is not an image type (`image/png`, `image/jpeg`, ...)"),
            ));
        }
        check_bytes(what, bytes, Self::MAX_BYTES)?;
        Ok(Self::inline(data_url(&mime, bytes).into()))
    }

    /// The image in the file at `path`, read now and sent inline. Its type is read from
    /// its first bytes (PNG, JPEG, GIF, WEBP), else from its extension; a file that cannot
    /// be read, is not an image, or is larger than [`MAX_BYTES`](Self::MAX_BYTES) is
    /// [`Error::Input`] naming the file.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let what = || format!("the image file `{}`", path.display());
        let bytes = read(path, what, Self::MAX_BYTES)?;
        let mime = match sniff(&bytes) {
            Some(m) if m.starts_with("image/") => m,
            Some(other) => {
                return Err(input(
                    what(),
                    format!("it holds `{other}`, not an image: use {}", kind_for(other)),
                ))
            }
            None => match extension(path).as_deref() {
                Some("png") => "image/png",
                Some("jpg" | "jpeg") => "image/jpeg",
                Some("gif") => "image/gif",
                Some("webp") => "image/webp",
                _ => {
                    return Err(input(
                        what(),
                        "not a PNG, JPEG, GIF or WEBP image (by its bytes or its name): \
                         convert it, or send it with Image::from_bytes(bytes, \"image/...\")",
                    ))
                }
            },
        };
        Ok(Self::inline(data_url(mime, &bytes).into()))
    }

    fn inline(url: Arc<str>) -> Self {
        Self { url, detail: None }
    }

    /// Made from a message read back from JSON: taken as it is, unchecked.
    pub(crate) fn from_wire(url: String, detail: Option<Detail>) -> Self {
        Self {
            url: url.into(),
            detail,
        }
    }

    /// Sets how closely the model looks at the image (sent as `detail`).
    pub fn with_detail(mut self, detail: Detail) -> Self {
        self.detail = Some(detail);
        self
    }

    /// The URL sent: the one given, or the `data:` URL of an image sent inline.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The `detail` sent, if set.
    pub fn detail(&self) -> Option<Detail> {
        self.detail
    }

    /// The MIME type of an image sent inline (`None` for a remote URL).
    pub fn mime(&self) -> Option<&str> {
        split_data_url(&self.url).map(|(mime, _)| mime)
    }
}

impl fmt::Debug for Image {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Image");
        match split_data_url(&self.url) {
            Some((mime, data)) => d.field("mime", &mime).field("bytes", &decoded_len(data)),
            None => d.field("url", &&*self.url),
        };
        d.field("detail", &self.detail).finish()
    }
}
