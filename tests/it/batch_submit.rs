//! Submitting batch files (`instructor::batch_file::Submission`) to a stand-in of the
//! providers' batch APIs on 127.0.0.1 (`support::servers::batch_api`): OpenAI's Files upload
//! (multipart) and Batches, Anthropic's Message Batches; polls through `validating` ->
//! `in_progress` -> `finalizing` -> `completed` (and `failed`, `expired`, `cancelled`), a
//! 503 on a poll retried, cancel, resume from a saved id, the result files downloaded and
//! read back by the job. Every request is asserted as sent (method, path, headers, body).
//! Polls every 0 ms: nothing here depends on time.

use std::path::{Path, PathBuf};
use std::time::Duration;

use instructor::batch_file::{BatchJob, BatchState, BatchStatus, RoundReport, Submission};
use instructor::{Client, Error, ErrorKind, RetryPolicy};
use serde_json::{json, Value};

use crate::support::providers::anthropic;
use crate::support::servers::batch_api::{multipart, BatchApi, Flavor, Poll};
use crate::support::*;

const TEXTS: [(&str, &str); 4] = [
    ("row-1", "Jason is 20"),
    ("row-2", "Ada is 36"),
    ("row-3", "Grace is 45"),
    ("row-4", "Linus is 29"),
];

/// What the model answers for each input: its name and age, from the id.
fn person(custom_id: &str) -> Value {
    match custom_id {
        "row-1" => json!({"name": "Jason", "age": 20}),
        "row-2" => json!({"name": "Ada", "age": 36}),
        "row-3" => json!({"name": "Grace", "age": 45}),
        _ => json!({"name": "Linus", "age": 29}),
    }
}

fn openai_answer(custom_id: &str, _: &Value) -> Value {
    content_reply(&person(custom_id).to_string(), usage(10, 5))
}

fn anthropic_answer(custom_id: &str, _: &Value) -> Value {
    anthropic::tool_reply("toolu_1", person(custom_id), (10, 5))
}

/// A fresh directory for one test's files.
fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("instructor-submit-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn openai_client(api: &BatchApi) -> Client {
    Client::builder()
        .base_url(api.openai_base())
        .api_key(KEY)
        .default_model("test-model")
        .retry_policy(fast_retries())
        .prompting(instructor::Prompting::Plain)
        .build()
        .unwrap()
}

fn anthropic_client(api: &BatchApi) -> Client {
    anthropic::builder(&api.anthropic_base()).build().unwrap()
}

/// A stand-in of `flavor`'s batch API whose polls follow `script`, answering each input with
/// its person, and the kit's client of it.
async fn started(flavor: Flavor, script: Vec<Poll>) -> (BatchApi, Client) {
    match flavor {
        Flavor::OpenAi => {
            let api = BatchApi::start(flavor, script, openai_answer).await;
            let client = openai_client(&api);
            (api, client)
        }
        Flavor::Anthropic => {
            let api = BatchApi::start(flavor, script, anthropic_answer).await;
            let client = anthropic_client(&api);
            (api, client)
        }
    }
}

/// A [`job`] of the four texts, submitted to a stand-in [`started`] with `flavor` and
/// `script`, its request file written in its own [`dir`] named `name`: the stand-in, the job,
/// the directory and the submission.
async fn submitted(
    flavor: Flavor,
    script: Vec<Poll>,
    name: &str,
) -> (BatchApi, BatchJob<UserDetails>, PathBuf, Submission) {
    let (api, client) = started(flavor, script).await;
    let mut job = job(&client);
    let dir = dir(name);
    let sub = job.submit(dir.join(requests_file(flavor))).await.unwrap();
    (api, job, dir, sub)
}

/// The name of the request file of `flavor`'s batch API.
fn requests_file(flavor: Flavor) -> &'static str {
    match flavor {
        Flavor::OpenAi => "requests.jsonl",
        Flavor::Anthropic => "requests.json",
    }
}

/// Downloads `sub`'s results into `dir` (the one file `file`) and reads them into `job`: all
/// four settled, each its input's person, and no file in `dir` holds the key.
async fn read_back(
    sub: &Submission,
    job: &mut BatchJob<UserDetails>,
    dir: &Path,
    file: &str,
) -> RoundReport<UserDetails> {
    let files = sub.download(dir).await.unwrap();
    assert_eq!(files, [dir.join(file)]);
    let report = job.read_results_from(&files).await.unwrap();
    assert_eq!(report.settled.len(), 4);
    for (id, value) in &report.settled {
        let want: UserDetails = serde_json::from_value(person(id)).unwrap();
        assert_eq!(value.as_ref().unwrap(), &want, "{id}");
    }
    no_key_in(dir);
    report
}

fn job(client: &Client) -> BatchJob<UserDetails> {
    let mut job = BatchJob::new(client.extract::<UserDetails>().max_retries(1)).unwrap();
    for (id, text) in TEXTS {
        job.add_user(id, text).unwrap();
    }
    job
}

/// A [`submitted`] job whose batch `id` goes through the polls `seen` to completion: the
/// stand-in, the job, the directory, the submission and its last status. Neither the
/// submission nor any status shows the key.
async fn completed(
    flavor: Flavor,
    script: Vec<Poll>,
    name: &str,
    id: &str,
    seen: &[&str],
) -> (
    BatchApi,
    BatchJob<UserDetails>,
    PathBuf,
    Submission,
    BatchStatus,
) {
    let (api, job, dir, sub) = submitted(flavor, script, name).await;
    assert_eq!(sub.id(), id);
    assert!(!format!("{sub:?}").contains(KEY));
    let (polled, end) = wait(&sub).await;
    assert_eq!(polled, seen);
    let end = end.unwrap();
    assert_eq!(end.state, BatchState::Completed);
    (api, job, dir, sub, end)
}

/// Waits with no pause between polls; gives each poll's provider status and the outcome.
async fn wait(sub: &Submission) -> (Vec<String>, Result<BatchStatus, Error>) {
    let mut seen = Vec::new();
    let end = sub
        .wait(Duration::ZERO, |s| {
            let shown = format!("{s:?}");
            assert!(!shown.contains(KEY), "{shown}");
            seen.push(s.provider_status.clone());
        })
        .await;
    (seen, end)
}

fn header<'a>(r: &'a wiremock::Request, name: &str) -> &'a str {
    r.headers
        .get(name)
        .map(|v| v.to_str().unwrap())
        .unwrap_or_else(|| panic!("no {name} header on {} {}", r.method, r.url))
}

/// No file in `dir` holds the key.
fn no_key_in(dir: &Path) {
    for f in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(f.unwrap().path()).unwrap();
        assert!(!text.contains(KEY));
    }
}

#[tokio::test]
async fn openai_upload_create_poll_download_and_read_back() {
    let script = vec![
        Poll::Is("validating"),
        Poll::Fails(503),
        Poll::Is("in_progress"),
        Poll::Is("finalizing"),
        Poll::Is("completed"),
    ];
    // The 503 was retried by the client's policy: the poll it failed is seen once, answered.
    let seen = ["validating", "in_progress", "finalizing", "completed"];
    let (api, mut job, dir, sub, end) =
        completed(Flavor::OpenAi, script, "openai-round", "batch_0002", &seen).await;
    let requests = dir.join("requests.jsonl");
    assert_eq!((end.counts.total, end.counts.succeeded), (4, 4));
    assert_eq!(end.output_file_id.as_deref(), Some("file-out-batch_0002"));
    assert_eq!(end.error_file_id, None);

    let report = read_back(&sub, &mut job, &dir, "batch_0002.output.jsonl").await;
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert!(job.is_finished());

    // Every request, exactly.
    let got = api.server.received_requests().await.unwrap();
    assert_eq!(
        api.calls().await,
        [
            "POST /v1/files",
            "POST /v1/batches",
            "GET /v1/batches/batch_0002",
            "GET /v1/batches/batch_0002", // 503
            "GET /v1/batches/batch_0002",
            "GET /v1/batches/batch_0002",
            "GET /v1/batches/batch_0002",
            "GET /v1/batches/batch_0002", // download: the batch's files
            "GET /v1/files/file-out-batch_0002/content",
        ]
    );
    for r in &got {
        assert_eq!(header(r, "authorization"), format!("Bearer {KEY}"));
        assert!(r.url.query().is_none());
    }
    // The upload: a multipart form of `purpose=batch` and the request file, as written.
    let upload = &got[0];
    let ct = header(upload, "content-type");
    let boundary = ct
        .strip_prefix("multipart/form-data; boundary=")
        .unwrap_or_else(|| panic!("{ct}"));
    assert_eq!(
        header(upload, "content-length"),
        upload.body.len().to_string()
    );
    let parts = multipart(&upload.body, boundary).unwrap();
    assert_eq!(parts.len(), 2);
    assert_eq!(
        (parts[0].name.as_str(), parts[0].content.as_slice()),
        ("purpose", &b"batch"[..])
    );
    assert_eq!(parts[1].name, "file");
    assert_eq!(parts[1].filename.as_deref(), Some("requests.jsonl"));
    assert_eq!(parts[1].content, std::fs::read(&requests).unwrap());
    let stored = api.file("file-in0001").unwrap();
    assert_eq!(
        (stored.purpose.as_str(), stored.content.len()),
        ("batch", parts[1].content.len())
    );
    // The create call.
    let create = &got[1];
    assert_eq!(header(create, "content-type"), "application/json");
    assert_eq!(
        serde_json::from_slice::<Value>(&create.body).unwrap(),
        json!({"input_file_id": "file-in0001", "endpoint": "/v1/chat/completions", "completion_window": "24h"})
    );
    for r in &got[2..] {
        assert!(r.body.is_empty());
    }
}

#[tokio::test]
async fn anthropic_create_poll_download_and_read_back() {
    let script = vec![
        Poll::Is("in_progress"),
        Poll::Is("in_progress"),
        Poll::Is("ended"),
    ];
    let seen = ["in_progress", "in_progress", "ended"];
    let (api, mut job, dir, sub, end) = completed(
        Flavor::Anthropic,
        script,
        "anthropic-round",
        "msgbatch_0001",
        &seen,
    )
    .await;
    let requests = dir.join("requests.json");
    assert_eq!(
        (
            end.counts.total,
            end.counts.succeeded,
            end.counts.processing
        ),
        (4, 4, 0)
    );
    let results_url = format!(
        "{}/v1/messages/batches/msgbatch_0001/results",
        api.anthropic_base()
    );
    assert_eq!(end.results_url.as_deref(), Some(results_url.as_str()));

    read_back(&sub, &mut job, &dir, "msgbatch_0001.results.jsonl").await;

    let got = api.server.received_requests().await.unwrap();
    assert_eq!(
        api.calls().await,
        [
            "POST /v1/messages/batches",
            "GET /v1/messages/batches/msgbatch_0001",
            "GET /v1/messages/batches/msgbatch_0001",
            "GET /v1/messages/batches/msgbatch_0001",
            "GET /v1/messages/batches/msgbatch_0001",
            "GET /v1/messages/batches/msgbatch_0001/results",
        ]
    );
    for r in &got {
        assert_eq!(header(r, "x-api-key"), KEY);
        assert_eq!(header(r, "anthropic-version"), "2023-06-01");
        assert!(r.headers.get("authorization").is_none());
    }
    // The create call's body is the request file, byte for byte.
    assert_eq!(header(&got[0], "content-type"), "application/json");
    assert_eq!(
        header(&got[0], "content-length"),
        got[0].body.len().to_string()
    );
    assert_eq!(got[0].body, std::fs::read(&requests).unwrap());
    let sent: Value = serde_json::from_slice(&got[0].body).unwrap();
    assert_eq!(sent["requests"].as_array().unwrap().len(), 4);
    assert_eq!(sent["requests"][0]["custom_id"], "row-1");
}

#[tokio::test]
async fn a_failed_batch_is_an_error_naming_it_and_what_openai_said() {
    let script = vec![Poll::Is("validating"), Poll::Is("failed")];
    let (_api, _job, dir, sub) = submitted(Flavor::OpenAi, script, "failed").await;
    let (seen, end) = wait(&sub).await;
    assert_eq!(seen, ["validating", "failed"]);
    let err = end.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Batch);
    assert_eq!(
        err.to_string(),
        "batch batch_0002 failed: invalid_request: The model `nope` does not exist. (line 1)"
    );
    assert_no_key(&err);
    // Nothing to download: the same error.
    let err = sub.download(&dir).await.unwrap_err();
    assert!(
        matches!(&err, Error::Batch { batch_id, status, .. } if batch_id == "batch_0002" && status == "failed")
    );
}

#[tokio::test]
async fn an_expired_batch_is_an_error_and_its_partial_output_is_read() {
    let script = vec![Poll::Is("in_progress"), Poll::Is("expired")];
    let (_api, mut job, dir, sub) = submitted(Flavor::OpenAi, script, "expired").await;
    let (seen, end) = wait(&sub).await;
    assert_eq!(seen, ["in_progress", "expired"]);
    let err = end.unwrap_err();
    assert_eq!(
        err.to_string(),
        "batch batch_0002 expired: the 24-hour window ended with 2 of 4 requests done; download \
         the partial output and send the rest again"
    );
    let files = sub.download(&dir).await.unwrap();
    assert_eq!(
        files,
        [
            dir.join("batch_0002.output.jsonl"),
            dir.join("batch_0002.errors.jsonl")
        ]
    );
    let report = job.read_results_from(&files).await.unwrap();
    let settled: Vec<_> = report.settled.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(settled, ["row-1", "row-2"]);
    let resent: Vec<_> = report.resent.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(resent, ["row-3", "row-4"]);
    // The next round sends the two that expired.
    assert_eq!(job.write_requests_to(dir.join("round-2.jsonl")).unwrap(), 2);
}

#[tokio::test]
async fn cancel_then_the_partial_output_openai() {
    let script = vec![Poll::Is("in_progress")];
    let (api, mut job, dir, sub) = submitted(Flavor::OpenAi, script, "cancel-openai").await;
    assert_eq!(sub.status().await.unwrap().state, BatchState::InProgress);
    let cancelling = sub.cancel().await.unwrap();
    assert_eq!(
        (cancelling.state, cancelling.provider_status.as_str()),
        (BatchState::Cancelling, "cancelling")
    );
    let (seen, end) = wait(&sub).await;
    assert_eq!(seen, ["cancelled"]);
    assert!(matches!(end.unwrap_err(), Error::Batch { status, .. } if status == "cancelled"));
    let files = sub.download(&dir).await.unwrap();
    let report = job.read_results_from(&files).await.unwrap();
    assert_eq!((report.settled.len(), report.resent.len()), (2, 2));
    let cancel = "POST /v1/batches/batch_0002/cancel".to_owned();
    assert!(api.calls().await.contains(&cancel));
}

#[tokio::test]
async fn cancel_then_the_partial_results_anthropic() {
    let script = vec![Poll::Is("in_progress")];
    let (api, mut job, dir, sub) = submitted(Flavor::Anthropic, script, "cancel-anthropic").await;
    let cancelling = sub.cancel().await.unwrap();
    assert_eq!(
        (cancelling.state, cancelling.provider_status.as_str()),
        (BatchState::Cancelling, "canceling")
    );
    let (seen, end) = wait(&sub).await;
    assert_eq!(seen, ["ended"]);
    let err = end.unwrap_err();
    assert_eq!(
        err.to_string(),
        "batch msgbatch_0001 ended: cancelled with 2 of 4 requests done; the partial output can be downloaded"
    );
    let files = sub.download(&dir).await.unwrap();
    let report = job.read_results_from(&files).await.unwrap();
    assert_eq!((report.settled.len(), report.resent.len()), (2, 2));
    let got = api.server.received_requests().await.unwrap();
    let cancel = got
        .iter()
        .find(|r| r.url.path() == "/v1/messages/batches/msgbatch_0001/cancel")
        .unwrap();
    assert_eq!(cancel.method.as_str(), "POST");
    assert_eq!(header(cancel, "x-api-key"), KEY);
    assert_eq!(header(cancel, "anthropic-version"), "2023-06-01");
}

#[tokio::test]
async fn a_crashed_process_resumes_from_the_saved_id_and_state() {
    let script = vec![Poll::Is("in_progress"), Poll::Is("completed")];
    let (_api, client) = started(Flavor::OpenAi, script).await;
    let dir = dir("resume");
    let (state, id_file) = (dir.join("job.state.jsonl"), dir.join("batch.id"));
    {
        let mut job = job(&client);
        let sub = job.submit(dir.join("requests.jsonl")).await.unwrap();
        job.save_to(&state).unwrap();
        std::fs::write(&id_file, sub.id()).unwrap();
        // ... and the process dies.
    }
    let template = client.extract::<UserDetails>().max_retries(1);
    let mut job = BatchJob::load_from(template, &state).unwrap();
    let sub = Submission::resume(&client, std::fs::read_to_string(&id_file).unwrap()).unwrap();
    assert_eq!(sub.id(), "batch_0002");
    let (seen, end) = wait(&sub).await;
    assert_eq!(seen, ["in_progress", "completed"]);
    end.unwrap();
    let files = sub.download(&dir).await.unwrap();
    let report = job.read_results_from(&files).await.unwrap();
    assert_eq!(report.settled.len(), 4);
    assert!(job.is_finished());
    no_key_in(&dir);
}

#[tokio::test]
async fn a_503_on_a_poll_is_retried_and_without_retries_it_is_the_error() {
    let script = vec![Poll::Fails(503), Poll::Is("in_progress")];
    let (api, client) = started(Flavor::OpenAi, script.clone()).await;
    let mut first = job(&client);
    let dir = dir("retry");
    let sub = first.submit(dir.join("requests.jsonl")).await.unwrap();
    assert_eq!(sub.status().await.unwrap().state, BatchState::InProgress);
    let gets = api
        .calls()
        .await
        .iter()
        .filter(|c| c.starts_with("GET"))
        .count();
    assert_eq!(gets, 2);

    let api = BatchApi::start(Flavor::OpenAi, script, openai_answer).await;
    let client = Client::builder()
        .base_url(api.openai_base())
        .api_key(KEY)
        .default_model("test-model")
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let mut second = job(&client);
    let sub = second.submit(dir.join("requests-2.jsonl")).await.unwrap();
    let err = sub.status().await.unwrap_err();
    assert_eq!(kind(&err), "Api 503");
    assert_no_key(&err);
    // Polling goes on from where it failed.
    assert_eq!(sub.status().await.unwrap().state, BatchState::InProgress);
}

#[tokio::test]
async fn what_cannot_be_submitted_is_refused_before_any_request() {
    let nothing = crate::support::servers::NothingListening::new();
    let gemini = crate::support::providers::gemini::builder(&nothing.base())
        .build()
        .unwrap();
    let err = Submission::resume(&gemini, "batches/1").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    let openai = client(&nothing);
    for bad in ["", "../files", "batch_1?x=1", "a/b"] {
        let err = Submission::resume(&openai, bad).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config, "{bad:?}");
    }
    // A job with nothing waiting has nothing to submit.
    let mut job = BatchJob::new(openai.extract::<UserDetails>()).unwrap();
    let dir = dir("empty");
    let err = job.submit(dir.join("requests.jsonl")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
}
