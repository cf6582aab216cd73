//! Re-asking: invalid answers are sent back with their errors, per mode; usage is summed.

use instructor::{llm_validator, AttemptError, Error, Mode};
use serde_json::{json, Value};
use wiremock::matchers::{body_string_contains, method};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::servers::mock::{answer_in_order, bodies, count, json_ok};
use crate::support::*;

const USER: &str = r#"Extract the following entities: "Jason is 20""#;

/// Mounts replies answered in order, one request each.
async fn serve_in_order(server: &MockServer, replies: Vec<Value>) {
    answer_in_order(server, replies.into_iter().map(json_ok).collect()).await;
}

/// A server answering with `replies` in order, one request each.
async fn replying(replies: Vec<Value>) -> MockServer {
    let server = MockServer::start().await;
    serve_in_order(&server, replies).await;
    server
}

#[tokio::test]
async fn invalid_then_valid_in_json_schema_mode() {
    let bad = r#"{"name": "", "age": 130}"#;
    let server = replying(vec![
        content_reply(bad, usage(100, 10)),
        content_reply(r#"{"name": "Jason", "age": 20}"#, usage(130, 12)),
    ])
    .await;
    let (user, completion) = client(&server)
        .extract::<UserDetails>()
        .system("You are a world class extractor")
        .user(USER)
        .max_retries(2)
        .send_with_extraction()
        .await
        .unwrap();
    assert_eq!(user.name, "Jason");
    assert_eq!(completion.attempts.len(), 2);
    assert_eq!(completion.usage.prompt_tokens, 230);
    assert_eq!(completion.usage.completion_tokens, 22);
    assert_eq!(completion.usage.total_tokens, 252);
    assert!(matches!(
        completion.attempts[0].error,
        Some(AttemptError::Validation(_))
    ));
    assert!(completion.attempts[1].error.is_none());

    let bodies = bodies(&server).await;
    assert_eq!(bodies.len(), 2);
    // The first request is not changed by the re-ask.
    assert_eq!(bodies[0]["messages"].as_array().unwrap().len(), 2);
    assert_eq!(
        bodies[1]["messages"],
        json!([
            { "role": "system", "content": "You are a world class extractor" },
            { "role": "user", "content": USER },
            { "role": "assistant", "content": bad },
            {
                "role": "user",
                "content": "Your answer has 2 errors:\n\
                    - `age` is 130: greater than 120. A valid value: integer, from 0 to 120.\n\
                    - `name` is \"\": length is lower than 1. A valid value: string, at least 1 character.\n\
                    \n\
                    Reply with the whole corrected JSON: fix every error and keep the rest as it was."
            }
        ])
    );
    assert_eq!(bodies[1]["response_format"], bodies[0]["response_format"]);
}

#[tokio::test]
async fn parse_errors_are_re_asked_with_their_path() {
    let server = replying(vec![
        content_reply(r#"{"name": "Jason", "age": "twenty"}"#, usage(1, 1)),
        content_reply(r#"{"name": "Jason", "age": 20}"#, usage(1, 1)),
    ])
    .await;
    ask::<UserDetails>(&server, USER, 1).await.unwrap();
    let bodies = bodies(&server).await;
    let feedback = bodies[1]["messages"][2]["content"].as_str().unwrap();
    assert!(
        feedback.starts_with(
            "Your answer has an error:\n- `age` is \"twenty\": invalid type: string \"twenty\", expected u8"
        ),
        "{feedback}"
    );
}

#[tokio::test]
async fn tools_mode_answers_the_tool_call_with_the_errors() {
    let server = replying(vec![
        tool_reply(
            "UserDetails",
            r#"{"name": "Jason", "age": 200}"#,
            usage(50, 5),
        ),
        tool_reply(
            "UserDetails",
            r#"{"name": "Jason", "age": 20}"#,
            usage(70, 5),
        ),
    ])
    .await;
    let user = ask::<UserDetails>(&server, USER, 1)
        .mode(Mode::Tools)
        .await
        .unwrap();
    assert_eq!(user.age, 20);
    let bodies = bodies(&server).await;
    assert_eq!(
        bodies[1]["messages"],
        json!([
            { "role": "user", "content": USER },
            {
                "role": "assistant",
                "tool_calls": [{
                    "id": "call_abc",
                    "type": "function",
                    "function": { "name": "UserDetails", "arguments": r#"{"name": "Jason", "age": 200}"# }
                }]
            },
            {
                "role": "tool",
                "tool_call_id": "call_abc",
                "content": "Your answer has an error:\n\
                    - `age` is 200: greater than 120. A valid value: integer, from 0 to 120.\n\
                    \n\
                    Call `UserDetails` again with the whole corrected arguments: fix every error \
                    and keep the rest as it was."
            }
        ])
    );
    assert_eq!(bodies[1]["tool_choice"], bodies[0]["tool_choice"]);
}

#[tokio::test]
async fn exhausted_retries_report_every_attempt_and_the_summed_usage() {
    let server = replying(vec![
        content_reply(r#"{"name": "", "age": 20}"#, usage(10, 1)),
        content_reply(r#"{"name": "Jason"}"#, usage(20, 2)),
        content_reply(r#"{"name": "Jason", "age": 121}"#, usage(30, 3)),
    ])
    .await;
    let err = ask::<UserDetails>(&server, USER, 2).await.unwrap_err();
    let Error::RetriesExhausted {
        attempts,
        errors_per_attempt,
        last_reply,
        usage,
    } = &err
    else {
        panic!("expected RetriesExhausted, got {err:?}");
    };
    assert_eq!(*attempts, 3);
    assert_eq!(errors_per_attempt.len(), 3);
    assert!(matches!(errors_per_attempt[0], AttemptError::Validation(_)));
    assert!(matches!(errors_per_attempt[1], AttemptError::Parse(_)));
    assert!(errors_per_attempt[1]
        .to_string()
        .contains("missing field `age`"));
    assert_eq!(
        errors_per_attempt[2].errors().unwrap().to_string(),
        "age: greater than 120"
    );
    assert_eq!(
        last_reply.as_deref(),
        Some(r#"{"name": "Jason", "age": 121}"#)
    );
    assert_eq!(usage.prompt_tokens, 60);
    assert_eq!(usage.completion_tokens, 6);
    assert_eq!(usage.total_tokens, 66);
    assert_eq!(err.validation_errors().unwrap().len(), 1);
    assert!(err.to_string().contains("3 attempt"), "{err}");
}

#[tokio::test]
async fn default_is_one_attempt_without_re_ask() {
    let server = replying(vec![content_reply(
        r#"{"name": "", "age": 1}"#,
        usage(1, 1),
    )])
    .await;
    let err = client(&server)
        .extract::<UserDetails>()
        .user(USER)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::RetriesExhausted { attempts: 1, .. }),
        "{err:?}"
    );
    assert_eq!(count(&server).await, 1);
}

fn text_only(content: &str) -> Value {
    content_reply(content, usage(5, 5))
}

#[tokio::test]
async fn a_missing_tool_call_is_a_clear_error_and_can_be_re_asked() {
    let server = replying(vec![text_only("Jason is 20 years old.")]).await;
    let err = ask::<UserDetails>(&server, USER, 0)
        .mode(Mode::Tools)
        .await
        .unwrap_err();
    let Error::RetriesExhausted {
        errors_per_attempt, ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(
        errors_per_attempt[0],
        AttemptError::NoToolCall {
            tool: "UserDetails".into(),
            content: Some("Jason is 20 years old.".into())
        }
    );
    assert!(
        err.to_string()
            .contains("did not call the tool `UserDetails`"),
        "{err}"
    );

    let server = replying(vec![
        text_only("Jason is 20 years old."),
        tool_reply(
            "UserDetails",
            r#"{"name": "Jason", "age": 20}"#,
            usage(1, 1),
        ),
    ])
    .await;
    ask::<UserDetails>(&server, USER, 1)
        .mode(Mode::Tools)
        .await
        .unwrap();
    let bodies = bodies(&server).await;
    assert_eq!(
        bodies[1]["messages"],
        json!([
            { "role": "user", "content": USER },
            { "role": "assistant", "content": "Jason is 20 years old." },
            { "role": "user", "content": "You did not call `UserDetails`. Call it now, with the answer as its arguments." }
        ])
    );
}

#[tokio::test]
async fn null_content_is_re_askable() {
    let mut empty = content_reply("", usage(1, 0));
    empty["choices"][0]["message"]["content"] = Value::Null;
    let server = replying(vec![empty]).await;
    let err = ask::<UserDetails>(&server, USER, 0).await.unwrap_err();
    let Error::RetriesExhausted {
        errors_per_attempt,
        last_reply,
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(errors_per_attempt[0], AttemptError::EmptyContent);
    assert_eq!(last_reply, &None);
}

#[tokio::test]
async fn async_validators_are_re_asked() {
    let server = replying(vec![
        content_reply(r#"{"name": "Jason", "age": 20}"#, usage(1, 1)),
        content_reply(r#"{"name": "Jason Liu", "age": 20}"#, usage(1, 1)),
    ])
    .await;
    let user = ask::<UserDetails>(&server, USER, 1)
        .validator(|u: &UserDetails| {
            let name = u.name.clone();
            async move {
                if name.contains(' ') {
                    Ok(())
                } else {
                    Err(format!("`{name}` is not a full name"))
                }
            }
        })
        .validator(|_: &UserDetails| async { Ok::<(), &str>(()) })
        .await
        .unwrap();
    assert_eq!(user.name, "Jason Liu");
    let bodies = bodies(&server).await;
    assert_eq!(
        bodies[1]["messages"][2]["content"],
        "Your answer has an error:\n- The answer: `Jason` is not a full name.\n\nReply with the whole corrected JSON: fix every error and keep the rest as it was."
    );
}

#[tokio::test]
async fn a_validator_that_fails_ends_the_extraction_without_re_asking() {
    let server = replying(vec![content_reply(
        r#"{"name": "Jason", "age": 20}"#,
        usage(1, 1),
    )])
    .await;
    let err = ask::<UserDetails>(&server, USER, 3)
        .validator(|_: &UserDetails| async {
            Err::<(), _>(Error::Config("the lookup service is down".into()))
        })
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Config(ref m) if m.contains("lookup")),
        "{err:?}"
    );
    assert_eq!(count(&server).await, 1);
}

#[tokio::test]
async fn validation_context_is_passed_to_the_rules() {
    let server = replying(vec![
        content_reply(r#"{"value": 50}"#, usage(1, 1)),
        content_reply(r#"{"value": 5}"#, usage(1, 1)),
    ])
    .await;
    let v = ask::<Bounded>(&server, "a number", 1)
        .validation_context(Limits { max: 10 })
        .await
        .unwrap();
    assert_eq!(v.value, 5);
    let bodies = bodies(&server).await;
    assert!(bodies[1]["messages"][2]["content"]
        .as_str()
        .unwrap()
        .contains("- `value` is 50: must be at most 10."));
}

#[tokio::test]
async fn llm_validator_asks_a_model_and_re_asks_with_its_reason() {
    let server = MockServer::start().await;
    // Verdict requests carry the validator's prompt; they take priority.
    for verdict in [
        json!({ "is_valid": false, "reason": "the name must be in capitals" }),
        json!({ "is_valid": true, "reason": null }),
    ] {
        Mock::given(method("POST"))
            .and(body_string_contains("strict validator"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(content_reply(&verdict.to_string(), usage(3, 3))),
            )
            .up_to_n_times(1)
            .with_priority(1)
            .mount(&server)
            .await;
    }
    serve_in_order(
        &server,
        vec![
            content_reply(r#"{"name": "Jason", "age": 20}"#, usage(1, 1)),
            content_reply(r#"{"name": "JASON", "age": 20}"#, usage(1, 1)),
        ],
    )
    .await;
    let c = client(&server);
    let user = c
        .extract::<UserDetails>()
        .user(USER)
        .max_retries(1)
        .validator(llm_validator(&c, "names are written in capitals"))
        .await
        .unwrap();
    assert_eq!(user.name, "JASON");
    let bodies = bodies(&server).await;
    assert_eq!(bodies.len(), 4);
    let verdict_req = &bodies[1];
    assert_eq!(
        verdict_req["response_format"]["json_schema"]["name"],
        "Verdict"
    );
    let asked = verdict_req["messages"][1]["content"].as_str().unwrap();
    assert!(
        asked.starts_with("Rule: names are written in capitals\n\nValue:\n"),
        "{asked}"
    );
    assert!(asked.contains("\"Jason\""));
    assert_eq!(
        bodies[2]["messages"][2]["content"],
        "Your answer has an error:\n- The answer: the name must be in capitals.\n\nReply with the whole corrected JSON: fix every error and keep the rest as it was."
    );
}

/// A derived type: garde errors reach the model under the serde names it wrote.
#[derive(Debug, serde::Deserialize, instructor::Instructor, garde::Validate)]
#[serde(rename_all = "camelCase")]
struct Invoice {
    #[garde(length(min = 1), dive)]
    line_items: Vec<LineItem>,
}

#[derive(Debug, serde::Deserialize, instructor::Instructor, garde::Validate)]
#[serde(rename_all = "camelCase")]
struct LineItem {
    #[garde(range(min = 1))]
    unit_count: u32,
}

#[tokio::test]
async fn derived_types_are_re_asked_with_serde_paths() {
    let bad = r#"{"lineItems": [{"unitCount": 2}, {"unitCount": 0}]}"#;
    let server = replying(vec![
        content_reply(bad, usage(1, 1)),
        content_reply(r#"{"lineItems": [{"unitCount": 2}]}"#, usage(1, 1)),
    ])
    .await;
    let invoice = ask::<Invoice>(&server, "2 apples", 1).await.unwrap();
    assert_eq!(invoice.line_items.len(), 1);
    let bodies = bodies(&server).await;
    let feedback = bodies[1]["messages"][2]["content"].as_str().unwrap();
    assert!(
        feedback.starts_with("Your answer has an error:\n- `lineItems[1].unitCount` is "),
        "{feedback}"
    );
    assert_eq!(
        bodies[0]["response_format"]["json_schema"]["schema"],
        instructor::mode::request_schema(
            <Invoice as instructor::Instructor>::json_schema(),
            instructor::Mode::JsonSchema
        )
    );
}
