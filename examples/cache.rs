//! The response cache: the same extraction twice, the second read from a SQLite file (and
//! judged again, like a live reply). Run it twice: the second run's first call is a hit too,
//! read from the file the first run left.
//!
//! ```text
//! INSTRUCTOR_BASE_URL=$(scripts/local-llm) INSTRUCTOR_MODEL=gemma-3-270m \
//!     cargo run --example cache --features sqlite
//! ```
//!
//! `INSTRUCTOR_CACHE` names the database file (default `instructor-cache.sqlite` in the
//! current folder). With `--features redis` and `INSTRUCTOR_REDIS_URL`
//! (`redis://127.0.0.1:6379/0`), the cache is that Redis server instead.

use std::time::{Duration, Instant};

use instructor::cache::{Cache, OnStoreError};

mod common;
use common::UserDetails;

fn cache() -> Result<Cache, instructor::Error> {
    #[cfg(feature = "redis")]
    if let Ok(url) = std::env::var("INSTRUCTOR_REDIS_URL") {
        return Cache::redis(&url);
    }
    let path = std::env::var("INSTRUCTOR_CACHE").unwrap_or("instructor-cache.sqlite".into());
    Cache::sqlite(path)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cache = cache()?
        .ttl(Duration::from_secs(24 * 3600))
        // A broken cache costs a request, never the extraction.
        .on_store_error(OnStoreError::Miss);
    let client = instructor::Client::from_env()?;
    let client = client.with_cache(cache);
    for run in 1..=2 {
        let started = Instant::now();
        let (user, extraction) = client
            .extract::<UserDetails>()
            .user("Jason Liu is 30 years old and lives in Toronto.")
            .max_retries(2)
            .send_with_extraction()
            .await?;
        println!(
            "call {run}: {user:?} in {:?}, {} (tokens spent {}, saved {})",
            started.elapsed(),
            if extraction.cache_hit() {
                "a cache hit"
            } else {
                "live"
            },
            extraction.usage.total_tokens,
            extraction.saved.total_tokens,
        );
    }
    Ok(())
}
