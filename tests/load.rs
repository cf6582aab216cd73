//! Load test (issue 7): 10,000 extractions, 256 in flight, on one `Client`, against the local
//! fault server, with 10% of replies faults of mixed kinds. Checks that every extraction
//! produced exactly one result (a value or a typed error), that each value is the one asked
//! for (the request's index is in the user message and comes back in the answer), and that
//! the token usage adds up.
//!
//! ```text
//! cargo test --release --test load -- --ignored --nocapture
//! ```
//! Sizes: `LOAD_N` (10000), `LOAD_IN_FLIGHT` (256), `LOAD_FAULT_PERCENT` (10).

// The shared test kit; this test uses the fault server and the reply builders of it.
use instructor_testkit as support;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use instructor::{RetryPolicy, Usage};
use serde_json::json;

use support::servers::fault::{Fault, FaultServer, Request};
use support::*;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

const KINDS: [&str; 13] = [
    "500",
    "503",
    "429 retry-after-ms",
    "close before headers",
    "half body then reset",
    "stall past the timeout",
    "invalid utf-8 body",
    "not a completion",
    "choices: []",
    "content: null",
    "wrong schema",
    "finish_reason: length",
    "invalid utf-8 in content",
];

/// Usage handed out, per extraction index, counted only for bodies written whole.
struct Ledger {
    prompt: Vec<AtomicU64>,
    completion: Vec<AtomicU64>,
    faults: Vec<AtomicU64>,
}

impl Ledger {
    fn hand_out(&self, i: usize, p: u64, c: u64) {
        self.prompt[i].fetch_add(p, Ordering::SeqCst);
        self.completion[i].fetch_add(c, Ordering::SeqCst);
    }
}

fn reply(ledger: &Ledger, req: &Request, n: usize, fault_percent: u64) -> Fault {
    let Some(i) = req
        .first_user()
        .strip_prefix("item ")
        .and_then(|s| s.parse::<usize>().ok())
    else {
        return Fault::status(400);
    };
    let (p, c) = (10 + (i % 7) as u64, 1 + (i % 5) as u64);
    let h = splitmix(n as u64 ^ 0xC0FFEE);
    if h % 100 >= fault_percent {
        ledger.hand_out(i, p, c);
        let answer = json!({ "name": format!("item-{i}"), "age": i % 100 }).to_string();
        return Fault::ok(&content_reply(&answer, usage(p, c)));
    }
    let kind = ((h >> 16) % KINDS.len() as u64) as usize;
    ledger.faults[kind].fetch_add(1, Ordering::SeqCst);
    match kind {
        0 => Fault::status(500),
        1 => Fault::status(503),
        2 => Fault::status(429).header("retry-after-ms", "5"),
        3 => Fault::CloseBeforeHeaders,
        4 => Fault::HalfBodyThenReset {
            status: 200,
            body: serde_json::to_vec(&content_reply("{}", usage(p, c))).unwrap(),
        },
        5 => Fault::StallBeforeHeaders,
        6 => Fault::bytes(200, vec![0xFF, 0xFE, b'{', 0x80]),
        7 => Fault::bytes(200, "<html>gateway</html>"),
        8 => {
            ledger.hand_out(i, p, 0);
            Fault::ok(&json!({ "choices": [], "usage": usage(p, 0) }))
        }
        9 => {
            ledger.hand_out(i, p, c);
            Fault::ok(&completion(serde_json::Value::Null, "stop", usage(p, c)))
        }
        10 => {
            ledger.hand_out(i, p, c);
            Fault::ok(&content_reply(r#"{"name": 5}"#, usage(p, c)))
        }
        11 => {
            ledger.hand_out(i, p, c);
            Fault::ok(&completion(json!("{\"name\": \"it"), "length", usage(p, c)))
        }
        _ => {
            ledger.hand_out(i, p, c);
            let answer = format!("{{\"name\": \"item-{i}XX\", \"age\": {}}}", i % 100);
            let mut body = serde_json::to_vec(&content_reply(&answer, usage(p, c))).unwrap();
            let at = body.windows(2).position(|w| w == b"XX").unwrap();
            body.splice(at..at + 2, [0xFF]);
            Fault::bytes(200, body)
        }
    }
}

/// One extraction's outcome, as recorded by the worker that ran it.
#[derive(Debug)]
enum Outcome {
    Ok {
        name: String,
        age: u8,
        usage: Usage,
        attempts: usize,
    },
    Err {
        variant: String,
        usage: Option<Usage>,
    },
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "load test: cargo test --release --test load -- --ignored --nocapture"]
async fn ten_thousand_extractions_with_ten_percent_faults() {
    let n = env("LOAD_N", 10_000);
    let in_flight = env("LOAD_IN_FLIGHT", 256);
    let fault_percent = env("LOAD_FAULT_PERCENT", 10) as u64;

    let ledger = Arc::new(Ledger {
        prompt: (0..n).map(|_| AtomicU64::new(0)).collect(),
        completion: (0..n).map(|_| AtomicU64::new(0)).collect(),
        faults: (0..KINDS.len()).map(|_| AtomicU64::new(0)).collect(),
    });
    let l = ledger.clone();
    let server = FaultServer::start_with(
        move |req: &Request, k| reply(&l, req, k, fault_percent),
        false,
    )
    .await;
    let tries = Arc::new(AtomicUsize::new(0));
    let t = tries.clone();
    let client = builder(&server)
        .timeout(Duration::from_millis(500))
        .retry_policy(
            RetryPolicy::default().with_delays(Duration::from_millis(1), Duration::from_millis(4)),
        )
        .on_request(move |_| {
            t.fetch_add(1, Ordering::SeqCst);
        })
        .build()
        .unwrap();

    let outcomes: Arc<Mutex<Vec<Vec<Outcome>>>> =
        Arc::new(Mutex::new((0..n).map(|_| Vec::new()).collect()));
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..in_flight)
        .map(|_| {
            let (client, next, outcomes) = (client.clone(), next.clone(), outcomes.clone());
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= n {
                        return;
                    }
                    let r = client
                        .extract::<UserDetails>()
                        .user(format!("item {i}"))
                        .max_retries(1)
                        .send_with_extraction()
                        .await;
                    let outcome = match r {
                        Ok((u, c)) => Outcome::Ok {
                            name: u.name,
                            age: u.age,
                            usage: c.usage,
                            attempts: c.attempts.len(),
                        },
                        Err(e) => {
                            assert!(!format!("{e} {e:?}").contains(KEY));
                            Outcome::Err {
                                variant: kind(&e),
                                usage: e.usage(),
                            }
                        }
                    };
                    outcomes.lock().unwrap()[i].push(outcome);
                }
            })
        })
        .collect();
    for w in workers {
        w.await.expect("no worker panicked");
    }
    let wall = started.elapsed();

    // Exactly one outcome per extraction; every value is the one asked for.
    let outcomes = outcomes.lock().unwrap();
    let mut by_variant: BTreeMap<String, usize> = BTreeMap::new();
    let (mut handed_out, mut accounted) = (Usage::default(), Usage::default());
    let (mut unaccounted_extractions, mut unaccounted_tokens) = (0usize, 0u64);
    let mut ok_after_reask = 0;
    for (i, o) in outcomes.iter().enumerate() {
        assert_eq!(o.len(), 1, "extraction {i}: {o:?}");
        let server_usage = Usage {
            prompt_tokens: ledger.prompt[i].load(Ordering::SeqCst),
            completion_tokens: ledger.completion[i].load(Ordering::SeqCst),
            total_tokens: ledger.prompt[i].load(Ordering::SeqCst)
                + ledger.completion[i].load(Ordering::SeqCst),
            ..Usage::default()
        };
        handed_out += server_usage;
        let client_usage = match &o[0] {
            Outcome::Ok {
                name,
                age,
                usage,
                attempts,
            } => {
                // An invalid byte after the tag is read as U+FFFD.
                assert!(
                    name == &format!("item-{i}") || name == &format!("item-{i}\u{FFFD}"),
                    "extraction {i} got {name}"
                );
                assert_eq!(*age as usize, i % 100);
                *by_variant.entry("Ok".into()).or_default() += 1;
                if *attempts > 1 {
                    ok_after_reask += 1;
                }
                *usage
            }
            Outcome::Err { variant, usage } => {
                assert_ne!(variant, "Config");
                *by_variant.entry(variant.clone()).or_default() += 1;
                match usage {
                    Some(u) => *u,
                    None => {
                        // Only `Config` and `InvalidItem` carry no usage; any other `None` is
                        // a gap in the accounting: counted, not hidden.
                        if server_usage.total_tokens > 0 {
                            unaccounted_extractions += 1;
                            unaccounted_tokens += server_usage.total_tokens;
                        }
                        server_usage
                    }
                }
            }
        };
        assert_eq!(client_usage, server_usage, "extraction {i}: {:?}", o[0]);
        accounted += client_usage;
    }
    assert_eq!(accounted, handed_out);
    assert_eq!(tries.load(Ordering::SeqCst), server.requests());

    let faults: Vec<(String, u64)> = KINDS
        .iter()
        .zip(&ledger.faults)
        .map(|(k, c)| (k.to_string(), c.load(Ordering::SeqCst)))
        .collect();
    let injected: u64 = faults.iter().map(|(_, c)| c).sum();
    eprintln!("load: {n} extractions, {in_flight} in flight, one client");
    eprintln!(
        "load: {} requests ({} connections), {injected} faults injected ({:.1}%)",
        server.requests(),
        server.connections(),
        100.0 * injected as f64 / server.requests() as f64
    );
    eprintln!("load: faults by kind: {faults:?}");
    eprintln!("load: outcomes: {by_variant:?} ({ok_after_reask} values after a re-ask)");
    eprintln!(
        "load: usage handed out {} tokens, accounted by results {} tokens; {unaccounted_tokens} \
         tokens in {unaccounted_extractions} errors that carry no usage",
        handed_out.total_tokens,
        handed_out.total_tokens - unaccounted_tokens
    );
    eprintln!(
        "load: wall {wall:.2?}, {:.0} extractions/s, peak RSS {} MiB",
        n as f64 / wall.as_secs_f64(),
        vm_hwm_kib().map_or(0, |k| k / 1024)
    );
    assert_eq!(by_variant.values().sum::<usize>(), n);
}
