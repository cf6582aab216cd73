//! Worked examples: a text and the answer a model should extract from it, declared on the
//! type with `#[instructor(example(text = "..", answer = ".."))]` and sent before the
//! caller's messages as one turn of the conversation each: the text as a user message, the
//! answer as the assistant's reply, written the way the mode asks the model to write it.
//!
//! A small model learns more from one worked example than from a schema: it copies the
//! example's shape (compact JSON, `null` for what the text does not say, values taken from
//! the text). Measured on the extraction eval (`docs/evals.md`). Every [`Prompting`] but
//! [`Prompting::Plain`] sends them.
//!
//! Each answer is checked before the first request that sends it: it must be JSON
//! ([`Error::Config`] otherwise, when the request is built) and a valid value of the type
//! (read into it and validated, [`Error::Config`] otherwise, before anything is sent).
//!
//! [`Prompting`]: crate::Prompting
//! [`Prompting::Plain`]: crate::Prompting::Plain
//! [`Error::Config`]: crate::Error::Config

use serde::de::DeserializeOwned;
use serde_json::{json, Value};

use crate::dialect::strict;
use crate::error::Error;
use crate::instructor::{Example, Extractable, Instructor};
use crate::mode::{Mode, ModeSpec};
use crate::validation::ValidationErrors;
use crate::wire::{FunctionCall, Message, ToolCall};
use crate::wrap;

/// The turns the examples of `spec`'s type add to its requests (before the caller's
/// messages): none when its [`Prompting`](crate::Prompting) sends none; built on first use.
/// An answer that is not JSON is [`Error::Config`].
pub(crate) fn turns(spec: &ModeSpec) -> Result<&[Message], Error> {
    if !spec.prompting.sends_examples() || spec.examples.is_empty() {
        return Ok(&[]);
    }
    spec.example_turns
        .get_or_init(|| build(spec))
        .as_deref()
        .map_err(|why| Error::Config(why.clone()))
}

/// The turns of `spec`'s worked examples: each text as a user message, each answer as the
/// assistant's, in the form the mode asks for.
fn build(spec: &ModeSpec) -> Result<Vec<Message>, String> {
    let mut out = Vec::with_capacity(spec.examples.len() * 3);
    for (i, example) in spec.examples.iter().enumerate() {
        let mut answer: Value = serde_json::from_str(example.answer).map_err(|e| {
            format!(
                "example {} of `{}`: its answer is not JSON ({e}); fix the \
                 #[instructor(example(answer = ..))] attribute",
                i + 1,
                spec.tool_name
            )
        })?;
        // As written, unless the answer must be wrapped or written to the strict dialect.
        let text = if spec.wrapped || spec.mode == Mode::JsonSchemaStrict {
            if spec.wrapped {
                answer = wrap::wrap_value(answer);
            }
            if spec.mode == Mode::JsonSchemaStrict {
                let defs = spec.answer_schema.get("$defs").unwrap_or(&Value::Null);
                strict::redo(&mut answer, spec.answer_schema, defs);
            }
            answer.to_string()
        } else {
            example.answer.trim().to_owned()
        };
        out.push(Message::user(example.text));
        match spec.mode {
            Mode::Tools | Mode::ParallelTools => {
                let id = format!("example_{}", i + 1);
                out.push(Message::assistant_tool_calls(vec![ToolCall {
                    id: id.clone(),
                    kind: "function".into(),
                    function: FunctionCall {
                        name: spec.tool_name.clone(),
                        arguments: text,
                    },
                }]));
                out.push(Message::tool(id, json!({ "ok": true }).to_string()));
            }
            Mode::MdJson => out.push(Message::assistant(format!("```json\n{text}\n```"))),
            _ => out.push(Message::assistant(text)),
        }
    }
    Ok(out)
}

/// Checks that the answer of each of `T`'s [examples](Instructor::examples) is a value of
/// `T` that passes its validation (with the default context): what the SDK checks before
/// the first request that sends them. Call it in a test to find a broken example at
/// `cargo test` rather than at the first request.
///
/// ```ignore
/// #[test]
/// fn examples_are_valid() {
///     instructor::testing::check_examples::<Contact>().unwrap();
/// }
/// ```
pub fn check_examples<T: Extractable>() -> Result<(), Error> {
    check_each::<T>(T::examples(), |v| v.validate())
}

/// [`check_examples`] before a request of `spec` is sent, with the request's `validate`;
/// nothing to check when the request sends no examples.
pub(crate) fn check<T: Instructor + DeserializeOwned>(
    spec: &ModeSpec,
    validate: impl Fn(&T) -> Result<(), ValidationErrors>,
) -> Result<(), Error> {
    if turns(spec)?.is_empty() {
        return Ok(());
    }
    check_each::<T>(spec.examples, validate)
}

/// Reads each example's answer into `T` and runs `validate` on it: the first failure, naming
/// the example and the fix, as a configuration error.
fn check_each<T: Instructor + DeserializeOwned>(
    examples: &[Example],
    validate: impl Fn(&T) -> Result<(), ValidationErrors>,
) -> Result<(), Error> {
    let fix = "fix the #[instructor(example(answer = ..))] attribute";
    for (i, example) in examples.iter().enumerate() {
        let name = T::schema_name();
        let value: T = serde_json::from_str(example.answer).map_err(|e| {
            Error::Config(format!(
                "example {} of `{name}`: its answer is not a `{name}`: {e}; {fix}",
                i + 1
            ))
        })?;
        validate(&value).map_err(|e| {
            Error::Config(format!(
                "example {} of `{name}`: its answer breaks the type's rules: {e}; {fix}",
                i + 1
            ))
        })?;
    }
    Ok(())
}
