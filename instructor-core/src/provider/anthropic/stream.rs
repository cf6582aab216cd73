//! The stream side of the Anthropic dialect: each server-sent event of a streamed Messages
//! reply read into the neutral deltas.

use serde::Deserialize;
use serde_json::Value;

use super::decode::{finish_reason, refusal_text, AnthropicUsage, Block};
use crate::provider::{error_message, push_names, read_event, Delta, KeptPiece, WithRaw};

/// The deltas of one event (`event` is the SSE event name, `data` its JSON); `Err` for an
/// error event or data that is not an Anthropic stream event.
pub(super) fn decode_event(event: &str, data: &str, out: &mut Vec<Delta>) -> Result<(), String> {
    if data.is_empty() {
        return Ok(());
    }
    let ev: Event = read_event(data, "an Anthropic stream event")?;
    // The SSE event name first: llama.cpp's error events carry another `type` in the data.
    let kind = match (event, ev.kind.as_deref()) {
        ("error", _) => "error",
        (_, Some(kind)) => kind,
        (event, None) => event,
    };
    match kind {
        "message_start" => {
            if let Some(m) = read::<StartMessage>(ev.message) {
                push_names(out, m.id, m.model);
                if let Some(u) = m.usage {
                    out.push(Delta::Usage(u.neutral()));
                }
            }
        }
        "content_block_start" => {
            let index = ev.index.unwrap_or(0);
            let Some(WithRaw { raw, value: block }) = ev.content_block else {
                return Ok(());
            };
            // A thinking block is kept as it begins; its deltas and signature are added.
            if matches!(block, Block::Thinking { .. } | Block::RedactedThinking {}) {
                if let Ok(start) = serde_json::from_str(raw.get()) {
                    out.push(Delta::Kept {
                        index,
                        piece: KeptPiece::Start(start),
                    });
                }
            }
            match block {
                Block::ToolUse { id, name, .. } => out.push(Delta::Call {
                    index,
                    id: Some(id),
                    name: Some(name),
                    arguments: None,
                }),
                Block::Text { text } if !text.is_empty() => out.push(Delta::Text(text)),
                Block::Thinking { thinking } if !thinking.is_empty() => {
                    out.push(Delta::Thinking(thinking))
                }
                _ => {}
            }
        }
        "content_block_delta" => {
            let index = ev.index.unwrap_or(0);
            match read::<BlockDelta>(ev.delta) {
                Some(BlockDelta::TextDelta { text }) => out.push(Delta::Text(text)),
                Some(BlockDelta::InputJsonDelta { partial_json }) => out.push(Delta::Call {
                    index,
                    id: None,
                    name: None,
                    arguments: Some(partial_json),
                }),
                Some(BlockDelta::ThinkingDelta { thinking }) => {
                    out.push(Delta::Kept {
                        index,
                        piece: KeptPiece::Append {
                            field: "thinking",
                            text: thinking.clone(),
                        },
                    });
                    out.push(Delta::Thinking(thinking));
                }
                Some(BlockDelta::SignatureDelta { signature }) => out.push(Delta::Kept {
                    index,
                    piece: KeptPiece::Append {
                        field: "signature",
                        text: signature,
                    },
                }),
                // Citations and what comes next: nothing the SDK reads.
                _ => {}
            }
        }
        "message_delta" => {
            if let Some(u) = ev.usage {
                out.push(Delta::Usage(u.neutral()));
            }
            let stop = read::<StopDelta>(ev.delta).unwrap_or_default();
            if let Some(reason) = stop.stop_reason {
                if reason == "refusal" {
                    out.push(Delta::Refusal(refusal_text(stop.stop_details.as_ref())));
                }
                out.push(Delta::Finish(finish_reason(&reason)));
            }
        }
        "message_stop" => out.push(Delta::Done),
        "error" => {
            // Anthropic's `{"type":"error","error":{..}}`; llama.cpp's
            // `{"code":500,"message":..,"type":"server_error"}`.
            return Err(match &ev.error {
                Some(e) => error_message(e),
                None => match ev.message {
                    Some(Value::String(m)) => m,
                    _ => data.to_owned(),
                },
            });
        }
        // `ping`, `content_block_stop`, and event types added later (the streaming guide
        // asks clients to tolerate unknown ones).
        _ => {}
    }
    Ok(())
}

/// One event of a streamed reply (its `type` repeats the SSE event name). `message` and
/// `delta` change shape with the type, and are read once it is known.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Event {
    #[serde(rename = "type")]
    kind: Option<String>,
    /// `message_start`'s message (an object); llama.cpp's error events' text (a string).
    message: Option<Value>,
    index: Option<u32>,
    /// The block begun, read and kept as received.
    content_block: Option<WithRaw<Block>>,
    /// A [`BlockDelta`] in `content_block_delta`, a [`StopDelta`] in `message_delta`.
    delta: Option<Value>,
    usage: Option<AnthropicUsage>,
    error: Option<Value>,
}

/// `v` read as a `T`, when it is one.
fn read<T: serde::de::DeserializeOwned>(v: Option<Value>) -> Option<T> {
    v.and_then(|v| serde_json::from_value(v).ok())
}

/// `message_start`'s message: what the SDK reads of it.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct StartMessage {
    id: Option<String>,
    model: Option<String>,
    usage: Option<AnthropicUsage>,
}

/// A `content_block_delta`'s delta.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum BlockDelta {
    /// More answer text.
    TextDelta {
        #[serde(default)]
        text: String,
    },
    /// More of a tool call's arguments (JSON text, whole only at the block's end).
    InputJsonDelta {
        #[serde(default)]
        partial_json: String,
    },
    /// More thinking.
    ThinkingDelta {
        #[serde(default)]
        thinking: String,
    },
    /// A thinking block's signature, just before the block ends.
    SignatureDelta {
        #[serde(default)]
        signature: String,
    },
    /// `citations_delta`, and kinds added later.
    #[serde(other)]
    Other,
}

/// A `message_delta`'s delta.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct StopDelta {
    stop_reason: Option<String>,
    stop_details: Option<Value>,
}
