//! Reading a reply: where the answer is in a chat completion (the content, a tool call's
//! arguments, a fenced block), and the replies that end an extraction at once (no choices,
//! a refusal, the token limit, the content filter).

use crate::error::{AttemptError, Error};
use crate::mode::{Mode, ModeSpec};
use crate::parse::extract_json;
use crate::partial_json::PartialJson;
use crate::repetition::{find, Repeat};
use crate::think::skip_thinking;
use crate::validation::{ValidationError, ValidationErrors};
use crate::wire::{ChatCompletion, ToolCall, Usage};

/// What the model replied, as needed to echo it back.
#[derive(Debug, Clone)]
pub(crate) enum Reply {
    /// Text content (JSON modes, or a tools-mode answer without a tool call).
    Text(Option<String>),
    /// The tool call (tools mode).
    Tool(ToolCall),
    /// Every tool call (parallel tools mode).
    Tools(Vec<ToolCall>),
}

impl Reply {
    /// The reply's text, when it is text.
    pub(crate) fn text(&self) -> Option<&str> {
        match self {
            Reply::Text(t) => t.as_deref(),
            Reply::Tool(_) | Reply::Tools(_) => None,
        }
    }
}

/// What the model replied, and the JSON text to parse (or why there is none). `Err` for
/// answers that end the extraction.
pub(crate) fn read_reply(
    completion: &ChatCompletion,
    spec: &ModeSpec,
    usage: Usage,
) -> Result<(Reply, Result<String, AttemptError>), Error> {
    let Some(choice) = completion.choices.first() else {
        return Err(Error::EmptyChoices { usage });
    };
    let msg = &choice.message;
    if let Some(refusal) = msg.refusal.as_deref().filter(|r| !r.is_empty()) {
        return Err(Error::Refusal {
            refusal: refusal.to_owned(),
            usage,
        });
    }
    let call = match spec.mode {
        Mode::Tools => msg
            .tool_calls
            .iter()
            .find(|c| c.function.name == spec.tool_name)
            .or_else(|| msg.tool_calls.first()),
        _ => None,
    };
    let produced = || match (call, &spec.toolbox) {
        (Some(c), _) => c.function.arguments.clone(),
        (None, Some(toolbox)) if !msg.tool_calls.is_empty() => toolbox
            .answer(&msg.tool_calls)
            .unwrap_or_else(|_| arguments(&msg.tool_calls)),
        (None, _) => msg.content.clone().unwrap_or_default(),
    };
    match choice.finish_reason.as_deref() {
        Some("length") => {
            let text = produced();
            // Cut off while repeating a list: worth a re-ask that says so, not the end.
            if let Some(repeat) = runaway(&text) {
                let error = AttemptError::Repetition {
                    path: spec.caller_path(&repeat.path),
                    period: repeat.period,
                };
                return Ok((Reply::Text(None), Err(error)));
            }
            return Err(Error::Truncated { text, usage });
        }
        Some("content_filter") => {
            return Err(Error::ContentFilter {
                text: produced(),
                usage,
            })
        }
        _ => {}
    }
    // The answer is what follows a reasoning model's thinking; the thinking stays in the
    // completion, and is not echoed back in a re-ask.
    let content = msg
        .content
        .as_deref()
        .map(skip_thinking)
        .filter(|c| !c.trim().is_empty())
        .map(str::to_owned);
    if spec.mode == Mode::Tools {
        return Ok(match call {
            Some(c) => (Reply::Tool(c.clone()), Ok(c.function.arguments.clone())),
            None => (
                Reply::Text(content.clone()),
                Err(AttemptError::NoToolCall {
                    tool: spec.tool_name.clone(),
                    content,
                }),
            ),
        });
    }
    if let Some(toolbox) = &spec.toolbox {
        if msg.tool_calls.is_empty() {
            let error = AttemptError::NoToolCall {
                tool: toolbox.names(),
                content: content.clone(),
            };
            return Ok((Reply::Text(content), Err(error)));
        }
        let calls = msg.tool_calls.clone();
        return Ok((Reply::Tools(calls), toolbox.answer(&msg.tool_calls)));
    }
    let Some(text) = content else {
        return Ok((Reply::Text(None), Err(AttemptError::EmptyContent)));
    };
    let json = if spec.mode == Mode::MdJson {
        match extract_json(&text) {
            Some(j) => Ok(j.to_owned()),
            None => {
                let mut e = ValidationErrors::new();
                e.push(ValidationError::new(
                    "",
                    "no JSON object found in the answer",
                ));
                Err(AttemptError::Parse(e))
            }
        }
    } else {
        Ok(text.clone())
    };
    Ok((Reply::Text(Some(text)), json))
}

/// The arguments of every call, one after the other (what the model produced, for an error
/// that shows it).
fn arguments(calls: &[ToolCall]) -> String {
    calls
        .iter()
        .map(|c| c.function.arguments.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

/// A list repeating itself in a reply cut off at the token limit.
fn runaway(text: &str) -> Option<Repeat> {
    let text = skip_thinking(text);
    let start = text.find(['{', '['])?;
    let mut parser = PartialJson::new();
    // The cut text ends in an error or unfinished: the snapshot is what came before.
    let _ = parser.push(&text[start..]);
    find(&parser.snapshot()?, true)
}
