//! Hooks per request (`Extract::on_request`, `on_response`, `on_error`), per stream and
//! per bulk job, against wiremock on 127.0.0.1: they see every attempt (1, 2, ...) and
//! every transport try (0, then 1 after a 503), after the client's hooks, which still fire.

use std::sync::{Arc, Mutex};

use instructor::hooks::{RequestEvent, ResponseEvent};
use instructor::Extract;
use wiremock::ResponseTemplate;

use crate::support::servers::mock::{json_ok, serving, sse_ok, MockServer};
use crate::support::sse::Sse;
use crate::support::*;

const TOO_OLD: &str = r#"{"name": "Jason", "age": 200}"#;

type Log = Arc<Mutex<Vec<String>>>;

fn req_line(who: &str, e: &RequestEvent<'_>) -> String {
    format!("{who} req {} {}", e.attempt, e.transport_try)
}

fn res_line(who: &str, e: &ResponseEvent<'_>) -> String {
    format!("{who} res {} {} {}", e.attempt, e.transport_try, e.status)
}

/// The tests' client at `server`, with client hooks writing to the log it returns as
/// `client ...`.
fn logging_client(server: &MockServer) -> (instructor::Client, Log) {
    let log = Log::default();
    let (a, b, c) = (log.clone(), log.clone(), log.clone());
    let client = builder(server)
        .on_request(move |e| a.lock().unwrap().push(req_line("client", e)))
        .on_response(move |e| b.lock().unwrap().push(res_line("client", e)))
        .on_error(move |e| c.lock().unwrap().push(format!("client error {}", e.kind())))
        .build()
        .unwrap();
    (client, log)
}

/// `req` with one re-ask allowed, and request hooks writing to `log` as `request ...`.
fn logged(req: Extract<UserDetails>, log: &Log) -> Extract<UserDetails> {
    let (a, b) = (log.clone(), log.clone());
    req.max_retries(1)
        .on_request(move |e| a.lock().unwrap().push(req_line("request", e)))
        .on_response(move |e| b.lock().unwrap().push(res_line("request", e)))
}

/// A 503, then an answer that fails validation, then a valid one (as event streams when
/// `streamed`).
fn unavailable_invalid_valid(streamed: bool) -> Vec<ResponseTemplate> {
    let answer = |text: &str| {
        if streamed {
            sse_ok(Sse::new().deltas(text, 9).finish("stop").done().body())
        } else {
            json_ok(content_reply(text, usage(1, 1)))
        }
    };
    vec![ResponseTemplate::new(503), answer(TOO_OLD), answer(JASON)]
}

/// What `who`'s hooks (after the client's) see of [`unavailable_invalid_valid`].
fn seen_by(hooks: &[&str]) -> Vec<String> {
    let mut lines = Vec::new();
    for event in [
        "req 1 0",
        "res 1 0 503",
        "req 1 1",
        "res 1 1 200",
        "req 2 0",
        "res 2 0 200",
    ] {
        for who in hooks {
            lines.push(format!("{who} {event}"));
        }
    }
    lines
}

/// A request's hooks, whole and streamed.
#[tokio::test]
async fn request_and_stream_hooks_see_each_attempt_and_transport_try_after_the_clients() {
    for streamed in [false, true] {
        let server = serving(unavailable_invalid_valid(streamed)).await;
        let (client, log) = logging_client(&server);
        let request = logged(client.extract::<UserDetails>().user("Jason is 20"), &log);
        let user = if streamed {
            request.stream_partial().into_final().await
        } else {
            request.await
        };
        assert_eq!(user.unwrap(), jason(), "streamed: {streamed}");
        // A stream's response is told once its events have been read.
        let seen = log.lock().unwrap().clone();
        assert_eq!(
            seen,
            seen_by(&["client", "request"]),
            "streamed: {streamed}"
        );
    }
}

#[tokio::test]
async fn a_streamed_body_is_shown_to_the_response_hooks() {
    let server = serving(vec![sse_ok(
        Sse::new().deltas(JASON, 9).finish("stop").done().body(),
    )])
    .await;
    let bodies = Log::default();
    let seen = bodies.clone();
    ask::<UserDetails>(&server, "Jason is 20", 0)
        .on_response(move |e| seen.lock().unwrap().push(e.body.to_owned()))
        .stream_partial()
        .into_final()
        .await
        .unwrap();
    let bodies = bodies.lock().unwrap();
    assert_eq!(bodies.len(), 1);
    assert!(
        bodies[0].contains(r#""content":"{\"name\":"#),
        "{}",
        bodies[0]
    );
    assert!(
        bodies[0].contains(r#""finish_reason":"stop""#),
        "{}",
        bodies[0]
    );
}

#[tokio::test]
async fn extract_many_hooks_run_after_the_clients_and_the_requests() {
    let server = serving(unavailable_invalid_valid(false)).await;
    let (client, log) = logging_client(&server);
    let (c, d, job_log) = (log.clone(), log.clone(), log.clone());
    let results = client
        .extract_many::<UserDetails, _>(vec!["Jason is 20"])
        .request(move |req, text| logged(req.user(text), &job_log))
        .on_request(move |e| c.lock().unwrap().push(req_line("job", e)))
        .on_response(move |e| d.lock().unwrap().push(res_line("job", e)))
        .await;
    assert_eq!(results[0].1.as_ref().unwrap(), &jason());
    assert_eq!(*log.lock().unwrap(), seen_by(&["client", "request", "job"]));
}

#[tokio::test]
async fn error_hooks_fire_once_after_the_clients_for_a_request_a_stream_and_a_job() {
    let bad_request = || {
        ResponseTemplate::new(400)
            .set_body_json(serde_json::json!({ "error": { "message": "bad model" } }))
    };
    let server = serving(vec![bad_request(), bad_request(), bad_request()]).await;
    let (client, log) = logging_client(&server);
    let on_error = |who: &'static str| {
        let log = log.clone();
        move |e: &instructor::Error| {
            log.lock()
                .unwrap()
                .push(format!("{who} error {}", e.kind()))
        }
    };

    let err = client
        .extract::<UserDetails>()
        .user("a")
        .on_error(on_error("request"))
        .await
        .unwrap_err();
    assert_eq!(err.kind().as_str(), "api");
    let err = client
        .extract::<UserDetails>()
        .user("b")
        .on_error(on_error("stream"))
        .stream_partial()
        .into_final()
        .await
        .unwrap_err();
    assert_eq!(err.kind().as_str(), "api");
    let results = client
        .extract_many::<UserDetails, _>(vec!["c"])
        .on_error(on_error("job"))
        .await;
    assert!(results[0].1.is_err());

    let errors: Vec<String> = log
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l.contains("error"))
        .cloned()
        .collect();
    assert_eq!(
        errors,
        [
            "client error api",
            "request error api",
            "client error api",
            "stream error api",
            "client error api",
            "job error api",
        ]
    );
}
