//! Batch files against the real model: a job written as an OpenAI batch request file, run by
//! `scripts/run-batch` (what `vllm run-batch` does, here against llama.cpp's
//! `/v1/chat/completions`), read back into `UserDetails` values; then a second round with the
//! re-asks, forced by a validator that rejects each name the first time it sees it.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use instructor::batch_file::BatchJob;

use super::*;

const INPUTS: [(&str, &str); 3] = [
    ("jason", r#"Extract the following entities: "Jason is 20""#),
    ("ada", r#"Extract the following entities: "Ada is 36""#),
    ("grace", r#"Extract the following entities: "Grace is 45""#),
];

/// Runs `scripts/run-batch` on `requests`, writing `results`, against `base`.
fn run_batch(base: &str, requests: &Path, results: &Path) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/run-batch");
    let status = Command::new("python3")
        .arg(script)
        .arg("-i")
        .arg(requests)
        .arg("-o")
        .arg(results)
        .arg("--base-url")
        .arg(base)
        .arg("--api-key-env")
        .arg("INSTRUCTOR_E2E_API_KEY")
        .status()
        .expect("python3 runs");
    assert!(status.success(), "run-batch failed: {status}");
}

fn open(path: &Path) -> std::io::BufReader<std::fs::File> {
    std::io::BufReader::new(std::fs::File::open(path).unwrap())
}

#[tokio::test]
async fn a_batch_file_runs_through_run_batch_and_reads_back_with_a_re_ask_round() {
    let client =
        client_or_skip!("a_batch_file_runs_through_run_batch_and_reads_back_with_a_re_ask_round");
    let base = std::env::var("INSTRUCTOR_E2E_BASE_URL").unwrap();
    let dir: PathBuf =
        std::env::temp_dir().join(format!("instructor-e2e-batch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (requests, results, state) = (
        dir.join("requests.jsonl"),
        dir.join("results.jsonl"),
        dir.join("job.jsonl"),
    );

    // Each name is rejected once ("check it"), so every input needs a second round.
    let seen = Arc::new(Mutex::new(HashSet::new()));
    let template = || {
        let seen = seen.clone();
        with_e2e_defaults(client.extract::<UserDetails>().system(SYSTEM))
            .max_retries(2)
            .validator(move |user: &UserDetails| {
                let first = seen.lock().unwrap().insert(user.name.clone());
                async move {
                    if first {
                        Err("check that this is the name the text gives; answer with the same JSON if it is".to_owned())
                    } else {
                        Ok(())
                    }
                }
            })
    };
    let mut job = BatchJob::new(template()).unwrap();
    for (id, text) in INPUTS {
        job.add_user(id, text).unwrap();
    }
    let started = Instant::now();
    let mut values = Vec::new();
    let (mut rounds, mut reasked, mut resumed) = (0, Vec::<String>::new(), false);
    while !job.is_finished() && job.round() <= 4 {
        rounds += 1;
        let written = job.write_requests_to(&requests).unwrap();
        job.save_to(&state).unwrap();
        eprintln!("E2E batch round {}: {written} request(s)", job.round());
        if let Some(id) = reasked.first() {
            // The re-ask turns travel in the file: the model's answer, then the errors.
            let text = std::fs::read_to_string(&requests).unwrap();
            let line: Value = text
                .lines()
                .map(|l| serde_json::from_str::<Value>(l).unwrap())
                .find(|l| l["custom_id"] == id.as_str())
                .unwrap();
            let messages = line["body"]["messages"].as_array().unwrap();
            assert_eq!(messages[messages.len() - 2]["role"], "assistant", "{line}");
            let last = messages[messages.len() - 1]["content"].as_str().unwrap();
            assert!(last.contains("check that"), "{last}");
            // Resume from the saved state, as another process would.
            job = BatchJob::load_from(template(), &state).unwrap();
            resumed = true;
        }
        run_batch(&base, &requests, &results);
        let report = job.read_results(open(&results)).await.unwrap();
        eprintln!(
            "E2E batch round {}: {} done, {} failed, {} re-asked, {} resent, {} missing, {} problem(s)",
            report.round, report.done, report.failed, report.reasked.len(), report.resent.len(),
            report.missing.len(), report.problems.len()
        );
        for (id, why) in &report.resent {
            eprintln!("    resent {id}: {why}");
        }
        assert!(report.problems.is_empty(), "{:?}", report.problems);
        assert!(report.missing.is_empty(), "{:?}", report.missing);
        reasked = report.reasked;
        values.extend(report.settled);
    }
    eprintln!(
        "E2E batch: {rounds} round(s), {:.1}s, usage {:?}",
        started.elapsed().as_secs_f64(),
        job.usage()
    );
    for (id, value) in &values {
        eprintln!("E2E batch {id}: {value:?}");
    }
    assert!(
        resumed,
        "the validator forces a re-ask round, run from the saved state"
    );
    let jason = values
        .iter()
        .find(|(id, _)| id == "jason")
        .expect("jason is settled");
    assert_jason(jason.1.as_ref().unwrap());
    assert!(
        values.iter().filter(|(_, v)| v.is_ok()).count() >= 2,
        "{values:?}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
