//! The runner against a replay: a wiremock server on 127.0.0.1 answers each request with the
//! response the real model (gemma-3-270m on llama.cpp, see docs/evals.md) gave to the same
//! case, mode and attempt, recorded with `instructor-evals --record` into
//! `evals/replay/replay.json`. The runner's library entry point runs a few cases in two arms,
//! and the test checks the report: outcomes, attempts, and tokens, the token figures
//! recomputed here from the recorded responses themselves.
//!
//! A request is matched by what does not depend on how the SDK words its prompts: the mode
//! (read from the body's `response_format` / `tools`), the case (its text is the user message)
//! and the attempt (1 + the assistant messages already in the conversation); see the kit's
//! `servers::mock::Replay`.

use std::collections::HashMap;
use std::time::Duration;

use instructor_evals::{
    matrix, Arm, CaseFile, Event, Outcome, ReplayEntry, Runner, Settings, Target,
};
use instructor_testkit::servers::mock::MockServer;
use instructor_testkit::servers::mock::{answer_always, models, Replay, ReplayKey};

const REPLAY: &str = include_str!("../replay/replay.json");

fn entries() -> Vec<ReplayEntry> {
    serde_json::from_str(REPLAY).expect("evals/replay/replay.json is a list of replay entries")
}

/// The kit's replay server (wiremock) answering from `entries`, and the model list of
/// llama.cpp.
async fn replay_server(entries: &[ReplayEntry], file: &CaseFile) -> MockServer {
    let text_of: HashMap<&str, &str> = file
        .cases
        .iter()
        .map(|c| (c.id.as_str(), c.text.as_str()))
        .collect();
    let answers = entries
        .iter()
        .map(|e| {
            let text = text_of
                .get(e.case.as_str())
                .unwrap_or_else(|| panic!("replay entry for unknown case {}", e.case));
            let key = ReplayKey {
                user: text.to_string(),
                mode: e.mode.clone(),
                attempt: e.attempt,
            };
            (key, (e.status, e.body.clone()))
        })
        .collect();
    let server = MockServer::start().await;
    models(&server, "gemma-3-270m", "llamacpp").await;
    answer_always(&server, Replay(answers)).await;
    server
}

/// The total tokens the recorded responses of `case` in `mode` report, summed over attempts.
fn recorded_tokens(entries: &[ReplayEntry], case: &str, mode: &str) -> u64 {
    entries
        .iter()
        .filter(|e| e.case == case && e.mode == mode)
        .map(|e| {
            e.body["usage"]["total_tokens"]
                .as_u64()
                .expect("recorded usage")
        })
        .sum()
}

/// What the recorded answers are, case by case (read off `replay.json`): the outcome the
/// runner must report and how many requests the extraction made.
const EXPECTED: &[(&str, &str, Outcome, u32)] = &[
    // mode, case, outcome, attempts
    ("json_schema", "person_seed", Outcome::Pass, 1),
    ("json_schema", "people_two", Outcome::Wrong, 1),
    ("json_schema", "rule_upper_case_name", Outcome::Error, 3),
    ("json_schema", "rule_invoice_total", Outcome::Error, 1),
    ("json_schema", "sentiment_negative", Outcome::Pass, 1),
    ("tools", "person_seed", Outcome::Error, 1),
    ("tools", "people_two", Outcome::Error, 1),
    ("tools", "rule_upper_case_name", Outcome::Error, 1),
    ("tools", "rule_invoice_total", Outcome::Error, 1),
    ("tools", "sentiment_negative", Outcome::Error, 1),
];

#[tokio::test]
async fn the_runner_reports_a_recorded_run_exactly() {
    let file = CaseFile::builtin();
    let entries = entries();
    let server = replay_server(&entries, &file).await;
    let case_ids = [
        "person_seed",
        "people_two",
        "rule_upper_case_name",
        "rule_invoice_total",
        "sentiment_negative",
    ];
    let cases: Vec<_> = file
        .cases
        .iter()
        .filter(|c| case_ids.contains(&c.id.as_str()))
        .cloned()
        .collect();
    assert_eq!(cases.len(), case_ids.len());
    let arms: Vec<Arm> = matrix(
        Some(&[instructor::Mode::JsonSchema, instructor::Mode::Tools]),
        None,
    );

    let runner = Runner::connect(
        Target {
            base_url: format!("{}/v1", server.uri()),
            api_key: String::new(),
            model: "gemma-3-270m".into(),
            timeout: Duration::from_secs(30),
        },
        true,
    )
    .await
    .unwrap();
    assert_eq!(runner.server(), instructor::Server::LlamaCpp);

    let mut started = 0;
    let mut finished = Vec::new();
    let mut arms_finished: Vec<(String, usize, usize)> = Vec::new();
    let report = runner
        .run(
            &file.system,
            &cases,
            &arms,
            &Settings::default(),
            &mut |e| match e {
                Event::Started { index, total, .. } => {
                    assert_eq!((index, total), (started, 10));
                    started += 1;
                }
                Event::Finished(r) => finished.push(r.id.clone()),
                Event::ArmFinished { summary, results } => {
                    arms_finished.push((summary.mode.clone(), summary.passed, results.len()))
                }
            },
        )
        .await;
    assert_eq!(finished.len(), 10);
    assert_eq!(
        arms_finished,
        vec![
            ("json_schema".to_owned(), 2, 5),
            ("tools".to_owned(), 0, 10)
        ]
    );

    let result = |mode: &str, id: &str| {
        report
            .results
            .iter()
            .find(|r| r.mode == mode && r.id == id)
            .unwrap_or_else(|| panic!("no result for {mode} {id}"))
    };

    // Every case, as recorded.
    assert_eq!(report.results.len(), EXPECTED.len());
    for &(mode, id, outcome, attempts) in EXPECTED {
        let r = result(mode, id);
        assert_eq!(r.outcome, outcome, "{mode} {id}: {}", r.line());
        assert_eq!(r.attempts, attempts, "{mode} {id}: {}", r.line());
        assert_eq!(
            r.tokens.total,
            recorded_tokens(&entries, id, mode),
            "{mode} {id}: tokens of every attempt"
        );
        assert_ne!(
            r.error_kind.as_deref(),
            Some("api"),
            "{mode} {id}: the replay had no answer: {:?}",
            r.error
        );
        assert_eq!(
            r.repairs,
            Some(0),
            "{mode} {id}: the recorded replies are plain JSON, nothing was repaired"
        );
        match outcome {
            Outcome::Pass => assert_eq!(r.got.as_ref(), Some(&r.expected)),
            Outcome::Wrong => {
                assert!(r.got.is_some() && r.got.as_ref() != Some(&r.expected))
            }
            Outcome::Error => assert!(r.error.is_some()),
        }
    }

    // The re-asked case kept every attempt's reason, and the last reply.
    let upper = result("json_schema", "rule_upper_case_name");
    assert_eq!(upper.error_kind.as_deref(), Some("retries_exhausted"));
    assert_eq!(upper.attempt_errors.len(), 3);
    assert!(
        upper
            .attempt_errors
            .iter()
            .all(|e| e.contains("upper case")),
        "{:?}",
        upper.attempt_errors
    );
    let truncated = result("json_schema", "rule_invoice_total");
    assert_eq!(truncated.error_kind.as_deref(), Some("truncated"));

    // The arms' figures.
    let js = report
        .arm("json_schema", "plain")
        .expect("json_schema/plain ran");
    let js_tokens: u64 = case_ids
        .iter()
        .map(|c| recorded_tokens(&entries, c, "json_schema"))
        .sum();
    assert_eq!((js.cases, js.passed, js.wrong, js.errors), (5, 2, 1, 2));
    assert_eq!(js.exact_match_rate, 0.4);
    assert_eq!(js.mean_attempts, 7.0 / 5.0);
    assert_eq!(js.tokens.total, js_tokens);
    assert_eq!(js.tokens_per_right_answer, Some(js_tokens as f64 / 2.0));

    let tools = report.arm("tools", "plain").expect("tools/plain ran");
    let tools_tokens: u64 = case_ids
        .iter()
        .map(|c| recorded_tokens(&entries, c, "tools"))
        .sum();
    assert_eq!(
        (tools.cases, tools.passed, tools.wrong, tools.errors),
        (5, 0, 0, 5)
    );
    assert_eq!(tools.exact_match_rate, 0.0);
    assert_eq!(tools.tokens.total, tools_tokens);
    assert_eq!(tools.tokens_per_right_answer, None);
    assert!(tools_tokens > 0);

    // The tables name every arm, and the recording saw every response the replay gave.
    let table = report.figures_table();
    assert!(
        table.contains("| json_schema | plain | 2/5 (40%) | 1 | 2 | 1.40 |"),
        "{table}"
    );
    assert!(
        table.contains("| tools | plain | 0/5 (0%) | 0 | 5 | 1.00 | - |"),
        "{table}"
    );
    let recorded = runner.take_recording();
    assert_eq!(recorded.len(), 7 + 5);
}
