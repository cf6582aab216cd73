//! The client: where requests go, with which key, dialect, model, mode, time limits and
//! retry policy. Made in `builder` (and `env`); sending is `transport`'s job; `entry` holds
//! the calls that start an extraction.

pub(crate) mod body;
mod builder;
mod entry;
mod env;
mod named;
pub(crate) mod transport;

pub use builder::ClientBuilder;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};

use crate::bill::{Ledger, Prices, UsageReport};
use crate::cache::Cache;
use crate::cassette::Cassette;
use crate::hooks::Hooks;
use crate::mode::Mode;
use crate::prompt::Prompting;
use crate::provider::{Dialect, Provider, Target};
use crate::retry::{Gate, RetryPolicy};
use crate::server::Server;

/// Anyscale Endpoints' OpenAI-compatible API.
pub const ANYSCALE_BASE_URL: &str = "https://api.endpoints.anyscale.com/v1";
/// OpenAI's API.
pub const OPENAI_BASE_URL: &str = "https://api.openai.com/v1";
/// Anthropic's API: the host alone, the Messages path (`/v1/messages`) is the dialect's.
pub const ANTHROPIC_BASE_URL: &str = "https://api.anthropic.com";
/// Google's Gemini API (Generative Language, `v1beta`: where `responseJsonSchema` and
/// `thoughtSignature` are), for [`Client::gemini`].
pub const GEMINI_BASE_URL: &str = "https://generativelanguage.googleapis.com/v1beta";
/// The token limit of an extraction whose request sets none
/// ([`ClientBuilder::default_max_tokens`]): room for large extractions, and a bound on a model
/// that repeats itself until the context is full.
pub const DEFAULT_MAX_TOKENS: u32 = 4096;
/// The default limit on a response body: 32 MiB.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 32 * 1024 * 1024;

/// A client for an OpenAI-compatible chat-completions endpoint.
///
/// Cheap to clone (one `Arc`), `Send + Sync`: share one across tasks. The API key is never
/// printed: `Debug` shows `[REDACTED]`, it is not recorded in tracing spans, and error
/// bodies that echo it are scrubbed.
///
/// ```no_run
/// # async fn run() -> Result<(), instructor_core::Error> {
/// let client = instructor_core::Client::anyscale(std::env::var("ANYSCALE_API_KEY").unwrap());
/// let client = instructor_core::Client::from_env()?; // INSTRUCTOR_BASE_URL, INSTRUCTOR_API_KEY, ...
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

/// The settings every request of a client shares.
#[derive(Clone)]
pub(crate) struct Inner {
    pub(crate) http: reqwest::Client,
    pub(crate) base_url: String,
    /// The endpoint of a dialect whose path does not depend on the model, parsed once
    /// (reqwest would parse a string again on every request).
    pub(crate) endpoint_url: reqwest::Url,
    pub(crate) api_key: Option<SecretString>,
    /// The header that carries the key, as the dialect writes it.
    pub(crate) auth: Option<(HeaderName, HeaderValue)>,
    /// The wire dialect requests are encoded in and replies decoded from.
    pub(crate) dialect: &'static dyn Dialect,
    /// The provider whose dialect it is.
    pub(crate) provider: Provider,
    /// The clients asked, in order, when this one fails at the transport.
    pub(crate) fallbacks: Vec<Client>,
    pub(crate) default_model: Option<String>,
    pub(crate) default_mode: Mode,
    pub(crate) server: Server,
    /// Chosen on the builder; else the server's default.
    pub(crate) prompting: Option<Prompting>,
    pub(crate) default_max_tokens: Option<u32>,
    /// Body fields written over every request's body.
    pub(crate) extra_body: serde_json::Map<String, serde_json::Value>,
    /// Whether the instructions and schema are marked for the provider's prompt cache.
    pub(crate) cache_prompt: bool,
    pub(crate) timeout: Option<Duration>,
    pub(crate) retry: RetryPolicy,
    pub(crate) headers: HeaderMap,
    pub(crate) max_response_bytes: usize,
    pub(crate) hooks: Hooks,
    /// The response cache every request of this client uses unless it chooses otherwise.
    pub(crate) cache: Option<Cache>,
    /// Set on the client of an `extract_many` batch: a 429 closes it, every request waits
    /// for it.
    pub(crate) gate: Option<Arc<Gate>>,
    /// The bill: every answer's tokens per model, and the prices. Shared by the clones of
    /// this client (and the clients made from it: `with_server`, `with_fallback`).
    pub(crate) ledger: Arc<Ledger>,
    /// Where exchanges are recorded to or replayed from, if anywhere.
    pub(crate) cassette: Option<Cassette>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        f.debug_struct("Client")
            .field("base_url", &i.base_url)
            .field("api_key", &i.api_key)
            .field("default_model", &i.default_model)
            .field("default_mode", &i.default_mode)
            .field("server", &i.server)
            .field("prompting", &i.prompting)
            .field("timeout", &i.timeout)
            .field("retry", &i.retry)
            .field("extra_headers", &i.headers.keys().collect::<Vec<_>>())
            .field("max_response_bytes", &i.max_response_bytes)
            .field("cassette", &i.cassette)
            .field("cache", &i.cache)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// The base URL (without `/chat/completions`).
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// The model used when a request names none.
    pub fn default_model(&self) -> Option<&str> {
        self.inner.default_model.as_deref()
    }

    /// The mode used when a request names none.
    pub fn default_mode(&self) -> Mode {
        self.inner.default_mode
    }

    /// The transport retry policy.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.inner.retry
    }

    /// What the system message says about the answer when a request does not choose: the
    /// builder's choice, else the server's default ([`Server::default_prompting`]).
    pub fn prompting(&self) -> Prompting {
        self.inner
            .prompting
            .unwrap_or_else(|| self.inner.server.default_prompting())
    }

    /// The kind of server this client sends to.
    pub fn server(&self) -> Server {
        self.inner.server
    }

    /// This client (same connection pool and settings) for a server of kind `server`: for
    /// example with what [`detect_server`](Self::detect_server) found.
    pub fn with_server(&self, server: Server) -> Client {
        let mut inner = (*self.inner).clone();
        inner.server = server;
        Client {
            inner: Arc::new(inner),
        }
    }

    /// What every body of this client is written for.
    pub(crate) fn target(&self) -> Target<'_> {
        Target {
            server: self.inner.server,
            max_tokens: self.inner.default_max_tokens,
            extra: &self.inner.extra_body,
            cache_prompt: self.inner.cache_prompt,
        }
    }

    /// This client (same connection pool and settings) with its own rate-limit gate.
    pub(crate) fn with_gate(&self, gate: Arc<Gate>) -> Client {
        let mut inner = (*self.inner).clone();
        inner.gate = Some(gate);
        Client {
            inner: Arc::new(inner),
        }
    }

    /// The provider this client speaks to.
    pub fn provider(&self) -> Provider {
        self.inner.provider
    }

    /// This client with `next` asked after it (and after the fallbacks it has) when an
    /// extraction fails at the transport: a connection error, a timeout, a 429 or a 5xx
    /// (Anthropic's 529 overloaded too) that the retry policy could not get past. Never
    /// when an answer fails validation: that is re-asking's job. The extraction starts
    /// again on `next`, with `next`'s default model and mode unless the request set a mode;
    /// [`Extraction::provider`](crate::Extraction::provider) says who answered and
    /// [`Extraction::fallbacks`](crate::Extraction::fallbacks) what failed before.
    ///
    /// Streams ([`Extract::stream_partial`](crate::Extract::stream_partial),
    /// [`Extract::stream_iter`](crate::Extract::stream_iter)) fall back the same way when
    /// their first request fails that way, before any event arrived. Never after: once
    /// partials or elements were delivered, a failure (mid-stream, or on a re-ask's
    /// request) is the stream's error, since the next client would answer anew.
    ///
    /// ```no_run
    /// # fn f() -> Result<(), instructor_core::Error> {
    /// use instructor_core::Client;
    /// let client = Client::from_provider("anthropic/claude-sonnet-4-5")?
    ///     .with_fallback(Client::from_provider("openai/gpt-4o-mini")?);
    /// # Ok(()) }
    /// ```
    pub fn with_fallback(&self, next: Client) -> Client {
        let mut inner = (*self.inner).clone();
        inner.fallbacks.push(next);
        Client {
            inner: Arc::new(inner),
        }
    }

    /// This client (same connection pool and settings) with `cache` for its requests'
    /// replies: for a client made by [`from_env`](Self::from_env) or a constructor. See
    /// [`ClientBuilder::cache`].
    pub fn with_cache(&self, cache: Cache) -> Client {
        let mut inner = (*self.inner).clone();
        inner.cache = Some(cache);
        Client {
            inner: Arc::new(inner),
        }
    }

    /// The clients asked after this one, in order.
    pub(crate) fn fallbacks(&self) -> &[Client] {
        &self.inner.fallbacks
    }

    /// The wire dialect of this client's provider.
    pub(crate) fn dialect(&self) -> &'static dyn Dialect {
        self.inner.dialect
    }

    /// The key, for scrubbing it out of what the provider echoes. Never log it.
    pub(crate) fn api_key(&self) -> Option<&str> {
        self.inner.api_key.as_ref().map(|k| k.expose_secret())
    }

    /// The request timeout; for a stream, the longest wait for its next chunk.
    pub(crate) fn request_timeout(&self) -> Option<Duration> {
        self.inner.timeout
    }

    /// The limit on the bytes of one response, streamed or not.
    pub(crate) fn max_response_bytes(&self) -> usize {
        self.inner.max_response_bytes
    }

    /// The client's hooks.
    pub(crate) fn hooks(&self) -> &Hooks {
        &self.inner.hooks
    }

    /// What this client's requests used so far, per model asked for, with their cost at
    /// the [`prices`](ClientBuilder::prices) given: the bill. Shared by the clones of this
    /// client and by the clients made from it ([`with_server`](Self::with_server),
    /// [`with_fallback`](Self::with_fallback)); the fallbacks themselves keep their own.
    /// Every answer is counted once, as it arrives (re-asked and rejected ones included),
    /// so concurrent extractions add up exactly.
    ///
    /// ```
    /// use instructor_core::bill::{Price, Prices};
    /// use instructor_core::Client;
    /// let client = Client::builder()
    ///     .base_url("http://127.0.0.1:8080/v1")
    ///     .prices(Prices::new().model("m", Price::per_million_tokens(0.15, 0.60)))
    ///     .build()?;
    /// let report = client.usage();
    /// assert_eq!(report.requests(), 0);
    /// assert_eq!(report.cost().map(|c| c.total()), Some(0.0));
    /// # Ok::<(), instructor_core::Error>(())
    /// ```
    pub fn usage(&self) -> UsageReport {
        self.inner.ledger.report()
    }

    /// The price table of this client ([`ClientBuilder::prices`]).
    pub fn prices(&self) -> &Prices {
        self.inner.ledger.prices()
    }

    /// The bill's ledger.
    pub(crate) fn ledger(&self) -> &Arc<Ledger> {
        &self.inner.ledger
    }

    /// The cassette this client records to or replays from.
    pub(crate) fn cassette(&self) -> Option<&Cassette> {
        self.inner.cassette.as_ref()
    }

    /// The response cache of this client's requests, if it has one.
    pub(crate) fn cache(&self) -> Option<&Cache> {
        self.inner.cache.as_ref()
    }
}

/// An environment of `pairs`, for the tests of `from_env` and `from_provider`.
#[cfg(test)]
pub(crate) fn test_env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: std::collections::HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |k| map.get(k).cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_the_key() {
        let c = Client::anyscale("esecret_abcdef");
        let d = format!("{c:?}");
        assert!(!d.contains("esecret_abcdef"), "{d}");
        assert!(d.contains("[REDACTED]"));
        let b = Client::builder().api_key("esecret_abcdef");
        assert!(!format!("{b:?}").contains("esecret_abcdef"));
    }
}
