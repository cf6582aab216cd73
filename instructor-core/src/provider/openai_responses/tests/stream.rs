//! The stream events: ids, deltas, calls, llama.cpp's tails carried by the `*.done` events,
//! the end of a stream, and its failures and errors.

use serde_json::{json, Value};

use crate::provider::openai_responses::tests::usage_body;
use crate::provider::openai_responses::OpenAiResponses;
use crate::provider::test_support::assert_not_an_event;
use crate::provider::{Delta, Dialect, KeptPiece};
use crate::wire::Usage;

fn deltas(event: &str, data: Value) -> Result<Vec<Delta>, String> {
    let mut out = Vec::new();
    OpenAiResponses
        .decode_event(event, &data.to_string(), &mut out)
        .map(|()| out)
}

fn one(event: &str, data: Value) -> Vec<Delta> {
    deltas(event, data).unwrap()
}

#[test]
fn created_gives_the_id_and_model() {
    assert_eq!(
        one(
            "response.created",
            json!({ "type": "response.created", "sequence_number": 0,
                "response": { "id": "resp_1", "model": "gpt-5.4", "status": "in_progress", "output": [] } })
        ),
        [Delta::Id("resp_1".into()), Delta::Model("gpt-5.4".into())]
    );
}

#[test]
fn text_refusal_and_thinking_deltas() {
    assert_eq!(
        one(
            "response.output_text.delta",
            json!({ "type": "response.output_text.delta", "item_id": "msg_t1", "output_index": 0,
                "content_index": 0, "delta": "Hi" })
        ),
        [Delta::Text("Hi".into())]
    );
    assert_eq!(
        one(
            "response.refusal.delta",
            json!({ "type": "response.refusal.delta", "item_id": "msg_r1", "output_index": 0,
                "content_index": 0, "delta": "refusal text so far", "sequence_number": 1 })
        ),
        [Delta::Refusal("refusal text so far".into())]
    );
    for kind in [
        "response.reasoning_summary_text.delta",
        "response.reasoning_text.delta",
    ] {
        assert_eq!(
            one(
                kind,
                json!({ "type": kind, "item_id": "rs_1", "delta": "think" })
            ),
            [Delta::Thinking("think".into())]
        );
    }
    // The event's `type` decides, whatever the `event:` line says (or when there is none).
    assert_eq!(
        one(
            "",
            json!({ "type": "response.output_text.delta", "item_id": "msg_t2", "delta": "x" })
        ),
        [Delta::Text("x".into())]
    );
}

#[test]
fn a_function_call_arrives_as_call_deltas() {
    assert_eq!(
        one(
            "response.output_item.added",
            json!({ "type": "response.output_item.added", "output_index": 1,
                "item": { "type": "function_call", "id": "fc_a1", "call_id": "call_a1",
                    "name": "Verdict", "arguments": "" } })
        ),
        [Delta::Call {
            index: 1,
            id: Some("call_a1".into()),
            name: Some("Verdict".into()),
            arguments: None
        }]
    );
    assert_eq!(
        one(
            "response.function_call_arguments.delta",
            json!({ "type": "response.function_call_arguments.delta", "item_id": "fc_a1",
                "output_index": 1, "delta": "{\"is_valid\":" })
        ),
        [Delta::Call {
            index: 1,
            id: None,
            name: None,
            arguments: Some("{\"is_valid\":".into())
        }]
    );
    // The whole arguments again at the end: nothing more to pass on.
    assert_eq!(
        one(
            "response.function_call_arguments.done",
            json!({ "type": "response.function_call_arguments.done", "item_id": "fc_a1",
                "output_index": 1, "arguments": "{\"is_valid\":" })
        ),
        []
    );
    // A message item added says nothing yet.
    assert_eq!(
        one(
            "response.output_item.added",
            json!({ "type": "response.output_item.added", "output_index": 0,
                "item": { "type": "message", "id": "msg_a1", "content": [] } })
        ),
        []
    );
}

#[test]
fn llama_cpp_calls_are_told_apart_by_item_id_and_finished_by_done() {
    let added = |id: &str| {
        one(
            "response.output_item.added",
            json!({ "type": "response.output_item.added",
                "item": { "type": "function_call", "id": id, "call_id": format!("call_{id}"),
                    "name": "Verdict", "arguments": "" } }),
        )
    };
    let index_of = |d: &[Delta]| match d[0] {
        Delta::Call { index, .. } => index,
        _ => panic!("{d:?}"),
    };
    let (a, b) = (index_of(&added("fc_l1")), index_of(&added("fc_l2")));
    assert_ne!(a, b);
    let delta = one(
        "response.function_call_arguments.delta",
        json!({ "type": "response.function_call_arguments.delta", "item_id": "fc_l2",
            "delta": "{\"is_valid\":tr" }),
    );
    assert_eq!(index_of(&delta), b);
    // The last chunk sends no delta: the done item carries the rest.
    assert_eq!(
        one(
            "response.output_item.done",
            json!({ "type": "response.output_item.done",
                "item": { "type": "function_call", "id": "fc_l2", "call_id": "call_fc_l2",
                    "name": "Verdict", "arguments": "{\"is_valid\":true}", "status": "completed" } })
        ),
        [Delta::Call {
            index: b,
            id: None,
            name: None,
            arguments: Some("ue}".into())
        }]
    );
}

#[test]
fn llama_cpp_text_tail_comes_from_the_done_events_once() {
    let text = |d: &str| {
        one(
            "response.output_text.delta",
            json!({ "type": "response.output_text.delta", "item_id": "msg_l1", "delta": d }),
        )
    };
    assert_eq!(text("{\"a\":"), [Delta::Text("{\"a\":".into())]);
    let whole = "{\"a\":1}";
    assert_eq!(
        one(
            "response.output_text.done",
            json!({ "type": "response.output_text.done", "item_id": "msg_l1", "text": whole })
        ),
        [Delta::Text("1}".into())]
    );
    assert_eq!(
        one(
            "response.content_part.done",
            json!({ "type": "response.content_part.done", "item_id": "msg_l1",
                "part": { "type": "output_text", "text": whole } })
        ),
        []
    );
    assert_eq!(
        one(
            "response.output_item.done",
            json!({ "type": "response.output_item.done",
                "item": { "type": "message", "id": "msg_l1",
                    "content": [{ "type": "output_text", "text": whole }] } })
        ),
        []
    );
    // A text that came whole in the last chunk (no delta before it).
    assert_eq!(
        one(
            "response.output_item.done",
            json!({ "type": "response.output_item.done",
                "item": { "type": "message", "id": "msg_l2",
                    "content": [{ "type": "output_text", "text": "{}" }] } })
        ),
        [Delta::Text("{}".into())]
    );
}

#[test]
fn completed_and_incomplete_end_the_stream() {
    assert_eq!(
        one(
            "response.completed",
            json!({ "type": "response.completed", "response": {
                "id": "resp_1", "model": "gpt-5.4", "status": "completed",
                "output": [{ "type": "message", "id": "msg_c1",
                    "content": [{ "type": "output_text", "text": "{}" }] }],
                "usage": usage_body() } })
        ),
        [
            Delta::Usage(Usage {
                prompt_tokens: 37,
                completion_tokens: 11,
                total_tokens: 48,
                cached_tokens: 32,
                cache_creation_tokens: 0,
                reasoning_tokens: 4
            }),
            Delta::Id("resp_1".into()),
            Delta::Model("gpt-5.4".into()),
            Delta::Finish("stop".into()),
            Delta::Done
        ]
    );
    let d = one(
        "response.incomplete",
        json!({ "type": "response.incomplete", "response": {
            "status": "incomplete", "incomplete_details": { "reason": "max_output_tokens" },
            "output": [], "usage": { "input_tokens": 1, "output_tokens": 2, "total_tokens": 3 } } }),
    );
    assert_eq!(d[1], Delta::Finish("length".into()));
    assert_eq!(d[2], Delta::Done);
    let d = one(
        "response.completed",
        json!({ "type": "response.completed", "response": { "status": "completed",
            "output": [{ "type": "function_call", "id": "fc_c1", "name": "f", "arguments": "{}" }] } }),
    );
    assert_eq!(d, [Delta::Finish("tool_calls".into()), Delta::Done]);
}

#[test]
fn failures_and_errors_in_the_stream() {
    assert_eq!(
        deltas(
            "response.failed",
            json!({ "type": "response.failed", "response": { "status": "failed",
                "error": { "code": "server_error", "message": "The model failed to generate a response." } } })
        )
        .unwrap_err(),
        "the response failed (server_error): The model failed to generate a response."
    );
    assert_eq!(
        deltas(
            "error",
            json!({ "type": "error", "code": "ERR_SOMETHING", "message": "Something went wrong",
                "param": null, "sequence_number": 1 })
        )
        .unwrap_err(),
        "Something went wrong (ERR_SOMETHING)"
    );
    // llama.cpp: a bare error line, no `event:`.
    assert_eq!(
        deltas(
            "",
            json!({ "error": { "code": 500, "message": "boom", "type": "server_error" } })
        )
        .unwrap_err(),
        "boom"
    );
    assert_not_an_event(&OpenAiResponses, "a Responses stream event");
    let mut out = Vec::new();
    OpenAiResponses
        .decode_event("", "[DONE]", &mut out)
        .unwrap();
    assert_eq!(out, [Delta::Done]);
    // Events the SDK does not read are skipped.
    assert_eq!(
        one(
            "response.in_progress",
            json!({ "type": "response.in_progress", "response": { "status": "in_progress" } })
        ),
        []
    );
    assert_eq!(
        one(
            "response.web_search_call.searching",
            json!({ "type": "response.web_search_call.searching" })
        ),
        []
    );
}

#[test]
fn a_finished_reasoning_item_with_encrypted_content_is_kept_whole() {
    let item = json!({ "id": "rs_1", "type": "reasoning", "status": "completed",
        "summary": [{ "type": "summary_text", "text": "Short." }],
        "encrypted_content": "gAAAA==" });
    assert_eq!(
        one(
            "response.output_item.done",
            json!({ "type": "response.output_item.done", "output_index": 0, "item": item })
        ),
        [Delta::Kept {
            index: 0,
            piece: KeptPiece::Start(item)
        }]
    );
    // llama.cpp's reasoning items carry an empty `encrypted_content`: nothing to send back.
    let llama = json!({ "id": "rs_2", "type": "reasoning", "summary": [], "encrypted_content": "",
        "content": [{ "type": "reasoning_text", "text": "Hmm." }] });
    assert!(one(
        "response.output_item.done",
        json!({ "type": "response.output_item.done", "item": llama })
    )
    .is_empty());
}
