//! Batch files: an extraction over many inputs written as a provider's batch request file,
//! its result file read back into validated values, and the inputs whose answers fail
//! validation re-asked round after round, with a job state that resumes anywhere.
//!
//! (Named `batch_file`, apart from `instructor::batch`: that one is `extract_many`,
//! many live requests from this process; this one writes files that a provider's batch
//! service, or `vllm run-batch`, runs offline, at half the price where it is billed.)
//!
//! ```no_run
//! # use instructor_core::{Client, Instructor};
//! # use instructor_core::batch_file::BatchJob;
//! # async fn run<UserDetails: Instructor + serde::de::DeserializeOwned + Send + 'static>(client: Client) -> Result<(), instructor_core::Error>
//! # where UserDetails::Context: Default {
//! let mut job = BatchJob::new(
//!     client.extract::<UserDetails>().model("gpt-4o-mini").system("Extract the user.").max_retries(2),
//! )?;
//! job.add_user("row-1", "Jason is 20")?;
//! job.add_user("row-2", "Ada is 36")?;
//! while !job.is_finished() && job.round() <= 3 {
//!     job.write_requests_to("requests.jsonl")?;
//!     job.save_to("job.state.jsonl")?;
//!     // ... submit requests.jsonl, wait, download results.jsonl ...
//!     let file = std::io::BufReader::new(std::fs::File::open("results.jsonl").unwrap());
//!     let report = job.read_results(file).await?;
//!     for (id, user) in report.settled { /* store it */ }
//!     job.save_to("job.state.jsonl")?;
//! }
//! # Ok(()) }
//! ```
//!
//! - **Request files**: [`BatchJob::write_requests`] writes the format of the client's
//!   provider (OpenAI Batch JSONL for chat completions, also what `vllm run-batch` reads,
//!   or for Responses; Anthropic's Message Batches create body; Gemini's batch JSONL).
//!   Each body is made by the same code as a live request's ([`Extract::dry_run`] shows
//!   it), streaming off.
//! - **Results**: [`BatchJob::read_results`] reads each line, decodes it with the client's
//!   dialect and judges the answer exactly as a live answer; see [`RoundReport`].
//! - **Re-asks**: an answer that does not parse or validate gets the re-ask turns a live
//!   re-ask would get, and its input is in the next round's request file, up to the
//!   template's `max_retries` re-asks.
//! - **State**: [`BatchJob::save`] / [`BatchJob::load`] (JSONL, no key).
//!
//! - **Submission** (OpenAI, Anthropic): [`BatchJob::submit`] writes the request file and
//!   hands it to the provider's batch API; [`Submission`] polls it (with progress), cancels
//!   it and downloads its result files, and resumes from a saved id. For Gemini and
//!   `vllm run-batch`, `docs/batch.md` gives the commands.
//!
//! [`Extract::dry_run`]: crate::Extract::dry_run

mod entry;
mod format;
mod job;
mod read;
mod report;
mod state;
mod submit;
#[cfg(test)]
mod tests;

pub use job::BatchJob;
pub use report::{InputStatus, LineProblem, ProblemKind, RoundReport};
pub use submit::{BatchState, BatchStatus, RequestCounts, Submission};
