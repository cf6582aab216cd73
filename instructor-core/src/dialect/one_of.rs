//! `oneOf` rewritten as `anyOf`, for receivers that take only the latter.

use serde_json::{Map, Value};

/// Moves the schema object `map`'s `oneOf` branches into its `anyOf`, after any branches it
/// already has (a `oneOf` alone becomes the `anyOf`). Serde's enums: the branches exclude
/// each other, so any one is the same as one. The strict dialect and the Anthropic schema
/// rewrite both do this.
pub(crate) fn one_of_as_any_of(map: &mut Map<String, Value>) {
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
}
