//! The schema as Gemini's `responseJsonSchema` and `parametersJsonSchema` take it.
//!
//! Gemini reads a subset of JSON Schema: "only the following properties are supported:
//! `$id` `$defs` `$ref` `$anchor` `type` `format` `title` `description` `enum` (for strings
//! and numbers) `items` `prefixItems` `minItems` `maxItems` `minimum` `maximum` `anyOf`
//! `oneOf` (interpreted the same as `anyOf`) `properties` `additionalProperties` `required`"
//! and the non-standard `propertyOrdering`; "If `$ref` is set on a sub-schema, no other
//! properties, except … those starting as a `$`, may be set" (python-genai
//! `google/genai/types.py` 6525-6541, `GenerateContentConfig.response_json_schema`). "The
//! model ignores unsupported properties" (ai.google.dev/gemini-api/docs/structured-output).
//!
//! So, as the strict dialect does (`crate::dialect::strict`), every other keyword is taken
//! out and written into the schema's `description` as `keyword: value.` — the model still
//! reads the rule, and the SDK's validation checks it after parsing. Besides:
//!
//! - `const` of a string or a number becomes a one-value `enum` (kept as a constraint);
//! - `allOf` with one entry becomes `anyOf` with that entry (the same schema);
//! - a `$ref` with sibling keywords becomes `{"anyOf": [{"$ref": ..}], siblings..}`;
//! - an `enum` holding something other than strings and numbers is described;
//! - every object with `properties` gets `propertyOrdering` in the order of its
//!   properties ("Gemini 2.0 needs explicit `propertyOrdering`"; older models order
//!   properties alphabetically otherwise: ai.google.dev/gemini-api/docs/structured-output).

use serde_json::{Map, Value};

use crate::dialect::describe::move_into_description;

/// Keywords Gemini reads as they are.
pub(super) const KEEP: &[&str] = &[
    "$id",
    "$defs",
    "$ref",
    "$anchor",
    "type",
    "format",
    "title",
    "description",
    "enum",
    "items",
    "prefixItems",
    "minItems",
    "maxItems",
    "minimum",
    "maximum",
    "anyOf",
    "oneOf",
    "properties",
    "additionalProperties",
    "required",
    "propertyOrdering",
];

/// Keywords dropped without a trace (they say nothing about the value).
const DROP: &[&str] = &["$schema", "$comment"];

/// `schema` rewritten for Gemini (see the [module documentation](self)).
pub(crate) fn gemini_schema(schema: &Value) -> Value {
    let mut out = schema.clone();
    rewrite(&mut out);
    out
}

/// Rewrites one (sub)schema in place, then its subschemas.
fn rewrite(schema: &mut Value) {
    let Value::Object(map) = schema else {
        return;
    };
    let mut moved = Vec::new();
    // `const` of a string or a number: the one-value `enum` Gemini reads.
    if let Some(c) = map.get("const") {
        if (c.is_string() || c.is_number()) && !map.contains_key("enum") {
            let c = map.remove("const").unwrap_or(Value::Null);
            map.insert("enum".into(), Value::Array(vec![c]));
        }
    }
    if let Some(Value::Array(all)) = map.get("allOf") {
        if all.len() == 1 && !map.contains_key("anyOf") && !map.contains_key("oneOf") {
            let all = map.remove("allOf").unwrap_or(Value::Null);
            map.insert("anyOf".into(), all);
        }
    }
    let describable_enum = map
        .get("enum")
        .and_then(Value::as_array)
        .is_some_and(|e| !e.iter().all(|v| v.is_string() || v.is_number()));
    let keys: Vec<String> = map.keys().cloned().collect();
    for key in keys {
        let keep = KEEP.contains(&key.as_str()) && !(key == "enum" && describable_enum);
        if keep {
            continue;
        }
        let value = map.remove(&key).unwrap_or(Value::Null);
        if !DROP.contains(&key.as_str()) {
            moved.push(format!("{key}: {value}."));
        }
    }
    moved.sort();
    move_into_description(map, &moved);
    // A `$ref` may have no sibling but `$` keywords: the siblings go around it.
    if map.contains_key("$ref") && map.keys().any(|k| !k.starts_with('$')) {
        let reference = map.remove("$ref").unwrap_or(Value::Null);
        let mut only = Map::new();
        only.insert("$ref".into(), reference);
        map.insert("anyOf".into(), Value::Array(vec![Value::Object(only)]));
    }
    if let Some(Value::Object(props)) = map.get("properties") {
        if !map.contains_key("propertyOrdering") && !props.is_empty() {
            let order = props.keys().cloned().map(Value::String).collect();
            map.insert("propertyOrdering".into(), Value::Array(order));
        }
    }
    for key in ["properties", "$defs"] {
        if let Some(Value::Object(subs)) = map.get_mut(key) {
            subs.values_mut().for_each(rewrite);
        }
    }
    for key in ["anyOf", "oneOf", "prefixItems"] {
        if let Some(Value::Array(subs)) = map.get_mut(key) {
            subs.iter_mut().for_each(rewrite);
        }
    }
    for key in ["items", "additionalProperties"] {
        if let Some(sub) = map.get_mut(key) {
            match sub {
                Value::Array(subs) => subs.iter_mut().for_each(rewrite),
                other => rewrite(other),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unsupported_keywords_go_into_the_description() {
        let s = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "properties": {
                "name": { "type": "string", "description": "Full name", "minLength": 1, "maxLength": 50 },
                "age": { "type": "integer", "minimum": 0, "maximum": 120, "multipleOf": 1 },
                "kind": { "const": "person" },
                "home": { "$ref": "#/$defs/Address", "description": "Home" },
                "tags": { "type": "array", "items": { "type": "string", "pattern": "^[a-z]+$" }, "uniqueItems": true }
            },
            "required": ["name"],
            "$defs": { "Address": { "type": "object", "properties": { "city": { "type": "string", "default": "" } } } }
        });
        assert_eq!(
            gemini_schema(&s),
            json!({
                "type": "object",
                "properties": {
                    "name": { "type": "string", "description": "Full name. maxLength: 50. minLength: 1." },
                    "age": { "type": "integer", "minimum": 0, "maximum": 120, "description": "multipleOf: 1." },
                    "kind": { "enum": ["person"] },
                    "home": { "description": "Home", "anyOf": [{ "$ref": "#/$defs/Address" }] },
                    "tags": {
                        "type": "array",
                        "items": { "type": "string", "description": "pattern: \"^[a-z]+$\"." },
                        "description": "uniqueItems: true."
                    }
                },
                "required": ["name"],
                "$defs": { "Address": {
                    "type": "object",
                    "properties": { "city": { "type": "string", "description": "default: \"\"." } },
                    "propertyOrdering": ["city"]
                } },
                "propertyOrdering": ["name", "age", "kind", "home", "tags"]
            })
        );
    }

    #[test]
    fn all_of_one_and_odd_enums() {
        let s = json!({ "allOf": [{ "$ref": "#/$defs/A" }], "description": "x" });
        assert_eq!(
            gemini_schema(&s),
            json!({ "anyOf": [{ "$ref": "#/$defs/A" }], "description": "x" })
        );
        let s = json!({ "enum": [true, "a"] });
        assert_eq!(
            gemini_schema(&s),
            json!({ "description": "enum: [true,\"a\"]." })
        );
        let s = json!({ "const": true });
        assert_eq!(gemini_schema(&s), json!({ "description": "const: true." }));
    }
}
