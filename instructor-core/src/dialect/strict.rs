//! OpenAI's strict structured-outputs dialect: [`strict_schema`] rewrites a schema into it,
//! and [`undo`] turns an answer to it back into one of the original schema (tuples, maps,
//! the nulls written for optional fields).

use serde_json::{json, Map, Value};

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

/// `format` values the strict dialect accepts.
const STRICT_FORMATS: &[&str] = &[
    "date-time",
    "time",
    "date",
    "duration",
    "email",
    "hostname",
    "ipv4",
    "ipv6",
    "uuid",
];

/// Keywords dropped without a trace (they say nothing about the value).
const STRICT_DROP: &[&str] = &["$schema", "$id", "$comment"];

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
/// assert_eq!(instructor_core::strict_schema(&s), json!({
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

fn rewrite(schema: &mut Value, defs: &Value) {
    let Value::Object(map) = schema else {
        // `true` (anything) cannot be expressed; leave booleans alone.
        return;
    };
    let mut moved: Vec<String> = merge_all_of(map, defs);
    tuple_as_object(map);
    map_as_pairs(map);
    if let Some(one_of) = map.remove("oneOf") {
        match map.get_mut("anyOf") {
            Some(Value::Array(existing)) => {
                if let Value::Array(more) = one_of {
                    existing.extend(more);
                }
            }
            _ => {
                map.insert("anyOf".into(), one_of);
            }
        }
    }

    let keys: Vec<String> = map.keys().cloned().collect();
    for key in keys {
        let keep = STRICT_KEEP.contains(&key.as_str())
            || (key == "format"
                && map
                    .get("format")
                    .and_then(Value::as_str)
                    .is_some_and(|f| STRICT_FORMATS.contains(&f)));
        if keep {
            continue;
        }
        let value = map.remove(&key).unwrap_or(Value::Null);
        if STRICT_DROP.contains(&key.as_str()) {
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

    if !moved.is_empty() {
        let text = moved.join(" ");
        match map.get_mut("description") {
            Some(Value::String(d)) if !d.is_empty() => {
                if !d.ends_with('.') {
                    d.push('.');
                }
                d.push(' ');
                d.push_str(&text);
            }
            _ => {
                map.insert("description".into(), Value::String(text));
            }
        }
    }
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
        let part = resolve(&part, defs).clone();
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

fn resolve<'a>(schema: &'a Value, defs: &'a Value) -> &'a Value {
    let mut current = schema;
    for _ in 0..16 {
        let Some(name) = current
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix("#/$defs/"))
        else {
            return current;
        };
        match defs.get(name) {
            Some(next) => current = next,
            None => return current,
        }
    }
    current
}

/// Whether `schema` admits `null` at its top level.
pub(crate) fn accepts_null(schema: &Value, defs: &Value) -> bool {
    let schema = resolve(schema, defs);
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

/// Turns an answer to the strict schema back into one of the original schema: tuples
/// written as `{"_0": .., "_1": ..}` become arrays again, maps written as key-value pairs
/// become objects (a flattened map's `__extra` pairs join their struct), and an optional
/// property written as `null` that the original does not accept as `null` is removed, so
/// `#[serde(default)]` fields see it missing. Best effort: what does not fit is left for the
/// parser to report.
pub(crate) fn undo(value: &mut Value, schema: &Value, defs: &Value) {
    let schema = branch_for(value, resolve(schema, defs), defs);
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
    let schema = resolve(schema, defs);
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
        .map(|b| resolve(b, defs))
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
            candidates.extend(branches.iter().map(|b| resolve(b, defs)));
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
                pending.extend(all.iter().rev().map(|b| resolve(b, defs)));
            }
        }
        (!props.is_empty() || values.is_some()).then_some((props, values))
    };
    let fit = |props: &[(&str, &Value)]| -> i64 {
        value
            .iter()
            .map(|(k, v)| match props.iter().find(|(p, _)| p == k) {
                Some((_, s)) => match resolve(s, defs).get("const") {
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
        .map(|b| resolve(b, defs))
        .find(|b| strict_kind(b) == Some(kind))
        .unwrap_or(schema)
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn an_allof_keyword_that_cannot_merge_is_described() {
        let s = json!({ "type": "string", "pattern": "^a", "allOf": [{ "pattern": "b$" }] });
        let out = strict_schema(&s);
        assert_eq!(out["pattern"], "^a");
        assert_eq!(out["description"], "Also pattern: \"b$\".");
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
