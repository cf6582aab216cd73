//! Chat-completion bodies as a provider sends them (non-streaming; `sse` has the streamed
//! form).

use serde_json::{json, Value};

/// A `usage` object: `prompt` + `completion` tokens and their total.
pub fn usage(prompt: u64, completion: u64) -> Value {
    json!({ "prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion })
}

/// A completion whose answer is `content` (any JSON value: a string, `null`, an object...)
/// and whose `finish_reason` is `finish`.
pub fn completion(content: Value, finish: &str, usage: Value) -> Value {
    json!({
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "test-model",
        "choices": [{
            "index": 0,
            "message": { "role": "assistant", "content": content },
            "finish_reason": finish
        }],
        "usage": usage
    })
}

/// A finished completion whose answer is the text `content`.
pub fn content_reply(content: &str, usage: Value) -> Value {
    completion(Value::String(content.into()), "stop", usage)
}

/// A tools-mode completion with `calls` as `message.tool_calls`.
pub fn tool_calls_reply(calls: Value, usage: Value) -> Value {
    json!({
        "id": "chatcmpl-2",
        "object": "chat.completion",
        "model": "test-model",
        "choices": [{
            "index": 0,
            "message": { "role": "assistant", "content": null, "tool_calls": calls },
            "finish_reason": "tool_calls"
        }],
        "usage": usage
    })
}

/// `tool_calls` holding one call of `name` with `arguments` (any JSON value: a string as
/// providers send, or a wrong shape).
pub fn tool_call(name: &str, arguments: Value) -> Value {
    json!([{ "id": "call_abc", "type": "function", "function": { "name": name, "arguments": arguments } }])
}

/// A completion whose answer is a call of `name` with the argument text `arguments`.
pub fn tool_reply(name: &str, arguments: &str, usage: Value) -> Value {
    tool_calls_reply(tool_call(name, Value::String(arguments.into())), usage)
}
