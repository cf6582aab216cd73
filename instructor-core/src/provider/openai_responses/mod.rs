//! OpenAI's Responses API (`POST {base}/responses`), OpenAI's newer generation endpoint,
//! where its newer features land. The neutral conversation and the mode's chat-shaped pieces
//! are rewritten into its items and flat shapes; a reply's output items are read back into
//! the neutral completion.
//!
//! Sources: OpenAI's API reference, "Responses" ("Create a model response", "The response
//! object", "Streaming events"), as its OpenAPI description `openai/openai-openapi`
//! (`openapi.yaml`) and the Python SDK `openai/openai-python` (`src/openai/types/responses/`)
//! write it; the structured-outputs guide (platform.openai.com/docs/guides/structured-outputs,
//! Responses variant). llama.cpp's `/v1/responses` converter: `tools/server/server-chat.cpp`
//! and `server-task.cpp` of llama.cpp build 11434. Collected, with line numbers, in the
//! project's provider wire notes (OpenAI Responses, §2; llama.cpp shims, §4.3).
//!
//! # Request
//!
//! | neutral | Responses |
//! | --- | --- |
//! | system and developer messages | `instructions`, their texts joined by a blank line, in order (one place the API reads as the system prompt; llama.cpp makes it the first system message) |
//! | user message | `{"type":"message","role":"user","content":[parts]}`: `input_text`, `input_image` (`image_url`, `detail`), `input_file` (`filename`, `file_data`); audio is refused (no such input part) |
//! | assistant text | `{"type":"message","role":"assistant","content":[{"type":"output_text","text"}]}` |
//! | assistant tool call | `{"type":"function_call","call_id","name","arguments"}` |
//! | tool result | `{"type":"function_call_output","call_id","output"}`: there is no error flag, the text of a re-ask says what is wrong |
//! | `max_tokens` | `max_output_tokens` (the request's, else the client's default) |
//! | `temperature` | `temperature` |
//! | `seed` | not sent: the Responses API has no seed (create params: no `seed`, no `stop`) |
//! | — | `store: false`: nothing is kept on OpenAI's side, every request carries the whole conversation |
//!
//! A message's `name` is not sent (input messages have none).
//!
//! | mode | pieces |
//! | --- | --- |
//! | `JsonSchemaStrict` | `text: {"format": {"type":"json_schema","name","schema","strict":true}}` (flat, unlike chat's nested `json_schema`) |
//! | `JsonSchema` | the same with `"strict": false` |
//! | `Json` | `text: {"format": {"type":"json_object"}}` |
//! | `MdJson` | nothing: the schema is in the prompt |
//! | `Tools` | one flat tool `{"type":"function","name","description","parameters","strict":false}` and `tool_choice: {"type":"function","name"}` |
//! | `ParallelTools` | every tool, `tool_choice: "required"`, `parallel_tool_calls: true` |
//! | `JsonObjectSchema` | refused by [`Dialect::check`]: `text.format` has no `json_object` with a schema |
//!
//! Tools are sent with `"strict": false`: the Responses API makes a function tool strict
//! when `strict` is left out, and a tools-mode schema is not written to the strict dialect.
//!
//! # llama.cpp
//!
//! llama.cpp's server (which [`Server::LlamaCpp`] names) converts a Responses body to a chat
//! one; it never reads `text.format`, and reads `tool_choice` only as a string. For that
//! server alone the body also carries the chat-shaped `response_format` (llama.cpp copies
//! top-level fields it does not know into the chat request, and compiles that one into a
//! grammar), and a forced tool is `tool_choice: "required"` (the same call when there is one
//! tool). Elsewhere the body holds Responses fields only.
//!
//! [`Server::LlamaCpp`]: crate::server::Server::LlamaCpp
//!
//! # Reply
//!
//! `message` items give the answer (`output_text` parts joined) and the refusal (`refusal`
//! parts); `function_call` items the tool calls (`call_id` as their id); `reasoning` items
//! the thinking, kept apart (summary text, else the reasoning text llama.cpp writes).
//! A `reasoning` item that carries `encrypted_content` (asked for with `include:
//! ["reasoning.encrypted_content"]`, the way reasoning carries over without `store`) is kept
//! as received ([`Echo`](crate::wire::Echo)) and sent back as an input item, unchanged,
//! before the re-ask's `function_call` or message (providers-wire.md §2.9); one without it is
//! not (with `store: false` an item named by id alone names nothing kept). In a stream it is
//! read from `response.output_item.done` (the `.added` copy may be incomplete).
//! `status: "incomplete"` is the truncation the rest of the SDK knows as finish reason
//! `length` (`incomplete_details.reason` `max_output_tokens`, or `max_tokens` as the API
//! reference's own example writes it, or any other reason), or `content_filter`; a `failed`
//! response is an error naming the response's error code and message.
//!
//! # Streaming
//!
//! Events are read by their `type`: `response.created` (id, model),
//! `response.output_text.delta`, `response.refusal.delta`, `response.output_item.added` (a
//! function call's id and name), `response.function_call_arguments.delta`,
//! `response.reasoning_summary_text.delta` and `response.reasoning_text.delta`, and the end:
//! `response.completed` / `response.incomplete` (usage, finish reason), `response.failed`
//! and `error` (the stream's error). Other events are skipped.
//!
//! llama.cpp's stream writes no `sequence_number`, `output_index` or `content_index` (a call
//! is then told apart by its item id), and its last chunk sends no delta for the text it
//! held back until then: its `*.done` events carry the whole text. So the dialect notes, per
//! item, how many bytes of deltas it has passed on, and a `done` event passes on the rest of
//! its text only (nothing at OpenAI, where the deltas are the whole text). The note is kept
//! in a process-wide table keyed by the item's id (the seam's decoder has no per-stream
//! state); an item's entry goes at its `response.output_item.done`, and the table is emptied
//! past 4096 entries (streams dropped half-way).

mod decode;
mod encode;
mod stream;

use reqwest::header::{HeaderName, HeaderValue, AUTHORIZATION};

use super::openai_chat::OpenAiChat;
use super::{error_message, key_header, read_event, Delta, Dialect, ErrorFields, Outgoing};
use crate::mode::{Mode, ModeSpec};
use crate::wire::ChatCompletion;
use decode::Response;
use encode::body;
use stream::{stream_event, Event};

/// The dialect's name for tracing (`gen_ai.system`), also the tag of the items it keeps for
/// the next turn ([`Echo`](crate::wire::Echo)).
pub(crate) const NAME: &str = "openai";

/// The Responses dialect.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OpenAiResponses;

impl Dialect for OpenAiResponses {
    fn name(&self) -> &'static str {
        NAME
    }

    fn path(&self) -> &'static str {
        "/responses"
    }

    fn check(&self, spec: &ModeSpec) -> Result<(), String> {
        match spec.mode {
            Mode::JsonObjectSchema => Err(
                "Mode::JsonObjectSchema (a `json_object` response format carrying a schema) \
                 cannot be sent to OpenAI's Responses API: its `text.format` takes a \
                 `json_schema` or a `json_object` without a schema. Use \
                 Mode::JsonSchemaStrict or Mode::JsonSchema (or Provider::OpenAiChat for a \
                 server that reads the form)"
                    .to_owned(),
            ),
            _ => Ok(()),
        }
    }

    fn auth(&self, key: &str) -> Result<(HeaderName, HeaderValue), String> {
        key_header(AUTHORIZATION, &format!("Bearer {key}"))
    }

    fn encode(&self, request: &Outgoing<'_>) -> Result<Vec<u8>, String> {
        body(request)
    }

    fn decode(&self, body: &str) -> Result<ChatCompletion, String> {
        let response: Response = serde_json::from_str(body).map_err(|e| e.to_string())?;
        response.completion()
    }

    fn decode_event(&self, event: &str, data: &str, out: &mut Vec<Delta>) -> Result<(), String> {
        if data == "[DONE]" {
            out.push(Delta::Done);
            return Ok(());
        }
        let mut ev: Event = read_event(data, "a Responses stream event")?;
        // llama.cpp's error mid-stream: a bare `data: {"error": {..}}`.
        if let Some(error) = &ev.error {
            return Err(error_message(error));
        }
        let kind = ev.kind.take();
        stream_event(kind.as_deref().unwrap_or(event), ev, out)
    }

    fn error_fields(&self, body: &str) -> ErrorFields {
        // The same `{"error": {"message", "type", "param", "code"}}` as chat completions.
        OpenAiChat.error_fields(body)
    }
}

#[cfg(test)]
mod tests;
