//! Tests of the reply: text with thoughts and usage, function calls, finish reasons and a
//! blocked prompt.

use serde_json::{json, Value};

use crate::provider::gemini::Gemini;
use crate::provider::Dialect;
use crate::wire::ChatCompletion;

fn decode(body: Value) -> ChatCompletion {
    Gemini.decode(&body.to_string()).unwrap()
}

#[test]
fn a_text_reply_with_thoughts_and_usage() {
    let c = decode(json!({
        "responseId": "r1", "modelVersion": "gemini-2.5-flash",
        "candidates": [{ "content": { "role": "model", "parts": [
            { "text": "thinking...", "thought": true },
            { "text": "{\"name\":" }, { "text": "\"Jason\"}" },
        ] }, "finishReason": "STOP", "index": 0 }],
        "usageMetadata": { "promptTokenCount": 8, "candidatesTokenCount": 11, "thoughtsTokenCount": 29,
                           "cachedContentTokenCount": 4, "totalTokenCount": 48 }
    }));
    assert_eq!(
        (c.id.as_str(), c.model.as_str()),
        ("r1", "gemini-2.5-flash")
    );
    let m = &c.choices[0].message;
    assert_eq!(m.content.as_deref(), Some("{\"name\":\"Jason\"}"));
    assert_eq!(m.reasoning_content.as_deref(), Some("thinking..."));
    assert_eq!(c.choices[0].finish_reason.as_deref(), Some("stop"));
    let u = c.usage.unwrap();
    assert_eq!(
        (u.prompt_tokens, u.completion_tokens, u.total_tokens),
        (8, 40, 48)
    );
    assert_eq!((u.cached_tokens, u.reasoning_tokens), (4, 29));
}

#[test]
fn function_calls_become_tool_calls_with_synthetic_ids() {
    let c = decode(json!({
        "candidates": [{ "content": { "role": "model", "parts": [
            { "functionCall": { "name": "find", "args": { "movie": "Barbie" } }, "thoughtSignature": "U0lH" },
            { "functionCall": { "name": "find", "args": { "movie": "Oppenheimer" } } },
        ] }, "finishReason": "STOP" }]
    }));
    let choice = &c.choices[0];
    assert_eq!(choice.finish_reason.as_deref(), Some("tool_calls"));
    let calls = &choice.message.tool_calls;
    assert_eq!(calls[0].id, "call_0;sig=U0lH");
    assert_eq!(calls[1].id, "call_1");
    assert_eq!(calls[1].function.name, "find");
    assert_eq!(calls[1].function.arguments, r#"{"movie":"Oppenheimer"}"#);
    assert!(choice.message.content.is_none());
}

#[test]
fn max_tokens_and_safety_finishes() {
    let c = decode(
        json!({ "candidates": [{ "content": { "parts": [{ "text": "{\"a\":" }] },
                                            "finishReason": "MAX_TOKENS" }] }),
    );
    assert_eq!(c.choices[0].finish_reason.as_deref(), Some("length"));
    for reason in [
        "SAFETY",
        "RECITATION",
        "BLOCKLIST",
        "PROHIBITED_CONTENT",
        "SPII",
        "IMAGE_SAFETY",
    ] {
        let c = decode(json!({ "candidates": [{ "finishReason": reason, "index": 0 }] }));
        assert_eq!(
            c.choices[0].finish_reason.as_deref(),
            Some("content_filter")
        );
        assert_eq!(
            c.choices[0].message.content.as_deref(),
            Some(format!("blocked: {reason}").as_str())
        );
    }
    let c = decode(json!({ "candidates": [{ "finishReason": "MALFORMED_FUNCTION_CALL" }] }));
    assert_eq!(
        c.choices[0].finish_reason.as_deref(),
        Some("malformed_function_call")
    );
}

#[test]
fn a_blocked_prompt_is_a_content_filter_answer() {
    let c = decode(
        json!({ "promptFeedback": { "blockReason": "SAFETY", "safetyRatings": [
        { "category": "HARM_CATEGORY_HARASSMENT", "probability": "MEDIUM" }] } }),
    );
    assert_eq!(
        c.choices[0].finish_reason.as_deref(),
        Some("content_filter")
    );
    assert_eq!(
        c.choices[0].message.content.as_deref(),
        Some("prompt blocked: SAFETY")
    );
    // Nothing at all: no choice (the SDK's "empty choices").
    assert!(decode(json!({})).choices.is_empty());
}
