//! wiremock: answers mounted in order, and what the server received.

use serde_json::Value;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Respond, ResponseTemplate};

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

/// How many requests the server received.
pub async fn count(server: &MockServer) -> usize {
    server.received_requests().await.unwrap().len()
}
