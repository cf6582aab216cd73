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
//! `S` is [`Instructor::json_schema`](crate::Instructor::json_schema), `S'` is [`strict_schema`](crate::dialect::strict_schema)`(S)`, `N` is [`tool_name`] of
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

mod spec;

use std::str::FromStr;

pub use crate::tools::tool_name;

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
    /// `"strict": true`, the schema rewritten by [`strict_schema`](crate::dialect::strict_schema). Enforced by OpenAI (and
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

display_as_str!(Mode);

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

pub use spec::request_schema;
pub(crate) use spec::{spec_for, ModeSpec};

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
