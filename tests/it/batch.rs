//! `client.extract_many`: results keep their input's index, one failure does not stop the
//! others, no more than `concurrency` requests reach the server at once, a 429 holds back
//! the whole batch, and progress is reported.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use instructor::batch::Progress;
use instructor::{Client, Error, StreamExt};
use serde_json::Value;
use wiremock::{MockServer, Request, Respond, ResponseTemplate};

use crate::support::servers::mock::{answer_always, bodies, json_ok};
use crate::support::*;

/// Answers each request from its last user message, `name=<name>;age=<age>`: a reply with
/// that name and age (age 200 fails validation), or a 400 for `fail`.
struct Echo {
    delay: Box<dyn Fn(&str) -> Duration + Send + Sync>,
    received: AtomicUsize,
    /// Extractions the client reported finished (its progress callback).
    completed: Arc<AtomicUsize>,
    /// The most requests seen by the server that the client had not finished yet.
    max_in_flight: AtomicUsize,
}

impl Echo {
    fn new(delay: impl Fn(&str) -> Duration + Send + Sync + 'static) -> Arc<Self> {
        Arc::new(Self {
            delay: Box::new(delay),
            received: AtomicUsize::new(0),
            completed: Arc::new(AtomicUsize::new(0)),
            max_in_flight: AtomicUsize::new(0),
        })
    }
}

fn last_user_text(req: &Request) -> String {
    let body: Value = req.body_json().unwrap();
    body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|m| m["role"] == "user")
        .and_then(|m| m["content"].as_str())
        .unwrap()
        .to_owned()
}

/// wiremock's responder for a shared `T`.
struct Shared<T>(Arc<T>);

impl Respond for Shared<Echo> {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let this = &self.0;
        // A request is only started after the one it replaces was reported finished, so
        // received - completed is the number in flight.
        let received = this.received.fetch_add(1, Ordering::SeqCst) + 1;
        let in_flight = received - this.completed.load(Ordering::SeqCst);
        this.max_in_flight.fetch_max(in_flight, Ordering::SeqCst);
        let text = last_user_text(req);
        let delay = (this.delay)(&text);
        if text == "fail" {
            return ResponseTemplate::new(400)
                .set_body_json(serde_json::json!({ "error": { "message": "bad input" } }))
                .set_delay(delay);
        }
        let (name, age) = text
            .split_once(';')
            .map(|(n, a)| {
                (
                    n.trim_start_matches("name=").to_owned(),
                    a.trim_start_matches("age=").parse::<u32>().unwrap(),
                )
            })
            .unwrap();
        let content = format!(r#"{{"name": "{name}", "age": {age}}}"#);
        json_ok(content_reply(&content, usage(1, 1))).set_delay(delay)
    }
}

impl Echo {
    /// A wiremock server answering with an [`Echo`] that waits `delay` per input, and a
    /// client for it.
    async fn serve(
        delay: impl Fn(&str) -> Duration + Send + Sync + 'static,
    ) -> (Arc<Self>, MockServer, Client) {
        let echo = Self::new(delay);
        let server = MockServer::start().await;
        answer_always(&server, Shared(echo.clone())).await;
        let client = client(&server);
        (echo, server, client)
    }
}

fn input(i: usize) -> String {
    format!("name=Person {i};age={}", i % 90)
}

#[tokio::test]
async fn results_keep_their_index_whatever_the_finishing_order() {
    // Earlier inputs answer later, so they finish out of order.
    let (_echo, _server, client) = Echo::serve(|text| {
        let i: u64 = text["name=Person ".len()..]
            .split(';')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        Duration::from_millis(5 * (12 - i % 12))
    })
    .await;
    let inputs: Vec<String> = (0..24).map(input).collect();

    let mut finished = Vec::new();
    let mut stream = Box::pin(
        client
            .extract_many::<UserDetails, _>(inputs.clone())
            .concurrency(8)
            .stream(),
    );
    while let Some((index, result)) = stream.next().await {
        let user = result.unwrap();
        assert_eq!(user.name, format!("Person {index}"));
        finished.push(index);
    }
    assert_eq!(finished.len(), 24);
    assert_ne!(
        finished,
        (0..24).collect::<Vec<_>>(),
        "the test means to finish out of order"
    );
    assert_eq!(finished.iter().collect::<HashSet<_>>().len(), 24);

    // Awaited: every result, in input order.
    let results = client
        .extract_many::<UserDetails, _>(inputs)
        .concurrency(8)
        .await;
    assert_eq!(results.len(), 24);
    for (i, (index, result)) in results.into_iter().enumerate() {
        assert_eq!(index, i);
        let user = result.unwrap();
        assert_eq!(user.name, format!("Person {i}"));
        assert_eq!(u32::from(user.age), (i % 90) as u32);
    }
}

#[tokio::test]
async fn a_failed_input_does_not_stop_the_others() {
    let (_echo, server, client) = Echo::serve(|_| Duration::ZERO).await;
    let inputs = vec![
        input(0),
        "fail".to_owned(),         // 400: an API error
        "name=Old;age=200".into(), // invalid: validation fails, no re-ask allowed
        input(3),
        "name=;age=5".into(), // invalid: empty name
        input(5),
    ];
    let last_progress = Arc::new(Mutex::new(None::<Progress>));
    let seen = last_progress.clone();
    let results = client
        .extract_many::<UserDetails, _>(inputs)
        .request(|req, text: String| req.system("Extract the person.").user(text))
        .concurrency(2)
        .on_progress(move |p| *seen.lock().unwrap() = Some(*p))
        .await;

    let ok: Vec<usize> = results
        .iter()
        .filter(|(_, r)| r.is_ok())
        .map(|(i, _)| *i)
        .collect();
    assert_eq!(ok, vec![0, 3, 5]);
    assert!(
        matches!(results[1].1, Err(Error::Api { status: 400, .. })),
        "{:?}",
        results[1].1
    );
    for i in [2, 4] {
        assert!(
            matches!(
                results[i].1,
                Err(Error::RetriesExhausted { attempts: 1, .. })
            ),
            "{i}: {:?}",
            results[i].1
        );
    }
    let p = last_progress.lock().unwrap().unwrap();
    assert_eq!(
        (p.completed, p.succeeded, p.failed, p.total),
        (6, 3, 3, Some(6))
    );
    // Every request carried the system message the builder closure added.
    for body in bodies(&server).await {
        assert_eq!(body["messages"][0]["content"], "Extract the person.");
    }
}

#[tokio::test]
async fn no_more_than_the_concurrency_limit_reaches_the_server() {
    let (echo, _server, client) = Echo::serve(|_| Duration::from_millis(150)).await;
    let completed = echo.completed.clone();
    let results = client
        .extract_many::<UserDetails, _>((0..12).map(input))
        .concurrency(3)
        .on_progress(move |p| completed.store(p.completed, Ordering::SeqCst))
        .await;
    assert!(results.iter().all(|(_, r)| r.is_ok()));
    assert_eq!(echo.received.load(Ordering::SeqCst), 12);
    // Never more than 3 at once, and the limit was used: each response takes 150 ms, so
    // the first three are all sent before any answer comes back.
    assert_eq!(echo.max_in_flight.load(Ordering::SeqCst), 3);
}

/// The first request is answered 429 with `Retry-After: 0.5`; every other one at once, but
/// the one sent beside it only after 150 ms, when the 429 has long been read.
struct RateLimited {
    received: Mutex<Vec<Instant>>,
}

impl Respond for Shared<RateLimited> {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let mut received = self.0.received.lock().unwrap();
        received.push(Instant::now());
        let n = received.len();
        if n == 1 {
            return ResponseTemplate::new(429)
                .insert_header("retry-after", "0.5")
                .set_body_json(serde_json::json!({ "error": { "message": "slow down" } }));
        }
        let text = last_user_text(req);
        let content = format!(r#"{{"name": "{}", "age": 1}}"#, text);
        let reply = json_ok(content_reply(&content, usage(1, 1)));
        if n == 2 {
            reply.set_delay(Duration::from_millis(150))
        } else {
            reply
        }
    }
}

#[tokio::test]
async fn a_429_holds_back_the_whole_batch() {
    let server = MockServer::start().await;
    let limited = Arc::new(RateLimited {
        received: Mutex::new(Vec::new()),
    });
    answer_always(&server, Shared(limited.clone())).await;
    let client = client(&server);
    let results = client
        .extract_many::<UserDetails, _>(["a", "b", "c", "d", "e", "f"])
        .concurrency(2)
        .await;
    // The 429'd input was retried (after the delay the server asked for) and succeeded.
    assert!(results.iter().all(|(_, r)| r.is_ok()), "{results:?}");
    let received = limited.received.lock().unwrap().clone();
    assert_eq!(received.len(), 7);
    // The two first requests went out together; every later one, the retry included, waited
    // for the gate the 429 closed, although the second answer freed a slot after 150 ms.
    let first = received[0];
    for (i, t) in received.iter().enumerate().skip(2) {
        let waited = t.duration_since(first);
        assert!(
            waited >= Duration::from_millis(450),
            "request {i} sent {waited:?} after the 429"
        );
    }
}

#[tokio::test]
async fn without_a_429_nothing_waits_and_plain_strings_are_user_messages() {
    let (_echo, server, client) = Echo::serve(|_| Duration::ZERO).await;
    let results = client
        .extract_many::<UserDetails, _>(vec!["name=Ann;age=30", "name=Bo;age=40"])
        .await;
    let names: Vec<String> = results.into_iter().map(|(_, r)| r.unwrap().name).collect();
    assert_eq!(names, ["Ann", "Bo"]);
    let bodies = bodies(&server).await;
    assert_eq!(bodies[0]["messages"].as_array().unwrap().len(), 1);
    assert_eq!(bodies[0]["messages"][0]["role"], "user");
    // An empty batch finishes at once.
    let none = client
        .extract_many::<UserDetails, _>(Vec::<String>::new())
        .await;
    assert!(none.is_empty());
}
