//! The way back from the strict dialect, and the way there for a value: [`undo`] turns an
//! answer to a strict schema into a value of the original one, [`redo`] writes a value of
//! the original schema as such an answer (a worked example's).

use serde_json::{json, Map, Value};

use super::{accepts_null, EXTRA};
use crate::schema::resolve;

/// Turns an answer to the strict schema back into one of the original schema: tuples
/// written as `{"_0": .., "_1": ..}` become arrays again, maps written as key-value pairs
/// become objects (a flattened map's `__extra` pairs join their struct), and an optional
/// property written as `null` that the original does not accept as `null` is removed, so
/// `#[serde(default)]` fields see it missing. Best effort: what does not fit is left for the
/// parser to report.
pub(crate) fn undo(value: &mut Value, schema: &Value, defs: &Value) {
    let schema = branch_for(value, resolve(schema, defs.as_object()), defs);
    if let (Some(Value::Array(positions)), Value::Object(obj)) =
        (schema.get("prefixItems"), &mut *value)
    {
        let mut items = Vec::with_capacity(positions.len());
        for (i, s) in positions.iter().enumerate() {
            let mut item = obj.remove(&format!("_{i}")).unwrap_or(Value::Null);
            undo(&mut item, s, defs);
            items.push(item);
        }
        *value = Value::Array(items);
        return;
    }
    let map_values = schema.get("additionalProperties").filter(|v| v.is_object());
    if let (Some(values), Value::Array(pairs)) = (map_values, &mut *value) {
        *value = Value::Object(from_pairs(std::mem::take(pairs), values, defs));
        return;
    }
    match value {
        Value::Object(obj) => {
            if let (Some(values), Some(Value::Array(pairs))) = (map_values, obj.remove(EXTRA)) {
                for (k, v) in from_pairs(pairs, values, defs) {
                    obj.entry(k).or_insert(v);
                }
            }
            let Some(props) = schema.get("properties").and_then(Value::as_object) else {
                return;
            };
            let required: Vec<&str> = schema
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            obj.retain(|k, v| {
                !(v.is_null()
                    && !required.contains(&k.as_str())
                    && props.get(k).is_some_and(|p| !accepts_null(p, defs)))
            });
            for (k, v) in obj.iter_mut() {
                if let Some(p) = props.get(k) {
                    undo(v, p, defs);
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items").filter(|s| s.is_object()) {
                for v in items {
                    undo(v, item_schema, defs);
                }
            }
        }
        _ => {}
    }
}

/// Writes a value of the original schema as an answer to the strict schema (the way there
/// of [`undo`]): tuples as `{"_0": .., "_1": ..}`, maps as `{"key", "value"}` pairs (a
/// struct's flattened map in `__extra`), and every property the value leaves out as
/// `null`. What the SDK sends as a worked example's answer in the strict dialect.
pub(crate) fn redo(value: &mut Value, schema: &Value, defs: &Value) {
    let schema = resolve(schema, defs.as_object());
    match value {
        Value::Array(items) => {
            if let Some(positions) = shaped(schema, defs, |s| s.get("prefixItems"))
                .and_then(|s| s.get("prefixItems")?.as_array())
            {
                let mut obj = Map::new();
                for (i, (mut item, s)) in
                    std::mem::take(items).into_iter().zip(positions).enumerate()
                {
                    redo(&mut item, s, defs);
                    obj.insert(format!("_{i}"), item);
                }
                *value = Value::Object(obj);
            } else if let Some(item) =
                shaped(schema, defs, |s| s.get("items").filter(|i| i.is_object()))
                    .and_then(|s| s.get("items"))
            {
                for v in items {
                    redo(v, item, defs);
                }
            }
        }
        Value::Object(obj) => {
            let Some((props, values)) = object_parts(obj, schema, defs) else {
                return;
            };
            let mut rest: Vec<(String, Value)> = Vec::new();
            let mut out = Map::new();
            for (k, p) in &props {
                let mut v = obj.remove(*k).unwrap_or(Value::Null);
                if !v.is_null() {
                    redo(&mut v, p, defs);
                }
                out.insert((*k).to_owned(), v);
            }
            rest.extend(std::mem::take(obj));
            match values {
                Some(values) => {
                    let pairs = rest
                        .into_iter()
                        .map(|(k, mut v)| {
                            redo(&mut v, values, defs);
                            json!({ "key": k, "value": v })
                        })
                        .collect();
                    if props.is_empty() {
                        *value = Value::Array(pairs);
                        return;
                    }
                    out.insert(EXTRA.into(), Value::Array(pairs));
                }
                None => out.extend(rest),
            }
            *obj = out;
        }
        _ => {}
    }
}

/// `schema` or the first of its branches (`anyOf`, `oneOf`) for which `has` is something.
fn shaped<'a>(
    schema: &'a Value,
    defs: &'a Value,
    has: impl Fn(&'a Value) -> Option<&'a Value>,
) -> Option<&'a Value> {
    if has(schema).is_some() {
        return Some(schema);
    }
    ["anyOf", "oneOf"]
        .iter()
        .filter_map(|k| schema.get(*k)?.as_array())
        .flatten()
        .map(|b| resolve(b, defs.as_object()))
        .find(|b| has(b).is_some())
}

/// An object schema's properties (name, schema) and its map values' schema, if any.
type ObjectParts<'a> = (Vec<(&'a str, &'a Value)>, Option<&'a Value>);

/// The properties (with their `allOf` parts) and the map values' schema of the object
/// schema among `schema` and its branches that `value` fits best: `const` properties that
/// match count most, then keys the schema names.
fn object_parts<'a>(
    value: &Map<String, Value>,
    schema: &'a Value,
    defs: &'a Value,
) -> Option<ObjectParts<'a>> {
    let mut candidates = vec![schema];
    for key in ["anyOf", "oneOf"] {
        if let Some(branches) = schema.get(key).and_then(Value::as_array) {
            candidates.extend(branches.iter().map(|b| resolve(b, defs.as_object())));
        }
    }
    let parts = |s: &'a Value| {
        let mut props: Vec<(&'a str, &'a Value)> = Vec::new();
        let mut values = None;
        let mut pending = vec![s];
        while let Some(s) = pending.pop() {
            if let Some(p) = s.get("properties").and_then(Value::as_object) {
                props.extend(p.iter().map(|(k, v)| (k.as_str(), v)));
            }
            values = values.or_else(|| s.get("additionalProperties").filter(|v| v.is_object()));
            if let Some(all) = s.get("allOf").and_then(Value::as_array) {
                pending.extend(all.iter().rev().map(|b| resolve(b, defs.as_object())));
            }
        }
        (!props.is_empty() || values.is_some()).then_some((props, values))
    };
    let fit = |props: &[(&str, &Value)]| -> i64 {
        value
            .iter()
            .map(|(k, v)| match props.iter().find(|(p, _)| p == k) {
                Some((_, s)) => match resolve(s, defs.as_object()).get("const") {
                    Some(c) if c == v => 100,
                    Some(_) => -100,
                    None => 1,
                },
                None => -1,
            })
            .sum()
    };
    // The first of the best: `max_by_key` keeps the last, so the candidates go backwards.
    candidates
        .into_iter()
        .rev()
        .filter_map(parts)
        .max_by_key(|(props, _)| fit(props))
}

/// The entries of `{"key", "value"}` pairs, each value turned back with `values`.
fn from_pairs(pairs: Vec<Value>, values: &Value, defs: &Value) -> Map<String, Value> {
    let mut out = Map::new();
    for pair in pairs {
        if let Value::Object(mut pair) = pair {
            if let (Some(Value::String(k)), Some(mut v)) =
                (pair.remove("key"), pair.remove("value"))
            {
                undo(&mut v, values, defs);
                out.insert(k, v);
            }
        }
    }
    out
}

/// The branch of an `anyOf`/`oneOf` the strict answer `value` was written for: the one whose
/// original shape becomes the value's shape in the strict form (a tuple is an object there,
/// a map a list); `schema` itself when it has no branches.
fn branch_for<'a>(value: &Value, schema: &'a Value, defs: &'a Value) -> &'a Value {
    let Some(Value::Array(branches)) = schema.get("anyOf").or_else(|| schema.get("oneOf")) else {
        return schema;
    };
    let strict_kind = |s: &Value| -> Option<&'static str> {
        if s.get("prefixItems").is_some() {
            Some("object")
        } else if s.get("additionalProperties").is_some_and(Value::is_object)
            && s.get("properties")
                .and_then(Value::as_object)
                .is_none_or(|p| p.is_empty())
        {
            Some("array")
        } else if s.get("properties").is_some() {
            Some("object")
        } else if s.get("items").is_some() {
            Some("array")
        } else {
            None
        }
    };
    let kind = match value {
        Value::Object(_) => "object",
        Value::Array(_) => "array",
        _ => return schema,
    };
    branches
        .iter()
        .map(|b| resolve(b, defs.as_object()))
        .find(|b| strict_kind(b) == Some(kind))
        .unwrap_or(schema)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::strict::strict_schema;

    #[test]
    fn maps_and_tuples_take_shapes_the_dialect_has_and_come_back() {
        let original = json!({
            "type": "object",
            "properties": {
                "scores": { "type": "object", "additionalProperties": { "type": "integer" }, "maxProperties": 3 },
                "pair": { "type": "array", "prefixItems": [{ "type": "integer" }, { "type": "string" }], "minItems": 2, "maxItems": 2 },
                "name": { "type": "string" }
            },
            "required": ["scores", "pair", "name"],
            "additionalProperties": { "type": "boolean" }
        });
        let strict = strict_schema(&original);
        assert_eq!(
            strict["properties"]["scores"],
            json!({
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": { "key": { "type": "string" }, "value": { "type": "integer" } },
                    "required": ["key", "value"],
                    "additionalProperties": false
                },
                "maxItems": 3,
                "description": "Key-value pairs."
            })
        );
        assert_eq!(
            strict["properties"]["pair"],
            json!({
                "type": "object",
                "properties": { "_0": { "type": "integer" }, "_1": { "type": "string" } },
                "required": ["_0", "_1"],
                "description": "A list of exactly 2 values, written as an object with keys _0 to _1.",
                "additionalProperties": false
            })
        );
        assert_eq!(
            strict["properties"]["__extra"]["items"]["properties"]["value"],
            json!({ "type": "boolean" })
        );
        assert_eq!(
            strict["required"],
            json!(["scores", "pair", "name", "__extra"])
        );
        assert_eq!(strict["additionalProperties"], json!(false));

        let mut answer = json!({
            "scores": [{ "key": "a", "value": 1 }, { "key": "b", "value": 2 }],
            "pair": { "_0": 7, "_1": "x" },
            "name": "n",
            "__extra": [{ "key": "flag", "value": true }]
        });
        undo(&mut answer, &original, &Value::Null);
        assert_eq!(
            answer,
            json!({ "scores": { "a": 1, "b": 2 }, "pair": [7, "x"], "name": "n", "flag": true })
        );
    }

    #[test]
    fn redo_writes_a_value_the_way_the_strict_schema_asks_and_undo_reads_it_back() {
        let original = json!({
            "type": "object",
            "properties": {
                "scores": { "type": "object", "additionalProperties": { "type": "integer" } },
                "pair": { "type": "array", "prefixItems": [{ "type": "integer" }, { "type": "string" }] },
                "nick": { "type": "string" },
                "shape": { "$ref": "#/$defs/Shape" },
                "name": { "type": "string" }
            },
            "required": ["scores", "pair", "shape", "name"],
            "additionalProperties": { "type": "boolean" },
            "allOf": [{ "$ref": "#/$defs/Extra" }],
            "$defs": {
                "Extra": { "type": "object", "properties": { "note": { "type": "string" } } },
                "Shape": { "oneOf": [
                    { "type": "object", "properties": { "kind": { "const": "circle" }, "r": { "type": "number" } }, "required": ["kind", "r"] },
                    { "type": "object", "properties": { "kind": { "const": "square" }, "side": { "type": "number" }, "label": { "type": "string" } }, "required": ["kind", "side"] }
                ] }
            }
        });
        let defs = &original["$defs"];
        let value = json!({
            "scores": { "a": 1 },
            "pair": [7, "x"],
            "shape": { "kind": "square", "side": 2.0 },
            "name": "n",
            "flag": true
        });
        let mut strict = value.clone();
        redo(&mut strict, &original, defs);
        assert_eq!(
            strict,
            json!({
                "scores": [{ "key": "a", "value": 1 }],
                "pair": { "_0": 7, "_1": "x" },
                "nick": null,
                "shape": { "kind": "square", "side": 2.0, "label": null },
                "name": "n",
                "note": null,
                "__extra": [{ "key": "flag", "value": true }]
            })
        );
        // Every property of the strict schema is there, in its order.
        let keys: Vec<&String> = strict.as_object().unwrap().keys().collect();
        let strict_schema = strict_schema(&original);
        let want: Vec<&String> = strict_schema["properties"]
            .as_object()
            .unwrap()
            .keys()
            .collect();
        assert_eq!(keys, want);
        // Undo reads it back (leaving some `null`s of optional properties, which serde reads
        // as absent).
        fn without_nulls(v: &mut Value) {
            if let Value::Object(m) = v {
                m.retain(|_, v| !v.is_null());
                m.values_mut().for_each(without_nulls);
            }
        }
        let mut back = strict;
        undo(&mut back, &original, defs);
        without_nulls(&mut back);
        assert_eq!(back, value);
    }

    #[test]
    fn strip_nulls_only_where_the_original_rejects_null() {
        let schema = json!({
            "type": "object",
            "properties": {
                "a": { "type": "integer" },
                "b": { "type": ["integer", "null"] },
                "c": { "type": "integer" },
                "list": { "type": "array", "items": { "$ref": "#/$defs/I" } }
            },
            "required": ["c"],
            "$defs": { "I": { "type": "object", "properties": { "x": { "type": "string" } } } }
        });
        let mut v = json!({ "a": null, "b": null, "c": null, "list": [{ "x": null }] });
        undo(&mut v, &schema, &schema["$defs"]);
        assert_eq!(v, json!({ "b": null, "c": null, "list": [{}] }));
    }
}
