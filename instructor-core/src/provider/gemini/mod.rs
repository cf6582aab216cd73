//! Google's Gemini API (Generative Language, API key): `POST
//! {base}/models/{model}:generateContent`, and `:streamGenerateContent?alt=sse` for a stream.
//!
//! The neutral conversation is rewritten into Gemini's `contents`: system and developer
//! messages joined into `systemInstruction`, roles `user` and `model`, parts `text`,
//! `inlineData` (images, PDFs, audio), `fileData` (an image by URL), `functionCall` (an
//! assistant's tool call) and `functionResponse` (a tool result, in a `user` turn), with
//! consecutive turns of one role merged. The mode's pieces (see [`pieces`](pieces::pieces))
//! are translated once per [`ModeSpec`]: a response schema in `generationConfig`, or
//! function declarations forced with `toolConfig`.
//!
//! A reply's first candidate becomes the neutral completion: its text (thought parts apart,
//! as thinking), its function calls (numbered `call_0`, `call_1`, ...), its `finishReason`
//! in chat completions' words (`STOP` → `stop`, or `tool_calls` when the model called;
//! `MAX_TOKENS` → `length`; the safety reasons → `content_filter`), and `usageMetadata`. A
//! prompt blocked before any candidate (`promptFeedback.blockReason`) is a
//! `content_filter` answer whose text is the reason.
//!
//! Sources (tags of `notes/providers-wire.md` §3): the REST API reference,
//! <https://ai.google.dev/api/generate-content>; `googleapis/python-genai@6680718`
//! `google/genai/{types.py,_api_client.py,models.py}` (GEM-SDK); the Gemini cookbook's REST
//! quickstarts `google-gemini/cookbook@f1e7e3d` (GEM-CB: `Function_calling_REST`,
//! `Function_calling_config_REST`, `Safety_REST`, `Streaming_REST`); the structured-output
//! and thought-signature guides, <https://ai.google.dev/gemini-api/docs/structured-output>
//! and <https://ai.google.dev/gemini-api/docs/thought-signatures> (GEM-SO, GEM-TS); the
//! error codes, <https://ai.google.dev/gemini-api/docs/troubleshooting> (GEM-ERR).

mod call_id;
mod decode;
mod encode;
mod pieces;
mod schema;
mod stream;

use std::borrow::Cow;

use reqwest::header::{HeaderName, HeaderValue};
use serde_json::Value;

use super::{key_header, Delta, Dialect, ErrorFields, Outgoing};
use crate::mode::{Mode, ModeSpec};
use crate::wire::ChatCompletion;
use decode::{completion, error_message, GenerateContentResponse};
use encode::body;

pub(crate) use schema::gemini_schema;

/// The Gemini dialect.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Gemini;

/// The header the key travels in: `x-goog-api-key` (GEM-SDK `_api_client.py:843`).
const KEY_HEADER: &str = "x-goog-api-key";

impl Dialect for Gemini {
    /// OpenTelemetry's `gen_ai.system` value for the Gemini API.
    fn name(&self) -> &'static str {
        "gcp.gemini"
    }

    /// Unused on its own: every request's path names its model ([`Dialect::model_path`]).
    fn path(&self) -> &'static str {
        "/models"
    }

    /// `/models/{model}:generateContent`, or `/models/{model}:streamGenerateContent?alt=sse`
    /// when streaming ("without `alt=sse` the stream is a JSON array": GEM-CB
    /// `Streaming_REST`; GEM-SDK `models.py:4765`). A model written `models/...` is taken
    /// as it is; `tunedModels/...` keeps its own collection.
    fn model_path(&self, model: &str, stream: bool) -> Option<String> {
        let model = model.trim().trim_start_matches('/');
        let name = if model.starts_with("models/") || model.starts_with("tunedModels/") {
            Cow::Borrowed(model)
        } else {
            Cow::Owned(format!("models/{model}"))
        };
        let method = if stream {
            "streamGenerateContent?alt=sse"
        } else {
            "generateContent"
        };
        Some(format!("/{}:{method}", escape_path(&name)))
    }

    /// `JsonObjectSchema` is an OpenAI-compatible server's form (`response_format:
    /// json_object` with a schema): Gemini has no such request.
    fn check(&self, spec: &ModeSpec) -> Result<(), String> {
        match spec.mode {
            Mode::JsonObjectSchema => {
                Err("Gemini has no `json_object` response format with a schema \
                 (Mode::JsonObjectSchema): use Mode::JsonSchema (Gemini's responseJsonSchema) \
                 or Mode::Tools"
                    .to_owned())
            }
            _ => Ok(()),
        }
    }

    fn auth(&self, key: &str) -> Result<(HeaderName, HeaderValue), String> {
        key_header(HeaderName::from_static(KEY_HEADER), key)
    }

    fn encode(&self, request: &Outgoing<'_>) -> Result<Vec<u8>, String> {
        body(request)
    }

    fn decode(&self, body: &str) -> Result<ChatCompletion, String> {
        let response: GenerateContentResponse =
            serde_json::from_str(body).map_err(|e| e.to_string())?;
        if let Some(error) = &response.error {
            return Err(error_message(error));
        }
        Ok(completion(response))
    }

    /// Each event is a whole `GenerateContentResponse` with the next piece of the answer;
    /// there are no event names and no `[DONE]`: the stream ends with the body (GEM-SDK
    /// `_api_client.py:391-415`). The last frames carry `finishReason`, which the stream
    /// driver takes as the end of a complete answer.
    fn decode_event(&self, _event: &str, data: &str, out: &mut Vec<Delta>) -> Result<(), String> {
        stream::frame(data, out)
    }

    /// `{"error": {"code": 429, "message": "...", "status": "RESOURCE_EXHAUSTED"}}` (GEM-ERR):
    /// the status is the kind, the numeric code the code.
    fn error_fields(&self, body: &str) -> ErrorFields {
        let Ok(value) = serde_json::from_str::<Value>(body) else {
            return ErrorFields::default();
        };
        let error = value.get("error").unwrap_or(&value);
        let text = |k: &str| error.get(k).and_then(Value::as_str).map(str::to_owned);
        ErrorFields {
            message: text("message"),
            kind: text("status"),
            code: error.get("code").and_then(|c| match c {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            }),
        }
    }

    // `retryable`: the default (408, 409, 429, 5xx) covers what GEM-ERR lists as worth
    // another try: 429 RESOURCE_EXHAUSTED, 500 INTERNAL, 503 UNAVAILABLE, 504
    // DEADLINE_EXCEEDED (python-genai's own list: 408, 429, 500, 502, 503, 504).
}

/// `name` with every character but `[A-Za-z0-9._~/-]` percent-encoded: a model name never
/// changes the URL's shape.
fn escape_path(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'~' | b'/' | b'-') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests;
