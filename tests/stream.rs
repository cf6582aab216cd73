//! Streaming against real HTTP servers on 127.0.0.1: wiremock for whole recorded-shape
//! streams, and a lockstep server (one event per request of the test) for the sequence of
//! partial values.

use instructor::{Client, Error, Instructor, Mode, StreamExt};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

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

#[derive(Debug, Clone, PartialEq, Deserialize, Instructor, garde::Validate)]
struct User {
    #[garde(length(min = 1))]
    name: String,
    #[garde(range(max = 150))]
    age: u8,
}

fn client(base: &str) -> Client {
    Client::builder()
        .base_url(base)
        .api_key("sk-test-stream-0123456789")
        .default_model("m")
        .build()
        .unwrap()
}

/// One SSE event carrying a content delta.
fn content(text: &str) -> String {
    let chunk = json!({"id": "c1", "model": "m", "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": null}]});
    format!("data: {chunk}\n\n")
}

fn tool_args(text: &str, first: bool) -> String {
    let call = if first {
        json!({"index": 0, "id": "call_1", "type": "function", "function": {"name": "Report", "arguments": text}})
    } else {
        json!({"index": 0, "function": {"arguments": text}})
    };
    let chunk = json!({"choices": [{"index": 0, "delta": {"tool_calls": [call]}}]});
    format!("data: {chunk}\n\n")
}

fn finish(reason: &str) -> String {
    let chunk = json!({"choices": [{"index": 0, "delta": {}, "finish_reason": reason}]});
    format!("data: {chunk}\n\n")
}

fn usage(prompt: u64, completion: u64) -> String {
    let chunk = json!({"choices": [], "usage": {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}});
    format!("data: {chunk}\n\n")
}

const DONE: &str = "data: [DONE]\n\n";

/// The answer `text` cut into deltas of `n` characters, as a whole SSE body.
fn body_of(text: &str, n: usize, tail: &[String]) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut body: String = chars
        .chunks(n)
        .map(|c| content(&c.iter().collect::<String>()))
        .collect();
    for t in tail {
        body.push_str(t);
    }
    body
}

async fn sse_server(bodies: Vec<String>) -> MockServer {
    let server = MockServer::start().await;
    for (i, body) in bodies.into_iter().enumerate() {
        Mock::given(method("POST"))
            .and(path("/v1/chat/completions"))
            .respond_with(ResponseTemplate::new(200).set_body_raw(body, "text/event-stream"))
            .up_to_n_times(1)
            .with_priority(i as u8 + 1)
            .mount(&server)
            .await;
    }
    server
}

async fn requests(server: &MockServer) -> Vec<Value> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect()
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
    let server = sse_server(vec![body_of(
        REPORT,
        3,
        &[finish("stop"), usage(11, 7), DONE.into()],
    )])
    .await;
    let stream = client(&format!("{}/v1", server.uri()))
        .extract::<Report>()
        .user("write")
        .stream_partial();
    let (value, completion) = stream.into_final_with_extraction().await.unwrap();
    assert_eq!(value, report());
    assert_eq!(completion.usage.prompt_tokens, 11);
    assert_eq!(completion.usage.completion_tokens, 7);
    let sent = &requests(&server).await[0];
    assert_eq!(sent["stream"], true);
    assert_eq!(sent["stream_options"], json!({"include_usage": true}));
    assert_eq!(sent["response_format"]["type"], "json_schema");
    assert_eq!(
        sent["response_format"]["json_schema"]["schema"]["title"],
        "Report"
    );
}

#[tokio::test]
async fn every_mode_reads_its_own_deltas() {
    for mode in Mode::ALL {
        let body = match mode {
            Mode::Tools => {
                let mut b = tool_args(&REPORT[..10], true);
                b.push_str(&tool_args(&REPORT[10..], false));
                b + &finish("tool_calls") + DONE
            }
            Mode::MdJson => body_of(
                &format!("Sure!\n```json\n{REPORT}\n```\nAnything else?"),
                4,
                &[finish("stop"), DONE.into()],
            ),
            _ => body_of(REPORT, 5, &[finish("stop"), DONE.into()]),
        };
        let server = sse_server(vec![body]).await;
        let got = client(&format!("{}/v1", server.uri()))
            .extract::<Report>()
            .mode(mode)
            .user("write")
            .stream_partial()
            .into_final()
            .await;
        assert_eq!(got.unwrap(), report(), "{mode}");
        let sent = &requests(&server).await[0];
        assert_eq!(sent["stream"], true, "{mode}");
        if mode == Mode::Tools {
            assert_eq!(sent["tool_choice"]["function"]["name"], "Report");
        }
    }
}

/// An HTTP server that sends one SSE event each time the test asks for one, so the test
/// sees exactly the partial value each event produces.
struct Lockstep {
    url: String,
    events: mpsc::UnboundedSender<Option<String>>,
}

async fn lockstep() -> Lockstep {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    let (tx, mut rx) = mpsc::unbounded_channel::<Option<String>>();
    tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.unwrap();
        let mut buf = vec![0u8; 65536];
        let mut read = Vec::new();
        // Read the request: headers, then Content-Length bytes.
        loop {
            let n = sock.read(&mut buf).await.unwrap();
            read.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&read).to_string();
            if let Some(end) = text.find("\r\n\r\n") {
                let len: usize = text
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse().unwrap())
                    })
                    .unwrap_or(0);
                if read.len() >= end + 4 + len {
                    break;
                }
            }
        }
        sock.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n")
            .await
            .unwrap();
        while let Some(event) = rx.recv().await {
            match event {
                Some(e) => {
                    let chunk = format!("{:x}\r\n{e}\r\n", e.len());
                    if sock.write_all(chunk.as_bytes()).await.is_err() {
                        return;
                    }
                }
                // `None`: cut the connection here.
                None => return,
            }
        }
        let _ = sock.write_all(b"0\r\n\r\n").await;
    });
    Lockstep { url, events: tx }
}

#[tokio::test]
async fn partials_fill_in_as_events_arrive() {
    let server = lockstep().await;
    let mut stream = client(&server.url)
        .extract::<Report>()
        .user("write")
        .stream_partial();
    let send = |s: String| server.events.send(Some(s)).unwrap();

    send(content(r#"{"title": "Q"#));
    let p = stream.next().await.unwrap().unwrap();
    assert_eq!(
        p.title.as_deref(),
        Some("Q"),
        "strings show as they are written"
    );
    assert_eq!(p.score, None);
    assert_eq!(stream.attempt(), 1);

    send(content(r#"3 {\"dr"#));
    let p = stream.next().await.unwrap().unwrap();
    assert_eq!(
        p.title.as_deref(),
        Some("Q3 {\"dr"),
        "a brace inside a string does not end anything"
    );

    send(content(r#"aft\"}", "score": 8"#));
    let p = stream.next().await.unwrap().unwrap();
    assert_eq!(p.title.as_deref(), Some("Q3 {\"draft\"}"));
    assert_eq!(
        p.score, None,
        "a number is not shown before it is complete (8 of 87)"
    );

    send(content(r#"7, "tags": ["a""#));
    let p = stream.next().await.unwrap().unwrap();
    assert_eq!(p.score, Some(87));
    assert_eq!(p.tags.as_deref(), Some(&["a".to_owned()][..]));

    send(content(r#", "b"]}"#) + &finish("stop") + DONE);
    drop(server.events);
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
    let server = sse_server(vec![body_of(REPORT, 2, &[finish("stop"), DONE.into()])]).await;
    let mut stream = client(&format!("{}/v1", server.uri()))
        .extract::<Report>()
        .user("w")
        .stream_partial();
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
    let server = lockstep().await;
    let mut stream = client(&server.url)
        .extract::<Report>()
        .user("write")
        .stream_partial();
    server
        .events
        .send(Some(content(r#"{"title": "Q3", "sco"#)))
        .unwrap();
    let p = stream.next().await.unwrap().unwrap();
    assert_eq!(p.title.as_deref(), Some("Q3"));
    server.events.send(None).unwrap();
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
    let body = content(r#"{"title": "#)
        + "event: error\ndata: {\"error\": {\"message\": \"model overloaded\"}}\n\n";
    let server = sse_server(vec![body]).await;
    let err = client(&format!("{}/v1", server.uri()))
        .extract::<Report>()
        .user("write")
        .stream_partial()
        .into_final()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Stream { message, .. } if message == "model overloaded"),
        "{err:?}"
    );
}

#[tokio::test]
async fn done_may_be_missing_after_a_finish_but_not_before() {
    let server = sse_server(vec![body_of(REPORT, 6, &[finish("stop")])]).await;
    let got = client(&format!("{}/v1", server.uri()))
        .extract::<Report>()
        .user("w")
        .stream_partial()
        .into_final()
        .await;
    assert_eq!(
        got.unwrap(),
        report(),
        "finish_reason then end of body: complete"
    );

    let server = sse_server(vec![body_of(&REPORT[..20], 6, &[])]).await;
    let err = client(&format!("{}/v1", server.uri()))
        .extract::<Report>()
        .user("w")
        .stream_partial()
        .into_final()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Stream { .. }), "{err:?}");
}

#[tokio::test]
async fn truncation_is_an_error_not_a_reask() {
    let server = sse_server(vec![body_of(
        &REPORT[..25],
        6,
        &[finish("length"), DONE.into()],
    )])
    .await;
    let err = client(&format!("{}/v1", server.uri()))
        .extract::<Report>()
        .user("w")
        .max_retries(3)
        .stream_partial()
        .into_final()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Truncated { text, .. } if text == &REPORT[..25]),
        "{err:?}"
    );
    assert_eq!(requests(&server).await.len(), 1);
}

#[tokio::test]
async fn a_final_value_that_breaks_a_rule_is_reasked_and_the_stream_starts_over() {
    let bad = r#"{"title": "", "score": 101, "tags": []}"#;
    let server = sse_server(vec![
        body_of(bad, 8, &[finish("stop"), usage(10, 5), DONE.into()]),
        body_of(REPORT, 8, &[finish("stop"), usage(20, 6), DONE.into()]),
    ])
    .await;
    let mut stream = client(&format!("{}/v1", server.uri()))
        .extract::<Report>()
        .user("write")
        .max_retries(1)
        .stream_partial();
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
    let second = &requests(&server).await[1];
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
    let server = sse_server(vec![body_of(answer, 7, &[finish("stop"), DONE.into()])]).await;
    let mut users = client(&format!("{}/v1", server.uri()))
        .extract::<User>()
        .user("list them")
        .stream_iter();
    let mut got = Vec::new();
    while let Some(item) = users.next().await {
        got.push(item);
    }
    assert_eq!(got.len(), 3, "{got:?}");
    assert_eq!(
        got[0].as_ref().unwrap(),
        &User {
            name: "Jason".into(),
            age: 20
        }
    );
    assert!(
        matches!(&got[1], Err(Error::InvalidItem { index: 1, .. })),
        "{:?}",
        got[1]
    );
    assert_eq!(got[2].as_ref().unwrap().name, "Ada");
    let sent = &requests(&server).await[0];
    let schema = &sent["response_format"]["json_schema"]["schema"];
    assert_eq!(schema["required"], json!(["items"]));
    assert_eq!(
        schema["properties"]["items"]["items"]["$ref"],
        "#/$defs/User"
    );
}

#[tokio::test]
async fn stream_iter_gives_each_item_before_the_list_closes() {
    let server = lockstep().await;
    let mut users = client(&server.url)
        .extract::<User>()
        .user("list")
        .stream_iter();
    server
        .events
        .send(Some(content(
            r#"{"items": [{"name": "Jason", "age": 20}, {"name": "A"#,
        )))
        .unwrap();
    let first = users.next().await.unwrap().unwrap();
    assert_eq!(first.name, "Jason");
    server
        .events
        .send(Some(
            content(r#"da", "age": 36}]}"#) + &finish("stop") + DONE,
        ))
        .unwrap();
    assert_eq!(users.next().await.unwrap().unwrap().name, "Ada");
    assert!(users.next().await.is_none());
}

#[tokio::test]
async fn stream_iter_cut_after_some_items_yields_them_then_the_error() {
    let server = sse_server(vec![body_of(
        r#"{"items": [{"name": "Jason", "age": 20}, {"na"#,
        9,
        &[],
    )])
    .await;
    let items: Vec<_> = client(&format!("{}/v1", server.uri()))
        .extract::<User>()
        .user("l")
        .stream_iter()
        .collect()
        .await;
    assert_eq!(items.len(), 2, "{items:?}");
    assert!(items[0].is_ok());
    assert!(matches!(items[1], Err(Error::Stream { .. })));
}

#[tokio::test]
async fn an_api_error_before_the_stream_is_the_same_as_without_streaming() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(400).set_body_json(json!({"error": {"message": "bad model"}})),
        )
        .mount(&server)
        .await;
    let err = client(&format!("{}/v1", server.uri()))
        .extract::<Report>()
        .user("w")
        .stream_partial()
        .into_final()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Api { status: 400, message, .. } if message == "bad model"),
        "{err:?}"
    );
}

#[tokio::test]
async fn dropping_the_stream_closes_the_connection() {
    let server = lockstep().await;
    let mut stream = client(&server.url)
        .extract::<Report>()
        .user("write")
        .stream_partial();
    server
        .events
        .send(Some(content(r#"{"title": "Q"#)))
        .unwrap();
    stream.next().await.unwrap().unwrap();
    drop(stream);
    // The server's writes fail once the client is gone, and its task ends: the channel
    // closes.
    let mut closed = false;
    for _ in 0..200 {
        if server.events.send(Some(content("x"))).is_err() {
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
