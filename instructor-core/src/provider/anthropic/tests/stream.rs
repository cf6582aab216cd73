//! Stream events: every Anthropic server-sent event read into its deltas.

use serde_json::{json, Value};

use crate::provider::anthropic::Anthropic;
use crate::provider::test_support::assert_not_an_event;
use crate::provider::{Delta, Dialect, KeptPiece};

fn deltas(event: &str, data: &Value) -> Result<Vec<Delta>, String> {
    let mut out = Vec::new();
    Anthropic
        .decode_event(event, &data.to_string(), &mut out)
        .map(|()| out)
}

/// The deltas of a `kind` event of the block at index 1 that carries `value` as its `field`.
fn block_event(kind: &str, field: &str, value: Value) -> Vec<Delta> {
    let mut data = json!({ "type": kind, "index": 1 });
    data[field] = value;
    deltas(kind, &data).unwrap()
}

#[test]
fn every_stream_event_becomes_its_deltas() {
    let d = deltas(
        "message_start",
        &json!({ "type": "message_start", "message": { "id": "msg_1", "type": "message",
            "role": "assistant", "content": [], "model": "claude-x", "stop_reason": null,
            "usage": { "input_tokens": 25, "cache_read_input_tokens": 5, "output_tokens": 1 } } }),
    )
    .unwrap();
    assert_eq!(d[0], Delta::Id("msg_1".into()));
    assert_eq!(d[1], Delta::Model("claude-x".into()));
    assert!(matches!(d[2], Delta::Usage(u) if u.prompt_tokens == 30 && u.cached_tokens == 5));

    let start = |block| block_event("content_block_start", "content_block", block);
    assert_eq!(
        start(json!({ "type": "tool_use", "id": "toolu_1", "name": "Person", "input": {} })),
        [Delta::Call {
            index: 1,
            id: Some("toolu_1".into()),
            name: Some("Person".into()),
            arguments: None
        }]
    );
    assert!(start(json!({ "type": "text", "text": "" })).is_empty());
    // A thinking block is kept from its start, to be sent back whole.
    let thinking = json!({ "type": "thinking", "thinking": "", "signature": "" });
    assert_eq!(
        start(thinking.clone()),
        [Delta::Kept {
            index: 1,
            piece: KeptPiece::Start(thinking)
        }]
    );

    let delta = |delta| block_event("content_block_delta", "delta", delta);
    assert_eq!(
        delta(json!({ "type": "text_delta", "text": "Okay" })),
        [Delta::Text("Okay".into())]
    );
    assert_eq!(
        delta(json!({ "type": "input_json_delta", "partial_json": "{\"name\":" })),
        [Delta::Call {
            index: 1,
            id: None,
            name: None,
            arguments: Some("{\"name\":".into())
        }]
    );
    let append = |field: &'static str, text: &str| Delta::Kept {
        index: 1,
        piece: KeptPiece::Append {
            field,
            text: text.into(),
        },
    };
    assert_eq!(
        delta(json!({ "type": "thinking_delta", "thinking": "Hmm" })),
        [append("thinking", "Hmm"), Delta::Thinking("Hmm".into())]
    );
    assert_eq!(
        delta(json!({ "type": "signature_delta", "signature": "EqQB" })),
        [append("signature", "EqQB")]
    );

    assert!(deltas(
        "content_block_stop",
        &json!({ "type": "content_block_stop", "index": 1 })
    )
    .unwrap()
    .is_empty());
    assert!(deltas("ping", &json!({ "type": "ping" }))
        .unwrap()
        .is_empty());
    assert!(deltas("brand_new", &json!({ "type": "brand_new", "x": 1 }))
        .unwrap()
        .is_empty());

    let d = deltas(
        "message_delta",
        &json!({ "type": "message_delta", "delta": { "stop_reason": "tool_use",
            "stop_sequence": null }, "usage": { "output_tokens": 89 } }),
    )
    .unwrap();
    assert!(matches!(d[0], Delta::Usage(u) if u.completion_tokens == 89));
    assert_eq!(d[1], Delta::Finish("tool_calls".into()));
    let d = deltas(
        "message_delta",
        &json!({ "type": "message_delta", "delta": { "stop_reason": "max_tokens" } }),
    )
    .unwrap();
    assert_eq!(d, [Delta::Finish("length".into())]);
    let d = deltas(
        "message_delta",
        &json!({ "type": "message_delta", "delta": { "stop_reason": "refusal",
            "stop_details": { "type": "refusal", "explanation": "No." } } }),
    )
    .unwrap();
    assert_eq!(
        d,
        [Delta::Refusal("No.".into()), Delta::Finish("stop".into())]
    );

    assert_eq!(
        deltas("message_stop", &json!({ "type": "message_stop" })).unwrap(),
        [Delta::Done]
    );
    assert_eq!(
        deltas(
            "error",
            &json!({ "type": "error", "error": { "type": "overloaded_error", "message": "Overloaded" } })
        )
        .unwrap_err(),
        "Overloaded"
    );
    // llama.cpp's error event.
    assert_eq!(
        deltas(
            "error",
            &json!({ "code": 500, "message": "it broke", "type": "server_error" })
        )
        .unwrap_err(),
        "it broke"
    );
    assert_not_an_event(&Anthropic, "an Anthropic stream event");
}
