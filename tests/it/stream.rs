//! Streaming against real HTTP servers on 127.0.0.1: wiremock for whole recorded-shape
//! streams, and a lockstep server (one event per request of the test) for the sequence of
//! partial values.

use instructor::{Error, Instructor, ItemStream, Mode, PartialStream, StreamExt};
use serde::Deserialize;
use serde_json::json;
use wiremock::{MockServer, ResponseTemplate};

use crate::support::servers::lockstep::Lockstep;
use crate::support::servers::mock::{answer_always, bodies, serving, sse_ok};
use crate::support::sse::Sse;
use crate::support::*;

/// A report being written.
#[derive(Debug, Clone, PartialEq, Deserialize, Instructor, garde::Validate)]
struct Report {
    #[garde(length(min = 1))]
    title: String,
    #[garde(range(max = 100))]
    score: u8,
    #[garde(skip)]
    tags: Vec<String>,
}

/// A server answering with each of `streams` in turn, once.
async fn sse_server(streams: Vec<Sse>) -> MockServer {
    serving(streams.iter().map(|s| sse_ok(s.body())).collect()).await
}

/// A report asked of `server`, streamed.
fn report_stream(server: &impl Endpoint) -> PartialStream<Report> {
    client(server)
        .extract::<Report>()
        .user("write")
        .stream_partial()
}

/// The final report streamed by a server answering with `stream`.
async fn final_report(stream: Sse) -> Result<Report, Error> {
    report_stream(&sse_server(vec![stream]).await)
        .into_final()
        .await
}

/// Users asked of `server`, streamed item by item.
fn users_stream(server: &impl Endpoint) -> ItemStream<UserDetails> {
    client(server)
        .extract::<UserDetails>()
        .user("list them")
        .stream_iter()
}

const REPORT: &str = r#"{"title": "Q3 {\"draft\"}", "score": 87, "tags": ["a", "b"]}"#;

fn report() -> Report {
    Report {
        title: "Q3 {\"draft\"}".into(),
        score: 87,
        tags: vec!["a".into(), "b".into()],
    }
}

#[tokio::test]
async fn json_schema_mode_stream_gives_the_value_and_the_usage() {
    let server = sse_server(vec![Sse::new()
        .deltas(REPORT, 3)
        .finish("stop")
        .usage(11, 7)
        .done()])
    .await;
    let stream = report_stream(&server);
    let (value, completion) = stream.into_final_with_extraction().await.unwrap();
    assert_eq!(value, report());
    assert_eq!(completion.usage.prompt_tokens, 11);
    assert_eq!(completion.usage.completion_tokens, 7);
    let sent = &bodies(&server).await[0];
    assert_eq!(sent["stream"], true);
    assert_eq!(sent["stream_options"], json!({"include_usage": true}));
    assert_eq!(sent["response_format"]["type"], "json_schema");
    assert_eq!(sent["response_format"]["json_schema"]["name"], "Report");
    assert!(sent["response_format"]["json_schema"]["schema"]["properties"]["score"].is_object());
}

#[tokio::test]
async fn every_mode_reads_its_own_deltas() {
    for mode in Mode::ALL {
        let body = match mode {
            Mode::Tools => Sse::new()
                .tool_args("Report", &REPORT[..10], true)
                .tool_args("Report", &REPORT[10..], false)
                .finish("tool_calls")
                .done(),
            Mode::MdJson => Sse::new()
                .deltas(&format!("Sure!\n```json\n{REPORT}\n```\nAnything else?"), 4)
                .finish("stop")
                .done(),
            _ => Sse::new().deltas(REPORT, 5).finish("stop").done(),
        };
        let server = sse_server(vec![body]).await;
        let got = ask::<Report>(&server, "write", 0)
            .mode(mode)
            .stream_partial()
            .into_final()
            .await;
        assert_eq!(got.unwrap(), report(), "{mode}");
        let sent = &bodies(&server).await[0];
        assert_eq!(sent["stream"], true, "{mode}");
        if mode == Mode::Tools {
            assert_eq!(sent["tool_choice"]["function"]["name"], "Report");
        }
    }
}

#[tokio::test]
async fn partials_fill_in_as_events_arrive() {
    let server = Lockstep::start().await;
    let mut stream = report_stream(&server);
    let send = |text: &str| assert!(server.send(Sse::new().delta(text)));

    send(r#"{"title": "Q"#);
    let p = stream.next().await.unwrap().unwrap();
    assert_eq!(
        p.title.as_deref(),
        Some("Q"),
        "strings show as they are written"
    );
    assert_eq!(p.score, None);
    assert_eq!(stream.attempt(), 1);

    send(r#"3 {\"dr"#);
    let p = stream.next().await.unwrap().unwrap();
    assert_eq!(
        p.title.as_deref(),
        Some("Q3 {\"dr"),
        "a brace inside a string does not end anything"
    );

    send(r#"aft\"}", "score": 8"#);
    let p = stream.next().await.unwrap().unwrap();
    assert_eq!(p.title.as_deref(), Some("Q3 {\"draft\"}"));
    assert_eq!(
        p.score, None,
        "a number is not shown before it is complete (8 of 87)"
    );

    send(r#"7, "tags": ["a""#);
    let p = stream.next().await.unwrap().unwrap();
    assert_eq!(p.score, Some(87));
    assert_eq!(p.tags.as_deref(), Some(&["a".to_owned()][..]));

    assert!(server.send(Sse::new().delta(r#", "b"]}"#).finish("stop").done()));
    server.finish();
    let p = stream.next().await.unwrap().unwrap();
    assert_eq!(
        p.tags.as_deref().map(<[String]>::len),
        Some(2),
        "the last change is shown too"
    );
    assert!(stream.next().await.is_none(), "then the stream ends");
    assert_eq!(stream.into_final().await.unwrap(), report());
}

#[tokio::test]
async fn a_slow_consumer_gets_one_snapshot_for_many_chunks() {
    // The whole stream is there before the consumer looks: 2-character deltas, many events.
    let events = REPORT.len().div_ceil(2);
    let server = sse_server(vec![Sse::new().deltas(REPORT, 2).finish("stop").done()]).await;
    let mut stream = report_stream(&server);
    let mut snapshots = 0;
    while let Some(p) = stream.next().await {
        p.unwrap();
        snapshots += 1;
    }
    assert!(
        snapshots < events / 2,
        "{snapshots} snapshots for {events} events: what arrived together was parsed together"
    );
    assert_eq!(stream.into_final().await.unwrap(), report());
}

#[tokio::test]
async fn a_stream_cut_mid_object_is_a_clear_error() {
    let server = Lockstep::start().await;
    let mut stream = report_stream(&server);
    assert!(server.send(Sse::new().delta(r#"{"title": "Q3", "sco"#)));
    let p = stream.next().await.unwrap().unwrap();
    assert_eq!(p.title.as_deref(), Some("Q3"));
    server.cut();
    let err = stream.next().await.unwrap().unwrap_err();
    match &err {
        Error::Stream { message, text, .. } => {
            assert!(
                message.contains("mid-stream")
                    || message.contains("before the answer was complete"),
                "{message}"
            );
            assert_eq!(text, r#"{"title": "Q3", "sco"#);
        }
        other => panic!("expected Error::Stream, got {other:?}"),
    }
    assert!(stream.next().await.is_none());
    assert!(matches!(
        stream.into_final().await,
        Err(Error::Stream { .. })
    ));
}

#[tokio::test]
async fn an_error_event_ends_the_stream_with_its_message() {
    let body = Sse::new()
        .delta(r#"{"title": "#)
        .raw("event: error\ndata: {\"error\": {\"message\": \"model overloaded\"}}\n\n");
    let err = final_report(body).await.unwrap_err();
    assert!(
        matches!(&err, Error::Stream { message, .. } if message == "model overloaded"),
        "{err:?}"
    );
}

#[tokio::test]
async fn done_may_be_missing_after_a_finish_but_not_before() {
    let got = final_report(Sse::new().deltas(REPORT, 6).finish("stop")).await;
    assert_eq!(
        got.unwrap(),
        report(),
        "finish_reason then end of body: complete"
    );

    let err = final_report(Sse::new().deltas(&REPORT[..20], 6))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Stream { .. }), "{err:?}");
}

#[tokio::test]
async fn truncation_is_an_error_not_a_reask() {
    let server = sse_server(vec![Sse::new()
        .deltas(&REPORT[..25], 6)
        .finish("length")
        .done()])
    .await;
    let err = ask::<Report>(&server, "w", 3)
        .stream_partial()
        .into_final()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Truncated { text, .. } if text == &REPORT[..25]),
        "{err:?}"
    );
    assert_eq!(bodies(&server).await.len(), 1);
}

#[tokio::test]
async fn a_final_value_that_breaks_a_rule_is_reasked_and_the_stream_starts_over() {
    let bad = r#"{"title": "", "score": 101, "tags": []}"#;
    let server = sse_server(vec![
        Sse::new().deltas(bad, 8).finish("stop").usage(10, 5).done(),
        Sse::new()
            .deltas(REPORT, 8)
            .finish("stop")
            .usage(20, 6)
            .done(),
    ])
    .await;
    let mut stream = ask::<Report>(&server, "write", 1).stream_partial();
    let mut titles = Vec::new();
    while let Some(p) = stream.next().await {
        titles.push((stream.attempt(), p.unwrap().title));
    }
    assert!(titles.iter().any(|(a, _)| *a == 1));
    assert_eq!(
        titles.last().unwrap().0,
        2,
        "partials of the second attempt follow"
    );
    let (value, completion) = stream.into_final_with_extraction().await.unwrap();
    assert_eq!(value, report());
    assert_eq!(completion.attempts.len(), 2);
    assert_eq!(completion.usage.prompt_tokens, 30, "usage of both attempts");
    let second = &bodies(&server).await[1];
    let messages = second["messages"].as_array().unwrap();
    assert_eq!(messages[1]["role"], "assistant");
    assert_eq!(messages[1]["content"], bad);
    let feedback = messages[2]["content"].as_str().unwrap();
    assert!(
        feedback.contains("- `score` is 101: greater than 100."),
        "{feedback}"
    );
    assert!(
        feedback.contains("- `title` is \"\": length is lower than 1."),
        "{feedback}"
    );
}

#[tokio::test]
async fn stream_iter_yields_each_valid_item_and_reports_invalid_ones_by_index() {
    let answer = r#"{"items": [{"name": "Jason", "age": 20}, {"name": "", "age": 30}, {"name": "Ada", "age": 36}]}"#;
    let server = sse_server(vec![Sse::new().deltas(answer, 7).finish("stop").done()]).await;
    let mut users = users_stream(&server);
    let mut got = Vec::new();
    while let Some(item) = users.next().await {
        got.push(item);
    }
    assert_eq!(got.len(), 3, "{got:?}");
    assert_eq!(got[0].as_ref().unwrap(), &jason());
    assert!(
        matches!(&got[1], Err(Error::InvalidItem { index: 1, .. })),
        "{:?}",
        got[1]
    );
    assert_eq!(got[2].as_ref().unwrap().name, "Ada");
    let sent = &bodies(&server).await[0];
    let schema = &sent["response_format"]["json_schema"]["schema"];
    assert_eq!(schema["required"], json!(["items"]));
    // The element type, used once, is written in place (no `$defs`).
    assert_eq!(
        schema["properties"]["items"]["items"]["properties"]["age"]["maximum"],
        120
    );
    assert!(schema.get("$defs").is_none(), "{schema}");
}

#[tokio::test]
async fn stream_iter_gives_each_item_before_the_list_closes() {
    let server = Lockstep::start().await;
    let mut users = users_stream(&server);
    assert!(
        server.send(Sse::new().delta(r#"{"items": [{"name": "Jason", "age": 20}, {"name": "A"#))
    );
    let first = users.next().await.unwrap().unwrap();
    assert_eq!(first.name, "Jason");
    assert!(server.send(
        Sse::new()
            .delta(r#"da", "age": 36}]}"#)
            .finish("stop")
            .done()
    ));
    assert_eq!(users.next().await.unwrap().unwrap().name, "Ada");
    assert!(users.next().await.is_none());
}

#[tokio::test]
async fn stream_iter_cut_after_some_items_yields_them_then_the_error() {
    let server = sse_server(vec![
        Sse::new().deltas(r#"{"items": [{"name": "Jason", "age": 20}, {"na"#, 9)
    ])
    .await;
    let items: Vec<_> = users_stream(&server).collect().await;
    assert_eq!(items.len(), 2, "{items:?}");
    assert!(items[0].is_ok());
    assert!(matches!(items[1], Err(Error::Stream { .. })));
}

#[tokio::test]
async fn an_api_error_before_the_stream_is_the_same_as_without_streaming() {
    let server = MockServer::start().await;
    answer_always(
        &server,
        ResponseTemplate::new(400).set_body_json(json!({"error": {"message": "bad model"}})),
    )
    .await;
    let err = report_stream(&server).into_final().await.unwrap_err();
    assert!(
        matches!(&err, Error::Api { status: 400, message, .. } if message == "bad model"),
        "{err:?}"
    );
}

#[tokio::test]
async fn dropping_the_stream_closes_the_connection() {
    let server = Lockstep::start().await;
    let mut stream = report_stream(&server);
    assert!(server.send(Sse::new().delta(r#"{"title": "Q"#)));
    stream.next().await.unwrap().unwrap();
    drop(stream);
    // The server's writes fail once the client is gone, and its task ends: the channel
    // closes.
    let mut closed = false;
    for _ in 0..200 {
        if !server.send(Sse::new().delta("x")) {
            closed = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(
        closed,
        "the connection stayed open after the stream was dropped"
    );
}
