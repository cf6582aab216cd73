//! [`Instructor`] for the standard types: strings, numbers, `bool`, `()`, `Value`, the
//! non-zero integers, `Option`, `Box`, lists, sets, arrays, maps with string keys, tuples
//! of up to four, and with the `chrono`, `uuid` and `url` features their types.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};

use serde_json::{json, Value};

use crate::derived::path::{push_verbatim, PathSegment};
use crate::instructor::{Example, Instructor};
use crate::schema::SchemaGenerator;
use crate::validation::{JsonPath, ValidationErrors};

/// `Instructor` for types that are their own partial form, named `$name`, with a fixed
/// schema.
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

/// `Instructor` for the non-zero integers: the integer's schema without zero.
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

/// Validates each element at its index.
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

/// Translates a path into the element it names by its index; the rest is copied as it is.
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

/// The methods a list, a set and an array write alike, through the helpers above: the
/// readable elements of a partial list, each element validated and translated at its index.
macro_rules! element_methods {
    () => {
        fn partial_from_value(value: Value) -> Option<Self::Partial> {
            partial_elements::<T>(value)
        }
        fn validate_at(&self, path: &mut JsonPath, errors: &mut ValidationErrors, run_garde: bool) {
            validate_elements(self.iter(), path, errors, run_garde);
        }
        fn json_path(&self, rest: &[PathSegment<'_>], out: &mut JsonPath) {
            element_path(self.iter(), rest, out);
        }
    };
}

/// `Instructor` for lists and sets of `T`: `array` schemas, partial lists.
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
            element_methods!();
        }
    )*};
}

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
    element_methods!();
}

/// `{"type": "object", "additionalProperties": values}`.
fn map_of(values: Value) -> Value {
    json!({ "type": "object", "additionalProperties": values })
}

/// `Instructor` for maps with string keys: objects with `additionalProperties`.
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

/// `Instructor` for tuples: `prefixItems`, exactly as many items as the tuple has.
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
