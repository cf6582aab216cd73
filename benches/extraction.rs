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
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use instructor::{Client, Instructor, Mode};
use support::*;

/// The `sdk` and `bare` benchmarks of one sequential case, in group `name`.
fn pair<S, SF, B, BF>(c: &mut Criterion, rt: &tokio::runtime::Runtime, name: &str, sdk: S, bare: B)
where
    S: Fn() -> SF,
    SF: std::future::Future,
    B: Fn() -> BF,
    BF: std::future::Future,
{
    let mut g = c.benchmark_group(name);
    g.bench_function("sdk", |b| b.iter_custom(|n| seq(rt, n, &sdk)));
    g.bench_function("bare", |b| b.iter_custom(|n| seq(rt, n, &bare)));
    g.finish();
}

/// Case 1: one small extraction at a time. Case 3: the large type. Case 5: a re-ask round.
fn sequential(c: &mut Criterion) {
    let (addr, _st) = start_server();
    let rt = current_thread();
    let (client, bare) = sides::<UserDetails>(addr, "small");
    let small = || bare.extract::<UserDetails>();
    pair(c, &rt, "small_sequential", || sdk_small(&client), small);
    let (client, bare) = sides::<Report>(addr, "large");
    let large = || bare.extract::<Report>();
    pair(c, &rt, "large_sequential", || sdk_large(&client), large);
    let (client, bare) = sides::<UserDetails>(addr, "reask");
    pair(
        c,
        &rt,
        "reask_round",
        || sdk_reask(&client),
        || bare.reask(),
    );
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
    let sdk = |c: Client| async move { sdk_small(&c).await };
    let bare_op = |b: Arc<Bare>| async move { b.extract::<UserDetails>().await };
    g.bench_function("sdk", |b| {
        b.iter_custom(|n| seq(&rt, n, || in_flight(&client, IN_FLIGHT, PER_WORKER, sdk)))
    });
    g.bench_function("bare", |b| {
        b.iter_custom(|n| seq(&rt, n, || in_flight(&bare, IN_FLIGHT, PER_WORKER, bare_op)))
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
