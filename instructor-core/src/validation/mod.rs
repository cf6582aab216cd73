//! Validation errors with the paths the model sees.
//!
//! Every error carries the path of the offending value in the JSON the model wrote
//! (serde names, not Rust names: `lineItems[2].quantity`), and a message that can be
//! shown to the model as it is when asking it to correct its answer.

use std::fmt;

use crate::grounding::source::Source;

pub(crate) mod context;
pub(crate) mod custom;

pub use self::context::{DefaultContext, ValidationContext, WithContext};
pub use self::custom::{IntoValidatorFailure, ValidatorFailure};

/// One failed rule: where, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    path: String,
    message: String,
}

impl ValidationError {
    /// An error at `path` (`""` for the value itself, else `field`, `list[2].field`, ...).
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
        }
    }

    /// The path of the offending value in the JSON document, using the names the model
    /// sees (`lines[2].quantity`). Empty for the document itself.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// What is wrong, in words.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "(root): {}", self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// Every rule a value broke, in the order they were checked.
///
/// `Display` prints one `path: message` line per error, the form sent back to the model.
///
/// While a value is validated, the list may also carry the text its [`Quote`]s are checked
/// against ([`against`](Self::against)): the extraction passes its source down this way,
/// with the list every rule already writes to. The source is not part of the errors: it is
/// not compared, printed, or kept by [`into_result`](Self::into_result).
///
/// [`Quote`]: crate::Quote
#[derive(Clone, Default)]
pub struct ValidationErrors {
    errors: Vec<ValidationError>,
    source: Option<Source>,
}

impl PartialEq for ValidationErrors {
    fn eq(&self, other: &Self) -> bool {
        self.errors == other.errors
    }
}

impl Eq for ValidationErrors {}

impl fmt::Debug for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ValidationErrors")
            .field("errors", &self.errors)
            .finish()
    }
}

impl ValidationErrors {
    /// No errors yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// No errors yet, and `source` as the text the value's quotes must appear in.
    pub fn against(source: Source) -> Self {
        Self {
            errors: Vec::new(),
            source: Some(source),
        }
    }

    /// The text quotes are checked against, when the validation has one.
    pub fn source(&self) -> Option<&Source> {
        self.source.as_ref()
    }

    /// An empty list with the same source, for rules whose errors are moved before they
    /// are added here.
    pub(crate) fn child(&self) -> Self {
        Self {
            errors: Vec::new(),
            source: self.source.clone(),
        }
    }

    /// Adds an error.
    pub fn push(&mut self, error: ValidationError) {
        self.errors.push(error);
    }

    /// Adds an error at `path`.
    pub fn add(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.push(ValidationError::new(path, message));
    }

    /// Whether no rule failed.
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// How many rules failed.
    pub fn len(&self) -> usize {
        self.errors.len()
    }

    /// The errors, in order.
    pub fn iter(&self) -> std::slice::Iter<'_, ValidationError> {
        self.errors.iter()
    }

    /// `Ok(())` when empty, else `Err(self)` (without the source).
    pub fn into_result(mut self) -> Result<(), ValidationErrors> {
        if self.is_empty() {
            Ok(())
        } else {
            self.source = None;
            Err(self)
        }
    }
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ValidationErrors {}

impl IntoIterator for ValidationErrors {
    type Item = ValidationError;
    type IntoIter = std::vec::IntoIter<ValidationError>;
    fn into_iter(self) -> Self::IntoIter {
        self.errors.into_iter()
    }
}

impl<'a> IntoIterator for &'a ValidationErrors {
    type Item = &'a ValidationError;
    type IntoIter = std::slice::Iter<'a, ValidationError>;
    fn into_iter(self) -> Self::IntoIter {
        self.errors.iter()
    }
}

impl FromIterator<ValidationError> for ValidationErrors {
    fn from_iter<I: IntoIterator<Item = ValidationError>>(iter: I) -> Self {
        Self {
            errors: iter.into_iter().collect(),
            source: None,
        }
    }
}

/// `path` (relative to the value of `field`) relative to the object holding `field`:
/// `""` -> `field`, `[1].age` -> `field[1].age`, `name` -> `field.name`.
pub(crate) fn path_under(field: &str, path: &str) -> String {
    if path.is_empty() {
        field.to_owned()
    } else if path.starts_with('[') {
        format!("{field}{path}")
    } else {
        format!("{field}.{path}")
    }
}

/// A path in the JSON document, built while walking a value.
///
/// Used by the derive's generated code; `push_*` return the length to `truncate` back to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JsonPath(String);

impl JsonPath {
    /// The document itself.
    pub fn root() -> Self {
        Self::default()
    }

    /// The path as text (`lines[2].quantity`).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Appends an object key; returns the previous length.
    pub fn push_key(&mut self, key: &str) -> usize {
        let len = self.0.len();
        if !self.0.is_empty() {
            self.0.push('.');
        }
        self.0.push_str(key);
        len
    }

    /// Appends an array index; returns the previous length.
    pub fn push_index(&mut self, index: usize) -> usize {
        // Called for every element of every validated list: digits by hand, not `write!`.
        let len = self.0.len();
        let mut digits = [0u8; 20];
        let mut at = digits.len();
        let mut n = index;
        loop {
            at -= 1;
            digits[at] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.0.push('[');
        self.0
            .push_str(std::str::from_utf8(&digits[at..]).expect("ASCII digits"));
        self.0.push(']');
        len
    }

    /// Appends an array index already in text form; returns the previous length.
    pub fn push_index_str(&mut self, index: &str) -> usize {
        let len = self.0.len();
        self.0.push('[');
        self.0.push_str(index);
        self.0.push(']');
        len
    }

    /// Goes back to a length returned by `push_*`.
    pub fn truncate(&mut self, len: usize) {
        self.0.truncate(len);
    }
}

/// What a custom validator (`#[instructor(validate = path)]`) may return: `Result<(), E>`
/// for any `E: Display` (a `String`, a `&str`, an error type); the message is reported at
/// the path of the validated value. Used by derived code.
#[doc(hidden)]
pub trait ValidatorOutput {
    /// Records the failure, if any.
    fn report(self, path: &JsonPath, errors: &mut ValidationErrors);
}

impl<E: fmt::Display> ValidatorOutput for Result<(), E> {
    fn report(self, path: &JsonPath, errors: &mut ValidationErrors) {
        if let Err(e) = self {
            errors.add(path.as_str(), e.to_string());
        }
    }
}

/// A custom validator of `T` (`#[instructor(validate = path)]`): a function of the value,
/// `fn(&T) -> Result<(), E>`, or of the value and the text its quotes are checked against,
/// `fn(&T, Option<&Source>) -> Result<(), E>`. `M` tells the two apart. Used by derived code.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a validator of `{T}`",
    label = "not a validator of `{T}`",
    note = "a validator is `fn(&{T}) -> Result<(), E>` or `fn(&{T}, Option<&instructor::grounding::Source>) -> Result<(), E>`, with `E: Display`"
)]
pub trait CustomValidator<T: ?Sized, M> {
    /// Runs the validator on `value`, recording its failure at `path`.
    fn check(&self, value: &T, path: &JsonPath, errors: &mut ValidationErrors);
}

/// [`CustomValidator`]'s marker for `fn(&T) -> Result<(), E>`.
#[doc(hidden)]
pub enum OfValue {}

/// [`CustomValidator`]'s marker for `fn(&T, Option<&Source>) -> Result<(), E>`.
#[doc(hidden)]
pub enum OfValueAndSource {}

impl<T: ?Sized, F, R> CustomValidator<T, OfValue> for F
where
    F: Fn(&T) -> R,
    R: ValidatorOutput,
{
    fn check(&self, value: &T, path: &JsonPath, errors: &mut ValidationErrors) {
        self(value).report(path, errors);
    }
}

impl<T: ?Sized, F, R> CustomValidator<T, OfValueAndSource> for F
where
    F: Fn(&T, Option<&Source>) -> R,
    R: ValidatorOutput,
{
    fn check(&self, value: &T, path: &JsonPath, errors: &mut ValidationErrors) {
        let outcome = self(value, errors.source());
        outcome.report(path, errors);
    }
}

/// Runs the custom validator `f` on `value`. Used by derived code.
#[doc(hidden)]
pub fn run_validator<T: ?Sized, M>(
    f: impl CustomValidator<T, M>,
    value: &T,
    path: &JsonPath,
    errors: &mut ValidationErrors,
) {
    f.check(value, path, errors);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_builds_and_truncates() {
        let mut p = JsonPath::root();
        let a = p.push_key("lines");
        let b = p.push_index(2);
        p.push_key("quantity");
        assert_eq!(p.as_str(), "lines[2].quantity");
        p.truncate(b);
        assert_eq!(p.as_str(), "lines");
        p.truncate(a);
        assert_eq!(p.as_str(), "");
        p.push_index(0);
        assert_eq!(p.as_str(), "[0]");
        p.push_index(1907);
        p.push_index(usize::MAX);
        assert_eq!(p.as_str(), format!("[0][1907][{}]", usize::MAX));
    }

    #[test]
    fn display_lists_one_error_per_line() {
        let mut e = ValidationErrors::new();
        e.add("", "end must not be before start");
        e.add("age", "greater than 150");
        assert_eq!(
            e.to_string(),
            "(root): end must not be before start\nage: greater than 150"
        );
        assert_eq!(e.len(), 2);
        assert!(e.clone().into_result().is_err());
        assert!(ValidationErrors::new().into_result().is_ok());
    }

    #[test]
    fn validator_output_reports_only_failures() {
        let mut errors = ValidationErrors::new();
        let mut path = JsonPath::root();
        path.push_key("range");
        Ok::<(), String>(()).report(&path, &mut errors);
        Err::<(), _>("end < start").report(&path, &mut errors);
        assert_eq!(errors.iter().next().unwrap().path(), "range");
        assert_eq!(errors.len(), 1);
    }
}
