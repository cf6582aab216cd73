//! The request side of the Responses dialect: the mode's chat-shaped pieces rewritten into
//! the Responses shapes (made once per spec), the conversation as `instructions` and input
//! items, and the JSON body of one request.

use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{json, Map, Value};

use crate::input::{Content, Part};
use crate::mode::{Mode, ModeSpec};
use crate::provider::spec_cache::{parse, piece, raw, SpecCache};
use crate::provider::{skip_none, Outgoing};
use crate::server::Server;
use crate::wire::{Echo, Message, Role};

/// The mode's pieces in the Responses shapes, made once per [`ModeSpec`].
#[derive(Debug, Default)]
pub(super) struct Pieces {
    /// `text`: `{"format": {..}}`.
    text: Option<Box<RawValue>>,
    /// `tools`: the flat function tools.
    tools: Option<Box<RawValue>>,
    /// `tool_choice`.
    tool_choice: Option<Box<RawValue>>,
    /// `tool_choice: "required"`, for a server that reads only the string forms.
    required: Option<Box<RawValue>>,
    /// `parallel_tool_calls`.
    parallel: Option<bool>,
}

/// The pieces of each spec (`PIECES.get(spec)`), translated on first use. Specs are leaked ([`spec_for`] makes
/// every one `'static`), so a spec's address names it for the life of the process.
///
/// [`spec_for`]: crate::mode::spec_for
pub(super) static PIECES: SpecCache<Pieces> = SpecCache::new(translate);

/// The Responses pieces of a spec's chat-shaped ones.
fn translate(spec: &ModeSpec) -> Pieces {
    let text = parse(&spec.response_format).and_then(|rf| {
        let format = match rf.get("type").and_then(Value::as_str)? {
            "json_schema" => {
                let js = rf.get("json_schema")?;
                let mut f = Map::new();
                f.insert("type".into(), json!("json_schema"));
                f.insert(
                    "name".into(),
                    js.get("name").cloned().unwrap_or(json!(spec.tool_name)),
                );
                if let Some(d) = js.get("description") {
                    f.insert("description".into(), d.clone());
                }
                f.insert("schema".into(), js.get("schema").cloned()?);
                let strict = js.get("strict").and_then(Value::as_bool).unwrap_or(false);
                f.insert("strict".into(), json!(strict));
                Value::Object(f)
            }
            "json_object" => json!({ "type": "json_object" }),
            _ => return None,
        };
        piece(json!({ "format": format }))
    });
    let tools = parse(&spec.tools).and_then(|tools| {
        let flat: Vec<Value> = tools
            .as_array()?
            .iter()
            .filter_map(|t| {
                let f = t.get("function")?;
                let mut tool = Map::new();
                tool.insert("type".into(), json!("function"));
                tool.insert("name".into(), f.get("name")?.clone());
                if let Some(d) = f.get("description") {
                    tool.insert("description".into(), d.clone());
                }
                tool.insert(
                    "parameters".into(),
                    f.get("parameters").cloned().unwrap_or(json!({})),
                );
                let strict = f.get("strict").and_then(Value::as_bool).unwrap_or(false);
                tool.insert("strict".into(), json!(strict));
                Some(Value::Object(tool))
            })
            .collect();
        piece(Value::Array(flat))
    });
    let tool_choice = parse(&spec.tool_choice).map(|choice| {
        raw(match choice.pointer("/function/name") {
            Some(name) => json!({ "type": "function", "name": name }),
            None => choice,
        })
    });
    Pieces {
        required: tool_choice.as_ref().map(|_| raw(json!("required"))),
        text,
        tools,
        tool_choice,
        parallel: (spec.mode == Mode::ParallelTools).then_some(true),
    }
}

skip_none! {
    /// The body of a Responses request. Borrowed: re-asks and retries copy no schema or text.
    #[derive(Debug, Serialize)]
    struct ResponsesRequest<'a> {
        model: &'a str,
        instructions: Option<String>,
        input: Vec<Item<'a>>,
        text: Option<&'a RawValue>,
        tools: Option<&'a RawValue>,
        tool_choice: Option<&'a RawValue>,
        parallel_tool_calls: Option<bool>,
        temperature: Option<f64>,
        max_output_tokens: Option<u32>,
        store: bool,
        stream: Option<bool>,
        /// Chat's response format, for llama.cpp alone (see the module documentation).
        response_format: Option<&'a RawValue>,
    }
}

/// One input item.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Item<'a> {
    /// A user or assistant message.
    Message {
        role: &'static str,
        content: Vec<InputPart<'a>>,
    },
    /// The model's tool call, echoed back.
    FunctionCall {
        call_id: &'a str,
        name: &'a str,
        arguments: &'a str,
    },
    /// The answer to a tool call.
    FunctionCallOutput { call_id: &'a str, output: String },
    /// An output item of an earlier answer sent back as received: a `reasoning` item with
    /// its `encrypted_content` (how a reasoning model's thinking carries over a turn
    /// without `store`).
    #[serde(untagged)]
    Kept(&'a RawValue),
}

/// One part of a message item.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum InputPart<'a> {
    InputText {
        text: &'a str,
    },
    InputImage {
        image_url: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        detail: Option<&'static str>,
    },
    InputFile {
        filename: &'a str,
        file_data: &'a str,
    },
    /// An assistant message's text.
    OutputText {
        text: &'a str,
    },
}

/// The JSON body of one request; `Err` names what the conversation holds that the API does
/// not take.
pub(super) fn body(request: &Outgoing<'_>) -> Result<Vec<u8>, String> {
    let Outgoing { spec, target, .. } = *request;
    let pieces = PIECES.get(spec);
    let (instructions, input) = conversation(request.messages)?;
    let tool_choice = match &pieces.tool_choice {
        Some(_) if target.server.forces_tools_with_required() => pieces.required.as_deref(),
        other => other.as_deref(),
    };
    request.json(&ResponsesRequest {
        model: request.model,
        instructions,
        input,
        text: pieces.text.as_deref(),
        tools: pieces.tools.as_deref(),
        tool_choice,
        parallel_tool_calls: pieces.parallel,
        temperature: request.options.temperature,
        max_output_tokens: request.max_tokens(),
        store: false,
        stream: request.stream(),
        response_format: if target.server == Server::LlamaCpp {
            spec.response_format.as_deref()
        } else {
            None
        },
    })
}

/// The conversation as `instructions` (the system and developer messages) and input items.
fn conversation(messages: &[Message]) -> Result<(Option<String>, Vec<Item<'_>>), String> {
    let mut instructions: Option<String> = None;
    let mut input = Vec::with_capacity(messages.len() + 1);
    for m in messages {
        match m.role {
            Role::System | Role::Developer => {
                let text = plain_text(m.content.as_ref(), "a system message")?;
                match &mut instructions {
                    Some(i) => {
                        i.push_str("\n\n");
                        i.push_str(&text);
                    }
                    None => instructions = Some(text),
                }
            }
            Role::User => input.push(Item::Message {
                role: "user",
                content: user_parts(m.content.as_ref())?,
            }),
            Role::Assistant => {
                let kept = Echo::of(m.echo.as_ref(), super::NAME);
                input.extend(kept.iter().map(|item| Item::Kept(item)));
                if let Some(content) = &m.content {
                    let parts = match content {
                        Content::Text(t) => vec![InputPart::OutputText { text: t }],
                        Content::Parts(parts) => parts
                            .iter()
                            .map(|p| match p {
                                Part::Text(t) => Ok(InputPart::OutputText { text: t }),
                                _ => Err("an assistant message holds a part that is not text: \
                                          the Responses API takes text alone there"
                                    .to_owned()),
                            })
                            .collect::<Result<_, _>>()?,
                    };
                    if !parts.is_empty() {
                        input.push(Item::Message {
                            role: "assistant",
                            content: parts,
                        });
                    }
                }
                for call in &m.tool_calls {
                    input.push(Item::FunctionCall {
                        call_id: &call.id,
                        name: &call.function.name,
                        arguments: &call.function.arguments,
                    });
                }
            }
            Role::Tool => input.push(Item::FunctionCallOutput {
                call_id: m.tool_call_id.as_deref().unwrap_or_default(),
                output: plain_text(m.content.as_ref(), "a tool result")?,
            }),
        }
    }
    Ok((instructions, input))
}

/// A message's text: its text, or its text parts joined; `Err` when it holds anything else.
fn plain_text(content: Option<&Content>, what: &str) -> Result<String, String> {
    match content {
        None => Ok(String::new()),
        Some(Content::Text(t)) => Ok(t.clone()),
        Some(Content::Parts(parts)) => {
            let mut text = String::new();
            for p in parts {
                let Part::Text(t) = p else {
                    return Err(format!(
                        "{what} holds a part that is not text: the Responses API takes text \
                         alone there"
                    ));
                };
                if !text.is_empty() {
                    text.push_str("\n\n");
                }
                text.push_str(t);
            }
            Ok(text)
        }
    }
}

/// A user message's parts.
fn user_parts(content: Option<&Content>) -> Result<Vec<InputPart<'_>>, String> {
    match content {
        None => Ok(Vec::new()),
        Some(Content::Text(t)) => Ok(vec![InputPart::InputText { text: t }]),
        Some(Content::Parts(parts)) => parts
            .iter()
            .map(|p| match p {
                Part::Text(t) => Ok(InputPart::InputText { text: t }),
                Part::Image(i) => Ok(InputPart::InputImage {
                    image_url: i.url(),
                    detail: i.detail().map(|d| d.as_str()),
                }),
                Part::Pdf(f) => Ok(InputPart::InputFile {
                    filename: f.filename(),
                    file_data: f.data_url(),
                }),
                Part::Audio(_) => Err("the Responses API takes no audio input part \
                                       (input_text, input_image, input_file only): send audio \
                                       with Provider::OpenAiChat"
                    .to_owned()),
            })
            .collect(),
    }
}
