//! The request body: the conversation, the sampling options and the mode's pieces, written
//! as the chat-completions JSON a provider reads.

use std::sync::OnceLock;

use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::input::Content;
use crate::mode::{Mode, ModeSpec};
use crate::server::{MaxTokensField, Server};
use crate::wire::{ChatRequest, Message, Role};

/// The sampling options of a request, each sent only when set.
#[derive(Debug, Clone, Default)]
pub(crate) struct Options {
    pub temperature: Option<f64>,
    pub max_tokens: Option<u32>,
    pub seed: Option<u64>,
    /// Body fields the SDK does not model, written over what it writes.
    pub extra: Map<String, Value>,
}

/// Adds the fields of `extra` (a JSON object) to `fields`; anything but an object is refused
/// with the reason, which the request or client reports as `Error::Config`.
pub(crate) fn add_extra(fields: &mut Map<String, Value>, extra: Value) -> Result<(), String> {
    match extra {
        Value::Object(map) => {
            fields.extend(map);
            Ok(())
        }
        other => Err(format!("extra_body must be a JSON object, not {other}")),
    }
}

/// What the client adds to every body: the server's names, and its own extra fields.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Target<'a> {
    pub server: Server,
    /// The token limit when the request sets none.
    pub max_tokens: Option<u32>,
    pub extra: &'a Map<String, Value>,
}

/// How the answer is delivered: in one body, or as server-sent events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Delivery {
    /// One JSON body.
    Whole,
    /// `stream: true`, with the usage asked for in the last chunk.
    Stream,
}

/// The messages the first request sends: `messages`, with the schema prompt of `spec`'s
/// [`Prompting`](crate::Prompting) appended to the first system message (or sent as one),
/// then the turns of the type's worked examples after the leading system messages, before
/// the caller's conversation. `examples`: [`crate::example::turns`] of `spec`, checked
/// when the request was resolved.
pub(crate) fn prepare_messages(
    mut messages: Vec<Message>,
    spec: &ModeSpec,
    examples: &[Message],
) -> Vec<Message> {
    if let Some(prompt) = &spec.system_prompt {
        match messages.first_mut() {
            Some(Message {
                role: Role::System | Role::Developer,
                content: Some(content),
                ..
            }) => content.append_paragraph(prompt),
            _ => messages.insert(0, Message::system(prompt.clone())),
        }
    }
    if !examples.is_empty() {
        let at = messages
            .iter()
            .position(|m| !matches!(m.role, Role::System | Role::Developer))
            .unwrap_or(messages.len());
        messages.splice(at..at, examples.iter().cloned());
    }
    messages
}

/// The JSON body of one request.
pub(crate) fn body(
    model: &str,
    options: &Options,
    spec: &ModeSpec,
    messages: &[Message],
    delivery: Delivery,
    target: Target<'_>,
) -> Vec<u8> {
    let stream = delivery == Delivery::Stream;
    let limit = options.max_tokens.or(target.max_tokens);
    let (max_tokens, max_completion_tokens) = match target.server.max_tokens_field() {
        MaxTokensField::MaxTokens => (limit, None),
        MaxTokensField::MaxCompletionTokens => (None, limit),
    };
    let tool_choice = match spec.tool_choice.as_deref() {
        Some(_) if target.server.forces_tools_with_required() => Some(required()),
        other => other,
    };
    let request = ChatRequest {
        model,
        messages,
        temperature: options.temperature,
        max_tokens,
        max_completion_tokens,
        seed: options.seed,
        response_format: spec.response_format.as_deref(),
        tools: spec.tools.as_deref(),
        tool_choice,
        // On by default at OpenAI, off by default in llama.cpp's server: said either way.
        parallel_tool_calls: (spec.mode == Mode::ParallelTools).then_some(true),
        stream: stream.then_some(true),
        stream_options: stream.then(include_usage),
    };
    if !target.extra.is_empty() || !options.extra.is_empty() {
        return with_extra(&request, [target.extra, &options.extra]);
    }
    // Sized up front: the schema pieces and the messages are most of the body, and growing
    // the buffer by doubling would copy it several times.
    let pieces = [&spec.response_format, &spec.tools, &spec.tool_choice];
    let size = 256
        + model.len()
        + pieces
            .iter()
            .filter_map(|p| p.as_ref().map(|r| r.get().len()))
            .sum::<usize>()
        + messages
            .iter()
            .map(|m| 64 + m.content.as_ref().map_or(0, Content::size_hint))
            .sum::<usize>();
    let mut body = Vec::with_capacity(size);
    serde_json::to_writer(&mut body, &request).expect("a chat request always serializes");
    body
}

/// The body with extra fields written over it, the request's after the client's.
fn with_extra(request: &ChatRequest<'_>, extras: [&Map<String, Value>; 2]) -> Vec<u8> {
    let mut body = match serde_json::to_value(request) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    for extra in extras {
        for (k, v) in extra {
            body.insert(k.clone(), v.clone());
        }
    }
    serde_json::to_vec(&body).expect("a JSON map always serializes")
}

/// `tool_choice: "required"`: one tool call at least, and there is one tool.
fn required() -> &'static RawValue {
    static V: OnceLock<Box<RawValue>> = OnceLock::new();
    V.get_or_init(|| RawValue::from_string(r#""required""#.to_owned()).expect("valid JSON"))
}

/// `stream_options` asking for the usage chunk at the end of a stream.
fn include_usage() -> &'static RawValue {
    static V: OnceLock<Box<RawValue>> = OnceLock::new();
    V.get_or_init(|| {
        RawValue::from_string(r#"{"include_usage":true}"#.to_owned()).expect("valid JSON")
    })
}
