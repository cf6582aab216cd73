//! The request: the body of a `generateContent` call, with the neutral conversation
//! rewritten into Gemini's `systemInstruction` and `contents` (turns, parts, function calls
//! and responses, images, PDFs and audio).

use std::borrow::Cow;

use serde::Serialize;
use serde_json::value::RawValue;

use super::call_id::split_tag;
use super::pieces::PIECES;
use crate::input::{Content, Part};
use crate::provider::{skip_none, Outgoing};
use crate::wire::{Message, Role, ToolCall};

skip_none! {
    /// The body of a `generateContent` request (GEM-SDK `GenerateContentConfig`; skeleton in
    /// notes §3.2). Borrowed: the messages' text and images are not copied.
    #[derive(Debug, Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Request<'a> {
        system_instruction: Option<Turn<'a>>,
        contents: Vec<Turn<'a>>,
        tools: Option<&'a RawValue>,
        tool_config: Option<&'a RawValue>,
        #[serde(skip_serializing_if = "GenerationConfig::is_empty")]
        generation_config: GenerationConfig<'a>,
    }
}

skip_none! {
    /// `generationConfig`: sampling options and the response's form.
    #[derive(Debug, Default, Serialize)]
    #[serde(rename_all = "camelCase")]
    struct GenerationConfig<'a> {
        temperature: Option<f64>,
        max_output_tokens: Option<u32>,
        seed: Option<u64>,
        response_mime_type: Option<&'static str>,
        response_json_schema: Option<&'a RawValue>,
    }
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

skip_none! {
    /// One part written: exactly one of its data fields is set, and `thoughtSignature` beside a
    /// function call that had one.
    #[derive(Debug, Default, Serialize)]
    #[serde(rename_all = "camelCase")]
    struct PartOut<'a> {
        text: Option<Cow<'a, str>>,
        inline_data: Option<Blob<'a>>,
        file_data: Option<FileData<'a>>,
        function_call: Option<CallOut<'a>>,
        function_response: Option<ResponseOut<'a>>,
        thought_signature: Option<&'a str>,
    }
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

skip_none! {
    /// `functionCall` as the model made it.
    #[derive(Debug, Serialize)]
    struct CallOut<'a> {
        id: Option<&'a str>,
        name: &'a str,
        args: Cow<'a, RawValue>,
    }
}

skip_none! {
    /// `functionResponse`: `response` holds `output`, or `error` for a failure ("Use "output"
    /// key to specify function output and "error" key to specify error details": GEM-SDK
    /// types.py:2001-2004).
    #[derive(Debug, Serialize)]
    struct ResponseOut<'a> {
        id: Option<&'a str>,
        name: &'a str,
        response: ResponseBody<'a>,
    }
}

skip_none! {
    #[derive(Debug, Serialize)]
    struct ResponseBody<'a> {
        output: Option<&'a str>,
        error: Option<&'a str>,
    }
}

/// The JSON body of one request; `Err` names what in the conversation Gemini cannot take.
pub(super) fn body(request: &Outgoing<'_>) -> Result<Vec<u8>, String> {
    let pieces = PIECES.get(request.spec);
    let (system_instruction, contents) = conversation(request.messages)?;
    request.json(&Request {
        system_instruction,
        contents,
        tools: pieces.tools.as_deref(),
        tool_config: pieces.tool_config.as_deref(),
        generation_config: GenerationConfig {
            temperature: request.options.temperature,
            max_output_tokens: request.max_tokens(),
            seed: request.options.seed,
            response_mime_type: pieces.mime,
            response_json_schema: pieces.schema.as_deref(),
        },
    })
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
