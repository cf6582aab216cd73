//! One input of a batch job, between rounds: what it sends (model, options, the
//! conversation so far) and where it stands (waiting for an answer, done, failed).

use crate::attempt::Carried;
use crate::error::Error;
use crate::provider::Options;
use crate::wire::Message;

/// One input of a batch job.
#[derive(Debug)]
pub(crate) struct Entry {
    /// Its id in the files.
    pub custom_id: String,
    /// The model its requests name.
    pub model: String,
    /// Its sampling options and extra body fields.
    pub options: Options,
    /// The attempts made, their usage and errors.
    pub carried: Carried,
    /// Where it stands.
    pub state: State,
}

/// Where an input stands.
#[derive(Debug)]
pub(crate) enum State {
    /// Waiting for an answer: in the next request file (or in the one written for this
    /// round).
    Pending(Pending),
    /// Its answer was accepted: the JSON text the value was parsed from.
    Done(String),
    /// It failed for good.
    Failed(Error),
}

/// What an input waiting for an answer sends.
#[derive(Debug)]
pub(crate) struct Pending {
    /// The conversation of its next request: the first request's (system prompt and worked
    /// examples included), then every re-ask.
    pub conversation: Vec<Message>,
    /// Where the caller's own messages are in the conversation (from, to): the text its
    /// quotes are grounded in when the job names no source, as a live request's are.
    pub ground: (usize, usize),
    /// The round whose request file carries it, once written.
    pub sent_round: Option<u32>,
}

impl Entry {
    /// Whether a result line for it is expected in `round`.
    pub(crate) fn expected_in(&self, round: u32) -> bool {
        matches!(&self.state, State::Pending(p) if p.sent_round == Some(round))
    }
}
