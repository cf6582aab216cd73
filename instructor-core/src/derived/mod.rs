//! The machinery behind `#[derive(Instructor)]`, compiled once. Not a public API: the
//! derive's output names it through `instructor::__private`, which re-exports it.
//!
//! The derive describes each type once, as data: a [`Table`](manifest::Table), a `static`
//! holding a JSON manifest the macro wrote (the type's schema as a tree, the Rust, garde and
//! serde names of its fields, the keys its partial companion reads). What is the same for
//! every type is code here that reads the manifest: building the schema, turning garde's
//! paths into JSON paths, walking the nested values to validate them, reading partial
//! values, printing the partial companion. The derive writes only what has to name the
//! type's own fields and field types: the schema functions of the field types, a
//! `take::<FieldType>` per field of the partial companion, and `Instructor::__visit`, which
//! hands the values of the fields that may hold rules to a [`Visitor`](visit::Visitor).
//!
//! Why: a derive's output is parsed, resolved, lowered, checked and tracked by the
//! incremental dep graph in every crate that derives it, on every build of that crate; code
//! here is compiled once (`scripts/derive-cost`, docs/performance.md "Derive cost").
//!
//! The files, by job: `manifest.rs` the manifest's format, its version and the [`Table`]
//! that reads it on first use; `build.rs` the schema interpreter; `visit.rs` the validation
//! visitor and the translation of garde's paths, `garde_path.rs` the garde internals that
//! needs, `path.rs` the path segments; `partial.rs` the partial reader and its recording
//! mode; `debug.rs` the partial companion's `Debug`. None of them names the
//! [`Instructor`](crate::Instructor) trait: the trait's defaults call into them, and the
//! entry points generic over the trait, which the derive's output calls, are in
//! `__private.rs`.
//!
//! [`Table`]: manifest::Table

use serde_json::Value;

use crate::schema::SchemaGenerator;

pub(crate) mod build;
pub(crate) mod debug;
mod garde_path;
pub(crate) mod manifest;
pub(crate) mod partial;
pub(crate) mod path;
pub(crate) mod visit;

/// A field type's schema function (`<T as Instructor>::schema`), or a `schema_with` path.
pub type SchemaFn = fn(&mut SchemaGenerator) -> Value;

/// A value computed at run time: `#[instructor(example = ..)]` values, a constant used as a
/// garde bound.
pub type ValueFn = fn() -> Value;
