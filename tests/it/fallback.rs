//! The fallback chain (`Client::with_fallback`) against real HTTP servers on 127.0.0.1: a
//! chat-completions server that fails at the transport hands the extraction to an
//! Anthropic-dialect server; an answer that fails validation is re-asked on the same client
//! and never handed on.

use instructor::{Client, Error, ErrorKind, Provider, RetryPolicy};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::providers::anthropic;
use crate::support::servers::mock::{count, json_ok};
use crate::support::*;

/// An Anthropic-dialect client at `server`, with its own model, that does not retry.
fn anthropic(server: &MockServer) -> Client {
    anthropic::builder(&server.uri())
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap()
}

/// A chat-completions client at `server` that does not retry.
fn chat(server: &MockServer) -> Client {
    builder(server)
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap()
}

async fn anthropic_answering_jason() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .respond_with(json_ok(anthropic::tool_reply(
            "toolu_01",
            json!({ "name": "Jason", "age": 20 }),
            (50, 9),
        )))
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn a_503_hands_the_extraction_to_the_next_provider() {
    let failing = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(503).set_body_json(json!({"error": {"message": "down"}})),
        )
        .mount(&failing)
        .await;
    let next = anthropic_answering_jason().await;
    let client = chat(&failing).with_fallback(anthropic(&next));
    let (user, extraction) = client
        .extract::<UserDetails>()
        .user("Jason is 20")
        .send_with_extraction()
        .await
        .unwrap();
    assert_eq!(user, jason());
    assert_eq!(extraction.provider, Provider::Anthropic);
    assert_eq!(extraction.model, "claude-test");
    assert_eq!(extraction.usage.prompt_tokens, 50);
    assert_eq!(extraction.fallbacks.len(), 1);
    let failed = &extraction.fallbacks[0];
    assert_eq!(failed.provider, Provider::OpenAiChat);
    assert_eq!(failed.model, "test-model");
    assert!(
        matches!(failed.error, Error::Api { status: 503, .. }),
        "{:?}",
        failed.error
    );
    assert_eq!((count(&failing).await, count(&next).await), (1, 1));
}

#[tokio::test]
async fn a_validation_failure_is_re_asked_never_handed_on() {
    let invalid = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(json_ok(content_reply(
            r#"{"name": "Jason", "age": 200}"#,
            usage(10, 5),
        )))
        .mount(&invalid)
        .await;
    let next = anthropic_answering_jason().await;
    let client = chat(&invalid).with_fallback(anthropic(&next));
    let err = client
        .extract::<UserDetails>()
        .user("Jason is 20")
        .max_retries(1)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RetriesExhausted, "{err}");
    assert_eq!((count(&invalid).await, count(&next).await), (2, 0));
}

#[tokio::test]
async fn the_last_client_s_error_is_the_extraction_s() {
    let (a, b) = (MockServer::start().await, MockServer::start().await);
    for (server, status) in [(&a, 429), (&b, 500)] {
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(status))
            .mount(server)
            .await;
    }
    let err = chat(&a)
        .with_fallback(chat(&b))
        .extract::<UserDetails>()
        .user("Jason is 20")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Api { status: 500, .. }), "{err:?}");
    assert_eq!((count(&a).await, count(&b).await), (1, 1));
}
