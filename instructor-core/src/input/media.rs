//! What images, PDFs and audio share: reading a file within a size limit, checking the
//! bytes are the kind asked for, and encoding them once as the base64 the wire carries. Every check runs when the value is made, so a file that
//! cannot be read, a type that is not the kind, or a file over the size limit is an
//! [`Error::Input`] before any request is sent.

use std::path::Path;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use crate::error::Error;

pub(super) fn input(input: String, message: impl Into<String>) -> Error {
    Error::Input {
        input,
        message: message.into(),
    }
}

/// Reads the file at `path`, refusing one larger than `max` before reading it.
pub(super) fn read(path: &Path, what: impl Fn() -> String, max: usize) -> Result<Vec<u8>, Error> {
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

pub(super) fn check_bytes(
    what: impl Fn() -> String,
    bytes: &[u8],
    max: usize,
) -> Result<(), Error> {
    if bytes.is_empty() {
        return Err(input(what(), "is empty"));
    }
    check_size(what, bytes.len(), max)
}

pub(super) fn check_size(what: impl Fn() -> String, len: usize, max: usize) -> Result<(), Error> {
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
pub(super) fn data_url(mime: &str, bytes: &[u8]) -> String {
    let prefix = format!("data:{mime};base64,");
    let mut out = String::with_capacity(prefix.len() + bytes.len().div_ceil(3) * 4);
    out.push_str(&prefix);
    STANDARD.encode_string(bytes, &mut out);
    out
}

/// `(mime, data)` of a `data:<mime>;base64,<data>` URL.
pub(super) fn split_data_url(url: &str) -> Option<(&str, &str)> {
    let head = url.get(..5)?;
    if !head.eq_ignore_ascii_case("data:") {
        return None;
    }
    let (meta, data) = url[5..].split_once(',')?;
    let mime = meta.strip_suffix(";base64")?;
    Some((mime, data))
}

/// How many bytes a base64 text holds.
pub(super) fn decoded_len(base64: &str) -> usize {
    let padding = base64.bytes().rev().take_while(|b| *b == b'=').count();
    (base64.len() / 4 * 3 + base64.len() % 4 * 3 / 4).saturating_sub(padding)
}

pub(super) fn is_image_mime(mime: &str) -> bool {
    mime.len() > 6
        && mime
            .get(..6)
            .is_some_and(|p| p.eq_ignore_ascii_case("image/"))
}

pub(super) fn is_pdf(bytes: &[u8]) -> bool {
    // The header may follow a little junk (the format allows it within the first 1024 bytes).
    bytes[..bytes.len().min(1024)]
        .windows(5)
        .any(|w| w == b"%PDF-")
}

/// The type the first bytes show, for the kinds this module knows.
pub(super) fn sniff(b: &[u8]) -> Option<&'static str> {
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
pub(super) fn kind_for(mime: &str) -> &'static str {
    if mime.starts_with("image/") {
        "Image"
    } else if mime == "application/pdf" {
        "Pdf"
    } else {
        "Audio"
    }
}

pub(super) fn extension(path: &Path) -> Option<String> {
    Some(path.extension()?.to_str()?.to_ascii_lowercase())
}

/// At most 80 characters of `text`, for an error message.
pub(super) fn shorten(text: &str) -> String {
    match text.char_indices().nth(80) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::{Audio, AudioFormat, Image, Pdf};

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
