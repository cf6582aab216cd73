//! An audio clip for the model to hear, and its encoding ([`AudioFormat`]).

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use super::media::{check_bytes, decoded_len, extension, input, kind_for, read, sniff};
use crate::error::Error;

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
