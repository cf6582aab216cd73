//! Checks to run in your own tests: that a type's worked examples
//! (`#[instructor(example(text, answer))]`) are valid values of the type, so a broken one
//! fails `cargo test` rather than the first request that would send it.

pub use crate::example::check_examples;
