//! Replies and error bodies: each reply kind read into the neutral completion, error bodies'
//! fields, and the retry rule that reads them.

use serde_json::{json, Value};

use crate::provider::anthropic::Anthropic;
use crate::provider::{Dialect, ErrorFields};
use crate::wire::{ChatCompletion, Usage};

fn decoded(body: Value) -> ChatCompletion {
    Anthropic.decode(&body.to_string()).unwrap()
}

#[test]
fn replies_decode_to_the_neutral_completion() {
    // Text, with usage from all three input counts.
    let c = decoded(json!({
        "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-x",
        "content": [{ "type": "text", "text": "{\"name\":" }, { "type": "text", "text": "\"J\"}" }],
        "stop_reason": "end_turn", "stop_sequence": null,
        "usage": { "input_tokens": 10, "cache_creation_input_tokens": 5,
                   "cache_read_input_tokens": 100, "output_tokens": 7 }
    }));
    assert_eq!((c.id.as_str(), c.model.as_str()), ("msg_1", "claude-x"));
    let choice = &c.choices[0];
    assert_eq!(choice.message.content.as_deref(), Some("{\"name\":\"J\"}"));
    assert_eq!(choice.finish_reason.as_deref(), Some("stop"));
    assert_eq!(
        c.usage.unwrap(),
        Usage {
            prompt_tokens: 115,
            completion_tokens: 7,
            total_tokens: 122,
            cached_tokens: 100,
            cache_creation_tokens: 5,
            reasoning_tokens: 0,
        }
    );

    // Thinking, then a tool call.
    let c = decoded(json!({
        "id": "msg_2", "model": "claude-x",
        "content": [
            { "type": "thinking", "thinking": "The user wants...", "signature": "sig" },
            { "type": "redacted_thinking", "data": "xyz" },
            { "type": "tool_use", "id": "toolu_1", "name": "Person",
              "input": { "name": "Jason", "age": 20 } }
        ],
        "stop_reason": "tool_use", "usage": { "input_tokens": 3, "output_tokens": 4 }
    }));
    let m = &c.choices[0].message;
    assert_eq!(m.reasoning_content.as_deref(), Some("The user wants..."));
    // Both thinking blocks kept, in order, to go back with the call.
    let echo = m.echo.as_ref().unwrap();
    assert_eq!(echo.provider(), "anthropic");
    assert_eq!(
        echo.blocks().collect::<Vec<_>>(),
        [
            r#"{"type":"thinking","thinking":"The user wants...","signature":"sig"}"#,
            r#"{"type":"redacted_thinking","data":"xyz"}"#
        ]
    );
    assert_eq!(m.content, None);
    assert_eq!(m.tool_calls[0].id, "toolu_1");
    assert_eq!(m.tool_calls[0].function.name, "Person");
    assert_eq!(
        serde_json::from_str::<Value>(&m.tool_calls[0].function.arguments).unwrap(),
        json!({ "name": "Jason", "age": 20 })
    );
    assert_eq!(c.choices[0].finish_reason.as_deref(), Some("tool_calls"));

    // A refusal.
    let c = decoded(json!({
        "id": "msg_3", "content": [], "stop_reason": "refusal",
        "stop_details": { "type": "refusal", "category": "cyber",
                          "explanation": "This request was declined." },
        "usage": { "input_tokens": 412, "output_tokens": 0 }
    }));
    assert_eq!(
        c.choices[0].message.refusal.as_deref(),
        Some("This request was declined.")
    );
    let c = decoded(json!({ "content": [], "stop_reason": "refusal", "stop_details": null }));
    assert!(c.choices[0]
        .message
        .refusal
        .as_deref()
        .unwrap()
        .contains("declined"));

    // Cut at the token limit.
    let c = decoded(json!({
        "content": [{ "type": "text", "text": "{\"name\": \"Ja" }], "stop_reason": "max_tokens"
    }));
    assert_eq!(c.choices[0].finish_reason.as_deref(), Some("length"));

    // llama.cpp's usage (no cache_creation count).
    let c = decoded(json!({
        "content": [], "stop_reason": "end_turn",
        "usage": { "cache_read_input_tokens": 1, "input_tokens": 27, "output_tokens": 128 }
    }));
    assert_eq!(c.usage.unwrap().prompt_tokens, 28);

    // An error body sent with a 200.
    assert_eq!(
        Anthropic
            .decode(r#"{"type":"error","error":{"type":"api_error","message":"boom"}}"#)
            .unwrap_err(),
        "boom"
    );
}

#[test]
fn error_bodies_and_what_is_retried() {
    let overloaded = r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":"req_1"}"#;
    assert_eq!(
        Anthropic.error_fields(overloaded),
        ErrorFields {
            message: Some("Overloaded".into()),
            kind: Some("overloaded_error".into()),
            code: None,
        }
    );
    // llama.cpp's form.
    let f = Anthropic
        .error_fields(r#"{"error":{"code":400,"message":"bad","type":"invalid_request_error"}}"#);
    assert_eq!(
        (f.message.as_deref(), f.code.as_deref()),
        (Some("bad"), Some("400"))
    );
    assert_eq!(Anthropic.error_fields("<html>"), ErrorFields::default());

    assert!(Anthropic.retryable(529, overloaded));
    let limited = r#"{"type":"error","error":{"type":"rate_limit_error","message":"Number of request tokens has exceeded your per-minute rate limit"}}"#;
    assert!(Anthropic.retryable(429, limited));
    let spent = r#"{"type":"error","error":{"type":"rate_limit_error","message":"You have reached your specified workspace API usage limits."}}"#;
    assert!(!Anthropic.retryable(429, spent));
    let credit = r#"{"type":"error","error":{"type":"invalid_request_error","message":"Your credit balance is too low to access the Anthropic API."}}"#;
    assert!(!Anthropic.retryable(400, credit));
    assert!(!Anthropic.retryable(401, "{}"));
    assert!(Anthropic.retryable(500, ""));
}
