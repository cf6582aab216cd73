//! The Anthropic dialect's unit tests, split as the dialect is: here the shared fixtures and
//! the dialect's own rules (refused modes, the key and headers); the request body in
//! [`encode`], replies and error bodies in [`decode`], stream events in [`stream`].

mod decode;
mod encode;
mod stream;

use serde_json::{json, Map, Value};

use super::*;
use crate::mode::{spec_for, Mode};
use crate::provider::test_support::{assert_key_header, by_hand, weather_variant};
use crate::provider::{Delivery, Options, Target};
use crate::server::Server;
use crate::wire::Message;
use crate::Prompting;

by_hand!(@reads
    /// A small type: a name with a minimum length and a bounded age.
    #[derive(Debug, serde::Deserialize)]
    Person: "A person." => json!({
        "type": "object",
        "properties": {
            "name": { "type": "string", "minLength": 1 },
            "age": { "type": "integer", "minimum": 0, "maximum": 120 }
        },
        "required": ["name", "age"]
    })
);

by_hand!(@reads
    /// A recursive type.
    #[derive(Debug, serde::Deserialize)]
    Node => json!({
        "$ref": "#/$defs/Node",
        "$defs": { "Node": { "type": "object", "properties": {
            "children": { "type": "array", "items": { "$ref": "#/$defs/Node" } } },
            "required": ["children"] } }
    })
);

by_hand!(@reads
    /// A list of tools (parallel tools mode).
    #[derive(Debug, serde::Deserialize)]
    Actions => json!({
        "type": "array",
        "items": { "oneOf": [
            weather_variant(),
            { "type": "object", "properties": { "Search": {
                "type": "object",
                "properties": { "q": { "type": "string" } },
                "required": ["q"]
            } }, "required": ["Search"], "additionalProperties": false }
        ] }
    })
);

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
    sent_with(spec, messages, delivery, false)
}

/// [`sent`], with prompt caching on or off.
fn sent_with(
    spec: &ModeSpec,
    messages: &[Message],
    delivery: Delivery,
    cache_prompt: bool,
) -> Result<Value, String> {
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
            cache_prompt,
        },
    })?;
    Ok(serde_json::from_slice(&body).unwrap())
}

fn user_turn() -> Value {
    json!({ "role": "user", "content": [{ "type": "text", "text": "Jason is 20" }] })
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
fn the_key_travels_in_a_sensitive_x_api_key() {
    assert_key_header(&Anthropic, "sk-ant-secret", "x-api-key");
    assert_eq!(Anthropic.headers(), &[("anthropic-version", "2023-06-01")]);
    assert_eq!(Anthropic.path(), "/v1/messages");
}
