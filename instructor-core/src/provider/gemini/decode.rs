//! The reply: a `GenerateContentResponse` read into the neutral completion (its first
//! candidate's text, thoughts and function calls, the finish reason, the usage, a blocked
//! prompt), and the message of an error body.

use serde::Deserialize;
use serde_json::Value;

use super::call_id::call_tag;
use crate::wire::{ChatCompletion, Choice, FunctionCall, ResponseMessage, ToolCall, Usage};

/// A `GenerateContentResponse` (GEM-SDK types.py; examples in notes §3.5).
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(super) struct GenerateContentResponse {
    pub(super) candidates: Option<Vec<Candidate>>,
    pub(super) prompt_feedback: Option<PromptFeedback>,
    pub(super) usage_metadata: Option<UsageMetadata>,
    pub(super) response_id: Option<String>,
    pub(super) model_version: Option<String>,
    /// An error sent in place of a response (in a stream).
    pub(super) error: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(super) struct Candidate {
    content: Option<CandidateContent>,
    pub(super) finish_reason: Option<String>,
}

impl Candidate {
    pub(super) fn parts(self) -> Vec<PartIn> {
        self.content.and_then(|c| c.parts).unwrap_or_default()
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CandidateContent {
    parts: Option<Vec<PartIn>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(super) struct PartIn {
    pub(super) text: Option<String>,
    pub(super) thought: Option<bool>,
    pub(super) function_call: Option<CallIn>,
    pub(super) thought_signature: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct CallIn {
    pub(super) id: Option<String>,
    pub(super) name: String,
    pub(super) args: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(super) struct PromptFeedback {
    block_reason: Option<String>,
    block_reason_message: Option<String>,
}

/// `usageMetadata` (GEM-SDK types.py:8407-8458); counts left out are zero.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(super) struct UsageMetadata {
    prompt_token_count: u64,
    candidates_token_count: u64,
    thoughts_token_count: u64,
    tool_use_prompt_token_count: u64,
    cached_content_token_count: u64,
    total_token_count: u64,
}

impl From<UsageMetadata> for Usage {
    /// The prompt (cached content included) and the tool-use prompt are the prompt; the
    /// answer and the thoughts the completion (`candidatesTokenCount` excludes thoughts);
    /// `totalTokenCount` is their sum as reported.
    fn from(u: UsageMetadata) -> Usage {
        let prompt_tokens = u.prompt_token_count + u.tool_use_prompt_token_count;
        let completion_tokens = u.candidates_token_count + u.thoughts_token_count;
        Usage {
            prompt_tokens,
            completion_tokens,
            total_tokens: if u.total_token_count > 0 {
                u.total_token_count
            } else {
                prompt_tokens + completion_tokens
            },
            cached_tokens: u32::try_from(u.cached_content_token_count).unwrap_or(u32::MAX),
            cache_creation_tokens: 0,
            reasoning_tokens: u32::try_from(u.thoughts_token_count).unwrap_or(u32::MAX),
        }
    }
}

/// The text of a blocked prompt: `prompt blocked: <reason>` (and Gemini's message).
pub(super) fn blocked_prompt(feedback: &PromptFeedback) -> Option<String> {
    let reason = feedback.block_reason.as_deref()?;
    Some(match feedback.block_reason_message.as_deref() {
        Some(m) if !m.is_empty() => format!("prompt blocked: {reason}: {m}"),
        _ => format!("prompt blocked: {reason}"),
    })
}

/// `finishReason` in chat completions' words (GEM-SDK `FinishReason`, types.py:488-531):
/// `STOP` is `stop` (or `tool_calls` when the answer calls), `MAX_TOKENS` `length`, the
/// reasons a filter gives `content_filter`; any other is lower-cased (`malformed_function_call`
/// reads as an answer without a call, which is re-asked).
pub(super) fn finish_reason(reason: &str, calls: bool) -> String {
    match reason {
        "STOP" if calls => "tool_calls".into(),
        "STOP" => "stop".into(),
        "MAX_TOKENS" => "length".into(),
        "SAFETY"
        | "RECITATION"
        | "BLOCKLIST"
        | "PROHIBITED_CONTENT"
        | "SPII"
        | "IMAGE_SAFETY"
        | "IMAGE_PROHIBITED_CONTENT"
        | "IMAGE_RECITATION" => "content_filter".into(),
        other => other.to_ascii_lowercase(),
    }
}

/// A call's arguments as JSON text (`args` is an object on the wire).
pub(super) fn arguments_text(args: Option<Value>) -> String {
    match args {
        Some(Value::Null) | None => "{}".to_owned(),
        Some(v) => v.to_string(),
    }
}

/// A whole reply as the neutral completion.
pub(super) fn completion(response: GenerateContentResponse) -> ChatCompletion {
    let usage = response.usage_metadata.map(Usage::from);
    let mut out = ChatCompletion {
        id: response.response_id.unwrap_or_default(),
        model: response.model_version.unwrap_or_default(),
        usage,
        ..ChatCompletion::default()
    };
    let Some(candidate) = response.candidates.into_iter().flatten().next() else {
        if let Some(blocked) = response.prompt_feedback.as_ref().and_then(blocked_prompt) {
            out.choices.push(Choice {
                message: ResponseMessage {
                    role: Some("assistant".into()),
                    content: Some(blocked),
                    ..ResponseMessage::default()
                },
                finish_reason: Some("content_filter".into()),
                ..Choice::default()
            });
        }
        return out;
    };
    let reason = candidate.finish_reason.clone();
    let (mut text, mut thinking, mut tool_calls) = (String::new(), String::new(), Vec::new());
    for part in candidate.parts() {
        if let Some(call) = part.function_call {
            let n = tool_calls.len();
            let tag = call_tag(call.id.as_deref(), part.thought_signature.as_deref());
            tool_calls.push(ToolCall {
                id: format!("call_{n}{tag}"),
                kind: "function".into(),
                function: FunctionCall {
                    name: call.name,
                    arguments: arguments_text(call.args),
                },
            });
        } else if let Some(t) = part.text {
            if part.thought == Some(true) {
                thinking.push_str(&t);
            } else {
                text.push_str(&t);
            }
        }
    }
    let finish = reason
        .as_deref()
        .map(|r| finish_reason(r, !tool_calls.is_empty()));
    // A filtered answer with nothing written says which filter.
    if finish.as_deref() == Some("content_filter") && text.is_empty() && tool_calls.is_empty() {
        text = format!("blocked: {}", reason.as_deref().unwrap_or_default());
    }
    out.choices.push(Choice {
        message: ResponseMessage {
            role: Some("assistant".into()),
            content: (!text.is_empty()).then_some(text),
            tool_calls,
            reasoning_content: (!thinking.is_empty()).then_some(thinking),
            ..ResponseMessage::default()
        },
        finish_reason: finish,
        ..Choice::default()
    });
    out
}

/// The message of an `{"error": {..}}` body or frame.
pub(super) fn error_message(error: &Value) -> String {
    let message = error.get("message").and_then(Value::as_str);
    let status = error.get("status").and_then(Value::as_str);
    match (status, message) {
        (Some(s), Some(m)) => format!("{s}: {m}"),
        (None, Some(m)) => m.to_owned(),
        _ => error
            .as_str()
            .map_or_else(|| error.to_string(), str::to_owned),
    }
}
