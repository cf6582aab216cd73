//! The transport: posts one request body, retries what the retry policy says is
//! worth retrying, and hands a successful response to a reader ([`Whole`] reads and parses
//! the body, [`EventStream`] returns it unread for streaming).
//!
//! One loop serves both: the reader decides what a success is, the loop handles everything
//! else (the rate-limit gate, hooks, error bodies, `Retry-After`, backoff).

use std::borrow::Cow;
use std::future::Future;
use std::time::{Duration, Instant, SystemTime};

use reqwest::header::{HeaderMap, ACCEPT, CONTENT_TYPE};

use crate::cassette::{Call, CassetteMode};
use crate::client::body::{read_limited, transport_error};
use crate::client::Client;
use crate::error::{scrub, Error};
use crate::hooks::{Hooks, RequestEvent, ResponseEvent};
use crate::provider::{Dialect, ErrorFields};
use crate::retry::parse_retry_after;
use crate::server::Server;
use crate::wire::{ChatCompletion, Usage};

/// Which extraction attempt a post belongs to, and the model it asks, for hooks and logs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Post<'a> {
    /// The JSON body.
    pub body: &'a [u8],
    /// The extraction attempt (1 for the first request).
    pub attempt: u32,
    /// The model asked for.
    pub model: &'a str,
    /// The request's own hooks, called after the client's.
    pub hooks: &'a Hooks,
}

/// How one transport try went, for a reader.
pub(crate) struct Try<'a> {
    attempt: u32,
    number: u32,
    started: Instant,
    hooks: &'a Hooks,
}

impl Try<'_> {
    /// What a response with `status`, the answer to this try, is told to the response hooks
    /// with.
    fn opened(&self, status: u16) -> Opened {
        Opened {
            attempt: self.attempt,
            number: self.number,
            status,
            started: self.started,
        }
    }
}

/// The try a stream's response came from: told to the response hooks once its body is read
/// ([`Client::body_read`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Opened {
    attempt: u32,
    number: u32,
    status: u16,
    started: Instant,
}

/// A response, the client it came to and the try it answered: what a [`Reader`] is handed
/// (a 2xx response), and what an error status's body is read from.
pub(crate) struct Received<'a> {
    /// The client the response came to.
    pub client: &'a Client,
    /// The response, unread.
    pub response: reqwest::Response,
    /// The try it answered.
    pub tried: &'a Try<'a>,
}

impl Received<'_> {
    /// Reads the whole body within the client's size limit as text with the API key scrubbed
    /// out (so hooks, errors and `Extraction::raw` never see it), and shows it to the response
    /// hooks (the client's, then the request's).
    async fn text(self) -> Result<String, Error> {
        let Received {
            client,
            response,
            tried,
        } = self;
        let status = response.status().as_u16();
        let bytes = read_limited(response, client.max_response_bytes()).await?;
        let text = String::from_utf8(bytes)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        let text = scrub(text, client.api_key());
        client.body_read(tried.hooks, tried.opened(status), &text);
        Ok(text)
    }

    /// Reads the whole body with [`text`](Self::text) and parses it; a body `parse` refuses
    /// is [`Error::Decode`] (not retried). Gives the value with the text.
    async fn parsed<T>(
        self,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<(T, String), Error> {
        let text = self.text().await?;
        match parse(&text) {
            Ok(value) => Ok((value, text)),
            Err(message) => Err(Error::Decode {
                message,
                body: text,
                usage: Usage::default(),
            }),
        }
    }
}

/// Turns a success response into what the caller wants.
pub(crate) trait Reader {
    /// What a successful post gives.
    type Output;
    /// Whether the response is an event stream: sent with `Accept: text/event-stream`, and
    /// not bound by the request timeout (a stream's chunks are, one by one).
    const STREAM: bool;
    /// Reads a 2xx response. A [`Error::Transport`] or [`Error::Timeout`] is retried like a
    /// failed request; any other error ends the post.
    fn read(&self, got: Received<'_>) -> impl Future<Output = Result<Self::Output, Error>> + Send;
}

/// Reads the whole body and parses it as a chat completion; gives it with the body text.
pub(crate) struct Whole;

impl Reader for Whole {
    type Output = (ChatCompletion, String);
    const STREAM: bool = false;

    async fn read(&self, got: Received<'_>) -> Result<Self::Output, Error> {
        let dialect = got.client.dialect();
        got.parsed(|text| dialect.decode(text)).await
    }
}

/// Reads the whole body as JSON (a batch API's answer).
pub(crate) struct Json;

impl Reader for Json {
    type Output = serde_json::Value;
    const STREAM: bool = false;

    async fn read(&self, got: Received<'_>) -> Result<Self::Output, Error> {
        let parse = |text: &str| {
            serde_json::from_str(text).map_err(|e| format!("the answer is not JSON: {e}"))
        };
        Ok(got.parsed(parse).await?.0)
    }
}

/// Gives the response unread (its body is the event stream), with the try it came from.
pub(crate) struct EventStream;

impl Reader for EventStream {
    type Output = (reqwest::Response, Opened);
    const STREAM: bool = true;

    async fn read(&self, got: Received<'_>) -> Result<Self::Output, Error> {
        let opened = got.tried.opened(got.response.status().as_u16());
        Ok((got.response, opened))
    }
}

/// Why a try failed, and whether and when to try again.
struct Failure {
    error: Error,
    /// The delay the server asked for (`Retry-After`), if any.
    server_delay: Option<Duration>,
    retryable: bool,
}

impl Failure {
    /// A failure of the connection or of reading a body: retried, unless the body was too
    /// large or not a chat completion.
    fn of(error: Error) -> Self {
        let retryable = matches!(error, Error::Transport { .. } | Error::Timeout { .. });
        Failure {
            error,
            server_delay: None,
            retryable,
        }
    }
}

impl Client {
    /// Posts `post.body` to the chat-completions endpoint with transport retries, and reads
    /// the first success with `reader`.
    pub(crate) async fn post<R: Reader>(
        &self,
        post: Post<'_>,
        reader: R,
    ) -> Result<R::Output, Error> {
        let inner = &*self.inner;
        let url = self.endpoint(post.model, R::STREAM)?;
        let url = &*url;
        self.with_retries_sending(post.attempt, post.hooks, &reader, |number| {
            let event = RequestEvent {
                attempt: post.attempt,
                transport_try: number,
                model: post.model,
                url: url.as_str(),
                body: post.body,
            };
            inner.hooks.request(&event);
            post.hooks.request(&event);
            self.send_try::<R>(url, post.model, post.body)
        })
        .await
    }

    /// The retry loop for a call that is not an extraction's (the batch API's): sends the
    /// request `build` makes for each try (its argument: the 0-based try). `Err` from
    /// `build` ends it. See [`with_retries_sending`](Self::with_retries_sending).
    pub(crate) async fn with_retries<R: Reader>(
        &self,
        attempt: u32,
        reader: &R,
        mut build: impl FnMut(u32) -> Result<reqwest::RequestBuilder, Error>,
    ) -> Result<R::Output, Error> {
        let no_hooks = Hooks::default();
        self.with_retries_sending(attempt, &no_hooks, reader, |number| {
            let request = build(number);
            async move { request?.send().await.map_err(transport_error) }
        })
        .await
    }

    /// The retry loop: `send` makes each try (its argument: the 0-based try), `reader`
    /// reads the first success, and what the client's retry policy says is worth retrying
    /// is tried again (a connection error, a timeout, 408/409/429/5xx and what the dialect
    /// adds, honouring `Retry-After`). Shared by [`post`](Self::post) and the batch API
    /// calls (`batch_file::submit`).
    async fn with_retries_sending<R, F, Fut>(
        &self,
        attempt: u32,
        hooks: &Hooks,
        reader: &R,
        mut send: F,
    ) -> Result<R::Output, Error>
    where
        R: Reader,
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Result<reqwest::Response, Error>>,
    {
        let inner = &*self.inner;
        let policy = &inner.retry;
        let replaying = self.replaying();
        let started = Instant::now();
        let mut number = 0u32;
        loop {
            if let Some(gate) = &inner.gate {
                gate.wait().await;
            }
            let tried = Try {
                attempt,
                number,
                started: Instant::now(),
                hooks,
            };
            let failure = match send(number).await {
                Err(e) => Failure::of(e),
                Ok(resp) if resp.status().is_success() => {
                    let got = Received {
                        client: self,
                        response: resp,
                        tried: &tried,
                    };
                    match reader.read(got).await {
                        Ok(out) => return Ok(out),
                        Err(e) => Failure::of(e),
                    }
                }
                Ok(resp) => self.failure(resp, &tried, number).await,
            };
            if !failure.retryable || number >= policy.max_transport_retries {
                return Err(failure.error);
            }
            let delay = match failure.server_delay {
                Some(d) if d > policy.max_retry_after => return Err(failure.error),
                Some(d) => d,
                None => policy.backoff(number, fastrand::f64()),
            };
            if started.elapsed().saturating_add(delay) > policy.max_elapsed {
                return Err(failure.error);
            }
            tracing::debug!(
                retry = number + 1,
                delay_ms = delay.as_millis() as u64,
                error = %failure.error,
                "retrying the request"
            );
            // A replay has no server to wait for: its retries follow at once.
            if !replaying {
                tokio::time::sleep(delay).await;
            }
            number += 1;
        }
    }

    /// Whether this client's answers come from a cassette.
    fn replaying(&self) -> bool {
        self.cassette()
            .is_some_and(|c| c.mode() == CassetteMode::Replay)
    }

    /// Sends one try, or has the client's cassette record it or answer it.
    async fn send_try<R: Reader>(
        &self,
        url: &reqwest::Url,
        model: &str,
        body: &[u8],
    ) -> Result<reqwest::Response, Error> {
        let send = || async {
            self.request::<R>(url, body)
                .send()
                .await
                .map_err(transport_error)
        };
        match self.cassette() {
            None => send().await,
            Some(cassette) => {
                // What a cassette records the request under: the path, never the query.
                let dialect = self.dialect();
                let path = dialect.model_path(model, R::STREAM);
                let endpoint = path.as_deref().unwrap_or(dialect.path());
                let endpoint = endpoint.split('?').next().unwrap_or(endpoint);
                let call = Call {
                    method: "POST",
                    endpoint,
                    body,
                    stream: R::STREAM,
                    key: self.api_key(),
                    limit: self.max_response_bytes(),
                };
                cassette.exchange(call, send).await
            }
        }
    }

    /// Where a request for `model` goes (streamed or not).
    pub(crate) fn endpoint(
        &self,
        model: &str,
        stream: bool,
    ) -> Result<Cow<'_, reqwest::Url>, Error> {
        let inner = &*self.inner;
        Ok(match inner.dialect.model_path(model, stream) {
            None => Cow::Borrowed(&inner.endpoint_url),
            Some(path) => Cow::Owned(
                reqwest::Url::parse(&format!("{}{path}", inner.base_url)).map_err(|e| {
                    Error::Config(format!("the model `{model}` makes an invalid URL: {e}"))
                })?,
            ),
        })
    }

    /// The HTTP request for one try.
    fn request<R: Reader>(&self, url: &reqwest::Url, body: &[u8]) -> reqwest::RequestBuilder {
        let inner = &*self.inner;
        let req = self
            .authorized(reqwest::Method::POST, url.clone())
            .header(CONTENT_TYPE, "application/json")
            .body(body.to_vec());
        if R::STREAM {
            req.header(ACCEPT, "text/event-stream")
        } else if let Some(t) = inner.timeout {
            // A stream may rightly last longer than one request: its reads are bounded by
            // the chunk timeout, and its size by `max_response_bytes`.
            req.timeout(t)
        } else {
            req
        }
    }

    /// A request to `url` with the client's headers (the dialect's fixed ones, the
    /// builder's) and its key's header: what every call of this client starts from.
    pub(crate) fn authorized(
        &self,
        method: reqwest::Method,
        url: impl reqwest::IntoUrl,
    ) -> reqwest::RequestBuilder {
        let inner = &*self.inner;
        let mut req = inner.http.request(method, url);
        if !inner.headers.is_empty() {
            req = req.headers(inner.headers.clone());
        }
        if let Some((name, value)) = &inner.auth {
            req = req.header(name, value.clone());
        }
        req
    }

    /// A response with an error status: its body becomes [`Error::Api`]; the status and
    /// headers say whether to retry and when. A 429 also closes the batch's gate.
    async fn failure(&self, resp: reqwest::Response, tried: &Try<'_>, number: u32) -> Failure {
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let got = Received {
            client: self,
            response: resp,
            tried,
        };
        let text = match got.text().await {
            Ok(text) => text,
            Err(e) => return Failure::of(e),
        };
        let retryable = match header_str(&headers, "x-should-retry") {
            Some("true") => true,
            Some("false") => false,
            _ => self.dialect().retryable(status, &text),
        };
        let server_delay = parse_retry_after(
            header_str(&headers, "retry-after-ms"),
            header_str(&headers, "retry-after"),
            SystemTime::now(),
        );
        // A replay has no server to spare: its 429s close no gate.
        if let (429, Some(gate), false) = (status, &self.inner.gate, self.replaying()) {
            let policy = &self.inner.retry;
            gate.close_for(server_delay.unwrap_or_else(|| policy.backoff(number, 0.0)));
        }
        Failure {
            error: api_error(self.dialect(), status, text),
            server_delay,
            retryable,
        }
    }

    /// Tells the response hooks (the client's, then the request's) that the body of the
    /// response `opened` describes was read: the whole body, or a stream's events' data, one
    /// line each.
    pub(crate) fn body_read(&self, hooks: &Hooks, opened: Opened, body: &str) {
        let event = ResponseEvent {
            attempt: opened.attempt,
            transport_try: opened.number,
            status: opened.status,
            body,
            elapsed: opened.started.elapsed(),
        };
        self.inner.hooks.response(&event);
        hooks.response(&event);
    }
}

/// The [`Error::Api`] of an error status and its body, with what the dialect reads in it:
/// the transport's, and a batch result line's.
pub(crate) fn api_error(dialect: &dyn Dialect, status: u16, body: String) -> Error {
    let ErrorFields {
        message,
        kind,
        code,
    } = dialect.error_fields(&body);
    let message = message.unwrap_or_else(|| {
        let t = body.trim();
        if t.is_empty() {
            "(empty body)".to_owned()
        } else {
            t.chars().take(500).collect()
        }
    });
    Error::Api {
        status,
        message,
        kind: kind.map(String::into_boxed_str),
        code: code.map(String::into_boxed_str),
        body: body.into_boxed_str(),
        usage: Usage::default(),
    }
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

impl Client {
    /// Asks the server what it is: `GET {base_url}/models`, read by the models' `owned_by`
    /// (vLLM, SGLang, llama.cpp, LM Studio and Ollama each write their own). A server that
    /// does not answer, or answers something unknown, is [`Server::Other`]; only a failure
    /// to connect is an error. One request, without transport retries; with a
    /// [cassette](crate::cassette), recorded or replayed like the rest.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), instructor_core::Error> {
    /// let client = instructor_core::Client::openai_compatible("http://127.0.0.1:8080/v1", "")?;
    /// let client = client.with_server(client.detect_server().await?);
    /// # Ok(()) }
    /// ```
    pub async fn detect_server(&self) -> Result<Server, Error> {
        let inner = &*self.inner;
        let mut req = self.authorized(reqwest::Method::GET, format!("{}/models", inner.base_url));
        if let Some(t) = inner.timeout {
            req = req.timeout(t);
        }
        let send = || async { req.send().await.map_err(transport_error) };
        let resp = match self.cassette() {
            None => send().await?,
            Some(cassette) => {
                let call = Call {
                    method: "GET",
                    endpoint: "/models",
                    body: b"",
                    stream: false,
                    key: self.api_key(),
                    limit: inner.max_response_bytes,
                };
                cassette.exchange(call, send).await?
            }
        };
        if !resp.status().is_success() {
            return Ok(Server::Other);
        }
        let body = read_limited(resp, inner.max_response_bytes).await?;
        Ok(Server::from_models_body(&String::from_utf8_lossy(&body)))
    }
}
