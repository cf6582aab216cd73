//! # instructor
//!
//! Structured, validated data from large language models.
//!
//! Derive [`Instructor`] on a plain Rust type; the macro writes the type's JSON Schema and
//! validation hooks at compile time.
//!
//! ```
//! use instructor::Instructor;
//!
//! /// A person mentioned in the text.
//! #[derive(Debug, serde::Deserialize, Instructor, garde::Validate)]
//! struct UserDetails {
//!     #[garde(length(min = 1))]
//!     name: String,
//!     /// Age in whole years.
//!     #[garde(range(max = 150))]
//!     age: u8,
//! }
//!
//! let schema = UserDetails::json_schema();
//! assert_eq!(schema["title"], "UserDetails");
//! assert_eq!(schema["properties"]["age"]["maximum"], 150);
//!
//! let user = UserDetails { name: String::new(), age: 200 };
//! let errors = Instructor::validate(&user).unwrap_err();
//! assert_eq!(errors.len(), 2);
//! ```

//!
//! Extraction: a [`Client`] sends the schema to any OpenAI-compatible chat-completions
//! endpoint in the [`Mode`] the server wants, parses and validates the reply, and re-asks
//! with the errors up to [`max_retries`](Extract::max_retries):
//!
//! ```no_run
//! # use instructor::Instructor;
//! # #[derive(Debug, serde::Deserialize, Instructor)]
//! # struct UserDetails { name: String, age: u8 }
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = instructor::Client::anyscale(std::env::var("ANYSCALE_API_KEY")?);
//! let user: UserDetails = client
//!     .extract::<UserDetails>()
//!     .model("mistralai/Mixtral-8x7B-Instruct-v0.1")
//!     .system("You are a world class extractor")
//!     .user(r#"Extract the following entities: "Jason is 20""#)
//!     .max_retries(2)
//!     .send()
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! Streaming: [`Extract::stream_partial`] yields the partial companion as the model writes,
//! [`Extract::stream_iter`] the elements of a list one by one.
//!
//! The guide is in the repository's `docs/` folder.

#![warn(missing_docs)]

pub use instructor_core::*;
pub use instructor_derive::Instructor;

/// Prompts checked at compile time.
///
/// ```
/// let text = "Jason is 20. Ada is 36.";
/// let prompt = instructor::prompt!("
///     Extract every person in the text.
///
///     Text: {text}
/// ");
/// assert_eq!(prompt, "Extract every person in the text.\n\nText: Jason is 20. Ada is 36.");
///
/// // A hole can also name an argument: `{name}` with `name = value`.
/// let doc = ("report.txt", "Sales rose 4%.");
/// let prompt = instructor::prompt!("List the facts in {file}: {body}", file = doc.0, body = doc.1);
/// assert_eq!(prompt, "List the facts in report.txt: Sales rose 4%.");
/// ```
pub use instructor_derive::prompt;

/// The guide's code (`docs/*.md`), compiled and run as doctests so that it stays true.
#[cfg(doctest)]
mod guide {
    #[doc = include_str!("../docs/quickstart.md")]
    struct Quickstart;
    #[doc = include_str!("../docs/derive.md")]
    struct Derive;
    #[doc = include_str!("../docs/modes.md")]
    struct Modes;
    #[doc = include_str!("../docs/retries.md")]
    struct Retries;
    #[doc = include_str!("../docs/costs.md")]
    struct Costs;
    #[doc = include_str!("../docs/errors.md")]
    struct Errors;
    #[doc = include_str!("../docs/streaming.md")]
    struct Streaming;
    #[doc = include_str!("../docs/performance.md")]
    struct Performance;
    #[doc = include_str!("../docs/local-llm.md")]
    struct LocalLlm;
    #[doc = include_str!("../docs/citations.md")]
    struct Citations;
    #[doc = include_str!("../docs/inputs.md")]
    struct Inputs;
    #[doc = include_str!("../docs/answers.md")]
    struct Answers;
    #[doc = include_str!("../docs/providers.md")]
    struct Providers;
    #[doc = include_str!("../docs/testing.md")]
    struct Testing;
    #[cfg(feature = "sqlite")]
    #[doc = include_str!("../docs/cache.md")]
    struct Cache;
    #[doc = include_str!("../docs/batch.md")]
    struct Batch;
}
