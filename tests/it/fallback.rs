//! The fallback chain (`Client::with_fallback`) against real HTTP servers on 127.0.0.1: a
//! chat-completions server that fails at the transport hands the extraction to an
//! Anthropic-dialect server, whole or streamed (a stream only before its first event); an
//! answer that fails validation is re-asked on the same client and never handed on.

use instructor::{Client, Error, ErrorKind, Provider, RetryPolicy, StreamExt};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::providers::{anthropic, drained};
use crate::support::servers::extracted;
use crate::support::servers::mock::{bodies, count, json_ok, sse_ok};
use crate::support::sse::Sse;
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

/// An Anthropic-dialect server answering every request with `reply`.
async fn anthropic_answering(reply: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(anthropic::PATH))
        .respond_with(reply)
        .mount(&server)
        .await;
    server
}

async fn anthropic_answering_jason() -> MockServer {
    let call = json!({ "name": "Jason", "age": 20 });
    anthropic_answering(json_ok(anthropic::tool_reply("toolu_01", call, (50, 9)))).await
}

#[tokio::test]
async fn a_503_hands_the_extraction_to_the_next_provider() {
    let failing = unavailable().await;
    let next = anthropic_answering_jason().await;
    let client = chat(&failing).with_fallback(anthropic(&next));
    let (user, extraction) = extracted::<UserDetails>(&client, "Jason is 20")
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

/// A chat-completions server that answers every request with 503.
async fn unavailable() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(503).set_body_json(json!({"error": {"message": "down"}})),
        )
        .mount(&server)
        .await;
    server
}

/// An Anthropic-dialect server streaming a `UserDetails` call whose arguments are `pieces`.
async fn anthropic_streaming(pieces: &[&str]) -> MockServer {
    anthropic_answering(sse_ok(anthropic::tool_stream("toolu_s", pieces))).await
}

#[tokio::test]
async fn a_stream_whose_first_request_fails_falls_back_before_any_event() {
    let failing = unavailable().await;
    let next = anthropic_streaming(&[r#"{"name": "Ja"#, r#"son", "age": 20}"#]).await;
    let stream = chat(&failing)
        .with_fallback(anthropic(&next))
        .extract::<UserDetails>()
        .user("Jason is 20")
        .stream_partial();
    let (partials, user, extraction) = drained(stream).await;
    assert_eq!(partials.last().unwrap().name.as_deref(), Some("Jason"));
    assert_eq!(user, jason());
    assert_eq!(extraction.provider, Provider::Anthropic);
    assert_eq!(extraction.model, "claude-test");
    assert_eq!(extraction.fallbacks.len(), 1);
    assert_eq!(extraction.fallbacks[0].provider, Provider::OpenAiChat);
    assert!(matches!(
        extraction.fallbacks[0].error,
        Error::Api { status: 503, .. }
    ));
    assert_eq!((count(&failing).await, count(&next).await), (1, 1));
    let sent = &bodies(&next).await[0];
    assert_eq!(sent["model"], "claude-test");
    assert_eq!(sent["stream"], true);
}

#[tokio::test]
async fn stream_iter_falls_back_too() {
    let failing = unavailable().await;
    let next = anthropic_streaming(&[
        r#"{"items": [{"name": "Jason", "age": 20},"#,
        r#" {"name": "Ann", "age": 30}]}"#,
    ])
    .await;
    let items: Vec<UserDetails> = chat(&failing)
        .with_fallback(anthropic(&next))
        .extract::<UserDetails>()
        .user("Jason is 20, Ann is 30")
        .stream_iter()
        .map(Result::unwrap)
        .collect()
        .await;
    assert_eq!(items.len(), 2);
    assert_eq!(items[0], jason());
    assert_eq!(items[1].name, "Ann");
    assert_eq!((count(&failing).await, count(&next).await), (1, 1));
}

#[tokio::test]
async fn a_stream_that_delivered_events_never_falls_back() {
    // The first answer streams (its partials are shown) and fails validation; the re-ask's
    // request then gets a 503: that is the stream's error, the next client is not asked.
    let first = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(sse_ok(
            Sse::new()
                .deltas(r#"{"name": "Jason", "age": 200}"#, 8)
                .finish("stop")
                .done()
                .body(),
        ))
        .up_to_n_times(1)
        .mount(&first)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&first)
        .await;
    let next = anthropic_answering_jason().await;
    let mut stream = chat(&first)
        .with_fallback(anthropic(&next))
        .extract::<UserDetails>()
        .user("Jason is 20")
        .max_retries(1)
        .stream_partial();
    let mut delivered = 0;
    let mut last = None;
    while let Some(item) = stream.next().await {
        match item {
            Ok(_) => delivered += 1,
            Err(e) => last = Some(e),
        }
    }
    assert!(delivered > 0);
    assert!(
        matches!(last, Some(Error::Api { status: 503, .. })),
        "{last:?}"
    );
    assert_eq!((count(&first).await, count(&next).await), (2, 0));
}
