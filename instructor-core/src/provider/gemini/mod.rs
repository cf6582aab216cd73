//! Google's Gemini API (Generative Language, API key): `POST
//! {base}/models/{model}:generateContent`, and `:streamGenerateContent?alt=sse` for a stream.
//!
//! The neutral conversation is rewritten into Gemini's `contents`: system and developer
//! messages joined into `systemInstruction`, roles `user` and `model`, parts `text`,
//! `inlineData` (images, PDFs, audio), `fileData` (an image by URL), `functionCall` (an
//! assistant's tool call) and `functionResponse` (a tool result, in a `user` turn), with
//! consecutive turns of one role merged. The mode's pieces (see [`pieces`]) are translated
//! once per [`ModeSpec`]: a response schema in `generationConfig`, or function declarations
//! forced with `toolConfig`.
//!
//! A reply's first candidate becomes the neutral completion: its text (thought parts apart,
//! as thinking), its function calls (numbered `call_0`, `call_1`, ...), its `finishReason`
//! in chat completions' words (`STOP` → `stop`, or `tool_calls` when the model called;
//! `MAX_TOKENS` → `length`; the safety reasons → `content_filter`), and `usageMetadata`. A
//! prompt blocked before any candidate (`promptFeedback.blockReason`) is a
//! `content_filter` answer whose text is the reason.
//!
//! Sources (tags of `notes/providers-wire.md` §3): the REST API reference,
//! <https://ai.google.dev/api/generate-content>; `googleapis/python-genai@6680718`
//! `google/genai/{types.py,_api_client.py,models.py}` (GEM-SDK); the Gemini cookbook's REST
//! quickstarts `google-gemini/cookbook@f1e7e3d` (GEM-CB: `Function_calling_REST`,
//! `Function_calling_config_REST`, `Safety_REST`, `Streaming_REST`); the structured-output
//! and thought-signature guides, <https://ai.google.dev/gemini-api/docs/structured-output>
//! and <https://ai.google.dev/gemini-api/docs/thought-signatures> (GEM-SO, GEM-TS); the
//! error codes, <https://ai.google.dev/gemini-api/docs/troubleshooting> (GEM-ERR).

mod schema;

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{OnceLock, RwLock};

use reqwest::header::{HeaderName, HeaderValue};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{json, Map, Value};

use super::{Delta, Dialect, ErrorFields, Outgoing};
use crate::input::{Content, Part};
use crate::mode::{Mode, ModeSpec};
use crate::wire::{ChatCompletion, Choice, FunctionCall, Message, ResponseMessage, Role};
use crate::wire::{ToolCall, Usage};

pub(crate) use schema::gemini_schema;

/// The Gemini dialect.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Gemini;

/// The header the key travels in: `x-goog-api-key` (GEM-SDK `_api_client.py:843`).
const KEY_HEADER: &str = "x-goog-api-key";

impl Dialect for Gemini {
    /// OpenTelemetry's `gen_ai.system` value for the Gemini API.
    fn name(&self) -> &'static str {
        "gcp.gemini"
    }

    /// Unused on its own: every request's path names its model ([`Dialect::model_path`]).
    fn path(&self) -> &'static str {
        "/models"
    }

    /// `/models/{model}:generateContent`, or `/models/{model}:streamGenerateContent?alt=sse`
    /// when streaming ("without `alt=sse` the stream is a JSON array": GEM-CB
    /// `Streaming_REST`; GEM-SDK `models.py:4765`). A model written `models/...` is taken
    /// as it is; `tunedModels/...` keeps its own collection.
    fn model_path(&self, model: &str, stream: bool) -> Option<String> {
        let model = model.trim().trim_start_matches('/');
        let name = if model.starts_with("models/") || model.starts_with("tunedModels/") {
            Cow::Borrowed(model)
        } else {
            Cow::Owned(format!("models/{model}"))
        };
        let method = if stream {
            "streamGenerateContent?alt=sse"
        } else {
            "generateContent"
        };
        Some(format!("/{}:{method}", escape_path(&name)))
    }

    /// `JsonObjectSchema` is an OpenAI-compatible server's form (`response_format:
    /// json_object` with a schema): Gemini has no such request.
    fn check(&self, spec: &ModeSpec) -> Result<(), String> {
        match spec.mode {
            Mode::JsonObjectSchema => {
                Err("Gemini has no `json_object` response format with a schema \
                 (Mode::JsonObjectSchema): use Mode::JsonSchema (Gemini's responseJsonSchema) \
                 or Mode::Tools"
                    .to_owned())
            }
            _ => Ok(()),
        }
    }

    fn auth(&self, key: &str) -> Result<(HeaderName, HeaderValue), String> {
        let mut v = HeaderValue::from_str(key)
            .map_err(|_| "the API key contains characters not allowed in a header".to_owned())?;
        v.set_sensitive(true);
        Ok((HeaderName::from_static(KEY_HEADER), v))
    }

    fn encode(&self, request: &Outgoing<'_>) -> Result<Vec<u8>, String> {
        body(request)
    }

    fn decode(&self, body: &str) -> Result<ChatCompletion, String> {
        let response: GenerateContentResponse =
            serde_json::from_str(body).map_err(|e| e.to_string())?;
        if let Some(error) = &response.error {
            return Err(error_message(error));
        }
        Ok(completion(response))
    }

    /// Each event is a whole `GenerateContentResponse` with the next piece of the answer;
    /// there are no event names and no `[DONE]`: the stream ends with the body (GEM-SDK
    /// `_api_client.py:391-415`). The last frames carry `finishReason`, which the stream
    /// driver takes as the end of a complete answer.
    fn decode_event(&self, _event: &str, data: &str, out: &mut Vec<Delta>) -> Result<(), String> {
        if data == "[DONE]" {
            out.push(Delta::Done);
            return Ok(());
        }
        let frame: GenerateContentResponse = serde_json::from_str(data)
            .map_err(|e| format!("an event is not a GenerateContentResponse: {e}"))?;
        if let Some(error) = &frame.error {
            return Err(error_message(error));
        }
        if let Some(id) = frame.response_id.filter(|i| !i.is_empty()) {
            out.push(Delta::Id(id));
        }
        if let Some(model) = frame.model_version.filter(|m| !m.is_empty()) {
            out.push(Delta::Model(model));
        }
        if let Some(usage) = frame.usage_metadata {
            out.push(Delta::Usage(usage.into()));
        }
        let Some(candidate) = frame.candidates.into_iter().flatten().next() else {
            if let Some(blocked) = frame.prompt_feedback.as_ref().and_then(blocked_prompt) {
                out.push(Delta::Text(blocked));
                out.push(Delta::Finish("content_filter".into()));
            }
            return Ok(());
        };
        let reason = candidate.finish_reason.clone();
        for part in candidate.parts() {
            if let Some(call) = part.function_call {
                let tag = call_tag(call.id.as_deref(), part.thought_signature.as_deref());
                out.push(Delta::WholeCall {
                    tag,
                    name: call.name,
                    arguments: arguments_text(call.args),
                });
            } else if let Some(text) = part.text {
                out.push(if part.thought == Some(true) {
                    Delta::Thinking(text)
                } else {
                    Delta::Text(text)
                });
            }
        }
        if let Some(reason) = reason.as_deref() {
            out.push(Delta::Finish(finish_reason(reason, false)));
        }
        Ok(())
    }

    /// `{"error": {"code": 429, "message": "...", "status": "RESOURCE_EXHAUSTED"}}` (GEM-ERR):
    /// the status is the kind, the numeric code the code.
    fn error_fields(&self, body: &str) -> ErrorFields {
        let Ok(value) = serde_json::from_str::<Value>(body) else {
            return ErrorFields::default();
        };
        let error = value.get("error").unwrap_or(&value);
        let text = |k: &str| error.get(k).and_then(Value::as_str).map(str::to_owned);
        ErrorFields {
            message: text("message"),
            kind: text("status"),
            code: error.get("code").and_then(|c| match c {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            }),
        }
    }

    // `retryable`: the default (408, 409, 429, 5xx) covers what GEM-ERR lists as worth
    // another try: 429 RESOURCE_EXHAUSTED, 500 INTERNAL, 503 UNAVAILABLE, 504
    // DEADLINE_EXCEEDED (python-genai's own list: 408, 429, 500, 502, 503, 504).
}

/// `name` with every character but `[A-Za-z0-9._~/-]` percent-encoded: a model name never
/// changes the URL's shape.
fn escape_path(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'~' | b'/' | b'-') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// The mode's pieces.

/// A spec's pieces as Gemini takes them, serialized once.
#[derive(Debug, Default)]
pub(crate) struct Pieces {
    /// `generationConfig.responseMimeType`.
    mime: Option<&'static str>,
    /// `generationConfig.responseJsonSchema`.
    schema: Option<Box<RawValue>>,
    /// `tools`: `[{"functionDeclarations": [..]}]`.
    tools: Option<Box<RawValue>>,
    /// `toolConfig`: `{"functionCallingConfig": {"mode": "ANY", ..}}`.
    tool_config: Option<Box<RawValue>>,
}

/// The pieces of `spec`, translated on first use and kept for the life of the process
/// (specs live as long: they are leaked, one per type, mode and prompting), keyed by the
/// spec's address.
pub(crate) fn pieces(spec: &ModeSpec) -> &'static Pieces {
    type Cache = RwLock<HashMap<usize, &'static Pieces>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let key = spec as *const ModeSpec as usize;
    if let Some(p) = cache.read().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return p;
    }
    let mut w = cache.write().unwrap_or_else(|e| e.into_inner());
    w.entry(key)
        .or_insert_with(|| Box::leak(Box::new(translate(spec))))
}

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
    let raw = |v: Value| Some(serde_json::value::to_raw_value(&v).expect("JSON serializes"));
    let parse = |r: &Option<Box<RawValue>>| {
        r.as_ref()
            .and_then(|r| serde_json::from_str::<Value>(r.get()).ok())
    };
    let mut pieces = Pieces::default();
    match spec.mode {
        Mode::JsonSchema | Mode::JsonSchemaStrict => {
            pieces.mime = Some("application/json");
            if let Some(s) = parse(&spec.response_format)
                .as_ref()
                .and_then(|f| f.pointer("/json_schema/schema"))
            {
                pieces.schema = raw(gemini_schema(s));
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
            pieces.tools = raw(json!([{ "functionDeclarations": declarations }]));
            pieces.tool_config = raw(if spec.mode == Mode::Tools {
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

// ---------------------------------------------------------------------------------------
// The request.

/// The body of a `generateContent` request (GEM-SDK `GenerateContentConfig`; skeleton in
/// notes §3.2). Borrowed: the messages' text and images are not copied.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Request<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    system_instruction: Option<Turn<'a>>,
    contents: Vec<Turn<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tools: Option<&'a RawValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_config: Option<&'a RawValue>,
    #[serde(skip_serializing_if = "GenerationConfig::is_empty")]
    generation_config: GenerationConfig<'a>,
}

/// `generationConfig`: sampling options and the response's form.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
struct GenerationConfig<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_output_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    seed: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    response_mime_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    response_json_schema: Option<&'a RawValue>,
}

impl GenerationConfig<'_> {
    fn is_empty(&self) -> bool {
        self.temperature.is_none()
            && self.max_output_tokens.is_none()
            && self.seed.is_none()
            && self.response_mime_type.is_none()
            && self.response_json_schema.is_none()
    }
}

/// One `Content`: a role (absent in `systemInstruction`) and its parts.
#[derive(Debug, Serialize)]
struct Turn<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    role: Option<&'static str>,
    parts: Vec<PartOut<'a>>,
}

/// One part written: exactly one of its data fields is set, and `thoughtSignature` beside a
/// function call that had one.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
struct PartOut<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    inline_data: Option<Blob<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    file_data: Option<FileData<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    function_call: Option<CallOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    function_response: Option<ResponseOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    thought_signature: Option<&'a str>,
}

/// `inlineData`: base64 bytes and their type.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Blob<'a> {
    mime_type: &'a str,
    data: &'a str,
}

/// `fileData`: a file the server fetches.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct FileData<'a> {
    mime_type: &'static str,
    file_uri: &'a str,
}

/// `functionCall` as the model made it.
#[derive(Debug, Serialize)]
struct CallOut<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    name: &'a str,
    args: Cow<'a, RawValue>,
}

/// `functionResponse`: `response` holds `output`, or `error` for a failure ("Use "output"
/// key to specify function output and "error" key to specify error details": GEM-SDK
/// types.py:2001-2004).
#[derive(Debug, Serialize)]
struct ResponseOut<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    name: &'a str,
    response: ResponseBody<'a>,
}

#[derive(Debug, Serialize)]
struct ResponseBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    output: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
}

/// The JSON body of one request; `Err` names what in the conversation Gemini cannot take.
fn body(request: &Outgoing<'_>) -> Result<Vec<u8>, String> {
    let Outgoing {
        options,
        spec,
        messages,
        target,
        ..
    } = *request;
    let pieces = pieces(spec);
    let (system_instruction, contents) = conversation(messages)?;
    let request = Request {
        system_instruction,
        contents,
        tools: pieces.tools.as_deref(),
        tool_config: pieces.tool_config.as_deref(),
        generation_config: GenerationConfig {
            temperature: options.temperature,
            max_output_tokens: options.max_tokens.or(target.max_tokens),
            seed: options.seed,
            response_mime_type: pieces.mime,
            response_json_schema: pieces.schema.as_deref(),
        },
    };
    if target.extra.is_empty() && options.extra.is_empty() {
        return serde_json::to_vec(&request).map_err(|e| e.to_string());
    }
    // Extra fields, the client's then the request's, written over the body's top level.
    let mut body = match serde_json::to_value(&request) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    for extra in [target.extra, &options.extra] {
        for (k, v) in extra {
            body.insert(k.clone(), v.clone());
        }
    }
    serde_json::to_vec(&body).map_err(|e| e.to_string())
}

/// The neutral messages as `systemInstruction` and `contents`.
fn conversation(messages: &[Message]) -> Result<(Option<Turn<'_>>, Vec<Turn<'_>>), String> {
    let mut system: Vec<&str> = Vec::new();
    let mut contents: Vec<Turn<'_>> = Vec::new();
    // The calls of the conversation so far, to name the function a tool result answers;
    // and those of the last assistant message, with how many results followed it.
    let mut calls: Vec<&ToolCall> = Vec::new();
    let mut last_calls: &[ToolCall] = &[];
    let mut answered = 0usize;
    for message in messages {
        match message.role {
            Role::System | Role::Developer => match &message.content {
                Some(Content::Text(t)) => system.push(t),
                Some(Content::Parts(parts)) => {
                    for part in parts {
                        match part {
                            Part::Text(t) => system.push(t),
                            _ => {
                                return Err("Gemini's system instruction takes text only: send \
                                            images, PDFs and audio in a user message"
                                    .to_owned())
                            }
                        }
                    }
                }
                None => {}
            },
            Role::User => {
                let parts = content_parts(message.content.as_ref())?;
                push(&mut contents, "user", parts);
            }
            Role::Assistant => {
                let mut parts = content_parts(message.content.as_ref())?;
                for call in &message.tool_calls {
                    parts.push(call_part(call));
                    calls.push(call);
                }
                last_calls = &message.tool_calls;
                answered = 0;
                push(&mut contents, "model", parts);
            }
            Role::Tool => {
                let id = message.tool_call_id.as_deref().unwrap_or_default();
                let call = last_calls
                    .iter()
                    .find(|c| c.id == id)
                    .or_else(|| calls.iter().rev().copied().find(|c| c.id == id))
                    .or_else(|| last_calls.get(answered))
                    .ok_or_else(|| {
                        format!(
                            "a tool result answers the call `{id}`, which no earlier \
                             assistant message makes: Gemini needs the function's name"
                        )
                    })?;
                answered += 1;
                let text = match &message.content {
                    Some(Content::Text(t)) => t.as_str(),
                    Some(Content::Parts(_)) => {
                        return Err("Gemini's function responses take text only".to_owned())
                    }
                    None => "",
                };
                let (_, gemini_id, _) = split_tag(&call.id);
                let part = PartOut {
                    function_response: Some(ResponseOut {
                        id: gemini_id,
                        name: &call.function.name,
                        response: if message.is_error {
                            ResponseBody {
                                output: None,
                                error: Some(text),
                            }
                        } else {
                            ResponseBody {
                                output: Some(text),
                                error: None,
                            }
                        },
                    }),
                    ..PartOut::default()
                };
                push(&mut contents, "user", vec![part]);
            }
        }
    }
    let system = (!system.is_empty()).then(|| Turn {
        role: None,
        parts: vec![PartOut {
            text: Some(Cow::Owned(system.join("\n\n"))),
            ..PartOut::default()
        }],
    });
    Ok((system, contents))
}

/// Appends `parts` as a turn of `role`, merged into the last turn when it has that role
/// (Gemini alternates `user` and `model`). A message with no parts adds nothing.
fn push<'a>(contents: &mut Vec<Turn<'a>>, role: &'static str, parts: Vec<PartOut<'a>>) {
    if parts.is_empty() {
        return;
    }
    match contents.last_mut() {
        Some(last) if last.role == Some(role) => last.parts.extend(parts),
        _ => contents.push(Turn {
            role: Some(role),
            parts,
        }),
    }
}

/// A message's content as parts: text, `inlineData` for inline images, PDFs and audio,
/// `fileData` for an image by URL whose type its name tells.
fn content_parts(content: Option<&Content>) -> Result<Vec<PartOut<'_>>, String> {
    let Some(content) = content else {
        return Ok(Vec::new());
    };
    let parts = match content {
        Content::Text(t) if t.is_empty() => return Ok(Vec::new()),
        Content::Text(t) => {
            return Ok(vec![PartOut {
                text: Some(Cow::Borrowed(t)),
                ..PartOut::default()
            }])
        }
        Content::Parts(parts) => parts,
    };
    let mut out = Vec::with_capacity(parts.len());
    for part in parts {
        out.push(match part {
            Part::Text(t) => PartOut {
                text: Some(Cow::Borrowed(t)),
                ..PartOut::default()
            },
            Part::Image(image) => match split_data_url(image.url()) {
                Some((mime_type, data)) => inline(mime_type, data),
                None => match image_mime_by_name(image.url()) {
                    Some(mime_type) => PartOut {
                        file_data: Some(FileData {
                            mime_type,
                            file_uri: image.url(),
                        }),
                        ..PartOut::default()
                    },
                    None => {
                        return Err(format!(
                            "Gemini takes an image by URL as `fileData`, which needs its type, \
                             and `{}` does not end in .png, .jpg, .jpeg, .webp, .gif, .heic or \
                             .heif: send the image inline (Image::from_path or \
                             Image::from_bytes)",
                            image.url()
                        ))
                    }
                },
            },
            Part::Pdf(pdf) => match split_data_url(pdf.data_url()) {
                Some((_, data)) => inline("application/pdf", data),
                None => return Err("a PDF that is not a base64 `data:` URL".to_owned()),
            },
            Part::Audio(audio) => inline(audio_mime(audio.format()), audio.data()),
        });
    }
    Ok(out)
}

/// An `inlineData` part.
fn inline<'a>(mime_type: &'a str, data: &'a str) -> PartOut<'a> {
    PartOut {
        inline_data: Some(Blob { mime_type, data }),
        ..PartOut::default()
    }
}

/// Gemini's name for an audio format (`audio/wav`, `audio/mp3`: ai.google.dev/gemini-api/
/// docs/audio, "Supported audio formats").
fn audio_mime(format: crate::input::AudioFormat) -> &'static str {
    match format {
        crate::input::AudioFormat::Wav => "audio/wav",
        crate::input::AudioFormat::Mp3 => "audio/mp3",
    }
}

/// `(mime, data)` of a `data:<mime>;base64,<data>` URL.
fn split_data_url(url: &str) -> Option<(&str, &str)> {
    let head = url.get(..5)?;
    if !head.eq_ignore_ascii_case("data:") {
        return None;
    }
    let (meta, data) = url[5..].split_once(',')?;
    Some((meta.strip_suffix(";base64")?, data))
}

/// The type of an image by the end of its URL's path.
fn image_mime_by_name(url: &str) -> Option<&'static str> {
    let path = url.split(['?', '#']).next()?.to_ascii_lowercase();
    let ext = path.rsplit_once('.')?.1;
    Some(match ext {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "gif" => "image/gif",
        "heic" => "image/heic",
        "heif" => "image/heif",
        _ => return None,
    })
}

/// An assistant's tool call as a `functionCall` part: its arguments as the object they
/// are, Gemini's own id when the call had one, and its thought signature ("The first
/// `functionCall` part in each step of the current turn must include its
/// `thought_signature`": GEM-TS).
fn call_part(call: &ToolCall) -> PartOut<'_> {
    let (_, id, signature) = split_tag(&call.id);
    let args = serde_json::from_str::<&RawValue>(&call.function.arguments)
        .ok()
        .filter(|a| a.get().trim_start().starts_with('{'))
        .map_or_else(|| Cow::Owned(empty_object()), Cow::Borrowed);
    PartOut {
        function_call: Some(CallOut {
            id,
            name: &call.function.name,
            args,
        }),
        thought_signature: signature,
        ..PartOut::default()
    }
}

fn empty_object() -> Box<RawValue> {
    RawValue::from_string("{}".to_owned()).expect("valid JSON")
}

// ---------------------------------------------------------------------------------------
// Call ids.
//
// Gemini's calls rarely have ids, and a Gemini 3 call carries a thought signature that
// must come back with it. The neutral call's id holds both: `call_{n}`, then `;id=<id>`
// when Gemini gave one, then `;sig=<signature>` (base64, no `;`).

/// The tag after `call_{n}` for a call with Gemini's `id` and `signature`.
fn call_tag(id: Option<&str>, signature: Option<&str>) -> String {
    let mut tag = String::new();
    if let Some(id) = id.filter(|i| !i.is_empty()) {
        tag.push_str(";id=");
        tag.push_str(id);
    }
    if let Some(sig) = signature.filter(|s| !s.is_empty()) {
        tag.push_str(";sig=");
        tag.push_str(sig);
    }
    tag
}

/// `(call_{n}, Gemini's id, signature)` of a neutral call id.
fn split_tag(id: &str) -> (&str, Option<&str>, Option<&str>) {
    let mut pieces = id.split(';');
    let head = pieces.next().unwrap_or_default();
    let (mut gemini_id, mut signature) = (None, None);
    for piece in pieces {
        if let Some(v) = piece.strip_prefix("id=") {
            gemini_id = Some(v);
        } else if let Some(v) = piece.strip_prefix("sig=") {
            signature = Some(v);
        }
    }
    (head, gemini_id, signature)
}

// ---------------------------------------------------------------------------------------
// The reply.

/// A `GenerateContentResponse` (GEM-SDK types.py; examples in notes §3.5).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GenerateContentResponse {
    #[serde(default)]
    candidates: Option<Vec<Candidate>>,
    #[serde(default)]
    prompt_feedback: Option<PromptFeedback>,
    #[serde(default)]
    usage_metadata: Option<UsageMetadata>,
    #[serde(default)]
    response_id: Option<String>,
    #[serde(default)]
    model_version: Option<String>,
    /// An error sent in place of a response (in a stream).
    #[serde(default)]
    error: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Candidate {
    #[serde(default)]
    content: Option<CandidateContent>,
    #[serde(default)]
    finish_reason: Option<String>,
}

impl Candidate {
    fn parts(self) -> Vec<PartIn> {
        self.content.and_then(|c| c.parts).unwrap_or_default()
    }
}

#[derive(Debug, Default, Deserialize)]
struct CandidateContent {
    #[serde(default)]
    parts: Option<Vec<PartIn>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PartIn {
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    thought: Option<bool>,
    #[serde(default)]
    function_call: Option<CallIn>,
    #[serde(default)]
    thought_signature: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct CallIn {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: String,
    #[serde(default)]
    args: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PromptFeedback {
    #[serde(default)]
    block_reason: Option<String>,
    #[serde(default)]
    block_reason_message: Option<String>,
}

/// `usageMetadata` (GEM-SDK types.py:8407-8458); counts left out are zero.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct UsageMetadata {
    #[serde(default)]
    prompt_token_count: u64,
    #[serde(default)]
    candidates_token_count: u64,
    #[serde(default)]
    thoughts_token_count: u64,
    #[serde(default)]
    tool_use_prompt_token_count: u64,
    #[serde(default)]
    cached_content_token_count: u64,
    #[serde(default)]
    total_token_count: u64,
}

impl From<UsageMetadata> for Usage {
    /// The prompt (cached content included) and the tool-use prompt are the prompt; the
    /// answer and the thoughts the completion (`candidatesTokenCount` excludes thoughts);
    /// `totalTokenCount` is their sum as reported.
    fn from(u: UsageMetadata) -> Usage {
        let prompt_tokens = u.prompt_token_count + u.tool_use_prompt_token_count;
        let completion_tokens = u.candidates_token_count + u.thoughts_token_count;
        Usage {
            prompt_tokens,
            completion_tokens,
            total_tokens: if u.total_token_count > 0 {
                u.total_token_count
            } else {
                prompt_tokens + completion_tokens
            },
            cached_tokens: u32::try_from(u.cached_content_token_count).unwrap_or(u32::MAX),
            cache_creation_tokens: 0,
            reasoning_tokens: u32::try_from(u.thoughts_token_count).unwrap_or(u32::MAX),
        }
    }
}

/// The text of a blocked prompt: `prompt blocked: <reason>` (and Gemini's message).
fn blocked_prompt(feedback: &PromptFeedback) -> Option<String> {
    let reason = feedback.block_reason.as_deref()?;
    Some(match feedback.block_reason_message.as_deref() {
        Some(m) if !m.is_empty() => format!("prompt blocked: {reason}: {m}"),
        _ => format!("prompt blocked: {reason}"),
    })
}

/// `finishReason` in chat completions' words (GEM-SDK `FinishReason`, types.py:488-531):
/// `STOP` is `stop` (or `tool_calls` when the answer calls), `MAX_TOKENS` `length`, the
/// reasons a filter gives `content_filter`; any other is lower-cased (`malformed_function_call`
/// reads as an answer without a call, which is re-asked).
fn finish_reason(reason: &str, calls: bool) -> String {
    match reason {
        "STOP" if calls => "tool_calls".into(),
        "STOP" => "stop".into(),
        "MAX_TOKENS" => "length".into(),
        "SAFETY"
        | "RECITATION"
        | "BLOCKLIST"
        | "PROHIBITED_CONTENT"
        | "SPII"
        | "IMAGE_SAFETY"
        | "IMAGE_PROHIBITED_CONTENT"
        | "IMAGE_RECITATION" => "content_filter".into(),
        other => other.to_ascii_lowercase(),
    }
}

/// A call's arguments as JSON text (`args` is an object on the wire).
fn arguments_text(args: Option<Value>) -> String {
    match args {
        Some(Value::Null) | None => "{}".to_owned(),
        Some(v) => v.to_string(),
    }
}

/// A whole reply as the neutral completion.
fn completion(response: GenerateContentResponse) -> ChatCompletion {
    let usage = response.usage_metadata.map(Usage::from);
    let mut out = ChatCompletion {
        id: response.response_id.unwrap_or_default(),
        model: response.model_version.unwrap_or_default(),
        usage,
        ..ChatCompletion::default()
    };
    let Some(candidate) = response.candidates.into_iter().flatten().next() else {
        if let Some(blocked) = response.prompt_feedback.as_ref().and_then(blocked_prompt) {
            out.choices.push(Choice {
                message: ResponseMessage {
                    role: Some("assistant".into()),
                    content: Some(blocked),
                    ..ResponseMessage::default()
                },
                finish_reason: Some("content_filter".into()),
                ..Choice::default()
            });
        }
        return out;
    };
    let reason = candidate.finish_reason.clone();
    let (mut text, mut thinking, mut tool_calls) = (String::new(), String::new(), Vec::new());
    for part in candidate.parts() {
        if let Some(call) = part.function_call {
            let n = tool_calls.len();
            let tag = call_tag(call.id.as_deref(), part.thought_signature.as_deref());
            tool_calls.push(ToolCall {
                id: format!("call_{n}{tag}"),
                kind: "function".into(),
                function: FunctionCall {
                    name: call.name,
                    arguments: arguments_text(call.args),
                },
            });
        } else if let Some(t) = part.text {
            if part.thought == Some(true) {
                thinking.push_str(&t);
            } else {
                text.push_str(&t);
            }
        }
    }
    let finish = reason
        .as_deref()
        .map(|r| finish_reason(r, !tool_calls.is_empty()));
    // A filtered answer with nothing written says which filter.
    if finish.as_deref() == Some("content_filter") && text.is_empty() && tool_calls.is_empty() {
        text = format!("blocked: {}", reason.as_deref().unwrap_or_default());
    }
    out.choices.push(Choice {
        message: ResponseMessage {
            role: Some("assistant".into()),
            content: (!text.is_empty()).then_some(text),
            tool_calls,
            reasoning_content: (!thinking.is_empty()).then_some(thinking),
            ..ResponseMessage::default()
        },
        finish_reason: finish,
        ..Choice::default()
    });
    out
}

/// The message of an `{"error": {..}}` body or frame.
fn error_message(error: &Value) -> String {
    let message = error.get("message").and_then(Value::as_str);
    let status = error.get("status").and_then(Value::as_str);
    match (status, message) {
        (Some(s), Some(m)) => format!("{s}: {m}"),
        (None, Some(m)) => m.to_owned(),
        _ => error
            .as_str()
            .map_or_else(|| error.to_string(), str::to_owned),
    }
}

#[cfg(test)]
mod tests;
