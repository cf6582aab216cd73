//! What one request body is made of, whatever the dialect: the request's sampling options,
//! what the client adds to every body, and how the answer is delivered.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::mode::ModeSpec;
use crate::server::Server;
use crate::wire::Message;

/// Everything one request body is made of, whatever the dialect.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Outgoing<'a> {
    /// The model asked for.
    pub model: &'a str,
    /// The request's sampling options and extra fields.
    pub options: &'a Options,
    /// The mode's pieces for the type: schema, tools, response format.
    pub spec: &'a ModeSpec,
    /// The conversation, re-asks included.
    pub messages: &'a [Message],
    /// One body, or a stream of events.
    pub delivery: Delivery,
    /// What the client adds to every body.
    pub target: Target<'a>,
}

/// The sampling options of a request, each sent only when set.
#[derive(Debug, Clone, Default)]
pub(crate) struct Options {
    pub temperature: Option<f64>,
    pub max_tokens: Option<u32>,
    pub seed: Option<u64>,
    /// Body fields the SDK does not model, written over what it writes.
    pub extra: Map<String, Value>,
}

/// Adds the fields of `extra` (a JSON object) to `fields`; anything but an object is refused
/// with the reason, which the request or client reports as `Error::Config`.
pub(crate) fn add_extra(fields: &mut Map<String, Value>, extra: Value) -> Result<(), String> {
    match extra {
        Value::Object(map) => {
            fields.extend(map);
            Ok(())
        }
        other => Err(format!("extra_body must be a JSON object, not {other}")),
    }
}

/// What the client adds to every body: the server's names, and its own extra fields.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Target<'a> {
    pub server: Server,
    /// The token limit when the request sets none.
    pub max_tokens: Option<u32>,
    pub extra: &'a Map<String, Value>,
}

/// How the answer is delivered: in one body, or as server-sent events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Delivery {
    /// One JSON body.
    Whole,
    /// `stream: true`, with the usage asked for in the last chunk.
    Stream,
}

/// The JSON body of `request`, with the client's extra fields (`target.extra`), then the
/// request's (`options.extra`), written over its top level. Every dialect's body ends here.
pub(crate) fn json_body<T: Serialize>(
    request: &T,
    target: Target<'_>,
    options: &Options,
) -> serde_json::Result<Vec<u8>> {
    if target.extra.is_empty() && options.extra.is_empty() {
        return serde_json::to_vec(request);
    }
    let mut body = match serde_json::to_value(request)? {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    for extra in [target.extra, &options.extra] {
        for (k, v) in extra {
            body.insert(k.clone(), v.clone());
        }
    }
    serde_json::to_vec(&body)
}
