//! The e2e server through the other dialects llama.cpp serves: Anthropic's Messages
//! (`/v1/messages`) and OpenAI's Responses API (`/v1/responses`).

use instructor::{Provider, Server};

use super::*;

/// The e2e server through Anthropic's Messages dialect (`Provider::Anthropic`, as
/// `Client::anthropic` configures it, at the server's host: llama.cpp serves
/// `/v1/messages`), or `None` to skip.
fn anthropic_client(test: &str) -> Option<Client> {
    let plain = e2e_client(test)?;
    let host = plain
        .base_url()
        .trim_end_matches('/')
        .trim_end_matches("/v1");
    Some(
        e2e_builder(test)?
            .provider(Provider::Anthropic)
            .base_url(host)
            .default_mode(Mode::Tools)
            .build()
            .expect("the e2e client configuration is valid"),
    )
}

/// llama.cpp's `/v1/messages` turns the forced tool into `tool_choice: "required"` and
/// drops `output_config` (it has no structured-output path there), so a forced tool is the
/// only constraint this dialect can put on llama.cpp; gemma-3-270m's template has no tool
/// support, so the model writes text (`Truncated` at `max_tokens`). The reply and its usage
/// are read either way: the dialect's decoding is what this checks.
#[tokio::test]
async fn anthropic_dialect_extracts_the_seed_or_fails_clearly() {
    let Some(client) = anthropic_client("anthropic_dialect_extracts_the_seed_or_fails_clearly")
    else {
        return;
    };
    for mode in [Mode::Tools, Mode::Json, Mode::JsonSchema] {
        let label = format!("anthropic {mode:?}");
        let request = client
            .extract::<UserDetails>()
            .mode(mode)
            .system(SYSTEM)
            .user(USER)
            .max_retries(2);
        let result = run(&label, request).await;
        if let Err(Error::Truncated { usage, .. }) = &result {
            assert!(
                usage.prompt_tokens > 0 && usage.completion_tokens > 0,
                "{usage:?}"
            );
        }
        assert_jason_or_clear_failure(&label, result);
    }
}

/// The same through llama.cpp's Messages event stream: `message_start` .. `message_stop`
/// decoded into the value or a clear truncation, with the usage of both ends merged.
#[tokio::test]
async fn anthropic_dialect_streams_the_seed_or_fails_clearly() {
    let Some(client) = anthropic_client("anthropic_dialect_streams_the_seed_or_fails_clearly")
    else {
        return;
    };
    let started = Instant::now();
    let result = client
        .extract::<UserDetails>()
        .system(SYSTEM)
        .user(USER)
        .temperature(0.0)
        .max_tokens(128)
        .stream_partial()
        .into_final_with_extraction()
        .await;
    eprintln!(
        "E2E anthropic stream: {:.2}s: {result:?}",
        started.elapsed().as_secs_f64()
    );
    match result {
        Ok((user, extraction)) => {
            assert_jason(&user);
            assert!(extraction.usage.total_tokens > 0);
        }
        Err(Error::Truncated { usage, .. }) => {
            assert!(usage.prompt_tokens > 0, "{usage:?}");
            assert_eq!(usage.completion_tokens, 128, "{usage:?}");
            assert_eq!(usage.total_tokens, usage.prompt_tokens + 128, "{usage:?}");
        }
        Err(e) => panic!("unexpected kind of error: {e:?}"),
    }
}

/// The e2e server through the Responses dialect: [`Client::openai_responses`]'s
/// configuration (the Responses provider, [`Mode::JsonSchemaStrict`]) with the local base
/// URL, and [`Server::LlamaCpp`]: llama.cpp does not read `text.format`, so for that server
/// the body also carries chat's `response_format`, which llama.cpp compiles into a grammar.
/// Without it the model writes free text. `None` to skip.
fn responses_client(test: &str) -> Option<Client> {
    Some(
        e2e_builder(test)?
            .provider(Provider::OpenAiResponses)
            .server(Server::LlamaCpp)
            .default_mode(Mode::JsonSchemaStrict)
            .build()
            .expect("the e2e client configuration is valid"),
    )
}

/// The request both Responses tests send: [`UserDetails`] from [`USER`] under [`SYSTEM`], at
/// temperature 0 and at most 256 tokens.
fn ask_jason(client: &Client) -> Extract<UserDetails> {
    request(client, USER).temperature(0.0).max_tokens(256)
}

#[tokio::test]
async fn responses_json_schema_strict_extracts_jason() {
    let Some(client) = responses_client("responses_json_schema_strict_extracts_jason") else {
        return;
    };
    let (user, extraction) = ask_jason(&client)
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
    assert_jason(&user);
    assert!(extraction.usage.prompt_tokens > 0);
    assert!(extraction.response().id.starts_with("resp_"));
}

#[tokio::test]
async fn responses_stream_extracts_jason() {
    let Some(client) = responses_client("responses_stream_extracts_jason") else {
        return;
    };
    let (user, extraction) = ask_jason(&client)
        .stream_partial()
        .into_final_with_extraction()
        .await
        .expect("llama.cpp's /v1/responses streams the user");
    eprintln!("E2E responses stream: {user:?}");
    assert_jason(&user);
    assert!(extraction.usage.completion_tokens > 0);
}
