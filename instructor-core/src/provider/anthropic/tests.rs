//! The Anthropic dialect's unit tests: each mode's exact body, a re-ask's encoding, each
//! reply kind, every stream event, error bodies and the retry rule.

use std::borrow::Cow;

use serde_json::{json, Map, Value};

use super::*;
use crate::input::AudioFormat;
use crate::mode::{spec_for, Mode};
use crate::provider::{Options, Target};
use crate::schema::SchemaGenerator;
use crate::server::Server;
use crate::validation::{JsonPath, ValidationErrors};
use crate::{Audio, Image, Instructor, Pdf, Prompting};

/// A small type: a name with a minimum length and a bounded age.
#[derive(Debug, serde::Deserialize)]
struct Person;

impl Instructor for Person {
    type Partial = Value;
    type Context = ();
    fn schema_name() -> Cow<'static, str> {
        "Person".into()
    }
    fn description() -> Option<&'static str> {
        Some("A person.")
    }
    fn schema(_: &mut SchemaGenerator) -> Value {
        json!({
            "type": "object",
            "properties": {
                "name": { "type": "string", "minLength": 1 },
                "age": { "type": "integer", "minimum": 0, "maximum": 120 }
            },
            "required": ["name", "age"]
        })
    }
    fn partial_from_value(value: Value) -> Option<Value> {
        Some(value)
    }
    fn validate_at(&self, _: &mut JsonPath, _: &mut ValidationErrors, _: bool) {}
}

/// A recursive type.
#[derive(Debug, serde::Deserialize)]
struct Node;

impl Instructor for Node {
    type Partial = Value;
    type Context = ();
    fn schema_name() -> Cow<'static, str> {
        "Node".into()
    }
    fn schema(_: &mut SchemaGenerator) -> Value {
        json!({
            "$ref": "#/$defs/Node",
            "$defs": { "Node": { "type": "object", "properties": {
                "children": { "type": "array", "items": { "$ref": "#/$defs/Node" } } },
                "required": ["children"] } }
        })
    }
    fn partial_from_value(value: Value) -> Option<Value> {
        Some(value)
    }
    fn validate_at(&self, _: &mut JsonPath, _: &mut ValidationErrors, _: bool) {}
}

/// A list of tools (parallel tools mode).
#[derive(Debug, serde::Deserialize)]
struct Actions;

impl Instructor for Actions {
    type Partial = Value;
    type Context = ();
    fn schema_name() -> Cow<'static, str> {
        "Actions".into()
    }
    fn schema(_: &mut SchemaGenerator) -> Value {
        json!({
            "type": "array",
            "items": { "oneOf": [
                { "type": "object", "properties": { "Weather": {
                    "description": "Look up the weather.",
                    "type": "object",
                    "properties": { "city": { "type": "string" } },
                    "required": ["city"]
                } }, "required": ["Weather"], "additionalProperties": false },
                { "type": "object", "properties": { "Search": {
                    "type": "object",
                    "properties": { "q": { "type": "string" } },
                    "required": ["q"]
                } }, "required": ["Search"], "additionalProperties": false }
            ] }
        })
    }
    fn partial_from_value(value: Value) -> Option<Value> {
        Some(value)
    }
    fn validate_at(&self, _: &mut JsonPath, _: &mut ValidationErrors, _: bool) {}
}

fn options() -> Options {
    Options {
        temperature: Some(0.0),
        max_tokens: None,
        seed: Some(42),
        extra: Map::new(),
    }
}

/// The body sent for `messages` with `spec`, as JSON.
fn sent(spec: &ModeSpec, messages: &[Message], delivery: Delivery) -> Result<Value, String> {
    let extra = Map::new();
    let options = options();
    let body = Anthropic.encode(&Outgoing {
        model: "claude-x",
        options: &options,
        spec,
        messages,
        delivery,
        target: Target {
            server: Server::default(),
            max_tokens: Some(1000),
            extra: &extra,
        },
    })?;
    Ok(serde_json::from_slice(&body).unwrap())
}

fn user_turn() -> Value {
    json!({ "role": "user", "content": [{ "type": "text", "text": "Jason is 20" }] })
}

/// The exact body of each mode for a small schema: `system` apart, `max_tokens` always,
/// no `seed`, and the mode's pieces in Anthropic's shape.
#[test]
fn each_mode_writes_its_exact_body() {
    let messages = [Message::system("Extract."), Message::user("Jason is 20")];
    let spec = spec_for::<Person>(Mode::Tools, Prompting::Plain);
    assert_eq!(
        sent(spec, &messages, Delivery::Whole).unwrap(),
        json!({
            "model": "claude-x",
            "max_tokens": 1000,
            "system": "Extract.",
            "messages": [user_turn()],
            "temperature": 0.0,
            "tools": [{
                "name": "Person",
                "description": "A person.",
                "input_schema": {
                    "type": "object",
                    "properties": {
                        "name": { "type": "string", "minLength": 1 },
                        "age": { "type": "integer", "minimum": 0, "maximum": 120 }
                    },
                    "required": ["name", "age"]
                }
            }],
            "tool_choice": { "type": "tool", "name": "Person" }
        })
    );

    let spec = spec_for::<Person>(Mode::JsonSchema, Prompting::Plain);
    assert_eq!(
        sent(spec, &messages, Delivery::Stream).unwrap(),
        json!({
            "model": "claude-x",
            "max_tokens": 1000,
            "system": "Extract.",
            "messages": [user_turn()],
            "temperature": 0.0,
            "output_config": { "format": { "type": "json_schema", "schema": {
                "type": "object",
                "properties": {
                    "name": { "type": "string", "description": "minLength: 1." },
                    "age": { "type": "integer", "description": "maximum: 120. minimum: 0." }
                },
                "required": ["name", "age"],
                "additionalProperties": false
            } } },
            "stream": true
        })
    );

    let strict = sent(
        spec_for::<Person>(Mode::JsonSchemaStrict, Prompting::Plain),
        &messages,
        Delivery::Whole,
    )
    .unwrap();
    let schema = &strict["output_config"]["format"]["schema"];
    assert_eq!(schema["additionalProperties"], false);
    assert_eq!(schema["properties"]["name"]["description"], "minLength: 1.");
    assert!(strict.get("tools").is_none() && strict.get("response_format").is_none());

    let parallel = sent(
        spec_for::<Actions>(Mode::ParallelTools, Prompting::Plain),
        &messages,
        Delivery::Whole,
    )
    .unwrap();
    assert_eq!(
        parallel["tools"],
        json!([
            { "name": "Weather", "description": "Look up the weather.", "input_schema": {
                "type": "object", "properties": { "city": { "type": "string" } }, "required": ["city"] } },
            { "name": "Search", "input_schema": {
                "type": "object", "properties": { "q": { "type": "string" } }, "required": ["q"] } }
        ])
    );
    assert_eq!(parallel["tool_choice"], json!({ "type": "any" }));

    // Json and MdJson: the schema is in the system prompt, nothing else is added.
    for mode in [Mode::Json, Mode::MdJson] {
        let spec = spec_for::<Person>(mode, Prompting::Plain);
        let body = sent(spec, &messages, Delivery::Whole).unwrap();
        let keys: Vec<&str> = body
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys.len(), 5, "{mode:?}: {keys:?}");
        for k in ["model", "max_tokens", "system", "messages", "temperature"] {
            assert!(keys.contains(&k), "{mode:?}: {keys:?}");
        }
    }
}

#[test]
fn refused_modes_and_schemas_name_what_to_use() {
    let spec = spec_for::<Person>(Mode::JsonObjectSchema, Prompting::Plain);
    let e = Anthropic.check(spec).unwrap_err();
    assert!(e.contains("Anthropic") && e.contains("Mode::Tools"), "{e}");
    assert_eq!(
        sent(spec, &[Message::user("x")], Delivery::Whole).unwrap_err(),
        e
    );

    let e = Anthropic
        .check(spec_for::<Node>(Mode::JsonSchema, Prompting::Plain))
        .unwrap_err();
    assert!(e.contains("`Node` is recursive"), "{e}");
    // A tool's input_schema may be recursive.
    assert!(Anthropic
        .check(spec_for::<Node>(Mode::Tools, Prompting::Plain))
        .is_ok());
    assert!(Anthropic
        .check(spec_for::<Person>(Mode::JsonSchema, Prompting::Plain))
        .is_ok());
}

#[test]
fn the_client_limit_or_the_default_is_always_sent() {
    let spec = spec_for::<Person>(Mode::Json, Prompting::Plain);
    let extra = Map::new();
    let mut options = options();
    let body = |options: &Options, max: Option<u32>| {
        let b = Anthropic
            .encode(&Outgoing {
                model: "m",
                options,
                spec,
                messages: &[Message::user("x")],
                delivery: Delivery::Whole,
                target: Target {
                    server: Server::default(),
                    max_tokens: max,
                    extra: &extra,
                },
            })
            .unwrap();
        serde_json::from_slice::<Value>(&b).unwrap()
    };
    assert_eq!(body(&options, None)["max_tokens"], DEFAULT_MAX_TOKENS);
    options.max_tokens = Some(7);
    assert_eq!(body(&options, Some(100))["max_tokens"], 7);
    assert!(body(&options, None).get("seed").is_none());
    options.extra.insert("top_k".into(), json!(5));
    assert_eq!(body(&options, None)["top_k"], 5);
}

/// A tools-mode re-ask: the assistant's call as `tool_use`, the failed result as a
/// `tool_result` with `is_error`, before any text of the same user turn; system and
/// developer messages joined; same-role turns merged.
#[test]
fn a_reask_conversation_is_encoded_as_anthropic_turns() {
    let call = ToolCall {
        id: "toolu_1".into(),
        kind: "function".into(),
        function: FunctionCall {
            name: "Person".into(),
            arguments: r#"{"name":"","age":20}"#.into(),
        },
    };
    let broken = ToolCall {
        id: "toolu_2".into(),
        kind: "function".into(),
        function: FunctionCall {
            name: "Person".into(),
            arguments: r#"{"name":"Ja"#.into(),
        },
    };
    let messages = [
        Message::system("Extract."),
        Message::user("Jason is 20"),
        Message {
            role: Role::Developer,
            ..Message::system("Be exact.")
        },
        Message {
            content: Some(Content::Text("Let me call it.".into())),
            ..Message::assistant_tool_calls(vec![call, broken])
        },
        Message::user("Please fix it."),
        Message::tool_error("toolu_1", "name: must not be empty"),
        Message::tool("toolu_2", "No error found in this call."),
    ];
    let spec = spec_for::<Person>(Mode::Tools, Prompting::Plain);
    let body = sent(spec, &messages, Delivery::Whole).unwrap();
    assert_eq!(body["system"], "Extract.\n\nBe exact.");
    assert_eq!(
        body["messages"],
        json!([
            user_turn(),
            { "role": "assistant", "content": [
                { "type": "text", "text": "Let me call it." },
                { "type": "tool_use", "id": "toolu_1", "name": "Person",
                  "input": { "name": "", "age": 20 } },
                { "type": "tool_use", "id": "toolu_2", "name": "Person",
                  "input": { "invalid_arguments": "{\"name\":\"Ja" } }
            ] },
            { "role": "user", "content": [
                { "type": "tool_result", "tool_use_id": "toolu_1",
                  "content": "name: must not be empty", "is_error": true },
                { "type": "tool_result", "tool_use_id": "toolu_2",
                  "content": "No error found in this call." },
                { "type": "text", "text": "Please fix it." }
            ] }
        ])
    );
}

#[test]
fn images_and_pdfs_are_blocks_and_audio_is_refused() {
    let image = Image::from_url("https://example.com/a.png").unwrap();
    let inline = Image::from_bytes(b"\x89PNG\r\n\x1a\n....", "image/png").unwrap();
    let pdf = Pdf::from_bytes(b"%PDF-1.4 tiny").unwrap();
    let m = Message::user_parts(("Read these.", image, inline, pdf));
    let spec = spec_for::<Person>(Mode::Json, Prompting::Plain);
    let body = sent(spec, &[m], Delivery::Whole).unwrap();
    let blocks = &body["messages"][0]["content"];
    assert_eq!(blocks[0], json!({ "type": "text", "text": "Read these." }));
    assert_eq!(
        blocks[1],
        json!({ "type": "image", "source": { "type": "url", "url": "https://example.com/a.png" } })
    );
    assert_eq!(blocks[2]["source"]["type"], "base64");
    assert_eq!(blocks[2]["source"]["media_type"], "image/png");
    assert_eq!(blocks[3]["type"], "document");
    assert_eq!(blocks[3]["source"]["media_type"], "application/pdf");
    assert!(!blocks[3]["source"]["data"].as_str().unwrap().contains(','));

    let audio = Audio::from_bytes(b"RIFF....WAVEfmt ", AudioFormat::Wav).unwrap();
    let e = sent(
        spec,
        &[Message::user_parts(("Hear.", audio))],
        Delivery::Whole,
    )
    .unwrap_err();
    assert!(e.contains("no audio"), "{e}");
}

fn decoded(body: Value) -> ChatCompletion {
    Anthropic.decode(&body.to_string()).unwrap()
}

#[test]
fn replies_decode_to_the_neutral_completion() {
    // Text, with usage from all three input counts.
    let c = decoded(json!({
        "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-x",
        "content": [{ "type": "text", "text": "{\"name\":" }, { "type": "text", "text": "\"J\"}" }],
        "stop_reason": "end_turn", "stop_sequence": null,
        "usage": { "input_tokens": 10, "cache_creation_input_tokens": 5,
                   "cache_read_input_tokens": 100, "output_tokens": 7 }
    }));
    assert_eq!((c.id.as_str(), c.model.as_str()), ("msg_1", "claude-x"));
    let choice = &c.choices[0];
    assert_eq!(choice.message.content.as_deref(), Some("{\"name\":\"J\"}"));
    assert_eq!(choice.finish_reason.as_deref(), Some("stop"));
    assert_eq!(
        c.usage.unwrap(),
        Usage {
            prompt_tokens: 115,
            completion_tokens: 7,
            total_tokens: 122,
            cached_tokens: 100,
            cache_creation_tokens: 5,
            reasoning_tokens: 0,
        }
    );

    // Thinking, then a tool call.
    let c = decoded(json!({
        "id": "msg_2", "model": "claude-x",
        "content": [
            { "type": "thinking", "thinking": "The user wants...", "signature": "sig" },
            { "type": "redacted_thinking", "data": "xyz" },
            { "type": "tool_use", "id": "toolu_1", "name": "Person",
              "input": { "name": "Jason", "age": 20 } }
        ],
        "stop_reason": "tool_use", "usage": { "input_tokens": 3, "output_tokens": 4 }
    }));
    let m = &c.choices[0].message;
    assert_eq!(m.reasoning_content.as_deref(), Some("The user wants..."));
    assert_eq!(m.content, None);
    assert_eq!(m.tool_calls[0].id, "toolu_1");
    assert_eq!(m.tool_calls[0].function.name, "Person");
    assert_eq!(
        serde_json::from_str::<Value>(&m.tool_calls[0].function.arguments).unwrap(),
        json!({ "name": "Jason", "age": 20 })
    );
    assert_eq!(c.choices[0].finish_reason.as_deref(), Some("tool_calls"));

    // A refusal.
    let c = decoded(json!({
        "id": "msg_3", "content": [], "stop_reason": "refusal",
        "stop_details": { "type": "refusal", "category": "cyber",
                          "explanation": "This request was declined." },
        "usage": { "input_tokens": 412, "output_tokens": 0 }
    }));
    assert_eq!(
        c.choices[0].message.refusal.as_deref(),
        Some("This request was declined.")
    );
    let c = decoded(json!({ "content": [], "stop_reason": "refusal", "stop_details": null }));
    assert!(c.choices[0]
        .message
        .refusal
        .as_deref()
        .unwrap()
        .contains("declined"));

    // Cut at the token limit.
    let c = decoded(json!({
        "content": [{ "type": "text", "text": "{\"name\": \"Ja" }], "stop_reason": "max_tokens"
    }));
    assert_eq!(c.choices[0].finish_reason.as_deref(), Some("length"));

    // llama.cpp's usage (no cache_creation count).
    let c = decoded(json!({
        "content": [], "stop_reason": "end_turn",
        "usage": { "cache_read_input_tokens": 1, "input_tokens": 27, "output_tokens": 128 }
    }));
    assert_eq!(c.usage.unwrap().prompt_tokens, 28);

    // An error body sent with a 200.
    assert_eq!(
        Anthropic
            .decode(r#"{"type":"error","error":{"type":"api_error","message":"boom"}}"#)
            .unwrap_err(),
        "boom"
    );
}

fn deltas(event: &str, data: &Value) -> Result<Vec<Delta>, String> {
    let mut out = Vec::new();
    Anthropic
        .decode_event(event, &data.to_string(), &mut out)
        .map(|()| out)
}

#[test]
fn every_stream_event_becomes_its_deltas() {
    let d = deltas(
        "message_start",
        &json!({ "type": "message_start", "message": { "id": "msg_1", "type": "message",
            "role": "assistant", "content": [], "model": "claude-x", "stop_reason": null,
            "usage": { "input_tokens": 25, "cache_read_input_tokens": 5, "output_tokens": 1 } } }),
    )
    .unwrap();
    assert_eq!(d[0], Delta::Id("msg_1".into()));
    assert_eq!(d[1], Delta::Model("claude-x".into()));
    assert!(matches!(d[2], Delta::Usage(u) if u.prompt_tokens == 30 && u.cached_tokens == 5));

    let start = |block: Value| {
        deltas(
            "content_block_start",
            &json!({ "type": "content_block_start", "index": 1, "content_block": block }),
        )
        .unwrap()
    };
    assert_eq!(
        start(json!({ "type": "tool_use", "id": "toolu_1", "name": "Person", "input": {} })),
        [Delta::Call {
            index: 1,
            id: Some("toolu_1".into()),
            name: Some("Person".into()),
            arguments: None
        }]
    );
    assert!(start(json!({ "type": "text", "text": "" })).is_empty());
    assert!(start(json!({ "type": "thinking", "thinking": "", "signature": "" })).is_empty());

    let delta = |delta: Value| {
        deltas(
            "content_block_delta",
            &json!({ "type": "content_block_delta", "index": 1, "delta": delta }),
        )
        .unwrap()
    };
    assert_eq!(
        delta(json!({ "type": "text_delta", "text": "Okay" })),
        [Delta::Text("Okay".into())]
    );
    assert_eq!(
        delta(json!({ "type": "input_json_delta", "partial_json": "{\"name\":" })),
        [Delta::Call {
            index: 1,
            id: None,
            name: None,
            arguments: Some("{\"name\":".into())
        }]
    );
    assert_eq!(
        delta(json!({ "type": "thinking_delta", "thinking": "Hmm" })),
        [Delta::Thinking("Hmm".into())]
    );
    assert!(delta(json!({ "type": "signature_delta", "signature": "EqQB" })).is_empty());

    assert!(deltas(
        "content_block_stop",
        &json!({ "type": "content_block_stop", "index": 1 })
    )
    .unwrap()
    .is_empty());
    assert!(deltas("ping", &json!({ "type": "ping" }))
        .unwrap()
        .is_empty());
    assert!(deltas("brand_new", &json!({ "type": "brand_new", "x": 1 }))
        .unwrap()
        .is_empty());

    let d = deltas(
        "message_delta",
        &json!({ "type": "message_delta", "delta": { "stop_reason": "tool_use",
            "stop_sequence": null }, "usage": { "output_tokens": 89 } }),
    )
    .unwrap();
    assert!(matches!(d[0], Delta::Usage(u) if u.completion_tokens == 89));
    assert_eq!(d[1], Delta::Finish("tool_calls".into()));
    let d = deltas(
        "message_delta",
        &json!({ "type": "message_delta", "delta": { "stop_reason": "max_tokens" } }),
    )
    .unwrap();
    assert_eq!(d, [Delta::Finish("length".into())]);
    let d = deltas(
        "message_delta",
        &json!({ "type": "message_delta", "delta": { "stop_reason": "refusal",
            "stop_details": { "type": "refusal", "explanation": "No." } } }),
    )
    .unwrap();
    assert_eq!(
        d,
        [Delta::Refusal("No.".into()), Delta::Finish("stop".into())]
    );

    assert_eq!(
        deltas("message_stop", &json!({ "type": "message_stop" })).unwrap(),
        [Delta::Done]
    );
    assert_eq!(
        deltas(
            "error",
            &json!({ "type": "error", "error": { "type": "overloaded_error", "message": "Overloaded" } })
        )
        .unwrap_err(),
        "Overloaded"
    );
    // llama.cpp's error event.
    assert_eq!(
        deltas(
            "error",
            &json!({ "code": 500, "message": "it broke", "type": "server_error" })
        )
        .unwrap_err(),
        "it broke"
    );
    let mut out = Vec::new();
    assert!(Anthropic
        .decode_event("", "not json", &mut out)
        .unwrap_err()
        .starts_with("an event is not an Anthropic stream event"));
}

#[test]
fn error_bodies_and_what_is_retried() {
    let overloaded = r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":"req_1"}"#;
    assert_eq!(
        Anthropic.error_fields(overloaded),
        ErrorFields {
            message: Some("Overloaded".into()),
            kind: Some("overloaded_error".into()),
            code: None,
        }
    );
    // llama.cpp's form.
    let f = Anthropic
        .error_fields(r#"{"error":{"code":400,"message":"bad","type":"invalid_request_error"}}"#);
    assert_eq!(
        (f.message.as_deref(), f.code.as_deref()),
        (Some("bad"), Some("400"))
    );
    assert_eq!(Anthropic.error_fields("<html>"), ErrorFields::default());

    assert!(Anthropic.retryable(529, overloaded));
    let limited = r#"{"type":"error","error":{"type":"rate_limit_error","message":"Number of request tokens has exceeded your per-minute rate limit"}}"#;
    assert!(Anthropic.retryable(429, limited));
    let spent = r#"{"type":"error","error":{"type":"rate_limit_error","message":"You have reached your specified workspace API usage limits."}}"#;
    assert!(!Anthropic.retryable(429, spent));
    let credit = r#"{"type":"error","error":{"type":"invalid_request_error","message":"Your credit balance is too low to access the Anthropic API."}}"#;
    assert!(!Anthropic.retryable(400, credit));
    assert!(!Anthropic.retryable(401, "{}"));
    assert!(Anthropic.retryable(500, ""));
}

#[test]
fn the_key_travels_in_a_sensitive_x_api_key() {
    let (name, value) = Anthropic.auth("sk-ant-secret").unwrap();
    assert_eq!(name.as_str(), "x-api-key");
    assert!(value.is_sensitive());
    assert_eq!(Anthropic.headers(), &[("anthropic-version", "2023-06-01")]);
    assert_eq!(Anthropic.path(), "/v1/messages");
    assert!(Anthropic.auth("bad\nkey").is_err());
}
