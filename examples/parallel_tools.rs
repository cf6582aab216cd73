//! Parallel tools: Python instructor's `Iterable[Weather | GoogleSearch]` example. One tool per
//! variant of an enum; the model calls as many as the question needs, in one reply, and each
//! call comes back as its variant, validated on its own. Then the same calls streamed, each
//! as soon as the next one begins.
//!
//! ```text
//! INSTRUCTOR_BASE_URL=http://127.0.0.1:8080/v1 INSTRUCTOR_MODEL=my-model \
//!     cargo run --example parallel_tools
//! ```
//!
//! `scripts/local-llm` starts such a server on this machine (docs/local-llm.md).

use instructor::{Error, Instructor, Mode, StreamExt};

/// Look up the current weather in a city.
#[derive(Debug, serde::Deserialize, Instructor, garde::Validate)]
struct Weather {
    /// The city, as the question names it.
    #[garde(length(min = 1))]
    location: String,
    /// `imperial` or `metric`.
    #[garde(length(min = 1))]
    units: String,
}

/// Search the web.
#[derive(Debug, serde::Deserialize, Instructor, garde::Validate)]
struct GoogleSearch {
    /// What to search for.
    #[garde(length(min = 1))]
    query: String,
}

/// What the assistant can do: each variant is one tool.
#[derive(Debug, serde::Deserialize, Instructor, garde::Validate)]
#[instructor(tools)]
enum Action {
    Weather(#[garde(dive)] Weather),
    GoogleSearch(#[garde(dive)] GoogleSearch),
}

const SYSTEM: &str = "You must always use tools.";
const QUESTION: &str = "What is the weather in Toronto and Dallas? Who won the Super Bowl?";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = instructor::Client::from_env()?;

    match client
        .tool_calls::<Action>()
        .system(SYSTEM)
        .user(QUESTION)
        .max_retries(1)
        .send()
        .await
    {
        Ok(actions) => {
            for action in actions {
                println!("{action:?}");
            }
        }
        Err(e) => report(&e),
    }

    println!("-- streamed");
    let mut calls = client
        .extract::<Action>()
        .mode(Mode::ParallelTools)
        .system(SYSTEM)
        .user(QUESTION)
        .stream_iter();
    while let Some(call) = calls.next().await {
        match call {
            Ok(action) => println!("{action:?}"),
            Err(e) => report(&e),
        }
    }
    Ok(())
}

fn report(e: &Error) {
    eprintln!("error: {e}");
}
