//! Runtime of [instructor-rs](https://docs.rs/instructor): the [`Instructor`] trait, JSON
//! Schema generation and validation, and the [`Client`] that extracts values from any
//! OpenAI-compatible chat-completions endpoint.
//!
//! Most users depend on the `instructor` facade crate, which re-exports this crate and the
//! `#[derive(Instructor)]` macro.

#![warn(missing_docs)]

/// `impl Display` for the enums named by one fixed string each: writes `as_str()`. Defined
/// before the modules, which invoke it next to their `as_str`.
macro_rules! display_as_str {
    ($t:ty) => {
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

// What a user reads beyond the root: each module's page lists its items.
pub mod batch;
pub mod batch_file;
pub mod bill;
pub mod cache;
pub mod cassette;
pub mod client;
pub mod grounding;
pub mod hooks;
pub mod input;
pub mod maybe;
pub mod mode;
pub mod partial_json;
pub mod retry;
pub mod schema;
pub mod testing;
pub mod validation;
pub mod wire;

mod attempt;
mod budget;
mod derived;
pub mod dialect;
mod error;
mod example;
mod extract;
mod instructor;
mod judge;
mod llm_validator;
mod parse;
mod prompt;
mod provider;
mod reask;
mod repair;
mod repetition;
mod reply;
mod request;
mod send;
mod server;
mod setters;
mod std_impls;
mod stream;
mod think;
mod tools;
mod wrap;

#[doc(hidden)]
pub mod __private;

// The root: what a user types. The client and its settings, ...
pub use crate::bill::{Price, Prices};
pub use crate::client::{Client, ClientBuilder};
pub use crate::mode::Mode;
pub use crate::prompt::Prompting;
pub use crate::provider::Provider;
pub use crate::retry::RetryPolicy;
pub use crate::server::Server;
// ... the request and what it gives back, ...
pub use crate::attempt::{Attempt, Extraction, Fallback};
pub use crate::batch::{ExtractMany, Progress};
pub use crate::extract::Extract;
pub use crate::repair::Repair;
pub use crate::stream::{ItemStream, PartialStream};
// ... the derive's trait, ...
pub use crate::instructor::{Example, Extractable, Instructor};
// ... what goes in, ...
pub use crate::input::{Audio, Image, Part, Pdf};
pub use crate::wire::{Message, Role, Usage};
// ... the shapes an answer may take, ...
pub use crate::grounding::{Cited, Quote, Source};
pub use crate::maybe::Maybe;
pub use crate::tools::ToolSet;
// ... what can go wrong, and checks of your own.
pub use crate::error::{AttemptError, Error, ErrorKind};
pub use crate::llm_validator::{llm_validator, LlmValidator, Verdict};
pub use crate::validation::{ValidationError, ValidationErrors};

/// `Stream` and its `next()`, re-exported from `futures-util` so that reading a
/// [`PartialStream`] or an [`ItemStream`] needs no other crate.
pub use futures_util::{Stream, StreamExt};

/// The HTTP client crate the SDK uses, for [`ClientBuilder::http_client`].
pub use reqwest;

/// The secret type the API key is held in ([`ClientBuilder::api_key`] takes one).
pub use secrecy;

/// The garde version the derive works with, re-exported so generated code and users agree.
pub use garde;
