//! What a response-cache hit costs against a live call: the same extraction (the benchmarks'
//! small and large types) sent to the in-process server on 127.0.0.1, which answers at once,
//! and read from the cache (memory, SQLite, and Redis when `INSTRUCTOR_BENCH_REDIS_URL`
//! names a server). A hit is still decoded, parsed and validated: what remains is that, the
//! key (SHA-256 of the body) and the store's look-up.
//!
//! ```text
//! cargo bench --bench cache --features sqlite,redis -- --warm-up-time 1 --measurement-time 3
//! ```
//!
//! The live call here is to a server that answers instantly; a real model's call takes a
//! second or more (docs/local-llm.md). Figures: docs/cache.md.

mod support;

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use instructor::cache::Cache;
use instructor::Client;
use support::*;

/// The benchmarks' client for `route`, with `cache`.
fn with_cache(addr: std::net::SocketAddr, route: &str, cache: Cache) -> Client {
    Client::builder()
        .base_url(format!("http://{addr}/{route}/v1"))
        .default_model(MODEL)
        .prompting(instructor::Prompting::Plain)
        .no_transport_retries()
        .cache(cache)
        .build()
        .unwrap()
}

/// The stores to compare, by name.
fn caches(dir: &std::path::Path) -> Vec<(&'static str, Cache)> {
    let mut out = vec![
        ("memory", Cache::memory()),
        ("sqlite", Cache::sqlite(dir.join("bench.sqlite")).unwrap()),
    ];
    #[cfg(feature = "redis")]
    if let Ok(url) = std::env::var("INSTRUCTOR_BENCH_REDIS_URL") {
        out.push(("redis", Cache::redis(&url).unwrap()));
    }
    out
}

fn hits(c: &mut Criterion) {
    let (addr, stats) = start_server();
    let rt = current_thread();
    let dir = std::env::temp_dir().join(format!("instructor-bench-cache-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (route, large) in [("small", false), ("large", true)] {
        let mut g = c.benchmark_group(format!("cache_{route}"));
        let run = |client: &Client| {
            let client = client.clone();
            async move {
                if large {
                    drop(sdk_large(&client).await);
                } else {
                    drop(sdk_small(&client).await);
                }
            }
        };
        let live = sdk_client(addr, route);
        g.bench_function("live", |b| b.iter_custom(|n| seq(&rt, n, || run(&live))));
        for (name, cache) in caches(&dir) {
            let client = with_cache(addr, route, cache);
            rt.block_on(run(&client));
            let before = stats.requests.load(std::sync::atomic::Ordering::SeqCst);
            g.bench_function(format!("hit_{name}"), |b| {
                b.iter_custom(|n| seq(&rt, n, || run(&client)))
            });
            let after = stats.requests.load(std::sync::atomic::Ordering::SeqCst);
            assert_eq!(before, after, "every {name} call was a hit");
        }
        g.finish();
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(30)
}

criterion_group! { name = benches; config = config(); targets = hits }
criterion_main!(benches);
