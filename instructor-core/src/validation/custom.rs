//! Custom validators given to [`Extract::validator`](crate::Extract::validator): what their
//! `Err` may be, and how it is treated (re-asked, or ending the extraction).

use crate::error::Error;
use crate::validation::{ValidationError, ValidationErrors};

/// Why a custom validator rejected a value.
#[derive(Debug)]
pub enum ValidatorFailure {
    /// The value breaks a rule: the errors are sent to the model in a re-ask.
    Invalid(ValidationErrors),
    /// The check itself failed (a lookup or a validating model call): the extraction ends
    /// with this error, which is never shown to the model.
    Abort(Box<Error>),
}

/// What the `Err` of a custom validator may be. See
/// [`Extract::validator`](crate::Extract::validator).
pub trait IntoValidatorFailure {
    /// The failure.
    fn into_failure(self) -> ValidatorFailure;
}

impl IntoValidatorFailure for ValidatorFailure {
    fn into_failure(self) -> ValidatorFailure {
        self
    }
}

impl IntoValidatorFailure for ValidationErrors {
    fn into_failure(self) -> ValidatorFailure {
        ValidatorFailure::Invalid(self)
    }
}

impl IntoValidatorFailure for ValidationError {
    fn into_failure(self) -> ValidatorFailure {
        ValidatorFailure::Invalid(std::iter::once(self).collect())
    }
}

impl IntoValidatorFailure for String {
    fn into_failure(self) -> ValidatorFailure {
        ValidationError::new("", self).into_failure()
    }
}

impl IntoValidatorFailure for &str {
    fn into_failure(self) -> ValidatorFailure {
        ValidationError::new("", self).into_failure()
    }
}

impl IntoValidatorFailure for Error {
    fn into_failure(self) -> ValidatorFailure {
        ValidatorFailure::Abort(Box::new(self))
    }
}
