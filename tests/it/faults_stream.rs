//! Reliability of streaming (issue 7): an event stream cut mid-event, without `[DONE]`,
//! stalled, carrying an `error` event, a 10 MB event, bytes that are not UTF-8, or the key.
//! Run against `support::servers::fault::FaultServer`; the stream is driven by
//! `into_final`. The cases of one shape are the rows of [`cases`].

use std::time::Duration;

use instructor::{Client, Error};
use serde_json::json;

use crate::support::cases::{always, script, Expect, FaultCase};
use crate::support::servers::fault::{Fault, FaultServer, Request, SseEnd};
use crate::support::sse::{self, Sse};
use crate::support::*;

async fn stream(c: &Client) -> Result<UserDetails, Error> {
    c.extract::<UserDetails>()
        .user("Jason is 20")
        .stream_partial()
        .into_final()
        .await
}

/// Jason's answer as a whole stream.
fn jason_stream() -> Fault {
    Fault::sse(
        Sse::new()
            .delta(JASON)
            .finish_with_usage("stop", usage(1, 1))
            .done(),
    )
}

/// A server whose first stream stalls after a delta; every later one is Jason's.
async fn stalls_once() -> FaultServer {
    FaultServer::script(
        vec![Fault::sse_ending(
            Sse::new().delta("{\"name\": \"Ja"),
            SseEnd::Stall,
        )],
        jason_stream(),
    )
    .await
}

/// A 10 MB answer (`name` is 10 MiB of `a`) in one event.
fn ten_mb_stream() -> Fault {
    let answer = format!("{{\"name\": \"{}\", \"age\": 20}}", "a".repeat(10 << 20));
    Fault::sse(
        Sse::new()
            .delta(&answer)
            .finish_with_usage("stop", usage(1, 1))
            .done(),
    )
}

fn cases() -> Vec<FaultCase> {
    let half_event = b"data: {\"choices\":[{\"delta\":{\"content\":\"son".to_vec();
    let mut invalid_utf8 = sse::delta("{\"name\": \"JaXXson\", \"age\": 20}");
    let at = invalid_utf8.windows(2).position(|w| w == b"XX").unwrap();
    invalid_utf8[at] = 0xFF;
    invalid_utf8[at + 1] = 0xFE;
    let overloaded =
        |e: &Error| matches!(e, Error::Stream { message, .. } if message.contains("overloaded"));
    let mut rows = vec![
        always(
            "no [DONE] after a finished answer is fine",
            Fault::sse(
                Sse::new()
                    .delta(JASON)
                    .finish_with_usage("stop", usage(3, 4)),
            ),
            Expect::value(1),
        ),
        always(
            "a stream that ends without [DONE], unfinished, is a stream error, not re-asked",
            Fault::sse(Sse::new().delta("{\"name\": \"Ja")),
            Expect::error("Stream", 1).and(
                "saying it ended before the answer",
                |e| matches!(e, Error::Stream { message, .. } if message.contains("ended before")),
            ),
        )
        .reasks(2),
        always(
            "an error event ends the stream with its message",
            Fault::sse(
                Sse::new().delta("{\"name\"").raw(
                    &b"event: error\ndata: {\"error\": {\"message\": \"overloaded\"}}\n\n"[..],
                ),
            ),
            Expect::error("Stream", 1).and("with the message", overloaded),
        )
        .reasks(2),
        always(
            "an error object as data ends the stream with its message",
            Fault::sse(Sse::new().delta("{\"name\"").raw(sse::event(
                &json!({ "error": { "message": "overloaded", "type": "server_error" } }),
            ))),
            Expect::error("Stream", 1).and("with the message", overloaded),
        )
        .reasks(2),
        always(
            "an error event of plain text ends the stream with its message",
            Fault::sse(Sse::new().raw(&b"event: error\ndata: overloaded\n\n"[..])),
            Expect::error("Stream", 1).and("with the message", overloaded),
        )
        .reasks(2),
        always(
            "a limit cuts a 10 MB event",
            ten_mb_stream(),
            Expect::error("ResponseTooLarge", 1).and(
                "at the limit",
                |e| matches!(e, Error::ResponseTooLarge { limit, .. } if *limit == 1 << 20),
            ),
        )
        .client(|b| b.max_response_bytes(1 << 20)),
        always(
            "invalid UTF-8 in an event is a stream error",
            Fault::sse(
                Sse::new()
                    .raw(invalid_utf8)
                    .finish_with_usage("stop", usage(1, 1))
                    .done(),
            ),
            Expect::error("Stream", 1),
        ),
        script(
            "429 and 503 before the stream are retried",
            vec![
                Fault::status(429).header("retry-after", "0"),
                Fault::status(503),
            ],
            jason_stream(),
            Expect::value(3),
        ),
        always(
            "a persistent 500 before the stream is retried to the bound",
            Fault::status(500),
            Expect::error("Api 500", 3),
        ),
        always(
            "a connection closed before the stream is retried to the bound",
            Fault::CloseBeforeHeaders,
            Expect::error("Transport", 3),
        ),
        always(
            "finish_reason length in a stream is Truncated, not re-asked",
            Fault::sse(
                Sse::new()
                    .delta("{\"name\": \"Ja")
                    .finish_with_usage("length", usage(1, 1))
                    .done(),
            ),
            Expect::error("Truncated", 1).and(
                "with the text so far",
                |e| matches!(e, Error::Truncated { text, .. } if text == "{\"name\": \"Ja"),
            ),
        )
        .reasks(2),
    ];
    // Not retried (the answer had started), not re-asked.
    for end in [SseEnd::Finish, SseEnd::Reset] {
        rows.push(always(
            format!("a stream that stops mid-event, then {end:?}"),
            Fault::sse_ending(
                Sse::new().delta("{\"name\": \"Ja").raw(half_event.clone()),
                end,
            ),
            Expect::error("Stream", 1).and(
                "with the text so far",
                |e| matches!(e, Error::Stream { text, .. } if text == "{\"name\": \"Ja"),
            ),
        ));
    }
    rows.into_iter().map(FaultCase::streamed).collect()
}

#[tokio::test]
async fn broken_streams_end_in_the_expected_result_after_the_expected_requests() {
    FaultCase::assert_all(cases()).await;
}

#[tokio::test]
async fn a_whole_stream_gives_the_value() {
    let server = FaultServer::always(Fault::sse(
        Sse::new()
            .delta("{\"name\": \"Ja")
            .delta("son\", \"age\": 20}")
            .finish_with_usage("stop", usage(3, 4))
            .done(),
    ))
    .await;
    assert_eq!(stream(&client(&server)).await.unwrap(), jason());
    assert!(server.log.lock().unwrap()[0].streaming());
}

#[tokio::test]
async fn a_stalled_stream_without_done_times_out() {
    let server = stalls_once().await;
    let c = builder(&server)
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
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
async fn a_10_mb_event_is_read() {
    let server = FaultServer::always(ten_mb_stream()).await;
    let user = stream(&client(&server)).await.unwrap();
    assert_eq!(user.name.len(), 10 << 20);
}

#[tokio::test]
async fn the_wrong_schema_in_a_stream_is_re_asked() {
    let server = FaultServer::script(
        vec![Fault::sse(
            Sse::new()
                .delta("{\"age\": \"x\"}")
                .finish_with_usage("stop", usage(2, 2))
                .done(),
        )],
        Fault::sse(
            Sse::new()
                .delta(JASON)
                .finish_with_usage("stop", usage(3, 3))
                .done(),
        ),
    )
    .await;
    let (user, completion) = ask::<UserDetails>(&server, "Jason is 20", 1)
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
            0 => Fault::sse(Sse::new().raw(format!(
                "event: error\ndata: {{\"error\": {{\"message\": \"bad key {auth}\"}}}}\n\n"
            ))),
            1 => Fault::sse_ending(
                Sse::new()
                    .delta(&format!("{{\"name\": \"{auth}"))
                    .raw(&b"data: {"[..]),
                SseEnd::Reset,
            ),
            2 => Fault::sse(
                Sse::new()
                    .delta(&auth)
                    .finish_with_usage("length", usage(1, 1))
                    .done(),
            ),
            _ => Fault::sse(
                Sse::new()
                    .delta(&format!("{{\"name\": \"{auth}\"}}"))
                    .finish_with_usage("stop", usage(1, 1))
                    .done(),
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
    let server = stalls_once().await;
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
