//! A fault-injecting OpenAI-compatible server for the reliability tests: a small HTTP/1.1
//! server on 127.0.0.1 over raw tokio sockets, so it can do what a well-behaved server
//! (wiremock) cannot: close the connection before the headers, send half a body and reset,
//! stall, stream a 100 MB body without allocating it, send bytes that are not UTF-8.
//!
//! Every request is answered by a handler `Fn(&Request, n) -> Fault` (`n`: the request's
//! 0-based number on this server). The server counts requests, connections, connections the
//! client closed, body bytes written and the most requests in flight at once, so tests assert
//! what the client did, not how long it took.
//!
//! The benchmarks run it too, on a thread and runtime of its own
//! ([`FaultServer::on_own_thread`]), so that the client's runtime is the one measured.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub use super::http::Request;
use super::http::{chunk, head, json_ct, read_request, reset, write, SSE_HEAD};
use crate::replies::{content_reply, usage};
use crate::sse::Sse;
use crate::types::JASON;

/// How long a stalling connection waits for the client to go away before it gives up by
/// itself (so a test that forgets a timeout still ends).
pub const STALL_LIMIT: Duration = Duration::from_secs(30);

/// What the server does with one request.
#[derive(Debug, Clone)]
pub enum Fault {
    /// A complete response with `Content-Length`; the connection stays open.
    #[allow(missing_docs)]
    Reply {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// Reads the request and closes the connection without a byte of response.
    CloseBeforeHeaders,
    /// Status line and headers (with the full `Content-Length`), half the body, then a TCP
    /// reset.
    #[allow(missing_docs)]
    HalfBodyThenReset { status: u16, body: Vec<u8> },
    /// Never answers; waits for the client to close (or [`STALL_LIMIT`]).
    StallBeforeHeaders,
    /// Headers and half the body, then waits for the client to close.
    #[allow(missing_docs)]
    StallMidBody { body: Vec<u8> },
    /// A 200 whose body is `len` bytes of a JSON-looking prefix and spaces, written in 64 KiB
    /// pieces from one static buffer (never allocated whole). With `content_length` the size
    /// is announced; without it the body is chunked.
    #[allow(missing_docs)]
    Huge { len: u64, content_length: bool },
    /// These exact bytes, then close (malformed HTTP).
    Raw(Vec<u8>),
    /// A `text/event-stream` response: each event's bytes written and flushed in order (the
    /// caller writes the `data: ...\n\n` framing), then, per `end`, finish or stall or reset.
    #[allow(missing_docs)]
    Sse { events: Vec<Vec<u8>>, end: SseEnd },
    /// Waits `.0`, then does `.1` (keeps requests in flight).
    Delayed(Duration, Box<Fault>),
}

/// How a [`Fault::Sse`] body ends after its events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SseEnd {
    /// Terminate the chunked body cleanly.
    Finish,
    /// Keep the connection open without another byte.
    Stall,
    /// Reset the connection.
    Reset,
}

impl Fault {
    /// `body` as JSON with `status`.
    pub fn json(status: u16, body: &Value) -> Self {
        Fault::Reply {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: serde_json::to_vec(body).unwrap(),
        }
    }

    /// `body` as JSON with 200.
    pub fn ok(body: &Value) -> Self {
        Self::json(200, body)
    }

    /// These body bytes (labelled JSON, whatever they are) with `status`.
    pub fn bytes(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Fault::Reply {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.into(),
        }
    }

    /// An OpenAI-shaped error body (`injected <status>`) with `status`.
    pub fn status(status: u16) -> Self {
        Self::json(
            status,
            &json!({ "error": { "message": format!("injected {status}"), "type": "server_error" } }),
        )
    }

    /// A finished event stream of `sse`'s events.
    pub fn sse(sse: Sse) -> Self {
        Self::sse_ending(sse, SseEnd::Finish)
    }

    /// An event stream of `sse`'s events that ends per `end`.
    pub fn sse_ending(sse: Sse, end: SseEnd) -> Self {
        Fault::Sse {
            events: sse.events(),
            end,
        }
    }

    /// One more header on a [`Fault::Reply`] (other faults ignore it).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        if let Fault::Reply { headers, .. } = &mut self {
            headers.push((name.into(), value.into()));
        }
        self
    }
}

type Handler = dyn Fn(&Request, usize) -> Fault + Send + Sync;

/// What a server counted, shared with the test.
#[derive(Default)]
pub struct Stats {
    /// Requests read whole.
    pub requests: AtomicUsize,
    /// Connections accepted.
    pub connections: AtomicUsize,
    /// Connections on which the client went away first (EOF or reset seen while the
    /// server stalled or wrote).
    pub closed_by_client: AtomicUsize,
    /// Connections whose task has ended, for whatever reason.
    pub finished: AtomicUsize,
    /// Body bytes written (the head not counted).
    pub body_bytes_written: AtomicU64,
    /// Requests read and not yet answered.
    pub in_flight: AtomicUsize,
    /// The most requests in flight at once.
    pub max_in_flight: AtomicUsize,
}

/// A running fault server; dropping it stops accepting connections.
pub struct FaultServer {
    /// Where it listens.
    pub addr: std::net::SocketAddr,
    /// What it counted.
    pub stats: Arc<Stats>,
    /// Every request read, in order (unless started with `keep_log: false`).
    pub log: Arc<Mutex<Vec<Request>>>,
    accept: tokio::task::JoinHandle<()>,
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

impl FaultServer {
    /// Starts a server on 127.0.0.1 answering with `handler`.
    pub async fn start(handler: impl Fn(&Request, usize) -> Fault + Send + Sync + 'static) -> Self {
        Self::start_with(handler, true).await
    }

    /// Like [`start`](Self::start); `keep_log: false` does not keep the requests (load test).
    pub async fn start_with(
        handler: impl Fn(&Request, usize) -> Fault + Send + Sync + 'static,
        keep_log: bool,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let stats = Arc::new(Stats::default());
        let log = Arc::new(Mutex::new(Vec::new()));
        let accept = tokio::spawn(accept_loop(
            listener,
            Arc::new(handler),
            stats.clone(),
            log.clone(),
            keep_log,
        ));
        FaultServer {
            addr,
            stats,
            log,
            accept,
        }
    }

    /// Serves on `listener` until the runtime ends, keeping no log (the benchmarks' server).
    pub async fn serve(
        listener: TcpListener,
        handler: impl Fn(&Request, usize) -> Fault + Send + Sync + 'static,
        stats: Arc<Stats>,
    ) {
        let log = Arc::new(Mutex::new(Vec::new()));
        accept_loop(listener, Arc::new(handler), stats, log, false).await;
    }

    /// Starts a server on 127.0.0.1 on a thread and single-threaded runtime of its own, for
    /// as long as the process runs; returns its address and counters.
    pub fn on_own_thread(
        handler: impl Fn(&Request, usize) -> Fault + Send + Sync + 'static,
    ) -> (std::net::SocketAddr, Arc<Stats>) {
        let stats = Arc::new(Stats::default());
        let st = stats.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("kit-server".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async move {
                    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
                    tx.send(listener.local_addr().unwrap()).unwrap();
                    Self::serve(listener, handler, st).await;
                });
            })
            .unwrap();
        (rx.recv().unwrap(), stats)
    }

    /// Answers the n-th request with `script[n]`, and every later one with `then`.
    pub async fn script(script: Vec<Fault>, then: Fault) -> Self {
        Self::start(move |_, n| script.get(n).cloned().unwrap_or_else(|| then.clone())).await
    }

    /// Answers every request with `fault`.
    pub async fn always(fault: Fault) -> Self {
        Self::start(move |_, _| fault.clone()).await
    }

    /// The `/v1` base URL.
    pub fn base(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// [`Stats::requests`] now.
    pub fn requests(&self) -> usize {
        self.stats.requests.load(Ordering::SeqCst)
    }

    /// [`Stats::connections`] now.
    pub fn connections(&self) -> usize {
        self.stats.connections.load(Ordering::SeqCst)
    }

    /// [`Stats::closed_by_client`] now.
    pub fn closed_by_client(&self) -> usize {
        self.stats.closed_by_client.load(Ordering::SeqCst)
    }

    /// [`Stats::finished`] now.
    pub fn finished(&self) -> usize {
        self.stats.finished.load(Ordering::SeqCst)
    }

    /// [`Stats::body_bytes_written`] now.
    pub fn body_bytes_written(&self) -> u64 {
        self.stats.body_bytes_written.load(Ordering::SeqCst)
    }

    /// Waits (a bounded number of short sleeps) until `f` holds; returns whether it did.
    pub async fn eventually(&self, f: impl Fn(&Self) -> bool) -> bool {
        for _ in 0..1000 {
            if f(self) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        f(self)
    }
}

async fn accept_loop(
    listener: TcpListener,
    handler: Arc<Handler>,
    stats: Arc<Stats>,
    log: Arc<Mutex<Vec<Request>>>,
    keep_log: bool,
) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        stats.connections.fetch_add(1, Ordering::SeqCst);
        let (s, l, h) = (stats.clone(), log.clone(), handler.clone());
        tokio::spawn(async move {
            serve(stream, &s, &l, &*h, keep_log).await;
            s.finished.fetch_add(1, Ordering::SeqCst);
        });
    }
}

async fn serve(
    mut stream: TcpStream,
    stats: &Stats,
    log: &Mutex<Vec<Request>>,
    handler: &Handler,
    keep_log: bool,
) {
    let _ = stream.set_nodelay(true);
    let mut buf = Vec::with_capacity(8192);
    loop {
        let req = match read_request(&mut stream, &mut buf).await {
            Some(r) => r,
            None => return,
        };
        let n = stats.requests.fetch_add(1, Ordering::SeqCst);
        let now = stats.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        stats.max_in_flight.fetch_max(now, Ordering::SeqCst);
        let mut fault = handler(&req, n);
        if keep_log {
            log.lock().unwrap().push(req);
        }
        while let Fault::Delayed(pause, then) = fault {
            tokio::time::sleep(pause).await;
            fault = *then;
        }
        stats.in_flight.fetch_sub(1, Ordering::SeqCst);
        match fault {
            Fault::Reply {
                status,
                headers,
                body,
            } => {
                let head = head(status, &headers, Some(body.len() as u64));
                if write(&mut stream, &head).await.is_err()
                    || write(&mut stream, &body).await.is_err()
                {
                    stats.closed_by_client.fetch_add(1, Ordering::SeqCst);
                    return;
                }
                stats
                    .body_bytes_written
                    .fetch_add(body.len() as u64, Ordering::SeqCst);
            }
            Fault::CloseBeforeHeaders => return,
            Fault::HalfBodyThenReset { status, body } => {
                let head = head(status, &json_ct(), Some(body.len() as u64));
                let half = &body[..body.len() / 2];
                let _ = write(&mut stream, &head).await;
                let _ = write(&mut stream, half).await;
                stats
                    .body_bytes_written
                    .fetch_add(half.len() as u64, Ordering::SeqCst);
                reset(stream);
                return;
            }
            Fault::StallBeforeHeaders => {
                wait_for_close(&mut stream, stats).await;
                return;
            }
            Fault::StallMidBody { body } => {
                let head = head(200, &json_ct(), Some(body.len() as u64));
                let half = &body[..body.len() / 2];
                if write(&mut stream, &head).await.is_ok() && write(&mut stream, half).await.is_ok()
                {
                    stats
                        .body_bytes_written
                        .fetch_add(half.len() as u64, Ordering::SeqCst);
                    wait_for_close(&mut stream, stats).await;
                } else {
                    stats.closed_by_client.fetch_add(1, Ordering::SeqCst);
                }
                return;
            }
            Fault::Huge {
                len,
                content_length,
            } => {
                if !huge(&mut stream, stats, len, content_length).await {
                    stats.closed_by_client.fetch_add(1, Ordering::SeqCst);
                    return;
                }
            }
            Fault::Delayed(..) => unreachable!("unwrapped above"),
            Fault::Raw(bytes) => {
                let _ = write(&mut stream, &bytes).await;
                return;
            }
            Fault::Sse { events, end } => {
                if write(&mut stream, SSE_HEAD).await.is_err() {
                    stats.closed_by_client.fetch_add(1, Ordering::SeqCst);
                    return;
                }
                for e in events.iter().filter(|e| !e.is_empty()) {
                    if write(&mut stream, &chunk(e)).await.is_err() {
                        stats.closed_by_client.fetch_add(1, Ordering::SeqCst);
                        return;
                    }
                    stats
                        .body_bytes_written
                        .fetch_add(e.len() as u64, Ordering::SeqCst);
                }
                match end {
                    SseEnd::Finish => {
                        if write(&mut stream, b"0\r\n\r\n").await.is_err() {
                            return;
                        }
                    }
                    SseEnd::Stall => {
                        wait_for_close(&mut stream, stats).await;
                        return;
                    }
                    SseEnd::Reset => {
                        reset(stream);
                        return;
                    }
                }
            }
        }
    }
}

async fn wait_for_close(stream: &mut TcpStream, stats: &Stats) {
    let mut tmp = [0u8; 1024];
    let closed = tokio::time::timeout(STALL_LIMIT, async {
        loop {
            match stream.read(&mut tmp).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await;
    if closed.is_ok() {
        stats.closed_by_client.fetch_add(1, Ordering::SeqCst);
    }
}

static SPACES: [u8; 64 * 1024] = [b' '; 64 * 1024];

/// Writes a 200 with a `len`-byte body; false when the client went away first.
async fn huge(stream: &mut TcpStream, stats: &Stats, len: u64, content_length: bool) -> bool {
    let head = head(200, &json_ct(), content_length.then_some(len));
    if write(stream, &head).await.is_err() {
        return false;
    }
    let mut left = len;
    while left > 0 {
        let n = left.min(SPACES.len() as u64) as usize;
        let piece = &SPACES[..n];
        let ok = if content_length {
            stream.write_all(piece).await.is_ok()
        } else {
            stream.write_all(&chunk(piece)).await.is_ok()
        };
        if !ok {
            return false;
        }
        stats
            .body_bytes_written
            .fetch_add(n as u64, Ordering::SeqCst);
        left -= n as u64;
    }
    if !content_length && stream.write_all(b"0\r\n\r\n").await.is_err() {
        return false;
    }
    stream.flush().await.is_ok()
}

/// The usual good answer (Jason, 20).
pub fn ok_reply() -> Fault {
    Fault::ok(&content_reply(JASON, usage(10, 5)))
}
