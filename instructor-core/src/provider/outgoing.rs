//! What one request body is made of, whatever the dialect: the request's sampling options,
//! what the client adds to every body, and how the answer is delivered.

use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::mode::ModeSpec;
use crate::server::Server;
use crate::wire::Message;

/// Declares the struct of a request body (or of an object in one), with
/// `#[serde(skip_serializing_if = "Option::is_none")]` on each of its `Option` fields, as
/// `serde_with::skip_serializing_none` does: every dialect leaves an unset field out of the
/// body rather than sending `null`. The other fields, and every attribute written, are kept
/// as they are.
macro_rules! skip_none {
    ($(#[$attr:meta])* struct $name:ident $(<$lt:lifetime>)? { $($fields:tt)* }) => {
        $crate::provider::skip_none!(@field [$(#[$attr])* struct $name $(<$lt>)?] [] $($fields)*);
    };
    (@field $head:tt [$($done:tt)*] $(#[$fattr:meta])* $field:ident: Option<$ty:ty>, $($rest:tt)*) => {
        $crate::provider::skip_none!(@field $head [$($done)*
            $(#[$fattr])*
            #[serde(skip_serializing_if = "Option::is_none")]
            $field: Option<$ty>,
        ] $($rest)*);
    };
    (@field $head:tt [$($done:tt)*] $(#[$fattr:meta])* $field:ident: $ty:ty, $($rest:tt)*) => {
        $crate::provider::skip_none!(@field $head [$($done)* $(#[$fattr])* $field: $ty,] $($rest)*);
    };
    (@field [$($head:tt)*] [$($done:tt)*]) => {
        $($head)* { $($done)* }
    };
}
pub(crate) use skip_none;

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

impl Outgoing<'_> {
    /// The token limit: the request's, else the client's (`None`: neither sets one).
    pub(crate) fn max_tokens(&self) -> Option<u32> {
        self.options.max_tokens.or(self.target.max_tokens)
    }

    /// `stream: true` for a streamed answer; `None` (the field left out) for a whole one.
    pub(crate) fn stream(&self) -> Option<bool> {
        (self.delivery == Delivery::Stream).then_some(true)
    }

    /// The JSON body of the dialect's `body` for this request, with the client's and the
    /// request's extra fields ([`json_body`]); `Err` is serde's message.
    pub(crate) fn json<T: Serialize>(&self, body: &T) -> Result<Vec<u8>, String> {
        json_body(body, self.target, self.options).map_err(|e| e.to_string())
    }
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
    /// Whether the instructions and schema are marked for the provider's prompt cache
    /// ([`ClientBuilder::cache_prompt`](crate::ClientBuilder::cache_prompt)).
    pub cache_prompt: bool,
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
/// The fields the extras do not replace keep their JSON text byte for byte (a thinking block
/// sent back stays as the provider wrote it).
fn json_body<T: Serialize>(
    request: &T,
    target: Target<'_>,
    options: &Options,
) -> serde_json::Result<Vec<u8>> {
    let body = serde_json::to_vec(request)?;
    if target.extra.is_empty() && options.extra.is_empty() {
        return Ok(body);
    }
    let Fields(mut fields) = serde_json::from_slice(&body)?;
    for extra in [target.extra, &options.extra] {
        for (k, v) in extra {
            let v = serde_json::value::to_raw_value(v)?;
            match fields.iter_mut().find(|(name, _)| name == k) {
                Some((_, slot)) => *slot = v,
                None => fields.push((k.clone(), v)),
            }
        }
    }
    let mut out = Vec::with_capacity(body.len() + 64);
    let mut ser = serde_json::Serializer::new(&mut out);
    ser.collect_map(fields.iter().map(|(k, v)| (k, v)))?;
    Ok(out)
}

/// A JSON object's fields in order, each value's text as written.
struct Fields(Vec<(String, Box<RawValue>)>);

impl<'de> Deserialize<'de> for Fields {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> Visitor<'de> for Visit {
            type Value = Fields;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Fields, A::Error> {
                let mut fields = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    fields.push(entry);
                }
                Ok(Fields(fields))
            }
        }
        d.deserialize_map(Visit)
    }
}
