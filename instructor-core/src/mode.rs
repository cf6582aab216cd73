//! How the schema travels to the model and how the answer is read back.
//!
//! | Mode | request | answer read from |
//! | --- | --- | --- |
//! | [`Mode::JsonSchema`] | `response_format: {"type":"json_schema","json_schema":{"name":N,"schema":S}}` | `message.content` |
//! | [`Mode::JsonSchemaStrict`] | `response_format: {"type":"json_schema","json_schema":{"name":N,"schema":S',"strict":true}}` | `message.content` |
//! | [`Mode::JsonObjectSchema`] | `response_format: {"type":"json_object","schema":S}` (Anyscale's form) | `message.content` |
//! | [`Mode::Tools`] | one function tool `N` with `parameters: S`, `tool_choice` forcing it | the tool call's `arguments` |
//! | [`Mode::ParallelTools`] | one function tool per variant of `Vec<E>`'s enum `E`, `parallel_tool_calls: true` | every tool call, as `[{"Variant": arguments}, ..]` |
//! | [`Mode::Json`] | `response_format: {"type":"json_object"}`, S in the system message | `message.content` |
//! | [`Mode::MdJson`] | S in the system message | a ```` ```json ```` fence, or the first balanced JSON object in the text |
//!
//! `S` is [`Instructor::json_schema`], `S'` is [`strict_schema`]`(S)`, `N` is [`tool_name`] of
//! the type's schema name. The mode-specific pieces are built once per type and mode, then
//! reused by every request.
//!
//! A type whose schema is not an object at the root (a unit enum, `Vec<T>`, `String`, a
//! number, `Option<T>`, a data enum; in the strict dialect a map too) is asked for as
//! `{"value": <answer>}` in every mode: `S` is then
//! `{"type":"object","properties":{"value":T},"required":["value"],"additionalProperties":false}`
//! around the type's own schema `T` (its `$defs` moved up beside), and the SDK takes the
//! answer out of `value` before it parses, validates or streams it. The caller never sees
//! the wrapper.

use std::any::type_name;
use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::{OnceLock, RwLock};

use serde_json::value::RawValue;
use serde_json::{json, Map, Value};

use crate::dialect::lean::{lean, Carrier};
use crate::dialect::strict::strict_schema;
use crate::prompt::{system_text, Prompting};
pub use crate::tools::tool_name;
use crate::tools::Toolbox;
use crate::wire::Message;
use crate::wrap;
use crate::{Example, Instructor};

/// How the schema is sent and the answer read. See the [module docs](self), and
/// `docs/modes.md` for which server enforces which form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Mode {
    /// `response_format: {"type":"json_schema","json_schema":{"name":N,"schema":S}}`: the
    /// form vLLM, SGLang, llama.cpp, Ollama, LM Studio and Fireworks enforce with their
    /// grammar engines. The default for OpenAI-compatible servers. (OpenAI itself only
    /// enforces it with `strict`: use [`Mode::JsonSchemaStrict`] there.)
    #[default]
    JsonSchema,
    /// OpenAI structured outputs: the [`JsonSchema`](Mode::JsonSchema) form with
    /// `"strict": true`, the schema rewritten by [`strict_schema`]. Enforced by OpenAI (and
    /// Groq on its structured-output models); the servers that enforce `JsonSchema` enforce
    /// this too. A root that is not an object is wrapped (see the [module docs](self)).
    JsonSchemaStrict,
    /// Anyscale's 2023 form, `response_format: {"type":"json_object","schema":S}`. Enforced
    /// by llama.cpp's server; vLLM, SGLang and Ollama read it as "any JSON object" and drop
    /// the schema; LM Studio and OpenAI refuse it. Anyscale Endpoints, which defined it,
    /// closed in August 2024. The default of [`Client::anyscale`](crate::Client::anyscale).
    JsonObjectSchema,
    /// A forced function call whose parameters are the schema: OpenAI, Groq, Mistral, most
    /// hosted APIs. A root that is not an object is wrapped (see the [module docs](self)).
    Tools,
    /// One function tool per variant of an enum, any number of calls in one reply
    /// (`parallel_tool_calls: true`, `tool_choice: "required"`), read back as a `Vec` of the
    /// enum: for `Vec<E>` where `E` derives `Instructor` with `#[instructor(tools)]` (see
    /// [`Client::tool_calls`](crate::Client::tool_calls) and [`ToolSet`](crate::ToolSet)). Any
    /// other type fails with [`Error::Config`](crate::Error::Config) before a request is sent.
    ParallelTools,
    /// `response_format: {"type":"json_object"}` with the schema in the system message, for
    /// servers with a JSON mode but no schema support.
    Json,
    /// No `response_format`; the schema in the system message and the answer read from a
    /// fenced ```` ```json ```` block. Works with any chat model.
    MdJson,
}

impl Mode {
    /// The mode's name as accepted by [`FromStr`] (`json_schema`, `json_schema_strict`,
    /// `json_object_schema` (also read from `anyscale`), `tools`, `parallel_tools`, `json`,
    /// `md_json`).
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::JsonSchema => "json_schema",
            Mode::JsonSchemaStrict => "json_schema_strict",
            Mode::JsonObjectSchema => "json_object_schema",
            Mode::Tools => "tools",
            Mode::ParallelTools => "parallel_tools",
            Mode::Json => "json",
            Mode::MdJson => "md_json",
        }
    }

    /// Every mode that extracts any type: all but [`Mode::ParallelTools`], which extracts
    /// lists of tool calls only.
    pub const ALL: [Mode; 6] = [
        Mode::JsonSchema,
        Mode::JsonSchemaStrict,
        Mode::JsonObjectSchema,
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
        if norm == "anyscale" {
            return Ok(Mode::JsonObjectSchema);
        }
        Mode::ALL
            .into_iter()
            .chain([Mode::ParallelTools])
            .find(|m| m.as_str() == norm)
            .ok_or_else(|| {
                crate::Error::Config(format!(
                    "unknown mode `{s}`: expected one of json_schema, json_schema_strict, \
                     json_object_schema (or anyscale), tools, parallel_tools, json, md_json"
                ))
            })
    }
}

/// The per-type, per-mode pieces of a request, built once. The JSON pieces are kept
/// serialized: every request body splices the same bytes in instead of walking the schema.
#[derive(Debug)]
pub(crate) struct ModeSpec {
    pub mode: Mode,
    pub prompting: Prompting,
    pub response_format: Option<Box<RawValue>>,
    pub tools: Option<Box<RawValue>>,
    pub tool_choice: Option<Box<RawValue>>,
    /// Text added to the system message, per [`Prompting`].
    pub system_prompt: Option<String>,
    /// The function name (Tools) or schema name (strict).
    pub tool_name: String,
    /// The type's own schema: what one element of a streamed list follows.
    pub schema: &'static Value,
    /// Whether the answer is asked for as `{"value": ..}` (see [`crate::wrap`]).
    pub wrapped: bool,
    /// What the whole answer follows before any dialect: the wrapper around
    /// [`schema`](Self::schema) when [`wrapped`](Self::wrapped), else `schema` itself. The
    /// strict rewrite is undone with it, and re-asks read what a valid value is from it.
    pub answer_schema: &'static Value,
    /// The tools of [`Mode::ParallelTools`], one per variant.
    pub toolbox: Option<Toolbox>,
    /// Why a request of this type cannot be sent in this mode (reported as
    /// [`Error::Config`](crate::Error::Config) before anything is sent).
    pub unusable: Option<String>,
    /// The type's worked examples ([`Instructor::examples`]).
    pub examples: &'static [Example],
    /// The turns they add to a request, built on first use by [`crate::example::turns`].
    pub example_turns: OnceLock<Result<Vec<Message>, String>>,
}

impl ModeSpec {
    /// A path found in the answer, in the caller's terms (outside the wrapper).
    pub(crate) fn caller_path(&self, path: &str) -> String {
        if self.wrapped {
            wrap::caller_path(path)
        } else {
            path.to_owned()
        }
    }
}

/// The [`ModeSpec`] of `T` in `mode` with `prompting`, built on first use.
pub(crate) fn spec_for<T: Instructor>(mode: Mode, prompting: Prompting) -> &'static ModeSpec {
    type Cache = RwLock<HashMap<(&'static str, Mode, Prompting), &'static ModeSpec>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let key = (type_name::<T>(), mode, prompting);
    if let Some(spec) = cache.read().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return spec;
    }
    let mut w = cache.write().unwrap_or_else(|e| e.into_inner());
    // Built under the lock: a spec leaks its wrapper schema, once per type and mode.
    w.entry(key).or_insert_with(|| {
        Box::leak(Box::new(build_spec(
            mode,
            prompting,
            T::json_schema(),
            &T::schema_name(),
            T::description(),
            T::examples(),
        )))
    })
}

fn build_spec(
    mode: Mode,
    prompting: Prompting,
    schema: &'static Value,
    name: &str,
    description: Option<&str>,
    examples: &'static [Example],
) -> ModeSpec {
    let tool_name = tool_name(name);
    // A root that is not an object is wrapped in every mode; in the strict dialect a map at
    // the root is a list of pairs, so it is wrapped there too.
    let wrapped = match mode {
        Mode::JsonSchemaStrict => wrap::needs_wrapper(&strict_schema(schema)),
        // The calls are the list.
        Mode::ParallelTools => false,
        _ => wrap::needs_wrapper(schema),
    };
    let answer_schema: &'static Value = if wrapped {
        Box::leak(Box::new(wrap::wrap_schema(schema)))
    } else {
        schema
    };
    let mut spec = SpecValues {
        response_format: None,
        tools: None,
        tool_choice: None,
    };
    let (mut toolbox, mut unusable) = (None, None);
    // The schema as it travels: lean (no `$schema`, titles, or single-use `$defs`).
    let sent = request_schema(answer_schema, mode);
    match mode {
        Mode::JsonSchema => {
            spec.response_format = Some(json!({
                "type": "json_schema",
                "json_schema": { "name": tool_name, "schema": sent },
            }));
        }
        Mode::JsonObjectSchema => {
            spec.response_format = Some(json!({ "type": "json_object", "schema": sent }));
        }
        Mode::JsonSchemaStrict => {
            spec.response_format = Some(json!({
                "type": "json_schema",
                "json_schema": { "name": tool_name, "schema": sent, "strict": true },
            }));
        }
        Mode::Tools => {
            let mut function = Map::new();
            function.insert("name".into(), json!(tool_name));
            if let Some(d) = description.filter(|d| !d.is_empty()) {
                function.insert("description".into(), json!(d));
            }
            function.insert("parameters".into(), sent);
            spec.tools = Some(json!([{ "type": "function", "function": function }]));
            spec.tool_choice =
                Some(json!({ "type": "function", "function": { "name": tool_name } }));
        }
        Mode::ParallelTools => match Toolbox::of(schema) {
            Ok((tools, sent)) => {
                spec.tools = Some(sent);
                spec.tool_choice = Some(json!("required"));
                toolbox = Some(tools);
            }
            Err(why) => unusable = Some(why),
        },
        Mode::Json => {
            spec.response_format = Some(json!({ "type": "json_object" }));
        }
        Mode::MdJson => {}
    }
    let raw = |v: Option<Value>| {
        v.map(|v| serde_json::value::to_raw_value(&v).expect("a JSON value always serializes"))
    };
    ModeSpec {
        mode,
        prompting,
        response_format: raw(spec.response_format),
        tools: raw(spec.tools),
        tool_choice: raw(spec.tool_choice),
        system_prompt: system_text(
            mode,
            prompting,
            &lean(answer_schema, Carrier::ResponseFormat),
            name,
        ),
        tool_name,
        schema,
        wrapped,
        answer_schema,
        toolbox,
        unusable,
        examples,
        example_turns: OnceLock::new(),
    }
}

/// The pieces of a [`ModeSpec`] while they are built.
struct SpecValues {
    response_format: Option<Value>,
    tools: Option<Value>,
    tool_choice: Option<Value>,
}

/// The schema as a request in `mode` carries it: lean (no `$schema`, no titles, a type used
/// once written where it is used), then rewritten to the strict dialect for
/// [`Mode::JsonSchemaStrict`]; in the tool's `parameters` for [`Mode::Tools`] (without the
/// root description, which the tool carries); in the system message for [`Mode::Json`] and
/// [`Mode::MdJson`]. What grammar engines compile, and what is billed on every request.
/// `schema` is the answer's schema (a root that is not an object is wrapped first: see
/// `docs/answers.md`).
pub fn request_schema(schema: &Value, mode: Mode) -> Value {
    match mode {
        Mode::Tools => lean(schema, Carrier::Tool),
        Mode::JsonSchemaStrict => strict_schema(&lean(schema, Carrier::ResponseFormat)),
        _ => lean(schema, Carrier::ResponseFormat),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_parse() {
        for m in Mode::ALL.into_iter().chain([Mode::ParallelTools]) {
            assert_eq!(m.as_str().parse::<Mode>().unwrap(), m);
        }
        assert_eq!("MD-JSON".parse::<Mode>().unwrap(), Mode::MdJson);
        assert!("xml".parse::<Mode>().is_err());
    }
}
