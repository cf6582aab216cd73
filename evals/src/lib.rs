//! The extraction eval of instructor-rs: its own cases (`cases.json`, shared with the Python
//! comparison in `python/run.py`), a runner that extracts each case in every arm (a [`Mode`]
//! and a [`Prompting`] strategy, built in `arms`) against an OpenAI-compatible server, and the
//! report. Data flows one way: `cases` and `arms` feed the `runner`, which fills the `report`.
//!
//! `scripts/eval` runs the binary against the local model; `docs/evals.md` has the figures.
//!
//! [`Mode`]: instructor::Mode
//! [`Prompting`]: instructor::Prompting

pub mod arms;
pub mod cases;
pub mod report;
pub mod runner;
pub mod types;

pub use arms::{matrix, Arm, Settings};
pub use cases::{Case, CaseFile};
pub use report::{ArmSummary, CaseResult, Outcome, Report, Tokens};
pub use runner::{Event, ReplayEntry, Runner, Target};
