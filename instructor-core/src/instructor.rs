//! The [`Instructor`] trait: what a type must tell the SDK to be extracted; [`Example`], a
//! worked example a type declares; [`Extractable`], the one bound of generic code. The
//! implementations for the standard types are in `std_impls.rs`; the defaults of a derived
//! type's methods call into the derive's machinery (`derived/`), which does not name the
//! trait.

use std::borrow::Cow;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::derived::manifest::Table;
use crate::derived::partial::{self, Reader};
use crate::derived::path::PathSegment;
use crate::derived::visit::{Phase, Translate, Validate, Visitor};
use crate::schema::{cached_root_schema, SchemaGenerator};
use crate::validation::{JsonPath, ValidationErrors};

/// A type that can be extracted from a model's answer: it knows its JSON Schema, how to
/// validate itself, and its partial form for streaming.
///
/// Derive it with `#[derive(Instructor)]`; the implementations for `String`, integers,
/// `Vec<T>`, `Option<T>`, maps and the other standard types come with this crate.
///
/// ```
/// use instructor_core::Instructor;
///
/// let schema = <Vec<u8> as Instructor>::json_schema();
/// assert_eq!(schema["items"]["maximum"], 255);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be described to a model: it does not implement `Instructor`",
    label = "this type has no JSON Schema",
    note = "add `#[derive(instructor::Instructor)]` to `{Self}`, or, for a foreign type, \
            `#[instructor(schema_with = path::to::fn)]` to the field"
)]
pub trait Instructor: Sized {
    /// The partial companion used while streaming: every field optional, nested types partial
    /// too. Leaf types (numbers, strings, enums) are their own partial form.
    type Partial;

    /// The context garde rules receive (`#[garde(context(C))]`); `()` for most types.
    type Context;

    /// The name of the type in `$defs` and in tool names (`UserDetails`, `Page_for_User`).
    ///
    /// The derive gives every type its name; a type implemented by hand that does not write
    /// this method is named by its Rust path ([`std::any::type_name`]).
    fn schema_name() -> Cow<'static, str> {
        match Self::__table().and_then(Table::name) {
            Some(name) => Cow::Borrowed(name),
            None => Cow::Borrowed(std::any::type_name::<Self>()),
        }
    }

    /// The type's description (its doc comment), if it has one.
    fn description() -> Option<&'static str> {
        Self::__table().and_then(Table::doc)
    }

    /// Worked examples of extracting this type from a text, sent to the model before the
    /// caller's messages (see [`Example`]). `#[instructor(example(text = .., answer = ..))]`
    /// declares them; none by default.
    fn examples() -> &'static [Example] {
        &[]
    }

    /// The schema of this type inside a larger one, registering definitions in `gen`.
    /// Named types return a `$ref`.
    ///
    /// Written by the derive (for a named struct, read from its table and the field types
    /// its `__read` names). A type implemented by hand must write it: the default panics
    /// with the type's name when the type has no derived table.
    fn schema(gen: &mut SchemaGenerator) -> Value {
        let key = std::any::type_name::<Self>();
        partial::schema_of(gen, Self::__table(), key, Self::schema_name, &mut |r| {
            Self::__read(r);
        })
    }

    /// The complete root schema (draft 2020-12), built once per process and reused.
    fn json_schema() -> &'static Value {
        match Self::__table() {
            Some(table) => table.root_schema(Self::schema, cached_root_schema::<Self>),
            None => cached_root_schema::<Self>(),
        }
    }

    /// Runs every rule (garde rules, `#[instructor(validate = ..)]` validators, those of
    /// nested values), collecting all failures with their JSON paths.
    fn validate(&self) -> Result<(), ValidationErrors>
    where
        Self::Context: Default,
    {
        self.validate_with(&Default::default())
    }

    /// [`validate`](Instructor::validate) with an explicit garde context.
    ///
    /// The context reaches the garde rules of `Self`; values nested in containers
    /// (`Vec<T>`, `Option<T>`, ...) are validated with their own default context, and garde
    /// rules of nested types whose context has no default are skipped there.
    fn validate_with(&self, ctx: &Self::Context) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::new();
        self.validate_into(ctx, &mut errors);
        errors.into_result()
    }

    /// [`validate_with`](Instructor::validate_with) into `errors`, whose source (if any) the
    /// value's quotes are checked against: what an extraction calls. A type whose garde rules
    /// take a context writes it (the derive does).
    #[doc(hidden)]
    fn validate_into(&self, ctx: &Self::Context, errors: &mut ValidationErrors) {
        let _ = ctx;
        self.validate_at(&mut JsonPath::root(), errors, true);
    }

    /// Builds the partial form from a (possibly incomplete) JSON value; `None` when nothing
    /// usable is there yet.
    ///
    /// Written by the derive (for a named struct, its `__read`). A type implemented by hand
    /// writes it; the default finds nothing usable in a type without a derived table.
    fn partial_from_value(value: Value) -> Option<Self::Partial> {
        partial::read(value, Self::__table(), Self::__read)
    }

    /// Validates `self` as a value found at `path` inside a larger one.
    ///
    /// `run_garde` is false when the enclosing type's garde rules already covered this
    /// value (`#[garde(dive)]`), so errors are not reported twice. Called by derived code.
    #[doc(hidden)]
    fn validate_at(&self, path: &mut JsonPath, errors: &mut ValidationErrors, run_garde: bool) {
        self.__visit(&mut Validate::new(path, errors, run_garde, Phase::All));
    }

    /// Turns a garde path (Rust field names) into the JSON path the model sees (serde
    /// names), appending to `out`. Called by derived code.
    #[doc(hidden)]
    fn json_path(&self, rest: &[PathSegment<'_>], out: &mut JsonPath) {
        let mut t = Translate::new(rest, out);
        self.__visit(&mut t);
        t.finish();
    }

    /// What `#[derive(Instructor)]` knows about the type, as data: its schema tree, the
    /// names of its fields, its doc comment. The derive's types only.
    #[doc(hidden)]
    fn __table() -> Option<&'static Table> {
        None
    }

    /// Reads a named struct's partial companion, field by field, from `reader`; the same
    /// function, run by a recording reader, gives the fields' schemas (see
    /// `derived/partial.rs`). The derive's named structs only.
    #[doc(hidden)]
    fn __read(reader: &mut Reader) -> Option<Self::Partial> {
        let _ = reader;
        None
    }

    /// Hands the value's garde rules and the values of its fields that may hold rules to
    /// `visitor`: what `validate_at` and `json_path` walk by default. The derive's types
    /// only; the others do nothing, and their paths are copied as they are.
    #[doc(hidden)]
    fn __visit(&self, visitor: &mut dyn Visitor) {
        let _ = visitor;
    }
}

/// A worked example of an extraction: a text and the answer to extract from it.
///
/// Declared on a type by the derive, and read with
/// [`Instructor::examples`](crate::Instructor::examples):
///
/// (Compiled with the `instructor` crate in `docs/modes.md`; this crate does not depend on
/// the derive.)
///
/// ```ignore
/// use instructor::Instructor;
///
/// /// A person mentioned in the text.
/// #[derive(serde::Deserialize, Instructor)]
/// #[instructor(example(
///     text = "Our neighbour Carlos Mendes celebrated his 41st birthday.",
///     answer = r#"{"name": "Carlos Mendes", "age": 41}"#,
/// ))]
/// struct Person {
///     name: String,
///     age: u8,
/// }
///
/// assert_eq!(Person::examples()[0].text, "Our neighbour Carlos Mendes celebrated his 41st birthday.");
/// ```
///
/// Every [`Prompting`](crate::Prompting) but `Plain` sends a type's examples before the
/// caller's messages, one turn each (the text as the user's message, the answer as the
/// assistant's, in the form the mode asks for); the answer is read into the type and
/// validated before the first request that sends it ([`Error::Config`](crate::Error::Config)
/// otherwise). Write the text as users' texts are, and the answer as the value you want: a
/// small model copies what it sees, so values that could answer a real text (a common name,
/// the first variant of an enum) may be copied into its answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Example {
    /// The text the example extracts from, sent as a user message.
    pub text: &'static str,
    /// The answer, as JSON text: a value of the type, as serde reads it.
    pub answer: &'static str,
}

/// A type a [`Client`](crate::Client) can extract with no further setup: it is
/// [`Instructor`], read with serde, sent across tasks, and validated with its default
/// context. Implemented for every such type: use it as the one bound of generic code.
///
/// ```
/// use instructor_core::{Client, Error, Extractable};
///
/// async fn first_of<T: Extractable>(client: &Client, text: &str) -> Result<T, Error> {
///     client.extract::<T>().user(text).send().await
/// }
/// ```
///
/// A type whose garde rules need a context without `Default` is not `Extractable`: give
/// the context with [`Extract::validation_context`](crate::Extract::validation_context).
pub trait Extractable:
    Instructor<Context: Default, Partial: Send> + DeserializeOwned + Send + 'static
{
}

impl<T> Extractable for T where
    T: Instructor<Context: Default, Partial: Send> + DeserializeOwned + Send + 'static
{
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A type implemented by hand that writes only what the trait still requires.
    struct ByHand;

    impl Instructor for ByHand {
        type Partial = ();
        type Context = ();
    }

    #[test]
    fn a_type_by_hand_is_named_by_its_rust_path() {
        assert_eq!(ByHand::schema_name(), std::any::type_name::<ByHand>());
    }

    #[test]
    fn a_type_by_hand_reads_no_partial_value_unless_it_says_how() {
        assert_eq!(ByHand::partial_from_value(serde_json::json!({})), None);
    }

    #[test]
    #[should_panic(expected = "implements `Instructor` by hand and must write `schema`")]
    fn a_type_by_hand_without_a_schema_says_what_to_write() {
        let _ = ByHand::json_schema();
    }
}
