//! wiremock: answers mounted in order, answers looked up from a recording ([`Replay`], the
//! evals' replay test), the model list, and what the server received.

use std::collections::HashMap;

use instructor::{Extract, Instructor};
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
pub use wiremock::MockServer;
use wiremock::{Mock, Request, Respond, ResponseTemplate};

/// A 200 with `body` as JSON.
pub fn json_ok(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

/// A 200 event stream with `body`.
pub fn sse_ok(body: Vec<u8>) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(body, "text/event-stream")
}

/// Answers the next `times` requests to the chat endpoint with `template` (what is
/// mounted first answers first).
pub async fn answer(server: &MockServer, template: impl Respond + 'static, times: u64) {
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(template)
        .up_to_n_times(times)
        .mount(server)
        .await;
}

/// Answers with `template` every request to the chat endpoint that no earlier mount
/// answered.
pub async fn answer_always(server: &MockServer, template: impl Respond + 'static) {
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(template)
        .mount(server)
        .await;
}

/// Answers with `templates` in order, each exactly once (checked when the server drops).
pub async fn answer_in_order(server: &MockServer, templates: Vec<ResponseTemplate>) {
    for template in templates {
        Mock::given(method("POST"))
            .and(path("/v1/chat/completions"))
            .respond_with(template)
            .up_to_n_times(1)
            .expect(1)
            .mount(server)
            .await;
    }
}

/// A server that answers with `templates` in order, each exactly once.
pub async fn serving(templates: Vec<ResponseTemplate>) -> MockServer {
    let server = MockServer::start().await;
    answer_in_order(&server, templates).await;
    server
}

/// The JSON bodies of every request the server received.
pub async fn bodies(server: &MockServer) -> Vec<Value> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.body_json::<Value>().unwrap())
        .collect()
}

/// Sends `request`, checks it is refused with an [`instructor::Error::Config`] before
/// `server` saw any request, and returns why.
pub async fn refused<T>(request: Extract<T>, server: &MockServer) -> String
where
    T: Instructor + serde::de::DeserializeOwned + std::fmt::Debug + Send + 'static,
    T::Context: Default,
{
    let err = request.send().await.unwrap_err();
    let why = crate::config_why(&err).to_owned();
    assert_eq!(count(server).await, 0, "a request left: {why}");
    why
}

/// How many requests the server received.
pub async fn count(server: &MockServer) -> usize {
    server.received_requests().await.unwrap().len()
}

/// Answers `GET /v1/models` with one model, `id`, owned by `owned_by` (how the client tells
/// servers apart: `llamacpp` is llama.cpp's `llama-server`).
pub async fn models(server: &MockServer, id: &str, owned_by: &str) {
    Mock::given(method("GET"))
        .and(path("/v1/models"))
        .respond_with(json_ok(json!({
            "object": "list",
            "data": [{ "id": id, "object": "model", "owned_by": owned_by }]
        })))
        .mount(server)
        .await;
}

/// The key a recorded answer is found by: what does not depend on how the SDK words its
/// prompts.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReplayKey {
    /// The text of the first `user` message.
    pub user: String,
    /// The mode the request body was written for, as [`mode_of`] names it.
    pub mode: String,
    /// 1 + the `assistant` messages already in the conversation.
    pub attempt: u32,
}

/// Answers every chat request with the recorded (status, body) of its [`ReplayKey`]; a
/// request with no recording gets a 404 saying which key was missing (not retried by the
/// transport, and reported as an `api` error).
pub struct Replay(pub HashMap<ReplayKey, (u16, Value)>);

/// The mode a request body was written for: `tools`, `json_schema_strict`, `json_schema`,
/// `json_object_schema`, `json` or `md_json`.
pub fn mode_of(body: &Value) -> &'static str {
    if body.get("tools").is_some() {
        return "tools";
    }
    let format = &body["response_format"];
    match format["type"].as_str() {
        Some("json_schema") if format["json_schema"]["strict"] == json!(true) => {
            "json_schema_strict"
        }
        Some("json_schema") => "json_schema",
        Some("json_object") if format.get("schema").is_some() => "json_object_schema",
        Some("json_object") => "json",
        _ => "md_json",
    }
}

impl Respond for Replay {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body: Value = match serde_json::from_slice(&request.body) {
            Ok(b) => b,
            Err(e) => return ResponseTemplate::new(400).set_body_string(format!("not JSON: {e}")),
        };
        let messages = body["messages"].as_array().cloned().unwrap_or_default();
        let user = messages
            .iter()
            .find(|m| m["role"] == "user")
            .and_then(|m| m["content"].as_str())
            .unwrap_or_default()
            .to_owned();
        let attempt = 1 + messages.iter().filter(|m| m["role"] == "assistant").count() as u32;
        let key = ReplayKey {
            user,
            mode: mode_of(&body).to_owned(),
            attempt,
        };
        match self.0.get(&key) {
            Some((status, answer)) => ResponseTemplate::new(*status).set_body_json(answer),
            None => ResponseTemplate::new(404).set_body_string(format!(
                "no recorded answer for mode {}, attempt {}, user message {:?}",
                key.mode, key.attempt, key.user
            )),
        }
    }
}
