//! Support for the code `#[derive(Instructor)]` writes. Not a public API.

pub use serde::de::DeserializeOwned;
pub use serde_json::{json, Map, Value};
pub use std::borrow::Cow;
pub use std::option::Option::{self, None, Some};
pub use std::string::String;
pub use std::sync::OnceLock;

pub use crate::instructor::{push_verbatim, PathSegment};
pub use crate::validation::ValidatorOutput;

use crate::{Instructor, JsonPath, ValidationErrors};

/// Adds the errors of a garde report on a `T` found at `base`, with paths translated to the
/// serde names the model sees.
pub fn garde_errors<T: Instructor>(
    value: &T,
    report: garde::Report,
    base: &JsonPath,
    errors: &mut ValidationErrors,
) {
    for (path, error) in report.into_inner() {
        let segments: Vec<PathSegment<'_>> = path
            .__iter()
            .rev()
            .map(|(kind, c)| match kind {
                garde::error::Kind::Key => PathSegment::Key(c.as_str()),
                garde::error::Kind::Index => PathSegment::Index(c.as_str()),
                garde::error::Kind::None => PathSegment::Unnamed,
            })
            .collect();
        let mut out = base.clone();
        value.json_path(&segments, &mut out);
        errors.add(out.as_str(), error.message());
    }
}

/// The partial value of the field found under one of `names` in a partial object.
pub fn take_field<F: Instructor>(
    map: &mut Map<String, Value>,
    names: &[&str],
) -> Option<F::Partial> {
    names
        .iter()
        .find_map(|n| map.remove(*n))
        .and_then(F::partial_from_value)
}

/// The partial value of a field whose schema comes from `schema_with`: the raw JSON.
pub fn take_raw(map: &mut Map<String, Value>, names: &[&str]) -> Option<Value> {
    names.iter().find_map(|n| map.remove(*n))
}

/// An `#[instructor(example = ..)]` value as JSON.
pub fn example<T: serde::Serialize>(value: T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// The partial form of a value that is only shown once complete (enums, tuple structs).
pub fn whole<T: serde::de::DeserializeOwned>(value: Value) -> Option<T> {
    serde_json::from_value(value).ok()
}

/// A partial companion's field, printed with its `Debug` when it has one and as its type name
/// otherwise (autoref specialization: `DebugViaTrait` is found first when it applies).
pub struct DebugField<'a, T>(pub &'a T);

/// What `debug_field` returns: the field's `Debug`, or its type's name.
pub enum FieldDebug<'a> {
    /// The field's own `Debug`.
    Debug(&'a dyn std::fmt::Debug),
    /// The type has no `Debug`.
    Opaque(&'static str),
}

impl std::fmt::Debug for FieldDebug<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FieldDebug::Debug(d) => d.fmt(f),
            FieldDebug::Opaque(name) => write!(f, "<{name}>"),
        }
    }
}

/// Picked when the field is `Debug`.
pub trait DebugViaTrait {
    /// The field's `Debug`.
    fn debug_field(&self) -> FieldDebug<'_>;
}

impl<T: std::fmt::Debug> DebugViaTrait for DebugField<'_, T> {
    fn debug_field(&self) -> FieldDebug<'_> {
        FieldDebug::Debug(self.0)
    }
}

/// Picked otherwise.
pub trait DebugViaName {
    /// The field's type name.
    fn debug_field(&self) -> FieldDebug<'_>;
}

impl<T> DebugViaName for &DebugField<'_, T> {
    fn debug_field(&self) -> FieldDebug<'_> {
        FieldDebug::Opaque(std::any::type_name::<T>())
    }
}

/// Looks up `T`'s request pieces for `mode` as every request does (for the benchmarks);
/// `true` when its answer is asked for inside the `{"value": ..}` wrapper.
pub fn spec_lookup<T: Instructor>(mode: crate::Mode) -> bool {
    crate::mode::spec_for::<T>(mode, crate::Prompting::default()).wrapped
}
