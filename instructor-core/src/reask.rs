//! Re-asking: what is sent back to the model when its answer is not valid.
//!
//! The caller's messages are never changed: the conversation of an extraction is a copy,
//! and each re-ask appends to that copy.
//!
//! - JSON modes: the model's own reply as an `assistant` message, then a `user` message
//!   listing every error as `path: message` and asking for a corrected JSON object.
//! - [`Mode::Tools`](crate::Mode::Tools): the model's tool call as an `assistant` message,
//!   then a `tool` message answering that call with the errors.

use crate::error::AttemptError;
use crate::reply::Reply;
use crate::wire::Message;

/// The feedback text for `error`. `tool` is the function name in tools mode.
pub(crate) fn feedback(error: &AttemptError, tool: Option<&str>) -> String {
    match (error, tool) {
        (AttemptError::Parse(e) | AttemptError::Validation(e), None) => format!(
            "Your answer has errors:\n{e}\n\nReply with a corrected JSON object that fixes every error."
        ),
        (AttemptError::Parse(e) | AttemptError::Validation(e), Some(tool)) => format!(
            "The arguments have errors:\n{e}\n\nCall `{tool}` again with corrected arguments that fix every error."
        ),
        (AttemptError::NoToolCall { tool, .. }, _) => {
            format!("You did not call `{tool}`. Call it now, with the answer as its arguments.")
        }
        (AttemptError::EmptyContent, _) => {
            "Your answer was empty. Reply with a JSON object that matches the schema.".to_owned()
        }
    }
}

/// The messages appended to the conversation to re-ask after `reply` failed with `error`.
/// `attempt` numbers tool calls that came without an id.
pub(crate) fn reask_messages(
    reply: &Reply,
    error: &AttemptError,
    tool: Option<&str>,
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
                Message::tool(id, feedback(error, tool)),
            ]
        }
        Reply::Text(content) => {
            let mut out = Vec::with_capacity(2);
            if let Some(c) = content.as_deref().filter(|c| !c.trim().is_empty()) {
                out.push(Message::assistant(c));
            }
            // A tools-mode reply without a tool call is answered as text.
            let tool = match error {
                AttemptError::NoToolCall { .. } => tool,
                _ => None,
            };
            out.push(Message::user(feedback(error, tool)));
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validation::ValidationErrors;
    use crate::wire::{FunctionCall, Role, ToolCall};

    fn errs() -> ValidationErrors {
        let mut e = ValidationErrors::new();
        e.add("age", "must be at most 150");
        e.add("", "names must differ");
        e
    }

    #[test]
    fn json_mode_reask() {
        let m = reask_messages(
            &Reply::Text(Some("{\"age\": 200}".into())),
            &AttemptError::Validation(errs()),
            None,
            1,
        );
        assert_eq!(m.len(), 2);
        assert_eq!(m[0], Message::assistant("{\"age\": 200}"));
        assert_eq!(
            m[1].content.as_deref(),
            Some("Your answer has errors:\nage: must be at most 150\n(root): names must differ\n\nReply with a corrected JSON object that fixes every error.")
        );
    }

    #[test]
    fn tool_mode_reask_answers_the_call() {
        let call = ToolCall {
            id: String::new(),
            kind: "function".into(),
            function: FunctionCall {
                name: "U".into(),
                arguments: "{}".into(),
            },
        };
        let m = reask_messages(
            &Reply::Tool(call),
            &AttemptError::Parse(errs()),
            Some("U"),
            3,
        );
        assert_eq!(m[0].tool_calls[0].id, "call_3");
        assert_eq!(m[1].role, Role::Tool);
        assert_eq!(m[1].tool_call_id.as_deref(), Some("call_3"));
        assert!(m[1]
            .content
            .as_deref()
            .unwrap()
            .ends_with("Call `U` again with corrected arguments that fix every error."));
    }

    #[test]
    fn missing_tool_call_and_empty_reply() {
        let m = reask_messages(
            &Reply::Text(Some("Jason is 20".into())),
            &AttemptError::NoToolCall {
                tool: "U".into(),
                content: None,
            },
            Some("U"),
            1,
        );
        assert_eq!(
            m[1].content.as_deref(),
            Some("You did not call `U`. Call it now, with the answer as its arguments.")
        );
        let m = reask_messages(&Reply::Text(None), &AttemptError::EmptyContent, None, 1);
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].role, Role::User);
    }
}
