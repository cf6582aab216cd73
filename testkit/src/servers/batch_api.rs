//! A stand-in for the providers' batch APIs on 127.0.0.1 (wiremock with one stateful
//! responder), as their references document them:
//!
//! - OpenAI: `POST /v1/files` (multipart: `purpose`, `file`), `POST /v1/batches`
//!   (`input_file_id`, `endpoint`, `completion_window`), `GET /v1/batches/{id}`,
//!   `POST /v1/batches/{id}/cancel`, `GET /v1/files/{id}/content`; statuses `validating`,
//!   `in_progress`, `finalizing`, `completed`, `failed`, `expired`, `cancelling`,
//!   `cancelled`; `request_counts` `{total, completed, failed}`; `errors.data[]`.
//! - Anthropic: `POST /v1/messages/batches` (`{"requests":[..]}`),
//!   `GET /v1/messages/batches/{id}`, `POST /v1/messages/batches/{id}/cancel`, the results
//!   (JSONL) at `results_url`; `processing_status` `in_progress`, `canceling`, `ended`.
//!
//! Each `GET` of a batch takes the next step of a script ([`Poll`]): a state, or an error
//! status that does not advance it. When the batch ends, its output is made from the
//! uploaded requests by the test's answer function: every request answered (`completed`,
//! Anthropic `ended`), or only the first half (`expired`, `cancelled`: the rest as the
//! provider writes them, `batch_expired` / `batch_cancelled` error lines in OpenAI's error
//! file, `expired` / `canceled` results at Anthropic). Every request is recorded
//! (`server.received_requests()`), for exact assertions.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// One step of a batch's `GET` script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Poll {
    /// The batch is now in this provider status (`in_progress`, `completed`, `ended`, ...).
    Is(&'static str),
    /// This poll is answered with this error status (the batch does not move).
    Fails(u16),
}

/// Answers one request of a batch: `(custom_id, body)` to the provider's reply body.
pub type Answer = dyn Fn(&str, &Value) -> Value + Send + Sync;

/// Which API the server plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// OpenAI Files + Batches.
    OpenAi,
    /// Anthropic Message Batches.
    Anthropic,
}

/// The running server and its state.
pub struct BatchApi {
    /// The wiremock server (`received_requests()` lists every request).
    pub server: MockServer,
    state: Arc<Mutex<State>>,
}

/// A file the server holds.
#[derive(Debug, Clone)]
pub struct StoredFile {
    /// The multipart `purpose` field (uploads), or `batch_output`.
    pub purpose: String,
    /// The file name the upload gave.
    pub filename: String,
    /// The bytes.
    pub content: Vec<u8>,
}

struct Batch {
    status: String,
    /// The requests: `(custom_id, body)`.
    requests: Vec<(String, Value)>,
    endpoint: String,
    output_file_id: Option<String>,
    error_file_id: Option<String>,
    results: Option<Vec<u8>>,
    cancel_initiated: bool,
}

impl Batch {
    fn new(status: &str, requests: Vec<(String, Value)>, endpoint: &str) -> Self {
        Batch {
            status: status.to_owned(),
            requests,
            endpoint: endpoint.to_owned(),
            output_file_id: None,
            error_file_id: None,
            results: None,
            cancel_initiated: false,
        }
    }
}

struct State {
    flavor: Flavor,
    base: String,
    script: VecDeque<Poll>,
    answer: Arc<Answer>,
    files: HashMap<String, StoredFile>,
    batches: HashMap<String, Batch>,
    next: usize,
}

impl BatchApi {
    /// A server of `flavor` whose batches' `GET`s follow `script` (the last state stays),
    /// answering each request with `answer`.
    pub async fn start(
        flavor: Flavor,
        script: Vec<Poll>,
        answer: impl Fn(&str, &Value) -> Value + Send + Sync + 'static,
    ) -> Self {
        let server = MockServer::start().await;
        let state = Arc::new(Mutex::new(State {
            flavor,
            base: server.uri(),
            script: script.into(),
            answer: Arc::new(answer),
            files: HashMap::new(),
            batches: HashMap::new(),
            next: 0,
        }));
        Mock::given(any())
            .respond_with(Responder(state.clone()))
            .mount(&server)
            .await;
        BatchApi { server, state }
    }

    /// The OpenAI client's base URL (`http://127.0.0.1:PORT/v1`).
    pub fn openai_base(&self) -> String {
        format!("{}/v1", self.server.uri())
    }

    /// The Anthropic client's base URL (the host).
    pub fn anthropic_base(&self) -> String {
        self.server.uri()
    }

    /// The file `id` as the server holds it.
    pub fn file(&self, id: &str) -> Option<StoredFile> {
        self.state.lock().unwrap().files.get(id).cloned()
    }

    /// Every request as `METHOD /path`, in order.
    pub async fn calls(&self) -> Vec<String> {
        self.server
            .received_requests()
            .await
            .unwrap()
            .iter()
            .map(|r| format!("{} {}", r.method, r.url.path()))
            .collect()
    }
}

struct Responder(Arc<Mutex<State>>);

impl Respond for Responder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut state = self.0.lock().unwrap();
        let path: Vec<&str> = request.url.path().trim_matches('/').split('/').collect();
        let method = request.method.as_str();
        let answer = match (state.flavor, method, path.as_slice()) {
            (Flavor::OpenAi, "POST", ["v1", "files"]) => state.upload(request),
            (Flavor::OpenAi, "POST", ["v1", "batches"]) => state.create_openai(request),
            (Flavor::OpenAi, "GET", ["v1", "files", id, "content"]) => match state.files.get(*id) {
                Some(f) => Ok(ResponseTemplate::new(200)
                    .insert_header("content-type", "application/octet-stream")
                    .set_body_bytes(f.content.clone())),
                None => Err((404, format!("No such File object: {id}"))),
            },
            (Flavor::Anthropic, "POST", ["v1", "messages", "batches"]) => {
                state.create_anthropic(request)
            }
            (Flavor::Anthropic, "GET", ["v1", "messages", "batches", id, "results"]) => {
                match state.batches.get(*id).and_then(|b| b.results.clone()) {
                    Some(bytes) => Ok(ResponseTemplate::new(200)
                        .insert_header("content-type", "application/binary")
                        .set_body_bytes(bytes)),
                    None => Err((404, format!("no results for {id}"))),
                }
            }
            (_, "GET", ["v1", "batches", id] | ["v1", "messages", "batches", id]) => state.poll(id),
            (_, "POST", ["v1", "batches", id, "cancel"])
            | (_, "POST", ["v1", "messages", "batches", id, "cancel"]) => state.cancel(id),
            _ => Err((404, format!("no route {method} {}", request.url.path()))),
        };
        answer.unwrap_or_else(|(status, message)| {
            ResponseTemplate::new(status).set_body_json(
                json!({ "type": "error", "error": { "message": message, "type": "invalid_request_error" } }),
            )
        })
    }
}

type Reply = Result<ResponseTemplate, (u16, String)>;

impl State {
    fn id(&mut self, prefix: &str) -> String {
        self.next += 1;
        format!("{prefix}{:04}", self.next)
    }

    fn upload(&mut self, request: &Request) -> Reply {
        let ct = header(request, "content-type");
        let boundary = ct
            .split_once("boundary=")
            .map(|(_, b)| b.trim_matches('"').to_owned())
            .ok_or((400, format!("not multipart: {ct}")))?;
        let parts = multipart(&request.body, &boundary).ok_or((400, "bad multipart".into()))?;
        let field = |name: &str| parts.iter().find(|p| p.name == name);
        let purpose = field("purpose").ok_or((400, "no purpose".into()))?;
        let file = field("file").ok_or((400, "no file".into()))?;
        let stored = StoredFile {
            purpose: String::from_utf8_lossy(&purpose.content).into_owned(),
            filename: file.filename.clone().unwrap_or_default(),
            content: file.content.clone(),
        };
        let id = self.id("file-in");
        let body = json!({
            "id": id, "object": "file", "bytes": stored.content.len(), "created_at": 1700000000,
            "filename": stored.filename, "purpose": stored.purpose,
        });
        self.files.insert(id, stored);
        Ok(ResponseTemplate::new(200).set_body_json(body))
    }

    fn create_openai(&mut self, request: &Request) -> Reply {
        let body: Value =
            serde_json::from_slice(&request.body).map_err(|e| (400, e.to_string()))?;
        let file_id = body["input_file_id"].as_str().unwrap_or_default();
        let file = self
            .files
            .get(file_id)
            .ok_or((400, format!("no file {file_id}")))?;
        let mut requests = Vec::new();
        for line in String::from_utf8_lossy(&file.content).lines() {
            let v: Value = serde_json::from_str(line).map_err(|e| (400, e.to_string()))?;
            requests.push((
                v["custom_id"].as_str().unwrap_or("").to_owned(),
                v["body"].clone(),
            ));
        }
        let id = self.id("batch_");
        self.batches.insert(
            id.clone(),
            Batch::new(
                "validating",
                requests,
                body["endpoint"].as_str().unwrap_or_default(),
            ),
        );
        Ok(ResponseTemplate::new(200).set_body_json(self.object(&id)))
    }

    fn create_anthropic(&mut self, request: &Request) -> Reply {
        let body: Value =
            serde_json::from_slice(&request.body).map_err(|e| (400, e.to_string()))?;
        let requests = body["requests"]
            .as_array()
            .ok_or((400, "no requests".into()))?
            .iter()
            .map(|r| {
                (
                    r["custom_id"].as_str().unwrap_or("").to_owned(),
                    r["params"].clone(),
                )
            })
            .collect();
        let id = self.id("msgbatch_");
        self.batches
            .insert(id.clone(), Batch::new("in_progress", requests, ""));
        Ok(ResponseTemplate::new(200).set_body_json(self.object(&id)))
    }

    fn poll(&mut self, id: &str) -> Reply {
        if !self.batches.contains_key(id) {
            return Err((404, format!("No batch found with id '{id}'.")));
        }
        let step = if self.script.len() > 1 {
            self.script.pop_front()
        } else {
            self.script.front().cloned()
        };
        match step {
            Some(Poll::Fails(status)) => {
                return Err((status, format!("injected {status}")));
            }
            Some(Poll::Is(status)) => self.move_to(id, status),
            None => {}
        }
        Ok(ResponseTemplate::new(200).set_body_json(self.object(id)))
    }

    fn cancel(&mut self, id: &str) -> Reply {
        let flavor = self.flavor;
        let batch = self
            .batches
            .get_mut(id)
            .ok_or((404, format!("No batch found with id '{id}'.")))?;
        batch.cancel_initiated = true;
        batch.status = match flavor {
            Flavor::OpenAi => "cancelling".into(),
            Flavor::Anthropic => "canceling".into(),
        };
        // What the provider does next: the batch ends cancelled.
        let end = match flavor {
            Flavor::OpenAi => "cancelled",
            Flavor::Anthropic => "ended",
        };
        self.script = VecDeque::from([Poll::Is(end)]);
        Ok(ResponseTemplate::new(200).set_body_json(self.object(id)))
    }

    /// Moves the batch to `status`; at its end, writes the output.
    fn move_to(&mut self, id: &str, status: &str) {
        let flavor = self.flavor;
        let answer = self.answer.clone();
        let batch = self.batches.get_mut(id).unwrap();
        if batch.status == status {
            return;
        }
        batch.status = status.to_owned();
        let partial = matches!(status, "expired" | "cancelled") || batch.cancel_initiated;
        let ends = matches!(status, "completed" | "expired" | "cancelled" | "ended");
        if !ends {
            return;
        }
        let done = if partial {
            batch.requests.len() / 2
        } else {
            batch.requests.len()
        };
        let (mut out, mut errors) = (Vec::new(), Vec::new());
        for (n, (custom_id, body)) in batch.requests.iter().enumerate() {
            let line = match (flavor, n < done) {
                (Flavor::OpenAi, true) => json!({
                    "id": format!("batch_req_{n}"), "custom_id": custom_id,
                    "response": { "status_code": 200, "request_id": format!("req_{n}"),
                                  "body": answer(custom_id, body) },
                    "error": null,
                }),
                (Flavor::OpenAi, false) => {
                    let code = if status == "expired" {
                        "batch_expired"
                    } else {
                        "batch_cancelled"
                    };
                    json!({
                        "id": format!("batch_req_{n}"), "custom_id": custom_id, "response": null,
                        "error": { "code": code, "message": "This request was not run." },
                    })
                }
                (Flavor::Anthropic, true) => json!({
                    "custom_id": custom_id,
                    "result": { "type": "succeeded", "message": answer(custom_id, body) },
                }),
                (Flavor::Anthropic, false) => json!({
                    "custom_id": custom_id, "result": { "type": "canceled" },
                }),
            };
            let to = if line["error"].is_object() {
                &mut errors
            } else {
                &mut out
            };
            to.extend_from_slice(line.to_string().as_bytes());
            to.push(b'\n');
        }
        if flavor == Flavor::Anthropic {
            out.extend_from_slice(&errors);
            batch.results = Some(out);
            return;
        }
        if status == "failed" {
            return;
        }
        let output_id = format!("file-out-{id}");
        batch.output_file_id = Some(output_id.clone());
        let file = |content| StoredFile {
            purpose: "batch_output".into(),
            filename: "batch_output.jsonl".into(),
            content,
        };
        self.files.insert(output_id, file(out));
        if !errors.is_empty() {
            let error_id = format!("file-err-{id}");
            self.batches.get_mut(id).unwrap().error_file_id = Some(error_id.clone());
            self.files.insert(error_id, file(errors));
        }
    }

    /// The batch object as the provider's API writes it.
    fn object(&self, id: &str) -> Value {
        let b = &self.batches[id];
        let ended = matches!(
            b.status.as_str(),
            "completed" | "expired" | "cancelled" | "ended"
        );
        let total = b.requests.len() as u64;
        let answered = if !ended {
            0
        } else if b.cancel_initiated || matches!(b.status.as_str(), "expired" | "cancelled") {
            total / 2
        } else {
            total
        };
        match self.flavor {
            Flavor::OpenAi => json!({
                "id": id, "object": "batch", "endpoint": b.endpoint,
                "errors": if b.status == "failed" {
                    json!({ "object": "list", "data": [{
                        "code": "invalid_request", "message": "The model `nope` does not exist.",
                        "param": "body.model", "line": 1 }] })
                } else { Value::Null },
                "input_file_id": "file-in", "completion_window": "24h", "status": b.status,
                "output_file_id": b.output_file_id, "error_file_id": b.error_file_id,
                "created_at": 1700000000,
                "request_counts": { "total": total, "completed": answered, "failed": 0 },
                "metadata": null,
            }),
            Flavor::Anthropic => {
                let (processing, canceled) = if ended {
                    (0, total - answered)
                } else {
                    (total, 0)
                };
                json!({
                    "id": id, "type": "message_batch", "processing_status": b.status,
                    "request_counts": { "processing": processing, "succeeded": answered,
                                        "errored": 0, "canceled": canceled, "expired": 0 },
                    "ended_at": if ended { json!("2026-01-01T00:00:00Z") } else { Value::Null },
                    "created_at": "2026-01-01T00:00:00Z", "expires_at": "2026-01-02T00:00:00Z",
                    "archived_at": null,
                    "cancel_initiated_at": if b.cancel_initiated { json!("2026-01-01T00:00:00Z") } else { Value::Null },
                    "results_url": if ended {
                        json!(format!("{}/v1/messages/batches/{id}/results", self.base))
                    } else { Value::Null },
                })
            }
        }
    }
}

fn header(request: &Request, name: &str) -> String {
    request
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// One part of a multipart form.
#[derive(Debug, Clone)]
pub struct Part {
    /// Its `name`.
    pub name: String,
    /// Its `filename`, if any.
    pub filename: Option<String>,
    /// Its `Content-Type`, if any.
    pub content_type: Option<String>,
    /// Its bytes.
    pub content: Vec<u8>,
}

/// The parts of a `multipart/form-data` body (RFC 7578) with `boundary`; `None` if it is
/// not well formed (no closing delimiter, a part without headers).
pub fn multipart(body: &[u8], boundary: &str) -> Option<Vec<Part>> {
    let delimiter = format!("--{boundary}");
    let mut rest = body.strip_prefix(delimiter.as_bytes())?;
    let mut parts = Vec::new();
    let between = format!("\r\n--{boundary}");
    loop {
        if rest.starts_with(b"--") {
            return Some(parts);
        }
        rest = rest.strip_prefix(b"\r\n")?;
        let head_end = find(rest, b"\r\n\r\n")?;
        let head = String::from_utf8_lossy(&rest[..head_end]).into_owned();
        rest = &rest[head_end + 4..];
        let end = find(rest, between.as_bytes())?;
        let content = rest[..end].to_vec();
        rest = &rest[end + between.len()..];
        let mut part = Part {
            name: String::new(),
            filename: None,
            content_type: None,
            content,
        };
        for line in head.split("\r\n") {
            let (name, value) = line.split_once(':')?;
            match name.trim().to_ascii_lowercase().as_str() {
                "content-disposition" => {
                    for item in value.split(';').map(str::trim) {
                        if let Some(v) = item.strip_prefix("name=") {
                            part.name = v.trim_matches('"').to_owned();
                        } else if let Some(v) = item.strip_prefix("filename=") {
                            part.filename = Some(v.trim_matches('"').to_owned());
                        }
                    }
                }
                "content-type" => part.content_type = Some(value.trim().to_owned()),
                _ => {}
            }
        }
        parts.push(part);
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}
