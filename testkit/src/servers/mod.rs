//! The servers the client is run against, all on 127.0.0.1, and a client pointed at any of
//! them. Three, because each does what the others cannot:
//!
//! - [`mock`]: wiremock, for exact request bodies, replies in order, and answers looked up
//!   from a recording (the evals' replay);
//! - [`fault`]: raw sockets, for what a well-behaved server cannot do (resets, stalls, bytes
//!   that are not HTTP); scripted by a handler, it is also the benchmarks' instant server;
//! - [`lockstep`]: one event of a stream each time the test asks for one.
//!
//! [`batch_api`] plays OpenAI's Files/Batches and Anthropic's Message Batches APIs (stateful,
//! on wiremock).
//!
//! `http` has the hand-written HTTP/1.1 the last two share; [`routes`] is the fault
//! server's script for the benchmarks.

pub mod batch_api;
pub mod fault;
mod http;
pub mod lockstep;
pub mod mock;
pub mod routes;

use std::time::Duration;

use instructor::{
    Client, ClientBuilder, Error, Extract, Extraction, Instructor, Prompting, RetryPolicy, ToolSet,
};
use wiremock::MockServer;

use super::KEY;

/// A server's `/v1` base URL.
pub trait Endpoint {
    /// `http://127.0.0.1:PORT/v1`.
    fn base(&self) -> String;
}

impl Endpoint for MockServer {
    fn base(&self) -> String {
        format!("{}/v1", self.uri())
    }
}

impl Endpoint for fault::FaultServer {
    fn base(&self) -> String {
        fault::FaultServer::base(self)
    }
}

impl Endpoint for lockstep::Lockstep {
    fn base(&self) -> String {
        lockstep::Lockstep::base(self)
    }
}

/// A port on 127.0.0.1 that nothing listens on.
pub struct NothingListening(u16);

impl NothingListening {
    /// Binds a port, notes it and lets it go.
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        Self(l.local_addr().unwrap().port())
    }
}

impl Endpoint for NothingListening {
    fn base(&self) -> String {
        format!("http://127.0.0.1:{}/v1", self.0)
    }
}

/// Fast transport retries (the default count), so tests that exercise them take
/// milliseconds.
pub fn fast_retries() -> RetryPolicy {
    RetryPolicy::default().with_delays(Duration::from_millis(1), Duration::from_millis(2))
}

/// The tests' client configuration, to add to: the key, model `test-model`, fast retries,
/// and `Prompting::Plain`, so that the pinned request bodies hold the mode's pieces and the
/// caller's messages alone (the default prompting has its own tests in `client_modes.rs`).
pub fn builder(server: &impl Endpoint) -> ClientBuilder {
    Client::builder()
        .base_url(server.base())
        .api_key(KEY)
        .default_model("test-model")
        .retry_policy(fast_retries())
        .prompting(Prompting::Plain)
}

/// [`builder`], built.
pub fn client(server: &impl Endpoint) -> Client {
    builder(server).build().unwrap()
}

/// The request most tests send: [`client`]`(server).extract::<T>().user(text)` with `reasks`
/// re-asks allowed. Add the mode, `send_with_extraction`, ... to it; a system message must
/// come before the user's, so a test that sends one writes its request out.
pub fn ask<T: Instructor>(server: &impl Endpoint, text: &str, reasks: u32) -> Extract<T> {
    client(server).extract::<T>().user(text).max_retries(reasks)
}

/// [`ask`] for parallel tool calls: `client(server).tool_calls::<E>()`.
pub fn ask_tools<E: ToolSet>(server: &impl Endpoint, text: &str, reasks: u32) -> Extract<Vec<E>> {
    client(server)
        .tool_calls::<E>()
        .user(text)
        .max_retries(reasks)
}

/// What `client` extracts as a `T` from the one user message `text`, with its extraction.
pub async fn extracted<T>(client: &Client, text: &str) -> Result<(T, Extraction), Error>
where
    T: Instructor + serde::de::DeserializeOwned + Send + 'static,
    T::Context: Default,
{
    client
        .extract::<T>()
        .user(text)
        .send_with_extraction()
        .await
}

/// Sends `request`, checks it extracts [`jason`](crate::jason), and returns its extraction.
pub async fn jason_from(request: Extract<crate::UserDetails>) -> Extraction {
    let (user, extraction) = request.send_with_extraction().await.unwrap();
    assert_eq!(user, crate::jason());
    extraction
}
