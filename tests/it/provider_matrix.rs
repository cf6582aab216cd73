//! The feature matrix of docs/providers.md, proven per dialect (Anthropic, Gemini, OpenAI
//! Responses) against real HTTP servers on 127.0.0.1: each feature either works (the value
//! comes back from the dialect's own reply shape) or fails before any request with an
//! `Error::Config` naming the provider and what to use instead.
//!
//! Rows: every `Mode`; a bare type (a list, wrapped as `{"value": ..}`), `Maybe<T>`, a
//! grounded `Quote`, parallel tools; `stream_partial` and `stream_iter` over the dialect's
//! events; images, PDFs and audio; `extract_many`; the request and response hooks; the
//! `gen_ai.system` of the extraction's span.

use std::sync::{Arc, Mutex};

use instructor::input::AudioFormat;
use instructor::{Audio, Error, Image, Instructor, Maybe, Message, Mode, Pdf, Quote, StreamExt};
use serde::Deserialize;
use serde_json::{json, Value};
use wiremock::MockServer;

use crate::support::providers::{drained, Dialect};
use crate::support::servers::mock::{bodies, json_ok, sse_ok};
use crate::support::trace::Recorder;
use crate::support::{jason, UserDetails, JASON};

const USER: &str = "Jason is 20";
const ANN: &str = r#"{"name": "Ann", "age": 30}"#;

/// A person, and the words of the text that name them (checked against the text).
#[derive(Debug, Deserialize, Instructor)]
struct Said {
    name: String,
    quote: Quote,
}

/// Parallel tools: each call one person.
#[derive(Debug, PartialEq, Deserialize, Instructor)]
#[instructor(tools)]
enum Found {
    /// A person named in the text.
    Person(UserDetails),
}

/// `ask` ends in `Error::Config` naming the dialect, and the server saw no request.
async fn assert_refused<T: std::fmt::Debug>(
    dialect: Dialect,
    server: &MockServer,
    result: Result<T, Error>,
    what: &str,
) -> String {
    let why = match result {
        Err(Error::Config(why)) => why,
        other => panic!("{dialect:?} {what}: {other:?}"),
    };
    assert!(why.contains(dialect.name()), "{dialect:?} {what}: {why}");
    assert!(bodies(server).await.is_empty(), "{dialect:?} {what}");
    why
}

#[tokio::test]
async fn every_mode_extracts_or_is_refused_before_any_request() {
    for dialect in Dialect::ALL {
        for mode in [
            Mode::JsonSchema,
            Mode::JsonSchemaStrict,
            Mode::Tools,
            Mode::Json,
            Mode::MdJson,
            Mode::JsonObjectSchema,
        ] {
            let reply = match mode {
                Mode::Tools => dialect.calls_reply(&[("UserDetails", JASON)]),
                Mode::MdJson => dialect.text_reply(&format!("```json\n{JASON}\n```")),
                _ => dialect.text_reply(JASON),
            };
            let refused = mode == Mode::JsonObjectSchema;
            let replies = if refused {
                vec![]
            } else {
                vec![json_ok(reply)]
            };
            let server = dialect.serve(replies).await;
            let ask = dialect
                .extract::<UserDetails>(&server, mode)
                .user(USER)
                .send()
                .await;
            if refused {
                let why = assert_refused(dialect, &server, ask, "JsonObjectSchema").await;
                assert!(why.contains("Mode::JsonSchema"), "{dialect:?}: {why}");
            } else {
                assert_eq!(ask.unwrap(), jason(), "{dialect:?} {mode:?}");
            }
        }
    }
}

#[tokio::test]
async fn bare_types_maybe_quotes_and_parallel_tools_work_on_each_dialect() {
    for dialect in Dialect::ALL {
        // A bare list, asked for as `{"value": [..]}`.
        let server = dialect
            .serve(vec![json_ok(
                dialect.text_reply(r#"{"value": ["a", "b"]}"#),
            )])
            .await;
        let list = dialect
            .extract::<Vec<String>>(&server, Mode::JsonSchema)
            .user("a and b")
            .await
            .unwrap();
        assert_eq!(list, ["a", "b"], "{dialect:?}");

        // Maybe<T>, in tools mode.
        let maybe = format!(r#"{{"result": {JASON}, "error": false, "message": null}}"#);
        let server = dialect
            .serve(vec![json_ok(
                dialect.calls_reply(&[("MaybeUserDetails", &maybe)]),
            )])
            .await;
        let found = dialect
            .extract::<Maybe<UserDetails>>(&server, Mode::Tools)
            .user(USER)
            .await
            .unwrap();
        assert_eq!(found.into_option(), Some(jason()), "{dialect:?}");

        // A quote, checked against the user's text.
        let said = r#"{"name": "Jason", "quote": "Jason is 20"}"#;
        let server = dialect.serve(vec![json_ok(dialect.text_reply(said))]).await;
        let said = dialect
            .extract::<Said>(&server, Mode::JsonSchema)
            .user(USER)
            .await
            .unwrap();
        assert_eq!(
            (said.name.as_str(), said.quote.as_str()),
            ("Jason", USER),
            "{dialect:?}"
        );

        // Parallel tools: one call per person.
        let server = dialect
            .serve(vec![json_ok(
                dialect.calls_reply(&[("Person", JASON), ("Person", ANN)]),
            )])
            .await;
        let found = dialect
            .client(&server)
            .tool_calls::<Found>()
            .user("Jason is 20, Ann is 30")
            .await
            .unwrap();
        assert_eq!(found.len(), 2, "{dialect:?}");
        assert_eq!(found[0], Found::Person(jason()), "{dialect:?}");
    }
}

#[tokio::test]
async fn stream_partial_and_stream_iter_read_each_dialect_s_events() {
    for dialect in Dialect::ALL {
        let server = dialect
            .serve_streams(vec![sse_ok(dialect.text_stream(JASON))])
            .await;
        let stream = dialect
            .extract::<UserDetails>(&server, Mode::JsonSchema)
            .user(USER)
            .stream_partial();
        // The body arrives at once: the snapshots coalesce (each dialect's own test splits
        // its stream at every byte).
        let (partials, user, extraction) = drained(stream).await;
        assert!(!partials.is_empty(), "{dialect:?}");
        assert_eq!(user, jason(), "{dialect:?}");
        assert_eq!(extraction.usage.total_tokens, 15, "{dialect:?}");
        assert_eq!(
            bodies(&server).await[0]["stream"],
            stream_flag(dialect),
            "{dialect:?}"
        );

        let list = format!(r#"{{"items": [{JASON}, {ANN}]}}"#);
        let server = dialect
            .serve_streams(vec![sse_ok(dialect.text_stream(&list))])
            .await;
        let items: Vec<UserDetails> = dialect
            .extract::<UserDetails>(&server, Mode::JsonSchema)
            .user("Jason is 20, Ann is 30")
            .stream_iter()
            .map(Result::unwrap)
            .collect()
            .await;
        assert_eq!(items.len(), 2, "{dialect:?}");
        assert_eq!(items[1].name, "Ann", "{dialect:?}");
    }
}

/// What a streamed request's body says about streaming: `"stream": true`, except Gemini's,
/// which streams by its path (`:streamGenerateContent?alt=sse`) and sends no such field.
fn stream_flag(dialect: Dialect) -> Value {
    match dialect {
        Dialect::Gemini => Value::Null,
        _ => json!(true),
    }
}

#[tokio::test]
async fn images_and_pdfs_go_everywhere_and_audio_only_to_gemini() {
    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n";
    const PDF: &[u8] = b"%PDF-1.7\n";
    const WAV: &[u8] = b"RIFF\x24\0\0\0WAVEfmt ";
    for dialect in Dialect::ALL {
        let image = Image::from_bytes(PNG, "image/png").unwrap();
        let pdf = Pdf::from_bytes(PDF).unwrap();
        let server = dialect
            .serve(vec![json_ok(dialect.text_reply(JASON))])
            .await;
        let user = dialect
            .extract::<UserDetails>(&server, Mode::JsonSchema)
            .message(Message::user_parts((USER, image, pdf)))
            .await
            .unwrap();
        assert_eq!(user, jason(), "{dialect:?}");
        let sent = bodies(&server).await[0].to_string();
        // The base64 of each, in the dialect's own block or part.
        for (data, block) in [("iVBORw0KGgo=", "image"), ("JVBERi0xLjcK", "pdf")] {
            assert!(sent.contains(data), "{dialect:?} {block}: {sent}");
        }

        let audio = Audio::from_bytes(WAV, AudioFormat::Wav).unwrap();
        let ask = |server: &MockServer| {
            dialect
                .extract::<UserDetails>(server, Mode::JsonSchema)
                .message(Message::user_parts((USER, audio.clone())))
        };
        if dialect == Dialect::Gemini {
            let server = dialect
                .serve(vec![json_ok(dialect.text_reply(JASON))])
                .await;
            assert_eq!(ask(&server).await.unwrap(), jason());
            let sent = &bodies(&server).await[0];
            assert_eq!(
                sent["contents"][0]["parts"][1]["inlineData"]["mimeType"],
                "audio/wav"
            );
        } else {
            let server = dialect.serve(vec![]).await;
            let why = assert_refused(dialect, &server, ask(&server).await, "audio").await;
            assert!(why.contains("audio"), "{dialect:?}: {why}");
        }
    }
}

#[tokio::test]
async fn extract_many_hooks_and_the_span_s_gen_ai_system_on_each_dialect() {
    let (recorder, _guard) = Recorder::scoped();
    for (dialect, system) in [
        (Dialect::Anthropic, "anthropic"),
        (Dialect::Gemini, "gcp.gemini"),
        (Dialect::Responses, "openai"),
    ] {
        let replies = vec![
            json_ok(dialect.text_reply(JASON)),
            json_ok(dialect.text_reply(ANN)),
        ];
        let server = dialect.serve(replies).await;
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (requests, responses) = (seen.clone(), seen.clone());
        let client = dialect
            .builder(&server)
            .default_mode(Mode::JsonSchema)
            .on_request(move |e| requests.lock().unwrap().push(format!("request {}", e.url)))
            .on_response(move |e| {
                responses
                    .lock()
                    .unwrap()
                    .push(format!("response {}", e.status))
            })
            .build()
            .unwrap();
        let mut results = client
            .extract_many::<UserDetails, _>(["Jason is 20", "Ann is 30"])
            .concurrency(1)
            .run()
            .await;
        results.sort_by_key(|(i, _)| *i);
        let names: Vec<String> = results.into_iter().map(|(_, r)| r.unwrap().name).collect();
        assert_eq!(names, ["Jason", "Ann"], "{dialect:?}");
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 4, "{dialect:?}: {seen:?}");
        assert!(
            seen[0].starts_with(&format!("request {}", server.uri())),
            "{seen:?}"
        );
        assert_eq!(seen[1], "response 200", "{dialect:?}");

        let extract = recorder
            .spans()
            .into_iter()
            .rfind(|(name, _)| name == "instructor.extract")
            .unwrap();
        assert_eq!(
            extract.1["gen_ai.system"],
            format!("{system:?}"),
            "{dialect:?}"
        );
    }
}
