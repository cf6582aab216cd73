//! Measurements criterion does not fit, in one `--release` binary:
//!
//! ```text
//! cargo bench --bench probe -- ratios [ROUNDS]       # interleaved SDK/bare rounds, median ratio
//! cargo bench --bench probe -- memory [N]            # N extractions in flight, peak RSS (VmHWM)
//! cargo bench --bench probe -- serve ADDR            # the benchmark server alone (a mock LLM)
//! probe client sdk|bare small|large|reask N BASE     # N sequential extractions (for callgrind)
//! ```
//!
//! `ratios` alternates rounds of SDK and bare requests against the same in-process server,
//! so load from other processes hits both sides alike; it prints the median of the per-round
//! ratios. `client` is run under `valgrind --tool=callgrind` against a `serve` process so
//! only the client's instructions are counted (see `benches/support/callgrind.sh`).

mod support;

use std::sync::Arc;
use std::time::Instant;

use instructor_testkit::vm_hwm_kib;
use support::*;

fn main() {
    let args = bench_args();
    let arg = |i: usize| args.get(i).map(String::as_str);
    match arg(0) {
        Some("ratios") => ratios(
            arg(1).and_then(|s| s.parse().ok()).unwrap_or(15),
            arg(2).unwrap_or("1235"),
        ),
        Some("memory") => memory(arg(1).and_then(|s| s.parse().ok()).unwrap_or(1000), arg(2)),
        Some("serve") => serve_forever(arg(1).unwrap_or("127.0.0.1:8099")),
        Some("client") => client(
            arg(1).unwrap_or("sdk"),
            arg(2).unwrap_or("small"),
            arg(3).and_then(|s| s.parse().ok()).unwrap_or(1000),
            arg(4).unwrap_or("http://127.0.0.1:8099"),
        ),
        _ => {
            eprintln!("usage: probe ratios [ROUNDS] | memory [N] | serve ADDR | client sdk|bare small|large|reask N BASE");
        }
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Warm-up, then `rounds` interleaved rounds: SDK then bare, then bare then SDK (ABBA, so
/// drift cancels). The medians of the SDK's figures, the bare ones, and their ratios.
fn abba(rounds: usize, sdk: impl Fn() -> f64, bare: impl Fn() -> f64) -> (f64, f64, f64) {
    // Warm-up: connections, schema caches, allocator.
    sdk();
    bare();
    let (mut s, mut b, mut r) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..rounds {
        let (ts, tb) = if i % 2 == 0 {
            let ts = sdk();
            (ts, bare())
        } else {
            let tb = bare();
            (sdk(), tb)
        };
        s.push(ts);
        b.push(tb);
        r.push(ts / tb);
    }
    (median(s), median(b), median(r))
}

/// One sequential case's row: seconds per extraction over `n` in a row, SDK and bare.
fn seq_row<S, SF, B, BF>(
    rt: &tokio::runtime::Runtime,
    rounds: usize,
    name: &str,
    n: u64,
    sdk: S,
    bare: B,
) where
    S: Fn() -> SF,
    SF: std::future::Future,
    B: Fn() -> BF,
    BF: std::future::Future,
{
    let per_op = |d: std::time::Duration| d.as_secs_f64() / n as f64;
    let (s, b, r) = abba(
        rounds,
        || per_op(seq(rt, n, &sdk)),
        || per_op(seq(rt, n, &bare)),
    );
    println!("{name} | {:.1} µs | {:.1} µs | {r:.3}", s * 1e6, b * 1e6);
}

/// Interleaved rounds ([`abba`]) per case. `cases` picks the cases by number (`"1235"` for
/// all).
fn ratios(rounds: usize, cases: &str) {
    let (addr, _st) = start_server();
    let rt = current_thread();
    let mt = multi_thread();

    println!("case | SDK per op | bare per op | SDK / bare (median of {rounds} rounds)");
    println!("--- | --- | --- | ---");

    let (small, bare_small) = sides::<UserDetails>(addr, "small");
    if cases.contains('1') {
        let name = "1. small, sequential";
        let (sdk, bare) = (|| sdk_small(&small), || bare_small.extract::<UserDetails>());
        seq_row(&rt, rounds, name, 300, sdk, bare);
    }
    let (large, bare_large) = sides::<Report>(addr, "large");
    if cases.contains('3') {
        let name = "3. large (32 fields, 2x100 items), sequential";
        let (sdk, bare) = (|| sdk_large(&large), || bare_large.extract::<Report>());
        seq_row(&rt, rounds, name, 60, sdk, bare);
    }
    let (reask, bare_reask) = sides::<UserDetails>(addr, "reask");
    if cases.contains('5') {
        let name = "5. re-ask round (invalid, then valid)";
        let (sdk, bare) = (|| sdk_reask(&reask), || bare_reask.reask());
        seq_row(&rt, rounds, name, 150, sdk, bare);
    }
    if !cases.contains('2') {
        return;
    }

    // Case 2: throughput with 64 in flight (64 tasks on a 2-worker runtime). New clients:
    // a reqwest pool's connections live on the runtime that opened them.
    let small = sdk_client(addr, "small");
    let bare_small = Arc::new(Bare::new::<UserDetails>(addr, "small"));
    const TASKS: usize = 64;
    const EACH: usize = 16;
    let per_second = |d: std::time::Duration| (TASKS * EACH) as f64 / d.as_secs_f64();
    let sdk = |c: instructor::Client| async move { sdk_small(&c).await };
    let bare = |b: Arc<Bare>| async move { b.extract::<UserDetails>().await };
    let (s, b, r) = abba(
        rounds,
        || per_second(seq(&mt, 1, || in_flight(&small, TASKS, EACH, sdk))),
        || per_second(seq(&mt, 1, || in_flight(&bare_small, TASKS, EACH, bare))),
    );
    println!(
        "2. small, 64 in flight (throughput) | {s:.0} /s | {b:.0} /s | {r:.3} (SDK/bare throughput)"
    );
}

/// `n` extractions in flight at once through `extract_many` (against the `slow` route, which
/// holds each request 200 ms), then the process's peak RSS. With `base` (`http://ADDR` of a
/// `serve` process) the server's connections are not in this process.
fn memory(n: usize, base: Option<&str>) {
    let (addr, st) = match base {
        Some(b) => (
            b.trim_start_matches("http://")
                .trim_end_matches('/')
                .parse()
                .expect("BASE is http://IP:PORT"),
            Arc::new(Stats::default()),
        ),
        None => start_server(),
    };
    let rt = multi_thread();
    let before = vm_hwm_kib().unwrap_or(0);
    let client = sdk_client(addr, "slow");
    let inputs: Vec<String> = (0..n)
        .map(|i| format!("Extract the person: \"Person {i} is {} years old\"", i % 90))
        .collect();
    let t = Instant::now();
    let results = rt.block_on(
        client
            .extract_many::<UserDetails, _>(inputs)
            .request(|req, text: String| req.system(SYSTEM).user(text))
            .concurrency(n)
            .run(),
    );
    let elapsed = t.elapsed();
    let ok = results.iter().filter(|(_, r)| r.is_ok()).count();
    let after = vm_hwm_kib().unwrap_or(0);
    println!(
        "{n} extractions, {ok} ok, in {:.2?}; server saw at most {} in flight; \
         VmHWM before {:.1} MiB, after {:.1} MiB",
        elapsed,
        st.max_in_flight.load(std::sync::atomic::Ordering::SeqCst),
        before as f64 / 1024.0,
        after as f64 / 1024.0
    );
}

fn serve_forever(addr: &str) {
    let rt = current_thread();
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
        eprintln!(
            "serving on http://{}/{{small,large,reask,slow,limited}}/v1",
            listener.local_addr().unwrap()
        );
        FaultServer::serve(listener, routes(), Arc::new(Stats::default())).await;
    });
}

/// `n` sequential extractions against `base` (`http://ADDR`), for instruction counts.
fn client(side: &str, case: &str, n: usize, base: &str) {
    let addr: std::net::SocketAddr = base
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .expect("BASE is http://IP:PORT");
    let rt = current_thread();
    rt.block_on(async {
        match (side, case) {
            ("sdk", "small" | "reask" | "large") => {
                let c = sdk_client(addr, case);
                for _ in 0..n {
                    match case {
                        "small" => drop(std::hint::black_box(sdk_small(&c).await)),
                        "large" => drop(std::hint::black_box(sdk_large(&c).await)),
                        _ => drop(std::hint::black_box(sdk_reask(&c).await)),
                    }
                }
            }
            ("bare", "small" | "reask") => {
                let b = Bare::new::<UserDetails>(addr, case);
                for _ in 0..n {
                    if case == "small" {
                        std::hint::black_box(b.extract::<UserDetails>().await);
                    } else {
                        std::hint::black_box(b.reask().await);
                    }
                }
            }
            ("bare", "large") => {
                let b = Bare::new::<Report>(addr, case);
                for _ in 0..n {
                    std::hint::black_box(b.extract::<Report>().await);
                }
            }
            _ => panic!("unknown side/case {side} {case}"),
        }
    });
}
