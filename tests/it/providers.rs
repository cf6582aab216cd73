//! What the Anthropic, Gemini and Responses dialects do alike, one table row per dialect
//! against real HTTP servers on 127.0.0.1: a rate-limit or overload status is retried and
//! the next answer read, and `Mode::JsonObjectSchema` (which none of them has) is refused
//! before any request.

use serde_json::json;
use wiremock::{MockServer, ResponseTemplate};

use crate::support::providers::{
    anthropic, gemini, refused_json_object_schema, responses, serving_at,
};
use crate::support::servers::mock::json_ok;
use crate::support::{jason, UserDetails, JASON, KEY};

/// The retryable status each dialect's API documents, answered first; its next answer reads.
#[tokio::test]
async fn a_retryable_status_is_retried_then_the_answer_read() {
    let bearer = format!("Bearer {KEY}");
    let responses_headers = [
        ("authorization", bearer.as_str()),
        ("content-type", "application/json"),
    ];
    let anthropic_overloaded = ResponseTemplate::new(529).set_body_json(json!({ "type": "error",
        "error": { "type": "overloaded_error", "message": "Overloaded" }, "request_id": "req_1" }));
    let gemini_exhausted = ResponseTemplate::new(429).set_body_json(json!({ "error": {
        "code": 429, "message": "Resource has been exhausted (e.g. check quota).", "status": "RESOURCE_EXHAUSTED" } }));
    let responses_limited = ResponseTemplate::new(429)
        .insert_header("retry-after", "0")
        .set_body_json(json!({ "error": {
            "message": "Rate limit reached", "type": "requests", "param": null,
            "code": "rate_limit_exceeded" } }));
    let rows = [
        (
            "anthropic",
            anthropic::PATH,
            &[][..],
            anthropic_overloaded,
            anthropic::tool_reply("toolu_01", json!({ "name": "Jason", "age": 20 }), (5, 5)),
        ),
        (
            "gemini",
            gemini::PATH,
            &[][..],
            gemini_exhausted,
            gemini::text_reply(r#"{"name":"Jason","age":20}"#, 10, 5),
        ),
        (
            "responses",
            responses::PATH,
            &responses_headers[..],
            responses_limited,
            responses::text_reply(JASON, responses::usage(10, 5)),
        ),
    ];
    for (dialect, at, headers, limited, answer) in rows {
        let server = serving_at(at, headers, vec![limited, json_ok(answer)]).await;
        let client = match dialect {
            "anthropic" => anthropic::builder(&server.uri()),
            "gemini" => gemini::builder(&format!("{}/v1beta", server.uri())),
            _ => responses::builder(&server),
        }
        .build()
        .unwrap();
        let user = client
            .extract::<UserDetails>()
            .user(r#"Extract the following entities: "Jason is 20""#)
            .send()
            .await
            .unwrap();
        assert_eq!(user, jason(), "{dialect}");
        let sent = server.received_requests().await.unwrap().len();
        assert_eq!(sent, 2, "{dialect}");
    }
}

/// `Mode::JsonObjectSchema` never leaves the client, and the error names the dialect.
#[tokio::test]
async fn json_object_schema_is_refused_before_any_request() {
    let server = MockServer::start().await;
    let anthropic = anthropic::builder(&server.uri()).build().unwrap();
    let why = refused_json_object_schema(&anthropic, &server).await;
    assert!(
        why.contains("Anthropic") && why.contains("Mode::Tools"),
        "{why}"
    );
    let gemini = gemini::builder(&format!("{}/v1beta", server.uri()))
        .build()
        .unwrap();
    let why = refused_json_object_schema(&gemini, &server).await;
    assert!(why.contains("Gemini"), "{why}");
}
