//! OpenAI's Responses API (`POST {base}/responses`), OpenAI's newer generation endpoint,
//! where its newer features land. The neutral conversation and the mode's chat-shaped pieces
//! are rewritten into its items and flat shapes; a reply's output items are read back into
//! the neutral completion.
//!
//! Sources: OpenAI's API reference, "Responses" ("Create a model response", "The response
//! object", "Streaming events"), as its OpenAPI description `openai/openai-openapi`
//! (`openapi.yaml`) and the Python SDK `openai/openai-python` (`src/openai/types/responses/`)
//! write it; the structured-outputs guide (platform.openai.com/docs/guides/structured-outputs,
//! Responses variant). llama.cpp's `/v1/responses` converter: `tools/server/server-chat.cpp`
//! and `server-task.cpp` of llama.cpp build 11434. Collected, with line numbers, in the
//! project's provider wire notes (OpenAI Responses, §2; llama.cpp shims, §4.3).
//!
//! # Request
//!
//! | neutral | Responses |
//! | --- | --- |
//! | system and developer messages | `instructions`, their texts joined by a blank line, in order (one place the API reads as the system prompt; llama.cpp makes it the first system message) |
//! | user message | `{"type":"message","role":"user","content":[parts]}`: `input_text`, `input_image` (`image_url`, `detail`), `input_file` (`filename`, `file_data`); audio is refused (no such input part) |
//! | assistant text | `{"type":"message","role":"assistant","content":[{"type":"output_text","text"}]}` |
//! | assistant tool call | `{"type":"function_call","call_id","name","arguments"}` |
//! | tool result | `{"type":"function_call_output","call_id","output"}`: there is no error flag, the text of a re-ask says what is wrong |
//! | `max_tokens` | `max_output_tokens` (the request's, else the client's default) |
//! | `temperature` | `temperature` |
//! | `seed` | not sent: the Responses API has no seed (create params: no `seed`, no `stop`) |
//! | — | `store: false`: nothing is kept on OpenAI's side, every request carries the whole conversation |
//!
//! A message's `name` is not sent (input messages have none).
//!
//! | mode | pieces |
//! | --- | --- |
//! | `JsonSchemaStrict` | `text: {"format": {"type":"json_schema","name","schema","strict":true}}` (flat, unlike chat's nested `json_schema`) |
//! | `JsonSchema` | the same with `"strict": false` |
//! | `Json` | `text: {"format": {"type":"json_object"}}` |
//! | `MdJson` | nothing: the schema is in the prompt |
//! | `Tools` | one flat tool `{"type":"function","name","description","parameters","strict":false}` and `tool_choice: {"type":"function","name"}` |
//! | `ParallelTools` | every tool, `tool_choice: "required"`, `parallel_tool_calls: true` |
//! | `JsonObjectSchema` | refused by [`Dialect::check`]: `text.format` has no `json_object` with a schema |
//!
//! Tools are sent with `"strict": false`: the Responses API makes a function tool strict
//! when `strict` is left out, and a tools-mode schema is not written to the strict dialect.
//!
//! # llama.cpp
//!
//! llama.cpp's server (which [`Server::LlamaCpp`] names) converts a Responses body to a chat
//! one; it never reads `text.format`, and reads `tool_choice` only as a string. For that
//! server alone the body also carries the chat-shaped `response_format` (llama.cpp copies
//! top-level fields it does not know into the chat request, and compiles that one into a
//! grammar), and a forced tool is `tool_choice: "required"` (the same call when there is one
//! tool). Elsewhere the body holds Responses fields only.
//!
//! # Reply
//!
//! `message` items give the answer (`output_text` parts joined) and the refusal (`refusal`
//! parts); `function_call` items the tool calls (`call_id` as their id); `reasoning` items
//! the thinking, kept apart (summary text, else the reasoning text llama.cpp writes).
//! `status: "incomplete"` is the truncation the rest of the SDK knows as finish reason
//! `length` (`incomplete_details.reason` `max_output_tokens`, or `max_tokens` as the API
//! reference's own example writes it, or any other reason), or `content_filter`; a `failed`
//! response is an error naming the response's error code and message.
//!
//! # Streaming
//!
//! Events are read by their `type`: `response.created` (id, model),
//! `response.output_text.delta`, `response.refusal.delta`, `response.output_item.added` (a
//! function call's id and name), `response.function_call_arguments.delta`,
//! `response.reasoning_summary_text.delta` and `response.reasoning_text.delta`, and the end:
//! `response.completed` / `response.incomplete` (usage, finish reason), `response.failed`
//! and `error` (the stream's error). Other events are skipped.
//!
//! llama.cpp's stream writes no `sequence_number`, `output_index` or `content_index` (a call
//! is then told apart by its item id), and its last chunk sends no delta for the text it
//! held back until then: its `*.done` events carry the whole text. So the dialect notes, per
//! item, how many bytes of deltas it has passed on, and a `done` event passes on the rest of
//! its text only (nothing at OpenAI, where the deltas are the whole text). The note is kept
//! in a process-wide table keyed by the item's id (the seam's decoder has no per-stream
//! state); an item's entry goes at its `response.output_item.done`, and the table is emptied
//! past 4096 entries (streams dropped half-way).

use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Mutex, OnceLock, RwLock};

use reqwest::header::{HeaderName, HeaderValue, AUTHORIZATION};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{json, Map, Value};

use super::openai_chat::OpenAiChat;
use super::{Delivery, Delta, Dialect, ErrorFields, Outgoing};
use crate::input::{Content, Part};
use crate::mode::{Mode, ModeSpec};
use crate::server::Server;
use crate::wire::{
    ChatCompletion, Choice, FunctionCall, Message, ResponseMessage, Role, ToolCall, Usage,
};

/// The Responses dialect.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OpenAiResponses;

impl Dialect for OpenAiResponses {
    fn name(&self) -> &'static str {
        "openai"
    }

    fn path(&self) -> &'static str {
        "/responses"
    }

    fn check(&self, spec: &ModeSpec) -> Result<(), String> {
        match spec.mode {
            Mode::JsonObjectSchema => Err(
                "Mode::JsonObjectSchema (a `json_object` response format carrying a schema) \
                 cannot be sent to OpenAI's Responses API: its `text.format` takes a \
                 `json_schema` or a `json_object` without a schema. Use \
                 Mode::JsonSchemaStrict or Mode::JsonSchema (or Provider::OpenAiChat for a \
                 server that reads the form)"
                    .to_owned(),
            ),
            _ => Ok(()),
        }
    }

    fn auth(&self, key: &str) -> Result<(HeaderName, HeaderValue), String> {
        let mut v = HeaderValue::from_str(&format!("Bearer {key}"))
            .map_err(|_| "the API key contains characters not allowed in a header".to_owned())?;
        v.set_sensitive(true);
        Ok((AUTHORIZATION, v))
    }

    fn encode(&self, request: &Outgoing<'_>) -> Result<Vec<u8>, String> {
        body(request)
    }

    fn decode(&self, body: &str) -> Result<ChatCompletion, String> {
        let response: Response = serde_json::from_str(body).map_err(|e| e.to_string())?;
        response.completion()
    }

    fn decode_event(&self, event: &str, data: &str, out: &mut Vec<Delta>) -> Result<(), String> {
        if data == "[DONE]" {
            out.push(Delta::Done);
            return Ok(());
        }
        let mut ev: Event = serde_json::from_str(data)
            .map_err(|e| format!("an event is not a Responses stream event: {e}"))?;
        // llama.cpp's error mid-stream: a bare `data: {"error": {..}}`.
        if let Some(error) = &ev.error {
            return Err(error_text(error));
        }
        let kind = ev.kind.take();
        stream_event(kind.as_deref().unwrap_or(event), ev, out)
    }

    fn error_fields(&self, body: &str) -> ErrorFields {
        // The same `{"error": {"message", "type", "param", "code"}}` as chat completions.
        OpenAiChat.error_fields(body)
    }
}

// ---------------------------------------------------------------------------------------
// Request

/// The mode's pieces in the Responses shapes, made once per [`ModeSpec`].
#[derive(Debug, Default)]
struct Pieces {
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

/// The pieces of `spec`, translated on first use. Specs are leaked ([`spec_for`] makes
/// every one `'static`), so a spec's address names it for the life of the process.
///
/// [`spec_for`]: crate::mode::spec_for
fn pieces(spec: &ModeSpec) -> &'static Pieces {
    type Cache = RwLock<HashMap<usize, &'static Pieces>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let key = std::ptr::from_ref(spec) as usize;
    if let Some(p) = cache.read().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return p;
    }
    let mut w = cache.write().unwrap_or_else(|e| e.into_inner());
    w.entry(key)
        .or_insert_with(|| Box::leak(Box::new(translate(spec))))
}

/// The Responses pieces of a spec's chat-shaped ones.
fn translate(spec: &ModeSpec) -> Pieces {
    let parse = |raw: &Option<Box<RawValue>>| {
        raw.as_ref()
            .and_then(|r| serde_json::from_str::<Value>(r.get()).ok())
    };
    let raw = |v: Value| serde_json::value::to_raw_value(&v).expect("a JSON value serializes");
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
        Some(raw(json!({ "format": format })))
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
        Some(raw(Value::Array(flat)))
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

/// The body of a Responses request. Borrowed: re-asks and retries copy no schema or text.
#[derive(Debug, Serialize)]
struct ResponsesRequest<'a> {
    model: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    instructions: Option<String>,
    input: Vec<Item<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<&'a RawValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tools: Option<&'a RawValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_choice: Option<&'a RawValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    parallel_tool_calls: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_output_tokens: Option<u32>,
    store: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    stream: Option<bool>,
    /// Chat's response format, for llama.cpp alone (see the module documentation).
    #[serde(skip_serializing_if = "Option::is_none")]
    response_format: Option<&'a RawValue>,
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
fn body(request: &Outgoing<'_>) -> Result<Vec<u8>, String> {
    let Outgoing {
        model,
        options,
        spec,
        messages,
        delivery,
        target,
    } = *request;
    let pieces = pieces(spec);
    let (instructions, input) = conversation(messages)?;
    let llama = target.server == Server::LlamaCpp;
    let tool_choice = match &pieces.tool_choice {
        Some(_) if target.server.forces_tools_with_required() => pieces.required.as_deref(),
        other => other.as_deref(),
    };
    let request = ResponsesRequest {
        model,
        instructions,
        input,
        text: pieces.text.as_deref(),
        tools: pieces.tools.as_deref(),
        tool_choice,
        parallel_tool_calls: pieces.parallel,
        temperature: options.temperature,
        max_output_tokens: options.max_tokens.or(target.max_tokens),
        store: false,
        stream: (delivery == Delivery::Stream).then_some(true),
        response_format: if llama {
            spec.response_format.as_deref()
        } else {
            None
        },
    };
    if target.extra.is_empty() && options.extra.is_empty() {
        return serde_json::to_vec(&request).map_err(|e| e.to_string());
    }
    let mut body = match serde_json::to_value(&request).map_err(|e| e.to_string())? {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    for extra in [target.extra, &options.extra] {
        for (k, v) in extra {
            body.insert(k.clone(), v.clone());
        }
    }
    serde_json::to_vec(&body).map_err(|e| e.to_string())
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

// ---------------------------------------------------------------------------------------
// Reply

/// A response object (only what the SDK reads).
#[derive(Debug, Default, Deserialize)]
struct Response {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    created_at: Option<Value>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    output: Option<Vec<OutputItem>>,
    #[serde(default)]
    usage: Option<ResponseUsage>,
    #[serde(default)]
    incomplete_details: Option<Incomplete>,
    #[serde(default)]
    error: Option<Value>,
}

/// `incomplete_details`.
#[derive(Debug, Default, Deserialize)]
struct Incomplete {
    #[serde(default)]
    reason: Option<String>,
}

/// One output item: a message, a function call, a reasoning item (others are skipped).
#[derive(Debug, Default, Deserialize)]
struct OutputItem {
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    call_id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    arguments: Option<String>,
    #[serde(default)]
    content: Option<Vec<ContentPart>>,
    #[serde(default)]
    summary: Option<Vec<ContentPart>>,
}

/// A part of a message (`output_text`, `refusal`) or of a reasoning item (`summary_text`,
/// `reasoning_text`).
#[derive(Debug, Default, Deserialize)]
struct ContentPart {
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    refusal: Option<String>,
}

/// `usage` as the Responses API writes it; every detail object optional.
#[derive(Debug, Default, Deserialize)]
struct ResponseUsage {
    #[serde(default)]
    input_tokens: Option<u64>,
    #[serde(default)]
    output_tokens: Option<u64>,
    #[serde(default)]
    total_tokens: Option<u64>,
    #[serde(default)]
    input_tokens_details: Option<Details>,
    #[serde(default)]
    output_tokens_details: Option<Details>,
}

#[derive(Debug, Default, Deserialize)]
struct Details {
    #[serde(default)]
    cached_tokens: Option<u64>,
    #[serde(default)]
    reasoning_tokens: Option<u64>,
}

impl ResponseUsage {
    fn neutral(&self) -> Usage {
        let small = |n: Option<u64>| u32::try_from(n.unwrap_or(0)).unwrap_or(u32::MAX);
        let (input, output) = (
            self.input_tokens.unwrap_or(0),
            self.output_tokens.unwrap_or(0),
        );
        Usage {
            prompt_tokens: input,
            completion_tokens: output,
            total_tokens: self.total_tokens.unwrap_or(input + output),
            cached_tokens: small(
                self.input_tokens_details
                    .as_ref()
                    .and_then(|d| d.cached_tokens),
            ),
            cache_creation_tokens: 0,
            reasoning_tokens: small(
                self.output_tokens_details
                    .as_ref()
                    .and_then(|d| d.reasoning_tokens),
            ),
        }
    }
}

impl Response {
    /// Why generation stopped, in chat completions' words; `Err` for a failed response.
    fn finish_reason(&self) -> Result<String, String> {
        if let Some(error) = self.error.as_ref().filter(|e| !e.is_null()) {
            return Err(failed(error));
        }
        let calls = || {
            self.output
                .iter()
                .flatten()
                .any(|i| i.kind.as_deref() == Some("function_call"))
        };
        Ok(match self.status.as_deref() {
            Some("incomplete") => {
                let reason = self
                    .incomplete_details
                    .as_ref()
                    .and_then(|d| d.reason.as_deref());
                match reason {
                    Some("content_filter") => "content_filter",
                    // `max_output_tokens` (the SDK), `max_tokens` (the reference's example),
                    // or a reason not known yet: the answer was cut off.
                    _ => "length",
                }
            }
            Some("failed") => return Err(failed(&Value::Null)),
            Some(s @ ("cancelled" | "queued" | "in_progress")) => {
                return Err(format!("the response is `{s}`, not completed"))
            }
            _ if calls() => "tool_calls",
            _ => "stop",
        }
        .to_owned())
    }

    /// The response as the neutral completion.
    fn completion(self) -> Result<ChatCompletion, String> {
        let finish_reason = self.finish_reason()?;
        let mut content: Option<String> = None;
        let mut refusal: Option<String> = None;
        let mut thinking: Option<String> = None;
        let mut tool_calls = Vec::new();
        let append = |to: &mut Option<String>, text: String| match to {
            Some(t) => t.push_str(&text),
            None => *to = Some(text),
        };
        for item in self.output.into_iter().flatten() {
            match item.kind.as_deref() {
                Some("message") => {
                    for part in item.content.into_iter().flatten() {
                        match part.kind.as_deref() {
                            Some("refusal") => {
                                append(&mut refusal, part.refusal.or(part.text).unwrap_or_default())
                            }
                            _ => {
                                if let Some(t) = part.text {
                                    append(&mut content, t);
                                }
                            }
                        }
                    }
                }
                Some("function_call") => tool_calls.push(ToolCall {
                    id: item.call_id.or(item.id).unwrap_or_default(),
                    kind: "function".to_owned(),
                    function: FunctionCall {
                        name: item.name.unwrap_or_default(),
                        arguments: item.arguments.unwrap_or_default(),
                    },
                }),
                Some("reasoning") => {
                    let summary: Vec<String> = item
                        .summary
                        .into_iter()
                        .flatten()
                        .filter_map(|p| p.text)
                        .collect();
                    let text = if summary.is_empty() {
                        item.content
                            .into_iter()
                            .flatten()
                            .filter_map(|p| p.text)
                            .collect::<Vec<_>>()
                            .join("\n\n")
                    } else {
                        summary.join("\n\n")
                    };
                    if !text.is_empty() {
                        append(&mut thinking, text);
                    }
                }
                _ => {}
            }
        }
        Ok(ChatCompletion {
            id: self.id.unwrap_or_default(),
            model: self.model.unwrap_or_default(),
            created: self.created_at.as_ref().and_then(Value::as_u64),
            choices: vec![Choice {
                index: 0,
                message: ResponseMessage {
                    role: Some("assistant".to_owned()),
                    content,
                    refusal,
                    tool_calls,
                    reasoning_content: thinking,
                    reasoning: None,
                },
                finish_reason: Some(finish_reason),
            }],
            usage: self.usage.as_ref().map(ResponseUsage::neutral),
            system_fingerprint: None,
        })
    }
}

/// What a failed response says: `the response failed (server_error): The model failed ..`.
fn failed(error: &Value) -> String {
    let code = error.get("code").and_then(|c| {
        c.as_str()
            .map(str::to_owned)
            .or_else(|| (!c.is_null()).then(|| c.to_string()))
    });
    let message = error.get("message").and_then(Value::as_str);
    match (code, message) {
        (Some(c), Some(m)) => format!("the response failed ({c}): {m}"),
        (None, Some(m)) => format!("the response failed: {m}"),
        (Some(c), None) => format!("the response failed ({c})"),
        (None, None) => "the response failed, and says no why".to_owned(),
    }
}

/// The text of an `error` event or of llama.cpp's `{"error": ..}` line.
fn error_text(error: &Value) -> String {
    error
        .get("message")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| error.as_str().map(str::to_owned))
        .unwrap_or_else(|| error.to_string())
}

// ---------------------------------------------------------------------------------------
// Streaming

/// One stream event (the fields of every kind the SDK reads, all optional).
#[derive(Debug, Default, Deserialize)]
struct Event {
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    response: Option<Response>,
    #[serde(default)]
    item: Option<OutputItem>,
    #[serde(default)]
    part: Option<ContentPart>,
    #[serde(default)]
    item_id: Option<String>,
    #[serde(default)]
    output_index: Option<u32>,
    #[serde(default)]
    content_index: Option<u32>,
    #[serde(default)]
    delta: Option<String>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    refusal: Option<String>,
    #[serde(default)]
    arguments: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    code: Option<Value>,
    #[serde(default)]
    error: Option<Value>,
}

/// The deltas of one event of kind `kind`.
fn stream_event(kind: &str, ev: Event, out: &mut Vec<Delta>) -> Result<(), String> {
    let item_id = ev.item_id.as_deref().unwrap_or_default();
    let part = ev.content_index.unwrap_or(0);
    match kind {
        "response.created" | "response.in_progress" => {
            if let Some(r) = ev.response {
                push_names(r, out);
            }
        }
        "response.output_text.delta" => {
            if let Some(d) = ev.delta.filter(|d| !d.is_empty()) {
                passed(item_id, part, d.len());
                out.push(Delta::Text(d));
            }
        }
        "response.refusal.delta" => {
            if let Some(d) = ev.delta.filter(|d| !d.is_empty()) {
                passed(item_id, part, d.len());
                out.push(Delta::Refusal(d));
            }
        }
        "response.reasoning_summary_text.delta" | "response.reasoning_text.delta" => {
            if let Some(d) = ev.delta.filter(|d| !d.is_empty()) {
                out.push(Delta::Thinking(d));
            }
        }
        "response.output_item.added" => {
            if let Some(item) = ev
                .item
                .filter(|i| i.kind.as_deref() == Some("function_call"))
            {
                let item_id = item.id.unwrap_or_default();
                let arguments = item.arguments.filter(|a| !a.is_empty());
                if let Some(a) = &arguments {
                    passed(&item_id, 0, a.len());
                }
                let index = call_index(ev.output_index, &item_id);
                out.push(Delta::Call {
                    index,
                    id: item.call_id.or(Some(item_id)),
                    name: item.name,
                    arguments,
                });
            }
        }
        "response.function_call_arguments.delta" => {
            if let Some(d) = ev.delta.filter(|d| !d.is_empty()) {
                passed(item_id, 0, d.len());
                out.push(Delta::Call {
                    index: call_index(ev.output_index, item_id),
                    id: None,
                    name: None,
                    arguments: Some(d),
                });
            }
        }
        // The whole text of a part or call: only what the deltas did not bring (llama.cpp).
        "response.output_text.done" => {
            if let Some(rest) = ev.text.and_then(|t| rest(item_id, part, t)) {
                out.push(Delta::Text(rest));
            }
        }
        "response.refusal.done" => {
            if let Some(rest) = ev.refusal.and_then(|t| rest(item_id, part, t)) {
                out.push(Delta::Refusal(rest));
            }
        }
        "response.content_part.done" => {
            if let Some(p) = ev.part {
                done_part(item_id, part, p, out);
            }
        }
        "response.function_call_arguments.done" => {
            if let Some(rest) = ev.arguments.and_then(|a| rest(item_id, 0, a)) {
                out.push(Delta::Call {
                    index: call_index(ev.output_index, item_id),
                    id: None,
                    name: None,
                    arguments: Some(rest),
                });
            }
        }
        "response.output_item.done" => {
            if let Some(item) = ev.item {
                done_item(ev.output_index, item, out);
            }
        }
        "response.completed" | "response.incomplete" | "response.failed" => {
            let r = ev.response.unwrap_or_default();
            for item in r.output.iter().flatten() {
                forget(item);
            }
            let finish = r.finish_reason()?;
            if let Some(u) = &r.usage {
                out.push(Delta::Usage(u.neutral()));
            }
            push_names(r, out);
            out.push(Delta::Finish(finish));
            out.push(Delta::Done);
        }
        "error" => {
            let message = ev
                .message
                .unwrap_or_else(|| "the stream reported an error".into());
            return Err(match ev.code.filter(|c| !c.is_null()) {
                Some(Value::String(c)) => format!("{message} ({c})"),
                Some(c) => format!("{message} ({c})"),
                None => message,
            });
        }
        _ => {}
    }
    Ok(())
}

/// The response's id and model, when it says them.
fn push_names(r: Response, out: &mut Vec<Delta>) {
    if let Some(id) = r.id.filter(|i| !i.is_empty()) {
        out.push(Delta::Id(id));
    }
    if let Some(model) = r.model.filter(|m| !m.is_empty()) {
        out.push(Delta::Model(model));
    }
}

/// Which call an event belongs to: its `output_index`, else (llama.cpp writes none) a
/// number drawn from the call's item id, the same for every event of the call.
fn call_index(output_index: Option<u32>, item_id: &str) -> u32 {
    output_index.unwrap_or_else(|| {
        let mut h = DefaultHasher::new();
        item_id.hash(&mut h);
        // A high number: never one of OpenAI's small output indexes.
        (h.finish() as u32) | 0x8000_0000
    })
}

/// The end of an output item: what its parts or arguments hold beyond the deltas passed on.
fn done_item(output_index: Option<u32>, item: OutputItem, out: &mut Vec<Delta>) {
    let id = item.id.clone().unwrap_or_default();
    match item.kind.as_deref() {
        Some("message") => {
            for (i, p) in item.content.into_iter().flatten().enumerate() {
                let i = u32::try_from(i).unwrap_or(u32::MAX);
                done_part(&id, i, p, out);
                forget_one(&id, i);
            }
        }
        Some("function_call") => {
            if let Some(rest) = item.arguments.and_then(|a| rest(&id, 0, a)) {
                out.push(Delta::Call {
                    index: call_index(output_index, &id),
                    id: None,
                    name: None,
                    arguments: Some(rest),
                });
            }
            forget_one(&id, 0);
        }
        _ => {}
    }
}

/// The end of one part of a message.
fn done_part(item_id: &str, index: u32, p: ContentPart, out: &mut Vec<Delta>) {
    match p.kind.as_deref() {
        Some("refusal") => {
            if let Some(rest) = p.refusal.and_then(|t| rest(item_id, index, t)) {
                out.push(Delta::Refusal(rest));
            }
        }
        _ => {
            if let Some(rest) = p.text.and_then(|t| rest(item_id, index, t)) {
                out.push(Delta::Text(rest));
            }
        }
    }
}

/// Bytes of deltas passed on, per (item id, part) hashed.
fn seen() -> &'static Mutex<HashMap<u64, usize>> {
    static SEEN: OnceLock<Mutex<HashMap<u64, usize>>> = OnceLock::new();
    SEEN.get_or_init(Default::default)
}

/// Entries past which the table is emptied (the items of streams dropped half-way).
const SEEN_LIMIT: usize = 4096;

fn key(item_id: &str, part: u32) -> u64 {
    let mut h = DefaultHasher::new();
    (item_id, part).hash(&mut h);
    h.finish()
}

/// Notes `len` more bytes passed on for `item_id`'s part `part`.
fn passed(item_id: &str, part: u32, len: usize) {
    let mut seen = seen().lock().unwrap_or_else(|e| e.into_inner());
    if seen.len() >= SEEN_LIMIT {
        seen.clear();
    }
    *seen.entry(key(item_id, part)).or_insert(0) += len;
}

/// What `whole` holds beyond the deltas passed on for the part (all of it when none were),
/// noted as passed on; `None` when nothing is left (or the deltas were not its beginning).
fn rest(item_id: &str, part: u32, whole: String) -> Option<String> {
    let mut seen = seen().lock().unwrap_or_else(|e| e.into_inner());
    let done = seen.entry(key(item_id, part)).or_insert(0);
    let from = *done;
    *done = (*done).max(whole.len());
    match whole.get(from..) {
        Some(rest) if !rest.is_empty() => Some(rest.to_owned()),
        _ => None,
    }
}

fn forget_one(item_id: &str, part: u32) {
    seen()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&key(item_id, part));
}

/// Drops the notes of an item of a finished response.
fn forget(item: &OutputItem) {
    let id = item.id.as_deref().unwrap_or_default();
    let parts = item.content.as_ref().map_or(1, Vec::len).max(1);
    for i in 0..parts {
        forget_one(id, u32::try_from(i).unwrap_or(u32::MAX));
    }
}

#[cfg(test)]
mod tests;
