//! The request body: each mode's exact body, the token limit and extra fields, a re-ask's
//! turns, and images, PDFs and audio.

use serde_json::{json, Map, Value};

use super::{options, sent, sent_with, user_turn, Actions, Person};
use crate::client::DEFAULT_MAX_TOKENS;
use crate::input::{AudioFormat, Content};
use crate::mode::{spec_for, Mode};
use crate::provider::anthropic::Anthropic;
use crate::provider::test_support::tool_call;
use crate::provider::{Delivery, Dialect, Options, Outgoing, Target};
use crate::server::Server;
use crate::wire::{Message, Role};
use crate::{Audio, Image, Pdf, Prompting};

/// What every body of [`each_mode_writes_its_exact_body`] opens with (the model, the
/// limit, the system text apart, the user's turn, the temperature), with `rest`'s fields.
fn opening_and(rest: Value) -> Value {
    let mut body = json!({
        "model": "claude-x",
        "max_tokens": 1000,
        "system": "Extract.",
        "messages": [user_turn()],
        "temperature": 0.0,
    });
    let Value::Object(rest) = rest else {
        unreachable!("`rest` is an object")
    };
    body.as_object_mut().unwrap().extend(rest);
    body
}

/// The exact body of each mode for a small schema: `system` apart, `max_tokens` always,
/// no `seed`, and the mode's pieces in Anthropic's shape.
#[test]
fn each_mode_writes_its_exact_body() {
    let messages = [Message::system("Extract."), Message::user("Jason is 20")];
    let spec = spec_for::<Person>(Mode::Tools, Prompting::Plain);
    assert_eq!(
        sent(spec, &messages, Delivery::Whole).unwrap(),
        opening_and(json!({
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
        }))
    );

    let spec = spec_for::<Person>(Mode::JsonSchema, Prompting::Plain);
    assert_eq!(
        sent(spec, &messages, Delivery::Stream).unwrap(),
        opening_and(json!({
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
        }))
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
fn prompt_caching_marks_the_system_block_and_the_last_tool() {
    let messages = [Message::system("Extract."), Message::user("Jason is 20")];
    let cached = json!({ "type": "ephemeral" });
    let system = json!([{ "type": "text", "text": "Extract.", "cache_control": cached }]);
    // JSON modes: the system block alone (the schema is in the prompt or the format).
    let spec = spec_for::<Person>(Mode::Json, Prompting::Plain);
    let body = sent_with(spec, &messages, Delivery::Whole, true).unwrap();
    assert_eq!(body["system"], system);
    assert!(body.get("tools").is_none());
    // Parallel tools: the last tool is marked, and only it.
    let spec = spec_for::<Actions>(Mode::ParallelTools, Prompting::Plain);
    let body = sent_with(spec, &messages, Delivery::Whole, true).unwrap();
    let tools = body["tools"].as_array().unwrap();
    assert!(tools.len() > 1, "{tools:?}");
    let (last, rest) = tools.split_last().unwrap();
    assert_eq!(last["cache_control"], cached);
    assert!(rest.iter().all(|t| t.get("cache_control").is_none()));
    assert_eq!(body["system"], system);
    // Off (the default): a plain system string, unmarked tools.
    let body = sent(spec, &messages, Delivery::Whole).unwrap();
    assert_eq!(body["system"], "Extract.");
    assert!(body["tools"]
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t.get("cache_control").is_none()));
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
                    cache_prompt: false,
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
    let call = tool_call("toolu_1", "Person", r#"{"name":"","age":20}"#);
    let broken = tool_call("toolu_2", "Person", r#"{"name":"Ja"#);
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
