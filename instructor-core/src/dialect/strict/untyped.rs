//! The strict dialect's one refusal of a field: a schema that names no type (`{}`, what a
//! `serde_json::Value` field is), which OpenAI's strict mode refuses; found in the rewritten
//! schema and reported with the field's path before any request.

use serde_json::Value;

/// The first place in a strict schema (as [`strict_schema`] returns it) that names no type:
/// a schema with none of `type`, `$ref`, `anyOf`, `enum`, `const` (such as `{}`, what a
/// `serde_json::Value` field is), or `true`. OpenAI's strict mode refuses such a schema ("schema
/// must have a 'type' key"), and no strict form carries any JSON without changing the value's
/// wire form, so a request with one is refused before it is sent (see [`untyped_refusal`]).
///
/// `Some(path)`: the field, as `a.b[].c` (`[]`: an element of a list; a definition's fields
/// as `Def.field`); the empty path is the root itself.
#[doc(hidden)]
pub fn untyped_field(schema: &Value) -> Option<String> {
    fn walk(schema: &Value, path: &str) -> Option<String> {
        let map = match schema {
            Value::Object(map) => map,
            Value::Bool(true) => return Some(path.to_owned()),
            _ => return None,
        };
        let typed = ["type", "$ref", "anyOf", "enum", "const"]
            .iter()
            .any(|k| map.contains_key(*k));
        if !typed {
            return Some(path.to_owned());
        }
        let join = |name: &str| {
            if path.is_empty() {
                name.to_owned()
            } else {
                format!("{path}.{name}")
            }
        };
        if let Some(Value::Object(props)) = map.get("properties") {
            for (name, prop) in props {
                if let Some(p) = walk(prop, &join(name)) {
                    return Some(p);
                }
            }
        }
        if let Some(items) = map.get("items") {
            if let Some(p) = walk(items, &format!("{path}[]")) {
                return Some(p);
            }
        }
        if let Some(Value::Array(branches)) = map.get("anyOf") {
            for b in branches {
                if let Some(p) = walk(b, path) {
                    return Some(p);
                }
            }
        }
        None
    }
    if let Some(p) = walk(schema, "") {
        return Some(p);
    }
    let Some(Value::Object(defs)) = schema.get("$defs") else {
        return None;
    };
    defs.iter().find_map(|(name, def)| walk(def, name))
}

/// Why `T` (named `name`) cannot be sent in OpenAI's strict dialect, when its strict schema
/// `strict` has a field that names no type ([`untyped_field`]); `caller_path` turns a path in
/// the schema as sent into the caller's terms (outside the `{"value": ..}` wrapper).
pub(crate) fn untyped_refusal(
    strict: &Value,
    name: &str,
    caller_path: impl Fn(&str) -> String,
) -> Option<String> {
    let path = caller_path(&untyped_field(strict)?);
    let what = if path.is_empty() {
        format!("`{name}` itself")
    } else {
        format!("the field `{path}` of `{name}`")
    };
    Some(format!(
        "{what} can hold any JSON value (a serde_json::Value, schema `{{}}`), which names no \
         type: OpenAI's strict structured outputs (Mode::JsonSchemaStrict) need every schema \
         to name one and refuse it. Use Mode::JsonSchema or Mode::Tools, or give the field a \
         type of its own"
    ))
}
