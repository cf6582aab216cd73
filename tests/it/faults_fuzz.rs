//! Fuzzing the reply path (issue 7) with proptest: arbitrary bytes as the HTTP body of a chat
//! completion, and arbitrary strings as the message content or the tool-call arguments,
//! through the real client (every mode) against the local fault server; and the pure
//! parsing functions the crate exposes (`extract_json`, `ChatCompletion`'s `Deserialize`).
//! The incremental JSON parser is fuzzed by `instructor-core/tests/partial_json_props.rs`.
//!
//! Properties: no panic, no unbounded work, and the failure is of the right kind (a body that
//! is not a completion is never re-asked; a content problem is always re-asked).
//!
//! Cases per property: `FAULTS_FUZZ_CASES` (default 128), e.g.
//! `FAULTS_FUZZ_CASES=20000 cargo test --release --test it faults_fuzz -- --nocapture`.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use instructor::__private::extract_json;
use instructor::wire::ChatCompletion;
use instructor::{AttemptError, Client, Error, Mode};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{json, Value};

use crate::support::servers::fault::{Fault, FaultServer};
use crate::support::*;

fn cases() -> u32 {
    std::env::var("FAULTS_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(128)
}

/// A runner of `n` cases that keeps no failure file.
fn runner_of(n: u32) -> TestRunner {
    TestRunner::new(Config {
        cases: n,
        failure_persistence: None,
        ..Config::default()
    })
}

fn runner() -> TestRunner {
    runner_of(cases())
}

fn report(name: &str, runs: u32, started: Instant) {
    eprintln!(
        "fuzz {name}: {runs} cases in {:.2?} ({:.0}/s)",
        started.elapsed(),
        runs as f64 / started.elapsed().as_secs_f64()
    );
}

/// Text rich in what parsers trip on: brackets, quotes, escapes, fences, newlines, non-ASCII.
fn tricky_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[{}\\[\\]\":,a-z0-9 \\\\`\n\t.e+-]{0,300}",
        "(```(json|JSON|rust)?\n)?[{}\\[\\]\":,a-z0-9 \\\\`\né€😀]{0,200}(\n```)?",
        // Small edits of a valid answer.
        (0usize..40, "[{}\\[\\]\":,0-9a\\\\]{0,3}").prop_map(|(at, ins)| {
            let mut s = JASON.to_owned();
            let at = at.min(s.len());
            s.insert_str(at, &ins);
            s
        }),
        // Valid JSON of any shape.
        json_value().prop_map(|v| v.to_string()),
        json_value().prop_map(|v| format!("Sure! Here it is:\n```json\n{v}\n```\nAnything else?")),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "[a-zA-Z0-9 \"{}\\\\]{0,12}".prop_map(Value::from),
        Just(json!("Jason")),
        (0u64..300).prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::from),
            prop::collection::vec(
                (
                    prop_oneof![
                        Just("name".to_owned()),
                        Just("age".to_owned()),
                        "[a-z]{1,6}"
                    ],
                    inner
                ),
                0..5
            )
            .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

// ---------------------------------------------------------------------------------------
// Pure functions.

#[test]
fn extract_json_returns_a_json_slice_of_its_input_or_nothing() {
    let started = Instant::now();
    let n = cases() * 20;
    let mut runner = runner_of(n);
    runner
        .run(&tricky_text(), |text| {
            if let Some(found) = extract_json(&text) {
                prop_assert!(text.contains(found));
                // A fence's body is returned as it is (so the parse error points at it);
                // anything else found is JSON.
                prop_assert!(
                    text.contains("```") || serde_json::from_str::<Value>(found).is_ok(),
                    "{found:?}"
                );
            }
            Ok(())
        })
        .unwrap();
    report("extract_json", n, started);
}

#[test]
fn extract_json_is_linear_on_unclosed_brackets() {
    // Each of these took quadratic time before the search was bounded (40k `{"a":` took 6 s
    // in release); 4 MiB of them now take milliseconds.
    let size = 4 << 20;
    for unit in ["{", "{\"a\":", "[", "[[{\"", "{\"s\": \"}\\\"", "```\n{"] {
        let text = unit.repeat(size / unit.len());
        let started = Instant::now();
        let _ = extract_json(&text);
        eprintln!(
            "extract_json on {} x {unit:?}: {:.2?}",
            text.len(),
            started.elapsed()
        );
    }
    // A valid object after a short unclosed prefix is still found.
    assert_eq!(
        extract_json("use {name and {\"a\": 1} please"),
        Some("{\"a\": 1}")
    );
}

#[test]
fn chat_completion_deserialize_never_panics() {
    let started = Instant::now();
    let n = cases() * 20;
    let mut runner = runner_of(n);
    let bodies = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..400),
        json_value().prop_map(|v| v.to_string().into_bytes()),
        (json_value(), json_value(), json_value()).prop_map(|(content, calls, finish)| {
            json!({
                "choices": [{ "message": { "content": content, "tool_calls": calls }, "finish_reason": finish }],
                "usage": { "prompt_tokens": 1 }
            })
            .to_string()
            .into_bytes()
        }),
    ];
    runner
        .run(&bodies, |body| {
            let _ = serde_json::from_slice::<ChatCompletion>(&body);
            Ok(())
        })
        .unwrap();
    report("ChatCompletion", n, started);
}

// ---------------------------------------------------------------------------------------
// Through the client: one server, whose next reply is set per case.

struct Rig {
    rt: tokio::runtime::Runtime,
    _server: FaultServer,
    next: Arc<Mutex<Vec<u8>>>,
    client: Client,
}

fn rig() -> Rig {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let next = Arc::new(Mutex::new(Vec::new()));
    let n = next.clone();
    let server = rt.block_on(FaultServer::start_with(
        move |_, _| Fault::bytes(200, n.lock().unwrap().clone()),
        false,
    ));
    let client = builder(&server)
        .no_transport_retries()
        .max_response_bytes(1 << 20)
        .build()
        .unwrap();
    Rig {
        rt,
        _server: server,
        next,
        client,
    }
}

impl Rig {
    fn run(&self, body: Vec<u8>, mode: Mode) -> Result<UserDetails, Error> {
        *self.next.lock().unwrap() = body;
        self.rt.block_on(
            self.client
                .extract::<UserDetails>()
                .user("Jason is 20")
                .mode(mode)
                .send(),
        )
    }
}

/// What a 2xx body may end in: a value or an error about the body or the answer, never a
/// transport, status or configuration error.
fn body_outcome_ok(r: &Result<UserDetails, Error>) -> bool {
    matches!(
        r,
        Ok(_)
            | Err(Error::Decode { .. }
                | Error::EmptyChoices { .. }
                | Error::Truncated { .. }
                | Error::ContentFilter { .. }
                | Error::Refusal { .. }
                | Error::RetriesExhausted { .. })
    )
}

#[test]
fn arbitrary_bodies_through_the_client_in_every_mode() {
    let rig = rig();
    let bodies = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..600),
        tricky_text().prop_map(String::into_bytes),
        json_value().prop_map(|v| json!({ "choices": [{ "message": v }] })
            .to_string()
            .into_bytes()),
        json_value().prop_map(|v| json!({ "choices": v, "usage": v }).to_string().into_bytes()),
    ];
    for mode in Mode::ALL {
        let started = Instant::now();
        runner()
            .run(&bodies, |body| {
                let r = rig.run(body.clone(), mode);
                prop_assert!(body_outcome_ok(&r), "{mode}: {r:?}");
                Ok(())
            })
            .unwrap();
        report(&format!("body/{mode}"), cases(), started);
    }
}

#[test]
fn arbitrary_content_and_arguments_are_a_value_or_a_re_askable_error() {
    let rig = rig();
    for mode in Mode::ALL {
        let started = Instant::now();
        runner()
            .run(&tricky_text(), |text| {
                let body = if mode == Mode::Tools {
                    tool_calls_reply(tool_call("UserDetails", json!(text)), usage(1, 1))
                } else {
                    content_reply(&text, usage(1, 1))
                };
                let r = rig.run(serde_json::to_vec(&body).unwrap(), mode);
                match &r {
                    Ok(u) => prop_assert!(u.age <= 120 && !u.name.is_empty(), "{u:?}"),
                    Err(Error::RetriesExhausted {
                        attempts: 1,
                        errors_per_attempt,
                        usage,
                        ..
                    }) => {
                        prop_assert_eq!(usage.total_tokens, 2);
                        prop_assert!(matches!(
                            errors_per_attempt.as_slice(),
                            [AttemptError::Parse(_)
                                | AttemptError::Validation(_)
                                | AttemptError::EmptyContent]
                        ));
                    }
                    other => prop_assert!(false, "{mode} {text:?}: {other:?}"),
                }
                Ok(())
            })
            .unwrap();
        report(&format!("content/{mode}"), cases(), started);
    }
}
