//! Thinking and reasoning carried across a re-ask, against real HTTP servers on 127.0.0.1:
//! Anthropic's `thinking` / `redacted_thinking` blocks go back in the re-ask's assistant turn
//! byte for byte, in order, before the `tool_use` block (the extended-thinking guide,
//! "Preserving thinking blocks"; notes in docs/providers-wire.md §1.11), whole or gathered
//! from a stream's `thinking_delta` / `signature_delta` events; the Responses API's
//! `reasoning` items that carry `encrypted_content` go back as input items before the
//! `function_call` (§2.9).

use instructor::Client;
use serde_json::{json, Value};
use wiremock::{MockServer, ResponseTemplate};

use crate::support::providers::{anthropic, named_events, responses, serving_at};
use crate::support::servers::jason_from;
use crate::support::servers::mock::{bodies, json_ok, sse_ok};
use crate::support::{jason, UserDetails, KEY};

const USER: &str = "Jason is 20";

/// A 200 whose JSON body is `text` byte for byte.
fn raw_ok(text: String) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(text.into_bytes(), "application/json")
}

/// The bodies `server` received, as text.
async fn raw_bodies(server: &MockServer) -> Vec<String> {
    let requests = server.received_requests().await.unwrap();
    requests
        .iter()
        .map(|r| String::from_utf8(r.body.clone()).unwrap())
        .collect()
}

/// Anthropic with adaptive thinking on (the thinking mode that allows a forced tool).
fn thinking_anthropic(server: &MockServer) -> Client {
    anthropic::builder(&server.uri())
        .extra_body(json!({ "thinking": { "type": "adaptive" } }))
        .build()
        .unwrap()
}

/// The user turn, the assistant turn echoing `blocks` then the call `toolu_1` with an age
/// of 200, and the user turn answering it with an error (whose text is `feedback`).
fn reasked_anthropic(blocks: Vec<Value>, feedback: &Value) -> Value {
    let mut assistant = blocks;
    assistant.push(
        json!({ "type": "tool_use", "id": "toolu_1", "name": "UserDetails",
        "input": { "name": "Jason", "age": 200 } }),
    );
    json!([
        { "role": "user", "content": [{ "type": "text", "text": USER }] },
        { "role": "assistant", "content": assistant },
        { "role": "user", "content": [{ "type": "tool_result", "tool_use_id": "toolu_1",
            "content": feedback, "is_error": true }] }
    ])
}

#[tokio::test]
async fn anthropic_thinking_blocks_go_back_unchanged_before_the_tool_use() {
    // Written with spacing and key order of its own: what is echoed must be these bytes.
    let thinking = r#"{"signature": "EqQBCgIYAhIM1gbcDa9GJwZA2b3h", "type": "thinking", "thinking": "Age 200? Let me call the tool."}"#;
    let redacted = r#"{"type":"redacted_thinking","data":"EmwKAhgBEgy3va3pzix/LafPsn4a"}"#;
    let first = format!(
        r#"{{"id":"msg_1","type":"message","role":"assistant","model":"claude-test","content":[{thinking},{redacted},{{"type":"tool_use","id":"toolu_1","name":"UserDetails","input":{{"name":"Jason","age":200}}}}],"stop_reason":"tool_use","usage":{{"input_tokens":30,"output_tokens":40}}}}"#
    );
    let second = anthropic::tool_reply("toolu_2", json!({ "name": "Jason", "age": 20 }), (5, 5));
    let server = serving_at(anthropic::PATH, &[], vec![raw_ok(first), json_ok(second)]).await;
    let request = thinking_anthropic(&server)
        .extract::<UserDetails>()
        .user(USER)
        .max_retries(1);
    let extraction = jason_from(request).await;
    assert_eq!(extraction.attempts.len(), 2);

    let sent = bodies(&server).await;
    let feedback = &sent[1]["messages"][2]["content"][0]["content"];
    assert!(feedback.as_str().unwrap().contains("`age`"), "{feedback}");
    let blocks = vec![
        serde_json::from_str(thinking).unwrap(),
        serde_json::from_str(redacted).unwrap(),
    ];
    assert_eq!(sent[1]["messages"], reasked_anthropic(blocks, feedback));
    assert_eq!(sent[1]["thinking"], json!({ "type": "adaptive" }));
    let raw = &raw_bodies(&server).await[1];
    assert!(
        raw.contains(&format!(
            r#""content":[{thinking},{redacted},{{"type":"tool_use""#
        )),
        "{raw}"
    );
    // The first request had no assistant turn to echo.
    assert_eq!(sent[0]["messages"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn anthropic_streamed_thinking_and_signature_are_gathered_into_the_block_sent_back() {
    let stream = |args: &str, id: &str| {
        named_events(&[
            json!({ "type": "message_start", "message": { "id": "msg_s", "type": "message",
                "role": "assistant", "content": [], "model": "claude-test", "stop_reason": null,
                "usage": { "input_tokens": 20, "output_tokens": 1 } } }),
            json!({ "type": "content_block_start", "index": 0,
                "content_block": { "type": "thinking", "thinking": "", "signature": "" } }),
            json!({ "type": "content_block_delta", "index": 0,
                "delta": { "type": "thinking_delta", "thinking": "Age 200? " } }),
            json!({ "type": "content_block_delta", "index": 0,
                "delta": { "type": "thinking_delta", "thinking": "Call the tool." } }),
            json!({ "type": "content_block_delta", "index": 0,
                "delta": { "type": "signature_delta", "signature": "EqQBCgIYAhIM" } }),
            json!({ "type": "content_block_stop", "index": 0 }),
            json!({ "type": "content_block_start", "index": 1,
                "content_block": { "type": "tool_use", "id": id, "name": "UserDetails", "input": {} } }),
            json!({ "type": "content_block_delta", "index": 1,
                "delta": { "type": "input_json_delta", "partial_json": args } }),
            json!({ "type": "content_block_stop", "index": 1 }),
            json!({ "type": "message_delta", "delta": { "stop_reason": "tool_use" },
                "usage": { "output_tokens": 30 } }),
            json!({ "type": "message_stop" }),
        ])
    };
    let replies = vec![
        sse_ok(stream(r#"{"name": "Jason", "age": 200}"#, "toolu_1")),
        sse_ok(stream(r#"{"name": "Jason", "age": 20}"#, "toolu_2")),
    ];
    let server = serving_at(anthropic::PATH, &[], replies).await;
    let user = thinking_anthropic(&server)
        .extract::<UserDetails>()
        .user(USER)
        .max_retries(1)
        .stream_partial()
        .into_final()
        .await
        .unwrap();
    assert_eq!(user, jason());

    let sent = bodies(&server).await;
    let feedback = &sent[1]["messages"][2]["content"][0]["content"];
    let block = json!({ "type": "thinking", "thinking": "Age 200? Call the tool.",
        "signature": "EqQBCgIYAhIM" });
    assert_eq!(
        sent[1]["messages"],
        reasked_anthropic(vec![block], feedback)
    );
}

#[tokio::test]
async fn responses_reasoning_items_with_encrypted_content_go_back_before_the_call() {
    let reasoning = r#"{"id": "rs_1", "type": "reasoning", "summary": [{"type": "summary_text", "text": "Age looks off."}], "encrypted_content": "gAAAAABpF-zbM_w=="}"#;
    let first = format!(
        r#"{{"id":"resp_1","object":"response","model":"gpt-test","status":"completed","output":[{reasoning},{{"type":"function_call","id":"fc_1","call_id":"call_1","name":"UserDetails","arguments":"{{\"name\":\"Jason\",\"age\":200}}","status":"completed"}}],"usage":{{"input_tokens":10,"output_tokens":5}}}}"#
    );
    let second = responses::call_reply(
        "call_2",
        "UserDetails",
        r#"{"name":"Jason","age":20}"#,
        responses::usage(10, 5),
    );
    let bearer = format!("Bearer {KEY}");
    let server = serving_at(
        responses::PATH,
        &[("authorization", bearer.as_str())],
        vec![raw_ok(first), json_ok(second)],
    )
    .await;
    let user = responses::builder(&server)
        .default_mode(instructor::Mode::Tools)
        .extra_body(json!({ "include": ["reasoning.encrypted_content"] }))
        .build()
        .unwrap()
        .extract::<UserDetails>()
        .user(USER)
        .max_retries(1)
        .await
        .unwrap();
    assert_eq!(user, jason());

    let sent = bodies(&server).await;
    let input = sent[1]["input"].as_array().unwrap();
    assert_eq!(input.len(), 4, "{input:?}");
    assert_eq!(input[1], serde_json::from_str::<Value>(reasoning).unwrap());
    assert_eq!(
        input[2],
        responses::echoed_call("call_1", r#"{"name":"Jason","age":200}"#)
    );
    assert_eq!(input[3]["type"], "function_call_output");
    assert_eq!(input[3]["call_id"], "call_1");
    assert_eq!(sent[1]["include"], json!(["reasoning.encrypted_content"]));
    let raw = &raw_bodies(&server).await[1];
    assert!(raw.contains(reasoning), "{raw}");
}
