//! Anthropic's Messages dialect (`Provider::Anthropic`) against real HTTP servers on
//! 127.0.0.1: wiremock for whole replies (the request asserted exactly), the fault server
//! for a stream written one byte at a time. The replies are shaped as the Messages API
//! reference and guides show them (notes/providers-wire.md §1). The re-ask round, refusal,
//! truncation and an overload retried are rows of `providers`.

use std::sync::{Arc, Mutex};

use instructor::{Client, Error, Message, Mode};
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::providers::anthropic::{self, message, tool_reply};
use crate::support::providers::{
    assert_hides_key, bytewise, named_events, partials_then_final, serving_at,
};
use crate::support::servers::fault::{Fault, FaultServer, SseEnd};
use crate::support::servers::jason_from;
use crate::support::servers::mock::{bodies, json_ok};
use crate::support::*;

const USER: &str = r#"Extract the following entities: "Jason is 20""#;
const SYSTEM: &str = "You are a world class extractor";

/// A client of the kit's Anthropic configuration at `base` (the host).
fn anthropic(base: &str) -> Client {
    anthropic::builder(base).build().unwrap()
}

/// A server answering `/v1/messages` with `replies` in order, each once.
async fn serving(replies: Vec<ResponseTemplate>) -> MockServer {
    serving_at(anthropic::PATH, &[], replies).await
}

fn user_turn() -> Value {
    json!({ "role": "user", "content": [{ "type": "text", "text": USER }] })
}

#[tokio::test]
async fn a_tools_mode_request_is_exact_and_extracts_user_details() {
    let server = serving(vec![json_ok(tool_reply(
        "toolu_01",
        json!({ "name": "Jason", "age": 20 }),
        (50, 20),
    ))])
    .await;
    let request = anthropic(&server.uri())
        .extract::<UserDetails>()
        .system(SYSTEM)
        .user(USER)
        .temperature(0.0)
        .seed(42)
        .max_tokens(256);
    let extraction = jason_from(request).await;
    assert_eq!(extraction.usage.total_tokens, 70);

    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!(r.method.as_str(), "POST");
    assert_eq!(r.url.path(), "/v1/messages");
    assert_eq!(r.headers.get("x-api-key").unwrap(), KEY);
    assert_eq!(r.headers.get("anthropic-version").unwrap(), "2023-06-01");
    assert!(r.headers.get("authorization").is_none());
    assert_eq!(
        r.body_json::<Value>().unwrap(),
        json!({
            "model": "claude-test",
            "max_tokens": 256,
            "system": SYSTEM,
            "messages": [user_turn()],
            "temperature": 0.0,
            "tools": [{
                "name": "UserDetails",
                "description": "A person mentioned in the text.",
                "input_schema": {
                    "type": "object",
                    "properties": {
                        "name": { "type": "string", "minLength": 1 },
                        "age": { "type": "integer", "minimum": 0, "maximum": 120 },
                        "nickname": { "type": ["string", "null"] }
                    },
                    "required": ["name", "age"]
                }
            }],
            "tool_choice": { "type": "tool", "name": "UserDetails" }
        })
    );
}

#[tokio::test]
async fn a_structured_output_extraction_sends_output_config() {
    let reply = message(
        json!([{ "type": "text", "text": r#"{"name": "Jason", "age": 20}"# }]),
        "end_turn",
        40,
        12,
    );
    let server = serving(vec![json_ok(reply)]).await;
    let user = anthropic(&server.uri())
        .extract::<UserDetails>()
        .mode(Mode::JsonSchema)
        .user(USER)
        .send()
        .await
        .unwrap();
    assert_eq!(user, jason());
    let body = &bodies(&server).await[0];
    assert_eq!(body["max_tokens"], 4096, "the client's default limit");
    assert!(body.get("tools").is_none() && body.get("tool_choice").is_none());
    assert_eq!(
        body["output_config"],
        json!({ "format": { "type": "json_schema", "schema": {
            "type": "object",
            "properties": {
                "name": { "type": "string", "description": "minLength: 1." },
                "age": { "type": "integer", "description": "maximum: 120. minimum: 0." },
                "nickname": { "type": ["string", "null"] }
            },
            "required": ["name", "age"],
            "description": "A person mentioned in the text.",
            "additionalProperties": false
        } } })
    );
}

#[tokio::test]
async fn a_spent_credit_limit_is_not_retried() {
    let spent = json!({ "type": "error", "error": { "type": "rate_limit_error",
        "message": "You have reached your specified workspace API usage limits. You will regain access on 2026-12-31." } });
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .respond_with(ResponseTemplate::new(429).set_body_json(spent))
        .mount(&server)
        .await;
    let err = anthropic(&server.uri())
        .extract::<UserDetails>()
        .user(USER)
        .send()
        .await
        .unwrap_err();
    match &err {
        Error::Api {
            status,
            kind,
            message,
            ..
        } => {
            assert_eq!(*status, 429);
            assert_eq!(kind.as_deref(), Some("rate_limit_error"));
            assert!(message.contains("usage limits"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(bodies(&server).await.len(), 1);
}

#[tokio::test]
async fn a_stream_split_at_every_byte_gives_partials_and_the_value() {
    let args = [r#"{"name": "#, r#""Jason", "#, r#""age": 2"#, r#"0}"#];
    let mut events = vec![
        json!({ "type": "message_start", "message": { "id": "msg_s",
        "type": "message", "role": "assistant", "content": [], "model": "claude-test",
        "stop_reason": null, "stop_sequence": null,
        "usage": { "input_tokens": 25, "cache_read_input_tokens": 5, "output_tokens": 1 } } }),
        json!({ "type": "ping" }),
        json!({ "type": "content_block_start", "index": 0,
        "content_block": { "type": "tool_use", "id": "toolu_s", "name": "UserDetails", "input": {} } }),
        json!({ "type": "content_block_delta", "index": 0,
        "delta": { "type": "input_json_delta", "partial_json": "" } }),
    ];
    for piece in args {
        events.push(json!({ "type": "content_block_delta", "index": 0,
            "delta": { "type": "input_json_delta", "partial_json": piece } }));
    }
    events.push(json!({ "type": "content_block_stop", "index": 0 }));
    events.push(json!({ "type": "message_delta",
        "delta": { "stop_reason": "tool_use", "stop_sequence": null },
        "usage": { "output_tokens": 15 } }));
    events.push(json!({ "type": "message_stop" }));
    let bytes = bytewise(&named_events(&events));

    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let server = FaultServer::start(move |req, _| {
        log.lock().unwrap().push((
            req.path.clone(),
            req.header("x-api-key").map(str::to_owned),
            req.json(),
        ));
        Fault::Sse {
            events: bytes.clone(),
            end: SseEnd::Finish,
        }
    })
    .await;
    let base = server.base();
    let client = anthropic(base.trim_end_matches("/v1"));

    let (partials, user, extraction) = partials_then_final(&client, USER).await;
    let last = partials.last().unwrap();
    assert_eq!(last.name.as_deref(), Some("Jason"));
    assert_eq!(last.age, Some(20));
    assert_eq!(user, jason());
    assert_eq!(extraction.usage.prompt_tokens, 30);
    assert_eq!(extraction.usage.cached_tokens, 5);
    assert_eq!(extraction.usage.completion_tokens, 15);
    assert_eq!(extraction.usage.total_tokens, 45);

    let seen = seen.lock().unwrap();
    let (path, key, body) = &seen[0];
    assert_eq!(path, "/v1/messages");
    assert_eq!(key.as_deref(), Some(KEY));
    assert_eq!(body["stream"], true);
    assert_eq!(
        body["tool_choice"],
        json!({ "type": "tool", "name": "UserDetails" })
    );
}

#[tokio::test]
async fn the_key_is_never_shown() {
    let client = Client::anthropic(KEY);
    assert_eq!(client.base_url(), "https://api.anthropic.com");
    assert_hides_key(&client);

    let echoed = json!({ "type": "error", "error": { "type": "authentication_error",
        "message": format!("invalid x-api-key: {KEY}") } });
    let server = serving(vec![ResponseTemplate::new(401).set_body_json(echoed)]).await;
    let client = anthropic(&server.uri());
    assert_hides_key(&client);
    let err = client
        .extract::<UserDetails>()
        .user(USER)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(&err, Error::Api { status: 401, .. }), "{err:?}");
    assert_no_key(&err);
}

#[tokio::test]
async fn prompt_caching_marks_the_tools_and_the_system_block_and_reports_the_savings() {
    // The first request writes the prefix to the cache, the second reads it
    // (prompt-caching guide: "Total input tokens" = input + cache creation + cache read).
    let reply = |creation: u64, read: u64| {
        let mut r = tool_reply("toolu_01", json!({ "name": "Jason", "age": 20 }), (12, 9));
        r["usage"]["cache_creation_input_tokens"] = json!(creation);
        r["usage"]["cache_read_input_tokens"] = json!(read);
        json_ok(r)
    };
    let server = serving(vec![reply(2048, 0), reply(0, 2048)]).await;
    let client = anthropic::builder(&server.uri())
        .cache_prompt(true)
        .build()
        .unwrap();
    let mut usages = Vec::new();
    for _ in 0..2 {
        let ask = client
            .extract::<UserDetails>()
            .messages([Message::system(SYSTEM), Message::user(USER)]);
        let (user, extraction) = ask.send_with_extraction().await.unwrap();
        assert_eq!((user, extraction.attempts.len()), (jason(), 1));
        usages.push(extraction.usage);
    }
    assert_eq!(
        (
            usages[0].prompt_tokens,
            usages[0].cache_creation_tokens,
            usages[0].cached_tokens
        ),
        (2060, 2048, 0)
    );
    assert_eq!(
        (
            usages[1].prompt_tokens,
            usages[1].cache_creation_tokens,
            usages[1].cached_tokens
        ),
        (2060, 0, 2048)
    );
    assert_eq!(usages[1].total_tokens, 2069);

    for body in bodies(&server).await {
        assert_eq!(
            body["system"],
            json!([{ "type": "text", "text": SYSTEM, "cache_control": { "type": "ephemeral" } }])
        );
        let tools = body["tools"].as_array().unwrap();
        assert_eq!(tools.len(), 1);
        assert_eq!(tools[0]["name"], "UserDetails");
        assert_eq!(tools[0]["cache_control"], json!({ "type": "ephemeral" }));
        assert_eq!(body["messages"], json!([user_turn()]));
    }
}
