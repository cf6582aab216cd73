//! The context an extraction validates with: the type's `Default` context, or one given with
//! [`Extract::validation_context`](crate::Extract::validation_context)(crate::Extract::validation_context).

use crate::validation::ValidationErrors;
use crate::Instructor;

/// How an extraction runs the type's own validation rules. Implemented by
/// [`DefaultContext`] (for context types with `Default`, `()` included) and
/// [`WithContext`] (set by [`Extract::validation_context`](crate::Extract::validation_context)).
#[diagnostic::on_unimplemented(
    message = "`{T}`'s validation context has no `Default`: call `.validation_context(ctx)` before sending",
    label = "this extraction needs a validation context"
)]
pub trait ValidationContext<T>: Send + Sync + 'static {
    /// Validates `value`, adding what fails to `errors` (whose source, if any, the value's
    /// quotes are checked against).
    fn validate_into(&self, value: &T, errors: &mut ValidationErrors);

    /// Validates `value`.
    fn validate(&self, value: &T) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::new();
        self.validate_into(value, &mut errors);
        errors.into_result()
    }
}

/// Validates with the context type's `Default` value.
#[derive(Debug, Clone, Copy, Default)]
pub struct DefaultContext;

impl<T: Instructor> ValidationContext<T> for DefaultContext
where
    T::Context: Default,
{
    fn validate_into(&self, value: &T, errors: &mut ValidationErrors) {
        value.validate_into(&Default::default(), errors);
    }
}

/// Validates with a context given by [`Extract::validation_context`](crate::Extract::validation_context).
#[derive(Debug, Clone)]
pub struct WithContext<C>(pub C);

impl<T, C> ValidationContext<T> for WithContext<C>
where
    T: Instructor<Context = C>,
    C: Send + Sync + 'static,
{
    fn validate_into(&self, value: &T, errors: &mut ValidationErrors) {
        value.validate_into(&self.0, errors);
    }
}
