//! One exchange: what a client sent (a [`Call`]) and what the server said, as one line of a
//! cassette file, and the HTTP response a replay builds from it.
//!
//! A line reads well in a diff: the request body is a JSON value, and so is the reply's
//! wherever writing the value back gives the very bytes the server sent (compact, or
//! pretty-printed as Gemini writes it); else the reply is kept as text. An event stream is
//! a list of its events (`{"event": .., "data": ..}`, the data a JSON value under the same
//! rule), or its text when its framing is anything else. So a replay serves the server's
//! bytes exactly, and what a reader makes of them (the raw body of an attempt included) is
//! what it made of them when they were recorded.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::StreamExt;

use reqwest::header::{HeaderMap, CONTENT_LENGTH, CONTENT_TYPE, TRANSFER_ENCODING};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::scrub;

/// The response headers a cassette keeps: the ones the transport reads to decide whether and
/// when to retry. Nothing else of the server's headers is written (nor any request header:
/// the key travels in those).
const KEPT_HEADERS: [&str; 3] = ["retry-after", "retry-after-ms", "x-should-retry"];

/// One request a client is about to send, as a cassette sees it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Call<'a> {
    /// `POST` (an extraction) or `GET` (`detect_server`).
    pub method: &'static str,
    /// The dialect's path after the base URL, without a query (`/chat/completions`,
    /// `/models/gemini-2.5-flash:generateContent`).
    pub endpoint: &'a str,
    /// The JSON body; empty for none.
    pub body: &'a [u8],
    /// Whether the answer is read as an event stream.
    pub stream: bool,
    /// The client's key, scrubbed out of everything written.
    pub key: Option<&'a str>,
    /// The client's limit on a response body.
    pub limit: usize,
}

impl Call<'_> {
    /// The request body as the file holds it and a replay matches it: a JSON value (the text
    /// when it is not JSON, `null` when empty), the key scrubbed out.
    pub(crate) fn request(&self) -> Value {
        if self.body.is_empty() {
            return Value::Null;
        }
        let text = scrub(String::from_utf8_lossy(self.body).into_owned(), self.key);
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    }

    /// `POST /chat/completions` and the start of the body, for an error.
    pub(crate) fn describe(&self) -> String {
        let body = self.request();
        let mut shown = if body.is_null() {
            "no body".to_owned()
        } else {
            let text = body.to_string();
            let mut excerpt: String = text.chars().take(240).collect();
            if excerpt.len() < text.len() {
                excerpt.push_str("...");
            }
            format!("body {excerpt}")
        };
        shown.insert_str(0, &format!("{} {} with ", self.method, self.endpoint));
        shown
    }
}

/// How a JSON body was laid out, so that writing the value back gives the same bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Layout {
    /// `serde_json::to_string`, then a newline.
    CompactNewline,
    /// `serde_json::to_string_pretty` (two spaces, `": "`).
    Pretty,
    /// Pretty, then a newline.
    PrettyNewline,
}

const LAYOUTS: [Option<Layout>; 4] = [
    None,
    Some(Layout::CompactNewline),
    Some(Layout::Pretty),
    Some(Layout::PrettyNewline),
];

fn lay_out(value: &Value, layout: Option<Layout>) -> String {
    let pretty = || serde_json::to_string_pretty(value).unwrap_or_default();
    match layout {
        None => value.to_string(),
        Some(Layout::CompactNewline) => format!("{value}\n"),
        Some(Layout::Pretty) => pretty(),
        Some(Layout::PrettyNewline) => pretty() + "\n",
    }
}

/// `text` as a JSON value and the layout that writes it back byte for byte, if there is one.
fn as_json(text: &str) -> Option<(Value, Option<Layout>)> {
    // `null` is kept as text: the file could not tell it from no body.
    let value = serde_json::from_str::<Value>(text)
        .ok()
        .filter(|v| !v.is_null())?;
    let layout = LAYOUTS.into_iter().find(|l| lay_out(&value, *l) == text)?;
    Some((value, layout))
}

/// One server-sent event of a recorded stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Event {
    /// Its `event:` line, if it had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    event: Option<String>,
    /// Its `data:` as JSON, when it is compact JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    data: Option<Value>,
    /// Its `data:` as text, when it is not (`[DONE]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    text: Option<String>,
}

impl Event {
    fn of(event: Option<&str>, data: &str) -> Self {
        let json = serde_json::from_str::<Value>(data)
            .ok()
            .filter(|v| !v.is_null() && lay_out(v, None) == data);
        Self {
            event: event.map(str::to_owned),
            text: json.is_none().then(|| data.to_owned()),
            data: json,
        }
    }

    fn write(&self, nl: &str, out: &mut String) {
        if let Some(e) = &self.event {
            out.push_str(&format!("event: {e}{nl}"));
        }
        let data = match (&self.data, &self.text) {
            (Some(v), _) => v.to_string(),
            (None, Some(t)) => t.clone(),
            (None, None) => String::new(),
        };
        out.push_str(&format!("data: {data}{nl}{nl}"));
    }
}

/// The events of a stream's text, and its line break when that is `\r\n`; `None` when the
/// events written back would not be the same bytes (comments, `id:` lines, data over
/// several lines, a stream cut mid-event).
fn as_events(text: &str) -> Option<(Vec<Event>, Option<String>)> {
    let nl = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let end = nl.repeat(2);
    let body = text.strip_suffix(end.as_str())?;
    let mut events = Vec::new();
    for block in body.split(end.as_str()) {
        let mut lines = block.split(nl);
        let first = lines.next()?;
        let (event, data) = match first.strip_prefix("event: ") {
            Some(name) => (Some(name), lines.next()?),
            None => (None, first),
        };
        if lines.next().is_some() {
            return None;
        }
        events.push(Event::of(event, data.strip_prefix("data: ")?));
    }
    let mut again = String::with_capacity(text.len());
    for e in &events {
        e.write(nl, &mut again);
    }
    (again == text).then(|| (events, (nl != "\n").then(|| nl.to_owned())))
}

/// One line of a cassette: a request and the server's answer to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Exchange {
    /// `POST` or `GET`.
    pub method: String,
    /// The path after the base URL, without a query.
    pub endpoint: String,
    /// The HTTP status of the answer.
    pub status: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    content_type: Option<String>,
    /// The headers of [`KEPT_HEADERS`] the server sent.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    headers: BTreeMap<String, String>,
    /// The request body ([`Call::request`]).
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub request: Value,
    /// The answer as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    body: Option<Value>,
    /// How `body` was laid out, when not compact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    layout: Option<Layout>,
    /// The answer's events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    events: Option<Vec<Event>>,
    /// The events' line break, when not `\n`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    newline: Option<String>,
    /// The answer as text, when it is neither.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    text: Option<String>,
}

impl Exchange {
    /// The exchange of `call`, answered with `status`, `headers` and the body `bytes` (read
    /// as an event stream when `events`); the key is scrubbed out of the body.
    pub(crate) fn new(
        call: &Call<'_>,
        status: u16,
        headers: &HeaderMap,
        bytes: &[u8],
        events: bool,
    ) -> Self {
        let mut x = Self::head(call, status, headers);
        x.set_body(bytes, events, call.key);
        x
    }

    /// The exchange of `call` answered with `status` and `headers`, its body still to come
    /// ([`set_body`](Self::set_body)).
    pub(crate) fn head(call: &Call<'_>, status: u16, headers: &HeaderMap) -> Self {
        Exchange {
            method: call.method.to_owned(),
            endpoint: call.endpoint.to_owned(),
            status,
            content_type: header(headers, CONTENT_TYPE.as_str()).map(str::to_owned),
            headers: KEPT_HEADERS
                .iter()
                .filter_map(|n| header(headers, n).map(|v| (n.to_string(), v.to_owned())))
                .collect(),
            request: call.request(),
            body: None,
            layout: None,
            events: None,
            newline: None,
            text: None,
        }
    }

    /// The answer's body: `bytes` (read as an event stream when `events`), `key` scrubbed
    /// out.
    pub(crate) fn set_body(&mut self, bytes: &[u8], events: bool, key: Option<&str>) {
        let text = scrub(String::from_utf8_lossy(bytes).into_owned(), key);
        (self.body, self.layout, self.events, self.newline, self.text) =
            (None, None, None, None, None);
        if let Some((events, newline)) = events.then(|| as_events(&text)).flatten() {
            self.events = Some(events);
            self.newline = newline;
        } else if let Some((value, layout)) = as_json(&text) {
            self.body = Some(value);
            self.layout = layout;
        } else {
            self.text = Some(text);
        }
    }

    /// What is wrong with an exchange read from a file: `Err` names it.
    pub(crate) fn check(&self) -> Result<(), String> {
        let bodies = [
            self.body.is_some(),
            self.events.is_some(),
            self.text.is_some(),
        ];
        if bodies.iter().filter(|b| **b).count() != 1 {
            return Err("an exchange holds exactly one of `body`, `events` and `text`".into());
        }
        if let Some(events) = &self.events {
            if let Some(i) = events
                .iter()
                .position(|e| e.data.is_some() == e.text.is_some())
            {
                return Err(format!(
                    "event {i} holds neither or both of `data` and `text`"
                ));
            }
        }
        reqwest::StatusCode::from_u16(self.status)
            .map(|_| ())
            .map_err(|_| format!("{} is not an HTTP status", self.status))
    }

    /// The bytes the server sent (the key scrubbed out), in pieces: one per event of a
    /// stream, else one.
    fn pieces(&self) -> Vec<Vec<u8>> {
        if let Some(events) = &self.events {
            let nl = self.newline.as_deref().unwrap_or("\n");
            let piece = |e: &Event| {
                let mut out = String::new();
                e.write(nl, &mut out);
                out.into_bytes()
            };
            return events.iter().map(piece).collect();
        }
        vec![match (&self.body, &self.text) {
            (Some(value), _) => lay_out(value, self.layout).into_bytes(),
            (None, Some(text)) => text.clone().into_bytes(),
            (None, None) => Vec::new(),
        }]
    }

    /// The response a replay serves: the recorded status, content type, kept headers and
    /// body. A stream's events come one at a time, as a server that sends each when it is
    /// written: the reader wakes once per event (and shows a partial value per event), the
    /// same on every replay.
    pub(crate) fn response(&self) -> reqwest::Response {
        let mut headers = HeaderMap::new();
        let named = self
            .content_type
            .iter()
            .map(|v| (CONTENT_TYPE.as_str(), v))
            .chain(self.headers.iter().map(|(n, v)| (n.as_str(), v)));
        for (name, value) in named {
            if let (Ok(n), Ok(v)) = (
                reqwest::header::HeaderName::from_bytes(name.as_bytes()),
                reqwest::header::HeaderValue::from_str(value),
            ) {
                headers.insert(n, v);
            }
        }
        let pieces = self.pieces();
        let body = if self.events.is_some() {
            let paced = futures_util::stream::iter(pieces).then(|piece| async move {
                Later::default().await;
                Ok::<_, Infallible>(piece)
            });
            reqwest::Body::wrap_stream(paced)
        } else {
            reqwest::Body::from(pieces.concat())
        };
        response(self.status, &headers, body)
    }
}

/// A response built here (not received): `status`, `headers` (less those that described the
/// original body's framing) and `body`.
pub(crate) fn response(status: u16, headers: &HeaderMap, body: reqwest::Body) -> reqwest::Response {
    let mut built = http::Response::new(body);
    *built.status_mut() = reqwest::StatusCode::from_u16(status).unwrap_or(reqwest::StatusCode::OK);
    for (name, value) in headers {
        if name != CONTENT_LENGTH && name != TRANSFER_ENCODING {
            built.headers_mut().append(name, value.clone());
        }
    }
    reqwest::Response::from(built)
}

/// Ready on its second poll: a piece of a replayed stream comes after the reader has had the
/// one before it to itself.
#[derive(Default)]
struct Later(bool);

impl Future for Later {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A chat request with `body`, from a client whose key is `sk-SECRET`.
    pub(crate) fn call(body: &[u8]) -> Call<'_> {
        Call {
            method: "POST",
            endpoint: "/chat/completions",
            body,
            stream: false,
            key: Some("sk-SECRET"),
            limit: 1 << 20,
        }
    }

    fn round_trip(text: &str, events: bool) -> Exchange {
        let x = Exchange::new(
            &call(b"{}"),
            200,
            &HeaderMap::new(),
            text.as_bytes(),
            events,
        );
        let line = serde_json::to_string(&x).unwrap();
        let back: Exchange = serde_json::from_str(&line).unwrap();
        back.check().unwrap();
        assert_eq!(
            String::from_utf8(back.pieces().concat()).unwrap(),
            text,
            "{line}"
        );
        back
    }

    #[test]
    fn a_json_body_is_kept_as_a_value_when_it_comes_back_byte_for_byte() {
        assert!(round_trip(r#"{"a":1,"b":[true]}"#, false).body.is_some());
        let pretty = "{\n  \"candidates\": [\n    {\n      \"x\": 1\n    }\n  ]\n}\n";
        let x = round_trip(pretty, false);
        assert_eq!(x.layout, Some(Layout::PrettyNewline));
        // Python's separators: kept as text, so the bytes are the same.
        assert!(round_trip(r#"{"a": 1, "b": 2}"#, false).text.is_some());
        assert!(round_trip("", false).text.is_some());
        assert!(round_trip("upstream failed", false).text.is_some());
    }

    #[test]
    fn an_event_stream_is_kept_as_events_when_its_framing_comes_back() {
        let x = round_trip("data: {\"a\":1}\n\ndata: [DONE]\n\n", true);
        assert_eq!(x.events.as_ref().unwrap().len(), 2);
        let named = "event: message_start\ndata: {\"type\":\"message_start\"}\n\n";
        assert_eq!(
            round_trip(named, true).events.unwrap()[0].event.as_deref(),
            Some("message_start")
        );
        let crlf = "data: {\"a\":1}\r\n\r\n";
        assert_eq!(round_trip(crlf, true).newline.as_deref(), Some("\r\n"));
        // A comment, several data lines, a stream cut mid-event: the text.
        for odd in [
            ": ping\n\ndata: 1\n\n",
            "data: a\ndata: b\n\n",
            "data: {\"a\":",
        ] {
            assert!(round_trip(odd, true).text.is_some(), "{odd}");
        }
    }

    #[test]
    fn the_key_is_scrubbed_from_the_request_and_the_reply() {
        let body = br#"{"echo":"sk-SECRET"}"#;
        let x = Exchange::new(&call(body), 401, &HeaderMap::new(), body, false);
        let line = serde_json::to_string(&x).unwrap();
        assert!(!line.contains("sk-SECRET"), "{line}");
        assert!(line.contains("[REDACTED]"), "{line}");
    }

    #[test]
    fn only_the_retry_headers_are_kept() {
        let mut h = HeaderMap::new();
        h.insert("retry-after", "1".parse().unwrap());
        h.insert("set-cookie", "s=1".parse().unwrap());
        h.insert(CONTENT_TYPE, "application/json".parse().unwrap());
        let x = Exchange::new(&call(b"{}"), 429, &h, b"{}", false);
        assert_eq!(x.headers.len(), 1);
        let r = x.response();
        assert_eq!(r.status().as_u16(), 429);
        assert_eq!(r.headers()["retry-after"], "1");
        assert_eq!(r.headers()[CONTENT_TYPE], "application/json");
        assert!(r.headers().get("set-cookie").is_none());
    }

    #[test]
    fn a_file_line_with_no_body_or_two_is_refused() {
        let mut x = round_trip("{}", false);
        x.text = Some("{}".into());
        assert!(x.check().unwrap_err().contains("exactly one"));
        x.body = None;
        x.text = None;
        assert!(x.check().is_err());
    }

    #[test]
    fn a_long_request_is_shown_as_an_excerpt() {
        let body = format!("{{\"messages\":\"{}\"}}", "x".repeat(1000));
        let shown = call(body.as_bytes()).describe();
        assert!(
            shown.starts_with("POST /chat/completions with body {\"messages\""),
            "{shown}"
        );
        assert!(shown.ends_with("..."), "{shown}");
        assert!(shown.len() < 300);
    }
}
