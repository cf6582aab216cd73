//! What a provider says about a submitted batch, in one shape for OpenAI and Anthropic.

use crate::error::Error;

/// Where a submitted batch is, in one vocabulary for both providers (the provider's own word
/// is [`BatchStatus::provider_status`]).
///
/// | state | OpenAI `status` | Anthropic `processing_status` |
/// | --- | --- | --- |
/// | `Validating` | `validating` | |
/// | `InProgress` | `in_progress` | `in_progress` |
/// | `Finalizing` | `finalizing` | |
/// | `Cancelling` | `cancelling` | `canceling` |
/// | `Completed` | `completed` | `ended`, never cancelled |
/// | `Failed` | `failed` | |
/// | `Expired` | `expired` | |
/// | `Cancelled` | `cancelled` | `ended` after a cancel (`cancel_initiated_at` set) |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BatchState {
    /// The input file is being checked (OpenAI).
    Validating,
    /// Requests are being run.
    InProgress,
    /// Done running; the output files are being written (OpenAI).
    Finalizing,
    /// A cancel was asked for; requests under way finish.
    Cancelling,
    /// Every request ran (each may still have failed: see the result lines).
    Completed,
    /// The batch did not run (OpenAI: the input file was refused).
    Failed,
    /// The 24-hour window ended first; what ran is in the output.
    Expired,
    /// Cancelled; what ran before is in the output.
    Cancelled,
}

impl BatchState {
    /// Whether the batch has stopped for good.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            BatchState::Completed
                | BatchState::Failed
                | BatchState::Expired
                | BatchState::Cancelled
        )
    }
}

/// How many of a batch's requests are where. OpenAI gives `total`, `completed` and `failed`
/// (read as `succeeded` and `errored`; `processing` is the rest, `canceled` and `expired`
/// stay 0); Anthropic gives `processing`, `succeeded`, `errored`, `canceled` and `expired`
/// (`total` is their sum).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct RequestCounts {
    /// Requests in the batch.
    pub total: u64,
    /// Not finished yet.
    pub processing: u64,
    /// Answered.
    pub succeeded: u64,
    /// Failed (an error line).
    pub errored: u64,
    /// Cancelled before they ran (Anthropic).
    pub canceled: u64,
    /// Not run within the window (Anthropic).
    pub expired: u64,
}

/// A submitted batch as the provider last described it: what
/// `Submission::wait` hands to its progress callback
/// at each poll, and returns at the end. Holds no key.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct BatchStatus {
    /// The batch's id (`batch_...`, `msgbatch_...`): save it to resume with
    /// `Submission::resume`.
    pub id: String,
    /// Where the batch is.
    pub state: BatchState,
    /// The provider's own word for it (`in_progress`, `finalizing`, `ended`, ...).
    pub provider_status: String,
    /// Its requests, counted.
    pub counts: RequestCounts,
    /// What the provider said went wrong with the batch itself (OpenAI's `errors.data[]`,
    /// each as `code: message (line n)`).
    pub errors: Vec<String>,
    /// OpenAI: the output file's id, once there is one.
    pub output_file_id: Option<String>,
    /// OpenAI: the error file's id (requests that failed), once there is one.
    pub error_file_id: Option<String>,
    /// Anthropic: where the results are, once the batch has ended.
    pub results_url: Option<String>,
}

impl BatchStatus {
    /// [`Error::Batch`] for a batch that ended without completing, naming its id, its
    /// status and what the provider said.
    pub(crate) fn ended_error(&self) -> Error {
        let message = if !self.errors.is_empty() {
            self.errors.join("; ")
        } else {
            match self.state {
                BatchState::Failed => "the provider gave no reason".to_owned(),
                BatchState::Expired => format!(
                    "the 24-hour window ended with {} of {} requests done; download the partial \
                     output and send the rest again",
                    self.counts.succeeded + self.counts.errored,
                    self.counts.total
                ),
                _ => format!(
                    "cancelled with {} of {} requests done; the partial output can be downloaded",
                    self.counts.succeeded + self.counts.errored,
                    self.counts.total
                ),
            }
        };
        Error::Batch {
            batch_id: self.id.clone(),
            status: self.provider_status.clone(),
            message,
        }
    }
}
