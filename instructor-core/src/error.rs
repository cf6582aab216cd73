//! The errors of an extraction.

use std::fmt;
use std::sync::Arc;

use crate::validation::ValidationErrors;
use crate::wire::Usage;

/// Why an extraction failed.
///
/// No variant ever holds the API key: error bodies returned by the provider are scrubbed of
/// it before they are stored.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The client or the request is misconfigured (no model, a missing environment
    /// variable, an API key over plain `http://`, a type the mode cannot send, ...).
    #[error("configuration error: {0}")]
    Config(String),

    /// A [cassette](crate::ClientBuilder::cassette) cannot serve or record: a replayed request
    /// that the file holds no answer to (the message shows the request and how to record
    /// again), a file that cannot be read or written, a line that is not an exchange (the
    /// message names the file and the line).
    #[error("cassette: {0}")]
    Cassette(String),

    /// An input given to a message cannot be sent: a file that cannot be read, a type that
    /// is not the kind asked for (a PDF given as an image), a file over the size limit. Found
    /// when the [`Image`](crate::Image), [`Pdf`](crate::Pdf) or [`Audio`](crate::Audio) is
    /// made, before any request.
    #[error("cannot send {input}: {message}")]
    Input {
        /// What it is (`the image file \`receipt.png\``).
        input: String,
        /// What is wrong, and what to do about it.
        message: String,
    },

    /// The provider answered with an error status that is not retried (400, 401, 403,
    /// 404, 422, ...), or a retryable one after the transport retries ran out.
    #[error("the provider answered HTTP {status}: {message}")]
    Api {
        /// The HTTP status.
        status: u16,
        /// The provider's message (`error.message`), or the start of the body.
        message: String,
        /// The provider's error type (`error.type`; Gemini's `error.status`), if any. Boxed,
        /// like `code` and `body`: they keep `Error` small.
        kind: Option<Box<str>>,
        /// The provider's error code (`error.code`), if any.
        code: Option<Box<str>>,
        /// The whole response body (boxed: it keeps `Error` small).
        body: Box<str>,
        /// Tokens used by the attempts before this request (re-asked answers); zero when
        /// it was the first.
        usage: Usage,
    },

    /// The request could not be sent or the response not received (connection refused,
    /// reset, DNS, TLS), after the transport retries ran out.
    #[error("transport error: {source}")]
    Transport {
        /// What reqwest said.
        #[source]
        source: Arc<reqwest::Error>,
        /// Tokens used by the attempts before this request (re-asked answers); zero when
        /// it was the first.
        usage: Usage,
    },

    /// The request timed out (see [`ClientBuilder::timeout`](crate::ClientBuilder::timeout)).
    #[error("the request timed out")]
    Timeout {
        /// What reqwest said.
        #[source]
        source: Arc<reqwest::Error>,
        /// Tokens used by the attempts before this request (re-asked answers); zero when
        /// it was the first.
        usage: Usage,
    },

    /// The response body was larger than the limit
    /// ([`ClientBuilder::max_response_bytes`](crate::ClientBuilder::max_response_bytes)).
    #[error("the response is larger than the limit of {limit} bytes")]
    ResponseTooLarge {
        /// The limit, in bytes.
        limit: usize,
        /// Tokens used by the attempts before this request (re-asked answers); zero when
        /// it was the first.
        usage: Usage,
    },

    /// The provider answered 2xx with a body that is not a chat completion.
    #[error("the response is not a chat completion: {message}")]
    Decode {
        /// What serde said.
        message: String,
        /// The body.
        body: String,
        /// Tokens used by the attempts before this request (re-asked answers); zero when
        /// it was the first.
        usage: Usage,
    },

    /// The response had no choices.
    #[error("the response has no choices")]
    EmptyChoices {
        /// Tokens used by all attempts so far.
        usage: Usage,
    },

    /// The model stopped at the token limit (`finish_reason: "length"`): the answer is cut
    /// off. Not re-asked; raise `max_tokens`.
    #[error("the answer was cut off at the token limit (finish_reason: length) after {} characters", text.chars().count())]
    Truncated {
        /// The text (or tool-call arguments) written before the cut.
        text: String,
        /// Tokens used by all attempts.
        usage: Usage,
    },

    /// The model refused to answer (`message.refusal`).
    #[error("the model refused: {refusal}")]
    Refusal {
        /// The model's explanation.
        refusal: String,
        /// Tokens used by all attempts.
        usage: Usage,
    },

    /// The provider's content filter stopped the answer (`finish_reason: "content_filter"`).
    #[error("the answer was stopped by the provider's content filter")]
    ContentFilter {
        /// What was written before the filter stopped it.
        text: String,
        /// Tokens used by all attempts.
        usage: Usage,
    },

    /// A streamed answer broke off: the connection closed or failed mid-stream, the server
    /// sent an `error` event, or the stream ended before the answer was complete. `text` is
    /// what had arrived. Not retried (a new request would start over): send again if the
    /// cause was transient.
    #[error("the stream failed: {message}")]
    Stream {
        /// What went wrong.
        message: String,
        /// The answer text received before the failure.
        text: String,
        /// Tokens reported before the failure (often none: usage comes last).
        usage: Usage,
    },

    /// One element of a [`stream_iter`](crate::Extract::stream_iter) answer did not parse or
    /// validate. The other elements still flow; this one is reported with its position.
    #[error("item {index} of the answer is not valid: {error}")]
    InvalidItem {
        /// The element's position in the `items` array, from 0.
        index: usize,
        /// Why it was rejected.
        error: AttemptError,
    },

    /// The response cache's store could not be read or written (a corrupt or unreadable
    /// SQLite file, a Redis server that is down, a stored entry that is not one), and the
    /// cache was set to fail on that (`OnStoreError::Fail`; the default reads it as a miss).
    /// See `docs/cache.md`.
    #[error("the response cache failed: {message}")]
    Cache {
        /// What the store said (never a key or a stored value).
        message: String,
        /// Tokens used by the requests made before (including a reply that could not be
        /// stored).
        usage: Usage,
    },

    /// No attempt produced a valid answer: every reply failed to parse or validate.
    /// With the default `max_retries(0)` this is the error of the single attempt.
    #[error(
        "no valid answer after {attempts} attempt(s); last attempt: {}",
        LastErrors(errors_per_attempt)
    )]
    RetriesExhausted {
        /// How many requests were made (1 + re-asks).
        attempts: u32,
        /// What was wrong with each reply, in order.
        errors_per_attempt: Vec<AttemptError>,
        /// The last reply's JSON text (content or tool-call arguments), if there was one.
        last_reply: Option<String>,
        /// Tokens used by all attempts.
        usage: Usage,
    },

    /// A token budget was spent before a valid answer, so no further request was sent:
    /// the extraction's own ([`Extract::token_budget`](crate::Extract::token_budget)) or
    /// its bulk job's ([`ExtractMany::token_budget`](crate::ExtractMany::token_budget)).
    /// A budget counts prompt + completion tokens; see `docs/costs.md`.
    #[error("the token budget of {budget} was spent ({spent} tokens) before a valid answer")]
    BudgetExhausted {
        /// The budget that was spent, in tokens.
        budget: u64,
        /// The tokens counted against it when the extraction stopped (for a job's budget,
        /// the whole job's).
        spent: u64,
        /// Tokens used by this extraction's attempts (zero if it never started).
        usage: Usage,
        /// Why the last attempt's answer was rejected (an [`Error::RetriesExhausted`] with
        /// every attempt's errors); `None` when no request of this extraction was sent.
        #[source]
        last: Option<Box<Error>>,
    },

    /// A batch job's input got no answer it could judge: its result line reported an error
    /// that is not an HTTP status (the provider's batch error object), or the job gave it
    /// up (`BatchJob::give_up`), or a saved job state
    /// recorded it as failed (then `message` is the original error's text). See
    /// `docs/batch.md`.
    #[error("batch input `{custom_id}`: {message}")]
    BatchInput {
        /// The input's `custom_id`.
        custom_id: String,
        /// The provider's error code, or the original error's kind, if any.
        code: Option<Box<str>>,
        /// What happened.
        message: String,
        /// Tokens used by the input's attempts before it failed.
        usage: Usage,
    },

    /// A batch request file, result file or job state cannot be written or read: an I/O
    /// error, or a job state that is not one or belongs to another extraction.
    #[error("batch file: {0}")]
    BatchFile(String),

    /// A batch submitted to a provider's batch API (`batch_file::Submission`) ended without
    /// completing: `failed` (OpenAI: the input file was refused; `message` holds its
    /// `errors.data[]`), `expired` (not done within the 24-hour window) or `cancelled`.
    /// The output of an expired or cancelled batch can still be downloaded
    /// (`Submission::download`). See `docs/batch.md`.
    #[error("batch {batch_id} {status}: {message}")]
    Batch {
        /// The provider's id of the batch (`batch_...`, `msgbatch_...`).
        batch_id: String,
        /// The provider's word for the batch's state (`failed`, `expired`, `cancelled`,
        /// `ended`).
        status: String,
        /// What the provider said, or what the state means.
        message: String,
    },
}

struct LastErrors<'a>(&'a [AttemptError]);

impl fmt::Display for LastErrors<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.last() {
            Some(e) => write!(f, "{e}"),
            None => f.write_str("none"),
        }
    }
}

/// What kind of failure an [`Error`] is, without its data: for a `match` that does not bind
/// fields, metrics and logs ([`as_str`](Self::as_str) gives a stable `snake_case` name).
///
/// ```
/// use instructor_core::{Error, ErrorKind};
///
/// let e = Error::Config("no model".into());
/// assert_eq!(e.kind(), ErrorKind::Config);
/// assert_eq!(e.kind().as_str(), "config");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// [`Error::Config`].
    Config,
    /// [`Error::Cassette`].
    Cassette,
    /// [`Error::Input`].
    Input,
    /// [`Error::Api`].
    Api,
    /// [`Error::Transport`].
    Transport,
    /// [`Error::Timeout`].
    Timeout,
    /// [`Error::ResponseTooLarge`].
    ResponseTooLarge,
    /// [`Error::Decode`].
    Decode,
    /// [`Error::EmptyChoices`].
    EmptyChoices,
    /// [`Error::Truncated`].
    Truncated,
    /// [`Error::Refusal`].
    Refusal,
    /// [`Error::ContentFilter`].
    ContentFilter,
    /// [`Error::Stream`].
    Stream,
    /// [`Error::InvalidItem`].
    InvalidItem,
    /// [`Error::Cache`].
    Cache,
    /// [`Error::RetriesExhausted`].
    RetriesExhausted,
    /// [`Error::BudgetExhausted`].
    BudgetExhausted,
    /// [`Error::BatchInput`].
    BatchInput,
    /// [`Error::BatchFile`].
    BatchFile,
    /// [`Error::Batch`].
    Batch,
}

impl ErrorKind {
    /// The kind's `snake_case` name (`"retries_exhausted"`), stable across releases.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Config => "config",
            ErrorKind::Cassette => "cassette",
            ErrorKind::Input => "input",
            ErrorKind::Api => "api",
            ErrorKind::Transport => "transport",
            ErrorKind::Timeout => "timeout",
            ErrorKind::ResponseTooLarge => "response_too_large",
            ErrorKind::Decode => "decode",
            ErrorKind::EmptyChoices => "empty_choices",
            ErrorKind::Truncated => "truncated",
            ErrorKind::Refusal => "refusal",
            ErrorKind::ContentFilter => "content_filter",
            ErrorKind::Stream => "stream",
            ErrorKind::InvalidItem => "invalid_item",
            ErrorKind::Cache => "cache",
            ErrorKind::RetriesExhausted => "retries_exhausted",
            ErrorKind::BudgetExhausted => "budget_exhausted",
            ErrorKind::BatchInput => "batch_input",
            ErrorKind::BatchFile => "batch_file",
            ErrorKind::Batch => "batch",
        }
    }
}

display_as_str!(ErrorKind);

impl Error {
    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Config(_) => ErrorKind::Config,
            Error::Cassette(_) => ErrorKind::Cassette,
            Error::Input { .. } => ErrorKind::Input,
            Error::Api { .. } => ErrorKind::Api,
            Error::Transport { .. } => ErrorKind::Transport,
            Error::Timeout { .. } => ErrorKind::Timeout,
            Error::ResponseTooLarge { .. } => ErrorKind::ResponseTooLarge,
            Error::Decode { .. } => ErrorKind::Decode,
            Error::EmptyChoices { .. } => ErrorKind::EmptyChoices,
            Error::Truncated { .. } => ErrorKind::Truncated,
            Error::Refusal { .. } => ErrorKind::Refusal,
            Error::ContentFilter { .. } => ErrorKind::ContentFilter,
            Error::Stream { .. } => ErrorKind::Stream,
            Error::InvalidItem { .. } => ErrorKind::InvalidItem,
            Error::Cache { .. } => ErrorKind::Cache,
            Error::RetriesExhausted { .. } => ErrorKind::RetriesExhausted,
            Error::BudgetExhausted { .. } => ErrorKind::BudgetExhausted,
            Error::BatchInput { .. } => ErrorKind::BatchInput,
            Error::BatchFile(_) => ErrorKind::BatchFile,
            Error::Batch { .. } => ErrorKind::Batch,
        }
    }

    /// The token usage of every attempt made before the error, when it is known.
    pub fn usage(&self) -> Option<Usage> {
        match self {
            Error::EmptyChoices { usage }
            | Error::Truncated { usage, .. }
            | Error::Refusal { usage, .. }
            | Error::ContentFilter { usage, .. }
            | Error::Stream { usage, .. }
            | Error::Api { usage, .. }
            | Error::Transport { usage, .. }
            | Error::Timeout { usage, .. }
            | Error::ResponseTooLarge { usage, .. }
            | Error::Decode { usage, .. }
            | Error::Cache { usage, .. }
            | Error::RetriesExhausted { usage, .. }
            | Error::BudgetExhausted { usage, .. }
            | Error::BatchInput { usage, .. } => Some(*usage),
            _ => None,
        }
    }

    /// Adds the tokens of earlier attempts to an error of a later request, so that a
    /// transport failure after a re-ask does not lose what the re-asked answers cost.
    pub(crate) fn with_prior_usage(mut self, prior: Usage) -> Self {
        match &mut self {
            Error::Api { usage, .. }
            | Error::Transport { usage, .. }
            | Error::Timeout { usage, .. }
            | Error::ResponseTooLarge { usage, .. }
            | Error::Decode { usage, .. }
            | Error::BatchInput { usage, .. } => *usage += prior,
            _ => {}
        }
        self
    }

    /// [`Error::Cache`] saying `what` went wrong, after requests that used `usage`.
    pub(crate) fn cache(what: &impl fmt::Display, usage: Usage) -> Self {
        Error::Cache {
            message: what.to_string(),
            usage,
        }
    }

    /// The validation or parse errors of the last attempt, for
    /// [`Error::RetriesExhausted`] (and [`Error::BudgetExhausted`], through its `last`).
    pub fn validation_errors(&self) -> Option<&ValidationErrors> {
        match self {
            Error::RetriesExhausted {
                errors_per_attempt, ..
            } => errors_per_attempt.last().and_then(AttemptError::errors),
            Error::BudgetExhausted {
                last: Some(last), ..
            } => last.validation_errors(),
            _ => None,
        }
    }

    /// Whether retrying the same request later may succeed (timeouts, transport errors,
    /// 408/409/429/5xx).
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Transport { .. } | Error::Timeout { .. } => true,
            Error::Api { status, .. } => crate::retry::retryable_status(*status),
            _ => false,
        }
    }
}

/// What was wrong with one reply. Each of these is re-asked while re-asks remain.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum AttemptError {
    /// The reply is not JSON of the type's shape (serde's error, with its JSON path).
    #[error("the answer does not parse: {0}")]
    Parse(ValidationErrors),
    /// The reply parsed but broke validation rules (each with its JSON path).
    #[error("the answer is invalid: {0}")]
    Validation(ValidationErrors),
    /// In [`Mode::Tools`](crate::Mode::Tools): the model answered without calling the tool.
    #[error("the model did not call the tool `{tool}`")]
    NoToolCall {
        /// The tool that was required.
        tool: String,
        /// What the model wrote instead, if anything.
        content: Option<String>,
    },
    /// In [`Mode::ParallelTools`](crate::Mode::ParallelTools): the model called a function
    /// that is not one of the tools.
    #[error("call {index} names the tool `{name}`, which does not exist (the tools: {tools})")]
    UnknownTool {
        /// Which call, from 0.
        index: usize,
        /// The name it called.
        name: String,
        /// The tools there are, as `` `A`, `B` ``.
        tools: String,
    },
    /// The reply's content was empty or `null`.
    #[error("the answer is empty")]
    EmptyContent,
    /// The model wrote the same item (or run of items) of a list over and over: caught while
    /// streaming, or in a reply cut off at the token limit. See `docs/retries.md`.
    #[error("{} repeats the same {period} item(s) over and over", list_name(path))]
    Repetition {
        /// Where the list is (empty for the root).
        path: String,
        /// How many items the repeated run has.
        period: usize,
    },
}

/// "the list `tags`", or "the list" for the answer itself.
fn list_name(path: &str) -> String {
    if path.is_empty() {
        "the list".to_owned()
    } else {
        format!("the list `{path}`")
    }
}

impl AttemptError {
    /// The path-carrying errors, for [`Parse`](Self::Parse) and
    /// [`Validation`](Self::Validation).
    pub fn errors(&self) -> Option<&ValidationErrors> {
        match self {
            AttemptError::Parse(e) | AttemptError::Validation(e) => Some(e),
            _ => None,
        }
    }
}

/// Replaces every occurrence of `secret` in `text` (a provider may echo the key back).
pub(crate) fn scrub(text: String, secret: Option<&str>) -> String {
    match secret {
        Some(s) if s.len() >= 4 && text.contains(s) => text.replace(s, "[REDACTED]"),
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `Result<_, Error>` carries an `Error`'s size: big variants box their data.
    #[test]
    fn an_error_stays_small() {
        assert!(
            std::mem::size_of::<Error>() <= 128,
            "{}",
            std::mem::size_of::<Error>()
        );
    }

    #[test]
    fn a_spent_budget_shows_its_last_attempt() {
        let last = Error::RetriesExhausted {
            attempts: 2,
            errors_per_attempt: vec![AttemptError::EmptyContent],
            last_reply: None,
            usage: Usage::default(),
        };
        let e = Error::BudgetExhausted {
            budget: 10,
            spent: 12,
            usage: Usage::default(),
            last: Some(Box::new(last)),
        };
        assert_eq!(e.kind().as_str(), "budget_exhausted");
        let source = std::error::Error::source(&e).unwrap().to_string();
        assert!(source.contains("after 2 attempt"), "{source}");
        assert!(!e.is_transient());
    }
}
