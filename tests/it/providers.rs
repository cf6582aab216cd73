//! What the Anthropic, Gemini and Responses dialects do alike, one table row per dialect
//! against real HTTP servers on 127.0.0.1: a rate-limit or overload status is retried and
//! the next answer read; a refusal, a blocked answer or a cut-off one ends the extraction
//! after one request, however many re-asks are allowed; a re-ask round (tools mode, and
//! Gemini's JSON-schema mode) sums the usage of both attempts; and `Mode::JsonObjectSchema` (which none of them has) is refused before
//! any request. A row's closure checks what only its dialect sends or says.

use instructor::{AttemptError, Error, Mode};
use serde_json::{json, Value};
use wiremock::{MockServer, ResponseTemplate};

use crate::support::providers::{
    anthropic, gemini, refused_json_object_schema, responses, Dialect,
};
use crate::support::servers::mock::{bodies, json_ok};
use crate::support::{jason, UserDetails, JASON};

const USER: &str = r#"Extract the following entities: "Jason is 20""#;

/// The retryable status each dialect's API documents, answered first; its next answer reads.
#[tokio::test]
async fn a_retryable_status_is_retried_then_the_answer_read() {
    let anthropic_overloaded = ResponseTemplate::new(529).set_body_json(json!({ "type": "error",
        "error": { "type": "overloaded_error", "message": "Overloaded" }, "request_id": "req_1" }));
    let gemini_exhausted = ResponseTemplate::new(429).set_body_json(json!({ "error": {
        "code": 429, "message": "Resource has been exhausted (e.g. check quota).", "status": "RESOURCE_EXHAUSTED" } }));
    let responses_limited = ResponseTemplate::new(429)
        .insert_header("retry-after", "0")
        .set_body_json(json!({ "error": {
            "message": "Rate limit reached", "type": "requests", "param": null,
            "code": "rate_limit_exceeded" } }));
    let rows = [
        (
            Dialect::Anthropic,
            anthropic_overloaded,
            anthropic::tool_reply("toolu_01", json!({ "name": "Jason", "age": 20 }), (5, 5)),
        ),
        (
            Dialect::Gemini,
            gemini_exhausted,
            gemini::text_reply(r#"{"name":"Jason","age":20}"#, 10, 5),
        ),
        (
            Dialect::Responses,
            responses_limited,
            responses::text_reply(JASON, responses::usage(10, 5)),
        ),
    ];
    for (dialect, limited, answer) in rows {
        let server = dialect.serve(vec![limited, json_ok(answer)]).await;
        let user = dialect
            .client(&server)
            .extract::<UserDetails>()
            .user(USER)
            .send()
            .await
            .unwrap();
        assert_eq!(user, jason(), "{dialect:?}");
        let sent = server.received_requests().await.unwrap().len();
        assert_eq!(sent, 2, "{dialect:?}");
    }
}

/// A reply that ends the extraction, and how it is asked for.
struct Ending {
    /// What the row is (the failure message names it).
    name: &'static str,
    dialect: Dialect,
    reply: Value,
    mode: Option<Mode>,
    max_tokens: Option<u32>,
    max_retries: u32,
    /// The row's checks of the error and of the one request's body.
    check: fn(&Error, &Value),
}

/// A refusal, a blocked answer or a cut-off one is the extraction's error, with no re-ask.
#[tokio::test]
async fn an_ending_reply_is_the_error_without_a_reask() {
    let rows = [
        Ending {
            name: "an Anthropic refusal",
            dialect: Dialect::Anthropic,
            reply: json!({
                "id": "msg_r", "type": "message", "role": "assistant", "model": "claude-test",
                "content": [], "stop_reason": "refusal",
                "stop_details": { "type": "refusal", "category": "cyber",
                                  "explanation": "This request was declined because it could enable cyber harm." },
                "usage": { "input_tokens": 412, "output_tokens": 0 }
            }),
            mode: None,
            max_tokens: None,
            max_retries: 3,
            check: |err, _| match err {
                Error::Refusal { refusal, usage } => {
                    assert!(refusal.contains("declined"), "{refusal}");
                    assert_eq!(usage.prompt_tokens, 412);
                }
                other => panic!("{other:?}"),
            },
        },
        Ending {
            name: "a Responses refusal",
            dialect: Dialect::Responses,
            reply: json!({
                "status": "completed",
                "output": [{ "id": "msg_1", "type": "message", "role": "assistant",
                    "content": [{ "type": "refusal", "refusal": "I'm sorry, I cannot assist with that request." }] }],
                "usage": responses::usage(9, 3)
            }),
            mode: None,
            max_tokens: None,
            max_retries: 2,
            check: |err, _| match err {
                Error::Refusal { refusal, usage } => {
                    assert_eq!(refusal, "I'm sorry, I cannot assist with that request.");
                    assert_eq!(usage.total_tokens, 12);
                }
                other => panic!("{other:?}"),
            },
        },
        Ending {
            name: "Anthropic's max_tokens",
            dialect: Dialect::Anthropic,
            reply: anthropic::message(
                json!([{ "type": "text", "text": r#"{"name": "Ja"# }]),
                "max_tokens",
                30,
                5,
            ),
            mode: Some(Mode::JsonSchema),
            max_tokens: Some(5),
            max_retries: 3,
            check: |err, sent| {
                assert!(
                    matches!(err, Error::Truncated { text, .. } if text == r#"{"name": "Ja"#),
                    "{err:?}"
                );
                assert_eq!(sent["max_tokens"], 5);
            },
        },
        Ending {
            name: "Gemini's MAX_TOKENS",
            dialect: Dialect::Gemini,
            reply: gemini::reply(json!([{ "text": "{\"name\":\"Ja" }]), "MAX_TOKENS", 10, 4),
            mode: None,
            max_tokens: Some(4),
            max_retries: 2,
            check: |err, sent| {
                match err {
                    Error::Truncated { text, .. } => assert_eq!(text, "{\"name\":\"Ja"),
                    other => panic!("{other:?}"),
                }
                assert_eq!(sent["generationConfig"]["maxOutputTokens"], 4);
            },
        },
        Ending {
            name: "an incomplete Responses answer",
            dialect: Dialect::Responses,
            reply: json!({
                "status": "incomplete",
                "incomplete_details": { "reason": "max_output_tokens" },
                "output": [{ "type": "message", "role": "assistant",
                    "content": [{ "type": "output_text", "text": "{\"name\": \"Jas" }] }],
                "usage": responses::usage(9, 16)
            }),
            mode: None,
            max_tokens: Some(16),
            max_retries: 2,
            check: |err, _| match err {
                Error::Truncated { text, usage } => {
                    assert_eq!(text, "{\"name\": \"Jas");
                    assert_eq!(usage.completion_tokens, 16);
                }
                other => panic!("{other:?}"),
            },
        },
        Ending {
            name: "a Gemini safety block",
            dialect: Dialect::Gemini,
            reply: json!({
                "candidates": [{ "finishReason": "SAFETY", "index": 0,
                                 "safetyRatings": [{ "category": "HARM_CATEGORY_HARASSMENT", "probability": "HIGH" }] }],
                "usageMetadata": { "promptTokenCount": 9, "totalTokenCount": 9 }
            }),
            mode: None,
            max_tokens: None,
            max_retries: 3,
            check: |err, _| match err {
                Error::ContentFilter { text, usage } => {
                    assert_eq!(text, "blocked: SAFETY");
                    assert_eq!(usage.prompt_tokens, 9);
                }
                other => panic!("{other:?}"),
            },
        },
        Ending {
            name: "a Gemini blocked prompt",
            dialect: Dialect::Gemini,
            reply: json!({ "promptFeedback": { "blockReason": "PROHIBITED_CONTENT" },
                           "usageMetadata": { "promptTokenCount": 4, "totalTokenCount": 4 } }),
            mode: Some(Mode::Tools),
            max_tokens: None,
            max_retries: 3,
            check: |err, _| match err {
                Error::ContentFilter { text, .. } => {
                    assert_eq!(text, "prompt blocked: PROHIBITED_CONTENT")
                }
                other => panic!("{other:?}"),
            },
        },
    ];
    for row in rows {
        let server = row.dialect.serve(vec![json_ok(row.reply)]).await;
        let mut ask = row
            .dialect
            .client(&server)
            .extract::<UserDetails>()
            .user(USER)
            .max_retries(row.max_retries);
        if let Some(mode) = row.mode {
            ask = ask.mode(mode);
        }
        if let Some(max_tokens) = row.max_tokens {
            ask = ask.max_tokens(max_tokens);
        }
        let err = ask.send().await.unwrap_err();
        let sent = bodies(&server).await;
        assert_eq!(sent.len(), 1, "{}: no re-ask", row.name);
        (row.check)(&err, &sent[0]);
    }
}

/// A re-ask round: the first answer fails validation, the second is read, and the
/// extraction's usage is the sum of both.
struct Reask {
    dialect: Dialect,
    mode: Mode,
    /// The two answers.
    replies: [Value; 2],
    system: Option<&'static str>,
    /// The summed usage: prompt, completion, total.
    usage: (u64, u64, u64),
    /// The row's checks of the two requests' bodies.
    check: fn(&[Value]),
}

/// One re-ask in tools mode per dialect, and Gemini's in JSON-schema mode: the usage sums,
/// the second request answers the first answer.
#[tokio::test]
async fn a_reask_sums_the_usage_and_answers_the_first_answer() {
    const SYSTEM: &str = "You are a world class extractor";
    let rows = [
        Reask {
            mode: Mode::Tools,
            dialect: Dialect::Anthropic,
            replies: [
                anthropic::tool_reply("toolu_01", json!({ "name": "", "age": 130 }), (100, 10)),
                anthropic::tool_reply("toolu_02", json!({ "name": "Jason", "age": 20 }), (130, 12)),
            ],
            system: Some(SYSTEM),
            usage: (230, 22, 252),
            check: |sent| {
                let user_turn =
                    json!({ "role": "user", "content": [{ "type": "text", "text": USER }] });
                assert_eq!(sent[0]["messages"], json!([user_turn]));
                let turns = sent[1]["messages"].as_array().unwrap();
                assert_eq!(turns.len(), 3);
                assert_eq!(turns[0], user_turn);
                assert_eq!(
                    turns[1],
                    json!({ "role": "assistant", "content": [{ "type": "tool_use", "id": "toolu_01",
                        "name": "UserDetails", "input": { "name": "", "age": 130 } }] })
                );
                assert_eq!(turns[2]["role"], "user");
                let blocks = turns[2]["content"].as_array().unwrap();
                assert_eq!(blocks.len(), 1);
                assert_eq!(blocks[0]["type"], "tool_result");
                assert_eq!(blocks[0]["tool_use_id"], "toolu_01");
                assert_eq!(blocks[0]["is_error"], true);
                let feedback = blocks[0]["content"].as_str().unwrap();
                assert!(
                    feedback.contains("`age` is 130") && feedback.contains("`name`"),
                    "{feedback}"
                );
                assert_eq!(sent[1]["system"], SYSTEM);
                assert_eq!(sent[1]["tools"], sent[0]["tools"]);
            },
        },
        Reask {
            mode: Mode::Tools,
            dialect: Dialect::Gemini,
            replies: [
                gemini::call_reply(json!({"name": "", "age": 20}), 100, 10),
                gemini::call_reply(json!({"name": "Jason", "age": 20}), 130, 12),
            ],
            system: None,
            usage: (230, 22, 252),
            check: |sent| {
                let second = &sent[1];
                let contents = second["contents"].as_array().unwrap();
                assert_eq!(contents.len(), 3, "{second}");
                assert_eq!(
                    contents[1],
                    json!({ "role": "model", "parts": [{ "functionCall": { "name": "UserDetails", "args": { "name": "", "age": 20 } } }] })
                );
                assert_eq!(contents[2]["role"], "user");
                let response = &contents[2]["parts"][0]["functionResponse"];
                assert_eq!(response["name"], "UserDetails");
                assert!(
                    response["response"]["error"]
                        .as_str()
                        .unwrap()
                        .contains("`name`"),
                    "{response}"
                );
            },
        },
        Reask {
            mode: Mode::JsonSchema,
            dialect: Dialect::Gemini,
            replies: [
                gemini::text_reply(r#"{"name":"Jason","age":130}"#, 50, 5),
                gemini::text_reply(r#"{"name":"Jason","age":20}"#, 70, 6),
            ],
            system: None,
            usage: (120, 11, 131),
            check: |sent| {
                let second = &sent[1];
                let roles: Vec<&str> = second["contents"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c["role"].as_str().unwrap())
                    .collect();
                assert_eq!(roles, ["user", "model", "user"]);
                assert_eq!(
                    second["contents"][1]["parts"][0]["text"],
                    r#"{"name":"Jason","age":130}"#
                );
            },
        },
        Reask {
            mode: Mode::Tools,
            dialect: Dialect::Responses,
            replies: [
                responses::call_reply(
                    "call_1",
                    "UserDetails",
                    r#"{"name": "Jason", "age": 200}"#,
                    responses::usage(10, 5),
                ),
                responses::call_reply("call_2", "UserDetails", JASON, responses::usage(30, 6)),
            ],
            system: None,
            usage: (40, 11, 51),
            check: |sent| {
                let input = sent[1]["input"].as_array().unwrap();
                assert_eq!(input.len(), 3, "{input:?}");
                assert_eq!(
                    input[1],
                    responses::echoed_call("call_1", r#"{"name": "Jason", "age": 200}"#)
                );
                assert_eq!(input[2]["type"], "function_call_output");
                assert_eq!(input[2]["call_id"], "call_1");
                let output = input[2]["output"].as_str().unwrap();
                assert!(output.contains("age"), "{output}");
                assert!(output.contains("200"), "{output}");
            },
        },
    ];
    for row in rows {
        let server = row.dialect.serve(row.replies.map(json_ok).into()).await;
        let mut ask = row
            .dialect
            .extract::<UserDetails>(&server, row.mode)
            .user(USER)
            .max_retries(1);
        if let Some(system) = row.system {
            ask = ask.system(system);
        }
        let (user, extraction) = ask.send_with_extraction().await.unwrap();
        let dialect = row.dialect;
        assert_eq!(user, jason(), "{dialect:?}");
        assert_eq!(extraction.attempts.len(), 2, "{dialect:?}");
        assert!(
            matches!(
                extraction.attempts[0].error,
                Some(AttemptError::Validation(_))
            ),
            "{dialect:?}"
        );
        let usage = &extraction.usage;
        assert_eq!(
            (
                usage.prompt_tokens,
                usage.completion_tokens,
                usage.total_tokens
            ),
            row.usage,
            "{dialect:?}"
        );
        (row.check)(&bodies(&server).await);
    }
}

/// `Mode::JsonObjectSchema` never leaves the client, and the error names the dialect.
#[tokio::test]
async fn json_object_schema_is_refused_before_any_request() {
    let server = MockServer::start().await;
    let anthropic = Dialect::Anthropic.client(&server);
    let why = refused_json_object_schema(&anthropic, &server).await;
    assert!(
        why.contains("Anthropic") && why.contains("Mode::Tools"),
        "{why}"
    );
    let gemini = Dialect::Gemini.client(&server);
    let why = refused_json_object_schema(&gemini, &server).await;
    assert!(why.contains("Gemini"), "{why}");
}
