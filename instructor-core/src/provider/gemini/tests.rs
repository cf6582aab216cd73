//! The Gemini dialect's unit tests: each mode's exact body, the URL, re-ask turns, each kind
//! of reply, stream frames and error bodies.

use std::borrow::Cow;

use serde_json::{json, Value};

use super::*;
use crate::input::{Audio, AudioFormat, Image, Pdf};
use crate::mode::spec_for;
use crate::provider::{Delivery, Options, Target};
use crate::schema::SchemaGenerator;
use crate::server::Server;
use crate::Prompting;

/// A type implemented by hand: a person with a name and an age.
struct Person;

impl crate::Instructor for Person {
    type Partial = Value;
    type Context = ();
    fn schema_name() -> Cow<'static, str> {
        Cow::Borrowed("Person")
    }
    fn description() -> Option<&'static str> {
        Some("A person.")
    }
    fn schema(_: &mut SchemaGenerator) -> Value {
        json!({
            "type": "object",
            "properties": {
                "name": { "type": "string", "minLength": 1 },
                "age": { "type": "integer", "minimum": 0 }
            },
            "required": ["name", "age"]
        })
    }
}

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
    let p = pieces(spec);
    assert!(std::ptr::eq(p, pieces(spec)));
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
    assert_eq!(
        Gemini.model_path("gemini-2.5-flash", false).unwrap(),
        "/models/gemini-2.5-flash:generateContent"
    );
    assert_eq!(
        Gemini.model_path("gemini-2.5-pro", true).unwrap(),
        "/models/gemini-2.5-pro:streamGenerateContent?alt=sse"
    );
    assert_eq!(
        Gemini.model_path("models/gemini-2.0-flash", false).unwrap(),
        "/models/gemini-2.0-flash:generateContent"
    );
    assert_eq!(
        Gemini.model_path("tunedModels/mine", false).unwrap(),
        "/tunedModels/mine:generateContent"
    );
    assert_eq!(
        Gemini.model_path("a?b#c d", false).unwrap(),
        "/models/a%3Fb%23c%20d:generateContent"
    );
}

#[test]
fn the_key_travels_in_x_goog_api_key_marked_sensitive() {
    let (name, value) = Gemini.auth("AIza-secret").unwrap();
    assert_eq!(name.as_str(), "x-goog-api-key");
    assert!(value.is_sensitive());
    assert_eq!(value.to_str().unwrap(), "AIza-secret");
    assert!(Gemini.auth("bad\nkey").is_err());
}

#[test]
fn reask_turns_in_tools_mode() {
    let call = ToolCall {
        id: "call_0;sig=c2ln".into(),
        kind: "function".into(),
        function: FunctionCall {
            name: "Person".into(),
            arguments: r#"{"name":"","age":20}"#.into(),
        },
    };
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
    let call = ToolCall {
        id: "call_0;id=fc-1".into(),
        kind: "function".into(),
        function: FunctionCall {
            name: "f".into(),
            arguments: "not json".into(),
        },
    };
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

fn decode(body: Value) -> ChatCompletion {
    Gemini.decode(&body.to_string()).unwrap()
}

#[test]
fn a_text_reply_with_thoughts_and_usage() {
    let c = decode(json!({
        "responseId": "r1", "modelVersion": "gemini-2.5-flash",
        "candidates": [{ "content": { "role": "model", "parts": [
            { "text": "thinking...", "thought": true },
            { "text": "{\"name\":" }, { "text": "\"Jason\"}" },
        ] }, "finishReason": "STOP", "index": 0 }],
        "usageMetadata": { "promptTokenCount": 8, "candidatesTokenCount": 11, "thoughtsTokenCount": 29,
                           "cachedContentTokenCount": 4, "totalTokenCount": 48 }
    }));
    assert_eq!(
        (c.id.as_str(), c.model.as_str()),
        ("r1", "gemini-2.5-flash")
    );
    let m = &c.choices[0].message;
    assert_eq!(m.content.as_deref(), Some("{\"name\":\"Jason\"}"));
    assert_eq!(m.reasoning_content.as_deref(), Some("thinking..."));
    assert_eq!(c.choices[0].finish_reason.as_deref(), Some("stop"));
    let u = c.usage.unwrap();
    assert_eq!(
        (u.prompt_tokens, u.completion_tokens, u.total_tokens),
        (8, 40, 48)
    );
    assert_eq!((u.cached_tokens, u.reasoning_tokens), (4, 29));
}

#[test]
fn function_calls_become_tool_calls_with_synthetic_ids() {
    let c = decode(json!({
        "candidates": [{ "content": { "role": "model", "parts": [
            { "functionCall": { "name": "find", "args": { "movie": "Barbie" } }, "thoughtSignature": "U0lH" },
            { "functionCall": { "name": "find", "args": { "movie": "Oppenheimer" } } },
        ] }, "finishReason": "STOP" }]
    }));
    let choice = &c.choices[0];
    assert_eq!(choice.finish_reason.as_deref(), Some("tool_calls"));
    let calls = &choice.message.tool_calls;
    assert_eq!(calls[0].id, "call_0;sig=U0lH");
    assert_eq!(calls[1].id, "call_1");
    assert_eq!(calls[1].function.name, "find");
    assert_eq!(calls[1].function.arguments, r#"{"movie":"Oppenheimer"}"#);
    assert!(choice.message.content.is_none());
}

#[test]
fn max_tokens_and_safety_finishes() {
    let c = decode(
        json!({ "candidates": [{ "content": { "parts": [{ "text": "{\"a\":" }] },
                                            "finishReason": "MAX_TOKENS" }] }),
    );
    assert_eq!(c.choices[0].finish_reason.as_deref(), Some("length"));
    for reason in [
        "SAFETY",
        "RECITATION",
        "BLOCKLIST",
        "PROHIBITED_CONTENT",
        "SPII",
        "IMAGE_SAFETY",
    ] {
        let c = decode(json!({ "candidates": [{ "finishReason": reason, "index": 0 }] }));
        assert_eq!(
            c.choices[0].finish_reason.as_deref(),
            Some("content_filter")
        );
        assert_eq!(
            c.choices[0].message.content.as_deref(),
            Some(format!("blocked: {reason}").as_str())
        );
    }
    let c = decode(json!({ "candidates": [{ "finishReason": "MALFORMED_FUNCTION_CALL" }] }));
    assert_eq!(
        c.choices[0].finish_reason.as_deref(),
        Some("malformed_function_call")
    );
}

#[test]
fn a_blocked_prompt_is_a_content_filter_answer() {
    let c = decode(
        json!({ "promptFeedback": { "blockReason": "SAFETY", "safetyRatings": [
        { "category": "HARM_CATEGORY_HARASSMENT", "probability": "MEDIUM" }] } }),
    );
    assert_eq!(
        c.choices[0].finish_reason.as_deref(),
        Some("content_filter")
    );
    assert_eq!(
        c.choices[0].message.content.as_deref(),
        Some("prompt blocked: SAFETY")
    );
    // Nothing at all: no choice (the SDK's "empty choices").
    assert!(decode(json!({})).choices.is_empty());
}

fn frames(data: &str) -> Result<Vec<Delta>, String> {
    let mut out = Vec::new();
    Gemini.decode_event("", data, &mut out).map(|()| out)
}

#[test]
fn stream_frames_become_deltas() {
    let d = frames(
        r#"{"candidates":[{"content":{"role":"model","parts":[{"text":"hm","thought":true},{"text":"{\"a\""}]}}],"usageMetadata":{"promptTokenCount":3,"totalTokenCount":3},"modelVersion":"gemini-2.5-flash","responseId":"r"}"#,
    )
    .unwrap();
    assert_eq!(d[0], Delta::Id("r".into()));
    assert_eq!(d[1], Delta::Model("gemini-2.5-flash".into()));
    assert!(matches!(d[2], Delta::Usage(u) if u.prompt_tokens == 3));
    assert_eq!(d[3], Delta::Thinking("hm".into()));
    assert_eq!(d[4], Delta::Text("{\"a\"".into()));
    assert_eq!(d.len(), 5);
    let d = frames(
        r#"{"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","args":{"x":1}},"thoughtSignature":"S"}]},"finishReason":"STOP"}]}"#,
    )
    .unwrap();
    assert_eq!(
        d,
        [
            Delta::WholeCall {
                tag: ";sig=S".into(),
                name: "f".into(),
                arguments: r#"{"x":1}"#.into()
            },
            Delta::Finish("stop".into()),
        ]
    );
    let d = frames(r#"{"promptFeedback":{"blockReason":"PROHIBITED_CONTENT"}}"#).unwrap();
    assert_eq!(
        d,
        [
            Delta::Text("prompt blocked: PROHIBITED_CONTENT".into()),
            Delta::Finish("content_filter".into())
        ]
    );
    assert_eq!(
        frames(r#"{"candidates":[{"finishReason":"MAX_TOKENS"}]}"#).unwrap(),
        [Delta::Finish("length".into())]
    );
}

#[test]
fn errors_in_a_stream_and_error_bodies() {
    assert_eq!(
        frames(r#"{"error":{"code":503,"message":"overloaded","status":"UNAVAILABLE"}}"#)
            .unwrap_err(),
        "UNAVAILABLE: overloaded"
    );
    assert!(frames("not json")
        .unwrap_err()
        .starts_with("an event is not a GenerateContentResponse"));
    let fields = Gemini.error_fields(
        r#"{"error":{"code":429,"message":"Resource has been exhausted","status":"RESOURCE_EXHAUSTED",
            "details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"19s"}]}}"#,
    );
    assert_eq!(
        fields,
        ErrorFields {
            message: Some("Resource has been exhausted".into()),
            kind: Some("RESOURCE_EXHAUSTED".into()),
            code: Some("429".into()),
        }
    );
    assert_eq!(Gemini.error_fields("<html>"), ErrorFields::default());
    for status in [429, 500, 503, 504] {
        assert!(Gemini.retryable(status, ""), "{status}");
    }
    assert!(!Gemini.retryable(400, "") && !Gemini.retryable(403, ""));
}

/// Every keyword the rewrite removes from a schema shows in a description of the result
/// (or is a kept constraint in another form: `const` as `enum`, one `allOf` as `anyOf`).
#[test]
fn every_removed_keyword_is_described() {
    let leaves = [
        json!({ "type": "string", "minLength": 2, "maxLength": 9, "pattern": "^a" }),
        json!({ "type": "integer", "exclusiveMinimum": 0, "multipleOf": 5, "default": 5 }),
        json!({ "type": "array", "items": { "type": "string" }, "uniqueItems": true, "contains": { "const": "x" } }),
        json!({ "type": "object", "additionalProperties": { "type": "number", "exclusiveMaximum": 3 }, "minProperties": 1 }),
        json!({ "enum": ["a", null] }),
        json!({ "not": { "type": "null" }, "examples": ["x"] }),
        json!({ "$ref": "#/$defs/D", "description": "d", "deprecated": true }),
    ];
    let mut schemas = Vec::new();
    for (i, a) in leaves.iter().enumerate() {
        for b in &leaves[i..] {
            schemas.push(json!({
                "type": "object",
                "properties": { "a": a, "list": { "type": "array", "items": b, "maxContains": 2 } },
                "$defs": { "D": { "anyOf": [a, b], "readOnly": true } },
                "if": { "required": ["a"] }, "then": { "required": ["list"] }
            }));
        }
    }
    for schema in &schemas {
        let out = gemini_schema(schema);
        let text = out.to_string();
        let mut removed = Vec::new();
        keywords(schema, &mut removed);
        for k in removed {
            if !schema::KEEP.contains(&k.as_str()) && k != "$schema" {
                assert!(
                    descriptions(&out)
                        .iter()
                        .any(|d| d.contains(&format!("{k}: "))),
                    "`{k}` lost from {schema} -> {text}"
                );
            }
        }
        // And nothing Gemini does not read is left.
        let mut left = Vec::new();
        keywords(&out, &mut left);
        for k in left {
            assert!(schema::KEEP.contains(&k.as_str()), "`{k}` left in {text}");
        }
    }
}

/// Every keyword of every (sub)schema, following the places the rewrite recurses into.
fn keywords(schema: &Value, out: &mut Vec<String>) {
    let Value::Object(map) = schema else { return };
    for (k, v) in map {
        out.push(k.clone());
        match (k.as_str(), v) {
            ("properties" | "$defs", Value::Object(subs)) => {
                subs.values().for_each(|s| keywords(s, out))
            }
            ("anyOf" | "oneOf" | "prefixItems", Value::Array(subs)) => {
                subs.iter().for_each(|s| keywords(s, out))
            }
            ("items" | "additionalProperties", s) => keywords(s, out),
            _ => {}
        }
    }
}

fn descriptions(schema: &Value) -> Vec<String> {
    let mut out = Vec::new();
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(d)) = m.get("description") {
                    out.push(d.clone());
                }
                m.values().for_each(|v| walk(v, out));
            }
            Value::Array(a) => a.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    walk(schema, &mut out);
    out
}
