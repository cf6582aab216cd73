//! The schema as Anthropic's structured outputs take it, and the per-type pieces of a
//! request (`tools`, `tool_choice`, `output_config`) translated once per [`ModeSpec`].
//!
//! Anthropic's rules for a structured-outputs schema (platform.claude.com/docs/en/
//! build-with-claude/structured-outputs, "JSON Schema limitations", copied in
//! `notes/providers-wire.md` §1.3): `additionalProperties` must be `false` on every object;
//! no numeric constraints (`minimum`, `maximum`, `exclusiveMinimum`, `exclusiveMaximum`,
//! `multipleOf`), no `minLength`/`maxLength`, `minItems` only 0 or 1 and no other array
//! constraint; string `format` only from a short list; no recursive schema; anything else
//! is a 400. As Anthropic's own SDKs do ("How SDK transformation works"), a keyword that
//! cannot be sent is moved into the schema's `description` (`minLength: 1.`), so the model
//! still reads it, and the SDK's validation checks it after parsing.
//!
//! Those limits are the grammar's: they bind `output_config.format` and tools sent with
//! `"strict": true`. The tools sent here are not strict, and a tool's `input_schema` is any
//! JSON Schema (recursion, maps and constraints included), so tools carry the schema the
//! chat-completions tools carry, unchanged (llama.cpp compiles its constraints into the
//! grammar that forces the call).

use std::collections::{HashMap, HashSet};

use serde_json::value::RawValue;
use serde_json::{json, Map, Value};

use crate::dialect::describe::{move_into_description, DROPPED, FORMATS};
use crate::dialect::one_of::one_of_as_any_of;
use crate::mode::{Mode, ModeSpec};
use crate::provider::spec_cache::{parse, piece, SpecCache};

/// Keywords Anthropic's structured outputs reject, moved into the description.
const MOVED: &[&str] = &[
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "maxItems",
    "uniqueItems",
    "contains",
    "minContains",
    "maxContains",
    "minProperties",
    "maxProperties",
    "propertyNames",
    "patternProperties",
    "dependentRequired",
    "dependentSchemas",
    "not",
    "if",
    "then",
    "else",
    "examples",
];

/// Whether structured outputs accept the string `format` `f`: the strict dialect's
/// [`FORMATS`] and `uri`; others are moved into the description.
fn format_accepted(f: &str) -> bool {
    f == "uri" || FORMATS.contains(&f)
}

/// The pieces of a request of one [`ModeSpec`] in Anthropic's shape, built once.
#[derive(Debug, Default)]
pub(super) struct Pieces {
    /// `tools`: `[{name, description?, input_schema}]`.
    pub tools: Option<Box<RawValue>>,
    /// The same tools, the last one marked for the prompt cache
    /// (`"cache_control": {"type": "ephemeral"}`).
    pub tools_cached: Option<Box<RawValue>>,
    /// `tool_choice`: `{"type":"tool","name":..}` or `{"type":"any"}`.
    pub tool_choice: Option<Box<RawValue>>,
    /// `output_config`: `{"format":{"type":"json_schema","schema":..}}`.
    pub output_config: Option<Box<RawValue>>,
    /// Why this spec cannot be sent to Anthropic (reported by `check` as `Error::Config`).
    pub refused: Option<String>,
}

/// The pieces of each spec (`PIECES.get(spec)`), built on first use and kept for the life
/// of the process, keyed by the spec's address and mode: every spec the SDK sends is leaked
/// by `spec_for` (built once per type, mode and prompting, never freed), so its address
/// names it for good, and no request walks a schema again.
pub(super) static PIECES: SpecCache<Pieces> = SpecCache::new(build);

/// Translates the spec's chat-completions pieces into Anthropic's.
fn build(spec: &ModeSpec) -> Pieces {
    let mut out = Pieces::default();
    match spec.mode {
        Mode::Tools | Mode::ParallelTools => {
            let Some(Value::Array(tools)) = parse(&spec.tools) else {
                return out;
            };
            let mut tools: Vec<Value> = tools.iter().map(tool).collect();
            out.tools = piece(Value::Array(tools.clone()));
            if let Some(Value::Object(last)) = tools.last_mut() {
                last.insert("cache_control".into(), json!({ "type": "ephemeral" }));
            }
            out.tools_cached = piece(Value::Array(tools));
            out.tool_choice = if spec.mode == Mode::Tools {
                piece(json!({ "type": "tool", "name": spec.tool_name }))
            } else {
                piece(json!({ "type": "any" }))
            };
        }
        Mode::JsonSchema | Mode::JsonSchemaStrict => {
            let schema = parse(&spec.response_format)
                .and_then(|f| f.pointer("/json_schema/schema").cloned())
                .unwrap_or_else(|| json!({ "type": "object" }));
            match output_schema(&schema, &spec.tool_name, spec.mode) {
                Ok(s) => {
                    out.output_config = piece(json!({
                        "format": { "type": "json_schema", "schema": s }
                    }))
                }
                Err(why) => out.refused = Some(why),
            }
        }
        Mode::JsonObjectSchema => {
            out.refused = Some(
                "Anthropic's Messages API has no JSON-object response format, so \
                 Mode::JsonObjectSchema cannot be sent to it: use Mode::Tools (a forced tool \
                 call), Mode::JsonSchema (structured outputs, `output_config.format`) or \
                 Mode::Json (the schema in the system prompt)"
                    .into(),
            );
        }
        // The schema travels in the system prompt, which is already in the messages.
        Mode::Json | Mode::MdJson => {}
    }
    out
}

/// A chat-completions tool (`{"type":"function","function":{name, description?,
/// parameters}}`) as Anthropic's (`{name, description?, input_schema}`).
fn tool(chat: &Value) -> Value {
    let f = chat.get("function").unwrap_or(chat);
    let mut t = Map::new();
    t.insert("name".into(), f.get("name").cloned().unwrap_or(json!("")));
    if let Some(d) = f.get("description").filter(|d| d.as_str() != Some("")) {
        t.insert("description".into(), d.clone());
    }
    let schema = f
        .get("parameters")
        .cloned()
        .unwrap_or_else(|| json!({ "type": "object" }));
    t.insert("input_schema".into(), schema);
    Value::Object(t)
}

/// `schema` rewritten to Anthropic's structured-outputs rules (see the
/// [module documentation](self)); `Err` when it cannot be: a recursive type, or (in
/// [`Mode::JsonSchema`]) a map or a tuple, which [`Mode::JsonSchemaStrict`] sends as a list
/// of pairs and an object and turns back. `name` is the type's, for the message.
pub(crate) fn output_schema(schema: &Value, name: &str, mode: Mode) -> Result<Value, String> {
    if let Some(def) = recursion(schema) {
        return Err(format!(
            "`{name}` is recursive (through `{def}`): Anthropic's structured outputs \
             (Mode::{mode:?}) do not accept recursive schemas; use Mode::Tools, whose tool \
             input_schema may be recursive"
        ));
    }
    let mut out = schema.clone();
    rewrite(&mut out).map_err(|what| {
        format!(
            "`{name}` has {what}, which Anthropic's structured outputs (Mode::{mode:?}) cannot \
             express: use Mode::JsonSchemaStrict (which sends maps as lists of key-value pairs \
             and tuples as objects, and turns them back) or Mode::Tools"
        )
    })?;
    Ok(out)
}

/// The first definition found that refers to itself, directly or not (`#` for the root).
fn recursion(schema: &Value) -> Option<String> {
    let defs = schema
        .get("$defs")
        .or_else(|| schema.get("definitions"))
        .and_then(Value::as_object);
    let mut root_refs = HashSet::new();
    refs(schema, &mut root_refs, true);
    if root_refs.contains("#") {
        return Some("#".into());
    }
    let defs = defs?;
    let edges: HashMap<&str, HashSet<String>> = defs
        .iter()
        .map(|(k, v)| {
            let mut r = HashSet::new();
            refs(v, &mut r, false);
            (k.as_str(), r)
        })
        .collect();
    for start in defs.keys() {
        let mut seen = HashSet::new();
        let mut todo: Vec<&str> = edges[start.as_str()].iter().map(String::as_str).collect();
        while let Some(next) = todo.pop() {
            if next == start || next == "#" {
                return Some(start.clone());
            }
            if seen.insert(next) {
                if let Some(more) = edges.get(next) {
                    todo.extend(more.iter().map(String::as_str));
                }
            }
        }
    }
    None
}

/// The names of the definitions `schema` refers to (`#` for the root itself); `root`: skip
/// the root's own `$defs`.
fn refs(schema: &Value, out: &mut HashSet<String>, root: bool) {
    match schema {
        Value::Object(map) => {
            for (k, v) in map {
                if root && (k == "$defs" || k == "definitions") {
                    continue;
                }
                if k == "$ref" {
                    if let Some(r) = v.as_str() {
                        let name = r.rsplit('/').next().unwrap_or(r);
                        out.insert(if r == "#" { "#".into() } else { name.into() });
                    }
                } else {
                    refs(v, out, false);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out, false)),
        _ => {}
    }
}

/// Rewrites `schema` in place; `Err` names a shape that cannot be sent.
fn rewrite(schema: &mut Value) -> Result<(), String> {
    let Value::Object(map) = schema else {
        return Ok(());
    };
    one_of_as_any_of(map);
    if map.contains_key("prefixItems") {
        return Err("a tuple (`prefixItems`)".into());
    }
    let mut moved = Vec::new();
    let keys: Vec<String> = map.keys().cloned().collect();
    for key in keys {
        let out = MOVED.contains(&key.as_str())
            || (key == "minItems" && map[&key].as_u64().is_none_or(|n| n > 1))
            || (key == "format" && !map[&key].as_str().is_some_and(format_accepted));
        if out {
            let v = map.remove(&key).unwrap_or(Value::Null);
            moved.push(format!("{key}: {v}."));
        } else if DROPPED.contains(&key.as_str()) {
            map.remove(&key);
        }
    }
    moved.sort();
    let is_object = match map.get("type") {
        Some(Value::String(t)) => t == "object",
        Some(Value::Array(ts)) => ts.iter().any(|t| t == "object"),
        _ => map.contains_key("properties"),
    };
    if is_object {
        match map.get("additionalProperties") {
            None | Some(Value::Bool(_)) => {}
            Some(Value::Object(s)) if s.is_empty() => {}
            Some(_) => return Err("a map (an object with an `additionalProperties` schema)".into()),
        }
        map.insert("additionalProperties".into(), Value::Bool(false));
    }
    for key in ["properties", "$defs", "definitions"] {
        if let Some(Value::Object(children)) = map.get_mut(key) {
            for child in children.values_mut() {
                rewrite(child)?;
            }
        }
    }
    for key in ["anyOf", "allOf"] {
        if let Some(Value::Array(children)) = map.get_mut(key) {
            for child in children {
                rewrite(child)?;
            }
        }
    }
    if let Some(items) = map.get_mut("items") {
        rewrite(items)?;
    }
    move_into_description(map, &moved);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constraints_move_into_descriptions_and_objects_close() {
        let s = json!({
            "type": "object",
            "properties": {
                "name": { "type": "string", "minLength": 1, "description": "Who" },
                "age": { "type": "integer", "minimum": 0, "maximum": 120 },
                "tags": { "type": "array", "items": { "type": "string", "format": "color" },
                          "minItems": 1, "maxItems": 3 },
                "pets": { "type": "array", "items": { "type": "object",
                          "properties": { "kind": { "type": "string" } } }, "minItems": 2 },
                "when": { "type": "string", "format": "date" },
                "kind": { "oneOf": [{ "const": "a" }, { "const": "b" }] }
            },
            "required": ["name", "age"]
        });
        let out = output_schema(&s, "User", Mode::JsonSchema).unwrap();
        assert_eq!(
            out,
            json!({
                "type": "object",
                "properties": {
                    "name": { "type": "string", "description": "Who. minLength: 1." },
                    "age": { "type": "integer", "description": "maximum: 120. minimum: 0." },
                    "tags": { "type": "array",
                              "items": { "type": "string", "description": "format: \"color\"." },
                              "minItems": 1, "description": "maxItems: 3." },
                    "pets": { "type": "array", "items": { "type": "object",
                              "properties": { "kind": { "type": "string" } },
                              "additionalProperties": false },
                              "description": "minItems: 2." },
                    "when": { "type": "string", "format": "date" },
                    "kind": { "anyOf": [{ "const": "a" }, { "const": "b" }] }
                },
                "required": ["name", "age"],
                "additionalProperties": false
            })
        );
    }

    #[test]
    fn recursion_maps_and_tuples_are_refused_with_the_type_named() {
        let tree = json!({
            "$ref": "#/$defs/Node",
            "$defs": { "Node": { "type": "object", "properties": {
                "children": { "type": "array", "items": { "$ref": "#/$defs/Node" } } } } }
        });
        let e = output_schema(&tree, "Node", Mode::JsonSchema).unwrap_err();
        assert!(
            e.contains("`Node` is recursive") && e.contains("Mode::Tools"),
            "{e}"
        );
        let root = json!({ "type": "object", "properties": { "next": { "$ref": "#" } } });
        assert!(output_schema(&root, "List", Mode::JsonSchemaStrict)
            .unwrap_err()
            .contains("`List` is recursive"));
        let shared = json!({
            "type": "object",
            "properties": { "a": { "$ref": "#/$defs/P" }, "b": { "$ref": "#/$defs/P" } },
            "$defs": { "P": { "type": "object", "properties": { "x": { "type": "integer" } } } }
        });
        let out = output_schema(&shared, "Pair", Mode::JsonSchema).unwrap();
        assert_eq!(out["$defs"]["P"]["additionalProperties"], false);
        let map = json!({ "type": "object", "additionalProperties": { "type": "integer" } });
        let e = output_schema(&map, "Counts", Mode::JsonSchema).unwrap_err();
        assert!(
            e.contains("a map") && e.contains("Mode::JsonSchemaStrict"),
            "{e}"
        );
        let tuple = json!({ "type": "array", "prefixItems": [{ "type": "integer" }] });
        assert!(output_schema(&tuple, "T", Mode::JsonSchema)
            .unwrap_err()
            .contains("tuple"));
    }
}
