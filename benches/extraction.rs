//! The SDK's own cost per extraction, against the limit: the same request made with bare
//! reqwest + serde_json, both against an in-process server on 127.0.0.1 that answers at
//! once with a fixed body, so the client side is what is measured.
//!
//! ```text
//! cargo bench --bench extraction -- --warm-up-time 1 --measurement-time 3
//! ```
//!
//! Each case has an `sdk` and a `bare` benchmark; their ratio is the SDK's overhead. For
//! ratios that hold on a loaded machine (interleaved rounds) and instruction counts, see
//! `benches/probe.rs` and `docs/performance.md`.

mod support;

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use instructor::{Instructor, Mode};
use support::*;

fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn multi_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Times `iters` sequential runs of `f` on `rt`.
fn seq<F, Fut, O>(rt: &tokio::runtime::Runtime, iters: u64, f: F) -> Duration
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = O>,
{
    rt.block_on(async {
        let start = Instant::now();
        for _ in 0..iters {
            black_box(f().await);
        }
        start.elapsed()
    })
}

/// Case 1: one small extraction at a time. Case 3: the large type. Case 5: a re-ask round.
fn sequential(c: &mut Criterion) {
    let (addr, _st) = start_server();
    let rt = current_thread();

    let mut g = c.benchmark_group("small_sequential");
    let client = sdk_client(addr, "small");
    let bare = Bare::new::<UserDetails>(addr, "small");
    g.bench_function("sdk", |b| {
        b.iter_custom(|n| seq(&rt, n, || sdk_small(&client)))
    });
    g.bench_function("bare", |b| {
        b.iter_custom(|n| seq(&rt, n, || bare.extract::<UserDetails>()))
    });
    g.finish();

    let mut g = c.benchmark_group("large_sequential");
    let client = sdk_client(addr, "large");
    let bare = Bare::new::<Report>(addr, "large");
    g.bench_function("sdk", |b| {
        b.iter_custom(|n| seq(&rt, n, || sdk_large(&client)))
    });
    g.bench_function("bare", |b| {
        b.iter_custom(|n| seq(&rt, n, || bare.extract::<Report>()))
    });
    g.finish();

    let mut g = c.benchmark_group("reask_round");
    let client = sdk_client(addr, "reask");
    let bare = Bare::new::<UserDetails>(addr, "reask");
    g.bench_function("sdk", |b| {
        b.iter_custom(|n| seq(&rt, n, || sdk_reask(&client)))
    });
    g.bench_function("bare", |b| b.iter_custom(|n| seq(&rt, n, || bare.reask())));
    g.finish();
}

const IN_FLIGHT: usize = 64;
const PER_WORKER: usize = 4;

/// Case 2: 64 extractions in flight on one client (64 tasks, 4 extractions each).
fn concurrent(c: &mut Criterion) {
    let (addr, _st) = start_server();
    let rt = multi_thread();
    let client = sdk_client(addr, "small");
    let bare = Arc::new(Bare::new::<UserDetails>(addr, "small"));

    let mut g = c.benchmark_group("small_64_in_flight");
    g.throughput(Throughput::Elements((IN_FLIGHT * PER_WORKER) as u64));
    g.bench_function("sdk", |b| {
        b.iter_custom(|n| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..n {
                    let mut set = tokio::task::JoinSet::new();
                    for _ in 0..IN_FLIGHT {
                        let client = client.clone();
                        set.spawn(async move {
                            for _ in 0..PER_WORKER {
                                black_box(sdk_small(&client).await);
                            }
                        });
                    }
                    while set.join_next().await.is_some() {}
                }
                start.elapsed()
            })
        })
    });
    g.bench_function("bare", |b| {
        b.iter_custom(|n| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..n {
                    let mut set = tokio::task::JoinSet::new();
                    for _ in 0..IN_FLIGHT {
                        let bare = bare.clone();
                        set.spawn(async move {
                            for _ in 0..PER_WORKER {
                                black_box(bare.extract::<UserDetails>().await);
                            }
                        });
                    }
                    while set.join_next().await.is_some() {}
                }
                start.elapsed()
            })
        })
    });
    g.finish();
}

/// Case 4: the schema and the per-mode request pieces after the first call.
fn lookups(c: &mut Criterion) {
    let mut g = c.benchmark_group("lookup");
    let _ = UserDetails::json_schema();
    let _ = <Vec<UserDetails>>::json_schema();
    g.bench_function("json_schema_derived", |b| {
        b.iter(|| black_box(UserDetails::json_schema()))
    });
    g.bench_function("json_schema_generic_vec", |b| {
        b.iter(|| black_box(<Vec<UserDetails>>::json_schema()))
    });
    g.bench_function("spec_for_json_schema", |b| {
        b.iter(|| {
            black_box(instructor::__private::spec_lookup::<UserDetails>(
                Mode::JsonSchema,
            ))
        })
    });
    g.bench_function("spec_for_tools_large", |b| {
        b.iter(|| black_box(instructor::__private::spec_lookup::<Report>(Mode::Tools)))
    });
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(30)
}

criterion_group! { name = benches; config = config(); targets = sequential, concurrent, lookups }
criterion_main!(benches);
