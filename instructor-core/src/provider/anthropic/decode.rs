//! The reply side of the Anthropic dialect: a whole Messages reply read into the neutral
//! completion, an error body's fields, and the pieces the stream reader shares (content
//! blocks, usage, stop reasons, refusals, error messages).

use serde::Deserialize;
use serde_json::Value;

use crate::provider::{error_message, ErrorFields, WithRaw};
use crate::wire::{ChatCompletion, Choice, Echo, FunctionCall, ResponseMessage, ToolCall, Usage};

/// A whole reply read into the neutral completion; `Err` for an error body sent with a 200.
pub(super) fn reply(body: &str) -> Result<ChatCompletion, String> {
    let reply: Reply = serde_json::from_str(body).map_err(|e| e.to_string())?;
    if reply.kind.as_deref() == Some("error") {
        return Err(reply
            .error
            .as_ref()
            .map_or_else(|| body.to_owned(), error_message));
    }
    Ok(reply.completion())
}

/// The fields of an error body: Anthropic's `{"type":"error","error":{"type","message"}}`,
/// llama.cpp's `{"error":{"code","message","type"}}`, a bare `error` string, or a top-level
/// `message`.
pub(super) fn error_fields(body: &str) -> ErrorFields {
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

/// Chat completions' `finish_reason` for Anthropic's `stop_reason`.
pub(super) fn finish_reason(stop: &str) -> String {
    match stop {
        "end_turn" | "stop_sequence" | "pause_turn" | "refusal" => "stop",
        "max_tokens" | "model_context_window_exceeded" => "length",
        "tool_use" => "tool_calls",
        other => other,
    }
    .to_owned()
}

/// What a refusal says: `stop_details.explanation`, else its category, else a sentence.
pub(super) fn refusal_text(details: Option<&Value>) -> String {
    let field = |k: &str| details.and_then(|d| d.get(k)).and_then(Value::as_str);
    match (field("explanation"), field("category")) {
        (Some(e), _) if !e.is_empty() => e.to_owned(),
        (_, Some(c)) => {
            format!("the model declined to answer (stop_reason: refusal, category: {c})")
        }
        _ => "the model declined to answer (stop_reason: refusal)".to_owned(),
    }
}

/// A Messages reply (or an error body sent with a 200).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Reply {
    #[serde(rename = "type")]
    kind: Option<String>,
    id: Option<String>,
    model: Option<String>,
    /// Each block read, and kept as received (thinking blocks go back unchanged).
    content: Option<Vec<WithRaw<Block>>>,
    stop_reason: Option<String>,
    stop_details: Option<Value>,
    usage: Option<AnthropicUsage>,
    error: Option<Value>,
}

/// A content block received.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(super) enum Block {
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
    /// Extended thinking, shown apart from the answer, and sent back unchanged (with its
    /// `signature`) on the next turn.
    Thinking {
        #[serde(default)]
        thinking: String,
    },
    /// Thinking the safety systems encrypted (`data` only): sent back unchanged too.
    RedactedThinking {},
    /// Server tools' blocks, and kinds added later.
    #[serde(other)]
    Other,
}

/// Anthropic's usage: `input_tokens` counts only the prompt tokens neither read from nor
/// written to the cache.
#[derive(Debug, Default, Clone, Copy, Deserialize)]
pub(super) struct AnthropicUsage {
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
    pub(super) fn neutral(self) -> Usage {
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
    /// `input` serialized as the arguments), thinking as `reasoning_content` (and the
    /// `thinking` / `redacted_thinking` blocks as received, in order, as the message's
    /// [`Echo`]), the stop reason in chat completions' words and a refusal in `refusal`.
    fn completion(self) -> ChatCompletion {
        let mut text = String::new();
        let mut thinking = String::new();
        let mut calls = Vec::new();
        let mut kept = Vec::new();
        for WithRaw { raw, value: block } in self.content.unwrap_or_default() {
            match block {
                Block::Text { text: t } => text.push_str(&t),
                Block::Thinking { thinking: t } => {
                    thinking.push_str(&t);
                    kept.push(raw);
                }
                Block::RedactedThinking {} => kept.push(raw),
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
                    echo: Echo::new(super::NAME, kept),
                },
                finish_reason: self.stop_reason.as_deref().map(finish_reason),
            }],
            usage: self.usage.map(AnthropicUsage::neutral),
            system_fingerprint: None,
        }
    }
}
