//! The Responses dialect's bodies, replies and stream events, each pinned.

use std::borrow::Cow;

use serde_json::{json, Map, Value};

use super::*;
use crate::input::{Audio, AudioFormat, Image, Pdf};
use crate::mode::request_schema;
use crate::mode::spec_for;
use crate::prompt::Prompting;
use crate::provider::{Options, Target};
use crate::schema::SchemaGenerator;
use crate::{Instructor, Verdict};

/// A list of tools by hand: what `#[instructor(tools)]` writes for `Vec<Act>`.
struct Acts;

impl Instructor for Acts {
    type Partial = Value;
    type Context = ();
    fn schema_name() -> Cow<'static, str> {
        "Acts".into()
    }
    fn schema(_: &mut SchemaGenerator) -> Value {
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
}

fn spec(mode: Mode) -> &'static ModeSpec {
    spec_for::<Verdict>(mode, Prompting::Plain)
}

fn target(server: Server, extra: &Map<String, Value>) -> Target<'_> {
    Target {
        server,
        max_tokens: Some(4096),
        extra,
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

#[test]
fn json_schema_strict_body_is_the_flat_text_format() {
    let schema = request_schema(Verdict::json_schema(), Mode::JsonSchemaStrict);
    assert_eq!(
        encode(spec(Mode::JsonSchemaStrict), &conversation()),
        with(json!({ "text": { "format": {
            "type": "json_schema", "name": "Verdict", "schema": schema, "strict": true
        }}}))
    );
}

#[test]
fn json_schema_body_is_not_strict() {
    let schema = request_schema(Verdict::json_schema(), Mode::JsonSchema);
    assert_eq!(
        encode(spec(Mode::JsonSchema), &conversation()),
        with(json!({ "text": { "format": {
            "type": "json_schema", "name": "Verdict", "schema": schema, "strict": false
        }}}))
    );
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
    assert!(std::ptr::eq(pieces(s), pieces(s)));
    assert!(!std::ptr::eq(pieces(s), pieces(spec(Mode::JsonSchema))));
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
    let call = ToolCall {
        id: "call_1".into(),
        kind: "function".into(),
        function: FunctionCall {
            name: "Verdict".into(),
            arguments: r#"{"is_valid":"yes"}"#.into(),
        },
    };
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

// ---- replies

fn decode(body: Value) -> Result<ChatCompletion, String> {
    OpenAiResponses.decode(&body.to_string())
}

fn usage_body() -> Value {
    json!({
        "input_tokens": 37, "output_tokens": 11, "total_tokens": 48,
        "input_tokens_details": { "cached_tokens": 32 },
        "output_tokens_details": { "reasoning_tokens": 4 }
    })
}

#[test]
fn a_message_reply_is_its_text_and_usage() {
    let c = decode(json!({
        "id": "resp_1", "object": "response", "created_at": 1741290958, "model": "gpt-5.4",
        "status": "completed", "error": null, "incomplete_details": null,
        "output": [{
            "id": "msg_1", "type": "message", "status": "completed", "role": "assistant",
            "content": [
                { "type": "output_text", "text": "{\"is_valid\":", "annotations": [] },
                { "type": "output_text", "text": "true}", "annotations": [] }
            ]
        }],
        "usage": usage_body()
    }))
    .unwrap();
    assert_eq!((c.id.as_str(), c.model.as_str()), ("resp_1", "gpt-5.4"));
    assert_eq!(c.created, Some(1741290958));
    let choice = &c.choices[0];
    assert_eq!(
        choice.message.content.as_deref(),
        Some("{\"is_valid\":true}")
    );
    assert_eq!(choice.finish_reason.as_deref(), Some("stop"));
    let u = c.usage.unwrap();
    assert_eq!(
        (
            u.prompt_tokens,
            u.completion_tokens,
            u.total_tokens,
            u.cached_tokens,
            u.reasoning_tokens
        ),
        (37, 11, 48, 32, 4)
    );
}

#[test]
fn a_refusal_part_is_the_refusal() {
    let c = decode(json!({
        "status": "completed",
        "output": [{ "id": "msg_1", "type": "message", "role": "assistant",
            "content": [{ "type": "refusal", "refusal": "I'm sorry, I cannot assist with that request." }] }]
    }))
    .unwrap();
    let m = &c.choices[0].message;
    assert_eq!(
        m.refusal.as_deref(),
        Some("I'm sorry, I cannot assist with that request.")
    );
    assert_eq!(m.content, None);
}

#[test]
fn incomplete_is_length_or_content_filter() {
    for (reason, finish) in [
        ("max_output_tokens", "length"),
        ("max_tokens", "length"),
        ("content_filter", "content_filter"),
    ] {
        let c = decode(json!({
            "status": "incomplete", "incomplete_details": { "reason": reason },
            "output": [{ "type": "message", "content": [{ "type": "output_text", "text": "{\"is_va" }] }],
            "usage": { "input_tokens": 5, "output_tokens": 16 }
        }))
        .unwrap();
        assert_eq!(
            c.choices[0].finish_reason.as_deref(),
            Some(finish),
            "{reason}"
        );
        assert_eq!(c.choices[0].message.content.as_deref(), Some("{\"is_va"));
        assert_eq!(c.usage.unwrap().total_tokens, 21, "summed when absent");
    }
}

#[test]
fn function_calls_and_reasoning() {
    let c = decode(json!({
        "status": "completed",
        "output": [
            { "type": "reasoning", "id": "rs_1",
              "summary": [{ "type": "summary_text", "text": "The user wants a verdict." }],
              "encrypted_content": "gAAA" },
            { "type": "function_call", "id": "fc_1", "call_id": "call_unLAR8",
              "name": "Verdict", "arguments": "{\"is_valid\":true}", "status": "completed" },
            { "type": "function_call", "id": "fc_2", "call_id": "call_2",
              "name": "Verdict", "arguments": "{}" }
        ]
    }))
    .unwrap();
    let m = &c.choices[0].message;
    assert_eq!(c.choices[0].finish_reason.as_deref(), Some("tool_calls"));
    assert_eq!(m.tool_calls.len(), 2);
    assert_eq!(m.tool_calls[0].id, "call_unLAR8");
    assert_eq!(m.tool_calls[0].function.name, "Verdict");
    assert_eq!(m.tool_calls[0].function.arguments, "{\"is_valid\":true}");
    assert_eq!(m.thinking(), Some("The user wants a verdict."));
    assert_eq!(m.content, None, "thinking is kept apart from the answer");
    // llama.cpp's reasoning item: the text in `content`, an empty summary.
    let c = decode(json!({ "status": "completed", "output": [
        { "type": "reasoning", "summary": [], "content": [{ "type": "reasoning_text", "text": "hmm" }] },
        { "type": "message", "content": [{ "type": "output_text", "text": "{}" }] }
    ]}))
    .unwrap();
    assert_eq!(c.choices[0].message.thinking(), Some("hmm"));
    assert_eq!(c.choices[0].message.content.as_deref(), Some("{}"));
}

#[test]
fn a_failed_response_is_an_error_that_says_why() {
    let why = decode(json!({
        "status": "failed",
        "error": { "code": "server_error", "message": "The model failed to generate a response." },
        "output": []
    }))
    .unwrap_err();
    assert_eq!(
        why,
        "the response failed (server_error): The model failed to generate a response."
    );
    assert!(decode(json!({ "status": "failed" })).is_err());
    assert!(decode(json!({ "status": "queued" }))
        .unwrap_err()
        .contains("queued"));
    assert!(OpenAiResponses.decode("<html>").is_err());
}

#[test]
fn error_bodies_are_read_like_chat_completions() {
    let f = OpenAiResponses.error_fields(
        r#"{"error":{"message":"Rate limit reached","type":"requests","param":null,"code":"rate_limit_exceeded"}}"#,
    );
    assert_eq!(f.message.as_deref(), Some("Rate limit reached"));
    assert_eq!(f.kind.as_deref(), Some("requests"));
    assert_eq!(f.code.as_deref(), Some("rate_limit_exceeded"));
}

// ---- stream events

fn deltas(event: &str, data: Value) -> Result<Vec<Delta>, String> {
    let mut out = Vec::new();
    OpenAiResponses
        .decode_event(event, &data.to_string(), &mut out)
        .map(|()| out)
}

fn one(event: &str, data: Value) -> Vec<Delta> {
    deltas(event, data).unwrap()
}

#[test]
fn created_gives_the_id_and_model() {
    assert_eq!(
        one(
            "response.created",
            json!({ "type": "response.created", "sequence_number": 0,
                "response": { "id": "resp_1", "model": "gpt-5.4", "status": "in_progress", "output": [] } })
        ),
        [Delta::Id("resp_1".into()), Delta::Model("gpt-5.4".into())]
    );
}

#[test]
fn text_refusal_and_thinking_deltas() {
    assert_eq!(
        one(
            "response.output_text.delta",
            json!({ "type": "response.output_text.delta", "item_id": "msg_t1", "output_index": 0,
                "content_index": 0, "delta": "Hi" })
        ),
        [Delta::Text("Hi".into())]
    );
    assert_eq!(
        one(
            "response.refusal.delta",
            json!({ "type": "response.refusal.delta", "item_id": "msg_r1", "output_index": 0,
                "content_index": 0, "delta": "refusal text so far", "sequence_number": 1 })
        ),
        [Delta::Refusal("refusal text so far".into())]
    );
    for kind in [
        "response.reasoning_summary_text.delta",
        "response.reasoning_text.delta",
    ] {
        assert_eq!(
            one(
                kind,
                json!({ "type": kind, "item_id": "rs_1", "delta": "think" })
            ),
            [Delta::Thinking("think".into())]
        );
    }
    // The event's `type` decides, whatever the `event:` line says (or when there is none).
    assert_eq!(
        one(
            "",
            json!({ "type": "response.output_text.delta", "item_id": "msg_t2", "delta": "x" })
        ),
        [Delta::Text("x".into())]
    );
}

#[test]
fn a_function_call_arrives_as_call_deltas() {
    assert_eq!(
        one(
            "response.output_item.added",
            json!({ "type": "response.output_item.added", "output_index": 1,
                "item": { "type": "function_call", "id": "fc_a1", "call_id": "call_a1",
                    "name": "Verdict", "arguments": "" } })
        ),
        [Delta::Call {
            index: 1,
            id: Some("call_a1".into()),
            name: Some("Verdict".into()),
            arguments: None
        }]
    );
    assert_eq!(
        one(
            "response.function_call_arguments.delta",
            json!({ "type": "response.function_call_arguments.delta", "item_id": "fc_a1",
                "output_index": 1, "delta": "{\"is_valid\":" })
        ),
        [Delta::Call {
            index: 1,
            id: None,
            name: None,
            arguments: Some("{\"is_valid\":".into())
        }]
    );
    // The whole arguments again at the end: nothing more to pass on.
    assert_eq!(
        one(
            "response.function_call_arguments.done",
            json!({ "type": "response.function_call_arguments.done", "item_id": "fc_a1",
                "output_index": 1, "arguments": "{\"is_valid\":" })
        ),
        []
    );
    // A message item added says nothing yet.
    assert_eq!(
        one(
            "response.output_item.added",
            json!({ "type": "response.output_item.added", "output_index": 0,
                "item": { "type": "message", "id": "msg_a1", "content": [] } })
        ),
        []
    );
}

#[test]
fn llama_cpp_calls_are_told_apart_by_item_id_and_finished_by_done() {
    let added = |id: &str| {
        one(
            "response.output_item.added",
            json!({ "type": "response.output_item.added",
                "item": { "type": "function_call", "id": id, "call_id": format!("call_{id}"),
                    "name": "Verdict", "arguments": "" } }),
        )
    };
    let index_of = |d: &[Delta]| match d[0] {
        Delta::Call { index, .. } => index,
        _ => panic!("{d:?}"),
    };
    let (a, b) = (index_of(&added("fc_l1")), index_of(&added("fc_l2")));
    assert_ne!(a, b);
    let delta = one(
        "response.function_call_arguments.delta",
        json!({ "type": "response.function_call_arguments.delta", "item_id": "fc_l2",
            "delta": "{\"is_valid\":tr" }),
    );
    assert_eq!(index_of(&delta), b);
    // The last chunk sends no delta: the done item carries the rest.
    assert_eq!(
        one(
            "response.output_item.done",
            json!({ "type": "response.output_item.done",
                "item": { "type": "function_call", "id": "fc_l2", "call_id": "call_fc_l2",
                    "name": "Verdict", "arguments": "{\"is_valid\":true}", "status": "completed" } })
        ),
        [Delta::Call {
            index: b,
            id: None,
            name: None,
            arguments: Some("ue}".into())
        }]
    );
}

#[test]
fn llama_cpp_text_tail_comes_from_the_done_events_once() {
    let text = |d: &str| {
        one(
            "response.output_text.delta",
            json!({ "type": "response.output_text.delta", "item_id": "msg_l1", "delta": d }),
        )
    };
    assert_eq!(text("{\"a\":"), [Delta::Text("{\"a\":".into())]);
    let whole = "{\"a\":1}";
    assert_eq!(
        one(
            "response.output_text.done",
            json!({ "type": "response.output_text.done", "item_id": "msg_l1", "text": whole })
        ),
        [Delta::Text("1}".into())]
    );
    assert_eq!(
        one(
            "response.content_part.done",
            json!({ "type": "response.content_part.done", "item_id": "msg_l1",
                "part": { "type": "output_text", "text": whole } })
        ),
        []
    );
    assert_eq!(
        one(
            "response.output_item.done",
            json!({ "type": "response.output_item.done",
                "item": { "type": "message", "id": "msg_l1",
                    "content": [{ "type": "output_text", "text": whole }] } })
        ),
        []
    );
    // A text that came whole in the last chunk (no delta before it).
    assert_eq!(
        one(
            "response.output_item.done",
            json!({ "type": "response.output_item.done",
                "item": { "type": "message", "id": "msg_l2",
                    "content": [{ "type": "output_text", "text": "{}" }] } })
        ),
        [Delta::Text("{}".into())]
    );
}

#[test]
fn completed_and_incomplete_end_the_stream() {
    assert_eq!(
        one(
            "response.completed",
            json!({ "type": "response.completed", "response": {
                "id": "resp_1", "model": "gpt-5.4", "status": "completed",
                "output": [{ "type": "message", "id": "msg_c1",
                    "content": [{ "type": "output_text", "text": "{}" }] }],
                "usage": usage_body() } })
        ),
        [
            Delta::Usage(Usage {
                prompt_tokens: 37,
                completion_tokens: 11,
                total_tokens: 48,
                cached_tokens: 32,
                cache_creation_tokens: 0,
                reasoning_tokens: 4
            }),
            Delta::Id("resp_1".into()),
            Delta::Model("gpt-5.4".into()),
            Delta::Finish("stop".into()),
            Delta::Done
        ]
    );
    let d = one(
        "response.incomplete",
        json!({ "type": "response.incomplete", "response": {
            "status": "incomplete", "incomplete_details": { "reason": "max_output_tokens" },
            "output": [], "usage": { "input_tokens": 1, "output_tokens": 2, "total_tokens": 3 } } }),
    );
    assert_eq!(d[1], Delta::Finish("length".into()));
    assert_eq!(d[2], Delta::Done);
    let d = one(
        "response.completed",
        json!({ "type": "response.completed", "response": { "status": "completed",
            "output": [{ "type": "function_call", "id": "fc_c1", "name": "f", "arguments": "{}" }] } }),
    );
    assert_eq!(d, [Delta::Finish("tool_calls".into()), Delta::Done]);
}

#[test]
fn failures_and_errors_in_the_stream() {
    assert_eq!(
        deltas(
            "response.failed",
            json!({ "type": "response.failed", "response": { "status": "failed",
                "error": { "code": "server_error", "message": "The model failed to generate a response." } } })
        )
        .unwrap_err(),
        "the response failed (server_error): The model failed to generate a response."
    );
    assert_eq!(
        deltas(
            "error",
            json!({ "type": "error", "code": "ERR_SOMETHING", "message": "Something went wrong",
                "param": null, "sequence_number": 1 })
        )
        .unwrap_err(),
        "Something went wrong (ERR_SOMETHING)"
    );
    // llama.cpp: a bare error line, no `event:`.
    assert_eq!(
        deltas(
            "",
            json!({ "error": { "code": 500, "message": "boom", "type": "server_error" } })
        )
        .unwrap_err(),
        "boom"
    );
    let mut out = Vec::new();
    assert!(OpenAiResponses
        .decode_event("", "not json", &mut out)
        .unwrap_err()
        .starts_with("an event is not a Responses stream event"));
    OpenAiResponses
        .decode_event("", "[DONE]", &mut out)
        .unwrap();
    assert_eq!(out, [Delta::Done]);
    // Events the SDK does not read are skipped.
    assert_eq!(
        one(
            "response.in_progress",
            json!({ "type": "response.in_progress", "response": { "status": "in_progress" } })
        ),
        []
    );
    assert_eq!(
        one(
            "response.web_search_call.searching",
            json!({ "type": "response.web_search_call.searching" })
        ),
        []
    );
}
