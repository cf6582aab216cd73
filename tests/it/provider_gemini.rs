//! The Gemini dialect against real HTTP servers on 127.0.0.1 (wiremock, and the fault server
//! for a stream written a byte at a time): the exact request, extraction per mode, streams,
//! and the key kept out of sight. There is no local Gemini server: these wire tests carry the
//! dialect, with the rows of `providers` (the re-ask rounds, the filters, truncation, a 429
//! retried).

use instructor::{Client, Error, Mode, Provider, StreamExt};
use serde_json::{json, Value};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::providers::gemini::{self, call_reply, text_reply, MODEL, PATH};
use crate::support::providers::{assert_hides_key, drained, serving_at};
use crate::support::servers::fault::{Fault, FaultServer};
use crate::support::servers::jason_from;
use crate::support::servers::mock::json_ok as ok;
use crate::support::sse::Sse;
use crate::support::*;

const USER: &str = "Jason is 20";

/// A client of the kit's Gemini configuration at `base` (ending in `/v1beta`).
fn gemini_client(base: &str) -> Client {
    gemini::builder(base).build().unwrap()
}

fn base(server: &MockServer) -> String {
    format!("{}/v1beta", server.uri())
}

/// A server answering `replies` in order at Gemini's path, each once.
async fn serving_gemini(replies: Vec<ResponseTemplate>) -> MockServer {
    serving_at(PATH, &[], replies).await
}

async fn requests(server: &MockServer) -> Vec<wiremock::Request> {
    server.received_requests().await.unwrap()
}

#[tokio::test]
async fn json_schema_mode_sends_the_exact_request_and_extracts() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(PATH))
        .and(header("x-goog-api-key", KEY))
        .respond_with(ok(text_reply(r#"{"name":"Jason","age":20}"#, 10, 5)))
        .expect(1)
        .mount(&server)
        .await;
    let request = gemini_client(&base(&server))
        .extract::<UserDetails>()
        .mode(Mode::JsonSchema)
        .system("Be exact.")
        .user(USER)
        .temperature(0.0);
    let extraction = jason_from(request).await;
    assert_eq!(extraction.usage.total_tokens, 15);
    let reqs = requests(&server).await;
    assert_eq!(reqs[0].method.as_str(), "POST");
    assert!(reqs[0].headers.get("authorization").is_none());
    let body: Value = reqs[0].body_json().unwrap();
    assert_eq!(
        body,
        json!({
            "systemInstruction": { "parts": [{ "text": "Be exact." }] },
            "contents": [{ "role": "user", "parts": [{ "text": USER }] }],
            "generationConfig": {
                "temperature": 0.0,
                "maxOutputTokens": 4096,
                "responseMimeType": "application/json",
                "responseJsonSchema": {
                    "type": "object",
                    "properties": strict_user_properties(),
                    "required": ["name", "age"],
                    "description": "A person mentioned in the text.",
                    "propertyOrdering": ["name", "age", "nickname"]
                }
            }
        })
    );
}

#[tokio::test]
async fn tools_mode_forces_the_function_and_extracts_the_call() {
    let server = serving_gemini(vec![ok(call_reply(
        json!({"name": "Jason", "age": 20}),
        12,
        6,
    ))])
    .await;
    let request = gemini_client(&base(&server))
        .extract::<UserDetails>()
        .mode(Mode::Tools)
        .user(USER);
    jason_from(request).await;
    let body: Value = requests(&server).await[0].body_json().unwrap();
    assert_eq!(
        body["toolConfig"],
        json!({ "functionCallingConfig": { "mode": "ANY", "allowedFunctionNames": ["UserDetails"] } })
    );
    let declaration = &body["tools"][0]["functionDeclarations"][0];
    assert_eq!(declaration["name"], "UserDetails");
    assert_eq!(
        declaration["parametersJsonSchema"]["required"],
        json!(["name", "age"])
    );
    assert!(body["generationConfig"].get("responseJsonSchema").is_none());
}

#[tokio::test]
async fn an_error_body_is_read_and_the_key_stays_hidden() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({ "error": {
            "code": 400, "message": format!("API key not valid: {KEY}"), "status": "INVALID_ARGUMENT" } })))
        .mount(&server)
        .await;
    let client = gemini_client(&base(&server));
    assert_hides_key(&client);
    let err = client
        .extract::<UserDetails>()
        .user(USER)
        .await
        .unwrap_err();
    assert_eq!(kind(&err), "Api 400");
    let shown = shown(&err);
    assert!(shown.contains("INVALID_ARGUMENT"), "{shown}");
    assert!(shown.contains("API key not valid"), "{shown}");
    assert_no_key(&err);
    assert_eq!(requests(&server).await.len(), 1, "a 400 is not retried");
}

#[test]
fn the_gemini_constructor() {
    let client = Client::gemini(KEY);
    assert_eq!(client.base_url(), instructor::client::GEMINI_BASE_URL);
    assert_eq!(
        client.base_url(),
        "https://generativelanguage.googleapis.com/v1beta"
    );
    assert_eq!(client.default_mode(), Mode::JsonSchema);
    assert_eq!(Provider::Gemini.name(), "gcp.gemini");
    assert_hides_key(&client);
}

/// The frames of a streamed answer: text in pieces, then the finish and the usage; no
/// `[DONE]` (the body just ends).
fn frames() -> Vec<u8> {
    let mut body = Vec::new();
    let pieces = ["{\"name\":", "\"Jas", "on\",\"age\"", ":20}"];
    for (i, piece) in pieces.iter().enumerate() {
        let mut frame = json!({
            "candidates": [{ "content": { "role": "model", "parts": [{ "text": piece }] }, "index": 0 }],
            "usageMetadata": { "promptTokenCount": 10, "totalTokenCount": 10 },
            "modelVersion": MODEL, "responseId": "r-s"
        });
        if i == 0 {
            frame["candidates"][0]["content"]["parts"] =
                json!([{ "text": "hmm", "thought": true }, { "text": piece }]);
        }
        if i == pieces.len() - 1 {
            frame["candidates"][0]["finishReason"] = json!("STOP");
            frame["usageMetadata"] = json!({ "promptTokenCount": 10, "candidatesTokenCount": 7,
                                            "thoughtsTokenCount": 3, "totalTokenCount": 20 });
        }
        body.extend(format!("data: {frame}\r\n\r\n").into_bytes());
    }
    body
}

#[tokio::test]
async fn stream_partial_with_frames_split_at_every_byte() {
    let body = frames();
    let server = FaultServer::start(move |req, _| {
        assert_eq!(req.method, "POST");
        assert_eq!(
            req.path,
            "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
        );
        assert_eq!(req.header("x-goog-api-key"), Some(KEY));
        let mut sse = Sse::new();
        for b in &body {
            sse = sse.raw(vec![*b]);
        }
        Fault::sse(sse)
    })
    .await;
    let stream = gemini_client(&format!("{}beta", server.base()))
        .extract::<UserDetails>()
        .user(USER)
        .stream_partial();
    let (partials, user, extraction) = drained(stream).await;
    assert!(!partials.is_empty());
    assert_eq!(user, jason());
    assert_eq!(extraction.usage.total_tokens, 20);
    assert_eq!(extraction.usage.completion_tokens, 10);
    assert_eq!(extraction.usage.reasoning_tokens, 3);
}

#[tokio::test]
async fn a_streamed_tool_call_arrives_whole() {
    let frame = json!({
        "candidates": [{ "content": { "role": "model", "parts": [
            { "functionCall": { "name": "UserDetails", "args": { "name": "Jason", "age": 20 } }, "thoughtSignature": "U0lH" }
        ] }, "finishReason": "STOP" }],
        "usageMetadata": { "promptTokenCount": 5, "candidatesTokenCount": 5, "totalTokenCount": 10 }
    });
    let server = FaultServer::start(move |_, _| {
        Fault::sse(Sse::new().raw(format!("data: {frame}\n\n").into_bytes()))
    })
    .await;
    let (user, extraction) = gemini_client(&format!("{}beta", server.base()))
        .extract::<UserDetails>()
        .mode(Mode::Tools)
        .user(USER)
        .stream_partial()
        .into_final_with_extraction()
        .await
        .unwrap();
    assert_eq!(user, jason());
    assert_eq!(extraction.usage.total_tokens, 10);
}

#[tokio::test]
async fn a_stream_blocked_by_safety_is_a_content_filter_error() {
    let frame = json!({ "candidates": [{ "finishReason": "SAFETY" }] });
    let server = FaultServer::start(move |_, _| {
        Fault::sse(Sse::new().raw(format!("data: {frame}\n\n").into_bytes()))
    })
    .await;
    let err = gemini_client(&format!("{}beta", server.base()))
        .extract::<UserDetails>()
        .user(USER)
        .max_retries(2)
        .stream_partial()
        .into_final()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::ContentFilter { .. }), "{err:?}");
    assert_eq!(server.requests(), 1);
}

/// Look up the weather in a city.
#[derive(Debug, PartialEq, serde::Deserialize, instructor::Instructor, garde::Validate)]
struct WeatherQuery {
    #[garde(length(min = 1))]
    city: String,
}

/// Search the web.
#[derive(Debug, PartialEq, serde::Deserialize, instructor::Instructor, garde::Validate)]
struct SearchQuery {
    #[garde(length(min = 1))]
    query: String,
}

#[derive(Debug, PartialEq, serde::Deserialize, instructor::Instructor, garde::Validate)]
#[instructor(tools)]
enum Action {
    Weather(#[garde(dive)] WeatherQuery),
    Search(#[garde(dive)] SearchQuery),
}

fn action_frame(name: &str, args: Value, finish: Option<&str>) -> Vec<u8> {
    let mut frame = json!({ "candidates": [{ "content": { "role": "model", "parts": [
        { "functionCall": { "name": name, "args": args } }] } }] });
    if let Some(f) = finish {
        frame["candidates"][0]["finishReason"] = json!(f);
    }
    format!("data: {frame}\n\n").into_bytes()
}

#[tokio::test]
async fn parallel_calls_in_separate_frames_are_separate_elements() {
    let server = FaultServer::start(move |req, _| {
        let body: Value = serde_json::from_slice(&req.body).unwrap();
        let names: Vec<&str> = body["tools"][0]["functionDeclarations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["Weather", "Search"]);
        assert_eq!(
            body["toolConfig"],
            json!({ "functionCallingConfig": { "mode": "ANY" } })
        );
        Fault::sse(
            Sse::new()
                .raw(action_frame("Weather", json!({ "city": "Lisbon" }), None))
                .raw(action_frame("Search", json!({ "query": "tour" }), None))
                .raw(action_frame(
                    "Weather",
                    json!({ "city": "Paris" }),
                    Some("STOP"),
                )),
        )
    })
    .await;
    let mut calls = gemini_client(&format!("{}beta", server.base()))
        .extract::<Action>()
        .mode(Mode::ParallelTools)
        .user("Weather in Lisbon and Paris, and search for the tour")
        .stream_iter();
    let mut got = Vec::new();
    while let Some(call) = calls.next().await {
        got.push(call.unwrap());
    }
    assert_eq!(
        got,
        [
            Action::Weather(WeatherQuery {
                city: "Lisbon".into()
            }),
            Action::Search(SearchQuery {
                query: "tour".into()
            }),
            Action::Weather(WeatherQuery {
                city: "Paris".into()
            }),
        ]
    );
}
