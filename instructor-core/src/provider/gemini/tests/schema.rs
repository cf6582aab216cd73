//! Tests of the schema rewrite: every keyword removed is described, none unread is left.

use serde_json::{json, Value};

use crate::provider::gemini::{gemini_schema, schema};

/// Every keyword the rewrite removes from a schema shows in a description of the result
/// (or is a kept constraint in another form: `const` as `enum`, one `allOf` as `anyOf`).
#[test]
fn every_removed_keyword_is_described() {
    let leaves = [
        json!({ "type": "string", "minLength": 2, "maxLength": 9, "pattern": "^a" }),
        json!({ "type": "integer", "exclusiveMinimum": 0, "multipleOf": 5, "default": 5 }),
        json!({ "type": "array", "items": { "type": "string" }, "uniqueItems": true, "contains": { "const": "x" } }),
        json!({ "type": "object", "additionalProperties": { "type": "number", "exclusiveMaximum": 3 }, "minProperties": 1 }),
        json!({ "enum": ["a", null] }),
        json!({ "not": { "type": "null" }, "examples": ["x"] }),
        json!({ "$ref": "#/$defs/D", "description": "d", "deprecated": true }),
    ];
    let mut schemas = Vec::new();
    for (i, a) in leaves.iter().enumerate() {
        for b in &leaves[i..] {
            schemas.push(json!({
                "type": "object",
                "properties": { "a": a, "list": { "type": "array", "items": b, "maxContains": 2 } },
                "$defs": { "D": { "anyOf": [a, b], "readOnly": true } },
                "if": { "required": ["a"] }, "then": { "required": ["list"] }
            }));
        }
    }
    for schema in &schemas {
        let out = gemini_schema(schema);
        let text = out.to_string();
        let mut removed = Vec::new();
        keywords(schema, &mut removed);
        for k in removed {
            if !schema::KEEP.contains(&k.as_str()) && k != "$schema" {
                assert!(
                    descriptions(&out)
                        .iter()
                        .any(|d| d.contains(&format!("{k}: "))),
                    "`{k}` lost from {schema} -> {text}"
                );
            }
        }
        // And nothing Gemini does not read is left.
        let mut left = Vec::new();
        keywords(&out, &mut left);
        for k in left {
            assert!(schema::KEEP.contains(&k.as_str()), "`{k}` left in {text}");
        }
    }
}

/// Every keyword of every (sub)schema, following the places the rewrite recurses into.
fn keywords(schema: &Value, out: &mut Vec<String>) {
    let Value::Object(map) = schema else { return };
    for (k, v) in map {
        out.push(k.clone());
        match (k.as_str(), v) {
            ("properties" | "$defs", Value::Object(subs)) => {
                subs.values().for_each(|s| keywords(s, out))
            }
            ("anyOf" | "oneOf" | "prefixItems", Value::Array(subs)) => {
                subs.iter().for_each(|s| keywords(s, out))
            }
            ("items" | "additionalProperties", s) => keywords(s, out),
            _ => {}
        }
    }
}

fn descriptions(schema: &Value) -> Vec<String> {
    let mut out = Vec::new();
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(d)) = m.get("description") {
                    out.push(d.clone());
                }
                m.values().for_each(|v| walk(v, out));
            }
            Value::Array(a) => a.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    walk(schema, &mut out);
    out
}
