//! End-to-end tests against a real model: llama.cpp's `llama-server` with gemma-3-270m, as
//! started by `scripts/local-llm` (see docs/local-llm.md). This file: the client, the
//! request defaults, and the seed extraction mode by mode; [`structured`]: nested types,
//! re-asks, streams and grammar constructs; [`grounding`]: quotes and citations;
//! [`unwrapping`]: bare types, `Maybe` and worked examples; [`dialects`]: the Anthropic and
//! Responses dialects against the same server.
//!
//! ```text
//! INSTRUCTOR_E2E_BASE_URL=$(scripts/local-llm) cargo test --test e2e -- --test-threads=1 --nocapture
//! ```
//!
//! Without `INSTRUCTOR_E2E_BASE_URL` every test prints why it is skipped and passes.
//! `INSTRUCTOR_E2E_MODEL` (default `gemma-3-270m`, the alias the script gives the model) and
//! `INSTRUCTOR_E2E_API_KEY` (default: none) are optional.
//!
//! Every request runs at temperature 0 with a fixed seed, so the same server build and model
//! answer the same way every run. Each extraction prints its attempts and wall time.

use std::time::{Duration, Instant};

use instructor::{
    AttemptError, Client, ClientBuilder, Error, Extract, Extraction, Instructor, Maybe, Mode,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

const SEED: u64 = 42;
const USER: &str = r#"Extract the following entities: "Jason is 20""#;
const SYSTEM: &str = "You are a world class extractor";

/// The client configuration for the server under test (its URL, model, key and timeout),
/// or `None` (and a visible message) to skip.
fn e2e_builder(test: &str) -> Option<ClientBuilder> {
    let Some(url) = std::env::var("INSTRUCTOR_E2E_BASE_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
    else {
        eprintln!(
            "SKIPPED e2e::{test}: INSTRUCTOR_E2E_BASE_URL is not set \
             (run: INSTRUCTOR_E2E_BASE_URL=$(scripts/local-llm) cargo test --test e2e -- --test-threads=1)"
        );
        return None;
    };
    let model = std::env::var("INSTRUCTOR_E2E_MODEL").unwrap_or_else(|_| "gemma-3-270m".into());
    let key = std::env::var("INSTRUCTOR_E2E_API_KEY").unwrap_or_default();
    Some(
        Client::builder()
            .base_url(url)
            .api_key(key)
            .default_model(model)
            // A 270M model on 2 CPU cores answers in seconds; a minute means something is stuck.
            .timeout(Duration::from_secs(300)),
    )
}

/// The client for the server under test, or `None` (and a visible message) to skip.
fn e2e_client(test: &str) -> Option<Client> {
    Some(
        e2e_builder(test)?
            .build()
            .expect("the e2e client configuration is valid"),
    )
}

macro_rules! client_or_skip {
    ($name:expr) => {
        match e2e_client($name) {
            Some(c) => c,
            None => return,
        }
    };
}

mod batch_file;
mod dialects;
mod grounding;
mod structured;
mod unwrapping;

/// Sends `request` with the e2e defaults (temperature 0, fixed seed), printing the attempts
/// and the wall time.
async fn run<T>(label: &str, request: Extract<T>) -> Result<(T, Extraction), Error>
where
    T: Instructor + DeserializeOwned + Send + std::fmt::Debug + 'static,
    T::Context: Default,
{
    let started = Instant::now();
    let result = with_e2e_defaults(request).send_with_extraction().await;
    let elapsed = started.elapsed();
    match &result {
        Ok((value, completion)) => {
            eprintln!(
                "E2E {label}: ok, {} attempt(s), {:.2}s, {} in + {} out tokens: {value:?}",
                completion.attempts.len(),
                elapsed.as_secs_f64(),
                completion.usage.prompt_tokens,
                completion.usage.completion_tokens,
            );
            for (i, a) in completion.attempts.iter().enumerate() {
                if let Some(e) = &a.error {
                    eprintln!("    attempt {} rejected: {e}", i + 1);
                }
            }
        }
        Err(e) => eprintln!(
            "E2E {label}: error after {:.2}s: {e}",
            elapsed.as_secs_f64()
        ),
    }
    result
}

/// `request` with the e2e defaults: temperature 0, the fixed seed, at most 256 tokens.
fn with_e2e_defaults<T: Instructor>(request: Extract<T>) -> Extract<T> {
    request.temperature(0.0).seed(SEED).max_tokens(256)
}

/// `client`'s request for a `T` with the e2e system message and `user` as the user message.
fn request<T: Instructor>(client: &Client, user: impl Into<String>) -> Extract<T> {
    client.extract::<T>().system(SYSTEM).user(user)
}

/// The blog post's type.
#[derive(Debug, Serialize, Deserialize, Instructor)]
struct UserDetails {
    name: String,
    age: u8,
}

fn assert_jason(user: &UserDetails) {
    assert!(user.name.contains("Jason"), "name: {:?}", user.name);
    assert_eq!(user.age, 20, "{user:?}");
}

async fn extract_user(label: &str, mode: Mode) -> Result<(UserDetails, Extraction), Error> {
    let client = e2e_client(label).expect("checked by the caller");
    run(
        label,
        client
            .extract::<UserDetails>()
            .mode(mode)
            .system(SYSTEM)
            .user(USER)
            .max_retries(2),
    )
    .await
}

#[tokio::test]
async fn json_schema_mode_extracts_the_seed() {
    let _ = client_or_skip!("json_schema_mode_extracts_the_seed");
    let (user, _) = extract_user("json_schema", Mode::JsonSchema).await.unwrap();
    assert_jason(&user);
}

#[tokio::test]
async fn the_default_form_and_anyscales_form_both_extract_the_seed() {
    let client = client_or_skip!("the_default_form_and_anyscales_form_both_extract_the_seed");
    assert_eq!(client.default_mode(), Mode::JsonSchema);
    let server = client.detect_server().await.unwrap();
    eprintln!("E2E detect_server: {server}");
    assert_eq!(server, instructor::Server::LlamaCpp);
    // No `.mode()`: the client's default, the `json_schema` response format.
    let (user, extraction) = run(
        "default form",
        client
            .with_server(server)
            .extract::<UserDetails>()
            .system(SYSTEM)
            .user(USER),
    )
    .await
    .unwrap();
    assert_jason(&user);
    assert_eq!(extraction.attempts.len(), 1);
    let (user, _) = extract_user(
        "json_object_schema (Anyscale's form)",
        Mode::JsonObjectSchema,
    )
    .await
    .unwrap();
    assert_jason(&user);
}

#[tokio::test]
async fn json_schema_strict_mode_extracts_the_seed() {
    let _ = client_or_skip!("json_schema_strict_mode_extracts_the_seed");
    let (user, _) = extract_user("json_schema_strict", Mode::JsonSchemaStrict)
        .await
        .unwrap();
    assert_jason(&user);
}

/// For the modes that this server and model do not manage: either the extraction works
/// (a stronger model behind `INSTRUCTOR_E2E_BASE_URL`) and the answer is right, or it fails
/// with one of the clear errors an application can act on (never a decode or HTTP error).
async fn assert_works_or_fails_clearly(label: &str, mode: Mode) {
    assert_jason_or_clear_failure(label, extract_user(label, mode).await);
}

/// `result` is the seed, or `Truncated`, or `RetriesExhausted` with one error per attempt.
fn assert_jason_or_clear_failure(label: &str, result: Result<(UserDetails, Extraction), Error>) {
    match result {
        Ok((user, _)) => assert_jason(&user),
        Err(e @ Error::Truncated { .. }) => {
            eprintln!("E2E {label}: NOT MANAGED by this server/model: {e}")
        }
        Err(Error::RetriesExhausted {
            attempts,
            errors_per_attempt,
            ..
        }) => {
            assert_eq!(attempts as usize, errors_per_attempt.len());
            eprintln!(
                "E2E {label}: NOT MANAGED by this server/model after {attempts} attempt(s): {:?}",
                errors_per_attempt.last()
            );
        }
        Err(e) => panic!("{label}: unexpected kind of error: {e:?}"),
    }
}

/// `response_format: {"type":"json_object"}` + the schema in the system message: llama.cpp
/// accepts it (a generic-JSON grammar), but gemma-3-270m invents fields until `max_tokens`.
#[tokio::test]
async fn json_mode_extracts_the_seed_or_fails_clearly() {
    let _ = client_or_skip!("json_mode_extracts_the_seed_or_fails_clearly");
    assert_works_or_fails_clearly("json", Mode::Json).await;
}

/// No `response_format`, the answer read from a fence: no grammar, and gemma-3-270m echoes
/// the prompt until `max_tokens`.
#[tokio::test]
async fn md_json_mode_extracts_the_seed_or_fails_clearly() {
    let _ = client_or_skip!("md_json_mode_extracts_the_seed_or_fails_clearly");
    assert_works_or_fails_clearly("md_json", Mode::MdJson).await;
}

/// llama.cpp ignores an object `tool_choice` (its log: "Wrong type supplied for parameter
/// 'tool_choice', using default value: [json.exception.type_error.302] type must be string,
/// but is object"), and this model's chat template has no tool support, so the model writes
/// text: `Truncated` at `max_tokens`, or `NoToolCall` when it stops earlier.
#[tokio::test]
async fn tools_mode_extracts_the_seed_or_fails_clearly() {
    let _ = client_or_skip!("tools_mode_extracts_the_seed_or_fails_clearly");
    assert_works_or_fails_clearly("tools", Mode::Tools).await;
}

/// Each refused attempt's errors, for the record.
fn print_attempts(label: &str, errors: &[AttemptError]) {
    for (i, e) in errors.iter().enumerate() {
        eprintln!("E2E {label}: attempt {} refused: {e}", i + 1);
    }
}
