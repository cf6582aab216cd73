//! Transport: retries on 408/409/429/5xx and connection errors, never on other 4xx; error
//! bodies, truncation, size limits; the key never shows.

mod client_support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use client_support::*;
use instructor::{Client, Error, RetryPolicy};
use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const USER: &str = "Jason is 20";
const JASON: &str = r#"{"name": "Jason", "age": 20}"#;

async fn then_ok(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(content_reply(JASON, usage(1, 1))))
        .mount(server)
        .await;
}

async fn first(server: &MockServer, template: ResponseTemplate, times: u64) {
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(template)
        .up_to_n_times(times)
        .mount(server)
        .await;
}

fn requests(n: usize) -> impl Fn(Vec<wiremock::Request>) {
    move |r| assert_eq!(r.len(), n)
}

async fn count(server: &MockServer) -> usize {
    server.received_requests().await.unwrap().len()
}

#[tokio::test]
async fn rate_limit_with_retry_after_seconds_then_success() {
    let server = MockServer::start().await;
    first(
        &server,
        ResponseTemplate::new(429)
            .insert_header("retry-after", "0")
            .set_body_json(
                json!({ "error": { "message": "Rate limit reached", "type": "requests" } }),
            ),
        1,
    )
    .await;
    then_ok(&server).await;
    let user = client(&server)
        .extract::<UserDetails>()
        .user(USER)
        .await
        .unwrap();
    assert_eq!(user.age, 20);
    assert_eq!(count(&server).await, 2);
}

#[tokio::test]
async fn retry_after_as_an_http_date_in_the_past_retries_at_once() {
    let server = MockServer::start().await;
    first(
        &server,
        ResponseTemplate::new(429).insert_header("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT"),
        1,
    )
    .await;
    then_ok(&server).await;
    client(&server)
        .extract::<UserDetails>()
        .user(USER)
        .await
        .unwrap();
    assert_eq!(count(&server).await, 2);
}

#[tokio::test]
async fn server_errors_then_success() {
    let server = MockServer::start().await;
    first(
        &server,
        ResponseTemplate::new(500).set_body_string("upstream exploded"),
        1,
    )
    .await;
    first(&server, ResponseTemplate::new(408), 1).await;
    then_ok(&server).await;
    client(&server)
        .extract::<UserDetails>()
        .user(USER)
        .await
        .unwrap();
    requests(3)(server.received_requests().await.unwrap());
}

#[tokio::test]
async fn persistent_server_errors_end_after_the_retries_with_the_last_status() {
    let server = MockServer::start().await;
    first(
        &server,
        ResponseTemplate::new(503).set_body_json(json!({ "error": { "message": "overloaded" } })),
        100,
    )
    .await;
    let err = client(&server)
        .extract::<UserDetails>()
        .user(USER)
        .max_retries(5)
        .await
        .unwrap_err();
    match &err {
        Error::Api {
            status, message, ..
        } => {
            assert_eq!(*status, 503);
            assert_eq!(message, "overloaded");
        }
        other => panic!("{other:?}"),
    }
    assert!(err.is_transient());
    // 1 + 2 transport retries; transport errors are never re-asked.
    assert_eq!(count(&server).await, 3);
}

#[tokio::test]
async fn bad_request_is_not_retried_and_its_message_is_parsed() {
    let server = MockServer::start().await;
    let body = json!({
        "error": {
            "message": "Invalid schema for response_format 'UserDetails'",
            "type": "invalid_request_error",
            "param": "response_format",
            "code": null
        }
    });
    first(&server, ResponseTemplate::new(400).set_body_json(body), 100).await;
    let err = client(&server)
        .extract::<UserDetails>()
        .user(USER)
        .max_retries(3)
        .await
        .unwrap_err();
    match &err {
        Error::Api {
            status,
            message,
            kind,
            code,
            body,
            ..
        } => {
            assert_eq!(*status, 400);
            assert_eq!(message, "Invalid schema for response_format 'UserDetails'");
            assert_eq!(kind.as_deref(), Some("invalid_request_error"));
            assert_eq!(code, &None);
            assert!(body.contains("param"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        err.to_string(),
        "the provider answered HTTP 400: Invalid schema for response_format 'UserDetails'"
    );
    assert!(!err.is_transient());
    assert_eq!(count(&server).await, 1);
}

#[tokio::test]
async fn a_long_retry_after_is_not_waited_for() {
    let server = MockServer::start().await;
    first(
        &server,
        ResponseTemplate::new(429).insert_header("retry-after", "3600"),
        100,
    )
    .await;
    let err = client(&server)
        .extract::<UserDetails>()
        .user(USER)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Api { status: 429, .. }), "{err:?}");
    assert_eq!(count(&server).await, 1);
}

#[tokio::test]
async fn x_should_retry_false_is_honoured() {
    let server = MockServer::start().await;
    first(
        &server,
        ResponseTemplate::new(500).insert_header("x-should-retry", "false"),
        100,
    )
    .await;
    let err = client(&server)
        .extract::<UserDetails>()
        .user(USER)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Api { status: 500, .. }), "{err:?}");
    assert_eq!(count(&server).await, 1);
}

#[tokio::test]
async fn transport_retries_can_be_disabled() {
    let server = MockServer::start().await;
    first(&server, ResponseTemplate::new(502), 100).await;
    let client = Client::builder()
        .base_url(base(&server))
        .api_key(KEY)
        .default_model("m")
        .no_transport_retries()
        .build()
        .unwrap();
    let err = client
        .extract::<UserDetails>()
        .user(USER)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Api { status: 502, .. }), "{err:?}");
    assert_eq!(count(&server).await, 1);
}

#[tokio::test]
async fn connection_errors_are_retried_then_reported() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let tries = Arc::new(Mutex::new(0));
    let t = tries.clone();
    let client = Client::builder()
        .base_url(format!("http://127.0.0.1:{port}/v1"))
        .api_key(KEY)
        .default_model("m")
        .retry_policy(fast_retries())
        .on_request(move |_| *t.lock().unwrap() += 1)
        .build()
        .unwrap();
    let err = client
        .extract::<UserDetails>()
        .user(USER)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert!(err.is_transient());
    assert_eq!(*tries.lock().unwrap(), 3);
    assert!(!format!("{err} {err:?}").contains(KEY));
}

#[tokio::test]
async fn a_slow_response_is_a_timeout() {
    let server = MockServer::start().await;
    first(
        &server,
        ResponseTemplate::new(200)
            .set_body_json(content_reply(JASON, usage(1, 1)))
            .set_delay(Duration::from_millis(1500)),
        100,
    )
    .await;
    let client = Client::builder()
        .base_url(base(&server))
        .api_key(KEY)
        .default_model("m")
        .timeout(Duration::from_millis(50))
        .no_transport_retries()
        .build()
        .unwrap();
    let err = client
        .extract::<UserDetails>()
        .user(USER)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
}

#[tokio::test]
async fn truncation_is_an_error_not_a_re_ask() {
    let server = MockServer::start().await;
    let mut reply = content_reply(r#"{"name": "Ja"#, usage(10, 4));
    reply["choices"][0]["finish_reason"] = json!("length");
    first(
        &server,
        ResponseTemplate::new(200).set_body_json(reply),
        100,
    )
    .await;
    let err = client(&server)
        .extract::<UserDetails>()
        .user(USER)
        .max_tokens(4)
        .max_retries(3)
        .await
        .unwrap_err();
    match &err {
        Error::Truncated { text, usage } => {
            assert_eq!(text, r#"{"name": "Ja"#);
            assert_eq!(usage.total_tokens, 14);
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("finish_reason: length"));
    assert_eq!(count(&server).await, 1);
}

#[tokio::test]
async fn empty_choices_is_a_clear_error() {
    let server = MockServer::start().await;
    first(
        &server,
        ResponseTemplate::new(200)
            .set_body_json(json!({ "id": "x", "choices": [], "usage": usage(3, 0) })),
        100,
    )
    .await;
    let err = client(&server)
        .extract::<UserDetails>()
        .user(USER)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::EmptyChoices { usage } if usage.prompt_tokens == 3),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_body_that_is_not_a_completion_is_a_decode_error() {
    let server = MockServer::start().await;
    first(
        &server,
        ResponseTemplate::new(200).set_body_string("<html>gateway</html>"),
        100,
    )
    .await;
    let err = client(&server)
        .extract::<UserDetails>()
        .user(USER)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Decode { ref body, .. } if body.contains("gateway")),
        "{err:?}"
    );
    assert_eq!(count(&server).await, 1);
}

#[tokio::test]
async fn oversized_responses_are_refused() {
    let server = MockServer::start().await;
    let big = "x".repeat(10_000);
    first(
        &server,
        ResponseTemplate::new(200).set_body_json(content_reply(&big, usage(1, 1))),
        100,
    )
    .await;
    let client = Client::builder()
        .base_url(base(&server))
        .api_key(KEY)
        .default_model("m")
        .max_response_bytes(1024)
        .retry_policy(fast_retries())
        .build()
        .unwrap();
    let err = client
        .extract::<UserDetails>()
        .user(USER)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::ResponseTooLarge { limit: 1024, .. }),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "the response is larger than the limit of 1024 bytes"
    );
    assert_eq!(count(&server).await, 1);
}

#[tokio::test]
async fn the_api_key_never_shows() {
    let server = MockServer::start().await;
    // A provider that echoes the key back in its error.
    first(
        &server,
        ResponseTemplate::new(401).set_body_json(json!({
            "error": { "message": format!("Incorrect API key provided: {KEY}"), "type": "invalid_request_error" }
        })),
        100,
    )
    .await;
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let (s1, s2, s3) = (seen.clone(), seen.clone(), seen.clone());
    let client = Client::builder()
        .base_url(base(&server))
        .api_key(KEY)
        .default_model("m")
        .header("x-team", "blue")
        .on_request(move |e| s1.lock().unwrap().push(format!("{e:?}")))
        .on_response(move |e| s2.lock().unwrap().push(format!("{e:?}")))
        .on_error(move |e| s3.lock().unwrap().push(format!("{e} {e:?}")))
        .build()
        .unwrap();
    assert!(!format!("{client:?}").contains(KEY));
    assert!(format!("{client:?}").contains("[REDACTED]"));
    let err = client
        .extract::<UserDetails>()
        .user(USER)
        .await
        .unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(KEY), "{shown}");
    assert!(
        shown.contains("Incorrect API key provided: [REDACTED]"),
        "{shown}"
    );
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 3, "{seen:?}");
    for s in seen.iter() {
        assert!(!s.contains(KEY), "{s}");
    }
    // The key did go out, in the header.
    let req = &server.received_requests().await.unwrap()[0];
    assert_eq!(
        req.headers["authorization"],
        format!("Bearer {KEY}").as_str()
    );
    assert_eq!(req.headers["x-team"], "blue");
}

#[tokio::test]
async fn hooks_see_every_attempt() {
    let server = MockServer::start().await;
    first(&server, ResponseTemplate::new(500), 1).await;
    first(
        &server,
        ResponseTemplate::new(200)
            .set_body_json(content_reply(r#"{"name": "", "age": 1}"#, usage(1, 1))),
        1,
    )
    .await;
    then_ok(&server).await;
    let log = Arc::new(Mutex::new(Vec::<String>::new()));
    let (l1, l2) = (log.clone(), log.clone());
    let client = Client::builder()
        .base_url(base(&server))
        .api_key(KEY)
        .default_model("m")
        .retry_policy(fast_retries())
        .on_request(move |e| {
            l1.lock()
                .unwrap()
                .push(format!("req {} {}", e.attempt, e.transport_try))
        })
        .on_response(move |e| {
            l2.lock()
                .unwrap()
                .push(format!("res {} {}", e.attempt, e.status))
        })
        .build()
        .unwrap();
    client
        .extract::<UserDetails>()
        .user(USER)
        .max_retries(1)
        .await
        .unwrap();
    assert_eq!(
        *log.lock().unwrap(),
        vec![
            "req 1 0",
            "res 1 500",
            "req 1 1",
            "res 1 200",
            "req 2 0",
            "res 2 200"
        ]
    );
}

#[tokio::test]
async fn a_caller_supplied_reqwest_client_is_used() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(header("user-agent", "my-app/1.0"))
        .respond_with(ResponseTemplate::new(200).set_body_json(content_reply(JASON, usage(1, 1))))
        .expect(1)
        .mount(&server)
        .await;
    let http = instructor::reqwest::Client::builder()
        .user_agent("my-app/1.0")
        .build()
        .unwrap();
    let client = Client::builder()
        .base_url(base(&server))
        .api_key(KEY)
        .default_model("m")
        .http_client(http)
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    client.extract::<UserDetails>().user(USER).await.unwrap();
}

#[tokio::test]
async fn clients_are_shared_across_tasks() {
    let server = MockServer::start().await;
    then_ok(&server).await;
    let client = client(&server);
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let c = client.clone();
            tokio::spawn(async move { c.extract::<UserDetails>().user(USER).await })
        })
        .collect();
    for h in handles {
        assert_eq!(h.await.unwrap().unwrap().age, 20);
    }
    assert_eq!(count(&server).await, 4);
}
