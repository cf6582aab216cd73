//! Hooks: callbacks a [`Client`](crate::Client) calls around every HTTP request and failed
//! extraction, set on the [`ClientBuilder`](crate::ClientBuilder).

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

/// The hooks of one client.
#[derive(Clone, Default)]
pub(crate) struct Hooks {
    pub(crate) on_request: Option<RequestHook>,
    pub(crate) on_response: Option<ResponseHook>,
    pub(crate) on_error: Option<ErrorHook>,
}
