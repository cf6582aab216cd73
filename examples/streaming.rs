//! Both streaming forms against any OpenAI-compatible server:
//!
//! - `stream_partial`: a `Report` whose fields fill in as the model writes them;
//! - `stream_iter`: the people in a text, each as soon as the model has finished it.
//!
//! ```text
//! INSTRUCTOR_BASE_URL=http://127.0.0.1:8080/v1 INSTRUCTOR_MODEL=gemma-3-270m \
//!     cargo run --example streaming
//! ```

use instructor::{Instructor, StreamExt};

/// A short report on a text.
#[derive(Debug, serde::Deserialize, Instructor, garde::Validate)]
struct Report {
    /// A title of a few words.
    #[garde(length(min = 1))]
    title: String,
    /// One-sentence summary.
    #[garde(length(min = 1))]
    summary: String,
    /// Topics the text touches, most important first.
    #[garde(length(max = 5))]
    topics: Vec<String>,
}

/// A person mentioned in the text.
#[derive(Debug, serde::Deserialize, Instructor, garde::Validate)]
struct Person {
    #[garde(length(min = 1))]
    name: String,
    /// Age in whole years.
    #[garde(range(max = 150))]
    age: u8,
}

const TEXT: &str = "Jason is 20 and studies physics in Lyon. His sister Ada, 36, \
                    builds bridges; their grandfather Tom, 81, still sails every summer.";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = instructor::Client::from_env()?;
    let model = client.default_model().unwrap_or("gpt-4o-mini").to_owned();

    println!("-- stream_partial");
    let mut partials = client
        .extract::<Report>()
        .model(&model)
        .system("You are a world class analyst.")
        .user(format!("Write a report on this text: {TEXT}"))
        .max_retries(1)
        .stream_partial();
    while let Some(partial) = partials.next().await {
        let partial = partial?;
        println!("attempt {}: {partial:?}", partials.attempt());
    }
    let report = partials.into_final().await?;
    println!("final: {report:#?}");

    println!("-- stream_iter");
    let mut people = client
        .extract::<Person>()
        .model(&model)
        .system("You are a world class extractor.")
        .user(format!("Extract every person in: {TEXT}"))
        .stream_iter();
    while let Some(person) = people.next().await {
        match person {
            Ok(p) => println!("{p:?}"),
            Err(e) => println!("skipped: {e}"),
        }
    }
    Ok(())
}
