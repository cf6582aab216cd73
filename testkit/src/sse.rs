//! One builder for server-sent-event bodies, for every server: `body()` for wiremock,
//! `events()` (one write per event) for the fault and lockstep servers.

use serde_json::{json, Value};

/// The events of a chat-completion stream, in order.
#[derive(Debug, Clone, Default)]
pub struct Sse {
    events: Vec<Vec<u8>>,
}

/// `data: <v>` as one event.
pub fn event(v: &Value) -> Vec<u8> {
    format!("data: {v}\n\n").into_bytes()
}

/// One event carrying a content delta.
pub fn delta(text: &str) -> Vec<u8> {
    event(&json!({
        "id": "chatcmpl-s", "model": "test-model",
        "choices": [{ "index": 0, "delta": { "content": text }, "finish_reason": null }]
    }))
}

impl Sse {
    /// No events yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Any bytes as the next event (the caller writes the framing).
    pub fn raw(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.events.push(bytes.into());
        self
    }

    /// One content delta.
    pub fn delta(self, text: &str) -> Self {
        self.raw(delta(text))
    }

    /// `text` cut into content deltas of `n` characters.
    pub fn deltas(mut self, text: &str, n: usize) -> Self {
        let chars: Vec<char> = text.chars().collect();
        for piece in chars.chunks(n) {
            self = self.delta(&piece.iter().collect::<String>());
        }
        self
    }

    /// One delta of a tool call's arguments; the `first` carries the call's id and name.
    pub fn tool_args(self, name: &str, text: &str, first: bool) -> Self {
        let call = if first {
            json!({"index": 0, "id": "call_1", "type": "function", "function": {"name": name, "arguments": text}})
        } else {
            json!({"index": 0, "function": {"arguments": text}})
        };
        self.raw(event(
            &json!({"choices": [{"index": 0, "delta": {"tool_calls": [call]}}]}),
        ))
    }

    /// One delta of the call at `index` of several (parallel tool calls): with `name`, the
    /// first delta of that call (its id `call_<index>` and name), else a piece of its
    /// arguments.
    pub fn call(self, index: u32, name: Option<&str>, text: &str) -> Self {
        let call = match name {
            Some(name) => json!({"index": index, "id": format!("call_{index}"), "type": "function",
                                 "function": {"name": name, "arguments": text}}),
            None => json!({"index": index, "function": {"arguments": text}}),
        };
        self.raw(event(
            &json!({"choices": [{"index": 0, "delta": {"tool_calls": [call]}}]}),
        ))
    }

    /// The `finish_reason` event.
    pub fn finish(self, reason: &str) -> Self {
        self.raw(event(&json!({
            "id": "chatcmpl-s", "model": "test-model",
            "choices": [{ "index": 0, "delta": {}, "finish_reason": reason }]
        })))
    }

    /// The `finish_reason` event carrying the usage too (llama.cpp's form).
    pub fn finish_with_usage(self, reason: &str, usage: Value) -> Self {
        self.raw(event(&json!({
            "id": "chatcmpl-s", "model": "test-model",
            "choices": [{ "index": 0, "delta": {}, "finish_reason": reason }],
            "usage": usage
        })))
    }

    /// A usage event without choices (OpenAI's form with `include_usage`).
    pub fn usage(self, prompt: u64, completion: u64) -> Self {
        self.raw(event(&json!({
            "choices": [],
            "usage": super::replies::usage(prompt, completion)
        })))
    }

    /// The closing `data: [DONE]`.
    pub fn done(self) -> Self {
        self.raw(&b"data: [DONE]\n\n"[..])
    }

    /// The events one after another: a whole body.
    pub fn body(&self) -> Vec<u8> {
        self.events.concat()
    }

    /// Each event's bytes, to write one at a time.
    pub fn events(self) -> Vec<Vec<u8>> {
        self.events
    }
}
