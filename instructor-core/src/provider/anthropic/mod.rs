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
//! several providers runs unchanged), an image's `detail` (Anthropic has no such field),
//! prompt-caching breakpoints, and thinking blocks of earlier answers (a re-ask echoes the
//! answer's tool call or text, not its thinking: fine without extended thinking, which
//! cannot be combined with a forced tool anyway).

mod schema;

use std::borrow::Cow;

use reqwest::header::{HeaderName, HeaderValue};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::{Delivery, Delta, Dialect, ErrorFields, Outgoing};
use crate::client::DEFAULT_MAX_TOKENS;
use crate::input::{Content, Part};
use crate::mode::ModeSpec;
use crate::wire::{
    ChatCompletion, Choice, FunctionCall, Message, ResponseMessage, Role, ToolCall, Usage,
};

/// The API version every request names (`anthropic-version`), the one Anthropic's SDKs send.
pub(crate) const API_VERSION: &str = "2023-06-01";

/// Anthropic's Messages dialect.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Anthropic;

impl Dialect for Anthropic {
    fn name(&self) -> &'static str {
        "anthropic"
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
        match &schema::pieces(spec).refused {
            Some(why) => Err(why.clone()),
            None => Ok(()),
        }
    }

    /// `x-api-key: <key>`, marked sensitive (never printed).
    fn auth(&self, key: &str) -> Result<(HeaderName, HeaderValue), String> {
        let mut v = HeaderValue::from_str(key)
            .map_err(|_| "the API key contains characters not allowed in a header".to_owned())?;
        v.set_sensitive(true);
        Ok((HeaderName::from_static("x-api-key"), v))
    }

    fn encode(&self, request: &Outgoing<'_>) -> Result<Vec<u8>, String> {
        body(request)
    }

    fn decode(&self, body: &str) -> Result<ChatCompletion, String> {
        let reply: Reply = serde_json::from_str(body).map_err(|e| e.to_string())?;
        if reply.kind.as_deref() == Some("error") {
            return Err(reply
                .error
                .as_ref()
                .map_or_else(|| body.to_owned(), error_message));
        }
        Ok(reply.completion())
    }

    fn decode_event(&self, event: &str, data: &str, out: &mut Vec<Delta>) -> Result<(), String> {
        if data.is_empty() {
            return Ok(());
        }
        let ev: Event = serde_json::from_str(data)
            .map_err(|e| format!("an event is not an Anthropic stream event: {e}"))?;
        // The SSE event name first: llama.cpp's error events carry another `type` in the data.
        let kind = match (event, ev.kind.as_deref()) {
            ("error", _) => "error",
            (_, Some(kind)) => kind,
            (event, None) => event,
        };
        match kind {
            "message_start" => {
                if let Some(m) = read::<StartMessage>(ev.message) {
                    if let Some(id) = m.id.filter(|i| !i.is_empty()) {
                        out.push(Delta::Id(id));
                    }
                    if let Some(model) = m.model.filter(|m| !m.is_empty()) {
                        out.push(Delta::Model(model));
                    }
                    if let Some(u) = m.usage {
                        out.push(Delta::Usage(u.neutral()));
                    }
                }
            }
            "content_block_start" => {
                let index = ev.index.unwrap_or(0);
                match ev.content_block {
                    Some(Block::ToolUse { id, name, .. }) => out.push(Delta::Call {
                        index,
                        id: Some(id),
                        name: Some(name),
                        arguments: None,
                    }),
                    Some(Block::Text { text }) if !text.is_empty() => out.push(Delta::Text(text)),
                    Some(Block::Thinking { thinking }) if !thinking.is_empty() => {
                        out.push(Delta::Thinking(thinking))
                    }
                    _ => {}
                }
            }
            "content_block_delta" => {
                let index = ev.index.unwrap_or(0);
                match read::<BlockDelta>(ev.delta) {
                    Some(BlockDelta::TextDelta { text }) => out.push(Delta::Text(text)),
                    Some(BlockDelta::InputJsonDelta { partial_json }) => out.push(Delta::Call {
                        index,
                        id: None,
                        name: None,
                        arguments: Some(partial_json),
                    }),
                    Some(BlockDelta::ThinkingDelta { thinking }) => {
                        out.push(Delta::Thinking(thinking))
                    }
                    // Signatures, citations and what comes next: nothing the SDK reads.
                    _ => {}
                }
            }
            "message_delta" => {
                if let Some(u) = ev.usage {
                    out.push(Delta::Usage(u.neutral()));
                }
                let stop = read::<StopDelta>(ev.delta).unwrap_or_default();
                if let Some(reason) = stop.stop_reason {
                    if reason == "refusal" {
                        out.push(Delta::Refusal(refusal_text(stop.stop_details.as_ref())));
                    }
                    out.push(Delta::Finish(finish_reason(&reason)));
                }
            }
            "message_stop" => out.push(Delta::Done),
            "error" => {
                // Anthropic's `{"type":"error","error":{..}}`; llama.cpp's
                // `{"code":500,"message":..,"type":"server_error"}`.
                return Err(match &ev.error {
                    Some(e) => error_message(e),
                    None => match ev.message {
                        Some(Value::String(m)) => m,
                        _ => data.to_owned(),
                    },
                });
            }
            // `ping`, `content_block_stop`, and event types added later (the streaming guide
            // asks clients to tolerate unknown ones).
            _ => {}
        }
        Ok(())
    }

    fn error_fields(&self, body: &str) -> ErrorFields {
        let Ok(v) = serde_json::from_str::<Value>(body) else {
            return ErrorFields::default();
        };
        let text = |v: Option<&Value>| {
            v.and_then(|v| match v {
                Value::String(s) => Some(s.clone()),
                Value::Null => None,
                other => Some(other.to_string()),
            })
        };
        match v.get("error") {
            Some(e @ Value::Object(_)) => ErrorFields {
                message: text(e.get("message")),
                kind: text(e.get("type")),
                code: text(e.get("code")),
            },
            Some(Value::String(s)) => ErrorFields {
                message: Some(s.clone()),
                ..ErrorFields::default()
            },
            _ => ErrorFields {
                message: text(v.get("message")),
                ..ErrorFields::default()
            },
        }
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

/// Chat completions' `finish_reason` for Anthropic's `stop_reason`.
fn finish_reason(stop: &str) -> String {
    match stop {
        "end_turn" | "stop_sequence" | "pause_turn" | "refusal" => "stop",
        "max_tokens" | "model_context_window_exceeded" => "length",
        "tool_use" => "tool_calls",
        other => other,
    }
    .to_owned()
}

/// What a refusal says: `stop_details.explanation`, else its category, else a sentence.
fn refusal_text(details: Option<&Value>) -> String {
    let field = |k: &str| details.and_then(|d| d.get(k)).and_then(Value::as_str);
    match (field("explanation"), field("category")) {
        (Some(e), _) if !e.is_empty() => e.to_owned(),
        (_, Some(c)) => {
            format!("the model declined to answer (stop_reason: refusal, category: {c})")
        }
        _ => "the model declined to answer (stop_reason: refusal)".to_owned(),
    }
}

/// The message of an error object (`{"type", "message"}`), or the object as text.
fn error_message(error: &Value) -> String {
    error
        .get("message")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| error.as_str().map(str::to_owned))
        .unwrap_or_else(|| error.to_string())
}

// ---------------------------------------------------------------------------------------
// Request.

/// The body of one Messages request. The per-type pieces arrive serialized
/// ([`schema::pieces`]); the conversation is borrowed from the neutral messages.
#[derive(Debug, Serialize)]
struct Request<'a> {
    model: &'a str,
    /// Required by Anthropic: the request's limit, else the client's, else
    /// [`DEFAULT_MAX_TOKENS`].
    max_tokens: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    system: Option<String>,
    messages: Vec<Turn<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tools: Option<&'a RawValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_choice: Option<&'a RawValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    output_config: Option<&'a RawValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stream: Option<bool>,
}

/// One turn of `messages`: `user` or `assistant`, with its content blocks.
#[derive(Debug, Serialize)]
struct Turn<'a> {
    role: &'static str,
    content: Vec<Out<'a>>,
}

/// A content block sent.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Out<'a> {
    /// `{"type":"text","text":..}`.
    Text { text: &'a str },
    /// `{"type":"image","source":..}` (vision guide).
    Image { source: Source<'a> },
    /// `{"type":"document","source":..}`: a PDF (PDF-support guide).
    Document { source: Source<'a> },
    /// `{"type":"tool_use","id","name","input"}`: an earlier call, sent back.
    ToolUse {
        id: &'a str,
        name: &'a str,
        input: Value,
    },
    /// `{"type":"tool_result","tool_use_id","content","is_error"?}` (handle-tool-calls guide).
    ToolResult {
        tool_use_id: &'a str,
        content: Cow<'a, str>,
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        is_error: bool,
    },
}

/// Where an image's or a document's bytes are: inline (base64), or at a URL.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Source<'a> {
    /// `{"type":"base64","media_type":..,"data":..}`.
    Base64 { media_type: &'a str, data: &'a str },
    /// `{"type":"url","url":..}`.
    Url { url: &'a str },
}

impl<'a> Source<'a> {
    /// A `data:<mime>;base64,<data>` URL inline, any other URL by reference.
    fn of(url: &'a str) -> Self {
        let inline = url.strip_prefix("data:").and_then(|rest| {
            let (head, data) = rest.split_once(',')?;
            let mime = head.strip_suffix(";base64")?;
            Some(Source::Base64 {
                media_type: mime,
                data,
            })
        });
        inline.unwrap_or(Source::Url { url })
    }
}

/// The JSON body of one request; `Err` names an input Anthropic does not take.
fn body(request: &Outgoing<'_>) -> Result<Vec<u8>, String> {
    let Outgoing {
        model,
        options,
        spec,
        messages,
        delivery,
        target,
    } = *request;
    let pieces = schema::pieces(spec);
    if let Some(why) = &pieces.refused {
        return Err(why.clone());
    }
    let (system, turns) = conversation(messages)?;
    let request = Request {
        model,
        max_tokens: options
            .max_tokens
            .or(target.max_tokens)
            .unwrap_or(DEFAULT_MAX_TOKENS),
        system,
        messages: turns,
        temperature: options.temperature,
        tools: pieces.tools.as_deref(),
        tool_choice: pieces.tool_choice.as_deref(),
        output_config: pieces.output_config.as_deref(),
        stream: (delivery == Delivery::Stream).then_some(true),
    };
    if target.extra.is_empty() && options.extra.is_empty() {
        return Ok(serde_json::to_vec(&request).expect("a Messages request always serializes"));
    }
    let mut body = match serde_json::to_value(&request) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    for extra in [target.extra, &options.extra] {
        for (k, v) in extra {
            body.insert(k.clone(), v.clone());
        }
    }
    Ok(serde_json::to_vec(&body).expect("a JSON map always serializes"))
}

/// The neutral conversation as Anthropic's: every system and developer message joined into
/// `system` (a blank line between), the rest as `user` and `assistant` turns of blocks.
///
/// - a user message's text, images (`image`) and PDFs (`document`), base64 or by URL; audio
///   is refused (Anthropic takes none);
/// - an assistant message's text, then its tool calls as `tool_use` blocks (`input` = the
///   arguments parsed; arguments that are not a JSON object, which only a cut or broken
///   answer has, are sent as `{"invalid_arguments": "<the text>"}`: Anthropic takes any
///   object as a past call's input, and the model sees what it wrote);
/// - a `tool` message as a `tool_result` block (its text as `content`, `is_error` from
///   [`Message::is_error`]) in a user turn, before any text of that turn (Anthropic wants
///   the results first);
/// - consecutive turns of one role merged into one (Anthropic alternates roles); empty text
///   is left out (Anthropic refuses empty text blocks).
fn conversation(messages: &[Message]) -> Result<(Option<String>, Vec<Turn<'_>>), String> {
    let mut system: Vec<Cow<'_, str>> = Vec::new();
    let mut turns: Vec<Turn<'_>> = Vec::new();
    for m in messages {
        let role = match m.role {
            Role::System | Role::Developer => {
                match &m.content {
                    Some(Content::Text(t)) => system.push(Cow::Borrowed(t)),
                    Some(Content::Parts(parts)) => {
                        for p in parts {
                            match p {
                                Part::Text(t) => system.push(Cow::Borrowed(t)),
                                _ => {
                                    return Err("Anthropic's system prompt takes text only: \
                                                send images and PDFs in a user message"
                                        .into())
                                }
                            }
                        }
                    }
                    None => {}
                }
                continue;
            }
            Role::User | Role::Tool => "user",
            Role::Assistant => "assistant",
        };
        if turns.last().is_none_or(|t| t.role != role) {
            turns.push(Turn {
                role,
                content: Vec::new(),
            });
        }
        let blocks = &mut turns.last_mut().expect("pushed above").content;
        match m.role {
            Role::Tool => {
                let text = match &m.content {
                    Some(Content::Text(t)) => Cow::Borrowed(t.as_str()),
                    Some(Content::Parts(parts)) => Cow::Owned(
                        parts
                            .iter()
                            .filter_map(|p| match p {
                                Part::Text(t) => Some(t.as_str()),
                                _ => None,
                            })
                            .collect::<Vec<_>>()
                            .join("\n"),
                    ),
                    None => Cow::Borrowed(""),
                };
                let at = blocks
                    .iter()
                    .take_while(|b| matches!(b, Out::ToolResult { .. }))
                    .count();
                blocks.insert(
                    at,
                    Out::ToolResult {
                        tool_use_id: m.tool_call_id.as_deref().unwrap_or(""),
                        content: text,
                        is_error: m.is_error,
                    },
                );
            }
            _ => {
                content_blocks(m.content.as_ref(), blocks)?;
                for call in &m.tool_calls {
                    blocks.push(tool_use(call));
                }
            }
        }
    }
    turns.retain(|t| !t.content.is_empty());
    let system = (!system.is_empty()).then(|| system.join("\n\n"));
    Ok((system, turns))
}

/// The blocks of a user or assistant message's content.
fn content_blocks<'a>(
    content: Option<&'a Content>,
    blocks: &mut Vec<Out<'a>>,
) -> Result<(), String> {
    match content {
        None => {}
        Some(Content::Text(t)) if t.trim().is_empty() => {}
        Some(Content::Text(t)) => blocks.push(Out::Text { text: t }),
        Some(Content::Parts(parts)) => {
            for p in parts {
                match p {
                    Part::Text(t) if t.trim().is_empty() => {}
                    Part::Text(t) => blocks.push(Out::Text { text: t }),
                    Part::Image(i) => blocks.push(Out::Image {
                        source: Source::of(i.url()),
                    }),
                    Part::Pdf(f) => blocks.push(Out::Document {
                        source: Source::of(f.data_url()),
                    }),
                    Part::Audio(_) => {
                        return Err("Anthropic's Messages API takes no audio input: transcribe \
                                    the audio first and send the text, or use a provider that \
                                    reads audio"
                            .into())
                    }
                }
            }
        }
    }
    Ok(())
}

/// A neutral tool call as a `tool_use` block.
fn tool_use(call: &ToolCall) -> Out<'_> {
    let input = match serde_json::from_str::<Value>(&call.function.arguments) {
        Ok(v @ Value::Object(_)) => v,
        _ => {
            let mut m = Map::new();
            m.insert(
                "invalid_arguments".into(),
                Value::String(call.function.arguments.clone()),
            );
            Value::Object(m)
        }
    };
    Out::ToolUse {
        id: &call.id,
        name: &call.function.name,
        input,
    }
}

// ---------------------------------------------------------------------------------------
// Reply.

/// A Messages reply (or an error body sent with a 200).
#[derive(Debug, Deserialize)]
struct Reply {
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    content: Option<Vec<Block>>,
    #[serde(default)]
    stop_reason: Option<String>,
    #[serde(default)]
    stop_details: Option<Value>,
    #[serde(default)]
    usage: Option<AnthropicUsage>,
    #[serde(default)]
    error: Option<Value>,
}

/// A content block received.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Block {
    /// Answer text.
    Text {
        #[serde(default)]
        text: String,
    },
    /// A tool call; `input` is the arguments as a JSON object.
    ToolUse {
        #[serde(default)]
        id: String,
        #[serde(default)]
        name: String,
        #[serde(default)]
        input: Option<Value>,
    },
    /// Extended thinking, shown apart from the answer.
    Thinking {
        #[serde(default)]
        thinking: String,
    },
    /// `redacted_thinking`, server tools' blocks, and kinds added later.
    #[serde(other)]
    Other,
}

/// Anthropic's usage: `input_tokens` counts only the prompt tokens neither read from nor
/// written to the cache.
#[derive(Debug, Default, Clone, Copy, Deserialize)]
struct AnthropicUsage {
    #[serde(default, deserialize_with = "null_zero")]
    input_tokens: u64,
    #[serde(default, deserialize_with = "null_zero")]
    output_tokens: u64,
    #[serde(default, deserialize_with = "null_zero")]
    cache_creation_input_tokens: u64,
    #[serde(default, deserialize_with = "null_zero")]
    cache_read_input_tokens: u64,
}

/// A count that may be `null` (read as 0).
fn null_zero<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    Ok(Option::<u64>::deserialize(d)?.unwrap_or(0))
}

impl AnthropicUsage {
    /// The neutral counts: the prompt is all three input counts ("Total input tokens … is
    /// the summation of `input_tokens`, `cache_creation_input_tokens`, and
    /// `cache_read_input_tokens`", prompt-caching guide).
    fn neutral(self) -> Usage {
        let prompt =
            self.input_tokens + self.cache_creation_input_tokens + self.cache_read_input_tokens;
        let small = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
        Usage {
            prompt_tokens: prompt,
            completion_tokens: self.output_tokens,
            total_tokens: prompt + self.output_tokens,
            cached_tokens: small(self.cache_read_input_tokens),
            cache_creation_tokens: small(self.cache_creation_input_tokens),
            reasoning_tokens: 0,
        }
    }
}

impl Reply {
    /// The neutral completion: text blocks joined, `tool_use` blocks as tool calls (their
    /// `input` serialized as the arguments), thinking as `reasoning_content`, the stop
    /// reason in chat completions' words and a refusal in `refusal`.
    fn completion(self) -> ChatCompletion {
        let mut text = String::new();
        let mut thinking = String::new();
        let mut calls = Vec::new();
        for block in self.content.unwrap_or_default() {
            match block {
                Block::Text { text: t } => text.push_str(&t),
                Block::Thinking { thinking: t } => thinking.push_str(&t),
                Block::ToolUse { id, name, input } => calls.push(ToolCall {
                    id,
                    kind: "function".into(),
                    function: FunctionCall {
                        name,
                        arguments: input.map_or_else(|| "{}".to_owned(), |v| v.to_string()),
                    },
                }),
                Block::Other => {}
            }
        }
        let refusal = (self.stop_reason.as_deref() == Some("refusal"))
            .then(|| refusal_text(self.stop_details.as_ref()));
        ChatCompletion {
            id: self.id.unwrap_or_default(),
            model: self.model.unwrap_or_default(),
            created: None,
            choices: vec![Choice {
                index: 0,
                message: ResponseMessage {
                    role: Some("assistant".into()),
                    content: (!text.is_empty()).then_some(text),
                    refusal,
                    tool_calls: calls,
                    reasoning_content: (!thinking.is_empty()).then_some(thinking),
                    reasoning: None,
                },
                finish_reason: self.stop_reason.as_deref().map(finish_reason),
            }],
            usage: self.usage.map(AnthropicUsage::neutral),
            system_fingerprint: None,
        }
    }
}

/// One event of a streamed reply (its `type` repeats the SSE event name). `message` and
/// `delta` change shape with the type, and are read once it is known.
#[derive(Debug, Default, Deserialize)]
struct Event {
    #[serde(default, rename = "type")]
    kind: Option<String>,
    /// `message_start`'s message (an object); llama.cpp's error events' text (a string).
    #[serde(default)]
    message: Option<Value>,
    #[serde(default)]
    index: Option<u32>,
    #[serde(default)]
    content_block: Option<Block>,
    /// A [`BlockDelta`] in `content_block_delta`, a [`StopDelta`] in `message_delta`.
    #[serde(default)]
    delta: Option<Value>,
    #[serde(default)]
    usage: Option<AnthropicUsage>,
    #[serde(default)]
    error: Option<Value>,
}

/// `v` read as a `T`, when it is one.
fn read<T: serde::de::DeserializeOwned>(v: Option<Value>) -> Option<T> {
    v.and_then(|v| serde_json::from_value(v).ok())
}

/// `message_start`'s message: what the SDK reads of it.
#[derive(Debug, Default, Deserialize)]
struct StartMessage {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    usage: Option<AnthropicUsage>,
}

/// A `content_block_delta`'s delta.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum BlockDelta {
    /// More answer text.
    TextDelta {
        #[serde(default)]
        text: String,
    },
    /// More of a tool call's arguments (JSON text, whole only at the block's end).
    InputJsonDelta {
        #[serde(default)]
        partial_json: String,
    },
    /// More thinking.
    ThinkingDelta {
        #[serde(default)]
        thinking: String,
    },
    /// `signature_delta`, `citations_delta`, and kinds added later.
    #[serde(other)]
    Other,
}

/// A `message_delta`'s delta.
#[derive(Debug, Default, Deserialize)]
struct StopDelta {
    #[serde(default)]
    stop_reason: Option<String>,
    #[serde(default)]
    stop_details: Option<Value>,
}

#[cfg(test)]
mod tests;
