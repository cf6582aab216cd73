//! Runtime of [instructor-rs](https://docs.rs/instructor): the [`Instructor`] trait, JSON
//! Schema generation and validation, and the [`Client`] that extracts values from any
//! OpenAI-compatible chat-completions endpoint.
//!
//! Most users depend on the `instructor` facade crate, which re-exports this crate and the
//! `#[derive(Instructor)]` macro.

#![warn(missing_docs)]

pub mod grounding;
mod instructor;
pub mod partial_json;
pub mod schema;
pub mod validation;

mod attempt;
pub mod batch;
mod client;
mod derived;
mod dialect;
mod error;
mod example;
mod extract;
mod hooks;
mod input;
mod judge;
mod llm_validator;
mod maybe;
pub mod mode;
pub mod parse;
mod prompt;
mod provider;
mod reask;
mod repair;
mod repetition;
mod reply;
mod request;
pub mod retry;
mod server;
mod std_impls;
mod stream;
mod think;
mod tools;
pub mod wire;
mod wrap;

#[doc(hidden)]
pub mod __private;

pub use crate::grounding::{Cited, Quote};
pub use crate::instructor::{Example, Extractable, Instructor};
pub use crate::schema::SchemaGenerator;
pub use crate::validation::{JsonPath, ValidationError, ValidationErrors};

pub use crate::attempt::{Attempt, Extraction};
pub use crate::batch::ExtractMany;
pub use crate::client::{
    Client, ClientBuilder, ANYSCALE_BASE_URL, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_MAX_TOKENS,
    GEMINI_BASE_URL, OPENAI_BASE_URL,
};
pub use crate::dialect::strict::strict_schema;
pub use crate::error::{AttemptError, Error, ErrorKind};
pub use crate::example::check_examples;
pub use crate::extract::Extract;
pub use crate::hooks::{RequestEvent, ResponseEvent};
pub use crate::input::{Audio, AudioFormat, Content, Detail, Image, IntoParts, Part, Pdf};
pub use crate::llm_validator::{llm_validator, LlmValidator, Verdict};
pub use crate::maybe::{Maybe, MaybePartial};
pub use crate::mode::Mode;
pub use crate::prompt::Prompting;
pub use crate::provider::Provider;
pub use crate::repair::Repair;
pub use crate::retry::RetryPolicy;
pub use crate::server::Server;
pub use crate::stream::{ItemStream, PartialStream};
pub use crate::tools::ToolSet;
pub use crate::wire::{ChatCompletion, Message, Role, ToolCall, Usage};

/// `Stream` and its `next()`, re-exported from `futures-util` so that reading a
/// [`PartialStream`] or an [`ItemStream`] needs no other crate.
pub use futures_util::{Stream, StreamExt};

/// The HTTP client crate the SDK uses, for [`ClientBuilder::http_client`].
pub use reqwest;

/// The secret type the API key is held in ([`ClientBuilder::api_key`] takes one).
pub use secrecy;

/// The garde version the derive works with, re-exported so generated code and users agree.
pub use garde;
