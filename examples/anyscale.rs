//! The blog post's example: extract a `UserDetails` from a sentence with Anyscale's
//! JSON-schema mode, re-asking up to twice when the answer does not validate.
//!
//! ```text
//! ANYSCALE_API_KEY=esecret_... cargo run --example anyscale
//! ```
//!
//! Against any other OpenAI-compatible server (vLLM, llama.cpp's `llama-server`, Ollama):
//!
//! ```text
//! INSTRUCTOR_BASE_URL=http://127.0.0.1:8080/v1 INSTRUCTOR_MODEL=gemma-3-270m \
//!     cargo run --example anyscale
//! ```

use instructor::Instructor;

/// A person mentioned in the text.
#[derive(Debug, serde::Deserialize, Instructor, garde::Validate)]
struct UserDetails {
    /// The person's first name.
    #[garde(length(min = 1))]
    name: String,
    /// Age in whole years.
    #[garde(range(max = 150))]
    age: u8,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Anyscale when only its key is set; otherwise whatever the environment describes
    // (INSTRUCTOR_BASE_URL / INSTRUCTOR_API_KEY / INSTRUCTOR_MODEL / INSTRUCTOR_MODE).
    let client = match std::env::var("ANYSCALE_API_KEY") {
        Ok(key) if std::env::var_os("INSTRUCTOR_BASE_URL").is_none() => {
            instructor::Client::anyscale(key) // Mode::JsonSchema
        }
        _ => instructor::Client::from_env()?,
    };
    let model = client
        .default_model()
        .unwrap_or("mistralai/Mixtral-8x7B-Instruct-v0.1")
        .to_owned();

    let user: UserDetails = client
        .extract::<UserDetails>()
        .model(model)
        .system("You are a world class extractor")
        .user(r#"Extract the following entities: "Jason is 20""#)
        // Extraction wants the model's most likely answer, not a sample: at a server's
        // default temperature (llama.cpp samples at 0.8) a small model sometimes writes
        // another age. Greedy decoding gives the same answer on every run.
        .temperature(0.0)
        .max_retries(2)
        .send()
        .await?;

    println!("{user:?}");
    Ok(())
}
