//! JSON Schema (draft 2020-12) generation.
//!
//! Each [`Instructor`] type writes its own schema through [`Instructor::schema`]; named
//! types (everything `#[derive(Instructor)]` produces) go under `$defs` once and are
//! referenced with `$ref`, which is what makes recursive types possible. The root schema of
//! a type is built once per process and cached: see [`Instructor::json_schema`].
//!
//! Here the generator, which collects the definitions; in [`keywords`] the rules written as
//! keywords; in `object.rs` an object's schema from its fields ([`ObjectSchema`]); in
//! `refs.rs` the one rule by which every part of the crate follows a `$ref`.

use std::any::type_name;
use std::collections::HashMap;
use std::sync::{OnceLock, RwLock};

use serde_json::{json, Map, Value};

use crate::Instructor;

mod fold;
pub mod keywords;
mod object;
mod refs;

pub(crate) use self::object::required_of;
pub use self::object::ObjectSchema;
pub(crate) use self::refs::{defs_of, follow, ref_name, resolve, target};

use self::refs::reference;

/// The `$schema` URI of every root schema.
pub const DRAFT_2020_12: &str = "https://json-schema.org/draft/2020-12/schema";

/// Collects the `$defs` of one root schema while the types write their schemas.
#[derive(Debug, Default)]
pub struct SchemaGenerator {
    defs: Map<String, Value>,
    /// `type_name` -> (def name, how many `$ref`s point at it)
    names: HashMap<&'static str, (String, usize)>,
}

impl SchemaGenerator {
    /// An empty generator.
    pub fn new() -> Self {
        Self::default()
    }

    /// The schema of `T` as it appears inside another schema: a `$ref` for named types,
    /// the schema itself for the others.
    pub fn subschema_for<T: Instructor>(&mut self) -> Value {
        T::schema(self)
    }

    /// The `$ref` to the definition of `T` named `name`, writing the definition with `body`
    /// the first time (recursive references made while `body` runs see the `$ref` already).
    pub fn named<T: ?Sized>(
        &mut self,
        name: impl FnOnce() -> String,
        body: impl FnOnce(&mut Self) -> Value,
    ) -> Value {
        let (mut name, mut body) = (Some(name), Some(body));
        self.named_by_key(
            type_name::<T>(),
            &mut || name.take().map(|f| f()).unwrap_or_default(),
            &mut |gen| body.take().map(|f| f(gen)).unwrap_or(Value::Bool(true)),
        )
    }

    /// [`named`](Self::named) without type parameters, so that it is compiled once rather
    /// than once per type: `key` tells the types apart, `name` and `body` run at most once.
    pub(crate) fn named_by_key(
        &mut self,
        key: &'static str,
        name: &mut dyn FnMut() -> String,
        body: &mut dyn FnMut(&mut Self) -> Value,
    ) -> Value {
        if let Some((name, refs)) = self.names.get_mut(key) {
            *refs += 1;
            return reference(name);
        }
        let base = name();
        let mut name = base.clone();
        let mut n = 2;
        while self.defs.contains_key(&name) {
            name = format!("{base}{n}");
            n += 1;
        }
        self.names.insert(key, (name.clone(), 1));
        // Reserve the name before the body runs, so recursion finds it.
        self.defs.insert(name.clone(), Value::Bool(true));
        let schema = body(self);
        self.defs.insert(name.clone(), schema);
        reference(&name)
    }

    /// Follows a `$ref` made by this generator to its definition; any other schema is
    /// returned as it is. One step, not a chain: a flattened newtype
    /// keeps its own definition (a `$ref` with its title), as it always has.
    pub fn resolve<'a>(&'a self, schema: &'a Value) -> &'a Value {
        match target(schema, Some(&self.defs)) {
            Some((_, def)) if schema.as_object().is_some_and(|o| o.len() == 1) => def,
            _ => schema,
        }
    }

    /// Takes back one `$ref` made by [`named`](Self::named): its definition is dropped from
    /// the root schema when nothing else points at it (a flattened struct, copied inline).
    pub fn release(&mut self, schema: &Value) {
        if let Some(name) = ref_name(schema) {
            if let Some((_, refs)) = self.names.values_mut().find(|(n, _)| n == name) {
                *refs = refs.saturating_sub(1);
            }
        }
    }

    /// The definitions written so far.
    pub fn definitions(&self) -> &Map<String, Value> {
        &self.defs
    }

    /// The complete root schema of `T`: `T`'s own schema inlined at the top with `$schema`
    /// and, when other types are referenced, `$defs`. A recursive root stays in `$defs` too.
    pub fn root_schema_for<T: Instructor>() -> Value {
        Self::root_schema_of(T::schema)
    }

    /// [`root_schema_for`](Self::root_schema_for) of the type whose schema `schema` writes,
    /// compiled once rather than once per type.
    pub(crate) fn root_schema_of(schema: fn(&mut Self) -> Value) -> Value {
        let mut gen = Self::new();
        let top = schema(&mut gen);
        gen.into_root(top)
    }

    /// The root schema around `top`, the schema of the root type written by this generator.
    fn into_root(mut self, top: Value) -> Value {
        let mut root = match ref_name(&top).map(str::to_owned) {
            Some(name) if top.as_object().is_some_and(|o| o.len() == 1) => {
                let referenced_elsewhere =
                    self.names.values().any(|(n, refs)| *n == name && *refs > 1);
                if referenced_elsewhere {
                    self.defs.get(&name).cloned().unwrap_or(top)
                } else {
                    self.defs.shift_remove(&name).unwrap_or(top)
                }
            }
            _ => top,
        };
        for (name, refs) in self.names.values() {
            if *refs == 0 {
                self.defs.shift_remove(name);
            }
        }
        let mut out = Map::new();
        out.insert("$schema".into(), Value::String(DRAFT_2020_12.into()));
        match &mut root {
            Value::Object(map) => out.append(map),
            Value::Bool(true) => {}
            other => {
                out.insert("allOf".into(), json!([other.take()]));
            }
        }
        if !self.defs.is_empty() {
            out.insert("$defs".into(), Value::Object(self.defs));
        }
        Value::Object(out)
    }
}

/// The cached root schema of `T`, built on first use. Used by [`Instructor::json_schema`]'s
/// default; the derive gives non-generic types a `static` of their own instead.
#[doc(hidden)]
pub fn cached_root_schema<T: Instructor>() -> &'static Value {
    static CACHE: OnceLock<RwLock<HashMap<&'static str, &'static Value>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let key = type_name::<T>();
    if let Some(v) = cache.read().unwrap_or_else(|e| e.into_inner()).get(key) {
        return v;
    }
    let built = SchemaGenerator::root_schema_for::<T>();
    let mut w = cache.write().unwrap_or_else(|e| e.into_inner());
    w.entry(key).or_insert_with(|| Box::leak(Box::new(built)))
}
