//! The schema as requests carry it: what the model uses and nothing else, since providers
//! bill every token of it on every request.
//!
//! - no `$schema` (no model needs it);
//! - no `title`s: the root's is the name the tool or response format already carries, and a
//!   nested type's name says nothing its description does not;
//! - the root's `description` left out where the tool's `description` carries it;
//! - a definition used once, and not recursive, written where it is used instead of under
//!   `$defs` (always smaller: no `$ref`, no second name).
//!
//! Descriptions, rules and the shape are untouched: the lean schema accepts exactly the
//! values the full one does (`tests/schema_conformance.rs` checks both).

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use crate::schema::ref_name;

/// Where the request carries the schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Carrier {
    /// As a tool's `parameters`: the tool has the description.
    Tool,
    /// As `response_format` (or text): the schema keeps its description.
    ResponseFormat,
}

/// The lean form of `schema` for `carrier` (see the module documentation).
pub(crate) fn lean(schema: &Value, carrier: Carrier) -> Value {
    let mut out = schema.clone();
    let Value::Object(root) = &mut out else {
        return out;
    };
    root.shift_remove("$schema");
    root.shift_remove("title");
    if carrier == Carrier::Tool {
        root.shift_remove("description");
    }
    let mut defs = match root.shift_remove("$defs") {
        Some(Value::Object(defs)) => defs,
        _ => Map::new(),
    };
    let inline: HashSet<String> = {
        let mut uses: HashMap<String, usize> = HashMap::new();
        count_refs(&out, &mut uses);
        for def in defs.values() {
            count_refs(def, &mut uses);
        }
        defs.keys()
            .filter(|name| uses.get(*name) == Some(&1) && !recursive(name, &defs))
            .cloned()
            .collect()
    };
    // Inline into the definitions first (one that is inlined may hold another), then the root.
    let names: Vec<String> = defs.keys().cloned().collect();
    for name in &names {
        let mut def = defs[name.as_str()].clone();
        expand(&mut def, &inline, &defs);
        defs[name.as_str()] = def;
    }
    expand(&mut out, &inline, &defs);
    for name in &inline {
        defs.shift_remove(name);
    }
    for def in defs.values_mut() {
        strip_titles(def);
    }
    strip_titles(&mut out);
    if let Value::Object(root) = &mut out {
        if !defs.is_empty() {
            root.insert("$defs".into(), Value::Object(defs));
        }
    }
    out
}

/// Counts, by name, the `$ref`s in `schema` (not in its `$defs`).
fn count_refs(schema: &Value, uses: &mut HashMap<String, usize>) {
    match schema {
        Value::Object(map) => {
            if let Some(name) = ref_name(schema) {
                *uses.entry(name.to_owned()).or_default() += 1;
            }
            for (k, v) in map {
                if k != "$defs" {
                    count_refs(v, uses);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| count_refs(v, uses)),
        _ => {}
    }
}

/// Whether `name` reaches itself through `$ref`s.
fn recursive(name: &str, defs: &Map<String, Value>) -> bool {
    let mut seen = HashSet::new();
    let mut stack = vec![name.to_owned()];
    while let Some(current) = stack.pop() {
        let Some(def) = defs.get(&current) else {
            continue;
        };
        let mut refs = HashMap::new();
        count_refs(def, &mut refs);
        for r in refs.into_keys() {
            if r == name {
                return true;
            }
            if seen.insert(r.clone()) {
                stack.push(r);
            }
        }
    }
    false
}

/// Replaces each `$ref` to a definition in `inline` with the definition (the `$ref`'s own
/// keywords, a description say, written over it).
fn expand(schema: &mut Value, inline: &HashSet<String>, defs: &Map<String, Value>) {
    let target = ref_name(schema).map(str::to_owned);
    match schema {
        Value::Object(map) => {
            if let Some(name) = target.filter(|n| inline.contains(n)) {
                if let Some(Value::Object(body)) = defs.get(&name) {
                    let mut merged = body.clone();
                    map.shift_remove("$ref");
                    // Both descriptions count: the field's says what this value is for, the
                    // type's what its values mean (a unit enum's variants, say).
                    let own = map.get("description").and_then(Value::as_str);
                    let its = body.get("description").and_then(Value::as_str);
                    if let (Some(own), Some(its)) = (own, its) {
                        if own != its && !own.contains(its) {
                            let both = format!("{} {its}", sentence_end(own));
                            map.insert("description".into(), Value::String(both));
                        }
                    }
                    for (k, v) in std::mem::take(map) {
                        merged.insert(k, v);
                    }
                    *map = merged;
                    // The body may refer to other definitions written inline too.
                    expand(schema, inline, defs);
                    return;
                }
            }
            for (k, v) in map.iter_mut() {
                if k != "$defs" {
                    expand(v, inline, defs);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| expand(v, inline, defs)),
        _ => {}
    }
}

/// `text` ending in a full stop (or its own `!`, `?`, `:`), to be followed by another sentence.
fn sentence_end(text: &str) -> String {
    let text = text.trim_end();
    if text.ends_with(['.', '!', '?', ':']) {
        text.to_owned()
    } else {
        format!("{text}.")
    }
}

/// Removes `title` keywords, but not properties named `title`.
fn strip_titles(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            map.shift_remove("title");
            for (k, v) in map.iter_mut() {
                if k == "properties" || k == "$defs" {
                    if let Value::Object(named) = v {
                        named.values_mut().for_each(strip_titles);
                    }
                } else {
                    strip_titles(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(strip_titles),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn once_used_definitions_are_inlined_and_titles_dropped() {
        let s = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": "Order",
            "description": "An order.",
            "type": "object",
            "properties": {
                "title": { "type": "string", "title": "not a keyword here" },
                "customer": { "$ref": "#/$defs/Customer", "description": "Who ordered." },
                "billing": { "$ref": "#/$defs/Address" },
                "shipping": { "anyOf": [{ "$ref": "#/$defs/Address" }, { "type": "null" }] },
                "root": { "$ref": "#/$defs/Node" }
            },
            "$defs": {
                "Customer": { "title": "Customer", "type": "object", "properties": { "id": { "$ref": "#/$defs/Id" } } },
                "Id": { "title": "Id", "type": "integer", "minimum": 1 },
                "Address": { "title": "Address", "type": "object", "properties": { "city": { "type": "string" } } },
                "Node": { "type": "object", "properties": { "children": { "type": "array", "items": { "$ref": "#/$defs/Node" } } } }
            }
        });
        let lean = lean(&s, Carrier::ResponseFormat);
        assert_eq!(
            lean,
            json!({
                "description": "An order.",
                "type": "object",
                "properties": {
                    "title": { "type": "string" },
                    "customer": {
                        "type": "object",
                        "properties": { "id": { "type": "integer", "minimum": 1 } },
                        "description": "Who ordered."
                    },
                    "billing": { "$ref": "#/$defs/Address" },
                    "shipping": { "anyOf": [{ "$ref": "#/$defs/Address" }, { "type": "null" }] },
                    "root": { "$ref": "#/$defs/Node" }
                },
                "$defs": {
                    "Address": { "type": "object", "properties": { "city": { "type": "string" } } },
                    "Node": { "type": "object", "properties": { "children": { "type": "array", "items": { "$ref": "#/$defs/Node" } } } }
                }
            })
        );
        let tool = super::lean(&s, Carrier::Tool);
        assert!(tool.get("description").is_none());
    }

    #[test]
    fn an_inlined_type_keeps_its_description_beside_the_fields() {
        let s = json!({
            "type": "object",
            "properties": {
                "category": { "$ref": "#/$defs/Category", "description": "What it is about" },
                "same": { "$ref": "#/$defs/Same", "description": "Said once." }
            },
            "$defs": {
                "Category": { "type": "string", "enum": ["billing", "shipping"],
                              "description": "`billing`: charges. `shipping`: parcels." },
                "Same": { "type": "string", "description": "Said once." }
            }
        });
        let lean = lean(&s, Carrier::ResponseFormat);
        assert_eq!(
            lean["properties"]["category"]["description"],
            "What it is about. `billing`: charges. `shipping`: parcels."
        );
        assert_eq!(lean["properties"]["same"]["description"], "Said once.");
    }
}
