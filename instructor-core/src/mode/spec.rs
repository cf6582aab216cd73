//! The pieces a request of one type in one mode carries, built once per type, mode and
//! prompting and reused by every request: the schema as sent, the response format or tools,
//! the system prompt, and what the answer is read with.

use std::any::type_name;
use std::collections::HashMap;
use std::sync::{OnceLock, RwLock};

use serde_json::value::RawValue;
use serde_json::{json, Map, Value};

use super::Mode;
use crate::dialect::lean::{lean, Carrier};
use crate::dialect::strict::{strict_schema, untyped_refusal};
use crate::prompt::{system_text, Prompting};
use crate::tools::{tool_name, Toolbox};
use crate::wire::Message;
use crate::wrap;
use crate::{Example, Instructor};

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
            unusable = untyped_refusal(&sent, name, |p| {
                if wrapped {
                    wrap::caller_path(p)
                } else {
                    p.to_owned()
                }
            });
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
#[doc(hidden)]
pub fn request_schema(schema: &Value, mode: Mode) -> Value {
    match mode {
        Mode::Tools => lean(schema, Carrier::Tool),
        Mode::JsonSchemaStrict => strict_schema(&lean(schema, Carrier::ResponseFormat)),
        _ => lean(schema, Carrier::ResponseFormat),
    }
}
