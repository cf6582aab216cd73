//! A model that repeats list items until the token limit: caught in a stream as it happens,
//! or in a reply cut off at the limit, and re-asked with what went wrong.

use instructor::{AttemptError, Error, Instructor, StreamExt};
use serde::Deserialize;

use crate::support::servers::mock::{bodies, count, json_ok, serving, sse_ok};
use crate::support::sse::Sse;
use crate::support::*;

#[derive(Debug, PartialEq, Deserialize, Instructor)]
struct People {
    people: Vec<UserDetails>,
}

const LOOP: &str = r#"{"people": [{"name": "Jason", "age": 20}, {"name": "Ada", "age": 36}, {"name": "Jason", "age": 20}, {"name": "Ada", "age": 36}, {"name": "Jason", "age": 20}, {"name": "Ada", "age": 36}, {"name": "Jason", "age": 20}, {"name": "Ad"#;
const GOOD: &str = r#"{"people": [{"name": "Jason", "age": 20}, {"name": "Ada", "age": 36}]}"#;

fn repetition(e: &AttemptError) -> bool {
    matches!(e, AttemptError::Repetition { path, period: 2 } if path == "people")
}

#[tokio::test]
async fn a_reply_cut_off_while_repeating_a_list_is_re_asked_not_truncated() {
    let server = serving(vec![
        json_ok(completion(
            serde_json::json!(LOOP),
            "length",
            usage(10, 256),
        )),
        json_ok(content_reply(GOOD, usage(12, 20))),
    ])
    .await;
    let (people, extraction) = ask::<People>(&server, "Jason is 20, Ada is 36.", 1)
        .send_with_extraction()
        .await
        .unwrap();
    assert_eq!(people.people.len(), 2);
    assert!(repetition(extraction.attempts[0].error.as_ref().unwrap()));
    assert_eq!(extraction.usage.completion_tokens, 276);
    let messages = &bodies(&server).await[1]["messages"];
    // The runaway text is not echoed; the model is told what it did.
    assert_eq!(messages.as_array().unwrap().len(), 2, "{messages}");
    let feedback = messages[1]["content"].as_str().unwrap();
    assert!(
        feedback.starts_with("You wrote the same items of the list `people` over and over."),
        "{feedback}"
    );
}

#[tokio::test]
async fn without_a_re_ask_left_a_runaway_list_ends_with_the_repetition() {
    let server = serving(vec![json_ok(completion(
        serde_json::json!(LOOP),
        "length",
        usage(10, 256),
    ))])
    .await;
    let err = ask::<People>(&server, "Jason is 20, Ada is 36.", 0)
        .await
        .unwrap_err();
    match &err {
        Error::RetriesExhausted {
            errors_per_attempt,
            usage,
            ..
        } => {
            assert!(repetition(&errors_per_attempt[0]), "{err:?}");
            assert_eq!(usage.completion_tokens, 256);
        }
        other => panic!("expected RetriesExhausted, got {other:?}"),
    }
    // A cut reply that repeats nothing is still Truncated.
    let server = serving(vec![json_ok(completion(
        serde_json::json!(r#"{"people": [{"name": "Jason", "age": 20}, {"na"#),
        "length",
        usage(10, 256),
    ))])
    .await;
    let err = ask::<People>(&server, "Jason is 20.", 0).await.unwrap_err();
    assert_eq!(kind(&err), "Truncated");
}

#[tokio::test]
async fn a_stream_stops_at_the_repetition_and_re_asks() {
    // The first stream would go on repeating; the client stops reading it.
    let looping = Sse::new().deltas(LOOP, 9);
    let good = Sse::new().deltas(GOOD, 9).finish("stop").done();
    let server = serving(vec![sse_ok(looping.body()), sse_ok(good.body())]).await;
    let mut stream = ask::<People>(&server, "Jason is 20, Ada is 36.", 1).stream_partial();
    while let Some(p) = stream.next().await {
        p.unwrap();
    }
    let (people, extraction) = stream.into_final_with_extraction().await.unwrap();
    assert_eq!(people.people.len(), 2);
    assert!(repetition(extraction.attempts[0].error.as_ref().unwrap()));
    assert_eq!(count(&server).await, 2);
}

#[tokio::test]
async fn stream_iter_yields_the_items_then_ends_with_the_repetition() {
    let items = LOOP.replace("\"people\"", "\"items\"");
    let looping = Sse::new().deltas(&items, 9);
    let server = serving(vec![sse_ok(looping.body())]).await;
    let mut users = ask::<UserDetails>(&server, "list them", 0).stream_iter();
    let mut got = Vec::new();
    while let Some(item) = users.next().await {
        got.push(item);
    }
    let last = got.pop().unwrap().unwrap_err();
    assert!(
        matches!(&last, Error::RetriesExhausted { errors_per_attempt, .. }
            if matches!(&errors_per_attempt[0], AttemptError::Repetition { path, period: 2 } if path == "items")),
        "{last:?}"
    );
    assert!(got.iter().all(Result::is_ok), "{got:?}");
    // The sixth item completes the repetition; a seventh is yielded only if it arrived in
    // the same read.
    assert!((6..=7).contains(&got.len()), "{got:?}");
}
