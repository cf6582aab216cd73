//! Reliability (issue 7): whatever a server, the network or a model sends, the SDK returns a
//! typed error or a value: it does not panic, hang, leak the key or lose a result.
//!
//! Every test runs the real client against `support::servers::fault::FaultServer` (raw
//! sockets on 127.0.0.1) and asserts the exact `Error` variant and how many requests the
//! server saw (transport retries stop at the bound; re-asks happen only for model-content
//! problems). The cases of that one shape are the rows of [`cases`]; what needs more (a
//! server that stalls, a client reused after a fault, cancellation) has a test of its own.
//! No test asserts a duration. The binary's global tracing recorder records every span and
//! event at TRACE level; every test checks that neither its error nor any line traced
//! contains the key.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use instructor::client::DEFAULT_MAX_RESPONSE_BYTES;
use instructor::{AttemptError, Client, ClientBuilder, Error};
use serde_json::{json, Value};

use crate::support::cases::{always, body, recovers, script, Expect, FaultCase as Case};
use crate::support::servers::fault::{ok_reply, Fault, FaultServer, Request};
use crate::support::servers::NothingListening;
use crate::support::trace::Recorder;
use crate::support::*;

// ---------------------------------------------------------------------------------------
// Clients, with the global recorder installed first.

fn builder(server: &impl Endpoint) -> ClientBuilder {
    Recorder::global();
    crate::support::builder(server)
}

fn client(server: &impl Endpoint) -> Client {
    builder(server).build().unwrap()
}

/// The key is nowhere in the error nor in any line traced so far (and something was).
fn assert_no_key(err: &Error) {
    crate::support::assert_no_key(err);
    Recorder::global().assert_never_shows(KEY);
}

async fn extract(client: &Client) -> Result<UserDetails, Error> {
    client.extract::<UserDetails>().user("Jason is 20").await
}

async fn extract_retrying(client: &Client, reasks: u32) -> Result<UserDetails, Error> {
    client
        .extract::<UserDetails>()
        .user("Jason is 20")
        .max_retries(reasks)
        .await
}

fn attempt_errors(err: &Error) -> &[AttemptError] {
    match err {
        Error::RetriesExhausted {
            errors_per_attempt, ..
        } => errors_per_attempt,
        _ => &[],
    }
}

const HUNDRED_MB: u64 = 100 * 1024 * 1024;

// ---------------------------------------------------------------------------------------
// The table: one server behaviour per row, the result and the requests it must end in.

/// 429 and 5xx: transport retries, bounded by count; other 4xx: neither retried nor
/// re-asked.
fn status_cases() -> Vec<Case> {
    let mut rows = vec![
        recovers(
            "429 with Retry-After: retried then succeeds, not re-asked",
            vec![Fault::status(429).header("retry-after", "0")],
        )
        .reasks(3),
        recovers(
            "429 with retry-after-ms: retried then succeeds",
            vec![Fault::status(429).header("retry-after-ms", "1"); 2],
        ),
        always(
            "a Retry-After beyond max_retry_after is not waited for",
            Fault::status(429).header("retry-after", "30"),
            Expect::error("Api 429", 1),
        )
        .client(|b| b.retry_policy(fast_retries().with_max_retry_after(Duration::from_secs(1)))),
        recovers(
            "an unreadable Retry-After falls back to backoff",
            vec![
                Fault::status(429).header("retry-after", "soon"),
                Fault::status(503).header("retry-after", "-5"),
            ],
        ),
        recovers(
            "502 then 504, then success",
            vec![Fault::status(502), Fault::status(504)],
        ),
        always(
            "an HTML error page gives its text",
            Fault::bytes(502, "<html><body>502 Bad Gateway</body></html>"),
            Expect::error("Api 502", 3).and("the page's text, no kind or code", |e| {
                matches!(e, Error::Api { message, kind: None, code: None, .. } if message.contains("502 Bad Gateway"))
            }),
        ),
    ];
    for (retries, requests) in [(0, 1), (2, 3), (5, 6)] {
        // Re-asks allowed, but a 429 says nothing about the answer: never re-asked.
        rows.push(
            always(
                format!("429 without Retry-After, max_retries {retries}"),
                Fault::status(429),
                Expect::error("Api 429", requests).and(
                    "transient, with the message, no answer and no tokens",
                    |e| {
                        e.is_transient()
                            && e.usage() == Some(Default::default())
                            && matches!(e, Error::Api { message, .. } if message == "injected 429")
                    },
                ),
            )
            .reasks(4)
            .client(move |b| b.retry_policy(fast_retries().with_max_transport_retries(retries))),
        );
    }
    // Finite, but past what a `Duration` holds.
    for (header, value) in [
        ("retry-after", "1e20"),
        ("retry-after", "1e300"),
        ("retry-after-ms", "1e300"),
        ("retry-after", "18446744073709551616"),
        ("retry-after", "Fri, 31 Dec 9999 23:59:59 GMT"),
    ] {
        rows.push(always(
            format!("an absurd {header}: {value}"),
            Fault::status(429).header(header, value),
            Expect::error("Api 429", 1),
        ));
    }
    for status in [500u16, 502, 503, 504] {
        // 1 + 2 transport retries (the default), and no re-ask.
        rows.push(
            always(
                format!("{status} persists: retried to the bound, never re-asked"),
                Fault::status(status),
                Expect::error(format!("Api {status}"), 3).and(
                    "transient, with the message and kind",
                    |e| {
                        e.is_transient()
                            && matches!(e, Error::Api { status, message, kind, .. }
                                if *message == format!("injected {status}")
                                    && kind.as_deref() == Some("server_error"))
                    },
                ),
            )
            .reasks(3),
        );
    }
    for status in [400u16, 401, 403, 404, 422] {
        rows.push(
            always(
                format!("{status}: neither retried nor re-asked"),
                Fault::status(status),
                Expect::error(format!("Api {status}"), 1)
                    .and("not transient", |e| !e.is_transient()),
            )
            .reasks(3),
        );
    }
    rows
}

/// The connection closed, reset or malformed; sizes; bytes that are not UTF-8.
fn connection_cases() -> Vec<Case> {
    let half = Fault::HalfBodyThenReset {
        status: 200,
        body: serde_json::to_vec(&content_reply(JASON, usage(10, 5))).unwrap(),
    };
    let transient = |e: &Error| e.is_transient();
    let mut rows = vec![
        always(
            "closed before the headers: a retried transport error",
            Fault::CloseBeforeHeaders,
            Expect::error("Transport", 3).and("transient", transient),
        )
        .reasks(2),
        recovers(
            "closed before the headers once, then success",
            vec![Fault::CloseBeforeHeaders],
        ),
        always(
            "half a body then a reset: a retried transport error",
            half.clone(),
            Expect::error("Transport", 3),
        )
        .reasks(2),
        recovers("half a body then a reset once, then success", vec![half]),
        always(
            "half an error body then a reset: a transport error",
            Fault::HalfBodyThenReset {
                status: 500,
                body: serde_json::to_vec(&json!({"error": {"message": "x".repeat(4000)}})).unwrap(),
            },
            Expect::error("Transport", 3),
        ),
        always(
            "a small limit cuts a small body",
            Fault::Huge {
                len: 10_000,
                content_length: false,
            },
            Expect::error("ResponseTooLarge", 1).and("at the limit", |e| {
                matches!(e, Error::ResponseTooLarge { limit: 4096, .. })
            }),
        )
        .client(|b| b.max_response_bytes(4096)),
        // A 500 whose body is too large: the size error wins and is not retried.
        always(
            "an error status with a huge body is cut too",
            Fault::Reply {
                status: 500,
                headers: vec![],
                body: vec![b'x'; 8192],
            },
            Expect::error("ResponseTooLarge", 1).and("at the limit", |e| {
                matches!(e, Error::ResponseTooLarge { limit: 4096, .. })
            }),
        )
        .client(|b| b.max_response_bytes(4096)),
        always(
            "a body of invalid UTF-8 is a decode error",
            Fault::bytes(200, vec![0xC3, 0x28, 0xFF, 0xFE, 0x80]),
            Expect::error("Decode", 1).and("not transient", |e| !e.is_transient()),
        )
        .reasks(2),
        always(
            "an error body of invalid UTF-8 keeps the status",
            Fault::bytes(503, b"over\xFFloaded".to_vec()),
            Expect::error("Api 503", 3).and(
                "the message, lossily",
                |e| matches!(e, Error::Api { message, .. } if message == "over\u{FFFD}loaded"),
            ),
        ),
    ];
    for raw in [
        &b"HTTP/1.1 200 OK\r\ncontent-length: nope\r\n\r\n{}"[..],
        b"this is not http\r\n\r\n",
        b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{\"id\":",
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n",
        b"HTTP/1.1 999999 What\r\n\r\n",
    ] {
        rows.push(always(
            format!("malformed HTTP {:?}", String::from_utf8_lossy(raw)),
            Fault::Raw(raw.to_vec()),
            Expect::error("Transport", 3),
        ));
    }
    rows
}

/// 2xx bodies of the wrong shape: a provider problem (not re-asked) or a model-content
/// problem (re-asked), never a panic.
fn body_cases() -> Vec<Case> {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let mut refusal = content_reply(JASON, usage(1, 1));
    refusal["choices"][0]["message"]["refusal"] = json!("I can't help with that.");
    let mut rows = vec![
        // Some gateways answer 200 with an error body. Reported as EmptyChoices today (the
        // message is in no field: see the report for issue 7); never retried or re-asked.
        body(
            "an error object with status 200 is EmptyChoices",
            json!({ "error": { "message": "upstream overloaded" } }),
            Expect::error("EmptyChoices", 1),
        )
        .reasks(2),
        body(
            "a missing message is empty content, re-asked",
            json!({ "choices": [{ "index": 0, "finish_reason": "stop" }], "usage": usage(1, 1) }),
            Expect::error("RetriesExhausted", 2).and("EmptyContent twice", |e| {
                attempt_errors(e) == [AttemptError::EmptyContent, AttemptError::EmptyContent]
            }),
        )
        .reasks(1),
        // serde reads a struct from a sequence too, and every field has a default: `[]` is a
        // completion with nothing in it. Not a panic, not retried, not re-asked.
        always(
            "an empty JSON array reads as a completion without choices",
            Fault::bytes(200, b"[]".to_vec()),
            Expect::error("EmptyChoices", 1),
        )
        .reasks(2),
        always(
            "a deeply nested body does not overflow the stack",
            Fault::bytes(200, deep.clone()),
            Expect::error("Decode", 1),
        ),
        body(
            "a deeply nested answer does not overflow the stack",
            content_reply(&deep, usage(1, 1)),
            Expect::error("RetriesExhausted", 1)
                .and("a parse error", |e| matches!(attempt_errors(e), [AttemptError::Parse(_)])),
        ),
        body(
            "the wrong schema exhausts the re-asks",
            content_reply(r#"{"age": "twenty"}"#, usage(10, 5)),
            Expect::error("RetriesExhausted", 4).and("every attempt, the last reply, the usage", |e| {
                matches!(e, Error::RetriesExhausted { attempts: 4, errors_per_attempt, last_reply, usage }
                    if errors_per_attempt.len() == 4
                        && last_reply.as_deref() == Some(r#"{"age": "twenty"}"#)
                        && usage.total_tokens == 60)
            }),
        )
        .reasks(3),
        body(
            "finish_reason length is Truncated, not re-asked",
            completion(json!(r#"{"name": "Ja"#), "length", usage(9, 4)),
            Expect::error("Truncated", 1).and("the text and usage", |e| {
                matches!(e, Error::Truncated { text, usage } if text == r#"{"name": "Ja"# && usage.total_tokens == 13)
            }),
        )
        .reasks(3),
        // Even when the truncated text happens to be complete JSON.
        body(
            "finish_reason length with complete JSON is Truncated",
            completion(json!(JASON), "length", usage(9, 4)),
            Expect::error("Truncated", 1),
        )
        .reasks(3),
        body(
            "content_filter ends the extraction",
            completion(json!(""), "content_filter", usage(1, 1)),
            Expect::error("ContentFilter", 1),
        )
        .reasks(3),
        body(
            "a refusal ends the extraction",
            refusal,
            Expect::error("Refusal", 1).and("the refusal's text", |e| {
                matches!(e, Error::Refusal { refusal, .. } if refusal == "I can't help with that.")
            }),
        )
        .reasks(3),
        // 1 answer + (1 + 2 transport retries) for the re-ask; the re-ask count is not spent
        // on transport failures.
        script(
            "a transport failure during a re-ask ends with the transport error",
            vec![Fault::ok(&content_reply(r#"{"age": 1}"#, usage(10, 5)))],
            Fault::status(503),
            Expect::error("Api 503", 4),
        )
        .reasks(2),
        script(
            "the usage of re-asked attempts survives a later failure",
            vec![Fault::ok(&content_reply(r#"{"age": 1}"#, usage(10, 5)))],
            Fault::bytes(200, "<html>gateway</html>"),
            Expect::error("Decode", 2)
                .and("the first attempt's usage", |e| e.usage().map(|u| u.total_tokens) == Some(15)),
        )
        .reasks(2),
    ];
    for body_v in [
        json!({ "id": "x", "usage": usage(7, 0) }),
        json!({ "id": "x", "choices": [], "usage": usage(7, 0) }),
        json!({ "id": "x", "choices": null, "usage": usage(7, 0) }),
    ] {
        rows.push(
            body(
                format!("no choices: {body_v}"),
                body_v,
                Expect::error("EmptyChoices", 1).and(
                    "with the usage",
                    |e| matches!(e, Error::EmptyChoices { usage } if usage.prompt_tokens == 7),
                ),
            )
            .reasks(2),
        );
    }
    for content in [Value::Null, json!(""), json!("   \n")] {
        rows.push(
            body(
                format!("content {content} is re-asked"),
                completion(content, "stop", usage(10, 5)),
                Expect::error("RetriesExhausted", 3).and(
                    "EmptyContent each time, usage summed",
                    |e| {
                        attempt_errors(e)
                            == [
                                AttemptError::EmptyContent,
                                AttemptError::EmptyContent,
                                AttemptError::EmptyContent,
                            ]
                            && e.usage().unwrap().total_tokens == 45
                    },
                ),
            )
            .reasks(2),
        );
    }
    for content in [
        json!({ "name": "Jason", "age": 20 }),
        json!(42),
        json!([{ "type": "text", "text": JASON }]),
        json!(true),
    ] {
        rows.push(
            body(
                format!("content {content} that is not a string is a decode error"),
                completion(content, "stop", usage(1, 1)),
                Expect::error("Decode", 1).and("saying so, with the body", |e| {
                    matches!(e, Error::Decode { message, body, .. }
                        if (message.contains("content") || message.contains("invalid type"))
                            && body.contains("test-model"))
                }),
            )
            .reasks(2),
        );
    }
    for bytes in [
        &b""[..],
        b"null",
        b"\"a string\"",
        b"{\"choices\": [",
        b"{\"choices\": 5}",
        b"{\"usage\": {\"prompt_tokens\": \"12\"}}",
    ] {
        rows.push(
            always(
                format!(
                    "a body that is not an object: {:?}",
                    String::from_utf8_lossy(bytes)
                ),
                Fault::bytes(200, bytes.to_vec()),
                Expect::error("Decode", 1),
            )
            .reasks(2),
        );
    }
    rows
}

/// Tools mode: a missing or malformed tool call.
fn tools_cases() -> Vec<Case> {
    let mut truncated =
        tool_calls_reply(tool_call("UserDetails", json!("{\"name\":")), usage(1, 1));
    truncated["choices"][0]["finish_reason"] = json!("length");
    let mut rows = vec![
        // No tool_calls field at all, and text instead.
        body(
            "tools: text instead of a tool call is re-asked",
            content_reply("I think Jason is 20.", usage(1, 1)),
            Expect::error("RetriesExhausted", 2).and("NoToolCall with the text", |e| {
                matches!(attempt_errors(e), [AttemptError::NoToolCall { content: Some(c), .. }, _] if c.contains("Jason"))
            }),
        )
        .tools()
        .reasks(1),
        // The text is the arguments written so far.
        body(
            "tools: finish_reason length is Truncated with the arguments so far",
            truncated,
            Expect::error("Truncated", 1)
                .and("the arguments so far", |e| matches!(e, Error::Truncated { text, .. } if text == "{\"name\":")),
        )
        .tools()
        .reasks(3),
    ];
    for calls in [Value::Null, json!([])] {
        rows.push(
            body(
                format!("tools: tool_calls {calls} is re-asked"),
                tool_calls_reply(calls, usage(3, 3)),
                Expect::error("RetriesExhausted", 2).and("NoToolCall twice, usage summed", |e| {
                    let errs = attempt_errors(e);
                    errs.len() == 2
                        && errs.iter().all(|e| {
                            matches!(e, AttemptError::NoToolCall { tool, .. } if tool == "UserDetails")
                        })
                        && e.usage().unwrap().total_tokens == 12
                }),
            )
            .tools()
            .reasks(1),
        );
    }
    for args in [
        json!("{not json"),
        json!(""),
        Value::Null,
        json!("{\"name\": \"Jason\"}"),
        json!("[1, 2]"),
    ] {
        rows.push(
            body(
                format!("tools: invalid arguments {args} are re-asked"),
                tool_calls_reply(tool_call("UserDetails", args), usage(1, 1)),
                Expect::error("RetriesExhausted", 2).and("a parse error each time", |e| {
                    matches!(
                        attempt_errors(e),
                        [AttemptError::Parse(_), AttemptError::Parse(_)]
                    )
                }),
            )
            .tools()
            .reasks(1),
        );
    }
    for args in [json!({ "name": "Jason", "age": 20 }), json!(5)] {
        rows.push(
            body(
                format!("tools: arguments {args} that are not a string are a decode error"),
                tool_calls_reply(tool_call("UserDetails", args), usage(1, 1)),
                Expect::error("Decode", 1),
            )
            .tools()
            .reasks(1),
        );
    }
    for calls in [
        json!([{ "id": "x" }]),
        json!({ "function": {} }),
        json!("call"),
    ] {
        rows.push(
            body(
                format!("tools: a malformed tool call {calls} is a decode error"),
                tool_calls_reply(calls, usage(1, 1)),
                Expect::error("Decode", 1),
            )
            .tools()
            .reasks(1),
        );
    }
    rows
}

/// One test per table, each running its rows with [`Case::assert_all`].
macro_rules! table_tests {
    ($($test:ident: $rows:ident;)*) => {$(
        #[tokio::test]
        async fn $test() {
            Case::assert_all($rows()).await;
        }
    )*};
}

table_tests! {
    status_answers_end_in_the_expected_error_after_the_expected_requests: status_cases;
    broken_connections_end_in_the_expected_error_after_the_expected_requests: connection_cases;
    bodies_of_the_wrong_shape_end_in_the_expected_error_after_the_expected_requests: body_cases;
    tools_mode_answers_end_in_the_expected_error_after_the_expected_requests: tools_cases;
}

// ---------------------------------------------------------------------------------------
// Beyond one request's result: budgets, stalls, sizes, reuse after a fault.

/// `builder`'s client allowed 50 transport retries, all within `budget`.
fn within_budget(builder: ClientBuilder, budget: Duration) -> Client {
    let policy = fast_retries()
        .with_max_transport_retries(50)
        .with_max_elapsed(budget);
    builder.retry_policy(policy).build().unwrap()
}

#[tokio::test]
async fn retries_stop_at_the_total_time_budget() {
    // Each retry waits 50 ms (server-requested); the budget is 120 ms: whatever the machine's
    // speed, at most 3 requests (0, >=50, >=100 ms), however many retries are allowed.
    let server = FaultServer::always(Fault::status(429).header("retry-after-ms", "50")).await;
    let c = within_budget(builder(&server), Duration::from_millis(120));
    let err = extract(&c).await.unwrap_err();
    assert!(matches!(err, Error::Api { status: 429, .. }), "{err:?}");
    let n = server.requests();
    assert!((1..=3).contains(&n), "{n} requests");
}

#[tokio::test]
async fn a_stall_before_the_headers_is_a_retried_timeout() {
    let server = FaultServer::always(Fault::StallBeforeHeaders).await;
    let c = builder(&server)
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let err = extract_retrying(&c, 2).await.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert!(err.is_transient());
    assert_eq!(server.requests(), 3);
    // The client hung up every stalled connection.
    assert!(server.eventually(|s| s.closed_by_client() == 3).await);
    assert_no_key(&err);
}

#[tokio::test]
async fn a_stall_in_the_middle_of_the_body_is_a_timeout() {
    let body = serde_json::to_vec(&content_reply(JASON, usage(10, 5))).unwrap();
    let server = FaultServer::script(vec![Fault::StallMidBody { body }], ok_reply()).await;
    let c = builder(&server)
        .timeout(Duration::from_millis(300))
        .no_transport_retries()
        .build()
        .unwrap();
    let err = extract(&c).await.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert_eq!(server.requests(), 1);
    assert!(server.eventually(|s| s.closed_by_client() == 1).await);
    // The same client goes on working.
    assert_eq!(extract(&c).await.unwrap(), jason());
}

#[tokio::test]
async fn stalls_stop_at_the_total_time_budget() {
    // Every try takes at least the 100 ms timeout; a budget of 250 ms allows at most 3.
    let server = FaultServer::always(Fault::StallBeforeHeaders).await;
    let timing_out = builder(&server).timeout(Duration::from_millis(100));
    let c = within_budget(timing_out, Duration::from_millis(250));
    let err = extract(&c).await.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    let n = server.requests();
    assert!((1..=3).contains(&n), "{n} requests");
}

#[tokio::test]
async fn nothing_listening_is_a_retried_transport_error() {
    let tries = Arc::new(Mutex::new(0));
    let t = tries.clone();
    let c = builder(&NothingListening::new())
        .on_request(move |_| *t.lock().unwrap() += 1)
        .build()
        .unwrap();
    let err = extract(&c).await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert!(err.is_transient());
    assert_eq!(*tries.lock().unwrap(), 3);
    assert_no_key(&err);
}

// ---------------------------------------------------------------------------------------
// Size: a 100 MB body is streamed by the server and cut by the client at the limit.

/// A 100 MB body, its size announced or chunked, ends in `ResponseTooLarge` at the default
/// limit: not transient, not retried, not re-asked; the client hung up long before 100 MB,
/// and goes on working.
async fn assert_a_100_mb_body_is_cut(content_length: bool) {
    let server = FaultServer::script(
        vec![Fault::Huge {
            len: HUNDRED_MB,
            content_length,
        }],
        ok_reply(),
    )
    .await;
    let c = client(&server);
    let err = extract_retrying(&c, 2).await.unwrap_err();
    assert!(
        matches!(err, Error::ResponseTooLarge { limit, .. } if limit == DEFAULT_MAX_RESPONSE_BYTES),
        "{err:?}"
    );
    assert!(!err.is_transient());
    assert_eq!(server.requests(), 1);
    assert!(server.eventually(|s| s.closed_by_client() == 1).await);
    let written = server.body_bytes_written();
    assert!(written < HUNDRED_MB / 2, "{written}");
    assert_eq!(extract(&c).await.unwrap(), jason());
}

#[tokio::test]
async fn a_100_mb_body_with_content_length_is_refused_before_reading() {
    assert_a_100_mb_body_is_cut(true).await;
}

#[tokio::test]
async fn a_100_mb_chunked_body_is_cut_at_the_limit() {
    assert_a_100_mb_body_is_cut(false).await;
}

// ---------------------------------------------------------------------------------------
// Bytes that are not UTF-8, valid JSON of the wrong schema.

#[tokio::test]
async fn invalid_utf8_inside_the_answer_is_replaced_not_fatal() {
    // The body is read lossily: an invalid byte becomes U+FFFD; the answer still parses.
    let body = serde_json::to_vec(&content_reply(
        r#"{"name": "JaXXson", "age": 20}"#,
        usage(1, 1),
    ))
    .unwrap();
    let mut body = String::from_utf8(body).unwrap().into_bytes();
    let at = body.windows(2).position(|w| w == b"XX").unwrap();
    body[at] = 0xFF;
    body[at + 1] = 0xFE;
    let server = FaultServer::always(Fault::bytes(200, body)).await;
    let user = extract(&client(&server)).await.unwrap();
    assert_eq!(user.name, "Ja\u{FFFD}\u{FFFD}son");
    assert_eq!(server.requests(), 1);
}

#[tokio::test]
async fn the_wrong_schema_is_re_asked_then_accepted() {
    let server = FaultServer::script(
        vec![
            Fault::ok(&content_reply(r#"{"full_name": "Jason"}"#, usage(10, 5))),
            Fault::ok(&content_reply(
                r#"{"name": "Jason", "age": 200}"#,
                usage(20, 5),
            )),
        ],
        Fault::ok(&content_reply(JASON, usage(30, 5))),
    )
    .await;
    let (user, completion) = ask::<UserDetails>(&server, "Jason is 20", 2)
        .send_with_extraction()
        .await
        .unwrap();
    assert_eq!(user, jason());
    assert_eq!(completion.attempts.len(), 3);
    assert_eq!(completion.usage.prompt_tokens, 60);
    assert_eq!(completion.usage.completion_tokens, 15);
    assert!(matches!(
        completion.attempts[0].error,
        Some(AttemptError::Parse(_))
    ));
    assert!(matches!(
        completion.attempts[1].error,
        Some(AttemptError::Validation(_))
    ));
    assert_eq!(server.requests(), 3);
    // The re-asks carried the model's reply and the errors.
    let log = server.log.lock().unwrap();
    assert_eq!(log[2].attempt(), 3);
}

// ---------------------------------------------------------------------------------------
// The key: echoed by the server everywhere it can be, shown nowhere.

#[tokio::test]
async fn the_key_echoed_in_any_body_never_shows() {
    Recorder::global();
    let echo = |req: &Request, n: usize| -> Fault {
        let auth = req.header("authorization").unwrap_or_default().to_owned();
        match n % 8 {
            0 => Fault::json(
                401,
                &json!({ "error": { "message": format!("bad key {auth}"), "code": auth } }),
            ),
            1 => Fault::bytes(500, format!("upstream said {auth}")),
            2 => Fault::bytes(200, format!("<html>{auth}</html>")),
            3 => Fault::ok(&content_reply(
                &format!("{{\"name\": \"{auth}\"}}"),
                usage(1, 1),
            )),
            4 => Fault::ok(&completion(json!(auth), "length", usage(1, 1))),
            5 => {
                let mut b = content_reply(JASON, usage(1, 1));
                b["choices"][0]["message"]["refusal"] = json!(auth);
                Fault::ok(&b)
            }
            6 => Fault::ok(&completion(json!(auth), "content_filter", usage(1, 1))),
            _ => Fault::bytes(429, auth).header("x-echo", "1"),
        }
    };
    let server = FaultServer::start(echo).await;
    let (hooked, seen) = seeing_hooks(builder(&server).no_transport_retries());
    let c = hooked.build().unwrap();
    assert!(!format!("{c:?}").contains(KEY));
    assert!(!format!("{:?}", c.extract::<UserDetails>().user(KEY)).contains(KEY));
    let mut kinds = Vec::new();
    for _ in 0..8 {
        let err = extract_retrying(&c, 0).await.unwrap_err();
        assert_no_key(&err);
        kinds.push(
            format!("{err:?}")
                .split([' ', '(', '{'])
                .next()
                .unwrap()
                .to_owned(),
        );
        if let Error::RetriesExhausted { last_reply, .. } = &err {
            assert!(last_reply.as_deref().unwrap().contains("[REDACTED]"));
        }
    }
    assert_eq!(
        kinds,
        [
            "Api",
            "Api",
            "Decode",
            "RetriesExhausted",
            "Truncated",
            "Refusal",
            "ContentFilter",
            "Api"
        ]
    );
    for s in seen.lock().unwrap().iter() {
        assert!(!s.contains(KEY), "{s}");
    }
    // And the key was sent, to the chat endpoint.
    let log = server.log.lock().unwrap();
    assert_eq!(
        (log[0].method.as_str(), log[0].path.as_str()),
        ("POST", "/v1/chat/completions")
    );
    assert_eq!(
        log[0].header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
}

// ---------------------------------------------------------------------------------------
// Cancellation: an extraction dropped mid-flight leaves the client usable and no task or
// connection behind.

fn alive_tasks() -> usize {
    tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks()
}

#[tokio::test]
async fn a_dropped_extraction_leaves_the_client_usable_and_nothing_behind() {
    let start = alive_tasks();
    for fault in [
        Fault::StallBeforeHeaders,
        Fault::StallMidBody {
            body: serde_json::to_vec(&content_reply(JASON, usage(1, 1))).unwrap(),
        },
        Fault::Huge {
            len: 2 * HUNDRED_MB,
            content_length: false,
        },
        // Dropped while waiting out a Retry-After.
        Fault::status(429).header("retry-after", "20"),
    ] {
        let server = FaultServer::script(vec![fault.clone()], ok_reply()).await;
        let c = client(&server);
        // Only this server's accept loop (the previous round's tasks have ended).
        let baseline = start + 1;
        assert!(server.eventually(|_| alive_tasks() <= baseline).await);
        // Dropped once the server has the request and has started answering (the 200 MB
        // body: as soon as its first bytes are out, long before the 32 MiB limit).
        let huge = matches!(fault, Fault::Huge { .. });
        let mut fut = Box::pin(extract(&c));
        tokio::select! {
            r = &mut fut => panic!("{fault:?}: finished: {r:?}"),
            _ = async {
                if huge {
                    assert!(server.eventually(|s| s.body_bytes_written() > 0).await);
                } else {
                    assert!(server.eventually(|s| s.requests() == 1).await);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            } => {}
        }
        drop(fut);
        assert_eq!(server.requests(), 1, "{fault:?}");
        // A stalled or streaming connection is hung up on: the server sees it close, and
        // neither its task nor hyper's connection task is left. A 429 was read whole, so
        // its connection may idle in the pool (a server task, a hyper task, the pool's
        // reaper), ready for the next request.
        let pooled = matches!(fault, Fault::Reply { .. });
        if !pooled {
            assert!(
                server.eventually(|s| s.closed_by_client() == 1).await,
                "{fault:?}"
            );
        }
        let allowed = baseline + if pooled { 3 } else { 0 };
        assert!(
            server.eventually(|_| alive_tasks() <= allowed).await,
            "{fault:?}: {} tasks alive, {allowed} allowed",
            alive_tasks()
        );
        assert_eq!(extract(&c).await.unwrap(), jason(), "{fault:?}");
        assert_eq!(server.requests(), 2, "{fault:?}");
    }
}

#[tokio::test]
async fn many_dropped_extractions_then_all_succeed() {
    let server = FaultServer::start(|req: &Request, _| {
        if req.first_user().starts_with("stall") {
            Fault::StallBeforeHeaders
        } else {
            ok_reply()
        }
    })
    .await;
    let c = client(&server);
    let dropped: Vec<_> = (0..50)
        .map(|i| {
            let c = c.clone();
            tokio::spawn(async move {
                let f = c.extract::<UserDetails>().user(format!("stall {i}")).send();
                tokio::time::timeout(Duration::from_millis(50), f)
                    .await
                    .is_err()
            })
        })
        .collect();
    for d in dropped {
        assert!(d.await.unwrap());
    }
    // Every stalled request was hung up on, and every connection's task has ended.
    assert!(
        server
            .eventually(|s| s.closed_by_client() == s.requests() && s.finished() == s.connections())
            .await,
        "{} requests, {} closed by the client, {} connections, {} finished",
        server.requests(),
        server.closed_by_client(),
        server.connections(),
        server.finished()
    );
    let ok: Vec<_> = (0..50)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move { extract(&c).await })
        })
        .collect();
    for h in ok {
        assert_eq!(h.await.unwrap().unwrap(), jason());
    }
}

#[tokio::test]
async fn tools_mode_arguments_with_text_after_the_json_are_repaired_not_re_asked() {
    let args = json!("{\"name\": \"Jason\", \"age\": 20} trailing");
    let server = FaultServer::always(Fault::ok(&tool_calls_reply(
        tool_call("UserDetails", args),
        usage(1, 1),
    )))
    .await;
    let (user, extraction) = client(&server)
        .extract::<UserDetails>()
        .user("Jason is 20")
        .mode(instructor::Mode::Tools)
        .send_with_extraction()
        .await
        .unwrap();
    assert_eq!((user.name.as_str(), user.age), ("Jason", 20));
    assert_eq!(server.requests(), 1);
    let repair = extraction.attempts[0].repair.as_ref().unwrap();
    assert_eq!(repair.fixes, ["text around the JSON"]);
    assert_eq!(
        serde_json::from_str::<Value>(&repair.json).unwrap(),
        json!({"name": "Jason", "age": 20})
    );
}
