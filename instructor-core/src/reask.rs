//! Re-asking: what is sent back to the model when its answer is not valid.
//!
//! The caller's messages are never changed: the conversation of an extraction is a copy,
//! and each re-ask appends to that copy.
//!
//! - JSON modes: the model's own reply as an `assistant` message, then a `user` message
//!   listing every error with its path, the value that broke the rule, the rule, and what a
//!   valid value looks like (from the schema), and asking for the corrected JSON.
//! - [`Mode::Tools`](crate::Mode::Tools): the model's tool call as an `assistant` message,
//!   then a `tool` message answering that call with the errors.

use serde_json::{Map, Value};

use crate::error::AttemptError;
use crate::prompt::describe;
use crate::reply::Reply;
use crate::schema::{defs_of, follow};
use crate::tools::Toolbox;
use crate::validation::ValidationError;
use crate::wire::{ChatCompletion, Message, Role, ToolCall};
use crate::wrap;

/// What a re-ask can tell the model besides the errors: where the answer's values are, and
/// what the schema says a valid one looks like.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Context<'a> {
    /// The function name, in tools mode.
    pub tool: Option<&'a str>,
    /// The type's schema (the original one, whatever the mode sent).
    pub schema: &'a Value,
    /// The JSON the model answered, when there was some.
    pub answer: Option<&'a str>,
    /// Whether the answer was asked for as `{"value": ..}` (see [`crate::wrap`]): the
    /// errors' paths are the caller's, and are written as the model sees them.
    pub wrapped: bool,
    /// The tools, in parallel tools mode.
    pub toolbox: Option<&'a Toolbox>,
}

/// The feedback text for `error`: each error with its JSON path, the value that broke the
/// rule, the rule, and what a valid value looks like.
pub(crate) fn feedback(error: &AttemptError, cx: &Context<'_>) -> String {
    match error {
        AttemptError::Parse(e) | AttemptError::Validation(e) => {
            let answer = cx
                .answer
                .and_then(|a| serde_json::from_str::<Value>(a).ok());
            let mut text = match e.len() {
                1 => "Your answer has an error:\n".to_owned(),
                n => format!("Your answer has {n} errors:\n"),
            };
            for err in e.iter() {
                text.push_str(&line(err, answer.as_ref(), cx));
                text.push('\n');
            }
            text.push('\n');
            text.push_str(&match cx.tool {
                None => "Reply with the whole corrected JSON: fix every error and keep the \
                         rest as it was."
                    .to_owned(),
                Some(tool) => format!(
                    "Call `{tool}` again with the whole corrected arguments: fix every error \
                     and keep the rest as it was."
                ),
            });
            text
        }
        AttemptError::NoToolCall { tool, .. } => match cx.toolbox {
            Some(toolbox) => format!(
                "You did not call any tool. Call the tools now ({}), once for each thing the \
                 text asks for, all at once.",
                toolbox.names()
            ),
            None => {
                format!("You did not call `{tool}`. Call it now, with the answer as its arguments.")
            }
        },
        AttemptError::UnknownTool { name, tools, .. } => {
            format!("There is no tool `{name}`: the tools are {tools}.")
        }
        AttemptError::EmptyContent => {
            "Your answer was empty. Reply with a JSON object that matches the schema.".to_owned()
        }
        AttemptError::Repetition { path, .. } => {
            let list = if path.is_empty() {
                "your list".to_owned()
            } else {
                format!("the list `{}`", cx.model_path(path))
            };
            format!(
                "You wrote the same items of {list} over and over. Answer again: list each \
                 item the text gives once, then close the list and the JSON."
            )
        }
    }
}

impl Context<'_> {
    /// `path` as the model sees it in its answer.
    fn model_path(&self, path: &str) -> String {
        if self.wrapped {
            wrap::model_path(path)
        } else {
            path.to_owned()
        }
    }
}

/// `- \`path\` is VALUE: MESSAGE. A valid value: EXPECTED.`
fn line(err: &ValidationError, answer: Option<&Value>, cx: &Context<'_>) -> String {
    let schema = cx.schema;
    let message = err.message().trim_end_matches('.');
    // serde names a missing field in its message, at the path of the object that lacks it.
    if let Some(field) = message
        .strip_prefix("missing field `")
        .and_then(|m| m.split('`').next())
    {
        let path = cx.model_path(&join(err.path(), field));
        let expected = expected_at(schema, &path)
            .map(|e| format!(" A valid value: {e}."))
            .unwrap_or_default();
        return format!("- `{path}` is missing.{expected}");
    }
    // The whole answer is in the conversation already: only a part is quoted.
    if err.path().is_empty() {
        return format!("- The answer: {message}.");
    }
    let path = cx.model_path(err.path());
    let place = format!("`{path}`");
    let value = answer
        .and_then(|a| value_at(a, &path))
        .map(|v| format!(" is {}", shorten(&v.to_string())))
        .unwrap_or_default();
    let expected = expected_at(schema, &path)
        .map(|e| format!(" A valid value: {e}."))
        .unwrap_or_default();
    format!("- {place}{value}: {message}.{expected}")
}

fn join(path: &str, field: &str) -> String {
    if path.is_empty() {
        field.to_owned()
    } else {
        format!("{path}.{field}")
    }
}

fn shorten(text: &str) -> String {
    const MAX: usize = 80;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.to_owned(),
    }
}

/// One step of a path as [`JsonPath`](crate::validation::JsonPath) writes it.
#[derive(Debug, PartialEq)]
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// `lineItems[1].unitCount` -> `Key(lineItems), Index(1), Key(unitCount)`; `None` when the
/// path cannot be read back (a key with `.` or `[` in it).
fn steps(path: &str) -> Option<Vec<Step<'_>>> {
    let mut out = Vec::new();
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let (key, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if !key.is_empty() {
            out.push(Step::Key(key));
        }
        while let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']')?;
            out.push(Step::Index(r[..end].parse().ok()?));
            rest = &r[end + 1..];
        }
        if !rest.is_empty() {
            return None;
        }
    }
    Some(out)
}

fn value_at<'v>(value: &'v Value, path: &str) -> Option<&'v Value> {
    steps(path)?.iter().try_fold(value, |v, step| match step {
        Step::Key(k) => v.get(*k),
        Step::Index(i) => v.get(*i),
    })
}

/// What the schema says a valid value at `path` is, in words.
fn expected_at(schema: &Value, path: &str) -> Option<String> {
    let defs = defs_of(schema);
    let mut at = follow(schema, defs).ok()?;
    for step in steps(path)? {
        at = object_or_array(at, defs);
        let next = match step {
            Step::Key(k) => at
                .get("properties")
                .and_then(|p| p.get(k))
                .or_else(|| at.get("additionalProperties").filter(|a| a.is_object()))?,
            Step::Index(i) => at
                .get("prefixItems")
                .and_then(|p| p.get(i))
                .or_else(|| at.get("items").filter(|a| a.is_object()))?,
        };
        at = follow(next, defs).ok()?;
    }
    Some(describe(at, defs))
}

/// The branch of a nullable `anyOf` that can hold fields or items.
fn object_or_array<'s>(s: &'s Value, defs: Option<&'s Map<String, Value>>) -> &'s Value {
    match s.get("anyOf").and_then(Value::as_array) {
        Some(branches) => branches
            .iter()
            .filter_map(|b| follow(b, defs).ok())
            .find(|b| b.get("properties").is_some() || b.get("items").is_some())
            .unwrap_or(s),
        None => s,
    }
}

/// The messages appended to the conversation to re-ask after `reply` failed with `error`.
/// `attempt` numbers tool calls that came without an id.
pub(crate) fn reask_messages(
    reply: &Reply,
    error: &AttemptError,
    cx: &Context<'_>,
    attempt: u32,
) -> Vec<Message> {
    match reply {
        Reply::Tool(call) => {
            let mut call = call.clone();
            if call.id.is_empty() {
                call.id = format!("call_{attempt}");
            }
            let id = call.id.clone();
            vec![
                Message::assistant_tool_calls(vec![call]),
                Message::tool_error(id, feedback(error, cx)),
            ]
        }
        Reply::Tools(calls) => reask_calls(calls, error, cx, attempt),
        Reply::Text(content) => {
            let mut out = Vec::with_capacity(2);
            if let Some(c) = content.as_deref().filter(|c| !c.trim().is_empty()) {
                out.push(Message::assistant(c));
            }
            // A tools-mode reply without a tool call is answered as text.
            let cx = Context {
                tool: match error {
                    AttemptError::NoToolCall { .. } => cx.tool,
                    _ => None,
                },
                ..*cx
            };
            out.push(Message::user(feedback(error, &cx)));
            out
        }
    }
}

/// Puts what the provider wants back with its reply ([`Echo`](crate::wire::Echo):
/// thinking blocks, reasoning items) on the re-ask's assistant message, the one that echoes
/// that reply. A re-ask without one (a reply with no text and no call) sends none back.
pub(crate) fn keep_echo(turn: &mut [Message], reply: &ChatCompletion) {
    let echo = reply.choices.first().and_then(|c| c.message.echo.as_ref());
    if let (Some(echo), Some(m)) = (echo, turn.iter_mut().find(|m| m.role == Role::Assistant)) {
        m.echo = Some(echo.clone());
    }
}

/// The re-ask of a parallel tools reply: the calls as an `assistant` message, then a
/// `tool` message answering each call with its own errors (at paths inside its arguments),
/// the last one asking for every call again.
fn reask_calls(
    calls: &[ToolCall],
    error: &AttemptError,
    cx: &Context<'_>,
    attempt: u32,
) -> Vec<Message> {
    let calls: Vec<ToolCall> = calls
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mut c = c.clone();
            if c.id.is_empty() {
                c.id = format!("call_{attempt}_{i}");
            }
            c
        })
        .collect();
    let last = calls.len().saturating_sub(1);
    let mut notes: Vec<Vec<String>> = vec![Vec::new(); calls.len()];
    match error {
        AttemptError::Parse(e) | AttemptError::Validation(e) => {
            for err in e.iter() {
                let (i, inner) = call_path(err.path());
                let call = &calls[i.min(last)];
                let tool = cx.toolbox.and_then(|t| t.get(&call.function.name));
                let own = Context {
                    tool: None,
                    schema: tool.map_or(cx.schema, |t| &t.parameters),
                    answer: None,
                    wrapped: false,
                    toolbox: None,
                };
                let args = serde_json::from_str::<Value>(&call.function.arguments).ok();
                // serde's location is in the calls put side by side, not in this call.
                let message = match err.message().rfind(" at line ") {
                    Some(cut) if err.message()[cut..].contains(" column ") => &err.message()[..cut],
                    _ => err.message(),
                };
                let local = ValidationError::new(inner, message);
                notes[i.min(last)].push(line(&local, args.as_ref(), &own));
            }
        }
        AttemptError::UnknownTool { index, .. } => {
            notes[(*index).min(last)].push(format!("- {}", feedback(error, cx)));
        }
        other => notes[0].push(feedback(other, cx)),
    }
    let mut out = Vec::with_capacity(calls.len() + 1);
    out.push(Message::assistant_tool_calls(calls.clone()));
    for (i, (call, notes)) in calls.iter().zip(notes).enumerate() {
        let failed = !notes.is_empty();
        let mut text = match notes.len() {
            0 => "No error found in this call.".to_owned(),
            1 => format!("This call has an error:\n{}", notes[0]),
            n => format!("This call has {n} errors:\n{}", notes.join("\n")),
        };
        if i == last {
            text.push_str(
                "\n\nMake every call again, all at once: fix every error and keep the rest as \
                 it was.",
            );
        }
        out.push(Message {
            is_error: failed,
            ..Message::tool(call.id.clone(), text)
        });
    }
    out
}

/// Which call a path of the calls' list is in, and the path inside that call's arguments:
/// `[1].Weather.city` -> `(1, "city")`, `[0].Weather` -> `(0, "")`; a path outside any call
/// is the first call's.
fn call_path(path: &str) -> (usize, &str) {
    let Some((index, rest)) = path
        .strip_prefix('[')
        .and_then(|p| p.split_once(']'))
        .and_then(|(i, rest)| Some((i.parse::<usize>().ok()?, rest)))
    else {
        return (0, path);
    };
    // Past the variant's key, `.Weather` (or `["Web search"]`).
    let inner = match rest.strip_prefix('.') {
        Some(keyed) => keyed.find(['.', '[']).map_or("", |cut| &keyed[cut..]),
        None => rest
            .strip_prefix("[\"")
            .and_then(|k| k.find("\"]").map(|end| &k[end + 2..]))
            .unwrap_or(rest),
    };
    (index, inner.strip_prefix('.').unwrap_or(inner))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::test_support::tool_call;
    use crate::validation::ValidationErrors;
    use crate::wire::Role;
    use serde_json::json;

    fn schema() -> Value {
        json!({
            "type": "object",
            "properties": {
                "name": { "type": "string", "minLength": 1 },
                "age": { "type": "integer", "minimum": 0, "maximum": 150 },
                "lineItems": { "type": "array", "items": { "$ref": "#/$defs/Line" } }
            },
            "required": ["name", "age"],
            "$defs": {
                "Line": {
                    "type": "object",
                    "properties": { "unitCount": { "type": "integer", "minimum": 1 } },
                    "required": ["unitCount"]
                }
            }
        })
    }

    fn errs() -> ValidationErrors {
        let mut e = ValidationErrors::new();
        e.add("age", "must be at most 150");
        e.add("lineItems[1].unitCount", "lower than 1");
        e.add("", "names must differ");
        e
    }

    const ANSWER: &str =
        r#"{"name": "Jason", "age": 200, "lineItems": [{"unitCount": 2}, {"unitCount": 0}]}"#;

    fn cx<'a>(schema: &'a Value, tool: Option<&'a str>) -> Context<'a> {
        Context {
            tool,
            schema,
            answer: Some(ANSWER),
            wrapped: false,
            toolbox: None,
        }
    }

    #[test]
    fn a_path_of_the_calls_list_is_a_call_and_a_path_in_its_arguments() {
        for (path, call, inner) in [
            ("[1].Weather.city", 1, "city"),
            ("[0].Weather", 0, ""),
            ("[2].Weather.stops[3].name", 2, "stops[3].name"),
            ("[1][\"Web search\"].q", 1, "q"),
            ("[4]", 4, ""),
            ("", 0, ""),
            ("name", 0, "name"),
        ] {
            assert_eq!(call_path(path), (call, inner), "{path}");
        }
    }

    #[test]
    fn json_mode_reask_names_path_value_rule_and_what_is_valid() {
        let s = schema();
        let m = reask_messages(
            &Reply::Text(Some(ANSWER.into())),
            &AttemptError::Validation(errs()),
            &cx(&s, None),
            1,
        );
        assert_eq!(m.len(), 2);
        assert_eq!(m[0], Message::assistant(ANSWER));
        assert_eq!(
            m[1].text(),
            Some(
                "Your answer has 3 errors:\n\
                 - `age` is 200: must be at most 150. A valid value: integer, from 0 to 150.\n\
                 - `lineItems[1].unitCount` is 0: lower than 1. A valid value: integer, at least 1.\n\
                 - The answer: names must differ.\n\
                 \n\
                 Reply with the whole corrected JSON: fix every error and keep the rest as it was."
            )
        );
    }

    #[test]
    fn a_missing_field_is_named_with_what_it_should_be() {
        let s = schema();
        let mut e = ValidationErrors::new();
        e.add("", "missing field `age` at line 1 column 17");
        let text = feedback(&AttemptError::Parse(e), &cx(&s, None));
        assert!(
            text.starts_with(
                "Your answer has an error:\n- `age` is missing. A valid value: integer, from 0 to 150.\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn paths_read_back() {
        assert_eq!(
            steps("lineItems[1].unitCount[0][12]"),
            Some(vec![
                Step::Key("lineItems"),
                Step::Index(1),
                Step::Key("unitCount"),
                Step::Index(0),
                Step::Index(12)
            ])
        );
        assert_eq!(steps(""), Some(vec![]));
        assert_eq!(steps("a[x]"), None);
        let answer: Value = serde_json::from_str(ANSWER).unwrap();
        assert_eq!(value_at(&answer, "lineItems[1].unitCount"), Some(&json!(0)));
        assert_eq!(value_at(&answer, "nope"), None);
        assert_eq!(expected_at(&schema(), "nope"), None);
    }

    #[test]
    fn tool_mode_reask_answers_the_call() {
        let s = schema();
        let call = tool_call("", "U", "{}");
        let m = reask_messages(
            &Reply::Tool(call),
            &AttemptError::Parse(errs()),
            &cx(&s, Some("U")),
            3,
        );
        assert_eq!(m[0].tool_calls[0].id, "call_3");
        assert_eq!(m[1].role, Role::Tool);
        assert_eq!(m[1].tool_call_id.as_deref(), Some("call_3"));
        assert!(m[1].text().unwrap().ends_with(
            "Call `U` again with the whole corrected arguments: fix every error and keep the rest as it was."
        ));
    }

    #[test]
    fn missing_tool_call_and_empty_reply() {
        let s = schema();
        let m = reask_messages(
            &Reply::Text(Some("Jason is 20".into())),
            &AttemptError::NoToolCall {
                tool: "U".into(),
                content: None,
            },
            &cx(&s, Some("U")),
            1,
        );
        assert_eq!(
            m[1].text(),
            Some("You did not call `U`. Call it now, with the answer as its arguments.")
        );
        let m = reask_messages(
            &Reply::Text(None),
            &AttemptError::EmptyContent,
            &cx(&s, None),
            1,
        );
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].role, Role::User);
    }
}
