//! The seed's extraction once per provider, each client made from the environment: those
//! whose key is set answer, the others say which variable to set.
//!
//! ```text
//! ANTHROPIC_API_KEY=... GEMINI_API_KEY=... OPENAI_API_KEY=... cargo run --example providers
//! ```
//!
//! With `INSTRUCTOR_BASE_URL` pointing at the local llama.cpp (`scripts/local-llm`), the same
//! extraction also goes through its three dialects: chat completions, Anthropic's Messages
//! (`/v1/messages`) and OpenAI's Responses (`/v1/responses`).

use instructor::{Client, Mode, Provider, Server};

mod common;
use common::UserDetails;

async fn extract(label: &str, client: Result<Client, instructor::Error>) {
    let client = match client {
        Ok(c) => c,
        Err(e) => return println!("{label}: skipped: {e}"),
    };
    let result = client
        .extract::<UserDetails>()
        .system("You are a world class extractor")
        .user(r#"Extract the following entities: "Jason is 20""#)
        .temperature(0.0)
        .max_tokens(256)
        .max_retries(2)
        .send_with_extraction()
        .await;
    match result {
        Ok((user, extraction)) => println!(
            "{label}: {user:?} ({} via {}, {} attempt(s), {} tokens)",
            extraction.model,
            extraction.provider.name(),
            extraction.attempts.len(),
            extraction.usage.total_tokens
        ),
        Err(e) => println!("{label}: {e}"),
    }
}

#[tokio::main]
async fn main() {
    for spec in [
        "openai/gpt-4o-mini",
        "openai-responses/gpt-4o-mini",
        "anthropic/claude-sonnet-4-5",
        "gemini/gemini-2.5-flash",
    ] {
        extract(spec, Client::from_provider(spec)).await;
    }
    let Ok(base) = std::env::var("INSTRUCTOR_BASE_URL") else {
        return;
    };
    let model = std::env::var("INSTRUCTOR_MODEL").unwrap_or_else(|_| "gemma-3-270m".into());
    // llama.cpp serves the three dialects under one root: the chat and Responses dialects
    // take the `/v1` base, Anthropic's adds `/v1/messages` to the host.
    let host = base
        .trim_end_matches('/')
        .trim_end_matches("/v1")
        .to_owned();
    let local = |provider: Provider, base: &str, mode: Mode| {
        Client::builder()
            .provider(provider)
            .base_url(base)
            .server(Server::LlamaCpp)
            .default_model(model.clone())
            .default_mode(mode)
            .build()
    };
    extract(
        "llama.cpp chat completions",
        local(Provider::OpenAiChat, &base, Mode::JsonSchema),
    )
    .await;
    extract(
        "llama.cpp Responses",
        local(Provider::OpenAiResponses, &base, Mode::JsonSchema),
    )
    .await;
    extract(
        "llama.cpp Anthropic Messages",
        local(Provider::Anthropic, &host, Mode::Tools),
    )
    .await;
}
