//! Schema dialects: the same JSON Schema rewritten for what a receiver accepts.

pub(crate) mod describe;
pub(crate) mod lean;
pub(crate) mod one_of;
pub(crate) mod strict;

pub use strict::strict_schema;
#[doc(hidden)]
pub use strict::untyped_field;
