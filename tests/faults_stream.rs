//! Reliability of streaming (issue 7): an event stream cut mid-event, without `[DONE]`,
//! stalled, carrying an `error` event, a 10 MB event, bytes that are not UTF-8, or the key.
//! Run against `fault_support::FaultServer`; the stream is driven by `into_final`.

mod fault_support;

use std::time::Duration;

use fault_support::*;
use instructor::{Client, Error, RetryPolicy};
use serde_json::{json, Value};

fn client_with(
    server: &FaultServer,
    f: impl FnOnce(instructor::ClientBuilder) -> instructor::ClientBuilder,
) -> Client {
    f(Client::builder()
        .base_url(server.base())
        .api_key(KEY)
        .default_model("fault-model")
        .retry_policy(
            RetryPolicy::default().with_delays(Duration::from_millis(1), Duration::from_millis(2)),
        ))
    .build()
    .unwrap()
}

fn client(server: &FaultServer) -> Client {
    client_with(server, |b| b)
}

async fn stream(c: &Client) -> Result<UserDetails, Error> {
    c.extract::<UserDetails>()
        .user("Jason is 20")
        .stream_partial()
        .into_final()
        .await
}

fn ev(v: Value) -> Vec<u8> {
    format!("data: {v}\n\n").into_bytes()
}

fn delta(content: &str) -> Vec<u8> {
    ev(json!({
        "id": "chatcmpl-s", "model": "fault-model",
        "choices": [{ "index": 0, "delta": { "content": content }, "finish_reason": null }]
    }))
}

fn finish(reason: &str, u: Value) -> Vec<u8> {
    ev(json!({
        "id": "chatcmpl-s", "model": "fault-model",
        "choices": [{ "index": 0, "delta": {}, "finish_reason": reason }],
        "usage": u
    }))
}

fn done() -> Vec<u8> {
    b"data: [DONE]\n\n".to_vec()
}

fn sse(events: Vec<Vec<u8>>, end: SseEnd) -> Fault {
    Fault::Sse { events, end }
}

fn no_key(err: &Error) {
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(KEY), "key in the error: {shown}");
}

#[tokio::test]
async fn a_whole_stream_gives_the_value() {
    let server = FaultServer::always(sse(
        vec![
            delta("{\"name\": \"Ja"),
            delta("son\", \"age\": 20}"),
            finish("stop", usage(3, 4)),
            done(),
        ],
        SseEnd::Finish,
    ))
    .await;
    assert_eq!(
        stream(&client(&server)).await.unwrap(),
        UserDetails {
            name: "Jason".into(),
            age: 20
        }
    );
    assert!(server.log.lock().unwrap()[0].streaming());
}

#[tokio::test]
async fn no_done_after_a_finished_answer_is_fine() {
    let server = FaultServer::always(sse(
        vec![delta(JASON), finish("stop", usage(3, 4))],
        SseEnd::Finish,
    ))
    .await;
    assert_eq!(stream(&client(&server)).await.unwrap().age, 20);
}

#[tokio::test]
async fn a_stream_that_stops_mid_event_is_a_stream_error() {
    let half_event = b"data: {\"choices\":[{\"delta\":{\"content\":\"son".to_vec();
    for end in [SseEnd::Finish, SseEnd::Reset] {
        let server =
            FaultServer::always(sse(vec![delta("{\"name\": \"Ja"), half_event.clone()], end)).await;
        let err = stream(&client(&server)).await.unwrap_err();
        match &err {
            Error::Stream { text, .. } => assert_eq!(text, "{\"name\": \"Ja", "{end:?}"),
            other => panic!("{end:?}: {other:?}"),
        }
        // Not retried (the answer had started), not re-asked.
        assert_eq!(server.requests(), 1, "{end:?}");
        no_key(&err);
    }
}

#[tokio::test]
async fn a_stream_that_ends_without_done_and_unfinished_is_a_stream_error() {
    let server = FaultServer::always(sse(vec![delta("{\"name\": \"Ja")], SseEnd::Finish)).await;
    let err = c_stream_retrying(&server, 2).await.unwrap_err();
    assert!(
        matches!(&err, Error::Stream { message, .. } if message.contains("ended before")),
        "{err:?}"
    );
    assert_eq!(server.requests(), 1);
}

async fn c_stream_retrying(server: &FaultServer, reasks: u32) -> Result<UserDetails, Error> {
    client(server)
        .extract::<UserDetails>()
        .user("Jason is 20")
        .max_retries(reasks)
        .stream_partial()
        .into_final()
        .await
}

#[tokio::test]
async fn a_stalled_stream_without_done_times_out() {
    let server = FaultServer::script(
        vec![sse(vec![delta("{\"name\": \"Ja")], SseEnd::Stall)],
        sse(
            vec![delta(JASON), finish("stop", usage(1, 1)), done()],
            SseEnd::Finish,
        ),
    )
    .await;
    let c = client_with(&server, |b| b.timeout(Duration::from_millis(300)));
    let err = stream(&c).await.unwrap_err();
    assert!(
        matches!(err, Error::Stream { .. } | Error::Timeout { .. }),
        "{err:?}"
    );
    assert_eq!(server.requests(), 1);
    assert!(server.eventually(|s| s.closed_by_client() == 1).await);
    // The client goes on working.
    assert_eq!(stream(&c).await.unwrap().age, 20);
}

#[tokio::test]
async fn an_error_event_ends_the_stream_with_its_message() {
    for events in [
        vec![
            delta("{\"name\""),
            b"event: error\ndata: {\"error\": {\"message\": \"overloaded\"}}\n\n".to_vec(),
        ],
        vec![
            delta("{\"name\""),
            ev(json!({ "error": { "message": "overloaded", "type": "server_error" } })),
        ],
        vec![b"event: error\ndata: overloaded\n\n".to_vec()],
    ] {
        let server = FaultServer::always(sse(events, SseEnd::Finish)).await;
        let err = c_stream_retrying(&server, 2).await.unwrap_err();
        assert!(
            matches!(&err, Error::Stream { message, .. } if message.contains("overloaded")),
            "{err:?}"
        );
        assert_eq!(server.requests(), 1);
    }
}

#[tokio::test]
async fn a_10_mb_event_is_read_and_a_limit_cuts_it() {
    let name = "a".repeat(10 * 1024 * 1024);
    let answer = format!("{{\"name\": \"{name}\", \"age\": 20}}");
    let events = vec![delta(&answer), finish("stop", usage(1, 1)), done()];
    let server = FaultServer::always(sse(events.clone(), SseEnd::Finish)).await;
    let user = stream(&client(&server)).await.unwrap();
    assert_eq!(user.name.len(), name.len());

    let server = FaultServer::always(sse(events, SseEnd::Finish)).await;
    let c = client_with(&server, |b| b.max_response_bytes(1 << 20));
    let err = stream(&c).await.unwrap_err();
    assert!(
        matches!(err, Error::ResponseTooLarge { limit, .. } if limit == 1 << 20),
        "{err:?}"
    );
    assert_eq!(server.requests(), 1);
}

#[tokio::test]
async fn invalid_utf8_in_an_event_is_a_stream_error() {
    let mut bad = delta("{\"name\": \"JaXXson\", \"age\": 20}");
    let at = bad.windows(2).position(|w| w == b"XX").unwrap();
    bad[at] = 0xFF;
    bad[at + 1] = 0xFE;
    let server = FaultServer::always(sse(
        vec![bad, finish("stop", usage(1, 1)), done()],
        SseEnd::Finish,
    ))
    .await;
    let err = stream(&client(&server)).await.unwrap_err();
    assert!(matches!(err, Error::Stream { .. }), "{err:?}");
    assert_eq!(server.requests(), 1);
}

#[tokio::test]
async fn status_errors_before_the_stream_are_retried() {
    let server = FaultServer::script(
        vec![
            Fault::status(429).header("retry-after", "0"),
            Fault::status(503),
        ],
        sse(
            vec![delta(JASON), finish("stop", usage(1, 1)), done()],
            SseEnd::Finish,
        ),
    )
    .await;
    assert_eq!(stream(&client(&server)).await.unwrap().age, 20);
    assert_eq!(server.requests(), 3);

    let server = FaultServer::always(Fault::status(500)).await;
    let err = stream(&client(&server)).await.unwrap_err();
    assert!(matches!(err, Error::Api { status: 500, .. }), "{err:?}");
    assert_eq!(server.requests(), 3);

    let server = FaultServer::always(Fault::CloseBeforeHeaders).await;
    let err = stream(&client(&server)).await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert_eq!(server.requests(), 3);
}

#[tokio::test]
async fn a_truncated_stream_is_truncated() {
    let server = FaultServer::always(sse(
        vec![
            delta("{\"name\": \"Ja"),
            finish("length", usage(1, 1)),
            done(),
        ],
        SseEnd::Finish,
    ))
    .await;
    let err = c_stream_retrying(&server, 2).await.unwrap_err();
    assert!(
        matches!(&err, Error::Truncated { text, .. } if text == "{\"name\": \"Ja"),
        "{err:?}"
    );
    assert_eq!(server.requests(), 1);
}

#[tokio::test]
async fn the_wrong_schema_in_a_stream_is_re_asked() {
    let server = FaultServer::script(
        vec![sse(
            vec![
                delta("{\"age\": \"x\"}"),
                finish("stop", usage(2, 2)),
                done(),
            ],
            SseEnd::Finish,
        )],
        sse(
            vec![delta(JASON), finish("stop", usage(3, 3)), done()],
            SseEnd::Finish,
        ),
    )
    .await;
    let (user, completion) = client(&server)
        .extract::<UserDetails>()
        .user("Jason is 20")
        .max_retries(1)
        .stream_partial()
        .into_final_with_extraction()
        .await
        .unwrap();
    assert_eq!(user.age, 20);
    assert_eq!(completion.usage.total_tokens, 10);
    assert_eq!(server.requests(), 2);
}

#[tokio::test]
async fn the_key_echoed_in_a_stream_never_shows() {
    let echo = |req: &Request, n: usize| -> Fault {
        let auth = req.header("authorization").unwrap_or_default().to_owned();
        match n {
            0 => sse(
                vec![format!(
                    "event: error\ndata: {{\"error\": {{\"message\": \"bad key {auth}\"}}}}\n\n"
                )
                .into_bytes()],
                SseEnd::Finish,
            ),
            1 => sse(
                vec![delta(&format!("{{\"name\": \"{auth}")), b"data: {".to_vec()],
                SseEnd::Reset,
            ),
            2 => sse(
                vec![delta(&auth), finish("length", usage(1, 1)), done()],
                SseEnd::Finish,
            ),
            _ => sse(
                vec![
                    delta(&format!("{{\"name\": \"{auth}\"}}")),
                    finish("stop", usage(1, 1)),
                    done(),
                ],
                SseEnd::Finish,
            ),
        }
    };
    let server = FaultServer::start(echo).await;
    let c = client(&server);
    let mut leaks = Vec::new();
    for _ in 0..4 {
        let err = stream(&c).await.unwrap_err();
        let shown = format!("{err:?}");
        if shown.contains(KEY) {
            leaks.push(shown);
        }
    }
    assert!(leaks.is_empty(), "the key shows in:\n{}", leaks.join("\n"));
}

#[tokio::test]
async fn a_dropped_stream_closes_its_connection() {
    let server = FaultServer::script(
        vec![sse(vec![delta("{\"name\": \"Ja")], SseEnd::Stall)],
        sse(
            vec![delta(JASON), finish("stop", usage(1, 1)), done()],
            SseEnd::Finish,
        ),
    )
    .await;
    let c = client(&server);
    // Dropped once the stream has started.
    let mut fut = Box::pin(stream(&c));
    tokio::select! {
        r = &mut fut => panic!("finished: {r:?}"),
        _ = async {
            assert!(server.eventually(|s| s.body_bytes_written() > 0).await);
            tokio::time::sleep(Duration::from_millis(20)).await;
        } => {}
    }
    drop(fut);
    assert!(server.eventually(|s| s.closed_by_client() == 1).await);
    assert_eq!(stream(&c).await.unwrap().age, 20);
}
