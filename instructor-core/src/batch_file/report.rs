//! What reading a round's result files found, and where an input stands.

use std::fmt;

use crate::error::Error;
use crate::wire::Usage;

/// What reading one round's result files found: every input the round sent is in exactly
/// one of `settled` (or given to the callback of `BatchJob::read_result_files_with`),
/// `reasked`, `resent` and `missing`; every line that could not be used is in `problems`.
#[derive(Debug)]
#[non_exhaustive]
pub struct RoundReport<T> {
    /// The round these results answer.
    pub round: u32,
    /// The inputs that got their value, or failed for good (an error status, a refusal, a
    /// truncated answer, no re-ask left), with their `custom_id`.
    pub settled: Vec<(String, Result<T, Error>)>,
    /// How many of the settled inputs got their value.
    pub done: usize,
    /// How many of the settled inputs failed.
    pub failed: usize,
    /// The inputs whose answers did not parse or validate: re-asked in the next request
    /// file (the model's answer and the errors appended to their conversation).
    pub reasked: Vec<String>,
    /// The inputs the provider did not run or failed for a passing reason (expired,
    /// canceled, a 429 or 5xx), with why: sent again, unchanged, in the next request file.
    pub resent: Vec<(String, String)>,
    /// The inputs this round sent that no line answered: sent again, unchanged, in the next
    /// request file (or given up with `BatchJob::give_up`).
    pub missing: Vec<String>,
    /// The lines that could not be used.
    pub problems: Vec<LineProblem>,
    /// The tokens of this round's answers.
    pub usage: Usage,
}

impl<T> RoundReport<T> {
    pub(crate) fn new(round: u32) -> Self {
        Self {
            round,
            settled: Vec::new(),
            done: 0,
            failed: 0,
            reasked: Vec::new(),
            resent: Vec::new(),
            missing: Vec::new(),
            problems: Vec::new(),
            usage: Usage::default(),
        }
    }

    /// How many inputs still wait for an answer after this round: re-asked, resent, missing.
    pub fn pending(&self) -> usize {
        self.reasked.len() + self.resent.len() + self.missing.len()
    }
}

/// A line of a result file that could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LineProblem {
    /// Which of the files read together (from 0).
    pub file: usize,
    /// The line's number in its file, from 1.
    pub line: u64,
    /// The `custom_id` it names, when it could be read.
    pub custom_id: Option<String>,
    /// What is wrong with it.
    pub kind: ProblemKind,
}

/// What is wrong with a result line.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProblemKind {
    /// Not a result line of the provider's format (not JSON, cut off, no id, an unknown
    /// result type): why.
    Malformed(String),
    /// A second line for an input: the first one was used.
    Duplicate,
    /// A line for an id the round did not send (not in the job, already settled, or sent
    /// in another round).
    Unknown,
}

impl fmt::Display for LineProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "file {}, line {}: ", self.file, self.line)?;
        let id = self.custom_id.as_deref().unwrap_or("?");
        match &self.kind {
            ProblemKind::Malformed(why) => write!(f, "{why}"),
            ProblemKind::Duplicate => write!(f, "a second result for `{id}` (the first is used)"),
            ProblemKind::Unknown => write!(f, "a result for `{id}`, which this round did not send"),
        }
    }
}

/// Where one input of a batch job stands (`BatchJob::status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum InputStatus {
    /// Waiting for an answer (not sent yet, re-asked, resent, or missing from the results).
    Pending {
        /// Answers judged so far.
        attempts: u32,
    },
    /// Its value was accepted.
    Done {
        /// Answers judged, the accepted one included.
        attempts: u32,
    },
    /// It failed for good.
    Failed {
        /// Answers judged.
        attempts: u32,
    },
}
