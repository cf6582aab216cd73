//! How much of each request a server's prompt cache serves: 50 extractions of one type, one
//! after the other, and the share of prompt tokens the server reports as cached
//! (`Usage::cached_tokens`: OpenAI's and llama.cpp's `prompt_tokens_details.cached_tokens`,
//! Anthropic's `cache_read_input_tokens`, Gemini's `cachedContentTokenCount`).
//!
//! The instructions, the schema and the worked examples come before the text in every
//! request of a type, byte for byte the same, so a server that caches a shared prefix serves
//! them from its cache from the second extraction on.
//!
//! ```text
//! INSTRUCTOR_BASE_URL=$(scripts/local-llm) INSTRUCTOR_MODEL=gemma-3-270m \
//!     cargo run --release --example prefix_cache
//! ```
//!
//! `PREFIX_RUNS` (default 50) changes the number of extractions.

use std::time::Instant;

mod common;
use common::UserDetails;

const NAMES: &[&str] = &["Jason", "Ada", "Grace", "Alan", "Edsger", "Barbara", "Ken"];

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = instructor::Client::from_env()?;
    let runs: usize = std::env::var("PREFIX_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let (mut prompt, mut cached, mut failed) = (0u64, 0u64, 0usize);
    let (mut first_ms, mut rest_ms) = (0u128, 0u128);
    for i in 0..runs {
        let text = format!(
            "{} turned {} last spring.",
            NAMES[i % NAMES.len()],
            18 + i % 60
        );
        let started = Instant::now();
        let result = client
            .extract::<UserDetails>()
            .system("Extract the person's first name and age.")
            .user(text)
            .temperature(0.0)
            .max_tokens(64)
            .send_with_extraction()
            .await;
        let ms = started.elapsed().as_millis();
        let usage = match &result {
            Ok((_, extraction)) => extraction.usage,
            Err(e) => {
                failed += 1;
                e.usage().unwrap_or_default()
            }
        };
        if i == 0 {
            first_ms = ms;
            println!(
                "first: {} prompt tokens, {} cached, {ms} ms",
                usage.prompt_tokens, usage.cached_tokens
            );
        } else {
            prompt += usage.prompt_tokens;
            cached += u64::from(usage.cached_tokens);
            rest_ms += ms;
        }
    }
    let rest = (runs.max(2) - 1) as f64;
    println!(
        "extractions 2..{runs}: {:.1} prompt tokens each, {:.1} cached ({:.1} %), {:.0} ms each \
         (the first: {first_ms} ms); {failed} failed",
        prompt as f64 / rest,
        cached as f64 / rest,
        100.0 * cached as f64 / prompt.max(1) as f64,
        rest_ms as f64 / rest,
    );
    Ok(())
}
