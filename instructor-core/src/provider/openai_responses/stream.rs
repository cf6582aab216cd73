//! The stream side of the Responses dialect: one stream event read into deltas, and the
//! llama.cpp tail handling (the bytes of deltas passed on per item, so a `*.done` event
//! passes on only the text its deltas did not bring).

use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Mutex, OnceLock};

use serde::Deserialize;
use serde_json::Value;

use crate::provider::openai_responses::decode::{ContentPart, OutputItem, Response};
use crate::provider::{push_names, Delta, KeptPiece, WithRaw};

/// One stream event (the fields of every kind the SDK reads, all optional).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct Event {
    #[serde(rename = "type")]
    pub(super) kind: Option<String>,
    response: Option<Response>,
    item: Option<WithRaw<OutputItem>>,
    part: Option<ContentPart>,
    item_id: Option<String>,
    output_index: Option<u32>,
    content_index: Option<u32>,
    delta: Option<String>,
    text: Option<String>,
    refusal: Option<String>,
    arguments: Option<String>,
    message: Option<String>,
    code: Option<Value>,
    pub(super) error: Option<Value>,
}

/// The deltas of one event of kind `kind`.
pub(super) fn stream_event(kind: &str, ev: Event, out: &mut Vec<Delta>) -> Result<(), String> {
    let item_id = ev.item_id.as_deref().unwrap_or_default();
    let part = ev.content_index.unwrap_or(0);
    match kind {
        "response.created" | "response.in_progress" => {
            if let Some(r) = ev.response {
                push_names(out, r.id, r.model);
            }
        }
        "response.output_text.delta" => {
            if let Some(d) = ev.delta.filter(|d| !d.is_empty()) {
                passed(item_id, part, d.len());
                out.push(Delta::Text(d));
            }
        }
        "response.refusal.delta" => {
            if let Some(d) = ev.delta.filter(|d| !d.is_empty()) {
                passed(item_id, part, d.len());
                out.push(Delta::Refusal(d));
            }
        }
        "response.reasoning_summary_text.delta" | "response.reasoning_text.delta" => {
            if let Some(d) = ev.delta.filter(|d| !d.is_empty()) {
                out.push(Delta::Thinking(d));
            }
        }
        "response.output_item.added" => {
            if let Some(item) = ev
                .item
                .map(|i| i.value)
                .filter(|i| i.kind.as_deref() == Some("function_call"))
            {
                let item_id = item.id.unwrap_or_default();
                let arguments = item.arguments.filter(|a| !a.is_empty());
                if let Some(a) = &arguments {
                    passed(&item_id, 0, a.len());
                }
                let index = call_index(ev.output_index, &item_id);
                out.push(Delta::Call {
                    index,
                    id: item.call_id.or(Some(item_id)),
                    name: item.name,
                    arguments,
                });
            }
        }
        "response.function_call_arguments.delta" => {
            if let Some(d) = ev.delta.filter(|d| !d.is_empty()) {
                passed(item_id, 0, d.len());
                out.push(Delta::Call {
                    index: call_index(ev.output_index, item_id),
                    id: None,
                    name: None,
                    arguments: Some(d),
                });
            }
        }
        // The whole text of a part or call: only what the deltas did not bring (llama.cpp).
        "response.output_text.done" => {
            if let Some(rest) = ev.text.and_then(|t| rest(item_id, part, t)) {
                out.push(Delta::Text(rest));
            }
        }
        "response.refusal.done" => {
            if let Some(rest) = ev.refusal.and_then(|t| rest(item_id, part, t)) {
                out.push(Delta::Refusal(rest));
            }
        }
        "response.content_part.done" => {
            if let Some(p) = ev.part {
                done_part(item_id, part, p, out);
            }
        }
        "response.function_call_arguments.done" => {
            if let Some(rest) = ev.arguments.and_then(|a| rest(item_id, 0, a)) {
                out.push(Delta::Call {
                    index: call_index(ev.output_index, item_id),
                    id: None,
                    name: None,
                    arguments: Some(rest),
                });
            }
        }
        "response.output_item.done" => {
            if let Some(WithRaw { raw, value: item }) = ev.item {
                // The whole item (the `.added` copy "may be incomplete"): a reasoning item
                // to send back is kept from here.
                if item.is_kept() {
                    if let Ok(block) = serde_json::from_str(raw.get()) {
                        out.push(Delta::Kept {
                            index: call_index(ev.output_index, item.id.as_deref().unwrap_or("")),
                            piece: KeptPiece::Start(block),
                        });
                    }
                }
                done_item(ev.output_index, item, out);
            }
        }
        "response.completed" | "response.incomplete" | "response.failed" => {
            let r = ev.response.unwrap_or_default();
            for item in r.output.iter().flatten() {
                forget(item);
            }
            let finish = r.finish_reason()?;
            if let Some(u) = &r.usage {
                out.push(Delta::Usage(u.neutral()));
            }
            push_names(out, r.id, r.model);
            out.push(Delta::Finish(finish));
            out.push(Delta::Done);
        }
        "error" => {
            let message = ev
                .message
                .unwrap_or_else(|| "the stream reported an error".into());
            return Err(match ev.code.filter(|c| !c.is_null()) {
                Some(Value::String(c)) => format!("{message} ({c})"),
                Some(c) => format!("{message} ({c})"),
                None => message,
            });
        }
        _ => {}
    }
    Ok(())
}

/// Which call an event belongs to: its `output_index`, else (llama.cpp writes none) a
/// number drawn from the call's item id, the same for every event of the call.
fn call_index(output_index: Option<u32>, item_id: &str) -> u32 {
    output_index.unwrap_or_else(|| {
        let mut h = DefaultHasher::new();
        item_id.hash(&mut h);
        // A high number: never one of OpenAI's small output indexes.
        (h.finish() as u32) | 0x8000_0000
    })
}

/// The end of an output item: what its parts or arguments hold beyond the deltas passed on.
fn done_item(output_index: Option<u32>, item: OutputItem, out: &mut Vec<Delta>) {
    let id = item.id.clone().unwrap_or_default();
    match item.kind.as_deref() {
        Some("message") => {
            for (i, p) in item.content.into_iter().flatten().enumerate() {
                let i = u32::try_from(i).unwrap_or(u32::MAX);
                done_part(&id, i, p, out);
                forget_one(&id, i);
            }
        }
        Some("function_call") => {
            if let Some(rest) = item.arguments.and_then(|a| rest(&id, 0, a)) {
                out.push(Delta::Call {
                    index: call_index(output_index, &id),
                    id: None,
                    name: None,
                    arguments: Some(rest),
                });
            }
            forget_one(&id, 0);
        }
        _ => {}
    }
}

/// The end of one part of a message.
fn done_part(item_id: &str, index: u32, p: ContentPart, out: &mut Vec<Delta>) {
    match p.kind.as_deref() {
        Some("refusal") => {
            if let Some(rest) = p.refusal.and_then(|t| rest(item_id, index, t)) {
                out.push(Delta::Refusal(rest));
            }
        }
        _ => {
            if let Some(rest) = p.text.and_then(|t| rest(item_id, index, t)) {
                out.push(Delta::Text(rest));
            }
        }
    }
}

/// Bytes of deltas passed on, per (item id, part) hashed.
fn seen() -> &'static Mutex<HashMap<u64, usize>> {
    static SEEN: OnceLock<Mutex<HashMap<u64, usize>>> = OnceLock::new();
    SEEN.get_or_init(Default::default)
}

/// Entries past which the table is emptied (the items of streams dropped half-way).
const SEEN_LIMIT: usize = 4096;

fn key(item_id: &str, part: u32) -> u64 {
    let mut h = DefaultHasher::new();
    (item_id, part).hash(&mut h);
    h.finish()
}

/// Notes `len` more bytes passed on for `item_id`'s part `part`.
fn passed(item_id: &str, part: u32, len: usize) {
    let mut seen = seen().lock().unwrap_or_else(|e| e.into_inner());
    if seen.len() >= SEEN_LIMIT {
        seen.clear();
    }
    *seen.entry(key(item_id, part)).or_insert(0) += len;
}

/// What `whole` holds beyond the deltas passed on for the part (all of it when none were),
/// noted as passed on; `None` when nothing is left (or the deltas were not its beginning).
fn rest(item_id: &str, part: u32, whole: String) -> Option<String> {
    let mut seen = seen().lock().unwrap_or_else(|e| e.into_inner());
    let done = seen.entry(key(item_id, part)).or_insert(0);
    let from = *done;
    *done = (*done).max(whole.len());
    match whole.get(from..) {
        Some(rest) if !rest.is_empty() => Some(rest.to_owned()),
        _ => None,
    }
}

fn forget_one(item_id: &str, part: u32) {
    seen()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&key(item_id, part));
}

/// Drops the notes of an item of a finished response.
fn forget(item: &OutputItem) {
    let id = item.id.as_deref().unwrap_or_default();
    let parts = item.content.as_ref().map_or(1, Vec::len).max(1);
    for i in 0..parts {
        forget_one(id, u32::try_from(i).unwrap_or(u32::MAX));
    }
}
