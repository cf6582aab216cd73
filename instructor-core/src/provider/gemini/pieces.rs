//! The mode's pieces in Gemini's form: a spec's response schema or function declarations,
//! translated once per [`ModeSpec`] and kept for the life of the process.

use serde_json::value::RawValue;
use serde_json::{json, Map, Value};

use super::gemini_schema;
use crate::mode::{Mode, ModeSpec};
use crate::provider::spec_cache::{parse, piece, SpecCache};

/// A spec's pieces as Gemini takes them, serialized once.
#[derive(Debug, Default)]
pub(crate) struct Pieces {
    /// `generationConfig.responseMimeType`.
    pub(super) mime: Option<&'static str>,
    /// `generationConfig.responseJsonSchema`.
    pub(super) schema: Option<Box<RawValue>>,
    /// `tools`: `[{"functionDeclarations": [..]}]`.
    pub(super) tools: Option<Box<RawValue>>,
    /// `toolConfig`: `{"functionCallingConfig": {"mode": "ANY", ..}}`.
    pub(super) tool_config: Option<Box<RawValue>>,
}

/// The pieces of each spec (`PIECES.get(spec)`), translated on first use and kept for the
/// life of the process (specs live as long: they are leaked, one per type, mode and
/// prompting), keyed by the spec's address.
pub(crate) static PIECES: SpecCache<Pieces> = SpecCache::new(translate);

/// The spec's chat-shaped pieces in Gemini's form:
///
/// - `JsonSchema`, `JsonSchemaStrict`: `responseMimeType: "application/json"` and
///   `responseJsonSchema` (the schema rewritten by [`gemini_schema`]) (GEM-SO; GEM-SDK
///   types.py:6525-6541);
/// - `Json`: `responseMimeType: "application/json"` alone; `MdJson`: nothing;
/// - `Tools`, `ParallelTools`: `tools: [{"functionDeclarations": [{name, description,
///   parametersJsonSchema}]}]` (JSON Schema, where `parameters` takes an OpenAPI subset
///   that has no `$ref`: GEM-SDK types.py:4783-4790) and `toolConfig.functionCallingConfig`
///   `{"mode": "ANY"}` ("constrained to always predicting function calls only": GEM-SDK
///   types.py:473-486; GEM-CB `Function_calling_config_REST`), with
///   `allowedFunctionNames: [name]` in `Tools` to force the one function. Never with a
///   response schema.
fn translate(spec: &ModeSpec) -> Pieces {
    let mut pieces = Pieces::default();
    match spec.mode {
        Mode::JsonSchema | Mode::JsonSchemaStrict => {
            pieces.mime = Some("application/json");
            if let Some(s) = parse(&spec.response_format)
                .as_ref()
                .and_then(|f| f.pointer("/json_schema/schema"))
            {
                pieces.schema = piece(gemini_schema(s));
            }
        }
        Mode::Json => pieces.mime = Some("application/json"),
        Mode::Tools | Mode::ParallelTools => {
            let declarations: Vec<Value> = parse(&spec.tools)
                .and_then(|t| t.as_array().cloned())
                .unwrap_or_default()
                .iter()
                .filter_map(|t| t.get("function"))
                .map(declaration)
                .collect();
            pieces.tools = piece(json!([{ "functionDeclarations": declarations }]));
            pieces.tool_config = piece(if spec.mode == Mode::Tools {
                json!({ "functionCallingConfig": {
                    "mode": "ANY", "allowedFunctionNames": [spec.tool_name] } })
            } else {
                json!({ "functionCallingConfig": { "mode": "ANY" } })
            });
        }
        Mode::JsonObjectSchema | Mode::MdJson => {}
    }
    pieces
}

/// A chat tool's `function` as a Gemini function declaration.
fn declaration(function: &Value) -> Value {
    let mut d = Map::new();
    d.insert("name".into(), function["name"].clone());
    if let Some(description) = function.get("description").filter(|d| d.is_string()) {
        d.insert("description".into(), description.clone());
    }
    if let Some(parameters) = function.get("parameters") {
        d.insert("parametersJsonSchema".into(), gemini_schema(parameters));
    }
    Value::Object(d)
}
