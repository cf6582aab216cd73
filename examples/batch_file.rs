//! Batch files: an extraction over many inputs as an OpenAI batch request file, its result
//! file read back into validated values, a re-ask round, and the job's state saved and
//! resumed. See docs/batch.md.
//!
//! ```text
//! cargo run --example batch_file                      # a stand-in provider answers
//! BATCH_BASE_URL=$(scripts/local-llm) cargo run --example batch_file
//!                                                     # scripts/run-batch against a real server
//! ```
//!
//! Without `BATCH_BASE_URL`, the example answers its own request file the way a provider
//! would (one answer invalid, so that it is re-asked); with it, each round's file is run by
//! `scripts/run-batch` (what `vllm run-batch -i requests.jsonl -o results.jsonl --model M`
//! does, against any chat-completions server). Files go to a temporary folder.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;

use instructor::batch_file::BatchJob;
use instructor::{Client, Instructor};
use serde_json::{json, Value};

/// A person mentioned in the text.
#[derive(Debug, serde::Deserialize, Instructor, garde::Validate)]
struct UserDetails {
    /// The person's first name.
    #[garde(length(min = 1))]
    name: String,
    /// Age in whole years.
    #[garde(range(max = 120))]
    age: u8,
}

const TEXTS: [(&str, &str); 4] = [
    ("row-1", "Jason is 20."),
    ("row-2", "Ada Lovelace was 36."),
    ("row-3", "Grace turned 45 last week."),
    ("row-4", "Methuselah is said to have lived 969 years."),
];

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let base = std::env::var("BATCH_BASE_URL").ok();
    let client = Client::openai_compatible(
        base.clone()
            .unwrap_or_else(|| "http://127.0.0.1:8080/v1".into()),
        "",
    )?;
    let model = std::env::var("INSTRUCTOR_MODEL").unwrap_or_else(|_| "gemma-3-270m".into());
    let template = || {
        client
            .extract::<UserDetails>()
            .model(model.clone())
            .system("Extract the person the text mentions.")
            .temperature(0.0)
            .max_retries(1)
    };
    let dir = std::env::temp_dir().join(format!("instructor-batch-example-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let (requests, results, state) = (
        dir.join("requests.jsonl"),
        dir.join("results.jsonl"),
        dir.join("job.state.jsonl"),
    );

    let mut job = BatchJob::new(template())?;
    for (id, text) in TEXTS {
        job.add_user(id, text)?;
    }
    while !job.is_finished() && job.round() <= 2 {
        let n = job.write_requests_to(&requests)?;
        job.save_to(&state)?;
        println!(
            "round {}: {n} request(s) in {}",
            job.round(),
            requests.display()
        );
        // A crash here loses nothing: the state file resumes the job, on any machine.
        job = BatchJob::load_from(template(), &state)?;
        match &base {
            Some(base) => run_batch(base, &requests, &results)?,
            None => stand_in_provider(&requests, &results)?,
        }
        let report = job
            .read_results(BufReader::new(File::open(&results)?))
            .await?;
        for (id, value) in &report.settled {
            match value {
                Ok(user) => println!("  {id}: {user:?}"),
                Err(e) => println!("  {id}: failed: {e}"),
            }
        }
        for id in &report.reasked {
            println!("  {id}: re-asked in the next round");
        }
        for problem in &report.problems {
            println!("  {problem}");
        }
        job.save_to(&state)?;
    }
    let usage = job.usage();
    println!(
        "done: {} input(s), {} still waiting, {} + {} tokens",
        job.len(),
        job.pending(),
        usage.prompt_tokens,
        usage.completion_tokens
    );
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

/// Runs `requests` through `scripts/run-batch` against `base`.
fn run_batch(base: &str, requests: &Path, results: &Path) -> std::io::Result<()> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/run-batch");
    let status = std::process::Command::new("python3")
        .arg(script)
        .args([
            "-i".as_ref(),
            requests.as_os_str(),
            "-o".as_ref(),
            results.as_os_str(),
        ])
        .args(["--base-url", base])
        .status()?;
    if !status.success() {
        return Err(std::io::Error::other(format!("run-batch: {status}")));
    }
    Ok(())
}

/// Answers each request of `requests` as a provider would, in OpenAI's result format: the
/// age the text gives (which is not valid for row-4 until the re-ask, when the answer says
/// 120, the most the type allows).
fn stand_in_provider(requests: &Path, results: &Path) -> std::io::Result<()> {
    let mut out = File::create(results)?;
    for line in BufReader::new(File::open(requests)?).lines() {
        let line: Value = serde_json::from_str(&line?)?;
        let messages = line["body"]["messages"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let text = messages[1]["content"].as_str().unwrap_or_default();
        let name = text.split_whitespace().next().unwrap_or("someone");
        let age: u32 = text
            .split(|c: char| !c.is_ascii_digit())
            .find_map(|w| w.parse().ok())
            .unwrap_or(0);
        let reasked = messages.len() > 2;
        let age = if reasked { age.min(120) } else { age };
        let answer = json!({"name": name, "age": age}).to_string();
        let body = json!({"id": "chatcmpl-1", "object": "chat.completion", "model": line["body"]["model"],
            "choices": [{"index": 0, "message": {"role": "assistant", "content": answer}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 30, "completion_tokens": 10, "total_tokens": 40}});
        let result = json!({"id": "batch_req_1", "custom_id": line["custom_id"],
            "response": {"status_code": 200, "request_id": "req_1", "body": body}, "error": null});
        writeln!(out, "{result}")?;
    }
    Ok(())
}
