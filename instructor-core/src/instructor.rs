//! The [`Instructor`] trait: what a type must tell the SDK to be extracted.

use std::borrow::Cow;

use serde::de::DeserializeOwned;
use serde_json::Value;

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
        match Self::__table().and_then(crate::__private::Table::name) {
            Some(name) => Cow::Borrowed(name),
            None => Cow::Borrowed(std::any::type_name::<Self>()),
        }
    }

    /// The type's description (its doc comment), if it has one.
    fn description() -> Option<&'static str> {
        Self::__table().and_then(crate::__private::Table::doc)
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
        crate::__private::schema_of::<Self>(gen)
    }

    /// The complete root schema (draft 2020-12), built once per process and reused.
    fn json_schema() -> &'static Value {
        match Self::__table() {
            Some(table) => table.root_schema::<Self>(),
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
        let _ = ctx;
        let mut errors = ValidationErrors::new();
        self.validate_at(&mut JsonPath::root(), &mut errors, true);
        errors.into_result()
    }

    /// Builds the partial form from a (possibly incomplete) JSON value; `None` when nothing
    /// usable is there yet.
    ///
    /// Written by the derive (for a named struct, its `__read`). A type implemented by hand
    /// writes it; the default finds nothing usable in a type without a derived table.
    fn partial_from_value(value: Value) -> Option<Self::Partial> {
        crate::__private::read::<Self>(value)
    }

    /// Validates `self` as a value found at `path` inside a larger one.
    ///
    /// `run_garde` is false when the enclosing type's garde rules already covered this
    /// value (`#[garde(dive)]`), so errors are not reported twice. Called by derived code.
    #[doc(hidden)]
    fn validate_at(&self, path: &mut JsonPath, errors: &mut ValidationErrors, run_garde: bool) {
        use crate::__private::{validate_visit, Phase};
        validate_visit(self, path, errors, run_garde, Phase::All);
    }

    /// Turns a garde path (Rust field names) into the JSON path the model sees (serde
    /// names), appending to `out`. Called by derived code.
    #[doc(hidden)]
    fn json_path(&self, rest: &[PathSegment<'_>], out: &mut JsonPath) {
        crate::__private::translate(self, rest, out);
    }

    /// What `#[derive(Instructor)]` knows about the type, as data: its schema tree, the
    /// names of its fields, its doc comment. The derive's types only.
    #[doc(hidden)]
    fn __table() -> Option<&'static crate::__private::Table> {
        None
    }

    /// Reads a named struct's partial companion, field by field, from `reader`; the same
    /// function, run by a recording reader, gives the fields' schemas (see
    /// `__private::Reader`). The derive's named structs only.
    #[doc(hidden)]
    fn __read(reader: &mut crate::__private::Reader) -> Option<Self::Partial> {
        let _ = reader;
        None
    }

    /// Hands the value's garde rules and the values of its fields that may hold rules to
    /// `visitor`: what `validate_at` and `json_path` walk by default. The derive's types
    /// only; the others do nothing, and their paths are copied as they are.
    #[doc(hidden)]
    fn __visit(&self, visitor: &mut dyn crate::__private::Visitor) {
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

/// One component of a garde error path.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathSegment<'a> {
    /// A struct field or map key.
    Key(&'a str),
    /// A list index.
    Index(&'a str),
    /// A component without a key (the inside of an `Option`, a newtype).
    Unnamed,
}

/// Appends the remaining segments unchanged.
#[doc(hidden)]
pub fn push_verbatim(rest: &[PathSegment<'_>], out: &mut JsonPath) {
    for seg in rest {
        match seg {
            PathSegment::Key(k) => {
                out.push_key(k);
            }
            PathSegment::Index(i) => {
                out.push_index_str(i);
            }
            PathSegment::Unnamed => {}
        }
    }
}

macro_rules! leaf {
    ($($ty:ty => $name:literal, $schema:expr;)*) => {$(
        impl Instructor for $ty {
            type Partial = Self;
            type Context = ();
            fn schema_name() -> Cow<'static, str> {
                Cow::Borrowed($name)
            }
            fn schema(_: &mut SchemaGenerator) -> Value {
                $schema
            }
            fn partial_from_value(value: Value) -> Option<Self> {
                serde_json::from_value(value).ok()
            }
        }
    )*};
}

use serde_json::json;

leaf! {
    String => "string", json!({ "type": "string" });
    char => "char", json!({ "type": "string", "minLength": 1, "maxLength": 1 });
    bool => "boolean", json!({ "type": "boolean" });
    f32 => "float", json!({ "type": "number" });
    f64 => "double", json!({ "type": "number" });
    u8 => "uint8", json!({ "type": "integer", "minimum": 0, "maximum": u8::MAX });
    u16 => "uint16", json!({ "type": "integer", "minimum": 0, "maximum": u16::MAX });
    u32 => "uint32", json!({ "type": "integer", "minimum": 0, "maximum": u32::MAX });
    // No upper bound for 64-bit types: llama.cpp reads `u64::MAX` as a negative bound (and
    // then accepts -1), and llguidance panics on `i64::MIN` ("attempt to negate with
    // overflow"). Without both bounds llama.cpp caps such integers at 16 digits.
    u64 => "uint64", json!({ "type": "integer", "minimum": 0 });
    u128 => "uint128", json!({ "type": "integer", "minimum": 0 });
    usize => "uint", json!({ "type": "integer", "minimum": 0 });
    i8 => "int8", json!({ "type": "integer", "minimum": i8::MIN, "maximum": i8::MAX });
    i16 => "int16", json!({ "type": "integer", "minimum": i16::MIN, "maximum": i16::MAX });
    i32 => "int32", json!({ "type": "integer", "minimum": i32::MIN, "maximum": i32::MAX });
    i64 => "int64", json!({ "type": "integer" });
    i128 => "int128", json!({ "type": "integer" });
    isize => "int", json!({ "type": "integer" });
    () => "null", json!({ "type": "null" });
    // `{}`, not the boolean schema `true`: llama.cpp and outlines refuse boolean schemas.
    Value => "any", json!({});
}

macro_rules! nonzero {
    ($($ty:ident => $inner:ty;)*) => {$(
        impl Instructor for std::num::$ty {
            type Partial = Self;
            type Context = ();
            fn schema_name() -> Cow<'static, str> {
                Cow::Borrowed(stringify!($ty))
            }
            fn schema(gen: &mut SchemaGenerator) -> Value {
                let mut s = <$inner>::schema(gen);
                if <$inner>::MIN == 0 {
                    crate::schema::keywords::range(&mut s, Some(json!(1)), None);
                    return s;
                }
                // Below zero or above it: two ranges, since grammar engines refuse `not`.
                let (mut below, mut above) = (s.clone(), s);
                crate::schema::keywords::range(&mut below, None, Some(json!(-1)));
                crate::schema::keywords::range(&mut above, Some(json!(1)), None);
                json!({ "anyOf": [below, above] })
            }
            fn partial_from_value(value: Value) -> Option<Self> {
                serde_json::from_value(value).ok()
            }
        }
    )*};
}

nonzero! {
    NonZeroU8 => u8; NonZeroU16 => u16; NonZeroU32 => u32; NonZeroU64 => u64; NonZeroUsize => usize;
    NonZeroI8 => i8; NonZeroI16 => i16; NonZeroI32 => i32; NonZeroI64 => i64; NonZeroIsize => isize;
}

impl<T: Instructor> Instructor for Option<T> {
    type Partial = Option<T::Partial>;
    type Context = T::Context;
    fn schema_name() -> Cow<'static, str> {
        Cow::Owned(format!("Nullable_{}", T::schema_name()))
    }
    fn schema(gen: &mut SchemaGenerator) -> Value {
        crate::schema::keywords::nullable(T::schema(gen))
    }
    fn partial_from_value(value: Value) -> Option<Self::Partial> {
        match value {
            Value::Null => Some(None),
            v => T::partial_from_value(v).map(Some),
        }
    }
    fn validate_at(&self, path: &mut JsonPath, errors: &mut ValidationErrors, run_garde: bool) {
        if let Some(v) = self {
            v.validate_at(path, errors, run_garde);
        }
    }
    fn json_path(&self, rest: &[PathSegment<'_>], out: &mut JsonPath) {
        let rest = match rest.split_first() {
            Some((PathSegment::Unnamed, tail)) => tail,
            _ => rest,
        };
        match self {
            Some(v) => v.json_path(rest, out),
            None => push_verbatim(rest, out),
        }
    }
}

impl<T: Instructor> Instructor for Box<T> {
    type Partial = Box<T::Partial>;
    type Context = T::Context;
    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }
    fn description() -> Option<&'static str> {
        T::description()
    }
    fn examples() -> &'static [Example] {
        T::examples()
    }
    fn schema(gen: &mut SchemaGenerator) -> Value {
        T::schema(gen)
    }
    fn partial_from_value(value: Value) -> Option<Self::Partial> {
        T::partial_from_value(value).map(Box::new)
    }
    fn validate_at(&self, path: &mut JsonPath, errors: &mut ValidationErrors, run_garde: bool) {
        (**self).validate_at(path, errors, run_garde);
    }
    fn json_path(&self, rest: &[PathSegment<'_>], out: &mut JsonPath) {
        (**self).json_path(rest, out);
    }
}

/// `{"type": "array", "items": items}`, written once rather than in every list's `schema`.
fn array_of(items: Value) -> Value {
    json!({ "type": "array", "items": items })
}

// The three helpers below are compiled once per element type (every `Vec<T>` of a derived
// `T` in a program): plain loops, which compile to a fraction of what iterator adapters
// (`enumerate`, `filter_map`, `collect`, `nth`) instantiate for each `T`.

/// Elements of a list in a partial value: the ones that can be read so far.
fn partial_elements<T: Instructor>(value: Value) -> Option<Vec<T::Partial>> {
    let Value::Array(items) = value else {
        return None;
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        if let Some(p) = T::partial_from_value(item) {
            out.push(p);
        }
    }
    Some(out)
}

// A counter, not `enumerate`: one adapter fewer compiled per element type.
#[allow(clippy::explicit_counter_loop)]
fn validate_elements<'a, T: Instructor + 'a>(
    items: impl Iterator<Item = &'a T>,
    path: &mut JsonPath,
    errors: &mut ValidationErrors,
    run_garde: bool,
) {
    let mut i = 0;
    for item in items {
        let len = path.push_index(i);
        item.validate_at(path, errors, run_garde);
        path.truncate(len);
        i += 1;
    }
}

fn element_path<'a, T: Instructor + 'a>(
    items: impl Iterator<Item = &'a T>,
    rest: &[PathSegment<'_>],
    out: &mut JsonPath,
) {
    let Some((PathSegment::Index(i), tail)) = rest.split_first() else {
        return push_verbatim(rest, out);
    };
    out.push_index_str(i);
    if let Ok(mut n) = i.parse::<usize>() {
        for item in items {
            if n == 0 {
                return item.json_path(tail, out);
            }
            n -= 1;
        }
    }
    push_verbatim(tail, out);
}

macro_rules! list {
    ($($ty:ident $(: $bound:path)*;)*) => {$(
        impl<T: Instructor $(+ $bound)*> Instructor for $ty<T> {
            type Partial = Vec<T::Partial>;
            type Context = T::Context;
            fn schema_name() -> Cow<'static, str> {
                Cow::Owned(format!("Array_of_{}", T::schema_name()))
            }
            fn schema(gen: &mut SchemaGenerator) -> Value {
                // No `uniqueItems` for sets: llguidance refuses it (vLLM answers 400), and a
                // set's deserializer merges duplicates anyway.
                array_of(T::schema(gen))
            }
            fn partial_from_value(value: Value) -> Option<Self::Partial> {
                partial_elements::<T>(value)
            }
            fn validate_at(&self, path: &mut JsonPath, errors: &mut ValidationErrors, run_garde: bool) {
                validate_elements(self.iter(), path, errors, run_garde);
            }
            fn json_path(&self, rest: &[PathSegment<'_>], out: &mut JsonPath) {
                element_path(self.iter(), rest, out);
            }
        }
    )*};
}

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};

list! {
    Vec;
    VecDeque;
    BTreeSet: Ord;
    HashSet: std::hash::Hash: Eq;
}

impl<T: Instructor, const N: usize> Instructor for [T; N] {
    type Partial = Vec<T::Partial>;
    type Context = T::Context;
    fn schema_name() -> Cow<'static, str> {
        Cow::Owned(format!("Array_of_{}_{N}", T::schema_name()))
    }
    fn schema(gen: &mut SchemaGenerator) -> Value {
        json!({ "type": "array", "items": T::schema(gen), "minItems": N, "maxItems": N })
    }
    fn partial_from_value(value: Value) -> Option<Self::Partial> {
        partial_elements::<T>(value)
    }
    fn validate_at(&self, path: &mut JsonPath, errors: &mut ValidationErrors, run_garde: bool) {
        validate_elements(self.iter(), path, errors, run_garde);
    }
    fn json_path(&self, rest: &[PathSegment<'_>], out: &mut JsonPath) {
        element_path(self.iter(), rest, out);
    }
}

/// `{"type": "object", "additionalProperties": values}`.
fn map_of(values: Value) -> Value {
    json!({ "type": "object", "additionalProperties": values })
}

macro_rules! map {
    ($($ty:ident;)*) => {$(
        impl<V: Instructor> Instructor for $ty<String, V> {
            type Partial = $ty<String, V::Partial>;
            type Context = V::Context;
            fn schema_name() -> Cow<'static, str> {
                Cow::Owned(format!("Map_of_{}", V::schema_name()))
            }
            fn schema(gen: &mut SchemaGenerator) -> Value {
                map_of(V::schema(gen))
            }
            fn partial_from_value(value: Value) -> Option<Self::Partial> {
                match value {
                    Value::Object(map) => Some(
                        map.into_iter()
                            .filter_map(|(k, v)| Some((k, V::partial_from_value(v)?)))
                            .collect(),
                    ),
                    _ => None,
                }
            }
            fn validate_at(&self, path: &mut JsonPath, errors: &mut ValidationErrors, run_garde: bool) {
                for (key, value) in self {
                    let len = path.push_key(key);
                    value.validate_at(path, errors, run_garde);
                    path.truncate(len);
                }
            }
            fn json_path(&self, rest: &[PathSegment<'_>], out: &mut JsonPath) {
                match rest.split_first() {
                    Some((PathSegment::Key(k), tail)) => {
                        out.push_key(k);
                        match self.get(*k) {
                            Some(v) => v.json_path(tail, out),
                            None => push_verbatim(tail, out),
                        }
                    }
                    _ => push_verbatim(rest, out),
                }
            }
        }
    )*};
}

map! {
    BTreeMap;
    HashMap;
}

macro_rules! tuple {
    ($($n:literal => ($($T:ident $i:tt),+);)*) => {$(
        impl<$($T: Instructor),+> Instructor for ($($T,)+) {
            type Partial = ($(Option<$T::Partial>,)+);
            type Context = ();
            fn schema_name() -> Cow<'static, str> {
                let names: Vec<String> = vec![$($T::schema_name().into_owned()),+];
                Cow::Owned(format!("Tuple_of_{}", names.join("_and_")))
            }
            fn schema(gen: &mut SchemaGenerator) -> Value {
                // No `"items": false`: llama.cpp refuses boolean schemas, and `maxItems`
                // already rules out more items than the tuple has.
                json!({
                    "type": "array",
                    "prefixItems": [$($T::schema(gen)),+],
                    "minItems": $n,
                    "maxItems": $n,
                })
            }
            fn partial_from_value(value: Value) -> Option<Self::Partial> {
                let Value::Array(items) = value else { return None };
                let mut items = items.into_iter();
                Some(($(items.next().and_then($T::partial_from_value),)+))
            }
            fn validate_at(&self, path: &mut JsonPath, errors: &mut ValidationErrors, run_garde: bool) {
                $(
                    let len = path.push_index($i);
                    self.$i.validate_at(path, errors, run_garde);
                    path.truncate(len);
                )+
            }
        }
    )*};
}

tuple! {
    1 => (A 0);
    2 => (A 0, B 1);
    3 => (A 0, B 1, C 2);
    4 => (A 0, B 1, C 2, D 3);
}

#[cfg(feature = "chrono")]
leaf! {
    chrono::DateTime<chrono::Utc> => "DateTime", json!({ "type": "string", "format": "date-time" });
    chrono::DateTime<chrono::FixedOffset> => "DateTime", json!({ "type": "string", "format": "date-time" });
    chrono::NaiveDateTime => "NaiveDateTime", json!({ "type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?$" });
    chrono::NaiveDate => "Date", json!({ "type": "string", "format": "date" });
    chrono::NaiveTime => "Time", json!({ "type": "string", "pattern": r"^\d{2}:\d{2}:\d{2}(\.\d+)?$" });
}

#[cfg(feature = "uuid")]
leaf! {
    uuid::Uuid => "Uuid", json!({ "type": "string", "format": "uuid" });
}

#[cfg(feature = "url")]
leaf! {
    url::Url => "Url", json!({ "type": "string", "format": "uri" });
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
