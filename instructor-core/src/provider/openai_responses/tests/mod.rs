//! The Responses dialect's bodies, replies and stream events, each pinned: one file per side
//! (`encode`, `decode`, `stream`); this one holds the fixture two of them share.

use serde_json::{json, Value};

mod decode;
mod encode;
mod stream;

fn usage_body() -> Value {
    json!({
        "input_tokens": 37, "output_tokens": 11, "total_tokens": 48,
        "input_tokens_details": { "cached_tokens": 32 },
        "output_tokens_details": { "reasoning_tokens": 4 }
    })
}
