//! What a request is made of before a dialect writes it: the sampling options, what the
//! client adds, how the answer is delivered, and the conversation the first request sends.

use serde_json::{Map, Value};

use crate::mode::ModeSpec;
use crate::server::Server;
use crate::wire::{Message, Role};

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
