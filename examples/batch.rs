//! Bulk extraction: 1,000 short texts through `client.extract_many`, 16 at a time, with a
//! progress bar. Failures are counted, not fatal; a 429 pauses the whole batch.
//!
//! Against any OpenAI-compatible server (a local llama.cpp, vLLM, Anyscale, ...):
//!
//! ```text
//! INSTRUCTOR_BASE_URL=http://127.0.0.1:8080/v1 INSTRUCTOR_MODEL=gemma-3-270m \
//!     cargo run --release --example batch
//! ```
//!
//! Without a model, the benchmark server answers instantly with a fixed reply:
//!
//! ```text
//! cargo bench --bench probe -- serve 127.0.0.1:8099 &
//! INSTRUCTOR_BASE_URL=http://127.0.0.1:8099/small/v1 INSTRUCTOR_MODEL=m \
//!     cargo run --release --example batch
//! ```
//!
//! `BATCH_SIZE` (default 1000) and `BATCH_CONCURRENCY` (default 16) change the run.

use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};

mod common;
use common::UserDetails;

const NAMES: &[&str] = &[
    "Jason", "Ada", "Grace", "Alan", "Edsger", "Barbara", "Ken", "Margaret", "Linus", "Radia",
];

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::var_os("INSTRUCTOR_BASE_URL").is_none() {
        eprintln!(
            "set INSTRUCTOR_BASE_URL (and INSTRUCTOR_MODEL): see the top of examples/batch.rs"
        );
        std::process::exit(2);
    }
    let client = instructor::Client::from_env()?;
    let model = client.default_model().unwrap_or("default").to_owned();
    let n = env_usize("BATCH_SIZE", 1000);
    let concurrency = env_usize("BATCH_CONCURRENCY", 16);

    // Input i names NAMES[i % 10] at age 18 + i % 60: the right answer of every input is known.
    let expected = |i: usize| (NAMES[i % NAMES.len()], (18 + i % 60) as u8);
    let texts: Vec<String> = (0..n)
        .map(|i| {
            let (name, age) = expected(i);
            format!("{name} turned {age} last spring.")
        })
        .collect();

    let bar = ProgressBar::new(n as u64).with_style(ProgressStyle::with_template(
        "{elapsed_precise} [{bar:40}] {pos}/{len} {per_sec} {msg}",
    )?);
    let on_progress = bar.clone();
    let started = Instant::now();
    let results = client
        .extract_many::<UserDetails, _>(texts)
        .request(move |req, text| {
            req.model(model.as_str())
                .system("Extract the person's first name and age.")
                .user(text)
                .temperature(0.0)
                .max_retries(1)
        })
        .concurrency(concurrency)
        .on_progress(move |p| {
            on_progress.set_position(p.completed as u64);
            if p.failed > 0 {
                on_progress.set_message(format!("{} failed", p.failed));
            }
        })
        .await;
    bar.finish();

    let elapsed = started.elapsed();
    let failed: Vec<_> = results.iter().filter(|(_, r)| r.is_err()).collect();
    let right = results
        .iter()
        .filter(|(i, r)| {
            let (name, age) = expected(*i);
            matches!(r, Ok(u) if u.name == name && u.age == age)
        })
        .count();
    println!(
        "{} extractions in {:.2?} ({:.2} per second): {right} right, {} failed",
        results.len(),
        elapsed,
        results.len() as f64 / elapsed.as_secs_f64(),
        failed.len()
    );
    for (index, result) in failed.iter().take(5) {
        if let Err(e) = result {
            println!("  input {index}: {e}");
        }
    }
    if let Some((_, Ok(first))) = results.first() {
        println!("first: {first:?}");
    }
    // The client's bill: every answer's tokens, and how many prompt tokens the server's
    // prompt cache served (`Usage::cached_tokens`).
    let bill = client.usage();
    let usage = bill.usage();
    println!(
        "{} requests, {} prompt tokens, {} of them from the server's cache ({:.1} %)",
        bill.requests(),
        usage.prompt_tokens,
        usage.cached_tokens,
        100.0 * f64::from(usage.cached_tokens) / usage.prompt_tokens.max(1) as f64
    );
    Ok(())
}
