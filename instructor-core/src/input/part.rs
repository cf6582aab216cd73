//! A message's content: plain text, or parts (text, images, PDFs, audio) written as the
//! OpenAI API reference gives them.

use serde::de::Error as _;
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::audio::{Audio, AudioFormat};
use super::image::{Detail, Image};
use super::pdf::Pdf;

/// What a message says: plain text (sent as a JSON string, as every chat server reads it),
/// or a list of [`Part`]s (sent as OpenAI's array of content parts).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Content {
    /// Text alone: `"content": "..."`.
    Text(String),
    /// Parts: `"content": [{"type": "text", ..}, {"type": "image_url", ..}, ..]`.
    Parts(Vec<Part>),
}

impl Content {
    /// The text, when the content is text alone.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Content::Text(t) => Some(t),
            Content::Parts(_) => None,
        }
    }

    /// The parts, when the content is made of parts.
    pub fn parts(&self) -> Option<&[Part]> {
        match self {
            Content::Text(_) => None,
            Content::Parts(p) => Some(p),
        }
    }

    /// Appends `text` after a blank line: to the text, or to the last text part (a new
    /// text part when the last part is not text).
    pub(crate) fn append_paragraph(&mut self, text: &str) {
        match self {
            Content::Text(t) => {
                t.push_str("\n\n");
                t.push_str(text);
            }
            Content::Parts(parts) => match parts.last_mut() {
                Some(Part::Text(t)) => {
                    t.push_str("\n\n");
                    t.push_str(text);
                }
                _ => parts.push(Part::Text(text.to_owned())),
            },
        }
    }

    /// About how many bytes the content takes in a request body.
    pub(crate) fn size_hint(&self) -> usize {
        let text = |t: &str| t.len() + t.len() / 8;
        match self {
            Content::Text(t) => text(t),
            Content::Parts(parts) => parts
                .iter()
                .map(|p| {
                    64 + match p {
                        Part::Text(t) => text(t),
                        Part::Image(i) => i.url().len(),
                        Part::Pdf(f) => f.filename().len() + f.data_url().len(),
                        Part::Audio(a) => a.data().len(),
                    }
                })
                .sum(),
        }
    }
}

/// One part of a message: text, an [`Image`], a [`Pdf`] or [`Audio`]. Anything of those
/// (and `&str`, `String`) converts into a part with `.into()`.
///
/// On the wire, each part is the OpenAI API reference's form (`ChatCompletionRequest...
/// ContentPart{Text,Image,File,Audio}` in OpenAI's OpenAPI description):
///
/// | part | JSON |
/// | --- | --- |
/// | text | `{"type":"text","text":"..."}` |
/// | image | `{"type":"image_url","image_url":{"url":"https://... or data:image/png;base64,..."}}` (and `"detail"` when set) |
/// | PDF | `{"type":"file","file":{"filename":"a.pdf","file_data":"data:application/pdf;base64,..."}}` |
/// | audio | `{"type":"input_audio","input_audio":{"data":"<base64>","format":"wav"}}` |
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Part {
    /// Text.
    Text(String),
    /// An image.
    Image(Image),
    /// A PDF.
    Pdf(Pdf),
    /// An audio clip.
    Audio(Audio),
}

impl Part {
    /// A text part.
    pub fn text(text: impl Into<String>) -> Self {
        Part::Text(text.into())
    }
}

/// `From` impls that put the value (through `$conv` when named) in a variant.
macro_rules! into_variant {
    ($($T:ty => $enum:ident::$variant:ident $(by $conv:ident)?;)+) => {$(
        impl From<$T> for $enum {
            fn from(value: $T) -> Self {
                $enum::$variant(value$(.$conv())?)
            }
        }
    )+};
}

into_variant! {
    String => Content::Text;
    &str => Content::Text by to_owned;
    Vec<Part> => Content::Parts;
    &str => Part::Text by to_owned;
    String => Part::Text;
    &String => Part::Text by clone;
    Image => Part::Image;
    Pdf => Part::Pdf;
    Audio => Part::Audio;
}

/// The parts of one message: a `Vec` or an array of anything that converts into a
/// [`Part`], or a tuple of up to six such things of different kinds.
///
/// ```
/// use instructor_core::input::IntoParts;
/// use instructor_core::{Image, Part};
/// let image = Image::from_url("https://example.com/receipt.png")?;
/// // A tuple mixes kinds; an array or a Vec holds one.
/// let parts = ("What does this receipt total?", image.clone()).into_parts();
/// assert_eq!(parts, vec![Part::text("What does this receipt total?"), Part::Image(image)]);
/// assert_eq!(["a", "b"].into_parts().len(), 2);
/// # Ok::<(), instructor_core::Error>(())
/// ```
pub trait IntoParts {
    /// The parts, in order.
    fn into_parts(self) -> Vec<Part>;
}

impl<P: Into<Part>> IntoParts for Vec<P> {
    fn into_parts(self) -> Vec<Part> {
        self.into_iter().map(Into::into).collect()
    }
}

impl<P: Into<Part>, const N: usize> IntoParts for [P; N] {
    fn into_parts(self) -> Vec<Part> {
        self.into_iter().map(Into::into).collect()
    }
}

macro_rules! tuple_parts {
    ($($T:ident $i:tt),+) => {
        impl<$($T: Into<Part>),+> IntoParts for ($($T,)+) {
            fn into_parts(self) -> Vec<Part> {
                vec![$(self.$i.into()),+]
            }
        }
    };
}

tuple_parts!(A 0);
tuple_parts!(A 0, B 1);
tuple_parts!(A 0, B 1, C 2);
tuple_parts!(A 0, B 1, C 2, D 3);
tuple_parts!(A 0, B 1, C 2, D 3, E 4);
tuple_parts!(A 0, B 1, C 2, D 3, E 4, F 5);

impl Serialize for Part {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // Written by hand: the media are borrowed, never copied into a wire struct.
        let map = s.serialize_map(Some(2))?;
        match self {
            Part::Text(text) => tagged(map, "text", text),
            Part::Image(image) => tagged(
                map,
                "image_url",
                &ImageUrl {
                    url: image.url(),
                    detail: image.detail().map(Detail::as_str),
                },
            ),
            Part::Pdf(pdf) => tagged(
                map,
                "file",
                &File {
                    filename: Some(pdf.filename()),
                    file_data: Some(pdf.data_url()),
                },
            ),
            Part::Audio(audio) => tagged(
                map,
                "input_audio",
                &InputAudio {
                    data: audio.data(),
                    format: audio.format().as_str(),
                },
            ),
        }
    }
}

/// A part on the wire, `{"type": kind, kind: value}`, written into `map`.
fn tagged<M: SerializeMap>(
    mut map: M,
    kind: &'static str,
    value: &impl Serialize,
) -> Result<M::Ok, M::Error> {
    map.serialize_entry("type", kind)?;
    map.serialize_entry(kind, value)?;
    map.end()
}

impl<'de> Deserialize<'de> for Part {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match WirePart::deserialize(d)? {
            WirePart::Text { text } => Part::Text(text),
            WirePart::ImageUrl { image_url } => {
                let detail =
                    match image_url.detail.as_deref() {
                        None => None,
                        Some(d) => Some(Detail::parse(d).ok_or_else(|| {
                            D::Error::custom(format!("unknown image detail `{d}`"))
                        })?),
                    };
                Part::Image(Image::from_wire(image_url.url, detail))
            }
            WirePart::InputAudio { input_audio } => {
                let format = AudioFormat::parse(&input_audio.format).ok_or_else(|| {
                    D::Error::custom(format!("unknown audio format `{}`", input_audio.format))
                })?;
                Part::Audio(Audio::from_wire(input_audio.data, format))
            }
            WirePart::File { file } => match file.file_data {
                Some(data) => Part::Pdf(Pdf::from_wire(
                    file.filename.unwrap_or_else(|| "document.pdf".into()),
                    data,
                )),
                None => return Err(D::Error::custom(
                    "a `file` part without `file_data` (an uploaded `file_id`) is not supported",
                )),
            },
        })
    }
}

#[derive(Serialize, Deserialize)]
struct ImageUrl<S> {
    url: S,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    detail: Option<S>,
}

#[derive(Serialize, Deserialize)]
struct File<S> {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    filename: Option<S>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    file_data: Option<S>,
}

#[derive(Serialize, Deserialize)]
struct InputAudio<S> {
    data: S,
    format: S,
}

/// A part as read from JSON.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum WirePart {
    Text { text: String },
    ImageUrl { image_url: ImageUrl<String> },
    InputAudio { input_audio: InputAudio<String> },
    File { file: File<String> },
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parts_are_written_as_the_openai_reference_gives_them_and_read_back() {
        let image = Image::from_bytes(b"\x89PNG\r\n\x1a\n", "image/png")
            .unwrap()
            .with_detail(Detail::Low);
        let pdf = Pdf::from_bytes(b"%PDF-1.7").unwrap().with_filename("a.pdf");
        let audio = Audio::from_bytes(b"RIFF\0\0\0\0WAVE", AudioFormat::Wav).unwrap();
        let remote = Image::from_url("https://example.com/cat.png").unwrap();
        let content = Content::Parts(("Read these.", image, pdf, audio, remote).into_parts());
        let json = serde_json::to_value(&content).unwrap();
        assert_eq!(
            json,
            json!([
                { "type": "text", "text": "Read these." },
                { "type": "image_url", "image_url": { "url": "data:image/png;base64,iVBORw0KGgo=", "detail": "low" } },
                { "type": "file", "file": { "filename": "a.pdf", "file_data": "data:application/pdf;base64,JVBERi0xLjc=" } },
                { "type": "input_audio", "input_audio": { "data": "UklGRgAAAABXQVZF", "format": "wav" } },
                { "type": "image_url", "image_url": { "url": "https://example.com/cat.png" } },
            ])
        );
        let back: Content = serde_json::from_value(json).unwrap();
        assert_eq!(back, content);
        let text: Content = serde_json::from_value(json!("plain")).unwrap();
        assert_eq!(text.as_text(), Some("plain"));
        assert_eq!(serde_json::to_value(&text).unwrap(), json!("plain"));
        assert!(
            serde_json::from_value::<Part>(json!({"type": "file", "file": {"file_id": "f"}}))
                .is_err()
        );
        assert!(serde_json::from_value::<Part>(json!({"type": "video", "video": {}})).is_err());
    }

    #[test]
    fn a_paragraph_joins_the_last_text() {
        let mut text = Content::from("a");
        text.append_paragraph("b");
        assert_eq!(text.as_text(), Some("a\n\nb"));
        let image = Image::from_url("https://example.com/x.png").unwrap();
        let mut parts = Content::Parts(vec![Part::Image(image.clone())]);
        parts.append_paragraph("b");
        assert_eq!(parts.parts().unwrap()[1], Part::text("b"));
        parts.append_paragraph("c");
        assert_eq!(
            parts.parts().unwrap(),
            &[Part::Image(image), Part::text("b\n\nc")]
        );
    }
}
