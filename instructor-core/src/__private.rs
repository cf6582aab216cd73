//! Support for the code `#[derive(Instructor)]` writes, and for the benchmarks. Not a
//! public API.
//!
//! Every path the derive's output names is here: the standard items it uses (so that it
//! works whatever the deriving crate has in scope), the machinery it hands its types to
//! (`derived/`, compiled once: see that module), the manifest format's version, and the
//! entry points generic over [`Instructor`], which call into that machinery. This file sits
//! above both the trait and the machinery; nothing in the crate imports it.
//!
//! The manifest is read on first use and kept in the type's `static` (one `OnceLock`). The
//! derive and this crate are released together: the derive's output checks at compile time
//! that it writes the manifest format this crate reads ([`ManifestFormat`]), and a manifest
//! that still cannot be read is a bug, reported by a panic that names it.

pub use serde::de::DeserializeOwned;
pub use serde_json::{json, Map, Value};
pub use std::borrow::Cow;
pub use std::default::Default;
pub use std::fmt;
pub use std::option::Option::{self, None, Some};
pub use std::result::Result;
pub use std::string::String;

pub use crate::derived::build::example;
pub use crate::derived::debug::{
    debug_partial, DebugField, DebugViaName, DebugViaTrait, FieldDebug,
};
pub use crate::derived::manifest::{ManifestFormat, Table, MANIFEST_VERSION};
pub use crate::derived::partial::{take_raw, unit_variant, whole, Reader};
pub use crate::derived::path::{push_verbatim, PathSegment};
pub use crate::derived::visit::{
    garde_errors, garde_nested, validated, Garde, Nested, Phase, Translate, Validate, Visited,
    Visitor,
};
pub use crate::derived::{SchemaFn, ValueFn};
pub use crate::parse::extract_json;
pub use crate::schema::keywords;
pub use crate::schema::SchemaGenerator;
pub use crate::validation::JsonPath;
pub use crate::validation::{run_validator, ValidatorOutput};
pub use crate::{Example, Instructor, ToolSet, ValidationErrors};
pub use garde;

use crate::derived::build::schema_by_key;
use crate::derived::partial::take_json;

/// [`Instructor::schema`](crate::Instructor::schema) of the derived type `T`, described by `table`: for a named type
/// the `$ref` to its definition, written the first time with its `title` and `description`;
/// for a transparent one its field's schema. `schemas` and `values`: what the manifest's
/// indices point at.
pub fn schema<T: Instructor>(
    gen: &mut SchemaGenerator,
    table: &'static Table,
    schemas: &[SchemaFn],
    values: &[ValueFn],
) -> Value {
    schema_by_key(
        gen,
        std::any::type_name::<T>(),
        T::schema_name,
        table,
        schemas,
        values,
    )
}

/// The parts `phase` names of [`Instructor::validate_at`](crate::Instructor::validate_at)'s default, for a type whose
/// `#[instructor(validate = ..)]` functions run between them: garde (unless the caller ran
/// it already), then the nested values that [`Instructor::__visit`](crate::Instructor::__visit) hands out.
pub fn validate_visit<T: Instructor>(
    value: &T,
    path: &mut JsonPath,
    errors: &mut ValidationErrors,
    run_garde: bool,
    phase: Phase,
) {
    value.__visit(&mut Validate::new(path, errors, run_garde, phase));
}

/// The partial value of the `i`-th field, of type `F`.
#[inline]
pub fn take<F: Instructor>(r: &mut Reader, i: usize) -> Option<F::Partial> {
    if r.record(i, F::schema) {
        return None;
    }
    take_json(r, i).and_then(F::partial_from_value)
}

/// [`take`] for a field of type `Option<F>` that the model may set to `null`: its schema
/// is `Option<F>`'s.
#[inline]
pub fn take_nullable<F: Instructor>(r: &mut Reader, i: usize) -> Option<F::Partial> {
    if r.record(i, <Option<F>>::schema) {
        return None;
    }
    take_json(r, i).and_then(F::partial_from_value)
}

/// A flattened field (the `i`-th), of type `F`: read from the whole object.
#[inline]
pub fn take_flat<F: Instructor>(r: &mut Reader, i: usize) -> Option<F::Partial> {
    if r.record(i, F::schema) {
        return None;
    }
    F::partial_from_value(r.rest())
}

impl<T: Instructor> Nested for &T {
    fn validate_at(&self, path: &mut JsonPath, errors: &mut ValidationErrors, run_garde: bool) {
        Instructor::validate_at(*self, path, errors, run_garde);
    }
    fn json_path(&self, rest: &[PathSegment<'_>], out: &mut JsonPath) {
        Instructor::json_path(*self, rest, out);
    }
}

impl<T: garde::Validate + Instructor> Garde for &T
where
    <T as garde::Validate>::Context: Default,
{
    fn report(&self) -> Result<(), garde::Report> {
        garde::Validate::validate_with(*self, &Default::default())
    }
    fn value(&self) -> &dyn Nested {
        self
    }
}

/// Looks up `T`'s request pieces for `mode` as every request does (for the benchmarks);
/// `true` when its answer is asked for inside the `{"value": ..}` wrapper. A hook for code
/// outside the crate, like the rest of this module; the derive's machinery does not use it.
pub fn spec_lookup<T: Instructor>(mode: crate::Mode) -> bool {
    crate::mode::spec_for::<T>(mode, crate::Prompting::default()).wrapped
}
