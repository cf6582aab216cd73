//! OpenAI's Responses API ([`Provider::OpenAiResponses`]) against real HTTP servers on
//! 127.0.0.1: the exact request, extraction in the structured-output and tools modes, a
//! stream split at every byte, a failed stream, and the key kept out of what a client and
//! its errors show. The re-ask round, the replies that end an extraction and a retried 429
//! are rows of `providers`.

use instructor::{Client, ClientBuilder, Instructor, Mode};
use serde_json::json;
use wiremock::{MockServer, ResponseTemplate};

use crate::support::providers::responses::{self, call_reply, text_reply, usage};
use crate::support::providers::{
    assert_hides_key, bytewise, named_events, partials_then_final, serving_at,
};
use crate::support::servers::fault::{Fault, FaultServer, SseEnd};
use crate::support::servers::jason_from;
use crate::support::servers::mock::{bodies, json_ok as ok};
use crate::support::{
    assert_no_key, config_why, jason, kind, seeing_hooks, Endpoint, UserDetails, JASON, KEY,
};

const SYSTEM: &str = "You are a world class extractor";
const USER: &str = r#"Extract the following entities: "Jason is 20""#;

/// The kit's client configuration, speaking the Responses API.
fn responses(server: &impl Endpoint) -> ClientBuilder {
    responses::builder(server)
}

/// A server answering `POST /v1/responses` (with the key, as JSON) with `replies` in order,
/// each once.
async fn serve(replies: Vec<ResponseTemplate>) -> MockServer {
    let bearer = format!("Bearer {KEY}");
    let headers = [
        ("authorization", bearer.as_str()),
        ("content-type", "application/json"),
    ];
    serving_at(responses::PATH, &headers, replies).await
}

#[tokio::test]
async fn json_schema_strict_sends_exactly_the_responses_body_and_extracts() {
    let server = serve(vec![ok(text_reply(JASON, usage(10, 5)))]).await;
    let client = responses(&server)
        .default_mode(Mode::JsonSchemaStrict)
        .build()
        .unwrap();
    let request = client
        .extract::<UserDetails>()
        .system(SYSTEM)
        .user(USER)
        .temperature(0.0)
        .max_tokens(256)
        .seed(7);
    let extraction = jason_from(request).await;
    assert_eq!(extraction.usage.total_tokens, 15);
    let schema =
        instructor::mode::request_schema(UserDetails::json_schema(), Mode::JsonSchemaStrict);
    assert_eq!(
        bodies(&server).await,
        vec![json!({
            "model": "test-model",
            "instructions": SYSTEM,
            "input": [{ "type": "message", "role": "user",
                "content": [{ "type": "input_text", "text": USER }] }],
            "text": { "format": {
                "type": "json_schema", "name": "UserDetails", "schema": schema, "strict": true
            }},
            "temperature": 0.0,
            "max_output_tokens": 256,
            "store": false
        })]
    );
}

#[tokio::test]
async fn tools_mode_reads_the_function_call() {
    let server = serve(vec![ok(call_reply(
        "call_1",
        "UserDetails",
        JASON,
        usage(12, 7),
    ))])
    .await;
    let request = responses(&server)
        .build()
        .unwrap()
        .extract::<UserDetails>()
        .mode(Mode::Tools)
        .user(USER);
    jason_from(request).await;
    let sent = &bodies(&server).await[0];
    assert_eq!(
        sent["tool_choice"],
        json!({ "type": "function", "name": "UserDetails" })
    );
    let tool = &sent["tools"][0];
    assert_eq!(tool["type"], "function");
    assert_eq!(tool["name"], "UserDetails");
    assert_eq!(tool["strict"], false);
    assert_eq!(
        tool["parameters"],
        instructor::mode::request_schema(UserDetails::json_schema(), Mode::Tools)
    );
    assert!(sent.get("text").is_none());
    assert_eq!(
        sent["max_output_tokens"], 4096,
        "the client's default limit"
    );
}

#[tokio::test]
async fn a_stream_split_at_every_byte_gives_partials_then_the_value() {
    let text = r#"{"name": "Jason", "age": 20}"#;
    let (head, tail) = text.split_at(9);
    let mut events = vec![
        json!({ "type": "response.created", "sequence_number": 0,
            "response": { "id": "resp_s", "model": "gpt-test", "status": "in_progress", "output": [] } }),
        json!({ "type": "response.output_item.added", "output_index": 0, "sequence_number": 1,
            "item": { "id": "msg_s", "type": "message", "status": "in_progress", "role": "assistant", "content": [] } }),
    ];
    for piece in [head, tail] {
        events.push(
            json!({ "type": "response.output_text.delta", "item_id": "msg_s",
            "output_index": 0, "content_index": 0, "delta": piece }),
        );
    }
    events.push(
        json!({ "type": "response.output_text.done", "item_id": "msg_s",
        "output_index": 0, "content_index": 0, "text": text }),
    );
    events.push(json!({ "type": "response.completed", "response": {
        "id": "resp_s", "model": "gpt-test", "status": "completed",
        "output": [{ "id": "msg_s", "type": "message", "role": "assistant",
            "content": [{ "type": "output_text", "text": text }] }],
        "usage": usage(11, 7) } }));
    let body = named_events(&events);
    let server = FaultServer::always(Fault::Sse {
        events: bytewise(&body),
        end: SseEnd::Finish,
    })
    .await;
    let client = responses(&server).build().unwrap();
    let (partials, value, extraction) = partials_then_final(&client, USER).await;
    let first = &partials[0];
    assert_eq!(first.age, None, "the age comes later: {partials:?}");
    assert_eq!(value, jason());
    assert_eq!(extraction.usage.prompt_tokens, 11);
    assert_eq!(extraction.usage.completion_tokens, 7);
    assert_eq!(extraction.response().id, "resp_s");
}

#[tokio::test]
async fn a_failed_stream_is_an_error_with_the_reason() {
    let body = named_events(&[
        json!({ "type": "response.created", "response": { "id": "resp_f", "status": "in_progress" } }),
        json!({ "type": "response.failed", "response": { "id": "resp_f", "status": "failed",
            "error": { "code": "server_error", "message": "The model failed to generate a response." } } }),
    ]);
    let server = FaultServer::always(Fault::Sse {
        events: vec![body],
        end: SseEnd::Finish,
    })
    .await;
    let err = responses(&server)
        .build()
        .unwrap()
        .extract::<UserDetails>()
        .user(USER)
        .stream_partial()
        .into_final()
        .await
        .unwrap_err();
    let shown = err.to_string();
    assert!(
        shown.contains("The model failed to generate a response."),
        "{shown}"
    );
    assert!(shown.contains("server_error"), "{shown}");
}

#[tokio::test]
async fn the_key_is_not_in_the_client_or_its_errors() {
    assert_hides_key(&Client::openai_responses(KEY));
    let server = serve(vec![ResponseTemplate::new(401).set_body_json(
        json!({ "error": {
        "message": "Incorrect API key provided: sk-test-****4242.",
        "type": "invalid_request_error", "param": null, "code": "invalid_api_key" } }),
    )])
    .await;
    let (builder, seen) = seeing_hooks(responses(&server));
    let err = builder
        .build()
        .unwrap()
        .extract::<UserDetails>()
        .user(USER)
        .await
        .unwrap_err();
    assert_eq!(kind(&err), "Api 401");
    assert!(err.to_string().contains("Incorrect API key"), "{err}");
    assert_no_key(&err);
    for line in seen.lock().unwrap().iter() {
        assert!(!line.contains(KEY), "{line}");
    }
    // A JsonObjectSchema request never leaves: the API has no such form.
    let err = Client::openai_responses(KEY)
        .extract::<UserDetails>()
        .model("gpt-test")
        .mode(Mode::JsonObjectSchema)
        .user(USER)
        .await
        .unwrap_err();
    let why = config_why(&err);
    assert!(why.contains("Responses API"), "{why}");
    assert_no_key(&err);
}
