//! OpenAI's strict structured-outputs dialect: [`strict_schema`] rewrites a schema into it,
//! and [`undo`] turns an answer to it back into one of the original schema (tuples, maps,
//! the nulls written for optional fields).
//!
//! Here the rewrite; in `answer.rs` the way back for an answer, and [`redo`], the way
//! there for a value.

use serde_json::{json, Map, Value};

use crate::dialect::describe::{move_into_description, DROPPED, FORMATS};
use crate::dialect::one_of::one_of_as_any_of;
use crate::schema::resolve;

mod answer;
mod untyped;

pub(crate) use self::answer::{redo, undo};
pub use self::untyped::untyped_field;
pub(crate) use self::untyped::untyped_refusal;

/// Keywords OpenAI's strict dialect accepts as they are.
const STRICT_KEEP: &[&str] = &[
    "type",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "anyOf",
    "enum",
    "const",
    "$ref",
    "$defs",
    "description",
    "title",
    "pattern",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minItems",
    "maxItems",
];

/// Rewrites a JSON Schema into OpenAI's strict structured-outputs dialect:
///
/// - every object gets `additionalProperties: false` and lists all its properties in
///   `required`; a property that was optional becomes nullable (`anyOf` with
///   `{"type":"null"}`, unless it already accepts `null`), so the model writes `null` for it;
/// - `oneOf` becomes `anyOf`; `allOf` is merged into the schema that holds it;
/// - keywords the dialect rejects (`minLength`, `maxLength`, `uniqueItems`, `default`,
///   `examples`, unsupported `format`s, ...) are removed and written into the schema's
///   `description` as `keyword: value.`, so the model still reads them;
/// - `$schema`, `$id` and `$comment` are dropped.
///
/// Two shapes the dialect cannot express are sent in a form it can, and turned back before
/// the answer is parsed, so no data is lost:
///
/// - a tuple (`prefixItems`) is an object with one property per position, `_0`, `_1`, ...;
/// - a map (an object with an `additionalProperties` schema) is a list of
///   `{"key": .., "value": ..}` pairs; a struct with a flattened map gets its extra keys the
///   same way, in a property `__extra`.
///
/// ```
/// use serde_json::json;
/// let s = json!({
///     "type": "object",
///     "properties": { "name": { "type": "string", "minLength": 1 }, "age": { "type": "integer" } },
///     "required": ["name"]
/// });
/// assert_eq!(instructor_core::dialect::strict_schema(&s), json!({
///     "type": "object",
///     "properties": {
///         "name": { "type": "string", "description": "minLength: 1." },
///         "age": { "anyOf": [{ "type": "integer" }, { "type": "null" }] }
///     },
///     "required": ["name", "age"],
///     "additionalProperties": false
/// }));
/// ```
pub fn strict_schema(schema: &Value) -> Value {
    let defs = schema.get("$defs").cloned().unwrap_or(Value::Null);
    let mut out = schema.clone();
    rewrite(&mut out, &defs);
    out
}

/// Rewrites `schema` in place into the strict dialect (see [`strict_schema`]); `defs`: the
/// root's `$defs`, which `$ref`s are followed into.
fn rewrite(schema: &mut Value, defs: &Value) {
    let Value::Object(map) = schema else {
        // `true` (anything) cannot be expressed; leave booleans alone.
        return;
    };
    let mut moved: Vec<String> = merge_all_of(map, defs);
    tuple_as_object(map);
    map_as_pairs(map);
    one_of_as_any_of(map);

    let keys: Vec<String> = map.keys().cloned().collect();
    for key in keys {
        let keep = STRICT_KEEP.contains(&key.as_str())
            || (key == "format"
                && map
                    .get("format")
                    .and_then(Value::as_str)
                    .is_some_and(|f| FORMATS.contains(&f)));
        if keep {
            continue;
        }
        let value = map.remove(&key).unwrap_or(Value::Null);
        if DROPPED.contains(&key.as_str()) {
            continue;
        }
        moved.push(format!("{key}: {value}."));
    }
    // Alphabetical, whether or not serde_json preserves key order.
    moved.sort();

    // Subschemas.
    if let Some(Value::Object(defs_map)) = map.get_mut("$defs") {
        for def in defs_map.values_mut() {
            rewrite(def, defs);
        }
    }
    if let Some(items) = map.get_mut("items") {
        rewrite(items, defs);
    }
    if let Some(Value::Array(branches)) = map.get_mut("anyOf") {
        for b in branches {
            rewrite(b, defs);
        }
    }

    let is_object = match map.get("type") {
        Some(Value::String(t)) => t == "object",
        Some(Value::Array(ts)) => ts.iter().any(|t| t == "object"),
        _ => map.contains_key("properties"),
    };
    if is_object {
        map.insert("additionalProperties".into(), Value::Bool(false));
        let required: Vec<String> = map
            .get("required")
            .and_then(Value::as_array)
            .map(|r| {
                r.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let props = map
            .entry("properties")
            .or_insert_with(|| Value::Object(Map::new()));
        let mut all = Vec::new();
        if let Value::Object(props) = props {
            for (name, prop) in props.iter_mut() {
                rewrite(prop, defs);
                if !required.contains(name) && !accepts_null(prop, defs) {
                    *prop = make_nullable(std::mem::take(prop));
                }
                all.push(Value::String(name.clone()));
            }
        }
        map.insert("required".into(), Value::Array(all));
    }

    move_into_description(map, &moved);
}

/// The property a struct with a flattened map keeps the map's entries in.
const EXTRA: &str = "__extra";

/// A tuple (`prefixItems`) as an object with one property per position: `_0`, `_1`, ...
fn tuple_as_object(map: &mut Map<String, Value>) {
    let Some(Value::Array(items)) = map.remove("prefixItems") else {
        return;
    };
    for k in ["items", "minItems", "maxItems"] {
        map.remove(k);
    }
    let n = items.len();
    let properties: Map<String, Value> = items
        .into_iter()
        .enumerate()
        .map(|(i, s)| (format!("_{i}"), s))
        .collect();
    let required: Vec<Value> = properties.keys().cloned().map(Value::String).collect();
    map.insert("type".into(), json!("object"));
    map.insert("properties".into(), Value::Object(properties));
    map.insert("required".into(), Value::Array(required));
    append_description(
        map,
        &format!(
            "A list of exactly {n} values, written as an object with keys _0 to _{}.",
            n - 1
        ),
    );
}

/// A map as a list of `{"key", "value"}` pairs; a struct's flattened map as such a list in
/// the property `__extra`.
fn map_as_pairs(map: &mut Map<String, Value>) {
    let Some(values) = map
        .get("additionalProperties")
        .filter(|v| v.is_object())
        .cloned()
    else {
        return;
    };
    map.remove("additionalProperties");
    let pairs = |values: Value| {
        json!({
            "type": "array",
            "items": {
                "type": "object",
                "properties": { "key": { "type": "string" }, "value": values },
                "required": ["key", "value"],
            },
        })
    };
    let has_properties = map
        .get("properties")
        .and_then(Value::as_object)
        .is_some_and(|p| !p.is_empty());
    if has_properties {
        let mut extra = pairs(values);
        append_description(
            extra.as_object_mut().expect("an object"),
            "Any other keys, as key-value pairs.",
        );
        if let Some(Value::Object(props)) = map.get_mut("properties") {
            props.insert(EXTRA.into(), extra);
        }
        // Required (an empty list when there is nothing else), not nullable.
        if let Some(Value::Array(required)) = map.get_mut("required") {
            required.push(json!(EXTRA));
        } else {
            map.insert("required".into(), json!([EXTRA]));
        }
        return;
    }
    let Value::Object(list) = pairs(values) else {
        return;
    };
    map.remove("properties");
    map.remove("required");
    for (from, to) in [("minProperties", "minItems"), ("maxProperties", "maxItems")] {
        if let Some(n) = map.remove(from) {
            map.insert(to.into(), n);
        }
    }
    for (k, v) in list {
        map.insert(k, v);
    }
    append_description(map, "Key-value pairs.");
}

/// Appends `text` to the schema's `description`, as a sentence of its own.
fn append_description(map: &mut Map<String, Value>, text: &str) {
    match map.get_mut("description") {
        Some(Value::String(d)) if !d.is_empty() => {
            if !d.ends_with('.') {
                d.push('.');
            }
            d.push(' ');
            d.push_str(text);
        }
        _ => {
            map.insert("description".into(), Value::String(text.into()));
        }
    }
}

/// Merges `allOf` entries (following `$ref`s) into `map`: properties and required lists are
/// joined, other keywords are taken when `map` does not have them yet. A keyword `map` has
/// already with another value cannot be merged: it is returned, in words, for the
/// description (the rule is checked after parsing).
fn merge_all_of(map: &mut Map<String, Value>, defs: &Value) -> Vec<String> {
    let mut unmerged = Vec::new();
    let Some(Value::Array(parts)) = map.remove("allOf") else {
        return unmerged;
    };
    for part in parts {
        let part = resolve(&part, defs.as_object()).clone();
        let Value::Object(mut part) = part else {
            continue;
        };
        unmerged.extend(merge_all_of(&mut part, defs));
        for (k, v) in part {
            match (k.as_str(), map.get_mut(&k), v) {
                ("properties", Some(Value::Object(mine)), Value::Object(theirs)) => {
                    for (pk, pv) in theirs {
                        mine.entry(pk).or_insert(pv);
                    }
                }
                ("required", Some(Value::Array(mine)), Value::Array(theirs)) => {
                    for r in theirs {
                        if !mine.contains(&r) {
                            mine.push(r);
                        }
                    }
                }
                (_, Some(mine), v) => {
                    if *mine != v && !matches!(k.as_str(), "title" | "description") {
                        unmerged.push(format!("Also {k}: {v}."));
                    }
                }
                (_, None, v) => {
                    map.insert(k, v);
                }
            }
        }
    }
    unmerged
}

/// Whether `schema` admits `null` at its top level.
pub(crate) fn accepts_null(schema: &Value, defs: &Value) -> bool {
    let schema = resolve(schema, defs.as_object());
    let Some(map) = schema.as_object() else {
        return schema == &Value::Bool(true);
    };
    if let Some(t) = map.get("type") {
        return match t {
            Value::String(t) => t == "null",
            Value::Array(ts) => ts.iter().any(|t| t == "null"),
            _ => false,
        };
    }
    if let Some(Value::Array(branches)) = map.get("anyOf").or_else(|| map.get("oneOf")) {
        return branches.iter().any(|b| accepts_null(b, defs));
    }
    if let Some(Value::Array(values)) = map.get("enum") {
        return values.contains(&Value::Null);
    }
    if let Some(c) = map.get("const") {
        return c.is_null();
    }
    map.get("$ref").is_none()
        && !map.contains_key("properties")
        && !map.contains_key("items")
        && map.keys().all(|k| k == "description" || k == "title")
}

/// `schema` or `null`: an `anyOf` of the two, with the annotations (`description`,
/// `title`) kept outside it.
fn make_nullable(schema: Value) -> Value {
    let Value::Object(mut map) = schema else {
        return json!({ "anyOf": [schema, { "type": "null" }] });
    };
    let mut outer = Map::new();
    for k in ["description", "title"] {
        if let Some(v) = map.remove(k) {
            outer.insert(k.into(), v);
        }
    }
    outer.insert(
        "anyOf".into(),
        json!([Value::Object(map), { "type": "null" }]),
    );
    Value::Object(outer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_of_any_json_names_no_type_and_is_refused() {
        let s = strict_schema(&json!({
            "type": "object",
            "properties": {
                "name": { "type": "string" },
                "rows": { "type": "array", "items": { "$ref": "#/$defs/Row" } },
            },
            "required": ["name", "rows"],
            "$defs": {
                "Row": {
                    "type": "object",
                    "properties": { "cells": { "type": "array", "items": { "description": "any" } } },
                    "required": ["cells"]
                }
            }
        }));
        assert_eq!(untyped_field(&s).as_deref(), Some("Row.cells[]"));
        let flat = strict_schema(&json!({
            "type": "object",
            "properties": { "id": { "type": "integer" }, "extra": {} },
            "required": ["id"]
        }));
        assert_eq!(untyped_field(&flat).as_deref(), Some("extra"));
        let why = untyped_refusal(&flat, "Event", str::to_owned).unwrap();
        for part in [
            "`extra`",
            "`Event`",
            "Mode::JsonSchemaStrict",
            "Mode::JsonSchema or Mode::Tools",
        ] {
            assert!(why.contains(part), "{part} in {why}");
        }
        // Typed throughout: enum, const, anyOf, $ref all name what the value is.
        let typed = strict_schema(&json!({
            "type": "object",
            "properties": {
                "e": { "enum": ["a", "b"] },
                "c": { "const": 1 },
                "u": { "anyOf": [{ "type": "string" }, { "type": "null" }] }
            }
        }));
        assert_eq!(untyped_field(&typed), None);
    }

    #[test]
    fn required_nullable_and_closed() {
        let s = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": "User",
            "type": "object",
            "properties": {
                "name": { "type": "string", "description": "Full name", "minLength": 1, "maxLength": 50 },
                "nick": { "type": ["string", "null"] },
                "address": { "$ref": "#/$defs/Address", "description": "Home" },
                "tags": { "type": "array", "items": { "type": "string" }, "uniqueItems": true, "default": [] }
            },
            "required": ["name", "address"],
            "$defs": {
                "Address": {
                    "type": "object",
                    "properties": { "city": { "type": "string", "format": "uri" } },
                    "required": []
                }
            }
        });
        let out = strict_schema(&s);
        assert_eq!(
            out,
            json!({
                "title": "User",
                "type": "object",
                "properties": {
                    "name": { "type": "string", "description": "Full name. maxLength: 50. minLength: 1." },
                    "nick": { "type": ["string", "null"] },
                    "address": { "$ref": "#/$defs/Address", "description": "Home" },
                    "tags": {
                        "anyOf": [
                            { "type": "array", "items": { "type": "string" } },
                            { "type": "null" }
                        ],
                        "description": "default: []. uniqueItems: true."
                    }
                },
                "required": ["name", "nick", "address", "tags"],
                "additionalProperties": false,
                "$defs": {
                    "Address": {
                        "type": "object",
                        "properties": {
                            "city": {
                                "anyOf": [{ "type": "string" }, { "type": "null" }],
                                "description": "format: \"uri\"."
                            }
                        },
                        "required": ["city"],
                        "additionalProperties": false
                    }
                }
            })
        );
    }

    #[test]
    fn one_of_becomes_any_of_and_all_of_merges() {
        let s = json!({
            "type": "object",
            "properties": { "a": { "type": "integer" } },
            "required": ["a"],
            "allOf": [{ "$ref": "#/$defs/B" }],
            "$defs": {
                "B": { "type": "object", "properties": { "b": { "type": "boolean" } }, "required": ["b"] },
                "E": { "oneOf": [{ "const": "x" }, { "const": "y" }] }
            }
        });
        let out = strict_schema(&s);
        assert_eq!(out["properties"]["b"], json!({ "type": "boolean" }));
        assert_eq!(out["required"], json!(["a", "b"]));
        assert!(out.get("allOf").is_none());
        assert_eq!(
            out["$defs"]["E"],
            json!({ "anyOf": [{ "const": "x" }, { "const": "y" }] })
        );
    }

    #[test]
    fn kept_keywords_and_formats() {
        let s = json!({ "type": "string", "format": "date-time", "pattern": "^a" });
        assert_eq!(strict_schema(&s), s);
        let n = json!({ "type": "integer", "minimum": 0, "maximum": 255 });
        assert_eq!(strict_schema(&n), n);
    }

    #[test]
    fn an_allof_keyword_that_cannot_merge_is_described() {
        let s = json!({ "type": "string", "pattern": "^a", "allOf": [{ "pattern": "b$" }] });
        let out = strict_schema(&s);
        assert_eq!(out["pattern"], "^a");
        assert_eq!(out["description"], "Also pattern: \"b$\".");
    }
}
