//! The Anthropic dialect's unit tests, split as the dialect is: here the shared fixtures and
//! the dialect's own rules (refused modes, the key and headers); the request body in
//! [`encode`], replies and error bodies in [`decode`], stream events in [`stream`].

mod decode;
mod encode;
mod stream;

use std::borrow::Cow;

use serde_json::{json, Map, Value};

use super::*;
use crate::mode::{spec_for, Mode};
use crate::provider::{Delivery, Options, Target};
use crate::schema::SchemaGenerator;
use crate::server::Server;
use crate::validation::{JsonPath, ValidationErrors};
use crate::wire::Message;
use crate::{Instructor, Prompting};

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
    let (name, value) = Anthropic.auth("sk-ant-secret").unwrap();
    assert_eq!(name.as_str(), "x-api-key");
    assert!(value.is_sensitive());
    assert_eq!(Anthropic.headers(), &[("anthropic-version", "2023-06-01")]);
    assert_eq!(Anthropic.path(), "/v1/messages");
    assert!(Anthropic.auth("bad\nkey").is_err());
}
