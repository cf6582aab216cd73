//! Streaming extraction: typed partial values while the model writes
//! ([`Extract::stream_partial`]) and the elements of a list one by one
//! ([`Extract::stream_iter`]).
//!
//! The answer arrives as server-sent events. Each delta (`delta.content` in the JSON modes,
//! `delta.tool_calls[0].function.arguments` in [`Mode::Tools`], the inside of the fence in
//! [`Mode::MdJson`]) goes through one [`PartialJson`] parser that resumes where it stopped,
//! so an answer of n bytes costs O(n) to parse however it is chunked. When the consumer is
//! slower than the network, every chunk that has arrived is parsed but only one snapshot is
//! built per poll.
//!
//! The events are decoded here rather than by `eventsource-stream`: that crate re-scans the
//! pending line from its start on every chunk (quadratic for one large event arriving in
//! small pieces) and copies its buffer for every line; this decoder is linear and stops at
//! the client's [`max_response_bytes`](crate::ClientBuilder::max_response_bytes).

use std::borrow::Cow;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_util::future::BoxFuture;
use futures_util::{FutureExt, Stream, StreamExt};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::{scrub, Error};
use crate::extract::{read_reply, Attempt, Completion, Extract, ValidationContext};
use crate::mode::{spec_for, Mode, ModeSpec};
use crate::partial_json::{ItemsAt, PartialJson};
use crate::reask::reask_messages;
use crate::schema::SchemaGenerator;
use crate::wire::{ChatCompletion, Message, Usage};
use crate::Instructor;

// ---------------------------------------------------------------------------------------
// Server-sent events

/// One event: its `event:` name (empty for the default) and its `data:` lines joined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SseEvent {
    pub event: String,
    pub data: String,
}

/// Why the event stream cannot be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SseError {
    /// More bytes than the limit.
    TooLarge,
    /// A line that is not UTF-8.
    InvalidUtf8,
}

/// A server-sent events decoder: bytes in, events out, linear in the input and bounded by
/// `limit` bytes in all.
#[derive(Debug)]
pub(crate) struct SseDecoder {
    buf: Vec<u8>,
    /// How much of `buf` has been searched for a line end already.
    scanned: usize,
    /// The last line ended with `\r`: a `\n` right after it belongs to it.
    skip_lf: bool,
    event: String,
    data: String,
    has_data: bool,
    total: usize,
    limit: usize,
}

impl SseDecoder {
    pub(crate) fn new(limit: usize) -> Self {
        Self {
            buf: Vec::new(),
            scanned: 0,
            skip_lf: false,
            event: String::new(),
            data: String::new(),
            has_data: false,
            total: 0,
            limit,
        }
    }

    /// Decodes `chunk`, appending the events it completes to `out`.
    pub(crate) fn push(&mut self, chunk: &[u8], out: &mut Vec<SseEvent>) -> Result<(), SseError> {
        self.total = self.total.saturating_add(chunk.len());
        if self.total > self.limit {
            return Err(SseError::TooLarge);
        }
        self.buf.extend_from_slice(chunk);
        let mut start = 0;
        let mut i = self.scanned;
        while i < self.buf.len() {
            let b = self.buf[i];
            if self.skip_lf && i == start {
                self.skip_lf = false;
                if b == b'\n' {
                    start += 1;
                    i += 1;
                    continue;
                }
            }
            if b == b'\n' || b == b'\r' {
                let line =
                    std::str::from_utf8(&self.buf[start..i]).map_err(|_| SseError::InvalidUtf8)?;
                Self::line(
                    line,
                    &mut self.event,
                    &mut self.data,
                    &mut self.has_data,
                    out,
                );
                self.skip_lf = b == b'\r';
                start = i + 1;
            }
            i += 1;
        }
        self.buf.drain(..start);
        self.scanned = self.buf.len();
        Ok(())
    }

    fn line(
        line: &str,
        event: &mut String,
        data: &mut String,
        has_data: &mut bool,
        out: &mut Vec<SseEvent>,
    ) {
        if line.is_empty() {
            if *has_data {
                out.push(SseEvent {
                    event: std::mem::take(event),
                    data: std::mem::take(data),
                });
            }
            event.clear();
            *has_data = false;
            return;
        }
        if line.starts_with(':') {
            return;
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        match field {
            "data" => {
                if *has_data {
                    data.push('\n');
                }
                data.push_str(value);
                *has_data = true;
            }
            "event" => {
                event.clear();
                event.push_str(value);
            }
            _ => {}
        }
    }
}

// ---------------------------------------------------------------------------------------
// Stream chunks

#[derive(Debug, Default, Deserialize)]
struct StreamChunk {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    choices: Option<Vec<ChunkChoice>>,
    #[serde(default)]
    usage: Option<Usage>,
    #[serde(default)]
    error: Option<Value>,
}

#[derive(Debug, Deserialize)]
struct ChunkChoice {
    #[serde(default)]
    delta: Option<Delta>,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Delta {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    refusal: Option<String>,
    #[serde(default)]
    tool_calls: Option<Vec<ToolCallDelta>>,
}

#[derive(Debug, Deserialize)]
struct ToolCallDelta {
    #[serde(default)]
    index: Option<u32>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    function: Option<FunctionDelta>,
}

#[derive(Debug, Deserialize)]
struct FunctionDelta {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    arguments: Option<String>,
}

/// The message of an `error` event or of an `{"error": ..}` chunk.
fn error_message(error: &Value) -> String {
    error
        .get("message")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| error.as_str().map(str::to_owned))
        .unwrap_or_else(|| error.to_string())
}

// ---------------------------------------------------------------------------------------
// The JSON inside a Markdown fence

/// Passes on only the JSON of an `MdJson` answer: the inside of its first fenced block, or,
/// when the text has no fence, everything from the first `{`.
#[derive(Debug, Default)]
struct FenceFilter {
    state: FenceState,
    /// Text held back: before the fence opens, or backticks that may close it.
    held: String,
}

#[derive(Debug, Default, PartialEq, Eq)]
enum FenceState {
    #[default]
    Seeking,
    Inside,
    Done,
}

impl FenceFilter {
    /// The part of `delta` that is JSON.
    fn feed<'a>(&mut self, delta: &'a str) -> Cow<'a, str> {
        match self.state {
            FenceState::Done => Cow::Borrowed(""),
            FenceState::Seeking => {
                self.held.push_str(delta);
                let text = std::mem::take(&mut self.held);
                let fence = text.find("```");
                let brace = text.find('{');
                match (fence, brace) {
                    (Some(f), b) if b.is_none_or(|b| f < b) => {
                        let rest = &text[f + 3..];
                        match (rest.find('\n'), rest.find('{')) {
                            // ```{"a": 1}``` on one line.
                            (None, Some(b)) => {
                                self.state = FenceState::Inside;
                                Cow::Owned(self.inside(&rest[b..]))
                            }
                            (Some(nl), Some(b)) if b < nl => {
                                self.state = FenceState::Inside;
                                Cow::Owned(self.inside(&rest[b..]))
                            }
                            // The fence line ends: the JSON starts on the next one.
                            (Some(nl), _) => {
                                self.state = FenceState::Inside;
                                Cow::Owned(self.inside(&rest[nl + 1..]))
                            }
                            // A fence line is a language tag at most: a long one is no fence,
                            // and the held text stays small.
                            (None, None) if rest.len() > 64 => {
                                self.state = FenceState::Done;
                                Cow::Borrowed("")
                            }
                            (None, None) => {
                                self.held = text;
                                Cow::Borrowed("")
                            }
                        }
                    }
                    (_, Some(b)) => {
                        self.state = FenceState::Inside;
                        Cow::Owned(self.inside(&text[b..]))
                    }
                    _ => {
                        // Keep only what could still start a fence.
                        let keep = text.len() - text.trim_end_matches('`').len();
                        self.held = text[text.len() - keep..].to_owned();
                        Cow::Borrowed("")
                    }
                }
            }
            FenceState::Inside => Cow::Owned(self.inside(delta)),
        }
    }

    fn inside(&mut self, delta: &str) -> String {
        let mut text = std::mem::take(&mut self.held);
        text.push_str(delta);
        if let Some(end) = text.find("```") {
            self.state = FenceState::Done;
            text.truncate(end);
            return text;
        }
        let keep = (text.len() - text.trim_end_matches('`').len()).min(2);
        self.held = text[text.len() - keep..].to_owned();
        text.truncate(text.len() - keep);
        text
    }
}

// ---------------------------------------------------------------------------------------
// One streamed attempt

/// What one streamed answer has delivered so far.
struct Session {
    /// The API key, kept out of everything that leaves the session.
    secret: Option<String>,
    decoder: SseDecoder,
    parser: PartialJson,
    parser_failed: bool,
    fence: Option<FenceFilter>,
    mode: Mode,
    id: String,
    model: String,
    content: String,
    refusal: String,
    tool_index: Option<u32>,
    tool_id: String,
    tool_name: String,
    arguments: String,
    finish_reason: Option<String>,
    usage: Option<Usage>,
    done: bool,
    error: Option<String>,
    raw: String,
    changed: bool,
    /// The last snapshot shown.
    shown: Option<Value>,
    events: Vec<SseEvent>,
}

impl Session {
    fn new(mode: Mode, limit: usize, items: bool, secret: Option<&str>) -> Self {
        let parser = if items {
            PartialJson::new().with_items_at(ItemsAt::key("items"))
        } else {
            PartialJson::new()
        };
        Self {
            secret: secret.map(str::to_owned),
            decoder: SseDecoder::new(limit),
            parser,
            parser_failed: false,
            fence: (mode == Mode::MdJson).then(FenceFilter::default),
            mode,
            id: String::new(),
            model: String::new(),
            content: String::new(),
            refusal: String::new(),
            tool_index: None,
            tool_id: String::new(),
            tool_name: String::new(),
            arguments: String::new(),
            finish_reason: None,
            usage: None,
            done: false,
            error: None,
            raw: String::new(),
            changed: false,
            shown: None,
            events: Vec::new(),
        }
    }

    /// The text produced so far (the tool arguments in tools mode), without the API key.
    fn text(&self) -> String {
        let text = if self.mode == Mode::Tools && self.tool_index.is_some() {
            &self.arguments
        } else {
            &self.content
        };
        self.scrub(text)
    }

    /// `text` with the API key redacted: a key echoed across several deltas is only whole
    /// in the accumulated text.
    fn scrub(&self, text: &str) -> String {
        scrub(text.to_owned(), self.secret.as_deref())
    }

    /// Whether the answer is over: `[DONE]`, an error event, or a finish reason with the
    /// JSON complete.
    fn over(&self) -> bool {
        self.done || self.error.is_some()
    }

    fn parse(&mut self, json: &str) {
        if json.is_empty() || self.parser_failed || self.parser.is_complete() {
            return;
        }
        match self.parser.push(json) {
            Ok(p) => self.changed |= p.changed,
            // Not JSON: the final check reports it to the model.
            Err(_) => self.parser_failed = true,
        }
    }

    fn push(&mut self, bytes: &[u8]) -> Result<(), SseError> {
        let mut events = std::mem::take(&mut self.events);
        let result = self.decoder.push(bytes, &mut events);
        for event in events.drain(..) {
            self.event(event);
        }
        self.events = events;
        result
    }

    fn event(&mut self, event: SseEvent) {
        if self.over() {
            return;
        }
        let data = scrub(event.data, self.secret.as_deref());
        let data = data.trim();
        if data == "[DONE]" {
            self.done = true;
            return;
        }
        if !self.raw.is_empty() {
            self.raw.push('\n');
        }
        self.raw.push_str(data);
        if event.event == "error" {
            let message = serde_json::from_str::<Value>(data)
                .map(|v| error_message(v.get("error").unwrap_or(&v)))
                .unwrap_or_else(|_| data.to_owned());
            self.error = Some(message);
            return;
        }
        let chunk: StreamChunk = match serde_json::from_str(data) {
            Ok(c) => c,
            Err(e) => {
                self.error = Some(format!("an event is not a chat-completion chunk: {e}"));
                return;
            }
        };
        if let Some(error) = &chunk.error {
            self.error = Some(error_message(error));
            return;
        }
        if let Some(id) = chunk.id.filter(|i| !i.is_empty()) {
            self.id = id;
        }
        if let Some(model) = chunk.model.filter(|m| !m.is_empty()) {
            self.model = model;
        }
        if let Some(usage) = chunk.usage {
            self.usage = Some(usage);
        }
        for choice in chunk.choices.into_iter().flatten().take(1) {
            if let Some(reason) = choice.finish_reason {
                self.finish_reason = Some(reason);
            }
            let Some(delta) = choice.delta else { continue };
            if let Some(r) = delta.refusal {
                self.refusal.push_str(&r);
            }
            if let Some(text) = delta.content {
                self.content.push_str(&text);
                if self.mode != Mode::Tools {
                    match &mut self.fence {
                        Some(fence) => {
                            let json = fence.feed(&text).into_owned();
                            self.parse(&json);
                        }
                        None => self.parse(&text),
                    }
                }
            }
            for call in delta.tool_calls.into_iter().flatten() {
                let index = call.index.unwrap_or(0);
                if *self.tool_index.get_or_insert(index) != index {
                    continue;
                }
                if let Some(id) = call.id.filter(|i| !i.is_empty()) {
                    self.tool_id = id;
                }
                if let Some(f) = call.function {
                    if let Some(name) = f.name {
                        self.tool_name.push_str(&name);
                    }
                    if let Some(args) = f.arguments {
                        self.arguments.push_str(&args);
                        if self.mode == Mode::Tools {
                            self.parse(&args);
                        }
                    }
                }
            }
        }
    }

    /// The answer as a chat completion, as if it had not been streamed.
    fn completion(&self) -> ChatCompletion {
        let refusal = (!self.refusal.is_empty()).then(|| self.scrub(&self.refusal));
        let content = (!self.content.is_empty()).then(|| self.scrub(&self.content));
        let arguments = self.scrub(&self.arguments);
        let tool_calls = if self.tool_index.is_some() {
            json!([{
                "id": self.tool_id,
                "type": "function",
                "function": { "name": self.tool_name, "arguments": arguments },
            }])
        } else {
            json!([])
        };

        serde_json::from_value(json!({
            "id": self.id,
            "model": self.model,
            "choices": [{
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": content,
                    "refusal": refusal,
                    "tool_calls": tool_calls,
                },
                "finish_reason": self.finish_reason,
            }],
            "usage": self.usage,
        }))
        .unwrap_or_default()
    }
}

// ---------------------------------------------------------------------------------------
// The driver shared by both stream forms

/// The list a [`Extract::stream_iter`] answer is asked for: `{"items": [T, ...]}`, as Python
/// instructor's `Iterable[T]`.
pub(crate) struct Items<T>(PhantomData<fn() -> T>);

impl<T: Instructor> Instructor for Items<T> {
    type Partial = ();
    type Context = ();

    fn schema_name() -> Cow<'static, str> {
        Cow::Owned(format!("{}List", T::schema_name()))
    }

    fn description() -> Option<&'static str> {
        Some("Every item found, in order.")
    }

    fn schema(gen: &mut SchemaGenerator) -> Value {
        let items = T::schema(gen);
        json!({
            "type": "object",
            "title": Self::schema_name(),
            "description": "Every item found, in order.",
            "properties": { "items": { "type": "array", "items": items } },
            "required": ["items"],
        })
    }

    fn partial_from_value(_: Value) -> Option<()> {
        None
    }
}

/// What the stream's last step concluded.
enum Step<T> {
    /// Nothing to show yet; read on.
    Continue,
    /// A value to yield.
    Yield(T),
    /// The stream is over.
    End,
}

struct Driver<T, C> {
    req: Extract<T, C>,
    model: String,
    /// What is sent: `T`'s pieces, or `Items<T>`'s.
    spec: &'static ModeSpec,
    /// How one `T` is read back.
    item_spec: &'static ModeSpec,
    items: bool,
    messages: Vec<Message>,
    attempt: Arc<AtomicU32>,
    total: u32,
    usage: Usage,
    attempts: Vec<Attempt>,
    last_reply: Option<String>,
    response: Option<reqwest::Response>,
    session: Option<Session>,
    items_seen: usize,
    ready_items: std::collections::VecDeque<Value>,
    /// An error found with elements still to yield: it comes after them.
    pending_error: Option<Error>,
    finished: bool,
    outcome: Option<Result<(T, Completion), Error>>,
}

impl<T, C> Driver<T, C>
where
    T: Instructor + DeserializeOwned + Send + 'static,
    C: ValidationContext<T>,
{
    fn new(req: Extract<T, C>, items: bool) -> Result<Self, Error> {
        let (model, mode, spec) = if items {
            req.resolve_for::<Items<T>>()?
        } else {
            req.resolve_for::<T>()?
        };
        let item_spec = spec_for::<T>(mode);
        let messages = req.prepared_messages(spec);
        let total = req.max_retries.saturating_add(1);
        Ok(Self {
            req,
            model,
            spec,
            item_spec,
            items,
            messages,
            attempt: Arc::new(AtomicU32::new(0)),
            total,
            usage: Usage::default(),
            attempts: Vec::new(),
            last_reply: None,
            response: None,
            session: None,
            items_seen: 0,
            ready_items: Default::default(),
            pending_error: None,
            finished: false,
            outcome: None,
        })
    }

    /// Ends the stream with `error`, also kept for `into_final`.
    fn fail(&mut self, error: Error) -> Error {
        self.finished = true;
        self.response = None;
        self.session = None;
        if let Some(hook) = &self.req.client.inner.hooks.on_error {
            hook(&error);
        }
        self.outcome = Some(Err(error.clone()));
        error
    }

    /// Opens the next attempt's stream.
    async fn open(&mut self) -> Result<(), Error> {
        let n = self.attempt.fetch_add(1, Ordering::Relaxed) + 1;
        let body = self
            .req
            .request_body(&self.model, self.spec, &self.messages, true);
        let resp = self
            .req
            .client
            .post_chat_stream(&body, n, &self.model)
            .await
            .map_err(|e| e.with_prior_usage(self.usage))?;
        self.response = Some(resp);
        self.session = Some(Session::new(
            self.spec.mode,
            self.req.client.max_response_bytes(),
            self.items,
            self.req.client.api_key(),
        ));
        Ok(())
    }

    /// Reads what has arrived: waits for one chunk, then takes every chunk already there.
    async fn pump(&mut self) -> Result<(), Error> {
        let timeout = self.req.client.request_timeout();
        let (Some(resp), Some(session)) = (self.response.as_mut(), self.session.as_mut()) else {
            return Ok(());
        };
        let first = match timeout {
            Some(t) => match tokio::time::timeout(t, resp.chunk()).await {
                Ok(r) => r,
                Err(_) => {
                    return Err(Error::Stream {
                        message: format!("no data for {t:?}"),
                        text: session.text(),
                        usage: session.usage.unwrap_or_default(),
                    })
                }
            },
            None => resp.chunk().await,
        };
        let mut next = Some(first);
        while let Some(read) = next.take() {
            match read {
                Ok(Some(bytes)) => {
                    match session.push(&bytes) {
                        Ok(()) => {}
                        Err(SseError::TooLarge) => {
                            return Err(Error::ResponseTooLarge {
                                limit: self.req.client.max_response_bytes(),
                                usage: self.usage,
                            })
                        }
                        Err(SseError::InvalidUtf8) => {
                            return Err(Error::Stream {
                                message: "the event stream is not valid UTF-8".into(),
                                text: session.text(),
                                usage: session.usage.unwrap_or_default(),
                            })
                        }
                    }
                    if session.over() {
                        break;
                    }
                    next = resp.chunk().now_or_never();
                }
                Ok(None) => {
                    // The body ended: an answer that finished needs no `[DONE]`.
                    if session.finish_reason.is_some() || session.parser.is_complete() {
                        session.done = true;
                    } else {
                        session.error =
                            Some("the stream ended before the answer was complete".into());
                    }
                }
                Err(e) => {
                    session.error = Some(format!("the connection failed mid-stream: {e}"));
                }
            }
        }
        Ok(())
    }

    /// The end of an attempt: the value, a re-ask, or the end of the extraction.
    async fn conclude(&mut self) -> Result<Option<T>, Error> {
        let Some(session) = self.session.take() else {
            return Ok(None);
        };
        self.response = None;
        let usage = session.usage.unwrap_or_default();
        self.usage += usage;
        if let Some(message) = session.error.clone() {
            return Err(Error::Stream {
                message,
                text: session.text(),
                usage: self.usage,
            });
        }
        let completion = session.completion();
        let (reply, json) = read_reply(&completion, self.spec, self.usage)?;
        let n = self.attempt.load(Ordering::Relaxed);
        if self.items {
            // Elements were checked one by one; what is left is whether the list was whole.
            let outcome = match json {
                Ok(_) if session.parser_failed || !session.parser.is_complete() => {
                    Err(Error::Stream {
                        message: "the answer is not a complete `{\"items\": [..]}` object".into(),
                        text: session.text(),
                        usage: self.usage,
                    })
                }
                Ok(_) => Ok(None),
                Err(error) => Err(Error::RetriesExhausted {
                    attempts: n,
                    errors_per_attempt: vec![error],
                    last_reply: Some(session.text()),
                    usage: self.usage,
                }),
            };
            self.attempts.push(Attempt {
                response: completion,
                raw: session.raw,
                error: None,
            });
            return outcome;
        }
        let outcome = match json {
            Ok(text) => {
                self.last_reply = Some(text.clone());
                self.req.check(&text, self.spec).await?
            }
            Err(e) => {
                if let crate::reask::Reply::Text(Some(t)) = &reply {
                    self.last_reply = Some(t.clone());
                }
                Err(e)
            }
        };
        match outcome {
            Ok(value) => {
                self.attempts.push(Attempt {
                    response: completion,
                    raw: session.raw,
                    error: None,
                });
                Ok(Some(value))
            }
            Err(error) => {
                if n < self.total {
                    let tool =
                        (self.spec.mode == Mode::Tools).then_some(self.spec.tool_name.as_str());
                    self.messages
                        .extend(reask_messages(&reply, &error, tool, n));
                }
                self.attempts.push(Attempt {
                    response: completion,
                    raw: session.raw,
                    error: Some(error),
                });
                if n < self.total {
                    Ok(None)
                } else {
                    Err(Error::RetriesExhausted {
                        attempts: n,
                        errors_per_attempt: self
                            .attempts
                            .iter()
                            .filter_map(|a| a.error.clone())
                            .collect(),
                        last_reply: self.last_reply.clone(),
                        usage: self.usage,
                    })
                }
            }
        }
    }

    /// One step of `stream_partial`.
    async fn step_partial(&mut self) -> Result<Step<T::Partial>, Error> {
        if self.session.is_none() {
            self.open().await?;
        }
        if self.session.as_ref().is_some_and(|s| !s.over()) {
            self.pump().await?;
        }
        let Some(session) = self.session.as_mut() else {
            return Ok(Step::Continue);
        };
        // The last change is shown before the answer is judged; a snapshot equal to the one
        // before (whitespace, a key not yet complete) is not shown again.
        if std::mem::take(&mut session.changed) {
            if let Some(snapshot) = session.parser.snapshot() {
                if session.shown.as_ref() != Some(&snapshot) {
                    session.shown = Some(snapshot.clone());
                    if let Some(partial) = T::partial_from_value(snapshot) {
                        return Ok(Step::Yield(partial));
                    }
                }
            }
        }
        if session.over() {
            return Ok(match self.conclude().await? {
                Some(value) => {
                    let completion = Completion {
                        attempts: std::mem::take(&mut self.attempts),
                        usage: self.usage,
                    };
                    self.outcome = Some(Ok((value, completion)));
                    self.finished = true;
                    Step::End
                }
                // Re-asked: the next step opens the new attempt.
                None => Step::Continue,
            });
        }
        Ok(Step::Continue)
    }

    /// One step of `stream_iter`.
    async fn step_item(&mut self) -> Result<Step<Result<T, Error>>, Error> {
        if let Some(value) = self.ready_items.pop_front() {
            let index = self.items_seen;
            self.items_seen += 1;
            return Ok(Step::Yield(
                match self.req.check(&value.to_string(), self.item_spec).await? {
                    Ok(item) => Ok(item),
                    Err(error) => Err(Error::InvalidItem { index, error }),
                },
            ));
        }
        if let Some(e) = self.pending_error.take() {
            return Err(e);
        }
        if self.finished {
            return Ok(Step::End);
        }
        if self.session.is_none() {
            self.open().await?;
        }
        let pumped = self.pump().await;
        let Some(session) = self.session.as_mut() else {
            return Ok(Step::End);
        };
        self.ready_items
            .extend(session.parser.take_completed_items());
        let concluded = match pumped {
            Err(e) => Err(e),
            Ok(()) if session.over() => self.conclude().await.map(|_| ()),
            Ok(()) => return Ok(Step::Continue),
        };
        self.finished = true;
        self.response = None;
        self.session = None;
        if let Err(e) = concluded {
            self.pending_error = Some(e);
        }
        Ok(Step::Continue)
    }
}

// ---------------------------------------------------------------------------------------
// The public streams

type Stepping<D, I> = BoxFuture<'static, (Box<D>, Option<I>)>;

/// Polls a driver one step at a time (the driver moves into the step's future and back).
struct Pump<D, I> {
    driver: Option<Box<D>>,
    step: Option<Stepping<D, I>>,
    next: fn(Box<D>) -> Stepping<D, I>,
}

impl<D, I> Pump<D, I> {
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Option<I>> {
        loop {
            if let Some(step) = self.step.as_mut() {
                let (driver, item) = match step.as_mut().poll(cx) {
                    Poll::Ready(r) => r,
                    Poll::Pending => return Poll::Pending,
                };
                self.step = None;
                self.driver = Some(driver);
                return Poll::Ready(item);
            }
            let Some(driver) = self.driver.take() else {
                return Poll::Ready(None);
            };
            self.step = Some((self.next)(driver));
        }
    }
}

/// Typed partial values of a `T` as the model writes it, from
/// [`Extract::stream_partial`].
///
/// Each item is the value so far, yielded when it changed; fields fill in as they arrive
/// (strings as they are written, numbers once complete). When the answer ends, it is parsed
/// as a `T` and validated like a non-streamed one; if it fails and re-asks are left
/// ([`max_retries`](Extract::max_retries)), the model is asked again and **the partials start
/// over from the new attempt** ([`attempt`](Self::attempt) says which one is streaming). A
/// failure ends the stream with one `Err` item.
///
/// Get the validated value with [`into_final`](Self::into_final). Dropping the stream
/// closes the connection.
#[must_use = "a stream does nothing unless polled"]
pub struct PartialStream<T: Instructor> {
    pump: Pump<DriverFor<T>, Result<T::Partial, Error>>,
    attempt: Arc<AtomicU32>,
}

/// The driver behind a stream, with the request's context type erased.
trait AnyDriver<T: Instructor>: Send {
    fn step_partial(&mut self) -> BoxFuture<'_, Result<Step<T::Partial>, Error>>;
    fn step_item(&mut self) -> BoxFuture<'_, Result<Step<Result<T, Error>>, Error>>;
    fn fail(&mut self, error: Error) -> Error;
    fn finished(&self) -> bool;
    fn outcome(&mut self) -> Option<Result<(T, Completion), Error>>;
}

impl<T, C> AnyDriver<T> for Driver<T, C>
where
    T: Instructor + DeserializeOwned + Send + 'static,
    T::Partial: Send,
    C: ValidationContext<T>,
{
    fn step_partial(&mut self) -> BoxFuture<'_, Result<Step<T::Partial>, Error>> {
        Box::pin(Driver::step_partial(self))
    }
    fn step_item(&mut self) -> BoxFuture<'_, Result<Step<Result<T, Error>>, Error>> {
        Box::pin(Driver::step_item(self))
    }
    fn fail(&mut self, error: Error) -> Error {
        Driver::fail(self, error)
    }
    fn finished(&self) -> bool {
        self.finished
    }
    fn outcome(&mut self) -> Option<Result<(T, Completion), Error>> {
        self.outcome.take()
    }
}

struct DriverFor<T: Instructor>(Box<dyn AnyDriver<T>>);

fn next_partial<T: Instructor + 'static>(
    mut d: Box<DriverFor<T>>,
) -> Stepping<DriverFor<T>, Result<T::Partial, Error>>
where
    T::Partial: Send,
{
    Box::pin(async move {
        loop {
            if d.0.finished() {
                return (d, None);
            }
            match d.0.step_partial().await {
                Ok(Step::Yield(p)) => return (d, Some(Ok(p))),
                Ok(Step::Continue) => {}
                Ok(Step::End) => return (d, None),
                Err(e) => {
                    let e = d.0.fail(e);
                    return (d, Some(Err(e)));
                }
            }
        }
    })
}

fn next_item<T: Instructor + Send + 'static>(
    mut d: Box<DriverFor<T>>,
) -> Stepping<DriverFor<T>, Result<T, Error>> {
    Box::pin(async move {
        loop {
            match d.0.step_item().await {
                Ok(Step::Yield(item)) => return (d, Some(item)),
                Ok(Step::Continue) => {}
                Ok(Step::End) => return (d, None),
                Err(e) => {
                    let e = d.0.fail(e);
                    return (d, Some(Err(e)));
                }
            }
        }
    })
}

impl<T: Instructor> Stream for PartialStream<T> {
    type Item = Result<T::Partial, Error>;
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().pump.poll(cx)
    }
}

impl<T: Instructor> Unpin for PartialStream<T> {}

impl<T: Instructor> PartialStream<T> {
    /// Which attempt is streaming: 1 for the first request, 2 after the first re-ask, ...
    /// (0 before the first request is sent).
    pub fn attempt(&self) -> u32 {
        self.attempt.load(Ordering::Relaxed)
    }

    /// Reads the rest of the stream and returns the validated value.
    pub async fn into_final(self) -> Result<T, Error> {
        self.into_final_with_completion().await.map(|(v, _)| v)
    }

    /// [`into_final`](Self::into_final), also returning every attempt and the usage summed
    /// over them.
    pub async fn into_final_with_completion(mut self) -> Result<(T, Completion), Error> {
        while self.next().await.is_some() {}
        self.pump
            .driver
            .as_mut()
            .and_then(|d| d.0.outcome())
            .unwrap_or_else(|| {
                Err(Error::Config(
                    "the stream's outcome was already taken by into_final".into(),
                ))
            })
    }
}

impl<T: Instructor> std::fmt::Debug for PartialStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PartialStream")
            .field("type", &std::any::type_name::<T>())
            .field("attempt", &self.attempt())
            .finish_non_exhaustive()
    }
}

/// The elements of a list, each as soon as its closing brace arrives, from
/// [`Extract::stream_iter`].
///
/// The model is asked for `{"items": [T, ...]}`. Each element is parsed and validated on
/// its own: a valid one is yielded as `Ok(T)`, an invalid one as
/// `Err(Error::InvalidItem { index, .. })`, and the others still flow. There is no re-ask.
/// A failure of the whole answer (cut off, refused, not a list) ends the stream with one
/// `Err` item. Dropping the stream closes the connection.
#[must_use = "a stream does nothing unless polled"]
pub struct ItemStream<T: Instructor> {
    pump: Pump<DriverFor<T>, Result<T, Error>>,
}

impl<T: Instructor> Stream for ItemStream<T> {
    type Item = Result<T, Error>;
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().pump.poll(cx)
    }
}

impl<T: Instructor> Unpin for ItemStream<T> {}

impl<T: Instructor> std::fmt::Debug for ItemStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ItemStream")
            .field("type", &std::any::type_name::<T>())
            .finish_non_exhaustive()
    }
}

/// A driver that fails at once (the request could not be built).
struct Failed<T>(Option<Error>, Option<Result<(T, Completion), Error>>);

impl<T: Instructor + Send> AnyDriver<T> for Failed<T> {
    fn step_partial(&mut self) -> BoxFuture<'_, Result<Step<T::Partial>, Error>> {
        let e = self.0.take();
        Box::pin(async move { e.map_or(Ok(Step::End), Err) })
    }
    fn step_item(&mut self) -> BoxFuture<'_, Result<Step<Result<T, Error>>, Error>> {
        let e = self.0.take();
        Box::pin(async move { e.map_or(Ok(Step::End), Err) })
    }
    fn fail(&mut self, error: Error) -> Error {
        self.1 = Some(Err(error.clone()));
        error
    }
    fn finished(&self) -> bool {
        self.0.is_none()
    }
    fn outcome(&mut self) -> Option<Result<(T, Completion), Error>> {
        self.1.take()
    }
}

impl<T, C> Extract<T, C>
where
    T: Instructor + DeserializeOwned + Send + 'static,
    T::Partial: Send,
    C: ValidationContext<T>,
{
    fn driver(self, items: bool) -> (Box<DriverFor<T>>, Arc<AtomicU32>) {
        match Driver::new(self, items) {
            Ok(d) => {
                let attempt = d.attempt.clone();
                (Box::new(DriverFor(Box::new(d))), attempt)
            }
            Err(e) => (
                Box::new(DriverFor(Box::new(Failed(Some(e), None)))),
                Arc::new(AtomicU32::new(0)),
            ),
        }
    }

    /// Streams typed partial values of `T` as the model writes them; see [`PartialStream`].
    ///
    /// ```no_run
    /// # use futures_util::StreamExt;
    /// # #[derive(serde::Deserialize)] struct Report { title: String }
    /// # impl instructor_core::Instructor for Report {
    /// #     type Partial = Option<String>; type Context = ();
    /// #     fn schema_name() -> std::borrow::Cow<'static, str> { "Report".into() }
    /// #     fn schema(_: &mut instructor_core::SchemaGenerator) -> serde_json::Value { serde_json::json!({"type": "object"}) }
    /// #     fn partial_from_value(v: serde_json::Value) -> Option<Self::Partial> { Some(v["title"].as_str().map(str::to_owned)) }
    /// # }
    /// # async fn run(client: instructor_core::Client) -> Result<(), instructor_core::Error> {
    /// let mut partials = client.extract::<Report>().model("m").user("...").stream_partial();
    /// while let Some(partial) = partials.next().await {
    ///     println!("{:?}", partial?);
    /// }
    /// let report: Report = partials.into_final().await?;
    /// # Ok(()) }
    /// ```
    pub fn stream_partial(self) -> PartialStream<T> {
        let (driver, attempt) = self.driver(false);
        PartialStream {
            pump: Pump {
                driver: Some(driver),
                step: None,
                next: next_partial::<T>,
            },
            attempt,
        }
    }

    /// Streams the elements of a list of `T`, each validated as soon as it is complete; see
    /// [`ItemStream`].
    pub fn stream_iter(self) -> ItemStream<T> {
        let (driver, _) = self.driver(true);
        ItemStream {
            pump: Pump {
                driver: Some(driver),
                step: None,
                next: next_item::<T>,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(chunks: &[&[u8]]) -> Vec<SseEvent> {
        let mut d = SseDecoder::new(usize::MAX);
        let mut out = Vec::new();
        for c in chunks {
            d.push(c, &mut out).unwrap();
        }
        out
    }

    fn ev(event: &str, data: &str) -> SseEvent {
        SseEvent {
            event: event.into(),
            data: data.into(),
        }
    }

    #[test]
    fn sse_lines_comments_and_multiline_data() {
        let text = b": keep-alive\n\ndata: {\"a\":1}\n\nevent: error\ndata: line one\ndata: line two\n\ndata:[DONE]\n\n";
        assert_eq!(
            decode(&[text]),
            vec![
                ev("", "{\"a\":1}"),
                ev("error", "line one\nline two"),
                ev("", "[DONE]"),
            ]
        );
    }

    #[test]
    fn sse_split_at_every_byte_and_every_line_ending() {
        for ending in ["\n", "\r\n", "\r"] {
            let text = format!("data: x{ending}data: y{ending}{ending}data: z{ending}{ending}");
            let bytes = text.as_bytes();
            let one: Vec<&[u8]> = bytes.chunks(1).collect();
            assert_eq!(
                decode(&one),
                vec![ev("", "x\ny"), ev("", "z")],
                "{ending:?}"
            );
            for cut in 0..bytes.len() {
                let (a, b) = bytes.split_at(cut);
                assert_eq!(
                    decode(&[a, b]),
                    vec![ev("", "x\ny"), ev("", "z")],
                    "{ending:?} {cut}"
                );
            }
        }
    }

    #[test]
    fn sse_unfinished_event_is_not_dispatched_and_limit_holds() {
        assert_eq!(decode(&[b"data: partial"]), vec![]);
        let mut d = SseDecoder::new(10);
        let mut out = Vec::new();
        assert_eq!(d.push(b"data: 12345", &mut out), Err(SseError::TooLarge));
        let mut d = SseDecoder::new(100);
        assert_eq!(
            d.push(b"data: \xff\n", &mut out),
            Err(SseError::InvalidUtf8)
        );
    }

    #[test]
    fn sse_one_large_event_in_small_chunks_is_decoded_once() {
        let data = "x".repeat(200_000);
        let text = format!("data: {data}\n\n");
        let chunks: Vec<&[u8]> = text.as_bytes().chunks(7).collect();
        let events = decode(&chunks);
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].data.len(), 200_000);
    }

    fn fence(deltas: &[&str]) -> String {
        let mut f = FenceFilter::default();
        deltas.iter().map(|d| f.feed(d).into_owned()).collect()
    }

    #[test]
    fn fence_filter_passes_only_the_json() {
        assert_eq!(
            fence(&["Here:\n```json\n{\"a\": 1}\n```\nDone"]),
            "{\"a\": 1}\n"
        );
        assert_eq!(
            fence(&[
                "Here:\n``",
                "`js",
                "on\n{\"a\"",
                ": \"`x`\"}\n`",
                "``",
                " bye"
            ]),
            "{\"a\": \"`x`\"}\n"
        );
        assert_eq!(fence(&["The answer is {\"a\": 1}"]), "{\"a\": 1}");
        assert_eq!(fence(&["no json at all"]), "");
        assert_eq!(fence(&["```{\"a\": 1}```"]), "{\"a\": 1}");
        let long: Vec<String> = std::iter::once("```".to_owned())
            .chain((0..10_000).map(|_| "x".to_owned()))
            .collect();
        let long: Vec<&str> = long.iter().map(String::as_str).collect();
        assert_eq!(
            fence(&long),
            "",
            "a fence line without end holds at most 64 bytes"
        );
    }
}
