//! The provider seam: where a request is encoded for a wire dialect and a reply decoded from
//! it. Everything else (the attempt loop, parsing, repair, validation, the re-ask wording,
//! streaming partials, bulk extraction) works on the provider-neutral conversation
//! ([`Message`](crate::Message)s, with tool calls and tool results as chat completions write
//! them) and the neutral reply ([`ChatCompletion`]), and never asks which provider it serves.
//!
//! A dialect answers, for its provider:
//!
//! - its name for tracing ([`Dialect::name`]), where a request goes ([`Dialect::path`],
//!   [`Dialect::model_path`]), how the key travels ([`Dialect::auth`]) and which headers
//!   every request carries ([`Dialect::headers`]);
//! - which modes it can send at all ([`Dialect::check`]: a mode it cannot carry is a clear
//!   configuration error before any request, never a silently wrong one);
//! - the body of one request ([`Dialect::encode`]): the conversation (re-ask turns
//!   included: the neutral assistant tool call and tool result are written the way the
//!   provider wants them), the sampling options and the mode's pieces;
//! - the reply ([`Dialect::decode`]) and each event of a streamed reply
//!   ([`Dialect::decode_event`], into [`Delta`]s);
//! - what an error body says ([`Dialect::error_fields`]) and which statuses are worth
//!   another try ([`Dialect::retryable`]).
//!
//! A new provider is one file beside [`openai_chat`] implementing [`Dialect`], and one row
//! in [`Provider::dialect`].

pub(crate) mod anthropic;
pub(crate) mod gemini;
pub(crate) mod openai_chat;
mod openai_responses;
mod outgoing;
mod spec_cache;
#[cfg(test)]
pub(crate) mod test_support;

pub(crate) use outgoing::{add_extra, skip_none, Delivery, Options, Outgoing, Target};

use std::fmt;

use reqwest::header::{HeaderName, HeaderValue};
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;
use serde_json::Value;

use crate::mode::{Mode, ModeSpec};
use crate::wire::{ChatCompletion, Usage};

/// The wire dialect a [`Client`](crate::Client) speaks
/// ([`ClientBuilder::provider`](crate::ClientBuilder::provider)): the table each client
/// picks its encoder and decoder from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Provider {
    /// OpenAI chat completions, and every server that speaks them (vLLM, SGLang, llama.cpp,
    /// Ollama, LM Studio, Together, Groq, Fireworks, ...).
    #[default]
    OpenAiChat,
    /// Anthropic's Messages API (`/v1/messages`), natively: tools, structured outputs
    /// (`output_config`), `tool_result` re-asks, its stream events and errors. llama.cpp's
    /// server speaks it too (see [`Client::anthropic`](crate::Client::anthropic)).
    Anthropic,
    /// OpenAI's Responses API (`POST {base}/responses`), OpenAI's newer API, where its newer
    /// features land ([`Client::openai_responses`](crate::Client::openai_responses)).
    OpenAiResponses,
    /// Google's Gemini API (`generateContent`, key in `x-goog-api-key`): see
    /// [`Client::gemini`](crate::Client::gemini).
    Gemini,
}

impl Provider {
    /// The provider's name as OpenTelemetry's `gen_ai.system` writes it.
    pub fn name(self) -> &'static str {
        self.dialect().name()
    }

    /// The schema as this provider's structured outputs carry it, from `schema` as `mode`
    /// sends it (`mode::request_schema`): Anthropic's rules (`output_config`), Gemini's
    /// (`responseJsonSchema`); the others send it unchanged. `Err` says why the provider
    /// cannot take it (`name` is the type's, for the message). For the conformance tests.
    #[doc(hidden)]
    pub fn output_schema(self, schema: &Value, name: &str, mode: Mode) -> Result<Value, String> {
        match self {
            Provider::Anthropic => anthropic::output_schema(schema, name, mode),
            Provider::Gemini => Ok(gemini::gemini_schema(schema)),
            Provider::OpenAiChat | Provider::OpenAiResponses => Ok(schema.clone()),
        }
    }

    /// The dialect of this provider.
    pub(crate) fn dialect(self) -> &'static dyn Dialect {
        match self {
            Provider::OpenAiChat => &openai_chat::OpenAiChat,
            Provider::Anthropic => &anthropic::Anthropic,
            Provider::OpenAiResponses => &openai_responses::OpenAiResponses,
            Provider::Gemini => &gemini::Gemini,
        }
    }
}

/// What an error body says: its message, type and code, where it has them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ErrorFields {
    /// The human-readable message.
    pub message: Option<String>,
    /// The error's type (`invalid_request_error`, `overloaded_error`, ...).
    pub kind: Option<String>,
    /// The error's code, as text.
    pub code: Option<String>,
}

/// The message of an error object (`{"type", "message"}` or `{"message", "code"}`), the
/// object itself when it is a string, or else its JSON text. Chat completions, Responses and
/// Anthropic read their error bodies and error events this way.
pub(crate) fn error_message(error: &Value) -> String {
    error
        .get("message")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| error.as_str().map(str::to_owned))
        .unwrap_or_else(|| error.to_string())
}

/// The data of one server-sent event read as `T`; `Err` says it is not `what` (`a
/// chat-completion chunk`, `an Anthropic stream event`) and why. Every dialect's
/// [`Dialect::decode_event`] reads its events this way.
pub(crate) fn read_event<T: DeserializeOwned>(data: &str, what: &str) -> Result<T, String> {
    serde_json::from_str(data).map_err(|e| format!("an event is not {what}: {e}"))
}

/// Appends the response's id and model as a stream event says them (each when it says one
/// that is not empty).
pub(crate) fn push_names(out: &mut Vec<Delta>, id: Option<String>, model: Option<String>) {
    out.extend(id.filter(|i| !i.is_empty()).map(Delta::Id));
    out.extend(model.filter(|m| !m.is_empty()).map(Delta::Model));
}

/// A value read from a reply together with its JSON text, byte for byte: a block the
/// provider may want back unchanged ([`Echo`](crate::wire::Echo)) is both read and kept.
#[derive(Debug)]
pub(crate) struct WithRaw<T> {
    /// The JSON text as received.
    pub raw: Box<RawValue>,
    /// The value read from it.
    pub value: T,
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for WithRaw<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(d)?;
        let value = serde_json::from_str(raw.get()).map_err(D::Error::custom)?;
        Ok(Self { raw, value })
    }
}

impl<T> std::ops::Deref for WithRaw<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

/// A piece of a block the provider wants back unchanged ([`Echo`](crate::wire::Echo)), as
/// a stream delivers it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum KeptPiece {
    /// The block begins (its JSON object as the stream's start event writes it).
    Start(Value),
    /// `text` is appended to the block's string field `field` (made when missing).
    Append {
        /// The field (`thinking`, `signature`).
        field: &'static str,
        /// The piece.
        text: String,
    },
}

/// One piece of a streamed reply, in the provider-neutral form the stream session reads.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Delta {
    /// The response's id.
    Id(String),
    /// The model that answers.
    Model(String),
    /// The tokens used so far (each count the largest reported: a dialect may report them
    /// in pieces).
    Usage(Usage),
    /// Answer text.
    Text(String),
    /// Thinking sent apart from the answer.
    Thinking(String),
    /// Refusal text.
    Refusal(String),
    /// A piece of the tool call at `index`: its id and name when they arrive, then pieces of
    /// its arguments.
    Call {
        /// Which call of the reply.
        index: u32,
        /// The call's id, once.
        id: Option<String>,
        /// A piece of the function's name.
        name: Option<String>,
        /// A piece of the arguments' JSON text.
        arguments: Option<String>,
    },
    /// A whole tool call in one piece, after the calls before it in the reply: the session
    /// numbers it `n` (0, 1, ...) and gives it the id `call_{n}` followed by `tag` (Gemini
    /// sends each call whole, in frames that do not number them).
    WholeCall {
        /// Appended to the id `call_{n}` (empty: nothing).
        tag: String,
        /// The function's name.
        name: String,
        /// The arguments' whole JSON text.
        arguments: String,
    },
    /// A piece of the block at `index` that the provider wants back unchanged (a thinking
    /// block and its signature, a reasoning item): the session gathers them, in the order
    /// they began, into the answer's [`Echo`](crate::wire::Echo).
    Kept {
        /// Which block of the reply (the provider's index, or any number that tells it apart).
        index: u32,
        /// What arrived.
        piece: KeptPiece,
    },
    /// Why generation stopped, in chat completions' words (`stop`, `length`, `tool_calls`,
    /// `content_filter`).
    Finish(String),
    /// The stream is over.
    Done,
}

/// A wire dialect (see the [module documentation](self)).
pub(crate) trait Dialect: Send + Sync + fmt::Debug {
    /// The provider's name as OpenTelemetry's `gen_ai.system` (or `gen_ai.provider.name`)
    /// writes it: `openai`, `anthropic`, `gcp.gemini`.
    fn name(&self) -> &'static str;

    /// The path of the generation endpoint, appended to the base URL.
    fn path(&self) -> &'static str;

    /// The path of a request for `model` when it depends on the model or on streaming
    /// (Gemini's `/models/{model}:streamGenerateContent?alt=sse`); `None`: [`path`](Self::path).
    fn model_path(&self, model: &str, stream: bool) -> Option<String> {
        let _ = (model, stream);
        None
    }

    /// Headers every request carries besides the key's (`anthropic-version`).
    fn headers(&self) -> &'static [(&'static str, &'static str)] {
        &[]
    }

    /// Whether a request with `spec`'s pieces can be sent at all; `Err` says why and what
    /// to use instead, reported as `Error::Config` before any request.
    fn check(&self, spec: &ModeSpec) -> Result<(), String> {
        let _ = spec;
        Ok(())
    }

    /// The header that carries the API key, marked sensitive. `Err` names what is wrong with
    /// the key (never the key).
    fn auth(&self, key: &str) -> Result<(HeaderName, HeaderValue), String>;

    /// The JSON body of one request. `Err` says what in the conversation the provider
    /// cannot take (an input kind it does not read), reported as `Error::Config` before the
    /// request is sent.
    fn encode(&self, request: &Outgoing<'_>) -> Result<Vec<u8>, String>;

    /// A whole reply as the neutral completion; `Err` says why the body is not one.
    fn decode(&self, body: &str) -> Result<ChatCompletion, String>;

    /// One server-sent event of a streamed reply (`event` its type, `data` its data, both
    /// trimmed), appended to `out` as deltas. `Err` is an error the server reported in the
    /// stream, or an event that is not one of the dialect's.
    fn decode_event(&self, event: &str, data: &str, out: &mut Vec<Delta>) -> Result<(), String>;

    /// What an error body says.
    fn error_fields(&self, body: &str) -> ErrorFields;

    /// Whether an answer with this error status and body (scrubbed of the key) is worth
    /// another try. The body tells apart errors that share a status (Anthropic's 429 for a
    /// spent credit limit, which no wait clears, from its rate limit).
    fn retryable(&self, status: u16, body: &str) -> bool {
        let _ = body;
        crate::retry::retryable_status(status)
    }
}

/// The header [`Dialect::auth`] sends: `name: value`, marked sensitive. `Err` when the value
/// cannot be a header's; the message never shows the key.
pub(crate) fn key_header(
    name: HeaderName,
    value: &str,
) -> Result<(HeaderName, HeaderValue), String> {
    let mut v = HeaderValue::from_str(value)
        .map_err(|_| "the API key contains characters not allowed in a header".to_owned())?;
    v.set_sensitive(true);
    Ok((name, v))
}
