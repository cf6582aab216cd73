//! Answers whose root is not an object (a unit enum, a list, a string, a number, an
//! `Option`, a data enum): the model is asked for `{"value": <the answer>}` in every mode,
//! and the SDK takes the answer out before parsing, validating or streaming it, so the
//! caller never sees the wrapper (Python instructor's `ModelAdapter`).
//!
//! Every mode wraps: tools and OpenAI's strict dialect take nothing but an object; a
//! `json_object` response format (`Json`, `JsonObjectSchema`) makes OpenAI, vLLM, SGLang
//! and Ollama write an object; `MdJson` reads an object or a list out of the text, never a
//! bare string; and one shape per type in every mode keeps prompts, re-asks and streams
//! alike whichever mode a request uses.
//!
//! Paths in errors stay the caller's (`[1].age` of a `Vec<User>`); a re-ask writes them as
//! the model sees them (`value[1].age`).

use serde_json::{json, Map, Value};

use crate::validation::path_under;

/// The one field of the wrapper.
pub(crate) const FIELD: &str = "value";

/// Whether a schema sent as it is needs the wrapper: its root is not an object.
pub(crate) fn needs_wrapper(sent: &Value) -> bool {
    sent.get("type").and_then(Value::as_str) != Some("object")
}

/// `{"type":"object","properties":{"value": S},"required":["value"]}` around the root
/// schema `S`: `$schema` and `$defs` move up to the wrapper, so every `$ref` still resolves.
pub(crate) fn wrap_schema(schema: &Value) -> Value {
    let mut inner = schema.as_object().cloned().unwrap_or_default();
    let mut out = Map::new();
    if let Some(uri) = inner.remove("$schema") {
        out.insert("$schema".into(), uri);
    }
    let defs = inner.remove("$defs");
    out.insert("type".into(), json!("object"));
    out.insert("properties".into(), json!({ FIELD: inner }));
    out.insert("required".into(), json!([FIELD]));
    out.insert("additionalProperties".into(), json!(false));
    if let Some(defs) = defs {
        out.insert("$defs".into(), defs);
    }
    Value::Object(out)
}

/// `{"value": answer}`: an answer as the model writes it when the type is wrapped.
pub(crate) fn wrap_value(answer: Value) -> Value {
    let mut map = serde_json::Map::with_capacity(1);
    map.insert(FIELD.into(), answer);
    Value::Object(map)
}

/// The answer inside a wrapped reply: `Ok(X)` for `{"value": X, ..}`, else `Err` with the
/// reply as it was (a model that answered without the wrapper).
pub(crate) fn unwrap(mut reply: Value) -> Result<Value, Value> {
    if let Value::Object(map) = &mut reply {
        if let Some(inner) = map.remove(FIELD) {
            return Ok(inner);
        }
    }
    Err(reply)
}

/// The answer so far inside a partial wrapped reply: the value of `value` once it has
/// begun; nothing while only `{` (or `{"va`) has arrived; a reply begun without the
/// wrapper (a list, a string) as it is.
pub(crate) fn unwrap_partial(snapshot: Value) -> Option<Value> {
    match unwrap(snapshot) {
        Ok(inner) => Some(inner),
        Err(Value::Object(_)) => None,
        Err(bare) => Some(bare),
    }
}

/// A path in the caller's terms, as the model sees it inside the wrapper: `""` -> `value`,
/// `[1].age` -> `value[1].age`, `name` -> `value.name`.
pub(crate) fn model_path(path: &str) -> String {
    path_under(FIELD, path)
}

/// A path found in the wrapped reply, in the caller's terms: `value[1].age` -> `[1].age`,
/// `value` -> `""`. A path outside the wrapper is left as it is.
pub(crate) fn caller_path(path: &str) -> String {
    match path.strip_prefix(FIELD) {
        Some(rest) if rest.is_empty() || rest.starts_with('[') => rest.to_owned(),
        Some(rest) if rest.starts_with('.') => rest[1..].to_owned(),
        _ => path.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wrapper_keeps_refs_resolving() {
        let schema = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "array",
            "items": { "$ref": "#/$defs/User" },
            "$defs": { "User": { "type": "object" } }
        });
        assert!(needs_wrapper(&schema));
        let wrapped = wrap_schema(&schema);
        assert!(!needs_wrapper(&wrapped));
        assert_eq!(
            wrapped,
            json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "type": "object",
                "properties": { "value": { "type": "array", "items": { "$ref": "#/$defs/User" } } },
                "required": ["value"],
                "additionalProperties": false,
                "$defs": { "User": { "type": "object" } }
            })
        );
        assert_eq!(wrap_schema(&json!({}))["properties"]["value"], json!({}));
    }

    #[test]
    fn answers_and_partials_come_out() {
        assert_eq!(unwrap(json!({"value": [1]})), Ok(json!([1])));
        assert_eq!(unwrap(json!([1])), Err(json!([1])));
        assert_eq!(unwrap(json!({"name": "x"})), Err(json!({"name": "x"})));
        assert_eq!(unwrap_partial(json!({})), None);
        assert_eq!(unwrap_partial(json!({"value": "pos"})), Some(json!("pos")));
        assert_eq!(unwrap_partial(json!(["a"])), Some(json!(["a"])));
    }

    #[test]
    fn paths_cross_the_wrapper_both_ways() {
        for (caller, model) in [
            ("", "value"),
            ("[1].age", "value[1].age"),
            ("name", "value.name"),
        ] {
            assert_eq!(model_path(caller), model);
            assert_eq!(caller_path(model), caller);
        }
        assert_eq!(caller_path("values"), "values");
        assert_eq!(caller_path("items[0]"), "items[0]");
    }
}
