//! Runtime of [instructor-rs](https://docs.rs/instructor): the [`Instructor`] trait, JSON
//! Schema generation and validation.
//!
//! Most users depend on the `instructor` facade crate, which re-exports this crate and the
//! `#[derive(Instructor)]` macro.

#![warn(missing_docs)]

mod instructor;
pub mod schema;
pub mod validation;

#[doc(hidden)]
pub mod __private;

pub use crate::instructor::{push_verbatim, Instructor, PathSegment};
pub use crate::schema::SchemaGenerator;
pub use crate::validation::{JsonPath, ValidationError, ValidationErrors, ValidatorOutput};

/// The garde version the derive works with, re-exported so generated code and users agree.
pub use garde;
