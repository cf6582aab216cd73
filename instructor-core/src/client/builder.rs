//! Making a client: the constructors for known providers and the builder behind them, which
//! checks the configuration (URL, key over plain http, headers) once.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, AUTHORIZATION};
use secrecy::{ExposeSecret, SecretString};

use super::{
    Client, Inner, ANTHROPIC_BASE_URL, ANYSCALE_BASE_URL, DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_MAX_TOKENS, GEMINI_BASE_URL, OPENAI_BASE_URL,
};
use crate::bill::{Ledger, Prices};
use crate::cache::Cache;
use crate::cassette::Cassette;
use crate::error::Error;
use crate::hooks::{Hooks, RequestEvent, ResponseEvent};
use crate::mode::Mode;
use crate::prompt::Prompting;
use crate::provider::{add_extra, Provider};
use crate::retry::RetryPolicy;
use crate::server::Server;
use crate::setters::setters;

impl Client {
    /// A client for Anyscale Endpoints, in Anyscale's own form,
    /// [`Mode::JsonObjectSchema`].
    ///
    /// Anyscale's public Endpoints API closed on 1 August 2024; Anyscale's platform now
    /// serves models with vLLM, which reads [`Mode::JsonSchema`]. Use
    /// [`openai_compatible`](Self::openai_compatible) for such a deployment. The form itself
    /// lives on in llama.cpp's server (and, per its older docs, Together).
    ///
    /// # Panics
    /// If the TLS backend cannot be initialised (as `reqwest::Client::new` does).
    pub fn anyscale(api_key: impl Into<SecretString>) -> Self {
        Self::builder().hosted(ANYSCALE_BASE_URL, Mode::JsonObjectSchema, api_key)
    }

    /// A client for OpenAI, in [`Mode::Tools`] (which every OpenAI chat model supports;
    /// choose [`Mode::JsonSchemaStrict`] for structured outputs on recent models).
    ///
    /// It speaks chat completions ([`Provider::OpenAiChat`]): every OpenAI-compatible server
    /// and every OpenAI model speaks them, so a program written against it moves to vLLM,
    /// llama.cpp or any other such server by changing the URL alone. The Responses API is
    /// OpenAI's newer API, where its newer features land; use
    /// [`openai_responses`](Self::openai_responses) for it.
    ///
    /// # Panics
    /// If the TLS backend cannot be initialised (as `reqwest::Client::new` does).
    pub fn openai(api_key: impl Into<SecretString>) -> Self {
        Self::builder().hosted(OPENAI_BASE_URL, Mode::Tools, api_key)
    }

    /// A client for Anthropic's Messages API ([`Provider::Anthropic`], `POST
    /// https://api.anthropic.com/v1/messages`, the key in `x-api-key`,
    /// `anthropic-version: 2023-06-01`), in [`Mode::Tools`]: a forced tool call, which every
    /// Claude model supports. Choose [`Mode::JsonSchema`] for structured outputs
    /// (`output_config.format`) on the models that have them.
    ///
    /// The schema travels in the tool or in `output_config` only
    /// ([`Prompting::Plain`], as for OpenAI: Claude models need no
    /// copy of it in the system prompt).
    ///
    /// Anthropic requires `max_tokens`: the request's is sent, else the client's
    /// ([`ClientBuilder::default_max_tokens`]), else [`DEFAULT_MAX_TOKENS`]. Anthropic has no
    /// `seed`: a request's seed is not sent.
    ///
    /// llama.cpp's server reads this dialect at the same path: point a builder at it with
    /// `.provider(Provider::Anthropic).base_url("http://127.0.0.1:8080")`. It ignores
    /// `output_config`, so there [`Mode::Tools`] is the mode a grammar enforces.
    ///
    /// # Panics
    /// If the TLS backend cannot be initialised (as `reqwest::Client::new` does).
    pub fn anthropic(api_key: impl Into<SecretString>) -> Self {
        Self::builder()
            .provider(Provider::Anthropic)
            .prompting(Prompting::Plain)
            .hosted(ANTHROPIC_BASE_URL, Mode::Tools, api_key)
    }

    /// A client for OpenAI's Responses API (`POST https://api.openai.com/v1/responses`,
    /// [`Provider::OpenAiResponses`]), in [`Mode::JsonSchemaStrict`]: structured outputs,
    /// `text.format` with the strict schema. Requests are stateless (`store: false`): each
    /// one carries the whole conversation. [`Mode::JsonObjectSchema`] is refused (the API
    /// has no such form), and a request's `seed` is not sent (the API has none).
    ///
    /// Another server that speaks the Responses API (llama.cpp's `/v1/responses`): the
    /// [builder](Self::builder) with [`provider`](ClientBuilder::provider).
    ///
    /// # Panics
    /// If the TLS backend cannot be initialised (as `reqwest::Client::new` does).
    pub fn openai_responses(api_key: impl Into<SecretString>) -> Self {
        Self::builder().provider(Provider::OpenAiResponses).hosted(
            OPENAI_BASE_URL,
            Mode::JsonSchemaStrict,
            api_key,
        )
    }

    /// A client for Google's Gemini API ([`GEMINI_BASE_URL`], [`Provider::Gemini`]: the
    /// key in `x-goog-api-key`), in [`Mode::JsonSchema`]: Gemini's own structured output
    /// (`responseMimeType: "application/json"` with `responseJsonSchema`), which it
    /// enforces. [`Mode::Tools`] and [`Mode::ParallelTools`] force function calls (`ANY`),
    /// [`Mode::Json`] asks for JSON without a schema; [`Mode::JsonObjectSchema`] is refused.
    /// Name the model per request or with the [builder](Self::builder)'s
    /// `default_model` (`gemini-2.5-flash`).
    ///
    /// # Panics
    /// If the TLS backend cannot be initialised (as `reqwest::Client::new` does).
    pub fn gemini(api_key: impl Into<SecretString>) -> Self {
        Self::builder().provider(Provider::Gemini).hosted(
            GEMINI_BASE_URL,
            Mode::JsonSchema,
            api_key,
        )
    }

    /// A client for any OpenAI-compatible server (vLLM, SGLang, llama.cpp, Ollama, LM Studio,
    /// Fireworks, ...), in [`Mode::JsonSchema`]: the `json_schema` response format, which all
    /// of them enforce. `base_url` is the part before `/chat/completions`
    /// (`http://127.0.0.1:8080/v1`). An empty key sends no `Authorization` header.
    ///
    /// The server's kind is guessed from the URL ([`Server::from_base_url`]); ask the server
    /// itself with [`detect_server`](Self::detect_server).
    ///
    /// Fails on an invalid URL, or a key sent over plain `http://` to a host that is not
    /// loopback (use the [builder](Self::builder) and
    /// [`allow_insecure_http`](ClientBuilder::allow_insecure_http) to allow that).
    pub fn openai_compatible(
        base_url: impl Into<String>,
        api_key: impl Into<SecretString>,
    ) -> Result<Self, Error> {
        Self::builder().base_url(base_url).api_key(api_key).build()
    }

    /// A builder for every setting.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }
}

/// Whether `url`'s host is loopback (`localhost`, `127.0.0.0/8`, `::1`).
pub(crate) fn is_loopback_url(url: &str) -> bool {
    reqwest::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(is_loopback_host))
        .unwrap_or(false)
}

fn is_loopback_host(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = h.parse::<IpAddr>() {
        return ip.is_loopback();
    }
    let h = h.to_ascii_lowercase();
    h == "localhost" || h.ends_with(".localhost")
}

/// Builds a [`Client`]. `base_url` is required; everything else has a default.
#[derive(Default)]
#[must_use]
pub struct ClientBuilder {
    base_url: Option<String>,
    api_key: Option<SecretString>,
    default_model: Option<String>,
    default_mode: Option<Mode>,
    server: Option<Server>,
    prompting: Option<Prompting>,
    default_max_tokens: Option<Option<u32>>,
    extra_body: serde_json::Map<String, serde_json::Value>,
    cache_prompt: bool,
    invalid: Option<String>,
    timeout: Option<Option<Duration>>,
    connect_timeout: Option<Duration>,
    retry: Option<RetryPolicy>,
    headers: Vec<(String, String)>,
    http: Option<reqwest::Client>,
    allow_insecure_http: bool,
    max_response_bytes: Option<usize>,
    hooks: Hooks,
    provider: Provider,
    prices: Prices,
    cassette: Option<Cassette>,
    cache: Option<Cache>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key)
            .field("default_model", &self.default_model)
            .field("default_mode", &self.default_mode)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// The API key, sent as `Authorization: Bearer <key>`: a `String`, a `&str` or a
    /// [`SecretString`](secrecy::SecretString). An empty key sends no header.
    pub fn api_key(mut self, key: impl Into<SecretString>) -> Self {
        let key = key.into();
        self.api_key = (!key.expose_secret().trim().is_empty()).then_some(key);
        self
    }

    setters! {
        /// The endpoint, up to and without `/chat/completions` (`https://api.openai.com/v1`).
        fn base_url(url: impl Into<String>) { base_url = Some(url.into()) }

        /// The model used when a request does not call `.model()`.
        fn default_model(model: impl Into<String>) { default_model = Some(model.into()) }

        /// The mode used when a request does not call `.mode()` (default [`Mode::JsonSchema`]).
        fn default_mode(mode: Mode) { default_mode = Some(mode) }

        /// The wire dialect the client speaks (default: [`Provider::OpenAiChat`], the
        /// chat-completions API of OpenAI and every OpenAI-compatible server). See
        /// `docs/providers.md`.
        fn provider(provider: Provider) { provider = provider }

        /// The kind of server (default: guessed from the base URL, see
        /// [`Server::from_base_url`]). It decides the name of the token limit
        /// (`max_completion_tokens` for OpenAI) and how a tool call is forced
        /// (`tool_choice: "required"` for llama.cpp and LM Studio).
        fn server(server: Server) { server = Some(server) }

        /// What the system message says about the answer (default: the server's,
        /// [`Server::default_prompting`]); a request may choose otherwise with
        /// [`Extract::prompting`](crate::Extract::prompting).
        fn prompting(prompting: Prompting) { prompting = Some(prompting) }

        /// The token limit sent when a request sets none with
        /// [`Extract::max_tokens`](crate::Extract::max_tokens) (default [`DEFAULT_MAX_TOKENS`];
        /// `None` sends no limit, leaving it to the server).
        fn default_max_tokens(limit: impl Into<Option<u32>>) {
            default_max_tokens = Some(limit.into())
        }
    }

    /// Body fields written over every request's body (a request's own
    /// [`extra_body`](crate::Extract::extra_body) is written over these). `extra` must be a
    /// JSON object, else [`build`](Self::build) fails.
    pub fn extra_body(mut self, extra: serde_json::Value) -> Self {
        if let Err(why) = add_extra(&mut self.extra_body, extra) {
            self.invalid = Some(why);
        }
        self
    }

    setters! {
        /// Marks the part of every request that holds the instructions and the schema for the
        /// provider's prompt cache (default off), so repeated extractions of one type pay the
        /// cached rate for it.
        ///
        /// - Anthropic ([`Provider::Anthropic`]): `cache_control: {"type": "ephemeral"}` on the
        ///   system block (sent as `[{"type": "text", "text", "cache_control"}]`) and, in the
        ///   tools modes, on the last tool definition (the cache's prefix runs tools, then
        ///   system, then messages: each mark caches everything before it). A prompt below the
        ///   model's minimum (1,024 to 4,096 tokens) is not cached, without an error.
        /// - OpenAI (chat completions and Responses) and Gemini cache long prompt prefixes on
        ///   their own: nothing is sent, and the setting changes nothing there.
        ///
        /// What it saved is in the usage: [`Usage::cache_creation_tokens`] (written to the
        /// cache, billed above the input rate) and [`Usage::cached_tokens`] (read from it,
        /// billed far below), both counted in `prompt_tokens`, summed over the attempts in
        /// [`Extraction::usage`](crate::Extraction::usage).
        ///
        /// [`Usage::cache_creation_tokens`]: crate::Usage::cache_creation_tokens
        /// [`Usage::cached_tokens`]: crate::Usage::cached_tokens
        fn cache_prompt(on: bool) { cache_prompt = on }

        /// The time limit of one HTTP request, from sending to the end of the body (default
        /// 10 minutes; `None` for no limit). Applies to caller-supplied clients too.
        fn timeout(timeout: impl Into<Option<Duration>>) { timeout = Some(timeout.into()) }

        /// The time limit for establishing a connection (default 10 s). Ignored with
        /// [`http_client`](Self::http_client): configure that client instead.
        fn connect_timeout(timeout: Duration) { connect_timeout = Some(timeout) }

        /// The transport retry policy (default [`RetryPolicy::default`]: 2 retries).
        fn retry_policy(policy: RetryPolicy) { retry = Some(policy) }
    }

    /// Disables transport retries.
    pub fn no_transport_retries(self) -> Self {
        self.retry_policy(RetryPolicy::none())
    }

    /// A header sent with every request (`OpenAI-Organization`, `HTTP-Referer`, ...).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    setters! {
        /// Uses this `reqwest::Client` (its proxy, TLS and pool settings) instead of building
        /// one.
        fn http_client(client: reqwest::Client) { http = Some(client) }

        /// Allows sending the key over plain `http://` to a host that is not loopback. Off by
        /// default: such a configuration is refused by [`build`](Self::build).
        fn allow_insecure_http(allow: bool) { allow_insecure_http = allow }

        /// The largest response body accepted (default 32 MiB); a larger one is
        /// [`Error::ResponseTooLarge`].
        fn max_response_bytes(limit: usize) { max_response_bytes = Some(limit) }

        /// Called before every HTTP request (re-asks and transport retries included).
        fn on_request(f: impl Fn(&RequestEvent<'_>) + Send + Sync + 'static) {
            hooks.on_request = Some(Arc::new(f))
        }

        /// Called after every HTTP response body is read, whatever its status.
        fn on_response(f: impl Fn(&ResponseEvent<'_>) + Send + Sync + 'static) {
            hooks.on_response = Some(Arc::new(f))
        }

        /// Called once with the error of every extraction that fails.
        fn on_error(f: impl Fn(&Error) + Send + Sync + 'static) {
            hooks.on_error = Some(Arc::new(f))
        }

        /// The price table the client's bill ([`Client::usage`]) and each
        /// [`Extraction::cost`](crate::Extraction::cost) are computed with (default: empty,
        /// nothing has a cost). See `docs/costs.md`.
        fn prices(prices: Prices) { prices = prices }

        /// Records every exchange to a [`Cassette`] or replays them from it, sending nothing
        /// (see [`cassette`](crate::cassette) and `docs/testing.md`). The key and the headers
        /// are never recorded.
        ///
        /// ```no_run
        /// # fn main() -> Result<(), instructor_core::Error> {
        /// use instructor_core::{cassette::Cassette, Client};
        /// let client = Client::builder()
        ///     .base_url("https://api.openai.com/v1")
        ///     .api_key(std::env::var("OPENAI_API_KEY").unwrap_or_default())
        ///     .cassette(Cassette::from_env("tests/cassettes/invoice.jsonl")?)
        ///     .build()?;
        /// # Ok(()) }
        /// ```
        fn cassette(cassette: Cassette) { cassette = Some(cassette) }

        /// A response cache for every request of the client (off by default): a reply already
        /// given to the same request is read from it instead of asking again, and judged like a
        /// live one. A request may choose another with [`Extract::cache`](crate::Extract::cache)
        /// or none with [`Extract::no_cache`](crate::Extract::no_cache). Streams are not cached.
        /// See [`Cache`] and `docs/cache.md`.
        fn cache(cache: Cache) { cache = Some(cache) }
    }

    /// The client of a hosted provider (the constructors above): this builder with the
    /// provider's fixed https endpoint, `api_key` and default `mode`, built.
    fn hosted(self, base_url: &str, mode: Mode, api_key: impl Into<SecretString>) -> Client {
        self.base_url(base_url)
            .api_key(api_key)
            .default_mode(mode)
            .build()
            .expect("a fixed https endpoint is a valid configuration")
    }

    /// Checks the configuration and builds the client.
    pub fn build(self) -> Result<Client, Error> {
        if let Some(why) = self.invalid {
            return Err(Error::Config(why));
        }
        let base = self
            .base_url
            .ok_or_else(|| Error::Config("no base URL: call ClientBuilder::base_url".into()))?;
        let base = base.trim().trim_end_matches('/').to_owned();
        let url = reqwest::Url::parse(&base)
            .map_err(|e| Error::Config(format!("invalid base URL `{base}`: {e}")))?;
        match url.scheme() {
            "https" => {}
            "http" => {
                let loopback = url.host_str().is_some_and(is_loopback_host);
                if self.api_key.is_some() && !loopback && !self.allow_insecure_http {
                    return Err(Error::Config(format!(
                        "refusing to send the API key over plain http to `{}`: use https, or \
                         ClientBuilder::allow_insecure_http(true)",
                        url.host_str().unwrap_or("")
                    )));
                }
            }
            other => {
                return Err(Error::Config(format!(
                    "invalid base URL `{base}`: scheme `{other}` is not http or https"
                )))
            }
        }
        let dialect = self.provider.dialect();
        let mut headers = HeaderMap::new();
        for (name, value) in &self.headers {
            let n = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| Error::Config(format!("invalid header name `{name}`")))?;
            let mut v = HeaderValue::from_str(value)
                .map_err(|_| Error::Config(format!("invalid value for header `{name}`")))?;
            if n == AUTHORIZATION || name.to_ascii_lowercase().contains("key") {
                v.set_sensitive(true);
            }
            headers.append(n, v);
        }
        // The dialect's own headers, unless the caller set them (a newer API version).
        for (name, value) in dialect.headers() {
            if !headers.contains_key(*name) {
                headers.insert(*name, HeaderValue::from_static(value));
            }
        }
        let auth = match &self.api_key {
            Some(key) => Some(dialect.auth(key.expose_secret()).map_err(Error::Config)?),
            None => None,
        };
        let http = match self.http {
            Some(c) => c,
            None => reqwest::Client::builder()
                .connect_timeout(self.connect_timeout.unwrap_or(Duration::from_secs(10)))
                .user_agent(concat!("instructor-rs/", env!("CARGO_PKG_VERSION")))
                .build()
                .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))?,
        };
        let server = self.server.unwrap_or_else(|| Server::from_base_url(&base));
        let endpoint_url = reqwest::Url::parse(&format!("{base}{}", dialect.path()))
            .map_err(|e| Error::Config(format!("invalid base URL `{base}`: {e}")))?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                endpoint_url,
                base_url: base,
                api_key: self.api_key,
                auth,
                dialect,
                provider: self.provider,
                fallbacks: Vec::new(),
                default_model: self.default_model,
                default_mode: self.default_mode.unwrap_or_default(),
                server,
                prompting: self.prompting,
                default_max_tokens: self.default_max_tokens.unwrap_or(Some(DEFAULT_MAX_TOKENS)),
                extra_body: self.extra_body,
                cache_prompt: self.cache_prompt,
                timeout: self.timeout.unwrap_or(Some(Duration::from_secs(600))),
                retry: self.retry.unwrap_or_default(),
                headers,
                max_response_bytes: self
                    .max_response_bytes
                    .unwrap_or(DEFAULT_MAX_RESPONSE_BYTES),
                hooks: self.hooks,
                cache: self.cache,
                gate: None,
                ledger: Ledger::new(self.prices),
                cassette: self.cassette,
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for h in [
            "localhost",
            "127.0.0.1",
            "127.1.2.3",
            "[::1]",
            "::1",
            "api.localhost",
        ] {
            assert!(is_loopback_host(h), "{h}");
        }
        for h in [
            "example.com",
            "10.0.0.1",
            "192.168.1.1",
            "localhost.example.com",
        ] {
            assert!(!is_loopback_host(h), "{h}");
        }
    }

    #[test]
    fn insecure_http_is_refused_unless_allowed() {
        let e = Client::openai_compatible("http://example.com/v1", "sk-secret").unwrap_err();
        assert!(e.to_string().contains("plain http"), "{e}");
        assert!(!e.to_string().contains("sk-secret"));
        assert!(Client::openai_compatible("http://127.0.0.1:9/v1", "sk-secret").is_ok());
        assert!(Client::openai_compatible("http://example.com/v1", "").is_ok());
        assert!(Client::builder()
            .base_url("http://example.com/v1")
            .api_key("k-123")
            .allow_insecure_http(true)
            .build()
            .is_ok());
        assert!(Client::openai_compatible("ftp://x/v1", "").is_err());
    }
}
