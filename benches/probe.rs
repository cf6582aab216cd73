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
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
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

fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
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

/// Interleaved rounds: SDK then bare then bare then SDK (ABBA, so drift cancels), per case.
/// `cases` picks the cases by number (`"1235"` for all).
fn ratios(rounds: usize, cases: &str) {
    let (addr, _st) = start_server();
    let rt = current_thread();
    let mt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();

    println!("case | SDK per op | bare per op | SDK / bare (median of {rounds} rounds)");
    println!("--- | --- | --- | ---");

    macro_rules! seq_case {
        ($name:expr, $n:expr, $sdk:expr, $bare:expr) => {{
            let n: u32 = $n;
            let time_sdk = || {
                rt.block_on(async {
                    let t = Instant::now();
                    for _ in 0..n {
                        std::hint::black_box($sdk.await);
                    }
                    t.elapsed() / n
                })
            };
            let time_bare = || {
                rt.block_on(async {
                    let t = Instant::now();
                    for _ in 0..n {
                        std::hint::black_box($bare.await);
                    }
                    t.elapsed() / n
                })
            };
            // Warm-up: connections, schema caches, allocator.
            time_sdk();
            time_bare();
            let (mut s, mut b, mut r) = (Vec::new(), Vec::new(), Vec::new());
            for i in 0..rounds {
                let (ts, tb) = if i % 2 == 0 {
                    let ts = time_sdk();
                    (ts, time_bare())
                } else {
                    let tb = time_bare();
                    (time_sdk(), tb)
                };
                s.push(ts.as_secs_f64());
                b.push(tb.as_secs_f64());
                r.push(ts.as_secs_f64() / tb.as_secs_f64());
            }
            println!(
                "{} | {:.1} µs | {:.1} µs | {:.3}",
                $name,
                median(s) * 1e6,
                median(b) * 1e6,
                median(r)
            );
        }};
    }

    let small = sdk_client(addr, "small");
    let bare_small = Bare::new::<UserDetails>(addr, "small");
    if cases.contains('1') {
        seq_case!(
            "1. small, sequential",
            300,
            sdk_small(&small),
            bare_small.extract::<UserDetails>()
        );
    }
    let large = sdk_client(addr, "large");
    let bare_large = Bare::new::<Report>(addr, "large");
    if cases.contains('3') {
        seq_case!(
            "3. large (32 fields, 2x100 items), sequential",
            60,
            sdk_large(&large),
            bare_large.extract::<Report>()
        );
    }
    let reask = sdk_client(addr, "reask");
    let bare_reask = Bare::new::<UserDetails>(addr, "reask");
    if cases.contains('5') {
        seq_case!(
            "5. re-ask round (invalid, then valid)",
            150,
            sdk_reask(&reask),
            bare_reask.reask()
        );
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
    let run_sdk = || {
        mt.block_on(async {
            let t = Instant::now();
            let mut set = tokio::task::JoinSet::new();
            for _ in 0..TASKS {
                let c = small.clone();
                set.spawn(async move {
                    for _ in 0..EACH {
                        std::hint::black_box(sdk_small(&c).await);
                    }
                });
            }
            while set.join_next().await.is_some() {}
            (TASKS * EACH) as f64 / t.elapsed().as_secs_f64()
        })
    };
    let run_bare = || {
        mt.block_on(async {
            let t = Instant::now();
            let mut set = tokio::task::JoinSet::new();
            for _ in 0..TASKS {
                let c = bare_small.clone();
                set.spawn(async move {
                    for _ in 0..EACH {
                        std::hint::black_box(c.extract::<UserDetails>().await);
                    }
                });
            }
            while set.join_next().await.is_some() {}
            (TASKS * EACH) as f64 / t.elapsed().as_secs_f64()
        })
    };
    run_sdk();
    run_bare();
    let (mut s, mut b, mut r) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..rounds {
        let (ts, tb) = if i % 2 == 0 {
            let ts = run_sdk();
            (ts, run_bare())
        } else {
            let tb = run_bare();
            (run_sdk(), tb)
        };
        s.push(ts);
        b.push(tb);
        r.push(ts / tb);
    }
    println!(
        "2. small, 64 in flight (throughput) | {:.0} /s | {:.0} /s | {:.3} (SDK/bare throughput)",
        median(s),
        median(b),
        median(r)
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
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
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
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
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
