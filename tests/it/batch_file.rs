//! Batch files (`instructor::batch_file`): request lines in each provider's published format
//! whose bodies are byte for byte what a live request sends (captured by a wiremock server on
//! 127.0.0.1), result files of every documented line kind read back (out of order, cut off,
//! with duplicates and unknown ids, missing inputs), a re-ask round whose request is the
//! live re-ask's, a job resumed from its saved state, and no secret in any file written.
//!
//! Formats: OpenAI Batch API (`{"custom_id","method","url","body"}` in,
//! `{"id","custom_id","response":{"status_code","request_id","body"},"error"}` out; also
//! vLLM `run-batch`'s), Anthropic Message Batches (`{"requests":[{"custom_id","params"}]}`
//! in, `{"custom_id","result":{"type",..}}` out), Gemini batch mode (`{"key","request"}` in,
//! `{"key","response"|"error"}` out). See docs/batch.md.

use instructor::batch_file::{BatchJob, InputStatus, ProblemKind, RoundReport};
use instructor::{Client, Error, ErrorKind, Extract, Mode, Prompting};
use serde_json::{json, Value};
use wiremock::MockServer;

use crate::support::providers::{anthropic, gemini, responses, serving_at};
use crate::support::servers::mock::json_ok;
use crate::support::*;

const SYSTEM: &str = "You are a world class extractor";
const TEXTS: [(&str, &str); 3] = [
    ("row-1", "Jason is 20"),
    ("row-2", "Ada is 36"),
    ("row-3", "Grace, 45 years old"),
];

/// The body inside a request line: what follows `"{field}":` up to the line's last `}`.
fn inner<'a>(line: &'a str, field: &str) -> &'a str {
    let at = line.find(&format!(",\"{field}\":")).expect("the field") + field.len() + 4;
    line[at..].strip_suffix('}').expect("the envelope closes")
}

/// The bodies a live extraction of each text sends to `server` (one reply each), in order.
async fn live_bodies(
    server: &MockServer,
    texts: &[(&str, &str)],
    template: impl Fn() -> Extract<UserDetails>,
) -> Vec<Vec<u8>> {
    for (_, text) in texts {
        template().user(*text).send().await.unwrap();
    }
    server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.body)
        .collect()
}

fn job_of(template: Extract<UserDetails>, texts: &[(&str, &str)]) -> BatchJob<UserDetails> {
    let mut job = BatchJob::new(template).unwrap();
    for (id, text) in texts {
        job.add_user(*id, *text).unwrap();
    }
    job
}

/// A chat client of a port nothing listens on: a batch job's requests are written, not sent.
fn offline_client() -> Client {
    builder(&crate::support::servers::NothingListening::new())
        .build()
        .unwrap()
}

/// Reads the result `lines` (one file) into `job`.
async fn read_lines(job: &mut BatchJob<UserDetails>, lines: &[String]) -> RoundReport<UserDetails> {
    job.read_results(lines.join("\n").as_bytes()).await.unwrap()
}

fn written(job: &mut BatchJob<UserDetails>) -> String {
    let mut out = Vec::new();
    job.write_requests(&mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn openai_ok(id: &str, body: Value) -> String {
    json!({"id": format!("batch_req_{id}"), "custom_id": id,
           "response": {"status_code": 200, "request_id": format!("req_{id}"), "body": body},
           "error": null})
    .to_string()
}

#[tokio::test]
async fn openai_lines_follow_the_batch_format_and_carry_the_live_bodies_byte_for_byte() {
    let replies = (0..3).map(|_| json_ok(json!(completion(json!(JASON), "stop", usage(5, 5)))));
    let server = serving_at("/v1/chat/completions", &[], replies.collect()).await;
    let client = builder(&server)
        .prompting(Prompting::Compact)
        .build()
        .unwrap();
    let template = || {
        client
            .extract::<UserDetails>()
            .system(SYSTEM)
            .temperature(0.0)
    };
    let live = live_bodies(&server, &TEXTS, template).await;
    let mut job = job_of(template(), &TEXTS);
    let file = written(&mut job);
    let lines: Vec<&str> = file.lines().collect();
    assert_eq!(lines.len(), 3);
    for (i, line) in lines.iter().enumerate() {
        let v: Value = serde_json::from_str(line).unwrap();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["custom_id", "method", "url", "body"], "{line}");
        assert_eq!(v["custom_id"], TEXTS[i].0);
        assert_eq!(v["method"], "POST");
        assert_eq!(v["url"], "/v1/chat/completions");
        assert!(v["body"].is_object());
        assert!(v["body"].get("stream").is_none(), "streaming off");
        assert_eq!(inner(line, "body").as_bytes(), &live[i][..], "line {i}");
        let dry = template().user(TEXTS[i].1).dry_run().unwrap();
        assert_eq!(v["body"], dry);
        assert!(dry["messages"][0]["content"]
            .as_str()
            .unwrap()
            .contains("name"));
    }
    assert_eq!(job.endpoint(), Some("/v1/chat/completions"));
}

#[tokio::test]
async fn responses_lines_name_v1_responses_and_carry_the_live_body() {
    let reply = json_ok(responses::text_reply(JASON, responses::usage(5, 5)));
    let server = serving_at(responses::PATH, &[], vec![reply]).await;
    let client = responses::builder(&server).build().unwrap();
    let template = || client.extract::<UserDetails>().system(SYSTEM);
    let live = live_bodies(&server, &TEXTS[..1], template).await;
    let mut job = job_of(template(), &TEXTS[..1]);
    let file = written(&mut job);
    let v: Value = serde_json::from_str(file.trim()).unwrap();
    assert_eq!(v["url"], "/v1/responses");
    assert_eq!(inner(file.trim(), "body").as_bytes(), &live[0][..]);
}

#[tokio::test]
async fn anthropic_requests_are_one_document_of_custom_id_and_live_params() {
    let reply = json_ok(anthropic::tool_reply(
        "toolu_1",
        json!({"name": "Jason", "age": 20}),
        (5, 5),
    ));
    let server = serving_at(
        anthropic::PATH,
        &[],
        vec![reply.clone(), reply.clone(), reply],
    )
    .await;
    let client = anthropic::builder(&server.uri()).build().unwrap();
    let template = || client.extract::<UserDetails>().system(SYSTEM);
    let live = live_bodies(&server, &TEXTS, template).await;
    let mut job = job_of(template(), &TEXTS);
    let file = written(&mut job);
    let doc: Value = serde_json::from_str(&file).unwrap();
    let keys: Vec<&String> = doc.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["requests"]);
    let requests = doc["requests"].as_array().unwrap();
    assert_eq!(requests.len(), 3);
    let body = file
        .trim()
        .strip_prefix("{\"requests\":[")
        .unwrap()
        .strip_suffix("]}")
        .unwrap();
    for (i, (request, text)) in requests.iter().zip(body.split(",\n")).enumerate() {
        let keys: Vec<&String> = request.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["custom_id", "params"]);
        assert_eq!(request["custom_id"], TEXTS[i].0);
        assert_eq!(
            inner(text, "params").as_bytes(),
            &live[i][..],
            "request {i}"
        );
        assert_eq!(request["params"]["model"], "claude-test");
    }
    assert_eq!(job.endpoint(), None);
    // The custom_id rule, checked before anything is written, naming the id.
    for bad in ["row 1", "é", "", &"x".repeat(65)] {
        let e = job.add_user(bad, "Jason is 20").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config);
        assert!(e.to_string().contains(&format!("{bad:?}")), "{e}");
    }
    job.add_user("A-z_0".repeat(12) + "abcd", "Jason is 20")
        .unwrap();
}

#[tokio::test]
async fn gemini_lines_are_key_and_the_live_request() {
    let reply = json_ok(gemini::text_reply(JASON, 5, 5));
    let server = serving_at(gemini::PATH, &[], vec![reply]).await;
    let client = gemini::builder(&format!("{}/v1beta", server.uri()))
        .build()
        .unwrap();
    let template = || client.extract::<UserDetails>().system(SYSTEM);
    let live = live_bodies(&server, &TEXTS[..1], template).await;
    let mut job = job_of(template(), &TEXTS[..1]);
    let file = written(&mut job);
    let v: Value = serde_json::from_str(file.trim()).unwrap();
    let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["key", "request"]);
    assert_eq!(v["key"], "row-1");
    assert_eq!(inner(file.trim(), "request").as_bytes(), &live[0][..]);
}

#[test]
fn duplicate_ids_and_other_modes_are_refused() {
    let client = offline_client();
    let mut job = job_of(client.extract::<UserDetails>(), &TEXTS[..1]);
    let e = job.add_user("row-1", "again").unwrap_err();
    assert!(e.to_string().contains("\"row-1\" is already"), "{e}");
    let e = job
        .add("row-9", |r| r.user("x").mode(Mode::Tools))
        .unwrap_err();
    assert!(e.to_string().contains("mode"), "{e}");
    assert_eq!(job.len(), 1);
}

/// A job of the three texts on a chat client, its first request file written.
fn chat_job(max_retries: u32) -> BatchJob<UserDetails> {
    let client = offline_client();
    let mut job = job_of(
        client.extract::<UserDetails>().max_retries(max_retries),
        &TEXTS,
    );
    written(&mut job);
    job
}

#[tokio::test]
async fn openai_results_of_every_kind_out_of_order_with_problems_lose_no_input() {
    let client = offline_client();
    let ids = [
        "ok",
        "bad-request",
        "expired",
        "overloaded",
        "missing",
        "dup",
    ];
    let mut job = BatchJob::new(client.extract::<UserDetails>()).unwrap();
    for id in ids {
        job.add_user(id, "Jason is 20").unwrap();
    }
    written(&mut job);
    let error_body =
        json!({"error": {"message": "bad field", "type": "invalid_request_error", "code": null}});
    let output = [
        openai_ok("dup", completion(json!(JASON), "stop", usage(1, 1))),
        json!({"id": "b2", "custom_id": "bad-request",
               "response": {"status_code": 400, "request_id": "r2", "body": error_body},
               "error": null}).to_string(),
        String::new(),
        openai_ok("stranger", completion(json!(JASON), "stop", usage(1, 1))),
        openai_ok("ok", completion(json!(JASON), "stop", usage(10, 3))),
        openai_ok("dup", completion(json!(JASON), "stop", usage(1, 1))),
        json!({"id": "b4", "custom_id": "overloaded",
               "response": {"status_code": 503, "request_id": "r4", "body": {"error": {"message": "busy"}}},
               "error": null}).to_string(),
        r#"{"id":"b9","custom_id":"missing","response":{"status_code":200,"bo"#.to_owned(),
    ]
    .join("\n");
    let errors = json!({"id": "b3", "custom_id": "expired", "response": null,
        "error": {"code": "batch_expired", "message": "This request could not be executed before the completion window expired."}})
    .to_string();
    let report = job
        .read_result_files([output.as_bytes(), errors.as_bytes()])
        .await
        .unwrap();
    let settled: Vec<(&str, bool)> = report
        .settled
        .iter()
        .map(|(id, r)| (id.as_str(), r.is_ok()))
        .collect();
    assert_eq!(
        settled,
        [("dup", true), ("bad-request", false), ("ok", true)]
    );
    let (_, bad) = &report.settled[1];
    match bad.as_ref().unwrap_err() {
        Error::Api {
            status, message, ..
        } => assert_eq!((*status, message.as_str()), (400, "bad field")),
        other => panic!("{other:?}"),
    }
    assert_eq!(report.settled[2].1.as_ref().unwrap(), &jason());
    let resent: Vec<&str> = report.resent.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(resent, ["overloaded", "expired"]);
    assert!(report.resent[1].1.contains("batch_expired"));
    assert_eq!(report.missing, ["missing"]);
    let problems: Vec<(usize, u64, &ProblemKind)> = report
        .problems
        .iter()
        .map(|p| (p.file, p.line, &p.kind))
        .collect();
    assert_eq!(problems.len(), 3, "{:?}", report.problems);
    assert_eq!(problems[0], (0, 4, &ProblemKind::Unknown));
    assert_eq!(problems[1], (0, 6, &ProblemKind::Duplicate));
    assert_eq!((problems[2].0, problems[2].1), (0, 8));
    let shown = report.problems[2].to_string();
    assert!(
        shown.starts_with("file 0, line 8: the line is cut off"),
        "{shown}"
    );
    // Every input is somewhere: settled, resent or missing.
    assert_eq!(report.settled.len() + report.pending(), ids.len());
    assert_eq!((report.done, report.failed), (2, 1));
    assert_eq!(report.usage.prompt_tokens, 11);
    // The waiting ones are the next file; the settled ones are not.
    assert_eq!(job.pending(), 3);
    let next = written(&mut job);
    let next_ids: Vec<String> = next
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["custom_id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(next_ids, ["expired", "overloaded", "missing"]);
    assert_eq!(job.status("ok"), Some(InputStatus::Done { attempts: 1 }));
}

#[tokio::test]
async fn vllm_results_without_the_status_wrapper_are_read_too() {
    let mut job = chat_job(0);
    let body = completion(json!(JASON), "stop", usage(1, 1));
    let file: String = TEXTS
        .iter()
        .map(|(id, _)| {
            json!({"id": "vllm-1", "custom_id": id, "response": body}).to_string() + "\n"
        })
        .collect();
    let report = job.read_results(file.as_bytes()).await.unwrap();
    assert_eq!(report.done, 3);
    assert!(job.is_finished());
}

#[tokio::test]
async fn anthropic_results_of_every_type() {
    let server = crate::support::servers::NothingListening::new();
    let client = anthropic::builder(&server.base()).build().unwrap();
    let mut job = BatchJob::new(client.extract::<UserDetails>()).unwrap();
    for id in ["ok", "errored", "canceled", "expired"] {
        job.add_user(id, "Jason is 20").unwrap();
    }
    written(&mut job);
    let file = [
        json!({"custom_id": "expired", "result": {"type": "expired"}}),
        json!({"custom_id": "errored", "result": {"type": "errored",
            "error": {"type": "error", "error": {"type": "invalid_request_error", "message": "max_tokens: too large"}}}}),
        json!({"custom_id": "ok", "result": {"type": "succeeded",
            "message": anthropic::tool_reply("toolu_1", json!({"name": "Jason", "age": 20}), (7, 2))}}),
        json!({"custom_id": "canceled", "result": {"type": "canceled"}}),
    ]
    .map(|v| v.to_string())
    .join("\n");
    let report = job.read_results(file.as_bytes()).await.unwrap();
    assert_eq!(report.settled[1].0, "ok");
    assert_eq!(report.settled[1].1.as_ref().unwrap(), &jason());
    match report.settled[0].1.as_ref().unwrap_err() {
        Error::Api {
            status,
            message,
            kind,
            ..
        } => {
            assert_eq!((*status, message.as_str()), (400, "max_tokens: too large"));
            assert_eq!(kind.as_deref(), Some("invalid_request_error"));
        }
        other => panic!("{other:?}"),
    }
    let resent: Vec<(&str, &str)> = report
        .resent
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    assert_eq!(resent, [("expired", "expired"), ("canceled", "canceled")]);
    assert_eq!(report.usage.prompt_tokens, 7);
}

#[tokio::test]
async fn gemini_results_with_a_response_or_an_error() {
    let server = crate::support::servers::NothingListening::new();
    let client = gemini::builder(&server.base()).build().unwrap();
    let mut job = BatchJob::new(client.extract::<UserDetails>()).unwrap();
    for id in ["ok", "bad"] {
        job.add_user(id, "Jason is 20").unwrap();
    }
    written(&mut job);
    let file = [
        json!({"key": "bad", "error": {"code": 3, "message": "Request contains an invalid argument.", "status": "INVALID_ARGUMENT"}}),
        json!({"key": "ok", "response": gemini::text_reply(JASON, 4, 4)}),
    ]
    .map(|v| v.to_string())
    .join("\n");
    let report = job.read_results(file.as_bytes()).await.unwrap();
    assert_eq!(report.settled[1].1.as_ref().unwrap(), &jason());
    match report.settled[0].1.as_ref().unwrap_err() {
        Error::Api { status, kind, .. } => {
            assert_eq!((*status, kind.as_deref()), (400, Some("INVALID_ARGUMENT")))
        }
        other => panic!("{other:?}"),
    }
}

const INVALID: &str = r#"{"name": "Jason", "age": 200}"#;

#[tokio::test]
async fn a_rejected_answer_is_re_asked_with_the_live_re_ask_body() {
    // The live extraction: an invalid answer, then a valid one; the server keeps both bodies.
    let replies = vec![
        json_ok(completion(json!(INVALID), "stop", usage(10, 5))),
        json_ok(completion(json!(JASON), "stop", usage(20, 5))),
    ];
    let server = serving_at("/v1/chat/completions", &[], replies).await;
    let client = builder(&server).build().unwrap();
    let template = || {
        client
            .extract::<UserDetails>()
            .system(SYSTEM)
            .max_retries(1)
    };
    template().user(TEXTS[0].1).send().await.unwrap();
    let live = server.received_requests().await.unwrap();

    let mut job = job_of(template(), &TEXTS[..1]);
    let first = written(&mut job);
    assert_eq!(inner(first.trim(), "body").as_bytes(), &live[0].body[..]);
    let answer = openai_ok("row-1", completion(json!(INVALID), "stop", usage(10, 5)));
    let report = job.read_results(answer.as_bytes()).await.unwrap();
    assert_eq!(report.reasked, ["row-1"]);
    assert_eq!(
        job.status("row-1"),
        Some(InputStatus::Pending { attempts: 1 })
    );
    assert_eq!(job.round(), 2);
    let second = written(&mut job);
    assert_eq!(inner(second.trim(), "body").as_bytes(), &live[1].body[..]);

    // A second invalid answer exhausts the one re-ask, with both attempts' errors.
    let again = openai_ok("row-1", completion(json!(INVALID), "stop", usage(20, 5)));
    let report = job.read_results(again.as_bytes()).await.unwrap();
    match report.settled[0].1.as_ref().unwrap_err() {
        Error::RetriesExhausted {
            attempts,
            errors_per_attempt,
            usage,
            ..
        } => {
            assert_eq!((*attempts, errors_per_attempt.len()), (2, 2));
            assert_eq!(usage.prompt_tokens, 30);
        }
        other => panic!("{other:?}"),
    }
    assert!(job.is_finished());
    assert_eq!(written(&mut job), "");
}

#[tokio::test]
async fn a_spent_token_budget_ends_an_input_instead_of_a_re_ask_round_and_bills_the_answers() {
    let client = offline_client();
    let template = client
        .extract::<UserDetails>()
        .system(SYSTEM)
        .max_retries(3)
        .token_budget(20);
    let mut job = job_of(template, &TEXTS[..2]);
    written(&mut job);
    // Row 1's invalid answer spends 15 of 20 tokens: re-asked. Row 2's spends 25: the budget
    // is spent, so it fails with the budget error (its answer's errors inside), not re-asked.
    let results = [
        openai_ok("row-1", completion(json!(INVALID), "stop", usage(10, 5))),
        openai_ok("row-2", completion(json!(INVALID), "stop", usage(20, 5))),
    ];
    let report = read_lines(&mut job, &results).await;
    assert_eq!(report.reasked, ["row-1"]);
    let (id, result) = &report.settled[0];
    assert_eq!(id, "row-2");
    match result.as_ref().unwrap_err() {
        Error::BudgetExhausted {
            budget,
            spent,
            usage,
            last,
        } => {
            assert_eq!((*budget, *spent, usage.prompt_tokens), (20, 25, 20));
            assert!(
                matches!(
                    last.as_deref(),
                    Some(Error::RetriesExhausted { attempts: 1, .. })
                ),
                "{last:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    // Both answers are on the client's bill.
    assert_eq!(client.usage().usage().prompt_tokens, 30);
    assert_eq!(job.pending(), 1);
}

#[tokio::test]
async fn a_job_resumes_from_its_saved_state_and_keeps_earlier_values() {
    let dir = std::env::temp_dir().join(format!("instructor-batch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let state = dir.join("job.state.jsonl");
    let client = offline_client();
    let template = || {
        client
            .extract::<UserDetails>()
            .system(SYSTEM)
            .max_retries(2)
    };
    let mut job = job_of(template(), &TEXTS);
    written(&mut job);
    let results = [
        openai_ok("row-1", completion(json!(JASON), "stop", usage(10, 5))),
        openai_ok("row-2", completion(json!(INVALID), "stop", usage(10, 5))),
    ];
    let report = read_lines(&mut job, &results).await;
    assert_eq!(
        (report.done, report.reasked.len(), report.missing.len()),
        (1, 1, 1)
    );
    job.save_to(&state).unwrap();
    let saved = std::fs::read_to_string(&state).unwrap();
    assert!(!saved.contains(KEY), "{saved}");

    // Another process: the same template, the state file.
    let mut resumed = BatchJob::load_from(template(), &state).unwrap();
    assert_eq!(resumed.round(), 2);
    assert_eq!(resumed.usage(), job.usage());
    assert_eq!(written(&mut resumed), written(&mut job));
    let earlier: Vec<(&str, UserDetails)> =
        resumed.results().map(|(id, r)| (id, r.unwrap())).collect();
    assert_eq!(earlier, [("row-1", jason())]);
    let results = [
        openai_ok(
            "row-3",
            completion(
                json!(r#"{"name": "Grace", "age": 45}"#),
                "stop",
                usage(10, 5),
            ),
        ),
        openai_ok(
            "row-2",
            completion(json!(r#"{"name": "Ada", "age": 36}"#), "stop", usage(30, 5)),
        ),
    ]
    .join("\n");
    let file = dir.join("results.jsonl");
    std::fs::write(&file, results).unwrap();
    let report = resumed.read_results_from([&file]).await.unwrap();
    assert_eq!(report.done, 2, "{report:?}");
    assert!(resumed.is_finished());
    assert_eq!(
        resumed.status("row-2"),
        Some(InputStatus::Done { attempts: 2 })
    );
    assert_eq!(resumed.usage().prompt_tokens, 60);
    // A state of another extraction is refused.
    let other = client.extract::<UserDetails>().mode(Mode::Tools);
    let e = BatchJob::load_from(other, &state).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BatchFile);
    assert!(e.to_string().contains("another extraction"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_state_file_cut_mid_line_or_corrupted_is_an_error_naming_the_line() {
    let client = offline_client();
    let template = || client.extract::<UserDetails>().system(SYSTEM);
    let mut job = job_of(template(), &TEXTS);
    written(&mut job);
    let mut saved = Vec::new();
    job.save(&mut saved).unwrap();
    let saved = String::from_utf8(saved).unwrap();
    let lines: Vec<&str> = saved.lines().collect();
    assert_eq!(lines.len(), 1 + TEXTS.len(), "{saved}");
    // The last input's line cut in half, as a crash while writing would leave it.
    let last = lines[lines.len() - 1];
    let cut = format!(
        "{}\n{}",
        lines[..lines.len() - 1].join("\n"),
        &last[..last.len() / 2]
    );
    let e = BatchJob::load(template(), cut.as_bytes()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BatchFile);
    assert!(
        e.to_string().contains(&format!("line {}", lines.len())),
        "{e}"
    );
    // A line that is not JSON at all.
    let garbage = saved.replacen(lines[1], "\u{0}garbage", 1);
    let e = BatchJob::load(template(), garbage.as_bytes()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BatchFile);
    assert!(e.to_string().contains("line 2"), "{e}");
}

#[tokio::test]
async fn a_failed_input_comes_back_from_the_state_with_its_error() {
    let mut job = chat_job(0);
    let results = openai_ok("row-1", completion(json!(INVALID), "stop", usage(1, 1)));
    job.read_results(results.as_bytes()).await.unwrap();
    job.give_up("no answer after 1 round");
    let mut state = Vec::new();
    job.save(&mut state).unwrap();
    let client = offline_client();
    let resumed = BatchJob::load(client.extract::<UserDetails>(), &state[..]).unwrap();
    let all: Vec<(&str, Error)> = resumed
        .results()
        .map(|(id, r)| (id, r.unwrap_err()))
        .collect();
    assert_eq!(all.len(), 3);
    assert!(
        matches!(&all[0].1, Error::BatchInput { code: Some(c), .. } if &**c == "retries_exhausted")
    );
    assert!(all[0].1.to_string().contains("age"), "{}", all[0].1);
    assert!(all[2].1.to_string().contains("no answer after 1 round"));
}

#[test]
fn no_file_written_holds_the_key_or_an_auth_header() {
    let server = crate::support::servers::NothingListening::new();
    let clients = [
        builder(&server).build().unwrap(),
        anthropic::builder(&server.base()).build().unwrap(),
        gemini::builder(&server.base()).build().unwrap(),
        responses::builder(&server).build().unwrap(),
    ];
    for client in clients {
        let mut job = job_of(client.extract::<UserDetails>().system(SYSTEM), &TEXTS);
        let mut files = written(&mut job);
        let mut state = Vec::new();
        job.save(&mut state).unwrap();
        files.push_str(&String::from_utf8(state).unwrap());
        let lower = files.to_ascii_lowercase();
        assert!(!files.contains(KEY), "{files}");
        for header in [
            "authorization",
            "bearer",
            "x-api-key",
            "x-goog-api-key",
            "api_key",
        ] {
            assert!(!lower.contains(header), "{header} in {files}");
        }
    }
}

#[tokio::test]
async fn a_malformed_line_names_its_number_and_the_input_stays_waiting() {
    let mut job = chat_job(0);
    let file = "not json at all\n\u{0}\n{\"custom_id\":\"row-1\"}\n{\"custom_id\":\"row-2\",\"response\":{\"status_code\":200,\"body\":{\"choices\":7}}}\n";
    let report = job.read_results(file.as_bytes()).await.unwrap();
    let lines: Vec<u64> = report.problems.iter().map(|p| p.line).collect();
    assert_eq!(lines, [1, 2, 3], "{:?}", report.problems);
    assert!(report
        .problems
        .iter()
        .all(|p| matches!(p.kind, ProblemKind::Malformed(_))));
    // A body that is not a reply is the input's error, as a live one would be.
    assert_eq!(
        report.settled[0].1.as_ref().unwrap_err().kind(),
        ErrorKind::Decode
    );
    assert_eq!(report.missing, ["row-1", "row-3"]);
}

#[tokio::test]
async fn worked_examples_and_the_schema_prompt_travel_in_the_line_as_live() {
    let reply = json_ok(tool_reply("Neighbour", JASON, usage(5, 5)));
    let server = serving_at("/v1/chat/completions", &[], vec![reply]).await;
    let client = builder(&server).build().unwrap();
    let template = || {
        client
            .extract::<Neighbour>()
            .system(SYSTEM)
            .mode(Mode::Tools)
            .prompting(Prompting::Examples)
    };
    template().user(TEXTS[0].1).send().await.unwrap();
    let live = server.received_requests().await.unwrap();
    let mut job = BatchJob::new(template()).unwrap();
    job.add_user(TEXTS[0].0, TEXTS[0].1).unwrap();
    let mut out = Vec::new();
    job.write_requests(&mut out).unwrap();
    let line = String::from_utf8(out).unwrap();
    assert_eq!(inner(line.trim(), "body").as_bytes(), &live[0].body[..]);
    let body: Value = serde_json::from_str(inner(line.trim(), "body")).unwrap();
    assert!(
        body["messages"].to_string().contains("Carlos Mendes"),
        "{body}"
    );
    assert_eq!(body["tool_choice"]["function"]["name"], "Neighbour");
}
