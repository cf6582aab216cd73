//! OpenAI chat completions (`POST {base}/chat/completions`), the dialect of OpenAI's chat
//! endpoint and of every OpenAI-compatible server: vLLM, SGLang, llama.cpp, Ollama, LM Studio,
//! Together, Groq, Fireworks. The neutral conversation is already in its shape, so encoding
//! is writing it out with the mode's pieces; a reply is read as it is.
//!
//! Sources: OpenAI's API reference (Chat, "Create chat completion" and "The chat completion
//! chunk object"); the servers' quirks are in [`Server`](crate::Server).

use std::sync::OnceLock;

use reqwest::header::{HeaderName, HeaderValue, AUTHORIZATION};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::Value;

use crate::input::Content;
use crate::mode::Mode;
use crate::provider::{
    error_message, key_header, push_names, read_event, skip_none, Delta, Dialect, ErrorFields,
    Outgoing,
};
use crate::server::MaxTokensField;
use crate::wire::{ChatCompletion, Message, Usage};

/// The chat-completions dialect.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OpenAiChat;

impl Dialect for OpenAiChat {
    fn name(&self) -> &'static str {
        "openai"
    }

    fn path(&self) -> &'static str {
        "/chat/completions"
    }

    fn auth(&self, key: &str) -> Result<(HeaderName, HeaderValue), String> {
        key_header(AUTHORIZATION, &format!("Bearer {key}"))
    }

    fn encode(&self, request: &Outgoing<'_>) -> Result<Vec<u8>, String> {
        Ok(body(request))
    }

    fn decode(&self, body: &str) -> Result<ChatCompletion, String> {
        let mut completion: ChatCompletion =
            serde_json::from_str(body).map_err(|e| e.to_string())?;
        // llama.cpp builds that predate `prompt_tokens_details` say the cached prompt tokens
        // only in `timings.cache_n`: read it there when the usage does not say them (a second
        // parse, only for a body that has the key).
        if let Some(usage) = completion.usage.as_mut() {
            if usage.cached_tokens == 0 && body.contains("\"cache_n\"") {
                if let Ok(t) = serde_json::from_str::<WithTimings>(body) {
                    usage.cached_tokens = t.timings.map_or(0, |t| t.cached());
                }
            }
        }
        Ok(completion)
    }

    fn decode_event(&self, event: &str, data: &str, out: &mut Vec<Delta>) -> Result<(), String> {
        if data == "[DONE]" {
            out.push(Delta::Done);
            return Ok(());
        }
        if event == "error" {
            return Err(serde_json::from_str::<Value>(data)
                .map(|v| error_message(v.get("error").unwrap_or(&v)))
                .unwrap_or_else(|_| data.to_owned()));
        }
        let chunk: StreamChunk = read_event(data, "a chat-completion chunk")?;
        if let Some(error) = &chunk.error {
            return Err(error_message(error));
        }
        push_names(out, chunk.id, chunk.model);
        if let Some(mut usage) = chunk.usage {
            if usage.cached_tokens == 0 {
                usage.cached_tokens = chunk.timings.map_or(0, |t| t.cached());
            }
            out.push(Delta::Usage(usage));
        }
        // The SDK reads the first choice.
        for choice in chunk.choices.into_iter().flatten().take(1) {
            if let Some(delta) = choice.delta {
                if let Some(r) = delta.refusal {
                    out.push(Delta::Refusal(r));
                }
                for thought in [delta.reasoning_content, delta.reasoning]
                    .into_iter()
                    .flatten()
                {
                    out.push(Delta::Thinking(thought));
                }
                if let Some(text) = delta.content {
                    out.push(Delta::Text(text));
                }
                for call in delta.tool_calls.into_iter().flatten() {
                    let (name, arguments) = match call.function {
                        Some(f) => (f.name, f.arguments),
                        None => (None, None),
                    };
                    out.push(Delta::Call {
                        index: call.index.unwrap_or(0),
                        id: call.id,
                        name,
                        arguments,
                    });
                }
            }
            // After the chunk's calls: a finish reason closes the last of them.
            if let Some(reason) = choice.finish_reason {
                out.push(Delta::Finish(reason));
            }
        }
        Ok(())
    }

    fn error_fields(&self, body: &str) -> ErrorFields {
        let (message, kind, code) = parse_api_error(body);
        ErrorFields {
            message,
            kind,
            code,
        }
    }
}

/// The JSON body of one request.
fn body(request: &Outgoing<'_>) -> Vec<u8> {
    let Outgoing {
        model,
        options,
        spec,
        messages,
        target,
        ..
    } = *request;
    let limit = request.max_tokens();
    let (max_tokens, max_completion_tokens) = match target.server.max_tokens_field() {
        MaxTokensField::MaxTokens => (limit, None),
        MaxTokensField::MaxCompletionTokens => (None, limit),
    };
    let tool_choice = match spec.tool_choice.as_deref() {
        Some(_) if target.server.forces_tools_with_required() => Some(required()),
        other => other,
    };
    let body = ChatRequest {
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
        stream: request.stream(),
        stream_options: request.stream().map(|_| include_usage()),
    };
    if !target.extra.is_empty() || !options.extra.is_empty() {
        return request
            .json(&body)
            .expect("a chat request always serializes");
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
    let mut out = Vec::with_capacity(size);
    serde_json::to_writer(&mut out, &body).expect("a chat request always serializes");
    out
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

skip_none! {
    /// The body of a chat-completions request. Borrowed, so that re-asks and transport retries
    /// do not copy the schema; the per-type pieces arrive already serialized.
    #[derive(Debug, Serialize)]
    struct ChatRequest<'a> {
        model: &'a str,
        messages: &'a [Message],
        temperature: Option<f64>,
        max_tokens: Option<u32>,
        max_completion_tokens: Option<u32>,
        seed: Option<u64>,
        response_format: Option<&'a RawValue>,
        tools: Option<&'a RawValue>,
        tool_choice: Option<&'a RawValue>,
        parallel_tool_calls: Option<bool>,
        stream: Option<bool>,
        stream_options: Option<&'a RawValue>,
    }
}

/// An error body: OpenAI's `{"error": {"message", "type", "code"}}`, a bare
/// `{"error": "text"}`, `{"message": ..}` or FastAPI's `{"detail": ..}`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ApiErrorBody {
    error: Option<ApiErrorField>,
    message: Option<String>,
    detail: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum ApiErrorField {
    Text(String),
    Detail {
        #[serde(default)]
        message: Option<String>,
        #[serde(default, rename = "type")]
        kind: Option<String>,
        #[serde(default)]
        code: Option<Value>,
    },
}

/// What an error body says: `(message, type, code)`.
fn parse_api_error(body: &str) -> (Option<String>, Option<String>, Option<String>) {
    let Ok(parsed) = serde_json::from_str::<ApiErrorBody>(body) else {
        return (None, None, None);
    };
    match parsed.error {
        Some(ApiErrorField::Text(t)) => (Some(t), None, None),
        Some(ApiErrorField::Detail {
            message,
            kind,
            code,
        }) => {
            let code = code.and_then(|c| match c {
                Value::String(s) => Some(s),
                Value::Null => None,
                other => Some(other.to_string()),
            });
            (message.or(parsed.message), kind, code)
        }
        None => {
            let detail = parsed.detail.map(|d| match d {
                Value::String(s) => s,
                other => other.to_string(),
            });
            (parsed.message.or(detail), None, None)
        }
    }
}

/// One chunk of a streamed chat completion.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct StreamChunk {
    id: Option<String>,
    model: Option<String>,
    choices: Option<Vec<ChunkChoice>>,
    usage: Option<Usage>,
    /// llama.cpp's timings, sent with the last chunk.
    timings: Option<Timings>,
    error: Option<Value>,
}

/// A body's llama.cpp `timings`, for its cached prompt tokens.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct WithTimings {
    timings: Option<Timings>,
}

/// llama.cpp's `timings`: `cache_n` is the prompt tokens served from the slot's cache. Read
/// leniently (any JSON value): a field the SDK only reports on never fails a reply.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Timings {
    cache_n: Value,
}

impl Timings {
    /// `cache_n` when it is a count that fits.
    fn cached(&self) -> u32 {
        self.cache_n
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(0)
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ChunkChoice {
    delta: Option<ChunkDelta>,
    finish_reason: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ChunkDelta {
    content: Option<String>,
    reasoning_content: Option<String>,
    reasoning: Option<String>,
    refusal: Option<String>,
    tool_calls: Option<Vec<ToolCallDelta>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ToolCallDelta {
    index: Option<u32>,
    id: Option<String>,
    function: Option<FunctionDelta>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct FunctionDelta {
    name: Option<String>,
    arguments: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::test_support::assert_not_an_event;

    #[test]
    fn error_bodies() {
        let (m, k, c) = parse_api_error(
            r#"{"error":{"message":"bad model","type":"invalid_request_error","code":"model_not_found"}}"#,
        );
        assert_eq!(m.as_deref(), Some("bad model"));
        assert_eq!(k.as_deref(), Some("invalid_request_error"));
        assert_eq!(c.as_deref(), Some("model_not_found"));
        assert_eq!(
            parse_api_error(r#"{"error":"nope"}"#).0.as_deref(),
            Some("nope")
        );
        assert_eq!(
            parse_api_error(r#"{"detail":"missing"}"#).0.as_deref(),
            Some("missing")
        );
        assert_eq!(parse_api_error("<html>").0, None);
    }

    fn deltas(event: &str, data: &str) -> Result<Vec<Delta>, String> {
        let mut out = Vec::new();
        OpenAiChat.decode_event(event, data, &mut out).map(|()| out)
    }

    #[test]
    fn a_chunk_becomes_deltas_in_order() {
        let d = deltas(
            "",
            r#"{"id":"c1","model":"m","choices":[{"delta":{"content":"{\"a\"","tool_calls":[{"index":1,"id":"t","function":{"name":"f","arguments":"{"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":2,"completion_tokens":1,"total_tokens":3}}"#,
        )
        .unwrap();
        assert_eq!(d[0], Delta::Id("c1".into()));
        assert_eq!(d[1], Delta::Model("m".into()));
        assert!(matches!(d[2], Delta::Usage(u) if u.total_tokens == 3));
        assert_eq!(d[3], Delta::Text("{\"a\"".into()));
        assert_eq!(
            d[4],
            Delta::Call {
                index: 1,
                id: Some("t".into()),
                name: Some("f".into()),
                arguments: Some("{".into())
            }
        );
        assert_eq!(d[5], Delta::Finish("tool_calls".into()));
        assert_eq!(deltas("", "[DONE]").unwrap(), [Delta::Done]);
    }

    #[test]
    fn llama_cpp_cache_n_is_read_when_the_usage_has_no_cached_tokens() {
        let usage = |body: &str| OpenAiChat.decode(body).unwrap().usage.unwrap();
        let old = r#"{"choices":[],"usage":{"prompt_tokens":109,"completion_tokens":9,"total_tokens":118},"timings":{"cache_n":96,"prompt_n":13}}"#;
        assert_eq!(usage(old).cached_tokens, 96);
        // The usage's own count wins; a cache_n that is no count is ignored, not an error.
        let new = r#"{"choices":[],"usage":{"prompt_tokens":109,"completion_tokens":9,"total_tokens":118,"prompt_tokens_details":{"cached_tokens":95}},"timings":{"cache_n":96}}"#;
        assert_eq!(usage(new).cached_tokens, 95);
        let odd = r#"{"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2},"timings":{"cache_n":-1}}"#;
        assert_eq!(usage(odd).cached_tokens, 0);
        let streamed = deltas(
            "",
            r#"{"choices":[],"usage":{"prompt_tokens":109,"completion_tokens":9,"total_tokens":118},"timings":{"cache_n":96}}"#,
        )
        .unwrap();
        assert!(
            matches!(&streamed[..], [Delta::Usage(u)] if u.cached_tokens == 96),
            "{streamed:?}"
        );
    }

    #[test]
    fn errors_in_a_stream() {
        assert_eq!(
            deltas("error", r#"{"error":{"message":"overloaded"}}"#).unwrap_err(),
            "overloaded"
        );
        assert_eq!(deltas("", r#"{"error":"gone"}"#).unwrap_err(), "gone");
        assert_not_an_event(&OpenAiChat, "a chat-completion chunk");
    }
}
