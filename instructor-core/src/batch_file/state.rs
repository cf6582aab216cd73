//! A batch job's state as a JSONL file, so that it resumes after a crash or on another
//! machine: a header line (the format version, the provider, the type, the mode, the
//! prompting, the round), then one line per input (its model, options, attempts, usage, and
//! its conversation so far, its accepted answer, or its error). No key, no header: a job
//! holds none.

use std::fs::File;
use std::io::{BufRead, BufWriter, Write};
use std::path::Path;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::attempt::Carried;
use crate::batch_file::entry::{Entry, Pending, State};
use crate::batch_file::job::{io_error, BatchJob};
use crate::batch_file::read::Lines;
use crate::error::{AttemptError, Error};
use crate::extract::Extract;
use crate::provider::{Options, Provider};
use crate::validation::context::ValidationContext;
use crate::validation::{ValidationError, ValidationErrors};
use crate::wire::{Message, Usage};
use crate::Instructor;

/// The version of the state file's format.
const VERSION: u32 = 1;

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct Header {
    instructor_batch_job: u32,
    provider: String,
    #[serde(rename = "type")]
    type_name: String,
    mode: String,
    prompting: String,
    round: u32,
}

#[derive(Serialize, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum Status {
    Pending,
    Done,
    Failed,
}

/// One input's line. `M` is a message as written (by reference) or read (owned).
#[derive(Serialize, Deserialize)]
#[serde(bound(deserialize = "M: Deserialize<'de>"))]
pub(crate) struct Saved<M> {
    custom_id: String,
    status: Status,
    model: String,
    #[serde(default)]
    options: SavedOptions,
    attempts: u32,
    usage: Usage,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    errors: Vec<SavedAttemptError>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_reply: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    conversation: Vec<M>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ground: Option<(usize, usize)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sent_round: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    answer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<SavedError>,
}

/// A message with the flag its serde form leaves out (a tool result that reports an error).
#[derive(Serialize, Deserialize)]
pub(crate) struct SavedMessage<M> {
    #[serde(flatten)]
    message: M,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    is_error: bool,
}

#[derive(Serialize, Deserialize, Default)]
struct SavedOptions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    temperature: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max_tokens: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    seed: Option<u64>,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    extra: Map<String, Value>,
}

#[derive(Serialize, Deserialize)]
struct SavedError {
    kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    code: Option<String>,
    message: String,
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum SavedAttemptError {
    Parse {
        errors: Vec<(String, String)>,
    },
    Validation {
        errors: Vec<(String, String)>,
    },
    NoToolCall {
        tool: String,
        content: Option<String>,
    },
    UnknownTool {
        index: usize,
        name: String,
        tools: String,
    },
    EmptyContent,
    Repetition {
        path: String,
        period: usize,
    },
}

fn pairs(errors: &ValidationErrors) -> Vec<(String, String)> {
    errors
        .iter()
        .map(|e| (e.path().to_owned(), e.message().to_owned()))
        .collect()
}

fn unpairs(pairs: Vec<(String, String)>) -> ValidationErrors {
    let mut errors = ValidationErrors::new();
    for (path, message) in pairs {
        errors.push(ValidationError::new(path, message));
    }
    errors
}

impl From<&AttemptError> for SavedAttemptError {
    fn from(e: &AttemptError) -> Self {
        match e {
            AttemptError::Parse(e) => Self::Parse { errors: pairs(e) },
            AttemptError::Validation(e) => Self::Validation { errors: pairs(e) },
            AttemptError::NoToolCall { tool, content } => Self::NoToolCall {
                tool: tool.clone(),
                content: content.clone(),
            },
            AttemptError::UnknownTool { index, name, tools } => Self::UnknownTool {
                index: *index,
                name: name.clone(),
                tools: tools.clone(),
            },
            AttemptError::EmptyContent => Self::EmptyContent,
            AttemptError::Repetition { path, period } => Self::Repetition {
                path: path.clone(),
                period: *period,
            },
        }
    }
}

impl From<SavedAttemptError> for AttemptError {
    fn from(e: SavedAttemptError) -> Self {
        match e {
            SavedAttemptError::Parse { errors } => AttemptError::Parse(unpairs(errors)),
            SavedAttemptError::Validation { errors } => AttemptError::Validation(unpairs(errors)),
            SavedAttemptError::NoToolCall { tool, content } => {
                AttemptError::NoToolCall { tool, content }
            }
            SavedAttemptError::UnknownTool { index, name, tools } => {
                AttemptError::UnknownTool { index, name, tools }
            }
            SavedAttemptError::EmptyContent => AttemptError::EmptyContent,
            SavedAttemptError::Repetition { path, period } => {
                AttemptError::Repetition { path, period }
            }
        }
    }
}

/// The provider's name in the state file.
fn provider_name(provider: Provider) -> &'static str {
    match provider {
        Provider::OpenAiResponses => "openai_responses",
        Provider::Anthropic => "anthropic",
        Provider::Gemini => "gemini",
        _ => "openai_chat",
    }
}

impl<T, C> BatchJob<T, C> {
    fn header(&self) -> Header
    where
        T: Instructor,
    {
        Header {
            instructor_batch_job: VERSION,
            provider: provider_name(self.client.provider()).to_owned(),
            type_name: T::schema_name().into_owned(),
            mode: self.spec.mode.as_str().to_owned(),
            prompting: self.spec.prompting.as_str().to_owned(),
            round: self.round,
        }
    }

    /// Writes the job's state to `out` as JSONL, one input at a time: what
    /// [`load`](Self::load) resumes from. It holds the inputs' conversations, answers and
    /// errors; never the client's key or headers.
    pub fn save(&self, out: impl Write) -> Result<(), Error>
    where
        T: Instructor,
    {
        let io = |e: std::io::Error| io_error("writing the job state", e);
        let json = |e: serde_json::Error| Error::BatchFile(format!("writing the job state: {e}"));
        let mut out = BufWriter::new(out);
        serde_json::to_writer(&mut out, &self.header()).map_err(json)?;
        out.write_all(b"\n").map_err(io)?;
        for entry in &self.entries {
            serde_json::to_writer(&mut out, &saved(entry)).map_err(json)?;
            out.write_all(b"\n").map_err(io)?;
        }
        out.flush().map_err(io)
    }

    /// [`save`](Self::save) to the file at `path`, replaced at once: written beside it
    /// first (`path` + `.tmp`), synced, then renamed over it, so that a crash leaves the
    /// old state or the new one, never half of one.
    pub fn save_to(&self, path: impl AsRef<Path>) -> Result<(), Error>
    where
        T: Instructor,
    {
        let path = path.as_ref();
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        let io = |e| io_error(&path.display().to_string(), e);
        let file = File::create(&tmp).map_err(io)?;
        self.save(&file)?;
        file.sync_all().map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
    }
}

pub(crate) fn saved(entry: &Entry) -> Saved<SavedMessage<&Message>> {
    let c = &entry.carried;
    let mut s = Saved {
        custom_id: entry.custom_id.clone(),
        status: Status::Pending,
        model: entry.model.clone(),
        options: SavedOptions {
            temperature: entry.options.temperature,
            max_tokens: entry.options.max_tokens,
            seed: entry.options.seed,
            extra: entry.options.extra.clone(),
        },
        attempts: c.started,
        usage: c.usage,
        errors: c.errors.iter().map(SavedAttemptError::from).collect(),
        last_reply: c.last_reply.clone(),
        conversation: Vec::new(),
        ground: None,
        sent_round: None,
        answer: None,
        error: None,
    };
    match &entry.state {
        State::Pending(p) => {
            s.conversation = p
                .conversation
                .iter()
                .map(|m| SavedMessage {
                    message: m,
                    is_error: m.is_error,
                })
                .collect();
            s.ground = Some(p.ground);
            s.sent_round = p.sent_round;
        }
        State::Done(answer) => {
            s.status = Status::Done;
            s.answer = Some(answer.clone());
        }
        State::Failed(error) => {
            s.status = Status::Failed;
            let code = match error {
                Error::BatchInput { code, .. } | Error::Api { code, .. } => {
                    code.as_deref().map(str::to_owned)
                }
                _ => None,
            };
            s.error = Some(SavedError {
                kind: error.kind().as_str().to_owned(),
                code,
                message: match error {
                    Error::BatchInput { message, .. } => message.clone(),
                    other => other.to_string(),
                },
            });
        }
    }
    s
}

impl<T, C> BatchJob<T, C>
where
    T: Instructor + DeserializeOwned + Send + 'static,
    C: ValidationContext<T>,
{
    /// The job saved in `state` (by [`save`](Self::save)), resumed with `template`: the
    /// same extraction the job was made from (its client, type, mode and prompting are
    /// checked against the state; its validators, context and `max_retries` judge the
    /// rounds to come). Errors of inputs that failed before are given back as
    /// [`Error::BatchInput`] with the original error's text and kind (as `code`).
    pub fn load(template: Extract<T, C>, state: impl BufRead) -> Result<Self, Error> {
        let bad =
            |line: u64, why: String| Error::BatchFile(format!("job state, line {line}: {why}"));
        let mut lines = Lines::new(state);
        let io = |e| io_error("reading the job state", e);
        let mut job = Self::with_round(template, 1)?;
        let (n, text) = lines
            .next_line()
            .map_err(io)?
            .ok_or_else(|| Error::BatchFile("the job state is empty".into()))?;
        let header: Header = text
            .and_then(|t| serde_json::from_str(t).map_err(|e| e.to_string()))
            .map_err(|why| bad(n, format!("not a batch job state's header ({why})")))?;
        let mut expected = job.header();
        expected.round = header.round;
        if header != expected {
            return Err(Error::BatchFile(format!(
                "the job state is of another extraction: it holds {header:?}, the template is {expected:?}"
            )));
        }
        job.round = header.round;
        while let Some((n, text)) = lines.next_line().map_err(io)? {
            let saved: Saved<SavedMessage<Message>> = text
                .and_then(|t| serde_json::from_str(t).map_err(|e| e.to_string()))
                .map_err(|why| bad(n, why))?;
            let entry = restore(saved).map_err(|why| bad(n, why))?;
            job.envelope
                .check_id(&entry.custom_id)
                .map_err(|why| bad(n, why))?;
            if job
                .index
                .insert(entry.custom_id.clone(), job.entries.len())
                .is_some()
            {
                return Err(bad(n, format!("a second input `{}`", entry.custom_id)));
            }
            job.entries.push(entry);
        }
        Ok(job)
    }

    /// [`load`](Self::load) from the file at `path`.
    pub fn load_from(template: Extract<T, C>, path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let file = File::open(path).map_err(|e| io_error(&path.display().to_string(), e))?;
        Self::load(template, std::io::BufReader::new(file))
    }
}

pub(crate) fn restore(s: Saved<SavedMessage<Message>>) -> Result<Entry, String> {
    let carried = Carried {
        started: s.attempts,
        usage: s.usage,
        errors: s.errors.into_iter().map(AttemptError::from).collect(),
        last_reply: s.last_reply,
    };
    let state = match s.status {
        Status::Pending => {
            let conversation: Vec<Message> = s
                .conversation
                .into_iter()
                .map(|m| Message {
                    is_error: m.is_error,
                    ..m.message
                })
                .collect();
            if conversation.is_empty() {
                return Err(format!(
                    "the waiting input `{}` has no conversation",
                    s.custom_id
                ));
            }
            let ground = s.ground.unwrap_or((0, conversation.len()));
            State::Pending(Pending {
                conversation,
                ground,
                sent_round: s.sent_round,
            })
        }
        Status::Done => State::Done(
            s.answer
                .ok_or_else(|| format!("the done input `{}` has no answer", s.custom_id))?,
        ),
        Status::Failed => {
            let e = s
                .error
                .ok_or_else(|| format!("the failed input `{}` has no error", s.custom_id))?;
            State::Failed(Error::BatchInput {
                custom_id: s.custom_id.clone(),
                code: Some(e.code.unwrap_or(e.kind).into()),
                message: e.message,
                usage: carried.usage,
            })
        }
    };
    Ok(Entry {
        custom_id: s.custom_id,
        model: s.model,
        options: Options {
            temperature: s.options.temperature,
            max_tokens: s.options.max_tokens,
            seed: s.options.seed,
            extra: s.options.extra,
        },
        carried,
        state,
    })
}
