//! Cassettes: an extraction recorded against a real HTTP server on 127.0.0.1, the server
//! dropped, then the same extraction replayed from the file by a client whose base URL
//! nothing listens on: the same value and the same `Extraction` (compared whole, by its
//! `Debug`), for a plain answer, a re-ask, a stream, a 429 then 200, and the Anthropic,
//! Gemini and Responses dialects. Then what a cassette refuses: a request it has no answer
//! to, a corrupt line; and what it never writes: the key, the auth headers, a user's header.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use instructor::cassette::{Cassette, CassetteMode};
use instructor::{Client, ClientBuilder, Error, ErrorKind, Extraction, Instructor};
use serde_json::{json, Value};
use wiremock::ResponseTemplate;

use crate::support::providers::{anthropic, gemini, named_events, responses, serving_at};
use crate::support::servers::fault::{Fault, FaultServer};
use crate::support::servers::mock::{json_ok, models, serving, sse_ok};
use crate::support::servers::NothingListening;
use crate::support::sse::Sse;
use crate::support::*;

/// A folder of this test's own, removed at the end.
struct Dir(PathBuf);

impl Dir {
    fn new(test: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "instructor-it-cassette-{}-{test}",
            std::process::id()
        ));
        std::fs::remove_dir_all(&dir).ok();
        Self(dir)
    }

    fn file(&self) -> PathBuf {
        self.0.join("cassettes/exchanges.jsonl")
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.0).ok();
    }
}

/// What a client's hooks saw: each request's (attempt, transport try), each response's
/// (attempt, transport try, status, body).
#[derive(Debug, Default, Clone, PartialEq)]
struct Saw {
    requests: Vec<(u32, u32)>,
    responses: Vec<(u32, u32, u16, String)>,
}

fn watched(builder: ClientBuilder) -> (ClientBuilder, Arc<Mutex<Saw>>) {
    let saw = Arc::new(Mutex::new(Saw::default()));
    let (a, b) = (saw.clone(), saw.clone());
    let builder = builder
        .on_request(move |e| {
            a.lock()
                .unwrap()
                .requests
                .push((e.attempt, e.transport_try))
        })
        .on_response(move |e| {
            b.lock().unwrap().responses.push((
                e.attempt,
                e.transport_try,
                e.status,
                e.body.to_owned(),
            ))
        });
    (builder, saw)
}

/// The file's lines as JSON values.
fn lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// A started server's base URL, and the server (dropped, checking what it expected, before
/// the replay).
type Served = (String, Box<dyn std::any::Any>);

/// Serving `server` at its base with `suffix` (`/v1`, `/v1beta`, or none).
fn served(server: wiremock::MockServer, suffix: &str) -> Served {
    (format!("{}{suffix}", server.uri()), Box::new(server))
}

/// Records `run` with the client `builder` makes against the server `serve` starts, drops
/// the server, then replays `run` with the client `builder` makes for a base URL nothing
/// listens on, and checks both give the same outcome (the same `Debug` of it) and the hooks
/// saw the same; returns the outcome, the file's lines and what the hooks saw.
async fn record_then_replay<T, F, Fut>(
    dir: &Dir,
    serve: impl std::future::Future<Output = Served>,
    builder: impl Fn(&str) -> ClientBuilder,
    run: F,
) -> (T, Vec<Value>, Saw)
where
    T: std::fmt::Debug,
    F: Fn(Client) -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let (base, server) = serve.await;
    let (b, recorded_saw) = watched(builder(&base));
    let recording = Cassette::record(dir.file()).unwrap();
    assert_eq!(recording.mode(), CassetteMode::Record);
    let recorded = run(b.cassette(recording).build().unwrap()).await;
    let file = lines(&dir.file());
    drop(server);

    let nowhere = NothingListening::new().base();
    let base = base.replacen(
        base.split('/').nth(2).unwrap(),
        nowhere.split('/').nth(2).unwrap(),
        1,
    );
    let replaying = Cassette::replay(dir.file()).unwrap();
    let (b, replayed_saw) = watched(builder(&base));
    let replayed = run(b.cassette(replaying.clone()).build().unwrap()).await;
    assert_eq!(format!("{replayed:?}"), format!("{recorded:?}"));
    assert_eq!(replaying.unplayed(), 0, "every recorded exchange is served");
    let (recorded_saw, replayed_saw) = (
        recorded_saw.lock().unwrap().clone(),
        replayed_saw.lock().unwrap().clone(),
    );
    assert_eq!(
        replayed_saw, recorded_saw,
        "the hooks see the same in a replay"
    );
    (recorded, file, recorded_saw)
}

/// [`record_then_replay`] of [`extract_user`] with `reasks` against a chat-completions
/// server answering `replies` in order.
async fn chat_round_trip(
    test: &str,
    replies: Vec<ResponseTemplate>,
    reasks: u32,
) -> (Result<(UserDetails, Extraction), Error>, Vec<Value>, Saw) {
    let serve = async { served(serving(replies).await, "/v1") };
    record_then_replay(&Dir::new(test), serve, builder_at, |c| {
        extract_user(c, reasks)
    })
    .await
}

async fn extract_user(client: Client, reasks: u32) -> Result<(UserDetails, Extraction), Error> {
    client
        .extract::<UserDetails>()
        .user("Jason is 20")
        .max_retries(reasks)
        .send_with_extraction()
        .await
}

#[tokio::test]
async fn an_extraction_recorded_against_a_server_replays_without_it() {
    let replies = vec![json_ok(content_reply(JASON, usage(30, 7)))];
    let (outcome, file, _) = chat_round_trip("plain", replies, 0).await;
    let (user, extraction) = outcome.unwrap();
    assert_eq!(user, jason());
    assert_eq!(extraction.usage.total_tokens, 37);
    assert_eq!(file.len(), 1);
    let x = &file[0];
    assert_eq!(x["method"], "POST");
    assert_eq!(x["endpoint"], "/chat/completions");
    assert_eq!(x["status"], 200);
    assert_eq!(x["request"]["messages"][0]["content"], "Jason is 20");
    assert_eq!(
        x["body"]["choices"][0]["message"]["content"], JASON,
        "the reply is kept as a JSON value"
    );
}

/// The kit's client configuration at `base`.
fn builder_at(base: &str) -> ClientBuilder {
    Client::builder()
        .base_url(base)
        .api_key(KEY)
        .default_model("test-model")
        .retry_policy(fast_retries())
        .prompting(instructor::Prompting::Plain)
}

#[tokio::test]
async fn a_re_ask_replays_both_attempts_and_their_usage() {
    let replies = vec![
        json_ok(content_reply(r#"{"name": "", "age": 130}"#, usage(100, 10))),
        json_ok(content_reply(JASON, usage(130, 12))),
    ];
    let (outcome, file, saw) = chat_round_trip("reask", replies, 1).await;
    let (user, extraction) = outcome.unwrap();
    assert_eq!(user, jason());
    assert_eq!(extraction.attempts.len(), 2);
    assert!(extraction.attempts[0].error.is_some());
    assert_eq!(extraction.usage.total_tokens, 252);
    assert_eq!(file.len(), 2);
    // The user's message, the answer, the errors.
    assert_eq!(file[1]["request"]["messages"].as_array().unwrap().len(), 3);
    assert_eq!(saw.requests, [(1, 0), (2, 0)]);
}

/// Streams `UserDetails` from `client`: the partials, the value and the extraction.
async fn stream_user(
    client: Client,
) -> (
    Vec<<UserDetails as Instructor>::Partial>,
    (UserDetails, Extraction),
) {
    let mut stream = client
        .extract::<UserDetails>()
        .user("Jason is 20")
        .stream_partial();
    let mut partials = Vec::new();
    while let Some(p) = instructor::StreamExt::next(&mut stream).await {
        partials.push(p.unwrap());
    }
    (partials, stream.into_final_with_extraction().await.unwrap())
}

#[tokio::test]
async fn a_stream_replays_the_same_value_and_extraction_and_a_partial_per_event() {
    let sse = Sse::new()
        .deltas(JASON, 3)
        .finish_with_usage("stop", usage(12, 9))
        .done();
    let serve = async { served(serving(vec![sse_ok(sse.body())]).await, "/v1") };
    let dir = Dir::new("stream");
    // How a live stream is cut into partials depends on how its bytes arrive: the
    // recording and the replay agree on the value and the extraction.
    let ((user, extraction), file, _) =
        record_then_replay(&dir, serve, builder_at, |c| async move {
            stream_user(c).await.1
        })
        .await;
    assert_eq!(user, jason());
    assert_eq!(extraction.usage.total_tokens, 21);
    let events = file[0]["events"].as_array().unwrap();
    assert_eq!(file[0]["content_type"], "text/event-stream");
    assert_eq!(events.last().unwrap(), &json!({ "text": "[DONE]" }));
    assert_eq!(events[0]["data"]["choices"][0]["delta"]["content"], "{\"n");

    // A replay serves one event at a time, the same each time.
    let replay = || {
        let cassette = Cassette::replay(dir.file()).unwrap();
        stream_user(
            builder_at(&NothingListening::new().base())
                .cassette(cassette)
                .build()
                .unwrap(),
        )
    };
    let (first, (_, replayed)) = replay().await;
    let (again, _) = replay().await;
    assert!(
        first.len() >= 4,
        "a partial per event that adds to the value: {first:?}"
    );
    assert_eq!(format!("{first:?}"), format!("{again:?}"));
    assert_eq!(first.last().unwrap().age, Some(20));
    assert_eq!(format!("{replayed:?}"), format!("{extraction:?}"));
}

#[tokio::test]
async fn a_429_then_200_is_replayed_as_recorded() {
    let limited = json!({ "error": { "message": "slow down", "type": "rate_limit" } });
    let replies = vec![
        ResponseTemplate::new(429)
            .insert_header("retry-after", "0")
            .set_body_json(limited),
        json_ok(content_reply(JASON, usage(5, 5))),
    ];
    let (outcome, file, saw) = chat_round_trip("retry", replies, 0).await;
    let (user, extraction) = outcome.unwrap();
    assert_eq!(user, jason());
    assert_eq!(extraction.attempts.len(), 1);
    assert_eq!(
        saw.requests,
        [(1, 0), (1, 1)],
        "a transport retry, replayed"
    );
    assert_eq!(saw.responses[0].2, 429);
    assert_eq!(file.len(), 2);
    assert_eq!(file[0]["status"], 429);
    assert_eq!(file[0]["headers"], json!({ "retry-after": "0" }));
    assert_eq!(file[0]["body"]["error"]["message"], "slow down");
    assert_eq!(file[1]["status"], 200);
    assert_eq!(file[0]["request"], file[1]["request"]);
}

#[tokio::test]
async fn an_anthropic_extraction_and_a_stream_split_at_every_byte_replay() {
    let reply = anthropic::tool_reply("toolu_01", json!({ "name": "Jason", "age": 20 }), (50, 20));
    let serve = async {
        served(
            serving_at(anthropic::PATH, &[], vec![json_ok(reply)]).await,
            "",
        )
    };
    let (outcome, file, _) =
        record_then_replay(&Dir::new("anthropic"), serve, anthropic::builder, |c| {
            extract_user(c, 0)
        })
        .await;
    assert_eq!(outcome.unwrap().1.usage.total_tokens, 70);
    assert_eq!(file[0]["endpoint"], "/v1/messages");

    let events = named_events(&[
        json!({ "type": "message_start", "message": { "id": "msg_s", "type": "message",
            "role": "assistant", "content": [], "model": "claude-test",
            "usage": { "input_tokens": 25, "output_tokens": 1 } } }),
        json!({ "type": "content_block_start", "index": 0,
            "content_block": { "type": "tool_use", "id": "toolu_s", "name": "UserDetails", "input": {} } }),
        json!({ "type": "content_block_delta", "index": 0,
            "delta": { "type": "input_json_delta", "partial_json": "{\"name\": \"Jason\"," } }),
        json!({ "type": "content_block_delta", "index": 0,
            "delta": { "type": "input_json_delta", "partial_json": " \"age\": 20}" } }),
        json!({ "type": "content_block_stop", "index": 0 }),
        json!({ "type": "message_delta", "delta": { "stop_reason": "tool_use" },
            "usage": { "output_tokens": 15 } }),
        json!({ "type": "message_stop" }),
    ]);
    let serve = async move {
        let server = FaultServer::start(move |_, _| {
            let mut sse = Sse::new();
            for b in &events {
                sse = sse.raw(vec![*b]);
            }
            Fault::sse(sse)
        })
        .await;
        let base = server.base().trim_end_matches("/v1").to_owned();
        (base, Box::new(server) as Box<dyn std::any::Any>)
    };
    let (outcome, file, _) = record_then_replay(
        &Dir::new("anthropic-stream"),
        serve,
        anthropic::builder,
        |c| {
            c.extract::<UserDetails>()
                .user("Jason is 20")
                .stream_partial()
                .into_final_with_extraction()
        },
    )
    .await;
    let (user, extraction) = outcome.unwrap();
    assert_eq!(user, jason());
    assert_eq!(extraction.usage.total_tokens, 40);
    let events = file[0]["events"].as_array().unwrap();
    assert_eq!(
        events.len(),
        7,
        "one entry per event, however the bytes came"
    );
    assert_eq!(events[0]["event"], "message_start");
}

#[tokio::test]
async fn a_gemini_extraction_and_stream_replay_and_the_query_is_not_recorded() {
    let serve = async {
        let reply = json_ok(gemini::text_reply(JASON, 10, 5));
        served(serving_at(gemini::PATH, &[], vec![reply]).await, "/v1beta")
    };
    let (outcome, file, _) = record_then_replay(&Dir::new("gemini"), serve, gemini::builder, |c| {
        extract_user(c, 0)
    })
    .await;
    assert_eq!(outcome.unwrap().1.usage.total_tokens, 15);
    assert_eq!(
        file[0]["endpoint"],
        "/models/gemini-2.5-flash:generateContent"
    );

    let frame = gemini::text_reply(JASON, 10, 5);
    let serve = async move {
        let stream_path = "/v1beta/models/gemini-2.5-flash:streamGenerateContent";
        let body = format!("data: {frame}\r\n\r\n").into_bytes();
        served(
            serving_at(stream_path, &[], vec![sse_ok(body)]).await,
            "/v1beta",
        )
    };
    let (outcome, file, _) =
        record_then_replay(&Dir::new("gemini-stream"), serve, gemini::builder, |c| {
            c.extract::<UserDetails>()
                .user("Jason is 20")
                .stream_partial()
                .into_final_with_extraction()
        })
        .await;
    assert_eq!(outcome.unwrap().0, jason());
    assert_eq!(
        file[0]["endpoint"], "/models/gemini-2.5-flash:streamGenerateContent",
        "the path, without `?alt=sse`"
    );
    assert_eq!(file[0]["newline"], "\r\n");
}

#[tokio::test]
async fn a_responses_api_extraction_replays() {
    let serve = async {
        let reply = responses::text_reply(JASON, responses::usage(8, 4));
        served(
            serving_at(responses::PATH, &[], vec![json_ok(reply)]).await,
            "/v1",
        )
    };
    let (outcome, file, _) = record_then_replay(
        &Dir::new("responses"),
        serve,
        |b| builder_at(b).provider(instructor::Provider::OpenAiResponses),
        |c| extract_user(c, 0),
    )
    .await;
    assert_eq!(outcome.unwrap().0, jason());
    assert_eq!(file[0]["endpoint"], "/responses");
}

#[tokio::test]
async fn detect_server_is_recorded_and_replayed() {
    let serve = async {
        let server = wiremock::MockServer::start().await;
        models(&server, "qwen", "llamacpp").await;
        served(server, "/v1")
    };
    let (server, file, _) =
        record_then_replay(&Dir::new("models"), serve, builder_at, |c| async move {
            c.detect_server().await.unwrap()
        })
        .await;
    assert_eq!(server, instructor::Server::LlamaCpp);
    assert_eq!(file[0]["method"], "GET");
    assert_eq!(file[0]["endpoint"], "/models");
    assert!(file[0].get("request").is_none());
}

/// Records one extraction of `Jason is 20` to `dir`'s file, against a server dropped after.
async fn record_one(dir: &Dir) {
    let server = serving(vec![json_ok(content_reply(JASON, usage(1, 1)))]).await;
    let client = builder_at(&server.base())
        .cassette(Cassette::record(dir.file()).unwrap())
        .build()
        .unwrap();
    extract_user(client, 0).await.unwrap();
}

#[tokio::test]
async fn a_request_with_no_recorded_answer_names_it_and_how_to_re_record() {
    let dir = Dir::new("miss");
    record_one(&dir).await;

    let (b, saw) = watched(builder_at(&NothingListening::new().base()));
    let client = b
        .cassette(Cassette::replay(dir.file()).unwrap())
        .build()
        .unwrap();
    let err = client
        .extract::<UserDetails>()
        .user("Ada is 36")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Cassette, "{err:?}");
    let shown = err.to_string();
    assert!(shown.contains("POST /chat/completions"), "{shown}");
    assert!(
        shown.contains(
            r#"differs at `messages[0].content`: recorded "Jason is 20", sent "Ada is 36""#
        ),
        "where the request differs from the recorded one: {shown}"
    );
    assert!(shown.contains("INSTRUCTOR_CASSETTE=record"), "{shown}");
    assert!(shown.contains(&dir.file().display().to_string()), "{shown}");
    assert_eq!(
        saw.lock().unwrap().requests,
        [(1, 0)],
        "not retried: a miss is not a transport failure"
    );
}

#[tokio::test]
async fn the_file_holds_no_key_no_auth_header_and_no_header_of_the_user() {
    let dir = Dir::new("secrets");
    let cassette = Cassette::record(dir.file()).unwrap();
    let header_value = "tok-PRIVATE-77";
    // A server that echoes the key back in an error, then answers.
    let echo = json!({ "error": { "message": format!("bad key {KEY}") } });
    let chat = serving(vec![
        ResponseTemplate::new(500).set_body_json(echo),
        json_ok(content_reply(JASON, usage(1, 1))),
    ])
    .await;
    let reply = anthropic::tool_reply("toolu_01", json!({ "name": "Jason", "age": 20 }), (1, 1));
    let claude = serving_at(anthropic::PATH, &[], vec![json_ok(reply)]).await;
    let google = serving_at(
        gemini::PATH,
        &[],
        vec![json_ok(gemini::text_reply(JASON, 1, 1))],
    )
    .await;
    let clients = [
        builder_at(&chat.base()),
        anthropic::builder(&claude.uri()),
        gemini::builder(&format!("{}/v1beta", google.uri())),
    ];
    for b in clients {
        let client = b
            .header("x-team-token", header_value)
            .extra_body(json!({ "user": format!("key {KEY}") }))
            .cassette(cassette.clone())
            .build()
            .unwrap();
        extract_user(client, 0).await.unwrap();
    }
    let bytes = std::fs::read_to_string(dir.file()).unwrap();
    assert_eq!(bytes.lines().count(), 4, "{bytes}");
    assert!(
        bytes.contains("[REDACTED]"),
        "the echoed key, scrubbed: {bytes}"
    );
    for secret in [
        KEY,
        header_value,
        "x-team-token",
        "authorization",
        "Authorization",
        "Bearer",
        "x-api-key",
        "x-goog-api-key",
    ] {
        assert!(
            !bytes.contains(secret),
            "`{secret}` in the cassette: {bytes}"
        );
    }
}

#[tokio::test]
async fn a_corrupt_line_is_an_error_naming_the_file_and_the_line() {
    let dir = Dir::new("corrupt");
    record_one(&dir).await;
    let good = std::fs::read_to_string(dir.file()).unwrap();
    std::fs::write(dir.file(), format!("{good}{}\n", &good[..good.len() / 2])).unwrap();
    let err = Cassette::replay(dir.file()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Cassette);
    let shown = err.to_string();
    assert!(
        shown.contains(&format!("`{}` line 2:", dir.file().display())),
        "{shown}"
    );
    let missing = Cassette::replay(dir.0.join("none.jsonl"))
        .unwrap_err()
        .to_string();
    assert!(
        missing.contains("none.jsonl") && missing.contains("INSTRUCTOR_CASSETTE=record"),
        "{missing}"
    );
}

#[tokio::test]
async fn concurrent_extractions_record_whole_lines_and_replay() {
    let dir = Dir::new("concurrent");
    let names = ["Ada", "Bob", "Cy", "Di", "Ed", "Flo", "Gus", "Hal"];
    let server = wiremock::MockServer::start().await;
    crate::support::servers::mock::answer_always(
        &server,
        json_ok(content_reply(JASON, usage(1, 1))),
    )
    .await;
    let run = |client: Client| {
        futures_util::future::join_all(names.iter().map(move |n| {
            let client = client.clone();
            async move {
                client
                    .extract::<UserDetails>()
                    .user(format!("{n} is 20"))
                    .send()
                    .await
                    .unwrap()
            }
        }))
    };
    let recording = builder_at(&server.base())
        .cassette(Cassette::record(dir.file()).unwrap())
        .build()
        .unwrap();
    run(recording).await;
    let file = lines(&dir.file());
    assert_eq!(file.len(), names.len());
    drop(server);
    let replay = Cassette::replay(dir.file()).unwrap();
    let replaying = builder_at(&NothingListening::new().base())
        .cassette(replay.clone())
        .build()
        .unwrap();
    assert_eq!(run(replaying).await.len(), names.len());
    assert_eq!(replay.unplayed(), 0);
}

// The guide's type (`docs/testing.md`), spelled as it is there: its doc comment is in the
// schema the request carries.
/// A person mentioned in the text.
#[derive(Debug, serde::Deserialize, Instructor)]
struct Person {
    name: String,
    age: u8,
}

/// `docs/testing.md` replays `tests/cassettes/person.jsonl`: this test records what the
/// guide's code sends, against a server that answers as a model would, and checks the file
/// is the one committed, so the guide cannot drift from the code. With
/// `INSTRUCTOR_CASSETTE=record` it writes the committed file instead.
#[tokio::test]
async fn the_guide_s_cassette_is_what_its_code_records() {
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cassettes/person.jsonl");
    let dir = Dir::new("guide");
    let rerecord = std::env::var("INSTRUCTOR_CASSETTE").as_deref() == Ok("record");
    let target = if rerecord {
        committed.clone()
    } else {
        dir.file()
    };
    let reply = content_reply(r#"{"name":"Jason","age":20}"#, usage(64, 9));
    let server = serving(vec![json_ok(reply)]).await;
    let client = Client::builder()
        .base_url(server.base())
        .default_model("gpt-4o-mini")
        .cassette(Cassette::record(&target).unwrap())
        .build()
        .unwrap();
    let person: Person = client.extract().user("Jason is 20").await.unwrap();
    assert_eq!((person.name.as_str(), person.age), ("Jason", 20));
    let written = std::fs::read_to_string(&target).unwrap();
    assert_eq!(
        written,
        std::fs::read_to_string(&committed).unwrap(),
        "the guide's cassette is stale: INSTRUCTOR_CASSETTE=record cargo test --test it \
         cassette::the_guide"
    );
}
