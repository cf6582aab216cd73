//! The provider-neutral conversation and reply: messages, tool calls, the completion and
//! its usage, in the shape of chat completions (each provider's dialect encodes and decodes
//! them; see `provider`).
//!
//! Only what the SDK reads or writes is modelled; unknown fields in responses are ignored,
//! and `null` is accepted wherever a provider may write it instead of leaving a field out.

use std::ops::{Add, AddAssign};

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;

use crate::input::{Content, IntoParts};

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Instructions for the model.
    System,
    /// OpenAI's newer name for system instructions on reasoning models.
    Developer,
    /// The person asking.
    User,
    /// The model.
    Assistant,
    /// The result of a tool call.
    Tool,
}

/// One message of a conversation, as sent to the provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// Who wrote it.
    pub role: Role,
    /// The text, or the parts (text, images, PDFs, audio) of a user message; absent on an
    /// assistant message that only calls tools. Text is sent as a JSON string, parts as an
    /// array of OpenAI's content parts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<Content>,
    /// An optional participant name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Tool calls made by an assistant message.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_default"
    )]
    pub tool_calls: Vec<ToolCall>,
    /// On a `tool` message: the id of the call it answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
    /// On a `tool` message: whether it reports that the call failed (a re-ask's errors).
    /// Anthropic sends it as the `tool_result`'s `is_error`; chat completions have no such
    /// field, and it is not written there.
    #[serde(skip)]
    pub is_error: bool,
    /// On an assistant message: what its provider wants back unchanged with it (Anthropic's
    /// thinking blocks, the Responses API's reasoning items); see [`Echo`]. Set by a
    /// re-ask from the reply it answers; never serialized.
    #[serde(skip)]
    pub echo: Option<Echo>,
}

/// Blocks of an assistant reply that its provider wants sent back unchanged, in order, when
/// the conversation goes on: Anthropic's `thinking` and `redacted_thinking` blocks (with
/// their `signature`; required before the `tool_use` block they led to when extended
/// thinking is on), the Responses API's `reasoning` items that carry `encrypted_content`.
///
/// Opaque: the blocks are kept as the provider wrote them (each block's JSON text
/// byte for byte, as received in a whole reply, or as gathered from a stream's deltas), and
/// only the dialect that wrote them reads them back; another provider's dialect leaves them
/// out. The attempt loop carries them from a reply to the re-ask's assistant message
/// without looking inside.
#[derive(Debug, Clone)]
pub struct Echo {
    /// The dialect that wrote the blocks (its `gen_ai.system` name, `anthropic`, `openai`).
    provider: &'static str,
    blocks: Vec<Box<RawValue>>,
}

impl Echo {
    /// The blocks `provider`'s dialect wrote, in order; `None` when there are none.
    pub(crate) fn new(provider: &'static str, blocks: Vec<Box<RawValue>>) -> Option<Self> {
        (!blocks.is_empty()).then_some(Self { provider, blocks })
    }

    /// The name of the dialect that wrote the blocks (`gen_ai.system`: `anthropic`,
    /// `openai`).
    pub fn provider(&self) -> &str {
        self.provider
    }

    /// Each block's JSON text, in order.
    pub fn blocks(&self) -> impl Iterator<Item = &str> {
        self.blocks.iter().map(|b| b.get())
    }

    /// The blocks, when `provider`'s dialect wrote them.
    pub(crate) fn of<'e>(echo: Option<&'e Echo>, provider: &str) -> &'e [Box<RawValue>] {
        match echo {
            Some(e) if e.provider == provider => &e.blocks,
            _ => &[],
        }
    }
}

impl PartialEq for Echo {
    fn eq(&self, other: &Self) -> bool {
        self.provider == other.provider && self.blocks().eq(other.blocks())
    }
}

impl Message {
    fn of_text(role: Role, content: impl Into<String>) -> Self {
        Self {
            role,
            content: Some(Content::Text(content.into())),
            name: None,
            tool_calls: Vec::new(),
            tool_call_id: None,
            is_error: false,
            echo: None,
        }
    }

    /// A system message.
    pub fn system(content: impl Into<String>) -> Self {
        Self::of_text(Role::System, content)
    }

    /// A user message.
    pub fn user(content: impl Into<String>) -> Self {
        Self::of_text(Role::User, content)
    }

    /// A user message made of parts: text, [`Image`](crate::Image)s, [`Pdf`](crate::Pdf)s
    /// and [`Audio`](crate::Audio), in order (see [`IntoParts`]).
    ///
    /// ```
    /// use instructor_core::{Image, Message};
    /// let image = Image::from_url("https://example.com/receipt.png")?;
    /// let message = Message::user_parts(("What is the total?", image));
    /// let json = serde_json::to_value(&message).unwrap();
    /// assert_eq!(json["content"][1]["image_url"]["url"], "https://example.com/receipt.png");
    /// # Ok::<(), instructor_core::Error>(())
    /// ```
    pub fn user_parts(parts: impl IntoParts) -> Self {
        Self {
            role: Role::User,
            content: Some(Content::Parts(parts.into_parts())),
            name: None,
            tool_calls: Vec::new(),
            tool_call_id: None,
            is_error: false,
            echo: None,
        }
    }

    /// An assistant message.
    pub fn assistant(content: impl Into<String>) -> Self {
        Self::of_text(Role::Assistant, content)
    }

    /// An assistant message that makes tool calls and says nothing else.
    pub fn assistant_tool_calls(calls: Vec<ToolCall>) -> Self {
        Self {
            role: Role::Assistant,
            content: None,
            name: None,
            tool_calls: calls,
            tool_call_id: None,
            is_error: false,
            echo: None,
        }
    }

    /// The message's text, when its content is text alone.
    pub fn text(&self) -> Option<&str> {
        self.content.as_ref().and_then(Content::as_text)
    }

    /// The answer to the tool call `tool_call_id`.
    pub fn tool(tool_call_id: impl Into<String>, content: impl Into<String>) -> Self {
        Self {
            role: Role::Tool,
            content: Some(Content::Text(content.into())),
            name: None,
            tool_calls: Vec::new(),
            tool_call_id: Some(tool_call_id.into()),
            is_error: false,
            echo: None,
        }
    }

    /// The answer to the tool call `tool_call_id` that says it failed, with why: what a
    /// re-ask sends after a tool call whose arguments did not parse or validate.
    pub fn tool_error(tool_call_id: impl Into<String>, content: impl Into<String>) -> Self {
        Self {
            is_error: true,
            ..Self::tool(tool_call_id, content)
        }
    }
}

/// A tool (function) call made by the model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolCall {
    /// The call's id, echoed by the `tool` message that answers it.
    #[serde(default, deserialize_with = "null_default")]
    pub id: String,
    /// Always `"function"` today.
    #[serde(
        rename = "type",
        default = "function_kind",
        deserialize_with = "null_function_kind"
    )]
    pub kind: String,
    /// Which function, with which arguments.
    pub function: FunctionCall,
}

fn function_kind() -> String {
    "function".to_owned()
}

fn null_function_kind<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(d)?.unwrap_or_else(function_kind))
}

/// The function a tool call names and its arguments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunctionCall {
    /// The function's name.
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    /// The arguments, as the JSON text the model wrote.
    #[serde(default, deserialize_with = "null_default")]
    pub arguments: String,
}

/// A chat-completions response.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
#[serde(default)]
pub struct ChatCompletion {
    /// The provider's id for the response.
    #[serde(default, deserialize_with = "null_default")]
    pub id: String,
    /// The model that answered (may differ from the one asked for).
    #[serde(default, deserialize_with = "null_default")]
    pub model: String,
    /// Unix time of creation.
    pub created: Option<u64>,
    /// The answers; the SDK reads the first.
    #[serde(default, deserialize_with = "null_default")]
    pub choices: Vec<Choice>,
    /// Tokens used by this request.
    pub usage: Option<Usage>,
    /// The backend configuration fingerprint, when the provider sends it.
    pub system_fingerprint: Option<String>,
}

/// One answer in a [`ChatCompletion`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
#[serde(default)]
pub struct Choice {
    /// Position among the choices.
    #[serde(default, deserialize_with = "null_default")]
    pub index: u32,
    /// The message the model wrote.
    #[serde(default, deserialize_with = "null_default")]
    pub message: ResponseMessage,
    /// Why generation stopped: `stop`, `length`, `tool_calls`, `content_filter`, ...
    pub finish_reason: Option<String>,
}

/// The message in a [`Choice`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
#[serde(default)]
pub struct ResponseMessage {
    /// Normally `assistant`.
    pub role: Option<String>,
    /// The text, if any.
    pub content: Option<String>,
    /// Set when the model refused to answer (OpenAI structured outputs).
    pub refusal: Option<String>,
    /// Tool calls, if any.
    #[serde(default, deserialize_with = "null_default")]
    pub tool_calls: Vec<ToolCall>,
    /// A reasoning model's thinking, where vLLM (before 0.12), SGLang, llama.cpp and DeepSeek
    /// put it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_content: Option<String>,
    /// A reasoning model's thinking, where newer vLLM, Ollama and OpenRouter put it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<String>,
    /// What the provider wants back unchanged with this message if the conversation goes on
    /// (thinking blocks with their signatures, reasoning items; see [`Echo`]). A re-ask puts
    /// it on the assistant message that echoes this reply. Never serialized.
    #[serde(skip)]
    pub echo: Option<Echo>,
}

impl ResponseMessage {
    /// The model's thinking, when the server returned it apart from the answer
    /// (`reasoning_content` or `reasoning`). Thinking written inside `content` as
    /// `<think>...</think>` stays in [`content`](Self::content); the SDK skips it when it
    /// reads the answer.
    pub fn thinking(&self) -> Option<&str> {
        self.reasoning_content
            .as_deref()
            .or(self.reasoning.as_deref())
            .filter(|t| !t.is_empty())
    }
}

/// Token counts. Adding two gives the total of both.
///
/// Read from OpenAI's `usage` (with `prompt_tokens_details.cached_tokens` and
/// `completion_tokens_details.reasoning_tokens`); the other providers' dialects map theirs
/// onto the same fields. The counts a provider does not report are zero. The detail counts
/// (cached, cache-written, reasoning) are `u32`, which keeps [`Error`](crate::Error) small;
/// adding saturates.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "UsageWire")]
pub struct Usage {
    /// Tokens in the prompt, cached ones included (OTel: `gen_ai.usage.input_tokens`).
    pub prompt_tokens: u64,
    /// Tokens in the answer, reasoning included (OTel: `gen_ai.usage.output_tokens`).
    pub completion_tokens: u64,
    /// Their sum, as reported.
    pub total_tokens: u64,
    /// Prompt tokens served from the provider's prompt cache (OpenAI
    /// `prompt_tokens_details.cached_tokens`, llama.cpp's `timings.cache_n` where its usage
    /// does not say them, Anthropic `cache_read_input_tokens`, Gemini
    /// `cachedContentTokenCount`).
    #[serde(skip_serializing_if = "is_zero")]
    pub cached_tokens: u32,
    /// Prompt tokens written to the provider's prompt cache (Anthropic
    /// `cache_creation_input_tokens`).
    #[serde(skip_serializing_if = "is_zero")]
    pub cache_creation_tokens: u32,
    /// Answer tokens spent thinking (OpenAI `completion_tokens_details.reasoning_tokens`,
    /// Gemini `thoughtsTokenCount`).
    #[serde(skip_serializing_if = "is_zero")]
    pub reasoning_tokens: u32,
}

impl Usage {
    /// Each count the larger of the two: what a stream has reported so far when each report
    /// holds the counts up to it.
    pub(crate) fn max(self, other: Usage) -> Usage {
        Usage {
            prompt_tokens: self.prompt_tokens.max(other.prompt_tokens),
            completion_tokens: self.completion_tokens.max(other.completion_tokens),
            total_tokens: self.total_tokens.max(other.total_tokens),
            cached_tokens: self.cached_tokens.max(other.cached_tokens),
            cache_creation_tokens: self.cache_creation_tokens.max(other.cache_creation_tokens),
            reasoning_tokens: self.reasoning_tokens.max(other.reasoning_tokens),
        }
    }
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// `Usage` as a body writes it: flat, or with OpenAI's details objects.
#[derive(Default, Deserialize)]
#[serde(default)]
struct UsageWire {
    #[serde(default, deserialize_with = "null_default")]
    prompt_tokens: u64,
    #[serde(default, deserialize_with = "null_default")]
    completion_tokens: u64,
    #[serde(default, deserialize_with = "null_default")]
    total_tokens: u64,
    #[serde(default, deserialize_with = "null_default")]
    cached_tokens: u32,
    #[serde(default, deserialize_with = "null_default")]
    cache_creation_tokens: u32,
    #[serde(default, deserialize_with = "null_default")]
    reasoning_tokens: u32,
    prompt_tokens_details: Option<TokenDetails>,
    completion_tokens_details: Option<TokenDetails>,
}

#[derive(Deserialize)]
struct TokenDetails {
    #[serde(default, deserialize_with = "null_default")]
    cached_tokens: u32,
    #[serde(default, deserialize_with = "null_default")]
    reasoning_tokens: u32,
}

impl From<UsageWire> for Usage {
    fn from(w: UsageWire) -> Self {
        Usage {
            prompt_tokens: w.prompt_tokens,
            completion_tokens: w.completion_tokens,
            total_tokens: w.total_tokens,
            cached_tokens: w
                .prompt_tokens_details
                .map_or(w.cached_tokens, |d| d.cached_tokens.max(w.cached_tokens)),
            cache_creation_tokens: w.cache_creation_tokens,
            reasoning_tokens: w.completion_tokens_details.map_or(w.reasoning_tokens, |d| {
                d.reasoning_tokens.max(w.reasoning_tokens)
            }),
        }
    }
}

impl Add for Usage {
    type Output = Usage;
    fn add(mut self, rhs: Usage) -> Usage {
        self += rhs;
        self
    }
}

impl AddAssign for Usage {
    fn add_assign(&mut self, rhs: Usage) {
        self.prompt_tokens += rhs.prompt_tokens;
        self.completion_tokens += rhs.completion_tokens;
        self.total_tokens += rhs.total_tokens;
        self.cached_tokens = self.cached_tokens.saturating_add(rhs.cached_tokens);
        self.cache_creation_tokens = self
            .cache_creation_tokens
            .saturating_add(rhs.cache_creation_tokens);
        self.reasoning_tokens = self.reasoning_tokens.saturating_add(rhs.reasoning_tokens);
    }
}

fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_with_nulls_parses() {
        let body = r#"{"id":null,"choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":null},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":null,"total_tokens":3}}"#;
        let c: ChatCompletion = serde_json::from_str(body).unwrap();
        assert_eq!(c.choices.len(), 1);
        assert!(c.choices[0].message.tool_calls.is_empty());
        assert_eq!(c.usage.unwrap().prompt_tokens, 3);
    }

    #[test]
    fn usage_reads_openai_details_and_writes_them_flat() {
        let u: Usage = serde_json::from_str(
            r#"{"prompt_tokens":100,"completion_tokens":20,"total_tokens":120,
                "prompt_tokens_details":{"cached_tokens":64,"audio_tokens":0},
                "completion_tokens_details":{"reasoning_tokens":12}}"#,
        )
        .unwrap();
        assert_eq!((u.cached_tokens, u.reasoning_tokens), (64, 12));
        let flat = serde_json::to_value(u).unwrap();
        assert_eq!(flat["cached_tokens"], 64);
        assert_eq!(serde_json::from_value::<Usage>(flat).unwrap(), u);
        let plain = Usage {
            prompt_tokens: 1,
            ..Usage::default()
        };
        assert_eq!(
            serde_json::to_string(&plain).unwrap(),
            r#"{"prompt_tokens":1,"completion_tokens":0,"total_tokens":0}"#
        );
    }

    #[test]
    fn usage_adds() {
        let a = Usage {
            prompt_tokens: 1,
            completion_tokens: 2,
            total_tokens: 3,
            cached_tokens: 1,
            ..Usage::default()
        };
        assert_eq!((a + a).total_tokens, 6);
        assert_eq!((a + a).cached_tokens, 2);
    }
}
