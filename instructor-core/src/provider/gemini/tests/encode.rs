//! Tests of the request: each mode's exact body, the mode's pieces, sampling options and
//! extra fields, the URL, the key's header, re-ask turns and media parts.

use std::sync::OnceLock;

use serde_json::{json, Map, Value};

use crate::input::{Audio, AudioFormat, Image, Part, Pdf};
use crate::mode::{spec_for, Mode, ModeSpec};
use crate::provider::gemini::pieces::PIECES;
use crate::provider::gemini::Gemini;
use crate::provider::test_support::{assert_key_header, by_hand, tool_call};
use crate::provider::{Delivery, Dialect, Options, Outgoing, Target};
use crate::server::Server;
use crate::wire::Message;
use crate::Prompting;

by_hand!(
    /// A type implemented by hand: a person with a name and an age.
    Person: "A person." => json!({
        "type": "object",
        "properties": {
            "name": { "type": "string", "minLength": 1 },
            "age": { "type": "integer", "minimum": 0 }
        },
        "required": ["name", "age"]
    })
);

fn encode_with(mode: Mode, messages: &[Message], options: &Options) -> Result<Value, String> {
    let spec = spec_for::<Person>(mode, Prompting::Plain);
    Gemini.check(spec)?;
    let extra = Map::new();
    let out = Outgoing {
        model: "gemini-2.5-flash",
        options,
        spec,
        messages,
        delivery: Delivery::Whole,
        target: Target {
            server: Server::default(),
            max_tokens: Some(4096),
            extra: &extra,
            cache_prompt: false,
        },
    };
    Gemini
        .encode(&out)
        .map(|b| serde_json::from_slice(&b).unwrap())
}

fn encode(mode: Mode) -> Value {
    let messages = [Message::system("Be exact."), Message::user("Jason is 20")];
    encode_with(mode, &messages, &Options::default()).unwrap()
}

fn person_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "name": { "type": "string", "description": "minLength: 1." },
            "age": { "type": "integer", "minimum": 0 }
        },
        "required": ["name", "age"],
        "propertyOrdering": ["name", "age"]
    })
}

fn conversation_json() -> Value {
    json!({
        "systemInstruction": { "parts": [{ "text": "Be exact." }] },
        "contents": [{ "role": "user", "parts": [{ "text": "Jason is 20" }] }],
    })
}

fn with(mut base: Value, more: Value) -> Value {
    for (k, v) in more.as_object().unwrap() {
        base[k] = v.clone();
    }
    base
}

#[test]
fn json_schema_mode_sends_the_rewritten_schema() {
    assert_eq!(
        encode(Mode::JsonSchema),
        with(
            conversation_json(),
            json!({ "generationConfig": {
                "maxOutputTokens": 4096,
                "responseMimeType": "application/json",
                "responseJsonSchema": person_schema(),
            } })
        )
    );
}

#[test]
fn strict_mode_sends_the_strict_schema_rewritten() {
    let body = encode(Mode::JsonSchemaStrict);
    let schema = &body["generationConfig"]["responseJsonSchema"];
    assert_eq!(schema["additionalProperties"], false);
    assert_eq!(schema["propertyOrdering"], json!(["name", "age"]));
    assert_eq!(schema["properties"]["name"]["description"], "minLength: 1.");
    assert!(body.get("tools").is_none());
}

#[test]
fn tools_mode_forces_the_one_function() {
    let parameters = person_schema();
    assert_eq!(
        encode(Mode::Tools),
        with(
            conversation_json(),
            json!({
                "tools": [{ "functionDeclarations": [{
                    "name": "Person",
                    "description": "A person.",
                    "parametersJsonSchema": parameters,
                }] }],
                "toolConfig": { "functionCallingConfig": {
                    "mode": "ANY", "allowedFunctionNames": ["Person"] } },
                "generationConfig": { "maxOutputTokens": 4096 },
            })
        )
    );
}

#[test]
fn json_md_json_and_json_object_schema() {
    assert_eq!(
        encode(Mode::Json)["generationConfig"],
        json!({ "maxOutputTokens": 4096, "responseMimeType": "application/json" })
    );
    let md = encode(Mode::MdJson);
    assert_eq!(md["generationConfig"], json!({ "maxOutputTokens": 4096 }));
    assert!(md.get("tools").is_none());
    let err = encode_with(Mode::JsonObjectSchema, &[], &Options::default()).unwrap_err();
    assert!(
        err.contains("Gemini") && err.contains("Mode::JsonSchema"),
        "{err}"
    );
}

/// A spec in parallel tools mode with two tools, as chat completions write them.
fn parallel_spec() -> ModeSpec {
    let raw = |v: Value| Some(serde_json::value::to_raw_value(&v).unwrap());
    ModeSpec {
        mode: Mode::ParallelTools,
        prompting: Prompting::Plain,
        response_format: None,
        tools: raw(json!([
            { "type": "function", "function": { "name": "Weather", "description": "Weather.",
              "parameters": { "type": "object", "properties": { "city": { "type": "string" } } } } },
            { "type": "function", "function": { "name": "Search",
              "parameters": { "type": "object", "properties": { "q": { "type": "string", "maxLength": 9 } } } } },
        ])),
        tool_choice: raw(json!("required")),
        system_prompt: None,
        tool_name: "Action".into(),
        schema: Box::leak(Box::new(json!({}))),
        wrapped: false,
        answer_schema: Box::leak(Box::new(json!({}))),
        toolbox: None,
        unusable: None,
        examples: &[],
        example_turns: OnceLock::new(),
    }
}

#[test]
fn parallel_tools_declares_every_tool_and_is_cached_per_spec() {
    let spec: &'static ModeSpec = Box::leak(Box::new(parallel_spec()));
    let p = PIECES.get(spec);
    assert!(std::ptr::eq(p, PIECES.get(spec)));
    let tools: Value = serde_json::from_str(p.tools.as_ref().unwrap().get()).unwrap();
    assert_eq!(
        tools,
        json!([{ "functionDeclarations": [
            { "name": "Weather", "description": "Weather.", "parametersJsonSchema":
              { "type": "object", "properties": { "city": { "type": "string" } }, "propertyOrdering": ["city"] } },
            { "name": "Search", "parametersJsonSchema":
              { "type": "object", "properties": { "q": { "type": "string", "description": "maxLength: 9." } },
                "propertyOrdering": ["q"] } },
        ] }])
    );
    let config: Value = serde_json::from_str(p.tool_config.as_ref().unwrap().get()).unwrap();
    assert_eq!(
        config,
        json!({ "functionCallingConfig": { "mode": "ANY" } })
    );
    assert!(p.schema.is_none() && p.mime.is_none());
}

#[test]
fn sampling_options_and_extra_fields() {
    let mut options = Options {
        temperature: Some(0.2),
        max_tokens: Some(100),
        seed: Some(7),
        ..Options::default()
    };
    options
        .extra
        .insert("safetySettings".into(), json!([{ "category": "x" }]));
    let body = encode_with(Mode::MdJson, &[Message::user("hi")], &options).unwrap();
    assert_eq!(
        body,
        json!({
            "contents": [{ "role": "user", "parts": [{ "text": "hi" }] }],
            "generationConfig": { "temperature": 0.2, "maxOutputTokens": 100, "seed": 7 },
            "safetySettings": [{ "category": "x" }],
        })
    );
}

#[test]
fn url_per_model_and_streaming() {
    for (model, stream, path) in [
        (
            "gemini-2.5-flash",
            false,
            "/models/gemini-2.5-flash:generateContent",
        ),
        (
            "gemini-2.5-pro",
            true,
            "/models/gemini-2.5-pro:streamGenerateContent?alt=sse",
        ),
        (
            "models/gemini-2.0-flash",
            false,
            "/models/gemini-2.0-flash:generateContent",
        ),
        (
            "tunedModels/mine",
            false,
            "/tunedModels/mine:generateContent",
        ),
        ("a?b#c d", false, "/models/a%3Fb%23c%20d:generateContent"),
    ] {
        assert_eq!(Gemini.model_path(model, stream).unwrap(), path, "{model}");
    }
}

#[test]
fn the_key_travels_in_x_goog_api_key_marked_sensitive() {
    assert_key_header(&Gemini, "AIza-secret", "x-goog-api-key");
}

#[test]
fn reask_turns_in_tools_mode() {
    let call = tool_call("call_0;sig=c2ln", "Person", r#"{"name":"","age":20}"#);
    let messages = [
        Message::system("Be exact."),
        Message::system("Really."),
        Message::user("Jason is 20"),
        Message::assistant_tool_calls(vec![call]),
        Message::tool_error("call_0;sig=c2ln", "`name` is too short"),
        Message::user("Try again."),
    ];
    let body = encode_with(Mode::Tools, &messages, &Options::default()).unwrap();
    assert_eq!(
        body["systemInstruction"],
        json!({ "parts": [{ "text": "Be exact.\n\nReally." }] })
    );
    assert_eq!(
        body["contents"],
        json!([
            { "role": "user", "parts": [{ "text": "Jason is 20" }] },
            { "role": "model", "parts": [{
                "functionCall": { "name": "Person", "args": { "name": "", "age": 20 } },
                "thoughtSignature": "c2ln",
            }] },
            { "role": "user", "parts": [
                { "functionResponse": { "name": "Person", "response": { "error": "`name` is too short" } } },
                { "text": "Try again." },
            ] },
        ])
    );
}

#[test]
fn reask_turns_in_json_mode_and_gemini_ids() {
    let call = tool_call("call_0;id=fc-1", "f", "not json");
    let messages = [
        Message::user("a"),
        Message::assistant("{\"name\": \"\"}"),
        Message::user("fix it"),
        Message::assistant_tool_calls(vec![call]),
        Message::tool("call_0;id=fc-1", "ok"),
    ];
    let body = encode_with(Mode::JsonSchema, &messages, &Options::default()).unwrap();
    assert_eq!(
        body["contents"],
        json!([
            { "role": "user", "parts": [{ "text": "a" }] },
            { "role": "model", "parts": [{ "text": "{\"name\": \"\"}" }] },
            { "role": "user", "parts": [{ "text": "fix it" }] },
            { "role": "model", "parts": [{ "functionCall": { "id": "fc-1", "name": "f", "args": {} } }] },
            { "role": "user", "parts": [{ "functionResponse": { "id": "fc-1", "name": "f", "response": { "output": "ok" } } }] },
        ])
    );
    let orphan = [Message::user("a"), Message::tool("call_9", "x")];
    let err = encode_with(Mode::Json, &orphan, &Options::default()).unwrap_err();
    assert!(err.contains("call_9"), "{err}");
}

#[test]
fn images_pdfs_and_audio_are_parts() {
    let png = Image::from_bytes(b"\x89PNG\r\n\x1a\n0000", "image/png").unwrap();
    let pdf = Pdf::from_bytes(b"%PDF-1.7 x").unwrap();
    let wav = Audio::from_bytes(b"RIFF\0\0\0\0WAVEfmt ", AudioFormat::Wav).unwrap();
    let url = Image::from_url("https://example.com/a/receipt.JPG?x=1").unwrap();
    let message = Message::user_parts(vec![
        Part::from("Read these"),
        Part::from(png.clone()),
        Part::from(pdf),
        Part::from(wav.clone()),
        Part::from(url),
    ]);
    let body = encode_with(Mode::MdJson, &[message], &Options::default()).unwrap();
    let parts = &body["contents"][0]["parts"];
    assert_eq!(parts[0], json!({ "text": "Read these" }));
    assert_eq!(parts[1]["inlineData"]["mimeType"], "image/png");
    assert_eq!(
        parts[1]["inlineData"]["data"],
        png.url().split_once(',').unwrap().1
    );
    assert_eq!(parts[2]["inlineData"]["mimeType"], "application/pdf");
    assert!(parts[2]["inlineData"]["data"]
        .as_str()
        .unwrap()
        .starts_with("JVBER"));
    assert_eq!(
        parts[3],
        json!({ "inlineData": { "mimeType": "audio/wav", "data": wav.data() } })
    );
    assert_eq!(
        parts[4],
        json!({ "fileData": { "mimeType": "image/jpeg", "fileUri": "https://example.com/a/receipt.JPG?x=1" } })
    );
    let unknown = Image::from_url("https://example.com/image").unwrap();
    let err = encode_with(
        Mode::MdJson,
        &[Message::user_parts(vec![Part::from(unknown)])],
        &Options::default(),
    )
    .unwrap_err();
    assert!(err.contains("Image::from_path"), "{err}");
}
