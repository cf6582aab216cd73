//! End-to-end tests of the Responses dialect ([`Provider::OpenAiResponses`]) against a real
//! model: llama.cpp's `llama-server` (its `/v1/responses`) with gemma-3-270m, as started by
//! `scripts/local-llm` (see docs/local-llm.md).
//!
//! ```text
//! INSTRUCTOR_E2E_BASE_URL=$(scripts/local-llm) cargo test --test e2e_responses -- --test-threads=1 --nocapture
//! ```
//!
//! Without `INSTRUCTOR_E2E_BASE_URL` every test prints why it is skipped and passes.
//! `INSTRUCTOR_E2E_MODEL` (default `gemma-3-270m`) and `INSTRUCTOR_E2E_API_KEY` (default:
//! none) are optional.
//!
//! The client is [`Client::openai_responses`]'s configuration (the Responses provider,
//! [`Mode::JsonSchemaStrict`]) with the local base URL, and [`Server::LlamaCpp`]: llama.cpp
//! does not read `text.format`, so for that server the body also carries chat's
//! `response_format`, which llama.cpp compiles into a grammar. Without it the model writes
//! free text.

use std::time::Duration;

use instructor::{Client, Instructor, Mode, Provider, Server};
use serde::{Deserialize, Serialize};

const USER: &str = r#"Extract the following entities: "Jason is 20""#;
const SYSTEM: &str = "You are a world class extractor";

/// The blog post's type.
#[derive(Debug, Serialize, Deserialize, Instructor)]
struct UserDetails {
    name: String,
    age: u8,
}

/// The client for the server under test, or `None` (and a visible message) to skip.
fn e2e_client(test: &str) -> Option<Client> {
    let Some(url) = std::env::var("INSTRUCTOR_E2E_BASE_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
    else {
        eprintln!("SKIPPED e2e_responses::{test}: INSTRUCTOR_E2E_BASE_URL is not set");
        return None;
    };
    let model = std::env::var("INSTRUCTOR_E2E_MODEL").unwrap_or_else(|_| "gemma-3-270m".into());
    let key = std::env::var("INSTRUCTOR_E2E_API_KEY").unwrap_or_default();
    Some(
        Client::builder()
            .base_url(url)
            .api_key(key)
            .provider(Provider::OpenAiResponses)
            .server(Server::LlamaCpp)
            .default_mode(Mode::JsonSchemaStrict)
            .default_model(model)
            .timeout(Duration::from_secs(300))
            .build()
            .expect("the e2e client configuration is valid"),
    )
}

#[tokio::test]
async fn responses_json_schema_strict_extracts_jason() {
    let Some(client) = e2e_client("responses_json_schema_strict_extracts_jason") else {
        return;
    };
    let (user, extraction) = client
        .extract::<UserDetails>()
        .system(SYSTEM)
        .user(USER)
        .temperature(0.0)
        .max_tokens(256)
        .max_retries(1)
        .send_with_extraction()
        .await
        .expect("llama.cpp's /v1/responses extracts the user");
    eprintln!(
        "E2E responses: {} attempt(s), {} in + {} out tokens: {user:?}",
        extraction.attempts.len(),
        extraction.usage.prompt_tokens,
        extraction.usage.completion_tokens
    );
    assert!(user.name.contains("Jason"), "{user:?}");
    assert_eq!(user.age, 20, "{user:?}");
    assert!(extraction.usage.prompt_tokens > 0);
    assert!(extraction.response().id.starts_with("resp_"));
}

#[tokio::test]
async fn responses_stream_extracts_jason() {
    let Some(client) = e2e_client("responses_stream_extracts_jason") else {
        return;
    };
    let (user, extraction) = client
        .extract::<UserDetails>()
        .system(SYSTEM)
        .user(USER)
        .temperature(0.0)
        .max_tokens(256)
        .stream_partial()
        .into_final_with_extraction()
        .await
        .expect("llama.cpp's /v1/responses streams the user");
    eprintln!("E2E responses stream: {user:?}");
    assert!(user.name.contains("Jason"), "{user:?}");
    assert_eq!(user.age, 20, "{user:?}");
    assert!(extraction.usage.completion_tokens > 0);
}
