//! Images, PDFs and audio: read from a file, bytes or a URL, checked, and encoded once as
//! the base64 the wire carries. Every check runs when the value is made, so a file that
//! cannot be read, a type that is not the kind, or a file over the size limit is an
//! [`Error::Input`] before any request is sent.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

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

/// A PDF for the model to read, sent inline as OpenAI's
/// `{"type":"file","file":{"filename":..,"file_data":"data:application/pdf;base64,.."}}`
/// part. OpenAI's vision models read its text and an image of each page; most
/// self-hosted servers (llama.cpp, vLLM) take no `file` parts: send its pages as
/// [`Image`]s there.
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

/// The encoding of an [`Audio`] clip: what OpenAI's `input_audio` part takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AudioFormat {
    /// WAVE (`RIFF....WAVE`).
    Wav,
    /// MPEG-1 Layer III.
    Mp3,
}

impl AudioFormat {
    /// The wire name: `wav` or `mp3`.
    pub fn as_str(self) -> &'static str {
        match self {
            AudioFormat::Wav => "wav",
            AudioFormat::Mp3 => "mp3",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Self> {
        match s {
            "wav" => Some(AudioFormat::Wav),
            "mp3" => Some(AudioFormat::Mp3),
            _ => None,
        }
    }

    fn mime(self) -> &'static str {
        match self {
            AudioFormat::Wav => "audio/wav",
            AudioFormat::Mp3 => "audio/mpeg",
        }
    }
}

/// An audio clip for the model to hear, sent inline as OpenAI's
/// `{"type":"input_audio","input_audio":{"data":<base64>,"format":"wav"|"mp3"}}` part
/// (read by OpenAI's audio models, and by llama.cpp's server with an audio model).
#[derive(Clone, PartialEq, Eq)]
pub struct Audio {
    /// The base64 of the clip (no `data:` prefix: the wire form has none).
    data: Arc<str>,
    format: AudioFormat,
}

impl Audio {
    /// The largest clip read: 25 MB (25,000,000 bytes), the limit of OpenAI's audio
    /// uploads. Larger clips are refused with [`Error::Input`]: cut them.
    pub const MAX_BYTES: usize = 25_000_000;

    /// A clip encoded as `format`. No bytes, more than [`MAX_BYTES`](Self::MAX_BYTES), or
    /// bytes that are plainly the other format (a WAVE header sent as MP3) are
    /// [`Error::Input`].
    pub fn from_bytes(bytes: impl AsRef<[u8]>, format: AudioFormat) -> Result<Self, Error> {
        let bytes = bytes.as_ref();
        let what = || format!("an audio clip of {} bytes", bytes.len());
        check_bytes(what, bytes, Self::MAX_BYTES)?;
        if let Some(found) = sniff(bytes).filter(|m| *m != format.mime()) {
            return Err(input(
                what(),
                format!(
                    "the bytes are `{found}`, not {}: {}",
                    format.as_str(),
                    match found {
                        "audio/wav" => "use AudioFormat::Wav".to_owned(),
                        "audio/mpeg" => "use AudioFormat::Mp3".to_owned(),
                        other => format!("use {}", kind_for(other)),
                    }
                ),
            ));
        }
        Ok(Self {
            data: STANDARD.encode(bytes).into(),
            format,
        })
    }

    /// The clip in the file at `path`, read now. Its format is read from its first bytes,
    /// else from its extension (`.wav`, `.mp3`); a file that cannot be read, is neither
    /// WAV nor MP3, or is larger than [`MAX_BYTES`](Self::MAX_BYTES) is [`Error::Input`]
    /// naming the file.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let what = || format!("the audio file `{}`", path.display());
        let bytes = read(path, what, Self::MAX_BYTES)?;
        let format = match sniff(&bytes) {
            Some("audio/wav") => AudioFormat::Wav,
            Some("audio/mpeg") => AudioFormat::Mp3,
            Some(other) => {
                return Err(input(
                    what(),
                    format!("it holds `{other}`, not audio: use {}", kind_for(other)),
                ))
            }
            None => match extension(path).as_deref() {
                Some("wav") => AudioFormat::Wav,
                Some("mp3") => AudioFormat::Mp3,
                _ => {
                    return Err(input(
                        what(),
                        "neither WAV nor MP3 (by its bytes or its name): convert it \
                         (e.g. `ffmpeg -i in.m4a out.mp3`)",
                    ))
                }
            },
        };
        Ok(Self {
            data: STANDARD.encode(&bytes).into(),
            format,
        })
    }

    /// Made from a message read back from JSON: taken as it is, unchecked.
    pub(crate) fn from_wire(data: String, format: AudioFormat) -> Self {
        Self {
            data: data.into(),
            format,
        }
    }

    /// The base64 of the clip, sent as `data`.
    pub fn data(&self) -> &str {
        &self.data
    }

    /// Its encoding, sent as `format`.
    pub fn format(&self) -> AudioFormat {
        self.format
    }
}

impl fmt::Debug for Audio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Audio")
            .field("format", &self.format)
            .field("bytes", &decoded_len(&self.data))
            .finish()
    }
}

fn input(input: String, message: impl Into<String>) -> Error {
    Error::Input {
        input,
        message: message.into(),
    }
}

/// Reads the file at `path`, refusing one larger than `max` before reading it.
fn read(path: &Path, what: impl Fn() -> String, max: usize) -> Result<Vec<u8>, Error> {
    let cannot = |e: std::io::Error| input(what(), format!("cannot be read: {e}"));
    let meta = std::fs::metadata(path).map_err(cannot)?;
    if meta.is_dir() {
        return Err(input(what(), "is a directory, not a file"));
    }
    check_size(
        &what,
        usize::try_from(meta.len()).unwrap_or(usize::MAX),
        max,
    )?;
    let bytes = std::fs::read(path).map_err(cannot)?;
    // It may have grown between the two looks.
    check_bytes(&what, &bytes, max)?;
    Ok(bytes)
}

fn check_bytes(what: impl Fn() -> String, bytes: &[u8], max: usize) -> Result<(), Error> {
    if bytes.is_empty() {
        return Err(input(what(), "is empty"));
    }
    check_size(what, bytes.len(), max)
}

fn check_size(what: impl Fn() -> String, len: usize, max: usize) -> Result<(), Error> {
    if len > max {
        return Err(input(
            what(),
            format!(
                "{len} bytes is over the limit of {max} bytes: make it smaller (scale an \
                 image down, split a PDF, cut a clip)"
            ),
        ));
    }
    Ok(())
}

/// `data:<mime>;base64,<base64 of bytes>`, encoded once.
fn data_url(mime: &str, bytes: &[u8]) -> String {
    let prefix = format!("data:{mime};base64,");
    let mut out = String::with_capacity(prefix.len() + bytes.len().div_ceil(3) * 4);
    out.push_str(&prefix);
    STANDARD.encode_string(bytes, &mut out);
    out
}

/// `(mime, data)` of a `data:<mime>;base64,<data>` URL.
fn split_data_url(url: &str) -> Option<(&str, &str)> {
    let head = url.get(..5)?;
    if !head.eq_ignore_ascii_case("data:") {
        return None;
    }
    let (meta, data) = url[5..].split_once(',')?;
    let mime = meta.strip_suffix(";base64")?;
    Some((mime, data))
}

/// How many bytes a base64 text holds.
fn decoded_len(base64: &str) -> usize {
    let padding = base64.bytes().rev().take_while(|b| *b == b'=').count();
    (base64.len() / 4 * 3 + base64.len() % 4 * 3 / 4).saturating_sub(padding)
}

fn is_image_mime(mime: &str) -> bool {
    mime.len() > 6
        && mime
            .get(..6)
            .is_some_and(|p| p.eq_ignore_ascii_case("image/"))
}

fn is_pdf(bytes: &[u8]) -> bool {
    // The header may follow a little junk (the format allows it within the first 1024 bytes).
    bytes[..bytes.len().min(1024)]
        .windows(5)
        .any(|w| w == b"%PDF-")
}

/// The type the first bytes show, for the kinds this module knows.
fn sniff(b: &[u8]) -> Option<&'static str> {
    let riff = |kind: &[u8]| b.len() >= 12 && &b[..4] == b"RIFF" && &b[8..12] == kind;
    Some(if b.starts_with(b"\x89PNG\r\n\x1a\n") {
        "image/png"
    } else if b.starts_with(&[0xFF, 0xD8, 0xFF]) {
        "image/jpeg"
    } else if b.starts_with(b"GIF87a") || b.starts_with(b"GIF89a") {
        "image/gif"
    } else if riff(b"WEBP") {
        "image/webp"
    } else if riff(b"WAVE") {
        "audio/wav"
    } else if b.starts_with(b"%PDF-") {
        "application/pdf"
    } else if b.starts_with(b"ID3") || (b.len() >= 2 && b[0] == 0xFF && b[1] & 0xE0 == 0xE0) {
        "audio/mpeg"
    } else {
        return None;
    })
}

/// The type to send a file of `mime` with.
fn kind_for(mime: &str) -> &'static str {
    if mime.starts_with("image/") {
        "Image"
    } else if mime == "application/pdf" {
        "Pdf"
    } else {
        "Audio"
    }
}

fn extension(path: &Path) -> Option<String> {
    Some(path.extension()?.to_str()?.to_ascii_lowercase())
}

/// At most 80 characters of `text`, for an error message.
fn shorten(text: &str) -> String {
    match text.char_indices().nth(80) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

    fn message(e: Error) -> String {
        match e {
            Error::Input { input, message } => format!("{input}: {message}"),
            other => panic!("not an input error: {other:?}"),
        }
    }

    #[test]
    fn base64_lengths_are_read_back() {
        for n in 0..10 {
            let bytes = vec![7u8; n];
            assert_eq!(decoded_len(&STANDARD.encode(&bytes)), n);
        }
    }

    #[test]
    fn images_from_bytes_and_urls() {
        let image = Image::from_bytes(PNG, "IMAGE/PNG").unwrap();
        assert_eq!(
            image.url(),
            format!("data:image/png;base64,{}", STANDARD.encode(PNG))
        );
        assert_eq!(image.mime(), Some("image/png"));
        assert!(format!("{image:?}").contains("bytes: 16"), "{image:?}");
        let remote = Image::from_url(" https://example.com/cat.png ").unwrap();
        assert_eq!(remote.url(), "https://example.com/cat.png");
        assert_eq!(remote.mime(), None);
        let inline = Image::from_url(image.url()).unwrap();
        assert_eq!(inline, image);
        let e = message(Image::from_url("cat.png").unwrap_err());
        assert!(
            e.contains("`cat.png`") && e.contains("Image::from_path"),
            "{e}"
        );
        let e = message(Image::from_url("data:text/plain;base64,aGk=").unwrap_err());
        assert!(e.contains("`text/plain` is not an image"), "{e}");
        let e = message(Image::from_url("data:image/png,raw").unwrap_err());
        assert!(e.contains("data:<mime>;base64,"), "{e}");
        let e = message(Image::from_bytes(PNG, "application/pdf").unwrap_err());
        assert!(e.contains("not an image type"), "{e}");
        let e = message(Image::from_bytes(b"", "image/png").unwrap_err());
        assert!(e.contains("is empty"), "{e}");
    }

    #[test]
    fn an_image_over_the_limit_is_refused() {
        let big = vec![0u8; Image::MAX_BYTES + 1];
        let e = message(Image::from_bytes(&big, "image/png").unwrap_err());
        assert!(e.contains("over the limit of 20000000 bytes"), "{e}");
        assert!(Image::from_bytes(&big[1..], "image/png").is_ok());
        let url = format!("data:image/png;base64,{}", STANDARD.encode(&big));
        assert!(message(Image::from_url(url).unwrap_err()).contains("over the limit"));
    }

    #[test]
    fn files_are_read_checked_and_named() {
        let dir = std::env::temp_dir().join(format!("instructor-media-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let png = dir.join("noext");
        std::fs::write(&png, PNG).unwrap();
        assert_eq!(Image::from_path(&png).unwrap().mime(), Some("image/png"));
        let by_name = dir.join("photo.JPG");
        std::fs::write(&by_name, b"not sniffable").unwrap();
        assert_eq!(
            Image::from_path(&by_name).unwrap().mime(),
            Some("image/jpeg")
        );
        let pdf = dir.join("report.pdf");
        std::fs::write(&pdf, b"%PDF-1.7\n...").unwrap();
        let e = message(Image::from_path(&pdf).unwrap_err());
        assert!(e.contains("report.pdf") && e.contains("use Pdf"), "{e}");
        let doc = Pdf::from_path(&pdf).unwrap();
        assert_eq!(doc.filename(), "report.pdf");
        assert!(doc
            .data_url()
            .starts_with("data:application/pdf;base64,JVBERi0x"));
        let e = message(Pdf::from_path(&png).unwrap_err());
        assert!(e.contains("`image/png`: use Image"), "{e}");
        let missing = dir.join("missing.png");
        let e = message(Image::from_path(&missing).unwrap_err());
        assert!(
            e.contains("missing.png") && e.contains("cannot be read"),
            "{e}"
        );
        let e = message(Audio::from_path(&dir).unwrap_err());
        assert!(e.contains("directory"), "{e}");
        let wav = dir.join("clip");
        std::fs::write(&wav, b"RIFF\x24\0\0\0WAVEfmt ").unwrap();
        assert_eq!(Audio::from_path(&wav).unwrap().format(), AudioFormat::Wav);
        let mp3 = dir.join("song.mp3");
        std::fs::write(&mp3, b"\0\0 no header").unwrap();
        assert_eq!(Audio::from_path(&mp3).unwrap().format(), AudioFormat::Mp3);
        let e = message(Audio::from_path(&png).unwrap_err());
        assert!(e.contains("not audio: use Image"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn pdfs_and_audio_from_bytes() {
        let e = message(Pdf::from_bytes(PNG).unwrap_err());
        assert!(e.contains("not a PDF"), "{e}");
        let pdf = Pdf::from_bytes(b"\n%PDF-1.4")
            .unwrap()
            .with_filename("a.pdf");
        assert_eq!(pdf.filename(), "a.pdf");
        let wav = b"RIFF\x24\0\0\0WAVEfmt ";
        let e = message(Audio::from_bytes(wav, AudioFormat::Mp3).unwrap_err());
        assert!(
            e.contains("`audio/wav`, not mp3: use AudioFormat::Wav"),
            "{e}"
        );
        let clip = Audio::from_bytes(wav, AudioFormat::Wav).unwrap();
        assert_eq!(clip.data(), STANDARD.encode(wav));
        let big = vec![1u8; Audio::MAX_BYTES + 1];
        assert!(
            message(Audio::from_bytes(&big, AudioFormat::Wav).unwrap_err())
                .contains("over the limit")
        );
    }
}
