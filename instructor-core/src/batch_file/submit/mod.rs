//! Submission: a batch job's request file handed to a provider's batch API (OpenAI's Files
//! and Batches, Anthropic's Message Batches), polled until it ends, cancelled, and its
//! result files downloaded for the job to read. See `docs/batch.md`, "Submitting".
//!
//! Every call goes through the client: its base URL, key header (and `anthropic-version`),
//! extra headers, request timeout and transport retry policy (connection errors, timeouts,
//! 408/409/429/5xx, `Retry-After`). Files are streamed both ways: the request file is read
//! from disk as it is sent, a result file written to disk as it arrives.

mod anthropic;
mod http;
mod openai;
mod status;
#[cfg(test)]
mod tests;

pub use status::{BatchState, BatchStatus, RequestCounts};

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::Method;
use serde::de::DeserializeOwned;

use crate::batch_file::format::Envelope;
use crate::batch_file::job::BatchJob;
use crate::client::Client;
use crate::error::Error;
use crate::validation::context::ValidationContext;
use crate::Instructor;

/// Which batch API a submission lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Api {
    /// OpenAI's, for the endpoint its lines name.
    OpenAi { endpoint: &'static str },
    /// Anthropic's Message Batches.
    Anthropic,
}

impl Api {
    fn of(client: &Client) -> Result<Self, Error> {
        match Envelope::of(client.provider()) {
            Envelope::OpenAi { url } => Ok(Api::OpenAi { endpoint: url }),
            Envelope::Anthropic => Ok(Api::Anthropic),
            Envelope::Gemini => Err(Error::Config(
                "submitting a batch is done for OpenAI and Anthropic; for Gemini, upload the \
                 request file and create the batch as docs/batch.md shows"
                    .to_owned(),
            )),
        }
    }
}

/// A batch submitted to a provider: its id, and the client that submitted it.
///
/// Made by `BatchJob::submit` (or [`Submission::create`] for a request file written
/// before); [`Submission::resume`] makes one again from a saved [`id`](Self::id), in another
/// process or after a crash. Cheap to clone; `Debug` shows the id and provider, never the
/// key.
///
/// ```no_run
/// # use std::time::Duration;
/// # use instructor_core::batch_file::{BatchJob, Submission};
/// # async fn run<T>(mut job: BatchJob<T>, client: instructor_core::Client) -> Result<(), instructor_core::Error>
/// # where T: instructor_core::Instructor + serde::de::DeserializeOwned + Send + 'static, T::Context: Default {
/// let submission = job.submit("requests.jsonl").await?;
/// std::fs::write("batch.id", submission.id()).unwrap(); // to resume after a crash
/// let done = submission
///     .wait(Duration::from_secs(60), |s| println!("{:?}: {:?}", s.state, s.counts))
///     .await?;
/// assert!(done.state.is_terminal());
/// let files = submission.download(".").await?;
/// let report = job.read_results_from(&files).await?;
///
/// // Elsewhere, later:
/// let id = std::fs::read_to_string("batch.id").unwrap();
/// let submission = Submission::resume(&client, id)?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
#[must_use = "a submitted batch runs at the provider whether or not it is waited for"]
pub struct Submission {
    client: Client,
    api: Api,
    id: String,
}

impl fmt::Debug for Submission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Submission")
            .field("id", &self.id)
            .field("provider", &self.client.provider())
            .field("base_url", &self.client.base_url())
            .finish()
    }
}

impl Submission {
    /// Submits the request file at `request_file` (a batch job's, for `client`'s provider)
    /// with `client`'s base URL, key, headers, timeout and retry policy:
    ///
    /// - OpenAI (chat completions or Responses, or a server with the same API): uploads the
    ///   file (`POST {base}/files`, multipart, `purpose=batch`), then creates the batch
    ///   (`POST {base}/batches` with `input_file_id`, the file's `endpoint` and
    ///   `completion_window: "24h"`);
    /// - Anthropic: creates the batch with the file as the body
    ///   (`POST {base}/v1/messages/batches`).
    ///
    /// `Err` for a Gemini client (see `docs/batch.md`), an unreadable file, or the
    /// provider's refusal ([`Error::Api`]). A create whose answer is lost and retried may
    /// make a second batch; [`status`](Self::status) shows what exists.
    pub async fn create(client: &Client, request_file: impl AsRef<Path>) -> Result<Self, Error> {
        let api = Api::of(client)?;
        let path = request_file.as_ref();
        let batch = match api {
            Api::OpenAi { endpoint } => openai::create(client, path, endpoint).await?,
            Api::Anthropic => anthropic::create(client, path).await?,
        };
        tracing::debug!(batch = %batch.id, status = %batch.provider_status, "batch submitted");
        Ok(Submission {
            client: client.clone(),
            api,
            id: batch.id,
        })
    }

    /// The submission of the batch `id` (from [`id`](Self::id), saved), sent by `client`
    /// (the same provider and account). No request is made: [`status`](Self::status) or
    /// [`wait`](Self::wait) asks. `Err` for a Gemini client or an id that is not one
    /// (letters, digits, `_`, `-`).
    pub fn resume(client: &Client, id: impl Into<String>) -> Result<Self, Error> {
        let api = Api::of(client)?;
        let id = id.into();
        let id = http::checked_id(id.trim())?.to_owned();
        Ok(Submission {
            client: client.clone(),
            api,
            id,
        })
    }

    /// The provider's id of the batch: save it to [`resume`](Self::resume).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The batch as the provider describes it now (one `GET`, with transport retries).
    pub async fn status(&self) -> Result<BatchStatus, Error> {
        self.batch_call(Method::GET, "").await
    }

    /// `method` on the batch's URL (OpenAI `{base}/batches/{id}`, Anthropic
    /// `{base}/v1/messages/batches/{id}`) + `tail`; the answer is the batch object.
    async fn batch_call(&self, method: Method, tail: &str) -> Result<BatchStatus, Error> {
        let collection = match self.api {
            Api::OpenAi { .. } => openai::BATCHES,
            Api::Anthropic => anthropic::BATCHES,
        };
        let path = format!("{collection}/{}{tail}", self.id);
        let url = http::url(self.client.base_url(), &path)?;
        let batch = http::call(&self.client, method, &url, http::Payload::Empty).await?;
        match self.api {
            Api::OpenAi { .. } => openai::parse(&batch),
            Api::Anthropic => anthropic::parse(&batch),
        }
    }

    /// Polls the batch every `poll_every` until it ends, calling `on_progress` with each
    /// status (the first right away, the last the terminal one).
    ///
    /// `Ok` with the last status when the batch completed (each request may still have
    /// failed: the result lines say). [`Error::Batch`], naming the batch id, its status and
    /// what the provider said (OpenAI's `errors.data[]`), when it `failed`, `expired` or was
    /// `cancelled`; the output of an expired or cancelled batch can still be
    /// [`download`](Self::download)ed, and the job sends what it lacks again. A poll that
    /// fails past the client's retry policy is its error: call `wait` again (or
    /// [`resume`](Self::resume)) to go on.
    pub async fn wait(
        &self,
        poll_every: Duration,
        mut on_progress: impl FnMut(&BatchStatus),
    ) -> Result<BatchStatus, Error> {
        loop {
            let status = self.status().await?;
            on_progress(&status);
            match status.state {
                BatchState::Completed => return Ok(status),
                s if s.is_terminal() => return Err(status.ended_error()),
                _ => tokio::time::sleep(poll_every).await,
            }
        }
    }

    /// Asks the provider to cancel the batch; gives its status then (usually
    /// [`BatchState::Cancelling`]). What already ran stays in the output:
    /// [`wait`](Self::wait) for the end, then [`download`](Self::download).
    pub async fn cancel(&self) -> Result<BatchStatus, Error> {
        self.batch_call(Method::POST, "/cancel").await
    }

    /// Downloads the result files of the ended batch into the directory `dir`, streaming
    /// each to disk as it arrives, and gives their paths, for `BatchJob::read_results_from`:
    ///
    /// - OpenAI: `{id}.output.jsonl` and `{id}.errors.jsonl`, those the batch has
    ///   (`output_file_id`, `error_file_id`; `GET {base}/files/{file}/content`);
    /// - Anthropic: `{id}.results.jsonl` (from `results_url`).
    ///
    /// A file is written beside its path (`.part`) and renamed when whole. Works for an
    /// expired or cancelled batch too (its partial output). `Err` when the batch has not
    /// ended ([`Error::Config`], naming its state), or it failed ([`Error::Batch`]).
    pub async fn download(&self, dir: impl AsRef<Path>) -> Result<Vec<PathBuf>, Error> {
        let batch = self.status().await?;
        match batch.state {
            BatchState::Failed => return Err(batch.ended_error()),
            s if !s.is_terminal() => {
                return Err(Error::Config(format!(
                    "batch {} is {} (not ended): nothing to download yet",
                    batch.id, batch.provider_status
                )))
            }
            _ => {}
        }
        let dir = dir.as_ref();
        match self.api {
            Api::OpenAi { .. } => openai::download(&self.client, &batch, dir).await,
            Api::Anthropic => anthropic::download(&self.client, &batch, dir).await,
        }
    }
}

impl<T, C> BatchJob<T, C>
where
    T: Instructor + DeserializeOwned + Send + 'static,
    C: ValidationContext<T>,
{
    /// Writes this round's request file to `request_file` (as
    /// [`write_requests_to`](Self::write_requests_to)) and submits it to the provider of
    /// the job's client ([`Submission::create`]). Save the job and the submission's
    /// [`id`](Submission::id) before waiting, to resume after a crash.
    ///
    /// `Err` when no input is waiting for an answer ([`Error::Config`]), or as
    /// [`Submission::create`].
    pub async fn submit(&mut self, request_file: impl AsRef<Path>) -> Result<Submission, Error> {
        let path = request_file.as_ref();
        if self.write_requests_to(path)? == 0 {
            return Err(Error::Config(
                "the batch job has no input waiting for an answer: nothing to submit".to_owned(),
            ));
        }
        Submission::create(&self.client, path).await
    }
}
