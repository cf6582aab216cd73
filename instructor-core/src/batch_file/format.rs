//! The envelope of each provider's batch request file, and the rule its `custom_id`s follow.
//! The body inside each envelope is the live request's body, byte for byte: this file never
//! looks inside it.
//!
//! | provider | file | one request |
//! | --- | --- | --- |
//! | OpenAI chat completions (and vLLM `run-batch`) | JSONL | `{"custom_id","method":"POST","url":"/v1/chat/completions","body":{..}}` |
//! | OpenAI Responses | JSONL | the same with `"url":"/v1/responses"` |
//! | Anthropic Message Batches | one JSON document, the create call's body | `{"requests":[{"custom_id","params":{..}}, ..]}` |
//! | Gemini batch mode | JSONL | `{"key","request":{..}}` |

use std::io::{self, Write};

use crate::provider::Provider;

/// How the requests of one provider's batch file are wrapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Envelope {
    /// OpenAI's Batch API input line, for the endpoint `url`.
    OpenAi {
        /// `/v1/chat/completions` or `/v1/responses`.
        url: &'static str,
    },
    /// Anthropic's Message Batches create body.
    Anthropic,
    /// Gemini's batch mode input line.
    Gemini,
}

impl Envelope {
    /// The envelope of `provider`'s batch files.
    pub(crate) fn of(provider: Provider) -> Self {
        match provider {
            Provider::OpenAiResponses => Envelope::OpenAi {
                url: "/v1/responses",
            },
            Provider::Anthropic => Envelope::Anthropic,
            Provider::Gemini => Envelope::Gemini,
            _ => Envelope::OpenAi {
                url: "/v1/chat/completions",
            },
        }
    }

    /// Whether `id` may name a request of this provider's batch; `Err` says why not.
    ///
    /// Anthropic: `^[a-zA-Z0-9_-]{1,64}$` (Message Batches, `custom_id`). OpenAI and Gemini
    /// take any string; an empty one is refused everywhere (a result could not be told apart).
    pub(crate) fn check_id(self, id: &str) -> Result<(), String> {
        if id.is_empty() {
            return Err(format!(
                "the custom_id {id:?} is empty: each input needs an id"
            ));
        }
        if self == Envelope::Anthropic {
            let ok = id.len() <= 64
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
            if !ok {
                return Err(format!(
                    "the custom_id {id:?} is not valid for Anthropic's Message Batches: it must \
                     match ^[a-zA-Z0-9_-]{{1,64}}$ (letters, digits, `_` and `-`, at most 64)"
                ));
            }
        }
        Ok(())
    }
}

/// Writes a request file, one request at a time, to `out`.
pub(crate) struct RequestWriter<W: Write> {
    out: W,
    envelope: Envelope,
    written: usize,
}

impl<W: Write> RequestWriter<W> {
    /// Starts the file (Anthropic's document opens its `requests` list).
    pub(crate) fn new(mut out: W, envelope: Envelope) -> io::Result<Self> {
        if envelope == Envelope::Anthropic {
            out.write_all(b"{\"requests\":[")?;
        }
        Ok(Self {
            out,
            envelope,
            written: 0,
        })
    }

    /// Writes the request `id` whose body is `body` (a JSON object on one line, as the
    /// dialect wrote it: copied unchanged).
    pub(crate) fn request(&mut self, id: &str, body: &[u8]) -> io::Result<()> {
        let out = &mut self.out;
        match self.envelope {
            Envelope::OpenAi { url } => {
                out.write_all(b"{\"custom_id\":")?;
                serde_json::to_writer(&mut *out, id)?;
                write!(out, ",\"method\":\"POST\",\"url\":\"{url}\",\"body\":")?;
                out.write_all(body)?;
                out.write_all(b"}\n")?;
            }
            Envelope::Anthropic => {
                if self.written > 0 {
                    out.write_all(b",\n")?;
                }
                out.write_all(b"{\"custom_id\":")?;
                serde_json::to_writer(&mut *out, id)?;
                out.write_all(b",\"params\":")?;
                out.write_all(body)?;
                out.write_all(b"}")?;
            }
            Envelope::Gemini => {
                out.write_all(b"{\"key\":")?;
                serde_json::to_writer(&mut *out, id)?;
                out.write_all(b",\"request\":")?;
                out.write_all(body)?;
                out.write_all(b"}\n")?;
            }
        }
        self.written += 1;
        Ok(())
    }

    /// Ends the file and flushes it; gives how many requests it holds.
    pub(crate) fn finish(mut self) -> io::Result<usize> {
        if self.envelope == Envelope::Anthropic {
            self.out.write_all(b"]}\n")?;
        }
        self.out.flush()?;
        Ok(self.written)
    }
}
