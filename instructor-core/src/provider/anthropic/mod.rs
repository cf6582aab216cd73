//! Anthropic's Messages API (`POST {base}/v1/messages`), natively: the neutral conversation
//! written as Anthropic's `system` + `messages` of content blocks, the mode's pieces as
//! Anthropic's tools and structured outputs, and a reply (whole, or as server-sent events)
//! read back into the neutral completion.
//!
//! Sources (copied, with their tags, in `notes/providers-wire.md` §1): the API reference and
//! guides at platform.claude.com/docs — Messages (`/v1/messages` request fields, headers),
//! build-with-claude/structured-outputs, agents-and-tools/tool-use/{define-tools,
//! handle-tool-calls}, build-with-claude/{streaming, handling-stop-reasons, vision,
//! pdf-support, prompt-caching, refusals-and-fallback}, api/{errors, rate-limits}; and
//! `anthropics/anthropic-sdk-python` (`types/message_create_params.py`, `usage.py`,
//! `_base_client.py`). What llama.cpp's `/v1/messages` converter reads is §4.2 there.
//!
//! | mode | request | answer read from |
//! | --- | --- | --- |
//! | [`Mode::Tools`](crate::Mode::Tools) | one tool `{name, description, input_schema}`, `tool_choice: {"type":"tool","name":..}` | the `tool_use` block's `input` |
//! | [`Mode::ParallelTools`](crate::Mode::ParallelTools) | every tool, `tool_choice: {"type":"any"}` | every `tool_use` block |
//! | [`Mode::JsonSchema`](crate::Mode::JsonSchema), [`Mode::JsonSchemaStrict`](crate::Mode::JsonSchemaStrict) | `output_config: {"format":{"type":"json_schema","schema":..}}` (the schema under Anthropic's rules: see [`schema`]) | the text |
//! | [`Mode::Json`](crate::Mode::Json), [`Mode::MdJson`](crate::Mode::MdJson) | the schema in the system prompt only | the text |
//! | [`Mode::JsonObjectSchema`](crate::Mode::JsonObjectSchema) | refused by `check`: Anthropic has no JSON-object format | |
//!
//! llama.cpp's server speaks this dialect at `/v1/messages` too, but drops `output_config`
//! (it has no structured-output path there): against llama.cpp only [`Mode::Tools`](crate::Mode::Tools) and
//! [`Mode::ParallelTools`](crate::Mode::ParallelTools) are enforced by a grammar (`tool_choice` `tool`/`any` become
//! `required`), and the JSON modes rely on the prompt.
//!
//! Not sent: `seed` (Anthropic has none; a request's seed is ignored, so code written for
//! several providers runs unchanged) and an image's `detail` (Anthropic has no such field).
//!
//! Thinking (extended thinking on through `extra_body`, e.g. `{"thinking": {"type":
//! "adaptive"}}`): a reply's `thinking` and `redacted_thinking` blocks are read apart from the
//! answer (`reasoning_content`) and kept as received ([`Echo`](crate::wire::Echo)); a
//! re-ask's assistant turn sends them back unchanged, in order, before its text and
//! `tool_use` blocks, as the extended-thinking guide requires within a tool-use turn
//! ("Preserving thinking blocks"; providers-wire.md §1.11). A stream's blocks are gathered
//! from `content_block_start`, `thinking_delta` and `signature_delta`. Manual thinking
//! (`{"type": "enabled"}`) cannot be combined with a forced tool (Anthropic answers 400):
//! use adaptive thinking, or a JSON mode.
//!
//! Prompt caching ([`ClientBuilder::cache_prompt`](crate::ClientBuilder::cache_prompt)):
//! `system` as one text block with `cache_control: {"type": "ephemeral"}`, and the same mark
//! on the last tool in the tools modes (the prompt-caching guide: the prefix runs tools,
//! system, messages; providers-wire.md §1.8). Its counts come back as
//! `cache_creation_input_tokens` and `cache_read_input_tokens`.
//!
//! This file holds the [`Dialect`] impl; the work is in [`encode`] (the request body and
//! the conversation), [`decode`] (a whole reply and an error body), [`stream`] (stream
//! events) and [`schema`] (the mode's pieces).

mod decode;
mod encode;
mod schema;
mod stream;

pub(crate) use schema::output_schema;

use reqwest::header::{HeaderName, HeaderValue};

use super::{key_header, Delta, Dialect, ErrorFields, Outgoing};
use crate::mode::ModeSpec;
use crate::wire::ChatCompletion;

/// The dialect's name for tracing (`gen_ai.system`), also the tag of the blocks it keeps
/// for the next turn ([`Echo`](crate::wire::Echo)).
pub(crate) const NAME: &str = "anthropic";

/// The API version every request names (`anthropic-version`), the one Anthropic's SDKs send.
pub(crate) const API_VERSION: &str = "2023-06-01";

/// Anthropic's Messages dialect.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Anthropic;

impl Dialect for Anthropic {
    fn name(&self) -> &'static str {
        NAME
    }

    /// `/v1/messages`: the base URL is the host alone (`https://api.anthropic.com`,
    /// `http://127.0.0.1:8080` for llama.cpp).
    fn path(&self) -> &'static str {
        "/v1/messages"
    }

    fn headers(&self) -> &'static [(&'static str, &'static str)] {
        &[("anthropic-version", API_VERSION)]
    }

    /// Refuses [`Mode::JsonObjectSchema`](crate::Mode::JsonObjectSchema), and a schema Anthropic's structured outputs cannot
    /// take (a recursive type; in [`Mode::JsonSchema`](crate::Mode::JsonSchema), a map or a tuple), naming the type
    /// and the mode to use instead.
    fn check(&self, spec: &ModeSpec) -> Result<(), String> {
        match &schema::PIECES.get(spec).refused {
            Some(why) => Err(why.clone()),
            None => Ok(()),
        }
    }

    /// `x-api-key: <key>`, marked sensitive (never printed).
    fn auth(&self, key: &str) -> Result<(HeaderName, HeaderValue), String> {
        key_header(HeaderName::from_static("x-api-key"), key)
    }

    fn encode(&self, request: &Outgoing<'_>) -> Result<Vec<u8>, String> {
        encode::body(request)
    }

    fn decode(&self, body: &str) -> Result<ChatCompletion, String> {
        decode::reply(body)
    }

    fn decode_event(&self, event: &str, data: &str, out: &mut Vec<Delta>) -> Result<(), String> {
        stream::decode_event(event, data, out)
    }

    fn error_fields(&self, body: &str) -> ErrorFields {
        decode::error_fields(body)
    }

    /// 408, 409, 429 and 5xx (529 `overloaded_error` among them), as Anthropic's SDKs retry;
    /// except a 429 or 400 whose message says the workspace's spend or credit limit is
    /// reached: that one fails until someone raises the limit (per the rate-limits guide, it
    /// also comes without `retry-after`).
    fn retryable(&self, status: u16, body: &str) -> bool {
        if !crate::retry::retryable_status(status) {
            return false;
        }
        if status == 429 {
            let message = self
                .error_fields(body)
                .message
                .unwrap_or_default()
                .to_ascii_lowercase();
            let spent = [
                "usage limit",
                "spend limit",
                "spending limit",
                "credit balance",
                "billing",
            ];
            if spent.iter().any(|s| message.contains(s)) {
                return false;
            }
        }
        true
    }
}

#[cfg(test)]
mod tests;
