//! The reply side of the Responses dialect: the response object and its output items read
//! back into the neutral completion, the finish reason and usage, and the text of a failed
//! response or of an error body.

use serde::Deserialize;
use serde_json::Value;

use crate::provider::WithRaw;
use crate::wire::{ChatCompletion, Choice, Echo, FunctionCall, ResponseMessage, ToolCall, Usage};

/// A response object (only what the SDK reads).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct Response {
    pub(super) id: Option<String>,
    pub(super) model: Option<String>,
    created_at: Option<Value>,
    status: Option<String>,
    /// The output items, each read and kept as received (a reasoning item goes back
    /// unchanged).
    pub(super) output: Option<Vec<WithRaw<OutputItem>>>,
    pub(super) usage: Option<ResponseUsage>,
    incomplete_details: Option<Incomplete>,
    error: Option<Value>,
}

/// `incomplete_details`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Incomplete {
    reason: Option<String>,
}

/// One output item: a message, a function call, a reasoning item (others are skipped).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct OutputItem {
    #[serde(rename = "type")]
    pub(super) kind: Option<String>,
    pub(super) id: Option<String>,
    pub(super) call_id: Option<String>,
    pub(super) name: Option<String>,
    pub(super) arguments: Option<String>,
    pub(super) content: Option<Vec<ContentPart>>,
    summary: Option<Vec<ContentPart>>,
    /// A reasoning item's encrypted reasoning (with `include: ["reasoning.encrypted_content"]`):
    /// what lets it be sent back without state kept on OpenAI's side.
    encrypted_content: Option<String>,
}

impl OutputItem {
    /// Whether the item is one the API wants back as an input item on the next turn: a
    /// `reasoning` item carrying `encrypted_content` (with `store: false` an item sent back
    /// by id alone names nothing kept).
    pub(super) fn is_kept(&self) -> bool {
        self.kind.as_deref() == Some("reasoning")
            && self
                .encrypted_content
                .as_deref()
                .is_some_and(|c| !c.is_empty())
    }
}

/// A part of a message (`output_text`, `refusal`) or of a reasoning item (`summary_text`,
/// `reasoning_text`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ContentPart {
    #[serde(rename = "type")]
    pub(super) kind: Option<String>,
    pub(super) text: Option<String>,
    pub(super) refusal: Option<String>,
}

/// `usage` as the Responses API writes it; every detail object optional.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ResponseUsage {
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
    total_tokens: Option<u64>,
    input_tokens_details: Option<Details>,
    output_tokens_details: Option<Details>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Details {
    cached_tokens: Option<u64>,
    reasoning_tokens: Option<u64>,
}

impl ResponseUsage {
    pub(super) fn neutral(&self) -> Usage {
        let small = |n: Option<u64>| u32::try_from(n.unwrap_or(0)).unwrap_or(u32::MAX);
        let (input, output) = (
            self.input_tokens.unwrap_or(0),
            self.output_tokens.unwrap_or(0),
        );
        Usage {
            prompt_tokens: input,
            completion_tokens: output,
            total_tokens: self.total_tokens.unwrap_or(input + output),
            cached_tokens: small(
                self.input_tokens_details
                    .as_ref()
                    .and_then(|d| d.cached_tokens),
            ),
            cache_creation_tokens: 0,
            reasoning_tokens: small(
                self.output_tokens_details
                    .as_ref()
                    .and_then(|d| d.reasoning_tokens),
            ),
        }
    }
}

impl Response {
    /// Why generation stopped, in chat completions' words; `Err` for a failed response.
    pub(super) fn finish_reason(&self) -> Result<String, String> {
        if let Some(error) = self.error.as_ref().filter(|e| !e.is_null()) {
            return Err(failed(error));
        }
        let calls = || {
            self.output
                .iter()
                .flatten()
                .any(|i| i.kind.as_deref() == Some("function_call"))
        };
        Ok(match self.status.as_deref() {
            Some("incomplete") => {
                let reason = self
                    .incomplete_details
                    .as_ref()
                    .and_then(|d| d.reason.as_deref());
                match reason {
                    Some("content_filter") => "content_filter",
                    // `max_output_tokens` (the SDK), `max_tokens` (the reference's example),
                    // or a reason not known yet: the answer was cut off.
                    _ => "length",
                }
            }
            Some("failed") => return Err(failed(&Value::Null)),
            Some(s @ ("cancelled" | "queued" | "in_progress")) => {
                return Err(format!("the response is `{s}`, not completed"))
            }
            _ if calls() => "tool_calls",
            _ => "stop",
        }
        .to_owned())
    }

    /// The response as the neutral completion.
    pub(super) fn completion(self) -> Result<ChatCompletion, String> {
        let finish_reason = self.finish_reason()?;
        let mut content: Option<String> = None;
        let mut refusal: Option<String> = None;
        let mut thinking: Option<String> = None;
        let mut tool_calls = Vec::new();
        let append = |to: &mut Option<String>, text: String| match to {
            Some(t) => t.push_str(&text),
            None => *to = Some(text),
        };
        let mut kept = Vec::new();
        for WithRaw { raw, value: item } in self.output.into_iter().flatten() {
            if item.is_kept() {
                kept.push(raw);
            }
            match item.kind.as_deref() {
                Some("message") => {
                    for part in item.content.into_iter().flatten() {
                        match part.kind.as_deref() {
                            Some("refusal") => {
                                append(&mut refusal, part.refusal.or(part.text).unwrap_or_default())
                            }
                            _ => {
                                if let Some(t) = part.text {
                                    append(&mut content, t);
                                }
                            }
                        }
                    }
                }
                Some("function_call") => tool_calls.push(ToolCall {
                    id: item.call_id.or(item.id).unwrap_or_default(),
                    kind: "function".to_owned(),
                    function: FunctionCall {
                        name: item.name.unwrap_or_default(),
                        arguments: item.arguments.unwrap_or_default(),
                    },
                }),
                Some("reasoning") => {
                    let summary: Vec<String> = item
                        .summary
                        .into_iter()
                        .flatten()
                        .filter_map(|p| p.text)
                        .collect();
                    let text = if summary.is_empty() {
                        item.content
                            .into_iter()
                            .flatten()
                            .filter_map(|p| p.text)
                            .collect::<Vec<_>>()
                            .join("\n\n")
                    } else {
                        summary.join("\n\n")
                    };
                    if !text.is_empty() {
                        append(&mut thinking, text);
                    }
                }
                _ => {}
            }
        }
        Ok(ChatCompletion {
            id: self.id.unwrap_or_default(),
            model: self.model.unwrap_or_default(),
            created: self.created_at.as_ref().and_then(Value::as_u64),
            choices: vec![Choice {
                index: 0,
                message: ResponseMessage {
                    role: Some("assistant".to_owned()),
                    content,
                    refusal,
                    tool_calls,
                    reasoning_content: thinking,
                    reasoning: None,
                    echo: Echo::new(super::NAME, kept),
                },
                finish_reason: Some(finish_reason),
            }],
            usage: self.usage.as_ref().map(ResponseUsage::neutral),
            system_fingerprint: None,
        })
    }
}

/// What a failed response says: `the response failed (server_error): The model failed ..`.
fn failed(error: &Value) -> String {
    let code = error.get("code").and_then(|c| {
        c.as_str()
            .map(str::to_owned)
            .or_else(|| (!c.is_null()).then(|| c.to_string()))
    });
    let message = error.get("message").and_then(Value::as_str);
    match (code, message) {
        (Some(c), Some(m)) => format!("the response failed ({c}): {m}"),
        (None, Some(m)) => format!("the response failed: {m}"),
        (Some(c), None) => format!("the response failed ({c})"),
        (None, None) => "the response failed, and says no why".to_owned(),
    }
}
