//! The request side of the Anthropic dialect: the JSON body of a Messages request, and the
//! neutral conversation written as Anthropic's `system` + `messages` of content blocks.

use std::borrow::Cow;

use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::schema;
use crate::client::DEFAULT_MAX_TOKENS;
use crate::input::{Content, Part};
use crate::provider::{skip_none, Outgoing};
use crate::wire::{Echo, Message, Role, ToolCall};

skip_none! {
    /// The body of one Messages request. The per-type pieces arrive serialized
    /// ([`schema::pieces`]); the conversation is borrowed from the neutral messages.
    #[derive(Debug, Serialize)]
    struct Request<'a> {
        model: &'a str,
        /// Required by Anthropic: the request's limit, else the client's, else
        /// [`DEFAULT_MAX_TOKENS`].
        max_tokens: u32,
        system: Option<System>,
        messages: Vec<Turn<'a>>,
        temperature: Option<f64>,
        tools: Option<&'a RawValue>,
        tool_choice: Option<&'a RawValue>,
        output_config: Option<&'a RawValue>,
        stream: Option<bool>,
    }
}

/// `system`: its text, or (prompt caching on) one text block marked for the cache.
#[derive(Debug, Serialize)]
#[serde(untagged)]
enum System {
    /// `"system": "<text>"`.
    Text(String),
    /// `"system": [{"type": "text", "text", "cache_control": {"type": "ephemeral"}}]` (the
    /// prompt-caching guide's form).
    Cached([CachedText; 1]),
}

/// A text block marked for the prompt cache.
#[derive(Debug, Serialize)]
struct CachedText {
    #[serde(rename = "type")]
    kind: &'static str,
    text: String,
    cache_control: Ephemeral,
}

/// `{"type": "ephemeral"}`: the cache's default lifetime (5 minutes, renewed on each hit).
#[derive(Debug, Serialize)]
struct Ephemeral {
    #[serde(rename = "type")]
    kind: &'static str,
}

impl System {
    fn new(text: String, cached: bool) -> Self {
        if cached {
            System::Cached([CachedText {
                kind: "text",
                text,
                cache_control: Ephemeral { kind: "ephemeral" },
            }])
        } else {
            System::Text(text)
        }
    }
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
    /// A block of an earlier answer sent back as it was received (`thinking` with its
    /// `signature`, `redacted_thinking`: the extended-thinking guide wants them "complete
    /// and unmodified" before the `tool_use` they led to).
    #[serde(untagged)]
    Kept(&'a RawValue),
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
pub(super) fn body(request: &Outgoing<'_>) -> Result<Vec<u8>, String> {
    let pieces = schema::PIECES.get(request.spec);
    if let Some(why) = &pieces.refused {
        return Err(why.clone());
    }
    let (system, turns) = conversation(request.messages)?;
    let cache = request.target.cache_prompt;
    request.json(&Request {
        model: request.model,
        max_tokens: request.max_tokens().unwrap_or(DEFAULT_MAX_TOKENS),
        system: system.map(|text| System::new(text, cache)),
        messages: turns,
        temperature: request.options.temperature,
        tools: if cache {
            pieces.tools_cached.as_deref()
        } else {
            pieces.tools.as_deref()
        },
        tool_choice: pieces.tool_choice.as_deref(),
        output_config: pieces.output_config.as_deref(),
        stream: request.stream(),
    })
}

/// The neutral conversation as Anthropic's: every system and developer message joined into
/// `system` (a blank line between), the rest as `user` and `assistant` turns of blocks.
///
/// - a user message's text, images (`image`) and PDFs (`document`), base64 or by URL; audio
///   is refused (Anthropic takes none);
/// - an assistant message's kept blocks ([`Message::echo`]: thinking and redacted thinking
///   of the reply it echoes, byte for byte, in order), its text, then its tool calls as
///   `tool_use` blocks (`input` = the
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
                let kept = Echo::of(m.echo.as_ref(), super::NAME);
                blocks.extend(kept.iter().map(|b| Out::Kept(b)));
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
