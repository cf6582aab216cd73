//! Runtime of [instructor-rs](https://docs.rs/instructor): the [`Instructor`] trait, JSON
//! Schema generation and validation, and the [`Client`] that extracts values from any
//! OpenAI-compatible chat-completions endpoint.
//!
//! Most users depend on the `instructor` facade crate, which re-exports this crate and the
//! `#[derive(Instructor)]` macro.

#![warn(missing_docs)]

mod instructor;
pub mod partial_json;
pub mod schema;
pub mod validation;

mod batch;
mod client;
mod error;
mod extract;
pub mod mode;
mod parse;
mod reask;
pub mod retry;
mod stream;
mod validators;
pub mod wire;

#[doc(hidden)]
pub mod __private;

pub use crate::instructor::{push_verbatim, Instructor, PathSegment};
pub use crate::schema::SchemaGenerator;
pub use crate::validation::{JsonPath, ValidationError, ValidationErrors, ValidatorOutput};

pub use crate::batch::{EachRequest, ExtractMany, Progress, UserMessage, DEFAULT_CONCURRENCY};
pub use crate::client::{
    Client, ClientBuilder, RequestEvent, ResponseEvent, ANYSCALE_BASE_URL,
    DEFAULT_MAX_RESPONSE_BYTES, OPENAI_BASE_URL,
};
pub use crate::error::{AttemptError, Error};
pub use crate::extract::{
    Attempt, Completion, DefaultContext, Extract, ValidationContext, WithContext,
};
pub use crate::mode::{strict_schema, Mode};
pub use crate::parse::extract_json;
pub use crate::retry::RetryPolicy;
pub use crate::stream::{ItemStream, PartialStream};

pub use crate::validators::{
    llm_validator, IntoValidatorFailure, LlmValidator, ValidatorFailure, Verdict,
};
pub use crate::wire::{ChatCompletion, Message, Role, ToolCall, Usage};
/// `Stream` and its `next()`, re-exported from `futures-util` so that reading a
/// [`PartialStream`] or an [`ItemStream`] needs no other crate.
pub use futures_util::{Stream, StreamExt};

/// The HTTP client crate the SDK uses, for [`ClientBuilder::http_client`].
pub use reqwest;

/// The garde version the derive works with, re-exported so generated code and users agree.
pub use garde;
