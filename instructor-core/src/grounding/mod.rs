//! Grounded quotes: text the model says it copied from the source, checked to be there.
//!
//! A [`Quote`] field holds a passage the model copied from the text it was given. After the
//! answer is parsed, every `Quote` in it (in a struct, a list, an `Option`, a map, an enum,
//! however deep) is looked for in the [`Source`]; one that is not there is an error at its
//! JSON path (`facts[1].quote: "..." does not appear in the text`), re-asked like any other.
//! [`Cited`] is a fact with the quotes that support it.
//!
//! # What the source is
//!
//! The text given with [`Extract::source`] (each call adds a passage), or, when there is none,
//! the text of the request's `user` messages, each message a passage. Re-asks never add to
//! it, and neither do system or assistant messages. A quote must lie within one passage.
//!
//! # What "appears" means
//!
//! A quote appears when it is a substring of a passage once **whitespace** is normalized: a
//! run of whitespace characters (Unicode `White_Space`: spaces, tabs, line breaks, no-break
//! spaces, ...) matches any other run, and the whitespace at either end of the quote is not
//! part of it. Nothing else is normalized: case, punctuation, typographic quotes and dashes,
//! accents and Unicode normalization forms must be exactly as the text writes them. There is
//! no fuzzy matching: a quote is either in the text or it is an error. A quote that is empty
//! (or only whitespace) is always an error, since it would appear in any text.
//!
//! # How it is checked
//!
//! The extraction's judge holds the source and passes it down with the list the errors are
//! collected in ([`ValidationErrors::against`]): each `Quote` reads it there in its
//! [`Instructor::validate_at`], which every container and derived type already calls with
//! the value's JSON path. A type holding quotes needs no code of its own, and nothing is
//! kept per thread. [`Instructor::validate`] on a value you built has no text to check
//! against, and only empty quotes are errors there: use [`Source::validate`] to check a
//! value against a text. A custom validator (`#[instructor(validate = ..)]`) that takes the
//! source as a second argument, `fn(&T, Option<&Source>) -> Result<(), E>`, gets it for
//! checks across fields.
//!
//! [`Extract::source`]: crate::Extract::source
//! [`ValidationErrors::against`]: crate::ValidationErrors::against
//! [`Instructor::validate_at`]: crate::Instructor::validate_at
//! [`Instructor::validate`]: crate::Instructor::validate

mod cited;
mod quote;
pub(crate) mod source;

pub use cited::Cited;
pub use quote::{Quote, QUOTE_DESCRIPTION};
pub use source::{Source, Span};

use crate::validation::ValidationErrors;
use crate::Instructor;

impl Source {
    /// Validates `value` (every rule of its type, its quotes checked against this source).
    ///
    /// Here rather than in `source.rs`: the error list carries the source, so the file that
    /// defines `Source` must not know the list.
    pub fn validate<T>(&self, value: &T) -> Result<(), ValidationErrors>
    where
        T: Instructor,
        T::Context: Default,
    {
        let mut errors = ValidationErrors::against(self.clone());
        value.validate_into(&Default::default(), &mut errors);
        errors.into_result()
    }
}
