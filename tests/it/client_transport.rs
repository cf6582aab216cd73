//! Transport: retries on 408/409/429/5xx and connection errors, never on other 4xx; error
//! bodies, truncation, size limits; the key never shows.
//!
//! The cases of one shape (a server's answers, then the result and the number of requests
//! it saw) are rows of one table; the fault server's tables and tests (`faults.rs`) have the
//! cases wiremock cannot serve or count (a response slower than the timeout: wiremock counts
//! a request once it has answered it).

use std::sync::{Arc, Mutex};

use instructor::{ClientBuilder, Error, Extract, RetryPolicy};
use serde_json::json;
use wiremock::matchers::{header, method};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::cases::{assert_rows, Expect};
use crate::support::servers::mock::{answer, answer_always, count, json_ok};
use crate::support::*;

const USER: &str = "Jason is 20";

/// One row: the server's first answers (each `times` times), whether Jason's answer follows
/// them, the client's and the request's settings, and what the extraction ends in.
struct Case {
    name: &'static str,
    first: Vec<(ResponseTemplate, u64)>,
    then_ok: bool,
    client: fn(ClientBuilder) -> ClientBuilder,
    request: fn(Extract<UserDetails>) -> Extract<UserDetails>,
    expect: Expect,
}

fn case(name: &'static str, first: Vec<(ResponseTemplate, u64)>, expect: Expect) -> Case {
    Case {
        name,
        first,
        then_ok: false,
        client: |b| b,
        request: |r| r,
        expect,
    }
}

impl Case {
    fn then_ok(self) -> Self {
        Self {
            then_ok: true,
            ..self
        }
    }
    fn client(self, client: fn(ClientBuilder) -> ClientBuilder) -> Self {
        Self { client, ..self }
    }
    fn request(self, request: fn(Extract<UserDetails>) -> Extract<UserDetails>) -> Self {
        Self { request, ..self }
    }

    async fn run(self) -> Option<String> {
        let server = MockServer::start().await;
        for (template, times) in self.first {
            answer(&server, template, times).await;
        }
        if self.then_ok {
            answer_always(&server, json_ok(content_reply(JASON, usage(1, 1)))).await;
        }
        let client = (self.client)(builder(&server)).build().unwrap();
        let got = (self.request)(client.extract::<UserDetails>().user(USER)).await;
        self.expect.verify(self.name, &got, count(&server).await)
    }
}

fn cases() -> Vec<Case> {
    let status = ResponseTemplate::new;
    let mut truncated = content_reply(r#"{"name": "Ja"#, usage(10, 4));
    truncated["choices"][0]["finish_reason"] = json!("length");
    vec![
        case(
            "429 with Retry-After in seconds, then success",
            vec![(
                status(429)
                    .insert_header("retry-after", "0")
                    .set_body_json(
                        json!({ "error": { "message": "Rate limit reached", "type": "requests" } }),
                    ),
                1,
            )],
            Expect::value(2),
        )
        .then_ok(),
        case(
            "Retry-After as an HTTP date in the past: retried at once",
            vec![(
                status(429).insert_header("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT"),
                1,
            )],
            Expect::value(2),
        )
        .then_ok(),
        case(
            "500 then 408, then success",
            vec![
                (status(500).set_body_string("upstream exploded"), 1),
                (status(408), 1),
            ],
            Expect::value(3),
        )
        .then_ok(),
        case(
            "persistent 503: the last status after the transport retries, never re-asked",
            vec![(
                status(503).set_body_json(json!({ "error": { "message": "overloaded" } })),
                100,
            )],
            // 1 + 2 transport retries; transport errors are never re-asked.
            Expect::error("Api 503", 3).and("transient, with the message", |e| {
                e.is_transient() && matches!(e, Error::Api { message, .. } if message == "overloaded")
            }),
        )
        .request(|r| r.max_retries(5)),
        case(
            "a long Retry-After is not waited for",
            vec![(status(429).insert_header("retry-after", "3600"), 100)],
            Expect::error("Api 429", 1),
        ),
        case(
            "x-should-retry: false is honoured",
            vec![(status(500).insert_header("x-should-retry", "false"), 100)],
            Expect::error("Api 500", 1),
        ),
        case(
            "transport retries disabled",
            vec![(status(502), 100)],
            Expect::error("Api 502", 1),
        )
        .client(|b| b.no_transport_retries()),
        case(
            "finish_reason length is Truncated, not a re-ask",
            vec![(json_ok(truncated), 100)],
            Expect::error("Truncated", 1).and("the partial text and usage, said so", |e| {
                matches!(e, Error::Truncated { text, usage } if text == r#"{"name": "Ja"# && usage.total_tokens == 14)
                    && e.to_string().contains("finish_reason: length")
            }),
        )
        .request(|r| r.max_tokens(4).max_retries(3)),
        case(
            "empty choices is a clear error with the usage",
            vec![(
                json_ok(json!({ "id": "x", "choices": [], "usage": usage(3, 0) })),
                100,
            )],
            Expect::error("EmptyChoices", 1).and("with the usage", |e| {
                matches!(e, Error::EmptyChoices { usage } if usage.prompt_tokens == 3)
            }),
        ),
        case(
            "a body that is not a completion is a decode error",
            vec![(status(200).set_body_string("<html>gateway</html>"), 100)],
            Expect::error("Decode", 1).and("with the body", |e| {
                matches!(e, Error::Decode { body, .. } if body.contains("gateway"))
            }),
        ),
        case(
            "an oversized response is refused",
            vec![(
                json_ok(content_reply(&"x".repeat(10_000), usage(1, 1))),
                100,
            )],
            Expect::error("ResponseTooLarge", 1).and("at the limit, said so", |e| {
                matches!(e, Error::ResponseTooLarge { limit: 1024, .. })
                    && e.to_string() == "the response is larger than the limit of 1024 bytes"
            }),
        )
        .client(|b| b.max_response_bytes(1024)),
    ]
}

#[tokio::test]
async fn server_answers_end_in_the_expected_result_after_the_expected_requests() {
    assert_rows(cases().into_iter().map(Case::run)).await;
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
    answer(&server, ResponseTemplate::new(400).set_body_json(body), 100).await;
    let err = ask::<UserDetails>(&server, USER, 3).await.unwrap_err();
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
async fn the_api_key_never_shows() {
    let server = MockServer::start().await;
    // A provider that echoes the key back in its error.
    answer(
        &server,
        ResponseTemplate::new(401).set_body_json(json!({
            "error": { "message": format!("Incorrect API key provided: {KEY}"), "type": "invalid_request_error" }
        })),
        100,
    )
    .await;
    let (hooked, seen) = seeing_hooks(builder(&server).header("x-team", "blue"));
    let client = hooked.build().unwrap();
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
    answer(&server, ResponseTemplate::new(500), 1).await;
    answer(
        &server,
        json_ok(content_reply(r#"{"name": "", "age": 1}"#, usage(1, 1))),
        1,
    )
    .await;
    answer_always(&server, json_ok(content_reply(JASON, usage(1, 1)))).await;
    let log = Arc::new(Mutex::new(Vec::<String>::new()));
    let (l1, l2) = (log.clone(), log.clone());
    let client = builder(&server)
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
        .respond_with(json_ok(content_reply(JASON, usage(1, 1))))
        .expect(1)
        .mount(&server)
        .await;
    let http = instructor::reqwest::Client::builder()
        .user_agent("my-app/1.0")
        .build()
        .unwrap();
    let client = builder(&server)
        .http_client(http)
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    client.extract::<UserDetails>().user(USER).await.unwrap();
}

#[tokio::test]
async fn clients_are_shared_across_tasks() {
    let server = MockServer::start().await;
    answer_always(&server, json_ok(content_reply(JASON, usage(1, 1)))).await;
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
