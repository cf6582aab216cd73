//! Shared pieces of the client integration tests: hand-written `Instructor` types, a client
//! pointed at a wiremock server, and canned chat-completion bodies.
#![allow(dead_code)]

use std::borrow::Cow;
use std::time::Duration;

use instructor::{Client, Instructor, RetryPolicy, SchemaGenerator, ValidationErrors};
use serde::Deserialize;
use serde_json::{json, Value};
use wiremock::MockServer;

pub const KEY: &str = "sk-test-SECRET-4242";

/// A person mentioned in the text.
#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize)]
pub struct UserDetails {
    pub name: String,
    pub age: u8,
    #[serde(default)]
    pub nickname: Option<String>,
}

impl Instructor for UserDetails {
    type Partial = Value;
    type Context = ();
    fn schema_name() -> Cow<'static, str> {
        Cow::Borrowed("UserDetails")
    }
    fn description() -> Option<&'static str> {
        Some("A person mentioned in the text.")
    }
    fn schema(_: &mut SchemaGenerator) -> Value {
        json!({
            "title": "UserDetails",
            "description": "A person mentioned in the text.",
            "type": "object",
            "properties": {
                "name": { "type": "string", "minLength": 1 },
                "age": { "type": "integer", "minimum": 0, "maximum": 120 },
                "nickname": { "type": ["string", "null"] }
            },
            "required": ["name", "age"]
        })
    }
    fn partial_from_value(value: Value) -> Option<Value> {
        Some(value)
    }
    fn validate_with(&self, _: &()) -> Result<(), ValidationErrors> {
        let mut e = ValidationErrors::new();
        if self.name.is_empty() {
            e.add("name", "length is lower than 1");
        }
        if self.age > 120 {
            e.add("age", "greater than 120");
        }
        e.into_result()
    }
}

/// The root schema as `json_schema()` builds it (with `$schema`).
pub fn user_schema() -> Value {
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "UserDetails",
        "description": "A person mentioned in the text.",
        "type": "object",
        "properties": {
            "name": { "type": "string", "minLength": 1 },
            "age": { "type": "integer", "minimum": 0, "maximum": 120 },
            "nickname": { "type": ["string", "null"] }
        },
        "required": ["name", "age"]
    })
}

/// The limit a [`Bounded`] value is checked against: a context without `Default`.
pub struct Limits {
    pub max: u32,
}

#[derive(Debug, Deserialize)]
pub struct Bounded {
    pub value: u32,
}

impl Instructor for Bounded {
    type Partial = Value;
    type Context = Limits;
    fn schema_name() -> Cow<'static, str> {
        Cow::Borrowed("Bounded")
    }
    fn schema(_: &mut SchemaGenerator) -> Value {
        json!({ "type": "object", "properties": { "value": { "type": "integer" } }, "required": ["value"] })
    }
    fn partial_from_value(value: Value) -> Option<Value> {
        Some(value)
    }
    fn validate_with(&self, ctx: &Limits) -> Result<(), ValidationErrors> {
        let mut e = ValidationErrors::new();
        if self.value > ctx.max {
            e.add("value", format!("must be at most {}", ctx.max));
        }
        e.into_result()
    }
}

pub fn base(server: &MockServer) -> String {
    format!("{}/v1", server.uri())
}

/// Fast transport retries, so tests that exercise them take milliseconds.
pub fn fast_retries() -> RetryPolicy {
    RetryPolicy::default().with_delays(Duration::from_millis(1), Duration::from_millis(2))
}

pub fn client(server: &MockServer) -> Client {
    Client::builder()
        .base_url(base(server))
        .api_key(KEY)
        .default_model("test-model")
        .retry_policy(fast_retries())
        .build()
        .unwrap()
}

pub fn usage(p: u64, c: u64) -> Value {
    json!({ "prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c })
}

/// A completion whose answer is `content`.
pub fn content_reply(content: &str, usage_v: Value) -> Value {
    json!({
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "test-model",
        "choices": [{
            "index": 0,
            "message": { "role": "assistant", "content": content },
            "finish_reason": "stop"
        }],
        "usage": usage_v
    })
}

/// A completion whose answer is a call of `name` with `arguments`.
pub fn tool_reply(name: &str, arguments: &str, usage_v: Value) -> Value {
    json!({
        "id": "chatcmpl-2",
        "object": "chat.completion",
        "model": "test-model",
        "choices": [{
            "index": 0,
            "message": {
                "role": "assistant",
                "content": null,
                "tool_calls": [{
                    "id": "call_abc",
                    "type": "function",
                    "function": { "name": name, "arguments": arguments }
                }]
            },
            "finish_reason": "tool_calls"
        }],
        "usage": usage_v
    })
}

/// The JSON bodies of every request the server received.
pub async fn bodies(server: &MockServer) -> Vec<Value> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.body_json::<Value>().unwrap())
        .collect()
}
