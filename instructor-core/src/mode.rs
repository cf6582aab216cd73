//! How the schema travels to the model and how the answer is read back.
//!
//! | Mode | request | answer read from |
//! | --- | --- | --- |
//! | [`Mode::JsonSchema`] | `response_format: {"type":"json_object","schema":S}` | `message.content` |
//! | [`Mode::JsonSchemaStrict`] | `response_format: {"type":"json_schema","json_schema":{"name":N,"schema":S',"strict":true}}` | `message.content` |
//! | [`Mode::Tools`] | one function tool `N` with `parameters: S`, `tool_choice` forcing it | the tool call's `arguments` |
//! | [`Mode::Json`] | `response_format: {"type":"json_object"}`, S in the system message | `message.content` |
//! | [`Mode::MdJson`] | S in the system message | a ```` ```json ```` fence, or the first balanced JSON object in the text |
//!
//! `S` is [`Instructor::json_schema`], `S'` is [`strict_schema`]`(S)`, `N` is [`tool_name`] of
//! the type's schema name. The mode-specific pieces are built once per type and mode, then
//! reused by every request.

use std::any::type_name;
use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::{OnceLock, RwLock};

use serde_json::value::RawValue;
use serde_json::{json, Map, Value};

use crate::Instructor;

/// How the schema is sent and the answer read. See the [module docs](self).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Mode {
    /// `response_format: {"type":"json_object","schema":S}`: Anyscale, vLLM, llama.cpp's
    /// server, Together, Fireworks. The default.
    #[default]
    JsonSchema,
    /// OpenAI structured outputs: `response_format` of type `json_schema` with
    /// `strict: true`, the schema rewritten by [`strict_schema`]. The root must be an object.
    JsonSchemaStrict,
    /// A forced function call whose parameters are the schema: OpenAI, Groq, Mistral, most
    /// hosted APIs. The root must be an object.
    Tools,
    /// `response_format: {"type":"json_object"}` with the schema in the system message, for
    /// servers with a JSON mode but no schema support.
    Json,
    /// No `response_format`; the schema in the system message and the answer read from a
    /// fenced ```` ```json ```` block. Works with any chat model.
    MdJson,
}

impl Mode {
    /// The mode's name as accepted by [`FromStr`] (`json_schema`, `json_schema_strict`,
    /// `tools`, `json`, `md_json`).
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::JsonSchema => "json_schema",
            Mode::JsonSchemaStrict => "json_schema_strict",
            Mode::Tools => "tools",
            Mode::Json => "json",
            Mode::MdJson => "md_json",
        }
    }

    /// Every mode.
    pub const ALL: [Mode; 5] = [
        Mode::JsonSchema,
        Mode::JsonSchemaStrict,
        Mode::Tools,
        Mode::Json,
        Mode::MdJson,
    ];
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Mode {
    type Err = crate::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm = s.trim().to_ascii_lowercase().replace('-', "_");
        Mode::ALL
            .into_iter()
            .find(|m| m.as_str() == norm)
            .ok_or_else(|| {
                crate::Error::Config(format!(
                    "unknown mode `{s}`: expected one of json_schema, json_schema_strict, tools, json, md_json"
                ))
            })
    }
}

/// The per-type, per-mode pieces of a request, built once. The JSON pieces are kept
/// serialized: every request body splices the same bytes in instead of walking the schema.
#[derive(Debug)]
pub(crate) struct ModeSpec {
    pub mode: Mode,
    pub response_format: Option<Box<RawValue>>,
    pub tools: Option<Box<RawValue>>,
    pub tool_choice: Option<Box<RawValue>>,
    /// Text added to the system message (Json, MdJson).
    pub system_prompt: Option<String>,
    /// The function name (Tools) or schema name (strict).
    pub tool_name: String,
    /// Set when the type cannot be sent in this mode (non-object root for Tools/strict).
    pub unsupported: Option<String>,
    /// The original schema, for undoing the strict rewrite on the answer.
    pub schema: &'static Value,
}

/// The [`ModeSpec`] of `T` in `mode`, built on first use.
pub(crate) fn spec_for<T: Instructor>(mode: Mode) -> &'static ModeSpec {
    type Cache = RwLock<HashMap<(&'static str, Mode), &'static ModeSpec>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let key = (type_name::<T>(), mode);
    if let Some(spec) = cache.read().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return spec;
    }
    let built = build_spec(mode, T::json_schema(), &T::schema_name(), T::description());
    let mut w = cache.write().unwrap_or_else(|e| e.into_inner());
    w.entry(key).or_insert_with(|| Box::leak(Box::new(built)))
}

/// Looks up `T`'s request pieces for `mode` as every request does (for the benchmarks);
/// `true` when the type can be sent in that mode.
#[doc(hidden)]
pub fn __spec_lookup<T: Instructor>(mode: Mode) -> bool {
    spec_for::<T>(mode).unsupported.is_none()
}

fn root_is_object(schema: &Value) -> bool {
    schema.get("type").and_then(Value::as_str) == Some("object")
}

fn build_spec(
    mode: Mode,
    schema: &'static Value,
    name: &str,
    description: Option<&str>,
) -> ModeSpec {
    let tool_name = tool_name(name);
    let mut spec = SpecValues {
        response_format: None,
        tools: None,
        tool_choice: None,
        system_prompt: None,
        unsupported: None,
    };
    match mode {
        Mode::JsonSchema => {
            spec.response_format = Some(json!({ "type": "json_object", "schema": schema }));
        }
        Mode::JsonSchemaStrict => {
            if !root_is_object(schema) {
                spec.unsupported = Some(format!(
                    "mode json_schema_strict needs an object (a struct) at the root; `{name}` is not one"
                ));
            }
            spec.response_format = Some(json!({
                "type": "json_schema",
                "json_schema": { "name": tool_name, "schema": strict_schema(schema), "strict": true },
            }));
        }
        Mode::Tools => {
            if !root_is_object(schema) {
                spec.unsupported = Some(format!(
                    "mode tools needs an object (a struct) at the root; `{name}` is not one"
                ));
            }
            let mut function = Map::new();
            function.insert("name".into(), json!(tool_name));
            if let Some(d) = description.filter(|d| !d.is_empty()) {
                function.insert("description".into(), json!(d));
            }
            function.insert("parameters".into(), schema.clone());
            spec.tools = Some(json!([{ "type": "function", "function": function }]));
            spec.tool_choice =
                Some(json!({ "type": "function", "function": { "name": tool_name } }));
        }
        Mode::Json => {
            spec.response_format = Some(json!({ "type": "json_object" }));
            spec.system_prompt = Some(schema_prompt(schema, false));
        }
        Mode::MdJson => {
            spec.system_prompt = Some(schema_prompt(schema, true));
        }
    }
    let raw = |v: Option<Value>| {
        v.map(|v| serde_json::value::to_raw_value(&v).expect("a JSON value always serializes"))
    };
    ModeSpec {
        mode,
        response_format: raw(spec.response_format),
        tools: raw(spec.tools),
        tool_choice: raw(spec.tool_choice),
        system_prompt: spec.system_prompt,
        tool_name,
        unsupported: spec.unsupported,
        schema,
    }
}

/// The pieces of a [`ModeSpec`] while they are built.
struct SpecValues {
    response_format: Option<Value>,
    tools: Option<Value>,
    tool_choice: Option<Value>,
    system_prompt: Option<String>,
    unsupported: Option<String>,
}

/// The text that carries the schema in [`Mode::Json`] and [`Mode::MdJson`]. It is appended
/// to the first system message (after a blank line), or becomes the system message.
pub fn schema_prompt(schema: &Value, fenced: bool) -> String {
    let mut s = String::from("Answer with a JSON object that matches this JSON Schema:\n\n");
    s.push_str(&schema.to_string());
    s.push_str("\n\nReturn the data itself as a JSON object, not the schema.");
    if fenced {
        s.push_str(" Put it in a ```json code block.");
    }
    s
}

/// A function or schema name the OpenAI API accepts (`^[a-zA-Z0-9_-]{1,64}$`): other
/// characters become `_`.
pub fn tool_name(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    if out.is_empty() {
        out.push_str("response");
    }
    out
}

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
/// A map (an object with an `additionalProperties` schema) cannot be expressed in the
/// dialect: it becomes a closed empty object, with the value schema described in words.
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
    merge_all_of(map, defs);
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

    let mut moved: Vec<String> = Vec::new();
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
        match map.get("additionalProperties") {
            Some(Value::Bool(false)) | None => {}
            Some(Value::Bool(true)) => {}
            Some(other) => moved.push(format!(
                "Free-form keys with values matching {other} are not supported here."
            )),
        }
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

/// Merges `allOf` entries (following `$ref`s) into `map`: properties and required lists are
/// joined, other keywords are taken when `map` does not have them yet.
fn merge_all_of(map: &mut Map<String, Value>, defs: &Value) {
    let Some(Value::Array(parts)) = map.remove("allOf") else {
        return;
    };
    for part in parts {
        let part = resolve(&part, defs).clone();
        let Value::Object(mut part) = part else {
            continue;
        };
        merge_all_of(&mut part, defs);
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
                (_, Some(_), _) => {}
                (_, None, v) => {
                    map.insert(k, v);
                }
            }
        }
    }
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

/// Undoes the one change the strict rewrite makes to answers: an optional property that
/// does not accept `null` in the original schema but was written as `null` is removed, so
/// `#[serde(default)]` fields see it missing. Best effort; walks objects and arrays.
pub(crate) fn strip_added_nulls(value: &mut Value, schema: &Value, defs: &Value) {
    let schema = resolve(schema, defs);
    match value {
        Value::Object(obj) => {
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
                    strip_added_nulls(v, p, defs);
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for v in items {
                    strip_added_nulls(v, item_schema, defs);
                }
            }
        }
        _ => {}
    }
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
    fn maps_are_closed_and_described() {
        let s = json!({ "type": "object", "additionalProperties": { "type": "integer" } });
        let out = strict_schema(&s);
        assert_eq!(out["additionalProperties"], json!(false));
        assert_eq!(out["required"], json!([]));
        assert!(out["description"]
            .as_str()
            .unwrap()
            .contains("Free-form keys"));
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
        strip_added_nulls(&mut v, &schema, &schema["$defs"]);
        assert_eq!(v, json!({ "b": null, "c": null, "list": [{}] }));
    }

    #[test]
    fn tool_names() {
        assert_eq!(tool_name("Page_for_User"), "Page_for_User");
        assert_eq!(tool_name("a b<c>"), "a_b_c_");
        assert_eq!(tool_name(""), "response");
        assert_eq!(tool_name(&"x".repeat(100)).len(), 64);
    }

    #[test]
    fn modes_parse() {
        for m in Mode::ALL {
            assert_eq!(m.as_str().parse::<Mode>().unwrap(), m);
        }
        assert_eq!("MD-JSON".parse::<Mode>().unwrap(), Mode::MdJson);
        assert!("xml".parse::<Mode>().is_err());
    }
}
