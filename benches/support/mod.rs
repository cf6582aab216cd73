//! Shared by `benches/extraction.rs` (criterion) and `benches/probe.rs` (interleaved ratios,
//! callgrind, memory): the benchmark server (the kit's fault server with the kit's
//! `servers::routes`, answering instantly with fixed bodies), the runtimes and timing loops both benches use, and the
//! "bare reqwest" baseline the SDK is compared with. The types and the reply bodies are the
//! test kit's. The benches that take arguments (`probe`, `batch_results`) read them with
//! [`bench_args`].
#![allow(dead_code)]

use std::future::Future;
use std::hint::black_box;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use instructor::{Client, Instructor};
pub use instructor_testkit::servers::fault::{FaultServer, Stats};
pub use instructor_testkit::servers::routes::routes;
// The seed's type with its docs, as the figures in docs/performance.md were measured.
pub use instructor_testkit::types::{Report, SeedUser as UserDetails};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

pub const MODEL: &str = "bench-model";
pub const SYSTEM: &str = "You are a world class extractor";
pub const USER: &str = r#"Extract the following entities: "Jason is 20""#;
/// The bench's own arguments: the command line after the program's name, without the
/// `--bench` flag that `cargo bench` passes.
pub fn bench_args() -> Vec<String> {
    std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The server

/// Starts the server on its own thread and single-threaded runtime (so the client's runtime
/// is the one being measured) and returns its address.
pub fn start_server() -> (SocketAddr, Arc<Stats>) {
    FaultServer::on_own_thread(routes())
}

// ---------------------------------------------------------------------------------------------
// Runtimes and timing loops

/// A single-threaded runtime (sequential cases).
pub fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// A runtime with two workers (cases with many extractions in flight).
pub fn multi_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Times `iters` sequential runs of `f` on `rt`.
pub fn seq<F, Fut, O>(rt: &tokio::runtime::Runtime, iters: u64, f: F) -> Duration
where
    F: Fn() -> Fut,
    Fut: Future<Output = O>,
{
    rt.block_on(async {
        let start = Instant::now();
        for _ in 0..iters {
            black_box(f().await);
        }
        start.elapsed()
    })
}

/// `tasks` tasks on the current runtime, each running `op` `each` times in a row on its own
/// clone of `target` (a client: an `Arc` inside), all awaited.
pub async fn in_flight<T, F, Fut>(target: &T, tasks: usize, each: usize, op: F)
where
    T: Clone + Send + 'static,
    F: Fn(T) -> Fut + Clone + Send + 'static,
    Fut: Future + Send,
    Fut::Output: Send,
{
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..tasks {
        let (target, op) = (target.clone(), op.clone());
        set.spawn(async move {
            for _ in 0..each {
                black_box(op(target.clone()).await);
            }
        });
    }
    while set.join_next().await.is_some() {}
}

// ---------------------------------------------------------------------------------------------
// The SDK and the baseline

/// The SDK client for one route: no transport retries, so both sides send exactly one POST;
/// `Prompting::Plain`, so both send the same messages.
pub fn sdk_client(addr: SocketAddr, route: &str) -> Client {
    Client::builder()
        .base_url(format!("http://{addr}/{route}/v1"))
        .default_model(MODEL)
        .prompting(instructor::Prompting::Plain)
        .no_transport_retries()
        .build()
        .unwrap()
}

/// The benchmark's request for `T`: the system message and the user message.
pub fn sdk_request<T: Instructor>(client: &Client) -> instructor::Extract<T> {
    client.extract::<T>().system(SYSTEM).user(USER)
}

/// Case 1: one small extraction.
pub async fn sdk_small(client: &Client) -> UserDetails {
    sdk_request(client).send().await.unwrap()
}

/// Case 3: the large type.
pub async fn sdk_large(client: &Client) -> Report {
    sdk_request(client).send().await.unwrap()
}

/// Case 5: an invalid answer, one re-ask, a valid answer.
pub async fn sdk_reask(client: &Client) -> UserDetails {
    sdk_request(client).max_retries(1).send().await.unwrap()
}

/// The SDK client and the bare baseline for `T`, both on `route`.
pub fn sides<T: Instructor>(addr: SocketAddr, route: &str) -> (Client, Bare) {
    (sdk_client(addr, route), Bare::new::<T>(addr, route))
}

/// The same requests without the SDK: a typed body serialized with `serde_json::to_vec`
/// (the schema built once, as a hand-written client would), one POST with reqwest, the
/// response read with `serde_json::from_slice` into typed structs, and the message content
/// parsed into the target type.
pub struct Bare {
    http: reqwest::Client,
    url: String,
    response_format: Value,
}

#[derive(Serialize)]
struct BareRequest<'a> {
    model: &'a str,
    messages: &'a [BareMessage],
    response_format: &'a Value,
}

#[derive(Serialize, Clone)]
struct BareMessage {
    role: &'static str,
    content: String,
}

#[derive(Deserialize)]
struct BareCompletion {
    #[allow(dead_code)]
    id: String,
    #[allow(dead_code)]
    model: String,
    choices: Vec<BareChoice>,
    #[allow(dead_code)]
    usage: Option<BareUsage>,
}

#[derive(Deserialize)]
struct BareChoice {
    message: BareResponseMessage,
    #[allow(dead_code)]
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct BareResponseMessage {
    content: Option<String>,
}

#[derive(Deserialize)]
struct BareUsage {
    #[allow(dead_code)]
    prompt_tokens: u64,
    #[allow(dead_code)]
    completion_tokens: u64,
}

impl Bare {
    pub fn new<T: Instructor>(addr: SocketAddr, route: &str) -> Self {
        Self {
            http: reqwest::Client::new(),
            url: format!("http://{addr}/{route}/v1/chat/completions"),
            response_format: json!({ "type": "json_object", "schema": T::json_schema() }),
        }
    }

    async fn post<T: serde::de::DeserializeOwned>(&self, messages: &[BareMessage]) -> (T, String) {
        let body = serde_json::to_vec(&BareRequest {
            model: MODEL,
            messages,
            response_format: &self.response_format,
        })
        .unwrap();
        let resp = self
            .http
            .post(&self.url)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let bytes = resp.bytes().await.unwrap();
        let completion: BareCompletion = serde_json::from_slice(&bytes).unwrap();
        let content = completion
            .choices
            .into_iter()
            .next()
            .unwrap()
            .message
            .content
            .unwrap();
        (serde_json::from_str(&content).unwrap(), content)
    }

    fn first_messages() -> Vec<BareMessage> {
        vec![
            BareMessage {
                role: "system",
                content: SYSTEM.into(),
            },
            BareMessage {
                role: "user",
                content: USER.into(),
            },
        ]
    }

    /// One extraction (cases 1-3).
    pub async fn extract<T: serde::de::DeserializeOwned>(&self) -> T {
        self.post::<T>(&Self::first_messages()).await.0
    }

    /// An invalid answer, then a valid one after sending the errors back (case 5): the bare
    /// side validates with garde and builds the same two extra messages.
    pub async fn reask(&self) -> UserDetails {
        let mut messages = Self::first_messages();
        let (first, content): (UserDetails, String) = self.post(&messages).await;
        let errors = garde::Validate::validate(&first).unwrap_err();
        messages.push(BareMessage {
            role: "assistant",
            content,
        });
        messages.push(BareMessage {
            role: "user",
            content: format!(
                "Your answer has an error:\n{errors}\n\nReply with the whole corrected JSON: fix every error and keep the rest as it was."
            ),
        });
        let (second, _): (UserDetails, String) = self.post(&messages).await;
        garde::Validate::validate(&second).unwrap();
        second
    }
}
