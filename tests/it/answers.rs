//! Answers of any shape: a type whose root is not an object (a unit enum, a list, a string,
//! an `Option`, a map in the strict dialect) is asked for as `{"value": ..}` in every mode
//! and comes back without the wrapper, streamed too; errors carry the caller's paths and
//! re-asks the model's. `Maybe<T>`: the value, or why there is none.

use std::collections::HashMap;

use instructor::{AttemptError, Error, Extractable, Instructor, Maybe, Mode, StreamExt};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::support::servers::lockstep::Lockstep;
use crate::support::servers::mock::{bodies, json_ok, serving, sse_ok};
use crate::support::sse::Sse;
use crate::support::*;

/// How a review feels.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Instructor)]
#[serde(rename_all = "lowercase")]
enum Sentiment {
    Positive,
    Negative,
    Neutral,
}

const REVIEW: &str = "Classify: \"The worst meal I ever had.\"";

/// `Sentiment`'s own schema, as the derive writes it.
fn sentiment_schema() -> Value {
    let schema = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "string",
        "enum": ["positive", "negative", "neutral"],
        "title": "Sentiment",
        "description": "How a review feels."
    });
    assert_eq!(*Sentiment::json_schema(), schema);
    schema
}

/// The wrapper around `Sentiment`'s schema, as every mode sends it (lean: no `$schema`, no
/// titles).
fn wrapped_sentiment() -> Value {
    json!({
        "type": "object",
        "properties": { "value": {
            "type": "string",
            "enum": ["positive", "negative", "neutral"],
            "description": "How a review feels."
        } },
        "required": ["value"],
        "additionalProperties": false
    })
}

/// A reply carrying `answer` the way `mode` reads it.
fn reply_in(mode: Mode, tool: &str, answer: &str) -> Value {
    match mode {
        Mode::Tools => tool_reply(tool, answer, usage(1, 1)),
        Mode::MdJson => content_reply(&format!("Here:\n```json\n{answer}\n```"), usage(1, 1)),
        _ => content_reply(answer, usage(1, 1)),
    }
}

/// A `T` extracted in `mode` (with `user` as the message) from a server answering `reply`
/// once, and the body it was sent.
async fn extract_once<T: Extractable>(mode: Mode, user: &str, reply: Value) -> (T, Value) {
    let server = serving(vec![json_ok(reply)]).await;
    let value = ask::<T>(&server, user, 0)
        .mode(mode)
        .await
        .unwrap_or_else(|e| panic!("{mode}: {e:?}"));
    (value, bodies(&server).await.remove(0))
}

#[tokio::test]
async fn a_unit_enum_is_wrapped_in_every_mode_and_comes_back_bare() {
    sentiment_schema();
    let wrapped = wrapped_sentiment();
    let strict = wrapped.clone();
    for mode in Mode::ALL {
        let reply = reply_in(mode, "Sentiment", r#"{"value": "negative"}"#);
        let (got, body) = extract_once::<Sentiment>(mode, REVIEW, reply).await;
        assert_eq!(got, Sentiment::Negative, "{mode}");
        let messages = json!([{ "role": "user", "content": REVIEW }]);
        match mode {
            Mode::Tools => assert_eq!(
                body,
                json!({
                    "model": "test-model",
                    "messages": messages,
                    "max_tokens": instructor::client::DEFAULT_MAX_TOKENS,
                    "tools": [{ "type": "function", "function": {
                        "name": "Sentiment",
                        "description": "How a review feels.",
                        "parameters": wrapped
                    } }],
                    "tool_choice": { "type": "function", "function": { "name": "Sentiment" } }
                })
            ),
            Mode::JsonSchemaStrict => assert_eq!(
                body,
                json!({
                    "model": "test-model",
                    "messages": messages,
                    "max_tokens": instructor::client::DEFAULT_MAX_TOKENS,
                    "response_format": { "type": "json_schema", "json_schema": {
                        "name": "Sentiment", "schema": strict, "strict": true
                    } }
                })
            ),
            Mode::JsonSchema => {
                assert_eq!(body["response_format"]["json_schema"]["schema"], wrapped)
            }
            Mode::JsonObjectSchema => assert_eq!(
                body["response_format"],
                json!({ "type": "json_object", "schema": wrapped })
            ),
            _ => {
                let prompt = body["messages"][0]["content"].as_str().unwrap();
                let schema = prompt
                    .split_once("JSON Schema:\n\n")
                    .and_then(|(_, rest)| rest.split_once("\n\n"))
                    .map(|(schema, _)| serde_json::from_str::<Value>(schema).unwrap());
                assert_eq!(schema.as_ref(), Some(&wrapped), "{mode}: {prompt}");
                assert_eq!(body["messages"][1]["content"], REVIEW);
            }
        }
    }
}

#[tokio::test]
async fn lists_strings_options_and_strict_maps_come_back_unwrapped() {
    let two = r#"{"value": [{"name": "Jason", "age": 20}, {"name": "Maria", "age": 31}]}"#;
    let reply = tool_reply("Array_of_UserDetails", two, usage(1, 1));
    let (users, body) = extract_once::<Vec<UserDetails>>(Mode::Tools, "Two", reply).await;
    assert_eq!(users.len(), 2);
    assert_eq!(users[0], jason());
    let parameters = &body["tools"][0]["function"]["parameters"];
    assert_eq!(parameters["required"], json!(["value"]));
    // The element type, used once, is written in place.
    assert_eq!(parameters["properties"]["value"]["type"], json!("array"));
    assert_eq!(
        parameters["properties"]["value"]["items"]["properties"]["age"]["maximum"],
        120
    );

    let reply = content_reply(r#"{"value": "Jason"}"#, usage(1, 1));
    let (name, body) = extract_once::<String>(Mode::JsonSchemaStrict, "Who?", reply).await;
    assert_eq!(name, "Jason");
    assert_eq!(
        body["response_format"]["json_schema"]["schema"],
        json!({
            "type": "object",
            "properties": { "value": { "type": "string" } },
            "required": ["value"],
            "additionalProperties": false
        })
    );

    for (answer, want) in [
        (r#"{"value": null}"#, None),
        (r#"{"value": {"name": "Jason", "age": 20}}"#, Some(jason())),
    ] {
        let reply = tool_reply("Nullable_UserDetails", answer, usage(1, 1));
        let (user, _) = extract_once::<Option<UserDetails>>(Mode::Tools, "Anyone?", reply).await;
        assert_eq!(user, want, "{answer}");
    }

    // A map is an object, but the strict dialect writes it as pairs: wrapped there.
    let pairs = r#"{"value": [{"key": "apples", "value": 3}, {"key": "pears", "value": 2}]}"#;
    let reply = content_reply(pairs, usage(1, 1));
    let (counts, body) =
        extract_once::<HashMap<String, u32>>(Mode::JsonSchemaStrict, "Fruit", reply).await;
    assert_eq!(
        counts,
        HashMap::from([("apples".into(), 3), ("pears".into(), 2)])
    );
    let schema = &body["response_format"]["json_schema"]["schema"];
    assert_eq!(schema["properties"]["value"]["type"], "array");
}

/// What [`reasked_in_tools`] saw.
struct Reasked<T> {
    value: T,
    /// The paths of the first answer's errors.
    paths: Vec<String>,
    /// The text of the re-ask (the `tool` message).
    reask: String,
    /// The tool's parameters as sent.
    parameters: Value,
}

/// A `T` from a server in tools mode that answers `bad` (a rule broken), then `good` after
/// the re-ask.
async fn reasked_in_tools<T: Extractable>(tool: &str, bad: &str, good: &str) -> Reasked<T> {
    let server = serving(vec![
        json_ok(tool_reply(tool, bad, usage(1, 1))),
        json_ok(tool_reply(tool, good, usage(1, 1))),
    ])
    .await;
    let (value, extraction) = ask::<T>(&server, "Jason is 20, Bob 70", 1)
        .mode(Mode::Tools)
        .send_with_extraction()
        .await
        .unwrap();
    let first = extraction.attempts[0].error.as_ref().unwrap();
    assert!(matches!(first, AttemptError::Validation(_)), "{first:?}");
    let paths = first
        .errors()
        .unwrap()
        .iter()
        .map(|e| e.path().to_owned())
        .collect();
    let bodies = bodies(&server).await;
    assert_eq!(bodies[0]["tools"][0]["function"]["name"], tool);
    let reask = &bodies[1]["messages"][2];
    assert_eq!(reask["role"], "tool");
    Reasked {
        value,
        paths,
        reask: reask["content"].as_str().unwrap().to_owned(),
        parameters: bodies[0]["tools"][0]["function"]["parameters"].clone(),
    }
}

#[tokio::test]
async fn errors_carry_the_callers_paths_and_re_asks_the_models() {
    let bad = r#"{"value": [{"name": "Jason", "age": 20}, {"name": "Bob", "age": 200}]}"#;
    let good = r#"{"value": [{"name": "Jason", "age": 20}, {"name": "Bob", "age": 70}]}"#;
    let r = reasked_in_tools::<Vec<UserDetails>>("Array_of_UserDetails", bad, good).await;
    assert_eq!(r.value[1].age, 70);
    assert_eq!(r.parameters["required"], json!(["value"]));
    assert_eq!(r.paths, ["[1].age"], "the caller's path");
    assert!(
        r.reask.contains("- `value[1].age` is 200: ") && r.reask.contains("A valid value: integer"),
        "the model's path, its value and what is valid: {}",
        r.reask
    );

    // A value that is not one of the enum's, and an answer without the wrapper.
    let server = serving(vec![
        json_ok(content_reply(r#"{"value": "happy"}"#, usage(1, 1))),
        json_ok(content_reply(r#"{"sentiment": "negative"}"#, usage(1, 1))),
    ])
    .await;
    let err = ask::<Sentiment>(&server, REVIEW, 1).await.unwrap_err();
    let Error::RetriesExhausted {
        errors_per_attempt, ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(errors_per_attempt.len(), 2);
    let first = &errors_per_attempt[0]
        .errors()
        .unwrap()
        .iter()
        .next()
        .unwrap();
    assert_eq!(first.path(), "");
    assert!(
        first.message().contains("unknown variant `happy`"),
        "{first}"
    );
    let second = &errors_per_attempt[1]
        .errors()
        .unwrap()
        .iter()
        .next()
        .unwrap();
    assert!(
        second.message().contains("not in a field `value`"),
        "{second}"
    );
    let reask = bodies(&server).await[1]["messages"][2]["content"].clone();
    assert!(
        reask
            .as_str()
            .unwrap()
            .contains("- The answer: unknown variant `happy`"),
        "{reask}"
    );
}

#[tokio::test]
async fn an_answer_without_the_wrapper_is_taken_when_it_is_the_type() {
    let server = serving(vec![json_ok(content_reply(
        "Sure: [\"red\", \"green\"]",
        usage(1, 1),
    ))])
    .await;
    let colours = ask::<Vec<String>>(&server, "red sky, green grass", 0)
        .mode(Mode::MdJson)
        .await
        .unwrap();
    assert_eq!(colours, ["red", "green"]);
}

#[tokio::test]
async fn a_wrapped_stream_shows_partials_from_inside_the_wrapper() {
    let server = Lockstep::start().await;
    let mut stream = ask::<Vec<String>>(&server, "red sky, green grass", 0)
        .mode(Mode::Tools)
        .stream_partial();
    let first = Sse::new().tool_args("Array_of_string", r#"{"value": ["red", "gr"#, true);
    assert!(server.send(first));
    assert_eq!(stream.next().await.unwrap().unwrap(), ["red", "gr"]);
    let rest = Sse::new()
        .tool_args("Array_of_string", r#"een"]}"#, false)
        .finish("tool_calls")
        .done();
    assert!(server.send(rest));
    server.finish();
    assert_eq!(stream.next().await.unwrap().unwrap(), ["red", "green"]);
    assert!(stream.next().await.is_none());
    assert_eq!(stream.into_final().await.unwrap(), ["red", "green"]);
}

/// The sentiments `stream_iter` yields in `mode` from a server streaming `body`, and the body
/// it was sent.
async fn sentiments_streamed(mode: Mode, body: Sse) -> (Vec<Sentiment>, Value) {
    let server = serving(vec![sse_ok(body.body())]).await;
    let items = ask::<Sentiment>(&server, "two reviews", 0)
        .mode(mode)
        .stream_iter()
        .map(Result::unwrap)
        .collect()
        .await;
    (items, bodies(&server).await.remove(0))
}

#[tokio::test]
async fn stream_iter_reads_bare_elements_of_a_wrapped_type() {
    let body = Sse::new()
        .tool_args("SentimentList", r#"{"items": ["positive", "#, true)
        .tool_args("SentimentList", r#""negative"]}"#, false)
        .finish("tool_calls")
        .done();
    let (items, sent) = sentiments_streamed(Mode::Tools, body).await;
    assert_eq!(items, [Sentiment::Positive, Sentiment::Negative]);
    let parameters = &sent["tools"][0]["function"]["parameters"];
    assert_eq!(
        parameters["properties"]["items"]["items"],
        json!({
            "type": "string",
            "enum": ["positive", "negative", "neutral"],
            "description": "How a review feels."
        }),
        "the elements are bare in the list: {parameters}"
    );
    assert!(parameters.get("$defs").is_none(), "{parameters}");

    let body = Sse::new()
        .deltas(r#"{"items": ["positive", "negative"]}"#, 7)
        .finish("stop")
        .done();
    let (items, _) = sentiments_streamed(Mode::JsonSchemaStrict, body).await;
    assert_eq!(items, [Sentiment::Positive, Sentiment::Negative]);
}

/// `Maybe<UserDetails>`'s schema: the three fields, the user's own under `$defs`.
fn maybe_user_schema() -> Value {
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "title": "MaybeUserDetails",
        "description": "The value if the text holds one; otherwise `result` is null, `error` is true and `message` says why.",
        "properties": {
            "result": { "anyOf": [{ "$ref": "#/$defs/UserDetails" }, { "type": "null" }],
                "description": "The value found in the text, or null when the text does not hold one." },
            "error": { "type": "boolean",
                "description": "true when the text does not hold the value, else false." },
            "message": { "type": ["string", "null"],
                "description": "When there is no value: why, in a few words. Else null." }
        },
        "required": ["result", "error", "message"],
        "$defs": { "UserDetails": UserDetails::json_schema().as_object().unwrap().iter()
            .filter(|(k, _)| *k != "$schema")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect::<serde_json::Map<String, Value>>() }
    })
}

#[tokio::test]
async fn maybe_says_whether_the_text_holds_the_value() {
    let none = r#"{"result": null, "error": true, "message": "The text names no person."}"#;
    let server = serving(vec![json_ok(content_reply(none, usage(1, 1)))]).await;
    let found = ask::<Maybe<UserDetails>>(
        &server,
        "Is there a person in this text? \"The meeting moved to Tuesday.\"",
        0,
    )
    .await
    .unwrap();
    assert!(!found.is_found() && found.error);
    assert_eq!(
        found.into_result(),
        Err("The text names no person.".to_owned())
    );
    let body = &bodies(&server).await[0];
    assert_eq!(
        body["response_format"],
        json!({ "type": "json_schema", "json_schema": {
            "name": "MaybeUserDetails",
            "schema": instructor::mode::request_schema(&maybe_user_schema(), Mode::JsonSchema)
        } })
    );

    // An object already: not wrapped in Tools mode; the value's rules run on `result`.
    let bad = r#"{"result": {"name": "Jason", "age": 200}, "error": false, "message": null}"#;
    let good = r#"{"result": {"name": "Jason", "age": 20}, "error": false, "message": null}"#;
    let r = reasked_in_tools::<Maybe<UserDetails>>("MaybeUserDetails", bad, good).await;
    assert_eq!(r.value.into_option(), Some(jason()));
    assert_eq!(
        r.parameters,
        instructor::mode::request_schema(&maybe_user_schema(), Mode::Tools)
    );
    assert_eq!(r.paths, ["result.age"]);
    assert!(r.reask.contains("- `result.age` is 200: "), "{}", r.reask);
}

#[tokio::test]
async fn maybe_streams_its_fields() {
    let answer = r#"{"result": null, "error": true, "message": "No person."}"#;
    let server = serving(vec![sse_ok(
        Sse::new().deltas(answer, 4).finish("stop").done().body(),
    )])
    .await;
    let mut stream = ask::<Maybe<UserDetails>>(&server, "Anyone?", 0).stream_partial();
    let mut last = None;
    while let Some(p) = stream.next().await {
        last = Some(p.unwrap());
    }
    let last = last.expect("a partial value");
    assert_eq!(last.error, Some(true));
    assert_eq!(last.message.as_deref(), Some("No person."));
    assert!(last.result.is_none());
    assert!(!stream.into_final().await.unwrap().is_found());
}

#[tokio::test]
async fn maybe_runs_the_values_rules_with_the_requests_context() {
    let over = r#"{"result": {"value": 11}, "error": false, "message": null}"#;
    let server = serving(vec![json_ok(content_reply(over, usage(1, 1)))]).await;
    let err = ask::<Maybe<Bounded>>(&server, "A value at most 10", 0)
        .validation_context(Limits { max: 10 })
        .await
        .unwrap_err();
    let errors = err.validation_errors().expect("a validation error");
    let e = errors.iter().next().unwrap();
    assert_eq!(
        (e.path(), e.message()),
        ("result.value", "must be at most 10")
    );

    let none = r#"{"result": null, "error": true, "message": "no value"}"#;
    let server = serving(vec![json_ok(content_reply(none, usage(1, 1)))]).await;
    let found = ask::<Maybe<Bounded>>(&server, "A value at most 10", 0)
        .validation_context(Limits { max: 10 })
        .await
        .unwrap();
    assert!(!found.is_found(), "no rule runs on an absent value");
}
