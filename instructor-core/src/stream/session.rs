//! One streamed answer: its events in, the answer as a [`ChatCompletion`] out.
//!
//! Each delta (`delta.content` in the JSON modes, `delta.tool_calls[0].function.arguments` in
//! [`Mode::Tools`], the inside of the fence in [`Mode::MdJson`]) goes through one
//! [`PartialJson`] parser that resumes where it stopped, so an answer of n bytes costs O(n)
//! to parse however it is chunked.

use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};

use super::fence::FenceFilter;
use super::sse::{SseDecoder, SseError, SseEvent};
use crate::error::scrub;
use crate::mode::Mode;
use crate::partial_json::{ItemsAt, PartialJson};
use crate::provider::{Delta, Dialect, KeptPiece};
use crate::think::ThinkFilter;
use crate::tools::Toolbox;
use crate::wire::{ChatCompletion, Echo, Usage};

/// What a stream is asked for: one value, or the elements of `{"items": [..]}` one by one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// One value, shown as partial snapshots.
    Value,
    /// A list wrapped in `{"items": [..]}`, each element handed over once complete.
    Items,
}

/// What one streamed answer has delivered so far: the events decoded, the deltas gathered
/// per field, and the JSON parsed as it arrives.
pub(crate) struct Session {
    /// The API key, kept out of everything that leaves the session.
    secret: Option<SecretString>,
    decoder: SseDecoder,
    pub(crate) parser: PartialJson,
    pub(crate) parser_failed: bool,
    fence: Option<FenceFilter>,
    /// Drops a reasoning model's `<think>` block before the answer.
    think: ThinkFilter,
    mode: Mode,
    id: String,
    model: String,
    content: String,
    /// Thinking the server sent apart (`reasoning_content` / `reasoning` deltas).
    thinking: String,
    refusal: String,
    /// The blocks the provider wants back unchanged, by index, in the order they began.
    kept: Vec<(u32, Value)>,
    tool_index: Option<u32>,
    tool_id: String,
    tool_name: String,
    arguments: String,
    /// Parallel tools: every call, and the tools that tell a call's variant.
    calls: Vec<StreamedCall>,
    /// How many whole calls ([`Delta::WholeCall`]) have arrived.
    whole_calls: u32,
    toolbox: Option<&'static Toolbox>,
    pub(crate) finish_reason: Option<String>,
    pub(crate) usage: Option<Usage>,
    pub(crate) done: bool,
    pub(crate) error: Option<String>,
    pub(crate) raw: String,
    pub(crate) changed: bool,
    /// The version ([`PartialJson::snapshot_version`]) of the last snapshot shown.
    pub(crate) shown: Option<u64>,
    /// The version of the last snapshot looked at for repetition, and whether the answer was
    /// complete then.
    pub(crate) checked: Option<(u64, bool)>,
    events: Vec<SseEvent>,
    /// How the events are read.
    dialect: &'static dyn Dialect,
    /// The deltas of the event being read (kept to reuse its buffer).
    deltas: Vec<Delta>,
}

/// One call of a parallel tools answer as it streams.
#[derive(Debug, Default)]
struct StreamedCall {
    index: u32,
    id: String,
    name: String,
    arguments: String,
    /// Whether `{"Variant":` has gone to the parser.
    opened: bool,
}

impl Session {
    /// A session for one answer; `toolbox` in parallel tools mode, where the calls are read
    /// as the elements of `{"items": [{"Variant": arguments}, ..]}` (each yielded once the
    /// next call begins or the answer ends).
    pub(crate) fn new(
        mode: Mode,
        limit: usize,
        shape: Shape,
        secret: Option<&str>,
        toolbox: Option<&'static Toolbox>,
        dialect: &'static dyn Dialect,
    ) -> Self {
        let parser = match shape {
            Shape::Items => PartialJson::new().with_items_at(ItemsAt::key("items")),
            Shape::Value => PartialJson::new(),
        };
        Self {
            secret: secret.map(SecretString::from),
            decoder: SseDecoder::new(limit),
            parser,
            parser_failed: false,
            fence: (mode == Mode::MdJson).then(FenceFilter::default),
            think: ThinkFilter::default(),
            mode,
            id: String::new(),
            model: String::new(),
            content: String::new(),
            thinking: String::new(),
            refusal: String::new(),
            kept: Vec::new(),
            tool_index: None,
            tool_id: String::new(),
            tool_name: String::new(),
            arguments: String::new(),
            calls: Vec::new(),
            whole_calls: 0,
            toolbox,
            finish_reason: None,
            usage: None,
            done: false,
            error: None,
            raw: String::new(),
            changed: false,
            shown: None,
            checked: None,
            events: Vec::new(),
            dialect,
            deltas: Vec::new(),
        }
    }

    /// The text produced so far (the tool arguments in tools mode), without the API key.
    pub(crate) fn text(&self) -> String {
        if !self.calls.is_empty() {
            let args: Vec<&str> = self.calls.iter().map(|c| c.arguments.as_str()).collect();
            return self.scrub(&args.join("\n"));
        }
        let text = if self.mode == Mode::Tools && self.tool_index.is_some() {
            &self.arguments
        } else {
            &self.content
        };
        self.scrub(text)
    }

    /// `text` with the API key redacted: a key echoed across several deltas is only whole
    /// in the accumulated text.
    fn secret(&self) -> Option<&str> {
        self.secret.as_ref().map(|s| s.expose_secret())
    }

    fn scrub(&self, text: &str) -> String {
        scrub(text.to_owned(), self.secret())
    }

    /// Whether the answer is over: `[DONE]`, an error event, or a finish reason with the
    /// JSON complete.
    pub(crate) fn over(&self) -> bool {
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

    pub(crate) fn push(&mut self, bytes: &[u8]) -> Result<(), SseError> {
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
        let data = scrub(event.data, self.secret());
        let data = data.trim();
        let mut deltas = std::mem::take(&mut self.deltas);
        let decoded = self
            .dialect
            .decode_event(event.event.trim(), data, &mut deltas);
        if !deltas.first().is_some_and(|d| *d == Delta::Done) {
            if !self.raw.is_empty() {
                self.raw.push('\n');
            }
            self.raw.push_str(data);
        }
        match decoded {
            Ok(()) => {
                for delta in deltas.drain(..) {
                    self.delta(delta);
                }
            }
            Err(message) => {
                deltas.clear();
                self.error = Some(message);
            }
        }
        self.deltas = deltas;
    }

    /// Takes one piece of the answer.
    fn delta(&mut self, delta: Delta) {
        match delta {
            Delta::Done => {
                self.done = true;
                self.end_calls();
            }
            Delta::Id(id) => self.id = id,
            Delta::Model(model) => self.model = model,
            // Counts only grow within a stream; a dialect may report them in pieces
            // (Anthropic: the prompt's at the start, the answer's at the end).
            Delta::Usage(u) => {
                let mut merged = self.usage.map_or(u, |seen| seen.max(u));
                // Reported in pieces, no piece's total is the whole one.
                merged.total_tokens = merged
                    .total_tokens
                    .max(merged.prompt_tokens + merged.completion_tokens);
                self.usage = Some(merged);
            }
            Delta::Finish(reason) => {
                self.finish_reason = Some(reason);
                self.end_calls();
            }
            Delta::Refusal(r) => self.refusal.push_str(&r),
            Delta::Thinking(t) => self.thinking.push_str(&t),
            Delta::Kept { index, piece } => self.keep(index, piece),
            Delta::Text(text) => {
                self.content.push_str(&text);
                if self.mode != Mode::Tools {
                    let answer = self.think.feed(&text);
                    match &mut self.fence {
                        Some(fence) => {
                            let json = fence.feed(&answer).into_owned();
                            self.parse(&json);
                        }
                        None => self.parse(&answer),
                    }
                }
            }
            Delta::WholeCall {
                tag,
                name,
                arguments,
            } => {
                let index = self.whole_calls;
                self.whole_calls += 1;
                self.delta(Delta::Call {
                    index,
                    id: Some(format!("call_{index}{tag}")),
                    name: Some(name),
                    arguments: Some(arguments),
                });
            }
            Delta::Call {
                index,
                id,
                name,
                arguments,
            } if self.toolbox.is_some() => self.parallel_call(index, id, name, arguments),
            Delta::Call {
                index,
                id,
                name,
                arguments,
            } => {
                if *self.tool_index.get_or_insert(index) != index {
                    return;
                }
                if let Some(id) = id.filter(|i| !i.is_empty()) {
                    self.tool_id = id;
                }
                if let Some(name) = name {
                    self.tool_name.push_str(&name);
                }
                if let Some(args) = arguments {
                    self.arguments.push_str(&args);
                    if self.mode == Mode::Tools {
                        self.parse(&args);
                    }
                }
            }
        }
    }

    /// A piece of a block kept for the next turn: a block begun (a second start at the
    /// same index is ignored), or text added to one of its fields.
    fn keep(&mut self, index: u32, piece: KeptPiece) {
        let at = self.kept.iter().position(|(i, _)| *i == index);
        match (piece, at) {
            (KeptPiece::Start(block), None) => self.kept.push((index, block)),
            (KeptPiece::Start(_), Some(_)) => {}
            (KeptPiece::Append { field, text }, Some(at)) => {
                if let Some(block) = self.kept[at].1.as_object_mut() {
                    let slot = block
                        .entry(field)
                        .or_insert_with(|| Value::String(String::new()));
                    if let Value::String(s) = slot {
                        s.push_str(&text);
                    }
                }
            }
            (KeptPiece::Append { .. }, None) => {}
        }
    }

    /// A delta of one of several calls: a call with a new index closes the one before.
    fn parallel_call(
        &mut self,
        index: u32,
        id: Option<String>,
        name: Option<String>,
        arguments: Option<String>,
    ) {
        if self.calls.last().is_none_or(|c| c.index != index) {
            match self.calls.last() {
                None => self.parse("{\"items\":["),
                Some(c) if c.opened => self.parse("},"),
                // A call that wrote nothing is not a list element.
                Some(_) => {}
            }
            self.calls.push(StreamedCall {
                index,
                ..StreamedCall::default()
            });
        }
        let toolbox = self.toolbox;
        let Some(call) = self.calls.last_mut() else {
            return;
        };
        if let Some(id) = id.filter(|i| !i.is_empty()) {
            call.id = id;
        }
        if let Some(name) = name {
            call.name.push_str(&name);
        }
        let Some(args) = arguments.filter(|a| !a.is_empty()) else {
            return;
        };
        call.arguments.push_str(&args);
        let mut json = String::new();
        if !call.opened {
            call.opened = true;
            // The variant the tool stands for; an unknown name stays as it is, and the
            // element fails to parse with serde's "unknown variant".
            let key = toolbox
                .and_then(|t| t.get(&call.name))
                .map_or(call.name.as_str(), |t| t.key.as_str());
            json.push('{');
            json.push_str(&Value::String(key.to_owned()).to_string());
            json.push(':');
        }
        json.push_str(&args);
        self.parse(&json);
    }

    /// Closes the list of calls: the answer is over.
    fn end_calls(&mut self) {
        if self.toolbox.is_none() || self.calls.is_empty() || self.parser.is_complete() {
            return;
        }
        let open = self.calls.last().is_some_and(|c| c.opened);
        self.parse(if open { "}]}" } else { "]}" });
    }

    /// The answer as a chat completion, as if it had not been streamed.
    pub(crate) fn completion(&self) -> ChatCompletion {
        let refusal = (!self.refusal.is_empty()).then(|| self.scrub(&self.refusal));
        let content = (!self.content.is_empty()).then(|| self.scrub(&self.content));
        let thinking = (!self.thinking.is_empty()).then(|| self.scrub(&self.thinking));
        let arguments = self.scrub(&self.arguments);
        let tool_calls = if !self.calls.is_empty() {
            self.calls
                .iter()
                .map(|c| {
                    json!({
                        "id": c.id,
                        "type": "function",
                        "function": { "name": c.name, "arguments": self.scrub(&c.arguments) },
                    })
                })
                .collect()
        } else if self.tool_index.is_some() {
            json!([{
                "id": self.tool_id,
                "type": "function",
                "function": { "name": self.tool_name, "arguments": arguments },
            }])
        } else {
            json!([])
        };

        let mut completion: ChatCompletion = serde_json::from_value(json!({
            "id": self.id,
            "model": self.model,
            "choices": [{
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": content,
                    "refusal": refusal,
                    "tool_calls": tool_calls,
                    "reasoning_content": thinking,
                },
                "finish_reason": self.finish_reason,
            }],
            "usage": self.usage,
        }))
        .unwrap_or_default();
        let kept = self
            .kept
            .iter()
            .filter_map(|(_, block)| serde_json::value::to_raw_value(block).ok())
            .collect();
        if let Some(choice) = completion.choices.first_mut() {
            choice.message.echo = Echo::new(self.dialect.name(), kept);
        }
        completion
    }
}
