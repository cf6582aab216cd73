//! The extraction eval of instructor-rs: its own cases (`cases.json`, shared with the Python
//! comparison in `python/run.py`), a runner that extracts each case in every arm (a [`Mode`]
//! and a [`Prompting`] strategy) against an OpenAI-compatible server, and the report.
//!
//! `scripts/eval` runs the binary against the local model; `docs/evals.md` has the figures.
//!
//! [`Mode`]: instructor::Mode
//! [`Prompting`]: instructor::Prompting

pub mod cases;
pub mod report;
pub mod runner;
pub mod types;

pub use cases::{Case, CaseFile};
pub use report::{ArmSummary, CaseResult, Outcome, Report, Tokens};
pub use runner::{matrix, Arm, Event, ReplayEntry, Runner, Settings, Target};
