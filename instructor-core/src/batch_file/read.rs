//! Reading a result file, one line at a time: each line's `custom_id` and what it says (the
//! answer, decoded by the client's dialect exactly as a live reply is; an error; or that the
//! request never ran). The buffer of one line is all it keeps.
//!
//! | provider | a line |
//! | --- | --- |
//! | OpenAI (and vLLM `run-batch`) | `{"id","custom_id","response":{"status_code","request_id","body"},"error"}`; the error file has the same lines; vLLM before 0.5 wrote the body itself as `response` |
//! | Anthropic | `{"custom_id","result":{"type":"succeeded","message":{..}}}`, or `"errored"` with `error`, `"canceled"`, `"expired"` |
//! | Gemini | `{"key","response":{..}}`, or `{"key","error":{"code","message","status"}}` (`status` for `error` too) |

use std::io::{self, BufRead};

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use crate::batch_file::format::Envelope;
use crate::client::transport::api_error;
use crate::error::Error;
use crate::provider::Dialect;
use crate::wire::{ChatCompletion, Usage};

/// One line of a result file.
#[derive(Debug)]
pub(crate) struct ResultLine {
    /// The request it answers.
    pub custom_id: String,
    /// What it says.
    pub outcome: Outcome,
}

/// What a result line says about its request.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// The reply, decoded into the neutral completion, with its body as text.
    Answer(ChatCompletion, String),
    /// The request failed (an error status, an error object, a body that is not a reply).
    Failed(Error),
    /// The request never ran (expired, canceled): it can be sent again as it was.
    NotRun(String),
}

/// The non-blank lines of a result file with their numbers (from 1), read one at a time
/// into one reused buffer.
pub(crate) struct Lines<R> {
    reader: R,
    buf: Vec<u8>,
    number: u64,
}

impl<R: BufRead> Lines<R> {
    pub(crate) fn new(reader: R) -> Self {
        Self {
            reader,
            buf: Vec::with_capacity(8 * 1024),
            number: 0,
        }
    }

    /// The next non-blank line: its number and its text (`Err` when it is not UTF-8), or
    /// `None` at the end. A last line without its newline is given as it is.
    pub(crate) fn next_line(&mut self) -> io::Result<Option<(u64, Result<&str, String>)>> {
        loop {
            self.buf.clear();
            if self.reader.read_until(b'\n', &mut self.buf)? == 0 {
                return Ok(None);
            }
            self.number += 1;
            if self.buf.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let text = std::str::from_utf8(&self.buf)
                .map(str::trim)
                .map_err(|e| format!("not UTF-8 text ({e})"));
            return Ok(Some((self.number, text)));
        }
    }
}

/// Reads one line of `envelope`'s result file, the answers decoded by `dialect`. `Err` says
/// why the line is not a result line (not JSON, cut off, no id, an unknown result type).
pub(crate) fn parse_line(
    envelope: Envelope,
    dialect: &dyn Dialect,
    line: &str,
) -> Result<ResultLine, String> {
    let what = |e: serde_json::Error| {
        if e.is_eof() {
            format!("the line is cut off ({e})")
        } else {
            format!("not a result line ({e})")
        }
    };
    match envelope {
        Envelope::OpenAi { .. } => openai(dialect, serde_json::from_str(line).map_err(what)?),
        Envelope::Anthropic => anthropic(dialect, serde_json::from_str(line).map_err(what)?),
        Envelope::Gemini => gemini(dialect, serde_json::from_str(line).map_err(what)?),
    }
}

/// A reply's body, decoded as a live reply is.
fn answer(dialect: &dyn Dialect, body: &str) -> Outcome {
    match dialect.decode(body) {
        Ok(completion) => Outcome::Answer(completion, body.to_owned()),
        Err(message) => Outcome::Failed(Error::Decode {
            message,
            body: body.to_owned(),
            usage: Usage::default(),
        }),
    }
}

/// An input's error that has no HTTP status.
fn input_error(custom_id: &str, code: Option<&str>, message: String) -> Error {
    Error::BatchInput {
        custom_id: custom_id.to_owned(),
        code: code.map(Into::into),
        message,
        usage: Usage::default(),
    }
}

#[derive(Deserialize)]
struct OpenAiLine<'a> {
    custom_id: String,
    #[serde(borrow, default)]
    response: Option<&'a RawValue>,
    #[serde(default)]
    error: Option<Value>,
}

#[derive(Deserialize)]
struct OpenAiResponse<'a> {
    #[serde(default)]
    status_code: Option<u16>,
    #[serde(borrow, default)]
    body: Option<&'a RawValue>,
}

fn openai(dialect: &dyn Dialect, line: OpenAiLine<'_>) -> Result<ResultLine, String> {
    let id = line.custom_id;
    if let Some(error) = line.error.filter(|e| !e.is_null()) {
        let code = error.get("code").and_then(Value::as_str);
        let message = crate::provider::error_message(&error);
        let outcome = match code {
            // `request_failed`: scripts/run-batch got no HTTP answer at all (connection).
            Some("batch_expired" | "batch_cancelled" | "batch_canceled" | "request_failed") => {
                Outcome::NotRun(format!("{}: {message}", code.unwrap_or_default()))
            }
            _ => Outcome::Failed(input_error(&id, code, message)),
        };
        return Ok(ResultLine {
            custom_id: id,
            outcome,
        });
    }
    let response = line
        .response
        .ok_or_else(|| format!("the result of `{id}` has neither `response` nor `error`"))?;
    let parsed: OpenAiResponse<'_> =
        serde_json::from_str(response.get()).map_err(|e| format!("`response`: {e}"))?;
    let outcome = match (parsed.status_code, parsed.body) {
        (Some(200), Some(body)) => answer(dialect, body.get()),
        (Some(status), body) => Outcome::Failed(api_error(
            dialect,
            status,
            body.map(|b| b.get().to_owned()).unwrap_or_default(),
        )),
        // vLLM before 0.5 wrote the completion itself as `response`.
        (None, _) => answer(dialect, response.get()),
    };
    Ok(ResultLine {
        custom_id: id,
        outcome,
    })
}

#[derive(Deserialize)]
struct AnthropicLine<'a> {
    custom_id: String,
    #[serde(borrow)]
    result: AnthropicResult<'a>,
}

#[derive(Deserialize)]
struct AnthropicResult<'a> {
    #[serde(rename = "type")]
    kind: String,
    #[serde(borrow, default)]
    message: Option<&'a RawValue>,
    #[serde(default)]
    error: Option<Value>,
}

/// The HTTP status of an Anthropic error type (API reference, "Errors").
fn anthropic_status(kind: &str) -> u16 {
    match kind {
        "invalid_request_error" => 400,
        "authentication_error" => 401,
        "billing_error" => 402,
        "permission_error" => 403,
        "not_found_error" => 404,
        "request_too_large" => 413,
        "rate_limit_error" => 429,
        "timeout_error" => 504,
        "overloaded_error" => 529,
        _ => 500,
    }
}

fn anthropic(dialect: &dyn Dialect, line: AnthropicLine<'_>) -> Result<ResultLine, String> {
    let id = line.custom_id;
    let outcome = match line.result.kind.as_str() {
        "succeeded" => {
            let message = line
                .result
                .message
                .ok_or_else(|| format!("the succeeded result of `{id}` has no `message`"))?;
            answer(dialect, message.get())
        }
        "errored" => {
            let error = line.result.error.unwrap_or(Value::Null);
            // The documented form is an error response, `{"type":"error","error":{..}}`.
            let inner = error.get("error").unwrap_or(&error);
            let kind = inner.get("type").and_then(Value::as_str).unwrap_or("");
            let body = serde_json::json!({"type": "error", "error": inner}).to_string();
            Outcome::Failed(api_error(dialect, anthropic_status(kind), body))
        }
        "canceled" | "expired" => Outcome::NotRun(line.result.kind),
        other => {
            return Err(format!(
                "the result of `{id}` has the unknown type `{other}`"
            ))
        }
    };
    Ok(ResultLine {
        custom_id: id,
        outcome,
    })
}

#[derive(Deserialize)]
struct GeminiLine<'a> {
    #[serde(default)]
    key: Option<String>,
    #[serde(borrow, default)]
    response: Option<&'a RawValue>,
    #[serde(default)]
    error: Option<Value>,
    #[serde(default)]
    status: Option<Value>,
}

/// The HTTP status of a Gemini error code: HTTP already, or a `google.rpc.Code`.
fn gemini_status(code: i64) -> u16 {
    match code {
        100..=599 => code as u16,
        1 => 499,
        3 | 9 | 11 => 400,
        4 => 504,
        5 => 404,
        6 | 10 => 409,
        7 => 403,
        8 => 429,
        12 => 501,
        14 => 503,
        16 => 401,
        _ => 500,
    }
}

fn gemini(dialect: &dyn Dialect, line: GeminiLine<'_>) -> Result<ResultLine, String> {
    let id = line.key.ok_or("the line has no `key`")?;
    let error = line.error.or(line.status).filter(|e| !e.is_null());
    let outcome = match (line.response, error) {
        (_, Some(error)) => {
            let code = error.get("code").and_then(Value::as_i64).unwrap_or(500);
            let body = serde_json::json!({ "error": error }).to_string();
            Outcome::Failed(api_error(dialect, gemini_status(code), body))
        }
        (Some(response), None) => answer(dialect, response.get()),
        (None, None) => {
            return Err(format!(
                "the result of `{id}` has neither `response` nor `error`"
            ))
        }
    };
    Ok(ResultLine {
        custom_id: id,
        outcome,
    })
}
