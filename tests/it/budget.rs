//! Token budgets and the bill, against wiremock on 127.0.0.1 answering with usage numbers:
//! a budget stops the re-asks (of a request, of a stream) and a bulk job; a budget not
//! reached changes nothing; a client's totals are the sum of its extractions' usage, even
//! under concurrency; costs come from the user's price table, and a model it does not have
//! costs nothing known.

use std::sync::atomic::{AtomicUsize, Ordering};

use instructor::bill::{Cost, Price, Prices};
use instructor::{Error, ErrorKind, Usage};
use serde_json::{json, Value};
use wiremock::{MockServer, Request, Respond, ResponseTemplate};

use crate::support::servers::mock::{answer_always, count, json_ok, serving, sse_ok};
use crate::support::sse::Sse;
use crate::support::*;

/// An answer that fails validation (`age` over 120).
const TOO_OLD: &str = r#"{"name": "Jason", "age": 200}"#;

/// A 200 whose answer is `content` and whose usage is `prompt` + `completion` tokens.
fn reply(content: &str, prompt: u64, completion: u64) -> ResponseTemplate {
    json_ok(content_reply(content, usage(prompt, completion)))
}

/// The usage of an error, which must be a spent budget: `(budget, spent, usage, last)`.
fn spent(err: Error) -> (u64, u64, Usage, Option<Box<Error>>) {
    match err {
        Error::BudgetExhausted {
            budget,
            spent,
            usage,
            last,
        } => (budget, spent, usage, last),
        other => panic!("expected BudgetExhausted, got {other:?}"),
    }
}

fn tokens(prompt: u64, completion: u64) -> (u64, u64, u64) {
    (prompt, completion, prompt + completion)
}

fn of(u: &Usage) -> (u64, u64, u64) {
    (u.prompt_tokens, u.completion_tokens, u.total_tokens)
}

#[tokio::test]
async fn a_budget_stops_the_reasks_with_the_usage_summed() {
    // 110 tokens, then 170 (280 < 300: re-asked), then 230 (510: spent). Ten re-asks are
    // allowed; the budget allows three requests.
    let server = serving(vec![
        reply(TOO_OLD, 100, 10),
        reply(TOO_OLD, 150, 20),
        reply(TOO_OLD, 200, 30),
    ])
    .await;
    let err = ask::<UserDetails>(&server, "Jason is 20", 10)
        .token_budget(300)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BudgetExhausted);
    assert_eq!(of(&err.usage().unwrap()), tokens(450, 60));
    let (budget, spent_tokens, usage, last) = spent(err);
    assert_eq!((budget, spent_tokens), (300, 510));
    assert_eq!(of(&usage), tokens(450, 60));
    match *last.expect("three attempts were made") {
        Error::RetriesExhausted {
            attempts,
            errors_per_attempt,
            last_reply,
            usage,
        } => {
            assert_eq!(attempts, 3);
            assert_eq!(errors_per_attempt.len(), 3);
            assert_eq!(last_reply.as_deref(), Some(TOO_OLD));
            assert_eq!(of(&usage), tokens(450, 60));
        }
        other => panic!("expected RetriesExhausted, got {other:?}"),
    }
    assert_eq!(count(&server).await, 3);
}

#[tokio::test]
async fn a_budget_not_reached_leaves_the_result_unchanged() {
    let script = || vec![reply(TOO_OLD, 100, 10), reply(JASON, 120, 12)];
    let (with, without) = (serving(script()).await, serving(script()).await);
    let (value, extraction) = ask::<UserDetails>(&with, "Jason is 20", 2)
        .token_budget(10_000)
        .send_with_extraction()
        .await
        .unwrap();
    let (value_without, extraction_without) = ask::<UserDetails>(&without, "Jason is 20", 2)
        .send_with_extraction()
        .await
        .unwrap();
    assert_eq!(value, jason());
    assert_eq!(value, value_without);
    assert_eq!(extraction.attempts.len(), 2);
    assert_eq!(extraction.attempts.len(), extraction_without.attempts.len());
    assert_eq!(extraction.usage, extraction_without.usage);
    assert_eq!(of(&extraction.usage), tokens(220, 22));
}

#[tokio::test]
async fn a_valid_answer_past_the_budget_is_returned() {
    // The second request takes the spending to 280, past 200: it was allowed to start
    // (110 < 200), and its answer is valid.
    let server = serving(vec![reply(TOO_OLD, 100, 10), reply(JASON, 150, 20)]).await;
    let (value, extraction) = ask::<UserDetails>(&server, "Jason is 20", 5)
        .token_budget(200)
        .send_with_extraction()
        .await
        .unwrap();
    assert_eq!(value, jason());
    assert_eq!(of(&extraction.usage), tokens(250, 30));
}

#[tokio::test]
async fn a_stream_stops_reasking_at_the_budget() {
    let invalid = |prompt, completion| {
        Sse::new()
            .deltas(TOO_OLD, 7)
            .finish("stop")
            .usage(prompt, completion)
            .done()
    };
    // 60 tokens, then 70 (130 >= 120: spent); the third stream is never asked for.
    let server = serving(vec![
        sse_ok(invalid(50, 10).body()),
        sse_ok(invalid(55, 15).body()),
    ])
    .await;
    let err = ask::<UserDetails>(&server, "Jason is 20", 5)
        .token_budget(120)
        .stream_partial()
        .into_final()
        .await
        .unwrap_err();
    let (budget, spent_tokens, usage, last) = spent(err);
    assert_eq!((budget, spent_tokens), (120, 130));
    assert_eq!(of(&usage), tokens(105, 25));
    assert_eq!(last.unwrap().kind(), ErrorKind::RetriesExhausted);
    assert_eq!(count(&server).await, 2);
}

#[tokio::test]
async fn a_job_budget_ends_the_inputs_not_done_with_the_budget_error() {
    // Each answer is 50 tokens. One at a time: inputs 0, 1 and 2 start (0, 50 and 100 spent,
    // all under 120); 150 are spent after input 2, so 3 and 4 never send a request.
    let server = MockServer::start().await;
    answer_always(&server, reply(JASON, 40, 10)).await;
    let client = client(&server);
    let results = client
        .extract_many::<UserDetails, _>(vec!["a", "b", "c", "d", "e"])
        .concurrency(1)
        .token_budget(120)
        .await;
    assert_eq!(results.len(), 5);
    for (index, result) in &results[..3] {
        assert_eq!(result.as_ref().unwrap(), &jason(), "input {index}");
    }
    for (index, result) in &results[3..] {
        let err = result.clone().unwrap_err();
        let (budget, spent_tokens, usage, last) = spent(err);
        assert_eq!((budget, spent_tokens), (120, 150), "input {index}");
        assert_eq!(usage, Usage::default(), "input {index}: it sent nothing");
        assert!(last.is_none(), "input {index}: no attempt, no last error");
    }
    assert_eq!(count(&server).await, 3);
    assert_eq!(of(&client.usage().usage()), tokens(120, 30));
}

#[tokio::test]
async fn a_job_budget_also_stops_reasks_under_way() {
    // One input, re-asked: its second answer takes the job past its budget, so the third
    // request is not sent, whatever `max_retries` allows.
    let server = serving(vec![reply(TOO_OLD, 40, 10), reply(TOO_OLD, 40, 10)]).await;
    let results = client(&server)
        .extract_many::<UserDetails, _>(vec!["a"])
        .request(|req, text| req.user(text).max_retries(5))
        .token_budget(100)
        .await;
    let err = results[0].1.clone().unwrap_err();
    let (budget, spent_tokens, usage, last) = spent(err);
    assert_eq!((budget, spent_tokens), (100, 100));
    assert_eq!(of(&usage), tokens(80, 20));
    assert_eq!(last.unwrap().kind(), ErrorKind::RetriesExhausted);
}

/// Answers input `n` (the user message) with `n` prompt tokens plus 100 and `n + 1`
/// completion tokens; every third input's first answer fails validation, and its re-ask
/// (which carries the model's answer back) costs `n` and 1.
struct ByInput {
    received: AtomicUsize,
}

impl Respond for ByInput {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        self.received.fetch_add(1, Ordering::SeqCst);
        let body: Value = req.body_json().unwrap();
        let messages = body["messages"].as_array().unwrap();
        let n: u64 = messages[0]["content"].as_str().unwrap().parse().unwrap();
        let reasked = messages.iter().any(|m| m["role"] == "assistant");
        if n.is_multiple_of(3) && !reasked {
            reply(TOO_OLD, n, 1)
        } else {
            reply(JASON, 100 + n, n + 1)
        }
    }
}

#[tokio::test]
async fn client_totals_after_32_concurrent_extractions_equal_the_sum_of_their_usage() {
    let server = MockServer::start().await;
    answer_always(
        &server,
        ByInput {
            received: AtomicUsize::new(0),
        },
    )
    .await;
    let client = client(&server);
    let tasks: Vec<_> = (0..32u64)
        .map(|n| {
            // Clones share the bill.
            let client = client.clone();
            tokio::spawn(async move {
                client
                    .extract::<UserDetails>()
                    .user(n.to_string())
                    .max_retries(1)
                    .send_with_extraction()
                    .await
                    .unwrap()
                    .1
            })
        })
        .collect();
    let mut sum = Usage::default();
    let mut attempts = 0;
    for task in tasks {
        let extraction = task.await.unwrap();
        sum += extraction.usage;
        attempts += extraction.attempts.len() as u64;
    }
    // 32 first answers, and 11 re-asks (n = 0, 3, ..., 30).
    assert_eq!(attempts, 43);
    let report = client.usage();
    assert_eq!(report.requests(), 43);
    assert_eq!(report.usage(), sum);
    let line = &report.models["test-model"];
    assert_eq!(line.requests, 43);
    // By hand: 100 + n and n + 1 for every n, plus n and 1 for each of the 11 re-asked.
    let first: u64 = (0..32).map(|n| 100 + n).sum::<u64>() + (0..32).step_by(3).sum::<u64>();
    let second: u64 = (0..32).map(|n| n + 1).sum::<u64>() + 11;
    assert_eq!(of(&line.usage), tokens(first, second));
    assert_eq!(report.models.len(), 1);
}

/// The request of the tests of costs, on `client`.
fn jason_of(client: &instructor::Client) -> instructor::Extract<UserDetails> {
    client.extract::<UserDetails>().user("Jason is 20")
}

/// A reply whose usage has `cached` of its `prompt` tokens read from the prompt cache.
fn cached_reply(content: &str, prompt: u64, completion: u64, cached: u64) -> ResponseTemplate {
    json_ok(content_reply(
        content,
        json!({
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
            "prompt_tokens_details": { "cached_tokens": cached }
        }),
    ))
}

#[tokio::test]
async fn cost_from_a_user_price_table_equals_hand_computed_figures() {
    let server = serving(vec![
        cached_reply(TOO_OLD, 1000, 200, 400),
        cached_reply(JASON, 2000, 100, 1000),
    ])
    .await;
    let prices = Prices::new().model(
        "test-model",
        Price::per_million_tokens(0.15, 0.60).cached_input(0.075),
    );
    let client = builder(&server).prices(prices).build().unwrap();
    let (_, extraction) = jason_of(&client)
        .max_retries(1)
        .send_with_extraction()
        .await
        .unwrap();
    // 3000 prompt tokens, 1400 of them cached, and 300 answer tokens:
    // 1600 x 0.15 / 1e6, 1400 x 0.075 / 1e6, 300 x 0.60 / 1e6.
    let cost = extraction.cost.expect("the model has a price");
    assert_eq!(cost.input, 0.000_24);
    assert_eq!(cost.cached_input, 0.000_105);
    assert_eq!(cost.cache_write, 0.0);
    assert_eq!(cost.output, 0.000_18);
    assert_eq!(cost.total(), 0.000_24 + 0.000_105 + 0.0 + 0.000_18);
    // The client's bill says the same.
    let report = client.usage();
    assert_eq!(report.models["test-model"].cost, Some(cost));
    assert_eq!(report.cost(), Some(cost));
    assert_eq!(report.usage().cached_tokens, 1400);
}

#[tokio::test]
async fn an_unknown_model_has_no_cost() {
    let server = serving(vec![reply(JASON, 100, 10)]).await;
    let prices = Prices::new().model("gpt-4o-mini", Price::per_million_tokens(0.15, 0.60));
    let client = builder(&server).prices(prices).build().unwrap();
    let (_, extraction) = jason_of(&client).send_with_extraction().await.unwrap();
    assert_eq!(extraction.cost, None);
    let report = client.usage();
    let line = &report.models["test-model"];
    assert_eq!(line.cost, None);
    assert_eq!(report.cost(), None::<Cost>);
    // The tokens are on the bill all the same.
    assert_eq!((line.requests, of(&line.usage)), (1, tokens(100, 10)));
}

#[tokio::test]
async fn a_streamed_extraction_says_its_model_and_cost() {
    let server = serving(vec![sse_ok(
        Sse::new()
            .deltas(JASON, 5)
            .finish("stop")
            .usage(2000, 500)
            .done()
            .body(),
    )])
    .await;
    let prices = Prices::new().model("test-model", Price::per_million_tokens(0.5, 2.0));
    let client = builder(&server).prices(prices).build().unwrap();
    let (_, extraction) = jason_of(&client)
        .stream_partial()
        .into_final_with_extraction()
        .await
        .unwrap();
    assert_eq!(extraction.model, "test-model");
    // 2000 x 0.5 / 1e6 and 500 x 2.0 / 1e6.
    let cost = extraction.cost.unwrap();
    assert_eq!((cost.input, cost.output), (0.001, 0.001));
    assert_eq!(client.usage().models["test-model"].requests, 1);
}
