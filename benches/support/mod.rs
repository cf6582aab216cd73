//! Shared by `benches/extraction.rs` (criterion) and `benches/probe.rs` (interleaved ratios,
//! callgrind, memory): the benchmark types, an in-process chat-completions server that answers
//! instantly with fixed bodies, and the "bare reqwest" baseline the SDK is compared with.
#![allow(dead_code)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use instructor::{Client, Instructor};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

pub const MODEL: &str = "bench-model";
pub const SYSTEM: &str = "You are a world class extractor";
pub const USER: &str = r#"Extract the following entities: "Jason is 20""#;
/// What the SDK's re-ask message starts with; the server answers it with a valid reply.
pub const REASK_MARKER: &[u8] = b"Your answer has ";

// ---------------------------------------------------------------------------------------------
// Types

/// A person mentioned in the text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Instructor, garde::Validate)]
pub struct UserDetails {
    /// The person's first name.
    #[garde(length(min = 1))]
    pub name: String,
    /// Age in whole years.
    #[garde(range(max = 150))]
    pub age: u8,
}

/// A large, nested type: 32 fields over four structs, two lists of 100 items.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Instructor, garde::Validate)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// The report's title.
    #[garde(length(min = 1, max = 200))]
    pub title: String,
    #[garde(length(min = 1))]
    pub author: String,
    #[garde(skip)]
    pub summary: String,
    #[garde(range(min = 1900, max = 2100))]
    pub year: u16,
    #[garde(range(min = 1, max = 12))]
    pub month: u8,
    #[garde(skip)]
    pub draft: bool,
    #[garde(range(min = 0.0, max = 1.0))]
    pub confidence: f64,
    #[garde(skip)]
    pub currency: String,
    #[garde(skip)]
    pub region: String,
    #[garde(skip)]
    pub reviewer: Option<String>,
    #[garde(range(max = 1000))]
    pub page_count: u32,
    #[garde(dive)]
    pub customer: Customer,
    #[garde(length(max = 500), dive)]
    pub line_items: Vec<LineItem>,
    #[garde(length(max = 500))]
    pub tags: Vec<String>,
}

/// Who the report is about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Instructor, garde::Validate)]
#[serde(rename_all = "camelCase")]
pub struct Customer {
    #[garde(length(min = 1))]
    pub name: String,
    #[garde(email)]
    pub email: String,
    #[garde(skip)]
    pub phone: Option<String>,
    #[garde(range(max = 150))]
    pub age: u8,
    #[garde(skip)]
    pub vip: bool,
    #[garde(dive)]
    pub address: Address,
}

/// A postal address.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Instructor, garde::Validate)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    #[garde(length(min = 1))]
    pub street: String,
    #[garde(length(min = 1))]
    pub city: String,
    #[garde(length(min = 2, max = 2))]
    pub country: String,
    #[garde(skip)]
    pub postcode: String,
    #[garde(skip)]
    pub region: Option<String>,
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Instructor, garde::Validate)]
#[serde(rename_all = "camelCase")]
pub struct LineItem {
    #[garde(length(min = 1, max = 100))]
    pub sku: String,
    #[garde(length(min = 1))]
    pub description: String,
    #[garde(range(min = 1, max = 10000))]
    pub quantity: u32,
    #[garde(range(min = 0.0))]
    pub unit_price: f64,
    #[garde(skip)]
    pub discount: Option<f64>,
    #[garde(skip)]
    pub taxable: bool,
}

pub fn sample_report() -> Report {
    Report {
        title: "Quarterly purchases".into(),
        author: "Ada Lovelace".into(),
        summary: "Everything bought by the customer this quarter, line by line.".into(),
        year: 2024,
        month: 6,
        draft: false,
        confidence: 0.93,
        currency: "EUR".into(),
        region: "EMEA".into(),
        reviewer: Some("Grace Hopper".into()),
        page_count: 12,
        customer: Customer {
            name: "Jason".into(),
            email: "jason@example.com".into(),
            phone: None,
            age: 20,
            vip: true,
            address: Address {
                street: "1 Main Street".into(),
                city: "Springfield".into(),
                country: "US".into(),
                postcode: "12345".into(),
                region: None,
            },
        },
        line_items: (0..100)
            .map(|i| LineItem {
                sku: format!("SKU-{i:05}"),
                description: format!("Item number {i}, a \"quoted\" widget"),
                quantity: 1 + i % 7,
                unit_price: 9.99 + f64::from(i),
                discount: (i % 3 == 0).then_some(0.1),
                taxable: i % 2 == 0,
            })
            .collect(),
        tags: (0..100).map(|i| format!("tag-{i}")).collect(),
    }
}

// ---------------------------------------------------------------------------------------------
// Canned replies

/// A chat completion whose message content is `content`.
pub fn completion_body(content: &str) -> Bytes {
    Bytes::from(
        serde_json::to_vec(&json!({
            "id": "chatcmpl-bench",
            "object": "chat.completion",
            "created": 1_700_000_000u64,
            "model": MODEL,
            "choices": [{
                "index": 0,
                "message": { "role": "assistant", "content": content },
                "finish_reason": "stop"
            }],
            "usage": { "prompt_tokens": 90, "completion_tokens": 12, "total_tokens": 102 }
        }))
        .unwrap(),
    )
}

pub struct Replies {
    pub small: Bytes,
    pub invalid: Bytes,
    pub large: Bytes,
}

impl Replies {
    pub fn new() -> Self {
        Self {
            small: completion_body(r#"{"name":"Jason","age":20}"#),
            invalid: completion_body(r#"{"name":"Jason","age":200}"#),
            large: completion_body(&serde_json::to_string(&sample_report()).unwrap()),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The server

/// Routes, by the path prefix of the base URL (`http://ADDR/<route>/v1`):
///
/// - `small`: the `UserDetails` reply;
/// - `large`: the `Report` reply;
/// - `reask`: an invalid `UserDetails` (age 200), unless the request carries the re-ask
///   message, then a valid one;
/// - `slow`: the `UserDetails` reply after 200 ms (keeps many requests in flight);
/// - `limited`: every 50th request answers 429 with `Retry-After: 0.05`.
pub struct ServerState {
    replies: Replies,
    requests: AtomicUsize,
    in_flight: AtomicUsize,
    pub max_in_flight: AtomicUsize,
}

async fn handle(
    req: Request<Incoming>,
    st: Arc<ServerState>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let route = req
        .uri()
        .path()
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or("")
        .to_owned();
    let n = st.requests.fetch_add(1, Ordering::Relaxed);
    let now = st.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    st.max_in_flight.fetch_max(now, Ordering::SeqCst);
    let body = match req.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => Bytes::new(),
    };
    let r = &st.replies;
    let mut status = StatusCode::OK;
    let reply = match route.as_str() {
        "large" => r.large.clone(),
        "reask" if contains(&body, REASK_MARKER) => r.small.clone(),
        "reask" => r.invalid.clone(),
        "slow" => {
            tokio::time::sleep(Duration::from_millis(200)).await;
            r.small.clone()
        }
        "limited" if n % 50 == 49 => {
            status = StatusCode::TOO_MANY_REQUESTS;
            Bytes::from_static(br#"{"error":{"message":"slow down","type":"rate_limit"}}"#)
        }
        _ => r.small.clone(),
    };
    st.in_flight.fetch_sub(1, Ordering::SeqCst);
    let mut resp = Response::new(Full::new(reply));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    if status == StatusCode::TOO_MANY_REQUESTS {
        resp.headers_mut().insert(
            hyper::header::RETRY_AFTER,
            hyper::header::HeaderValue::from_static("0.05"),
        );
    }
    Ok(resp)
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Serves on `listener` forever (on the current runtime).
pub async fn serve(listener: tokio::net::TcpListener, st: Arc<ServerState>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let st = st.clone();
        tokio::spawn(async move {
            let svc = service_fn(move |req| handle(req, st.clone()));
            let _ = http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        });
    }
}

pub fn new_state() -> Arc<ServerState> {
    Arc::new(ServerState {
        replies: Replies::new(),
        requests: AtomicUsize::new(0),
        in_flight: AtomicUsize::new(0),
        max_in_flight: AtomicUsize::new(0),
    })
}

/// Starts the server on its own thread and single-threaded runtime (so the client's runtime
/// is the one being measured) and returns its address.
pub fn start_server() -> (SocketAddr, Arc<ServerState>) {
    let st = new_state();
    let st2 = st.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("bench-server".into())
        .spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                tx.send(listener.local_addr().unwrap()).unwrap();
                serve(listener, st2).await;
            });
        })
        .unwrap();
    (rx.recv().unwrap(), st)
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

pub async fn sdk_small(client: &Client) -> UserDetails {
    client
        .extract::<UserDetails>()
        .system(SYSTEM)
        .user(USER)
        .send()
        .await
        .unwrap()
}

pub async fn sdk_large(client: &Client) -> Report {
    client
        .extract::<Report>()
        .system(SYSTEM)
        .user(USER)
        .send()
        .await
        .unwrap()
}

pub async fn sdk_reask(client: &Client) -> UserDetails {
    client
        .extract::<UserDetails>()
        .system(SYSTEM)
        .user(USER)
        .max_retries(1)
        .send()
        .await
        .unwrap()
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

/// Peak resident set size of this process (`VmHWM`), in KiB.
pub fn vm_hwm_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}
