//! Hooks: callbacks a [`Client`](crate::Client) calls around every HTTP request and failed
//! extraction, set on the [`ClientBuilder`](crate::ClientBuilder); and the same callbacks
//! for one request ([`Extract::on_request`](crate::Extract::on_request), ...), a stream
//! built from it, or a bulk job
//! ([`ExtractMany::on_request`](crate::ExtractMany::on_request), ...), called after the
//! client's with the same events.

use std::sync::Arc;
use std::time::Duration;

use crate::error::Error;

/// Sent to [`ClientBuilder::on_request`](crate::ClientBuilder::on_request) before each HTTP request.
#[derive(Debug)]
#[non_exhaustive]
pub struct RequestEvent<'a> {
    /// The extraction attempt (1 for the first request, 2 for the first re-ask, ...).
    pub attempt: u32,
    /// The transport try within the attempt (0, then 1 for the first transport retry).
    pub transport_try: u32,
    /// The model asked for.
    pub model: &'a str,
    /// The URL posted to.
    pub url: &'a str,
    /// The JSON body (headers, and so the key, are not shown).
    pub body: &'a [u8],
}

/// Sent to [`ClientBuilder::on_response`](crate::ClientBuilder::on_response) after each HTTP response is read.
#[derive(Debug)]
#[non_exhaustive]
pub struct ResponseEvent<'a> {
    /// The extraction attempt.
    pub attempt: u32,
    /// The transport try within the attempt.
    pub transport_try: u32,
    /// The HTTP status.
    pub status: u16,
    /// The body as text.
    pub body: &'a str,
    /// Time from sending the request to the end of the body.
    pub elapsed: Duration,
}

pub(crate) type RequestHook = Arc<dyn Fn(&RequestEvent<'_>) + Send + Sync>;
pub(crate) type ResponseHook = Arc<dyn Fn(&ResponseEvent<'_>) + Send + Sync>;
pub(crate) type ErrorHook = Arc<dyn Fn(&Error) + Send + Sync>;

/// The hooks of one client, or of one request.
#[derive(Clone, Default)]
pub(crate) struct Hooks {
    pub(crate) on_request: Option<RequestHook>,
    pub(crate) on_response: Option<ResponseHook>,
    pub(crate) on_error: Option<ErrorHook>,
}

impl std::fmt::Debug for Hooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hooks")
            .field("on_request", &self.on_request.is_some())
            .field("on_response", &self.on_response.is_some())
            .field("on_error", &self.on_error.is_some())
            .finish()
    }
}

/// Sets the hook in `$slot` to call the one there is, if any, then `$f` (a hook of the
/// same type, taking a `$event`).
macro_rules! chain {
    ($slot:expr, $f:ident: $event:ty) => {
        $slot = Some(match $slot.take() {
            Some(first) => Arc::new(move |e: $event| {
                first(e);
                $f(e)
            }),
            None => $f,
        })
    };
}

impl Hooks {
    /// Adds `f` after the request hook there is, if any.
    pub(crate) fn add_request(&mut self, f: RequestHook) {
        chain!(self.on_request, f: &RequestEvent<'_>);
    }

    /// Adds `f` after the response hook there is, if any.
    pub(crate) fn add_response(&mut self, f: ResponseHook) {
        chain!(self.on_response, f: &ResponseEvent<'_>);
    }

    /// Adds `f` after the error hook there is, if any.
    pub(crate) fn add_error(&mut self, f: ErrorHook) {
        chain!(self.on_error, f: &Error);
    }

    /// Adds every hook of `other` after these.
    pub(crate) fn add(&mut self, other: &Hooks) {
        if let Some(f) = &other.on_request {
            self.add_request(f.clone());
        }
        if let Some(f) = &other.on_response {
            self.add_response(f.clone());
        }
        if let Some(f) = &other.on_error {
            self.add_error(f.clone());
        }
    }

    /// Calls the request hook, if any.
    pub(crate) fn request(&self, event: &RequestEvent<'_>) {
        if let Some(f) = &self.on_request {
            f(event);
        }
    }

    /// Calls the response hook, if any.
    pub(crate) fn response(&self, event: &ResponseEvent<'_>) {
        if let Some(f) = &self.on_response {
            f(event);
        }
    }

    /// Calls the error hook, if any.
    pub(crate) fn error(&self, error: &Error) {
        if let Some(f) = &self.on_error {
            f(error);
        }
    }
}
