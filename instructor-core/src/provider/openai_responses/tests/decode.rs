//! The replies: message, refusal, incomplete, function call and reasoning items, a failed
//! response, and error bodies.

use serde_json::{json, Value};

use crate::provider::openai_responses::tests::usage_body;
use crate::provider::openai_responses::OpenAiResponses;
use crate::provider::Dialect;
use crate::wire::ChatCompletion;

fn decode(body: Value) -> Result<ChatCompletion, String> {
    OpenAiResponses.decode(&body.to_string())
}

#[test]
fn a_message_reply_is_its_text_and_usage() {
    let c = decode(json!({
        "id": "resp_1", "object": "response", "created_at": 1741290958, "model": "gpt-5.4",
        "status": "completed", "error": null, "incomplete_details": null,
        "output": [{
            "id": "msg_1", "type": "message", "status": "completed", "role": "assistant",
            "content": [
                { "type": "output_text", "text": "{\"is_valid\":", "annotations": [] },
                { "type": "output_text", "text": "true}", "annotations": [] }
            ]
        }],
        "usage": usage_body()
    }))
    .unwrap();
    assert_eq!((c.id.as_str(), c.model.as_str()), ("resp_1", "gpt-5.4"));
    assert_eq!(c.created, Some(1741290958));
    let choice = &c.choices[0];
    assert_eq!(
        choice.message.content.as_deref(),
        Some("{\"is_valid\":true}")
    );
    assert_eq!(choice.finish_reason.as_deref(), Some("stop"));
    let u = c.usage.unwrap();
    assert_eq!(
        (
            u.prompt_tokens,
            u.completion_tokens,
            u.total_tokens,
            u.cached_tokens,
            u.reasoning_tokens
        ),
        (37, 11, 48, 32, 4)
    );
}

#[test]
fn a_refusal_part_is_the_refusal() {
    let c = decode(json!({
        "status": "completed",
        "output": [{ "id": "msg_1", "type": "message", "role": "assistant",
            "content": [{ "type": "refusal", "refusal": "I'm sorry, I cannot assist with that request." }] }]
    }))
    .unwrap();
    let m = &c.choices[0].message;
    assert_eq!(
        m.refusal.as_deref(),
        Some("I'm sorry, I cannot assist with that request.")
    );
    assert_eq!(m.content, None);
}

#[test]
fn incomplete_is_length_or_content_filter() {
    for (reason, finish) in [
        ("max_output_tokens", "length"),
        ("max_tokens", "length"),
        ("content_filter", "content_filter"),
    ] {
        let c = decode(json!({
            "status": "incomplete", "incomplete_details": { "reason": reason },
            "output": [{ "type": "message", "content": [{ "type": "output_text", "text": "{\"is_va" }] }],
            "usage": { "input_tokens": 5, "output_tokens": 16 }
        }))
        .unwrap();
        assert_eq!(
            c.choices[0].finish_reason.as_deref(),
            Some(finish),
            "{reason}"
        );
        assert_eq!(c.choices[0].message.content.as_deref(), Some("{\"is_va"));
        assert_eq!(c.usage.unwrap().total_tokens, 21, "summed when absent");
    }
}

#[test]
fn function_calls_and_reasoning() {
    let c = decode(json!({
        "status": "completed",
        "output": [
            { "type": "reasoning", "id": "rs_1",
              "summary": [{ "type": "summary_text", "text": "The user wants a verdict." }],
              "encrypted_content": "gAAA" },
            { "type": "function_call", "id": "fc_1", "call_id": "call_unLAR8",
              "name": "Verdict", "arguments": "{\"is_valid\":true}", "status": "completed" },
            { "type": "function_call", "id": "fc_2", "call_id": "call_2",
              "name": "Verdict", "arguments": "{}" }
        ]
    }))
    .unwrap();
    let m = &c.choices[0].message;
    assert_eq!(c.choices[0].finish_reason.as_deref(), Some("tool_calls"));
    assert_eq!(m.tool_calls.len(), 2);
    assert_eq!(m.tool_calls[0].id, "call_unLAR8");
    assert_eq!(m.tool_calls[0].function.name, "Verdict");
    assert_eq!(m.tool_calls[0].function.arguments, "{\"is_valid\":true}");
    assert_eq!(m.thinking(), Some("The user wants a verdict."));
    assert_eq!(m.content, None, "thinking is kept apart from the answer");
    // llama.cpp's reasoning item: the text in `content`, an empty summary.
    let c = decode(json!({ "status": "completed", "output": [
        { "type": "reasoning", "summary": [], "content": [{ "type": "reasoning_text", "text": "hmm" }] },
        { "type": "message", "content": [{ "type": "output_text", "text": "{}" }] }
    ]}))
    .unwrap();
    assert_eq!(c.choices[0].message.thinking(), Some("hmm"));
    assert_eq!(c.choices[0].message.content.as_deref(), Some("{}"));
}

#[test]
fn a_failed_response_is_an_error_that_says_why() {
    let why = decode(json!({
        "status": "failed",
        "error": { "code": "server_error", "message": "The model failed to generate a response." },
        "output": []
    }))
    .unwrap_err();
    assert_eq!(
        why,
        "the response failed (server_error): The model failed to generate a response."
    );
    assert!(decode(json!({ "status": "failed" })).is_err());
    assert!(decode(json!({ "status": "queued" }))
        .unwrap_err()
        .contains("queued"));
    assert!(OpenAiResponses.decode("<html>").is_err());
}

#[test]
fn error_bodies_are_read_like_chat_completions() {
    let f = OpenAiResponses.error_fields(
        r#"{"error":{"message":"Rate limit reached","type":"requests","param":null,"code":"rate_limit_exceeded"}}"#,
    );
    assert_eq!(f.message.as_deref(), Some("Rate limit reached"));
    assert_eq!(f.kind.as_deref(), Some("requests"));
    assert_eq!(f.code.as_deref(), Some("rate_limit_exceeded"));
}
