//! The request bodies: the mode's pieces, options, llama.cpp's extra fields, and the
//! conversation written as items.

use serde_json::{json, Map, Value};

use crate::input::{Audio, AudioFormat, Image, Pdf};
use crate::mode::request_schema;
use crate::mode::spec_for;
use crate::mode::{Mode, ModeSpec};
use crate::prompt::Prompting;
use crate::provider::openai_responses::encode::PIECES;
use crate::provider::openai_responses::OpenAiResponses;
use crate::provider::test_support::{by_hand, tool_call};
use crate::provider::{Delivery, Dialect, Options, Outgoing, Target};
use crate::server::Server;
use crate::wire::{Message, Role};
use crate::{Instructor, Verdict};

by_hand!(
    /// A list of tools by hand: what `#[instructor(tools)]` writes for `Vec<Act>`.
    Acts => {
        let variant = |name: &str, field: &str| {
            json!({
                "type": "object",
                "properties": { name: {
                    "type": "object",
                    "properties": { field: { "type": "string" } },
                    "required": [field]
                }},
                "required": [name]
            })
        };
        json!({
            "type": "array",
            "items": { "oneOf": [variant("Weather", "city"), variant("Search", "query")] }
        })
    }
);

fn spec(mode: Mode) -> &'static ModeSpec {
    spec_for::<Verdict>(mode, Prompting::Plain)
}

fn target(server: Server, extra: &Map<String, Value>) -> Target<'_> {
    Target {
        server,
        max_tokens: Some(4096),
        extra,
        cache_prompt: false,
    }
}

/// The body of one request of `messages` in `spec`, as JSON.
fn encode_with(
    spec: &ModeSpec,
    messages: &[Message],
    options: &Options,
    delivery: Delivery,
    server: Server,
) -> Result<Value, String> {
    let extra = Map::new();
    let bytes = OpenAiResponses.encode(&Outgoing {
        model: "gpt-test",
        options,
        spec,
        messages,
        delivery,
        target: target(server, &extra),
    })?;
    Ok(serde_json::from_slice(&bytes).unwrap())
}

fn encode(spec: &ModeSpec, messages: &[Message]) -> Value {
    encode_with(
        spec,
        messages,
        &Options::default(),
        Delivery::Whole,
        Server::OpenAi,
    )
    .unwrap()
}

fn conversation() -> Vec<Message> {
    vec![Message::system("Be exact."), Message::user("Is 3 odd?")]
}

/// The fields every body of [`conversation`] has.
fn base() -> Map<String, Value> {
    let Value::Object(map) = json!({
        "model": "gpt-test",
        "instructions": "Be exact.",
        "input": [{
            "type": "message", "role": "user",
            "content": [{ "type": "input_text", "text": "Is 3 odd?" }]
        }],
        "max_output_tokens": 4096,
        "store": false
    }) else {
        unreachable!()
    };
    map
}

fn with(fields: Value) -> Value {
    let mut map = base();
    map.extend(fields.as_object().unwrap().clone());
    Value::Object(map)
}

/// The flat text format: `strict` in the strict mode only.
#[test]
fn json_schema_bodies_are_the_flat_text_format() {
    for (mode, strict) in [(Mode::JsonSchemaStrict, true), (Mode::JsonSchema, false)] {
        let schema = request_schema(Verdict::json_schema(), mode);
        assert_eq!(
            encode(spec(mode), &conversation()),
            with(json!({ "text": { "format": {
                "type": "json_schema", "name": "Verdict", "schema": schema, "strict": strict
            }}})),
            "{mode:?}"
        );
    }
}

#[test]
fn json_and_md_json_bodies() {
    assert_eq!(
        encode(spec(Mode::Json), &conversation()),
        with(json!({ "text": { "format": { "type": "json_object" } } }))
    );
    assert_eq!(
        encode(spec(Mode::MdJson), &conversation()),
        Value::Object(base())
    );
}

#[test]
fn tools_body_is_one_flat_tool_forced_by_name() {
    let parameters = request_schema(Verdict::json_schema(), Mode::Tools);
    assert_eq!(
        encode(spec(Mode::Tools), &conversation()),
        with(json!({
            "tools": [{
                "type": "function", "name": "Verdict",
                "description": "Whether a value follows a rule.",
                "parameters": parameters, "strict": false
            }],
            "tool_choice": { "type": "function", "name": "Verdict" }
        }))
    );
}

#[test]
fn parallel_tools_body_has_every_tool_and_requires_a_call() {
    let spec = spec_for::<Acts>(Mode::ParallelTools, Prompting::Plain);
    let body = encode(spec, &conversation());
    assert_eq!(body["tool_choice"], "required");
    assert_eq!(body["parallel_tool_calls"], true);
    let tools = body["tools"].as_array().unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Weather", "Search"]);
    assert_eq!(tools[0]["type"], "function");
    assert_eq!(tools[0]["strict"], false);
    assert_eq!(tools[0]["parameters"]["required"], json!(["city"]));
    assert!(tools[0].get("function").is_none(), "flat, not nested");
}

#[test]
fn json_object_schema_is_refused_with_what_to_use() {
    let why = OpenAiResponses
        .check(spec(Mode::JsonObjectSchema))
        .unwrap_err();
    assert!(why.contains("Responses API"), "{why}");
    assert!(why.contains("Mode::JsonSchemaStrict"), "{why}");
    for mode in Mode::ALL {
        if mode != Mode::JsonObjectSchema && mode != Mode::ParallelTools {
            assert!(OpenAiResponses.check(spec(mode)).is_ok(), "{mode}");
        }
    }
}

#[test]
fn pieces_are_translated_once_per_spec() {
    let s = spec(Mode::JsonSchemaStrict);
    assert!(std::ptr::eq(PIECES.get(s), PIECES.get(s)));
    assert!(!std::ptr::eq(
        PIECES.get(s),
        PIECES.get(spec(Mode::JsonSchema))
    ));
}

#[test]
fn options_stream_and_extra_fields() {
    let mut options = Options {
        temperature: Some(0.0),
        max_tokens: Some(256),
        seed: Some(7),
        extra: Map::new(),
    };
    options.extra.insert("top_p".into(), json!(0.5));
    let body = encode_with(
        spec(Mode::MdJson),
        &conversation(),
        &options,
        Delivery::Stream,
        Server::OpenAi,
    )
    .unwrap();
    assert_eq!(
        body,
        with(json!({
            "temperature": 0.0, "max_output_tokens": 256, "stream": true, "top_p": 0.5
        }))
    );
    assert!(body.get("seed").is_none(), "the API has no seed");
}

#[test]
fn llama_cpp_gets_the_chat_response_format_and_required() {
    let s = spec(Mode::JsonSchemaStrict);
    let body = encode_with(
        s,
        &conversation(),
        &Options::default(),
        Delivery::Whole,
        Server::LlamaCpp,
    )
    .unwrap();
    let chat: Value = serde_json::from_str(s.response_format.as_ref().unwrap().get()).unwrap();
    assert_eq!(body["response_format"], chat);
    assert_eq!(body["text"]["format"]["type"], "json_schema");
    let tools = encode_with(
        spec(Mode::Tools),
        &conversation(),
        &Options::default(),
        Delivery::Whole,
        Server::LlamaCpp,
    )
    .unwrap();
    assert_eq!(tools["tool_choice"], "required");
    assert!(tools.get("response_format").is_none());
}

#[test]
fn a_reask_round_is_written_as_items() {
    let call = tool_call("call_1", "Verdict", r#"{"is_valid":"yes"}"#);
    let messages = vec![
        Message::system("Be exact."),
        Message {
            role: Role::Developer,
            ..Message::system("Answer in JSON.")
        },
        Message::user("Is 3 odd?"),
        Message::assistant("{\"is_valid\": 1}"),
        Message::user("Fix it."),
        Message::assistant_tool_calls(vec![call]),
        Message::tool_error("call_1", "Your answer has an error"),
    ];
    let body = encode(spec(Mode::Tools), &messages);
    assert_eq!(body["instructions"], "Be exact.\n\nAnswer in JSON.");
    assert_eq!(
        body["input"],
        json!([
            { "type": "message", "role": "user",
              "content": [{ "type": "input_text", "text": "Is 3 odd?" }] },
            { "type": "message", "role": "assistant",
              "content": [{ "type": "output_text", "text": "{\"is_valid\": 1}" }] },
            { "type": "message", "role": "user",
              "content": [{ "type": "input_text", "text": "Fix it." }] },
            { "type": "function_call", "call_id": "call_1", "name": "Verdict",
              "arguments": "{\"is_valid\":\"yes\"}" },
            { "type": "function_call_output", "call_id": "call_1",
              "output": "Your answer has an error" }
        ])
    );
}

#[test]
fn user_parts_are_input_parts_and_audio_is_refused() {
    let image = Image::from_url("https://example.com/a.png")
        .unwrap()
        .with_detail(crate::input::Detail::Low);
    let pdf = Pdf::from_bytes(b"%PDF-1.7\n")
        .unwrap()
        .with_filename("a.pdf");
    let messages = vec![Message::user_parts(("Read these", image, pdf.clone()))];
    let body = encode(spec(Mode::MdJson), &messages);
    assert!(body.get("instructions").is_none());
    assert_eq!(
        body["input"][0]["content"],
        json!([
            { "type": "input_text", "text": "Read these" },
            { "type": "input_image", "image_url": "https://example.com/a.png", "detail": "low" },
            { "type": "input_file", "filename": "a.pdf", "file_data": pdf.data_url() }
        ])
    );
    let audio = Audio::from_bytes(b"RIFF\0\0\0\0WAVEfmt ", AudioFormat::Wav).unwrap();
    let why = encode_with(
        spec(Mode::MdJson),
        &[Message::user_parts(("hear", audio))],
        &Options::default(),
        Delivery::Whole,
        Server::OpenAi,
    )
    .unwrap_err();
    assert!(why.contains("audio"), "{why}");
}
