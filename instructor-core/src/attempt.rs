//! The attempt loop: the bookkeeping one extraction keeps across its attempts, shared by
//! [`send`](crate::Extract::send) and the streams.
//!
//! Whoever drives it asks for the next attempt, posts the conversation, adds the usage, has
//! the answer judged and records it. [`AttemptLoop::record`] says what comes next: the value
//! (with every [`Attempt`] and the usage summed), a re-ask (the model's reply and the errors
//! are appended to the conversation), or [`Error::RetriesExhausted`].

use crate::bill::Cost;
use crate::budget::Meter;
use crate::error::{AttemptError, Error};
use crate::mode::{Mode, ModeSpec};
use crate::provider::Provider;
use crate::reask::{keep_echo, reask_messages, Context};
use crate::repair::Repair;
use crate::reply::Reply;
use crate::tools::Toolbox;
use crate::wire::{ChatCompletion, Message, Usage};

/// One answer, judged: what the model replied, and the value or why it was rejected.
pub(crate) struct Judged<T> {
    /// The reply, as needed to echo it in a re-ask.
    pub reply: Reply,
    /// The value, or the error the model is re-asked with.
    pub outcome: Result<T, AttemptError>,
    /// The text kept as the last reply if the answer is rejected (the JSON read from the
    /// reply, or the reply itself when none was found).
    pub text: Option<String>,
    /// The repair that made the reply parse, if it needed one.
    pub repair: Option<Repair>,
}

/// What comes after an attempt.
pub(crate) enum Next<T> {
    /// The answer is valid.
    Accept(T, Extraction),
    /// The answer was rejected and a re-ask is left: the conversation now holds it.
    Reask,
    /// The answer was rejected and no re-ask is left.
    Fail(Error),
}

/// The state of one extraction across attempts.
#[derive(Debug)]
pub(crate) struct AttemptLoop {
    /// The conversation: the caller's messages (copied), then every re-ask.
    messages: Vec<Message>,
    /// How many attempts may be made: `max_retries + 1`.
    total: u32,
    /// How many have been started.
    started: u32,
    usage: Usage,
    /// The tokens of the replies read from the response cache.
    saved: Usage,
    /// Whether the attempt under way was answered from the response cache.
    hit: bool,
    attempts: Vec<Attempt>,
    last_reply: Option<String>,
    /// The function the model must call, in [`Mode::Tools`]: re-asks answer that call.
    tool: Option<&'static str>,
    /// The schema the answer follows (the wrapper's when the type is wrapped), for telling
    /// the model what a valid value looks like.
    schema: &'static serde_json::Value,
    /// Whether the answer is asked for as `{"value": ..}`.
    wrapped: bool,
    /// The tools, in parallel tools mode.
    toolbox: Option<&'static Toolbox>,
    /// Where each answer's tokens are counted besides `usage`, and the token budgets.
    meter: Meter,
    /// The errors of attempts made before this loop was resumed (a batch job's earlier
    /// rounds), reported first in [`Error::RetriesExhausted`].
    prior_errors: Vec<AttemptError>,
}

/// What an extraction carries from one attempt to the next apart from the conversation:
/// where a batch job keeps an input between its rounds (see [`AttemptLoop::resume`]).
#[derive(Debug, Clone, Default)]
pub(crate) struct Carried {
    /// How many attempts were made.
    pub started: u32,
    /// The tokens they used.
    pub usage: Usage,
    /// Why each was rejected.
    pub errors: Vec<AttemptError>,
    /// The last rejected reply's text.
    pub last_reply: Option<String>,
}

impl AttemptLoop {
    /// The loop for `messages` sent with `spec`'s pieces, allowing `max_retries` re-asks,
    /// counting each answer's tokens into `meter` and within its budgets.
    pub(crate) fn new(
        messages: Vec<Message>,
        spec: &'static ModeSpec,
        max_retries: u32,
        meter: Meter,
    ) -> Self {
        Self {
            messages,
            total: max_retries.saturating_add(1),
            started: 0,
            usage: Usage::default(),
            saved: Usage::default(),
            hit: false,
            attempts: Vec::new(),
            last_reply: None,
            tool: (spec.mode == Mode::Tools).then_some(spec.tool_name.as_str()),
            schema: spec.answer_schema,
            wrapped: spec.wrapped,
            toolbox: spec.toolbox.as_ref(),
            meter,
            prior_errors: Vec::new(),
        }
    }

    /// The loop of an extraction whose earlier attempts were made elsewhere (a batch job's
    /// rounds): `messages` is the conversation so far, re-asks included.
    pub(crate) fn resume(
        messages: Vec<Message>,
        spec: &'static ModeSpec,
        max_retries: u32,
        meter: Meter,
        carried: Carried,
    ) -> Self {
        let mut run = Self::new(messages, spec, max_retries, meter);
        run.started = carried.started;
        run.usage = carried.usage;
        run.prior_errors = carried.errors;
        run.last_reply = carried.last_reply;
        run
    }

    /// The conversation and what the next attempt carries (after a [`Next::Reask`]).
    pub(crate) fn carry(self) -> (Vec<Message>, Carried) {
        let errors = self
            .prior_errors
            .into_iter()
            .chain(self.attempts.into_iter().filter_map(|a| a.error))
            .collect();
        let carried = Carried {
            started: self.started,
            usage: self.usage,
            errors,
            last_reply: self.last_reply,
        };
        (self.messages, carried)
    }

    /// Starts the next attempt and returns its number (1 for the first request). Call it
    /// first, then again after each [`Next::Reask`]: [`record`](Self::record) only re-asks
    /// while an attempt is left. A spent token budget refuses the attempt:
    /// [`Error::BudgetExhausted`], with what the attempts before it failed with.
    pub(crate) fn begin(&mut self) -> Result<u32, Error> {
        self.within_budget()?;
        self.started += 1;
        Ok(self.started)
    }

    /// [`Error::BudgetExhausted`] once a token budget is spent: no further attempt may start
    /// (a batch job asks before it writes an input into the next round's file).
    pub(crate) fn within_budget(&mut self) -> Result<(), Error> {
        match self.meter.budget.spent(&self.usage) {
            None => Ok(()),
            Some((budget, spent)) => {
                let last = (self.started > 0).then(|| Box::new(self.exhausted()));
                Err(Error::BudgetExhausted {
                    budget,
                    spent,
                    usage: self.usage,
                    last,
                })
            }
        }
    }

    /// The conversation to send.
    pub(crate) fn messages(&self) -> &[Message] {
        &self.messages
    }

    /// The tokens of every response so far.
    pub(crate) fn usage(&self) -> Usage {
        self.usage
    }

    /// Counts a response's tokens: the extraction's, the client's bill, the job's budget.
    pub(crate) fn add_usage(&mut self, usage: Usage) {
        self.usage += usage;
        self.meter.record(usage);
    }

    /// Notes that the attempt under way was answered from the response cache, by a reply
    /// that had used `usage` (not counted in [`usage`](Self::usage): it was not spent now).
    pub(crate) fn add_saved(&mut self, usage: Usage) {
        self.saved += usage;
        self.hit = true;
    }

    /// Records the judged answer of the attempt under way.
    pub(crate) fn record<T>(
        &mut self,
        judged: Judged<T>,
        response: ChatCompletion,
        raw: String,
    ) -> Next<T> {
        let error = match judged.outcome {
            Ok(value) => {
                self.attempts.push(Attempt {
                    response,
                    raw,
                    error: None,
                    repair: judged.repair,
                    cached: std::mem::take(&mut self.hit),
                });
                return Next::Accept(value, self.extraction());
            }
            Err(error) => error,
        };
        tracing::debug!(attempt = self.started, error = %error, "answer rejected");
        let reask = self.started < self.total;
        if reask {
            let cx = Context {
                tool: self.tool,
                schema: self.schema,
                answer: judged
                    .repair
                    .as_ref()
                    .map(|r| r.json.as_str())
                    .or(judged.text.as_deref()),
                wrapped: self.wrapped,
                toolbox: self.toolbox,
            };
            let mut turn = reask_messages(&judged.reply, &error, &cx, self.started);
            keep_echo(&mut turn, &response);
            self.messages.extend(turn);
        }
        if judged.text.is_some() {
            self.last_reply = judged.text;
        }
        self.attempts.push(Attempt {
            response,
            raw,
            error: Some(error),
            repair: judged.repair,
            cached: std::mem::take(&mut self.hit),
        });
        if reask {
            return Next::Reask;
        }
        Next::Fail(self.exhausted())
    }

    /// [`Error::RetriesExhausted`] with every attempt's error so far.
    fn exhausted(&mut self) -> Error {
        Error::RetriesExhausted {
            attempts: self.started,
            errors_per_attempt: self
                .prior_errors
                .drain(..)
                .chain(self.attempts.iter().filter_map(|a| a.error.clone()))
                .collect(),
            last_reply: self.last_reply.take(),
            usage: self.usage,
        }
    }

    /// Records an answer that is not judged as a whole (a streamed list, whose elements are
    /// checked one by one), and returns the extraction so far.
    pub(crate) fn record_unjudged(&mut self, response: ChatCompletion, raw: String) -> Extraction {
        self.attempts.push(Attempt {
            response,
            raw,
            error: None,
            repair: None,
            cached: std::mem::take(&mut self.hit),
        });
        self.extraction()
    }

    fn extraction(&mut self) -> Extraction {
        Extraction {
            attempts: std::mem::take(&mut self.attempts),
            usage: self.usage,
            saved: self.saved,
            provider: Provider::default(),
            model: String::new(),
            fallbacks: Vec::new(),
            cost: None,
        }
    }
}

/// What a successful extraction did besides producing the value: every request it made and
/// the tokens they used together, and who answered.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Extraction {
    /// Every request made, in order; the last one produced the value.
    pub attempts: Vec<Attempt>,
    /// Tokens used by all attempts together (of the client that answered). Replies read
    /// from the response cache are not counted: they are in [`saved`](Self::saved).
    pub usage: Usage,
    /// Tokens the response cache saved: the usage of the replies read from it (zero without
    /// a cache, or when every reply was live).
    pub saved: Usage,
    /// The provider that answered.
    pub provider: Provider,
    /// The model asked for on the client that answered.
    pub model: String,
    /// The clients of a fallback chain that failed before the one that answered, in order
    /// (empty without fallbacks: see [`Client::with_fallback`](crate::Client::with_fallback)).
    pub fallbacks: Vec<Fallback>,
    /// What [`usage`](Self::usage) cost at the answering client's
    /// [`prices`](crate::ClientBuilder::prices); `None` when its price table does not have
    /// the model (never a guess). See `docs/costs.md`.
    pub cost: Option<Cost>,
}

/// A client of a fallback chain that failed at the transport, before the next one was asked.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Fallback {
    /// Its provider.
    pub provider: Provider,
    /// The model it was asked for.
    pub model: String,
    /// Why it failed (a transport error, a timeout, a 429 or a 5xx).
    pub error: Error,
}

impl Fallback {
    /// A failed client of a chain.
    pub(crate) fn new(provider: Provider, model: String, error: Error) -> Self {
        Self {
            provider,
            model,
            error,
        }
    }
}

impl Extraction {
    /// The response that produced the value.
    pub fn response(&self) -> &ChatCompletion {
        &self.last().response
    }

    /// Its raw body.
    pub fn raw(&self) -> &str {
        &self.last().raw
    }

    /// Whether the value came from a reply read from the response cache (the attempts
    /// say which were: [`Attempt::cached`]).
    pub fn cache_hit(&self) -> bool {
        self.last().cached
    }

    fn last(&self) -> &Attempt {
        self.attempts
            .last()
            .expect("an extraction has at least one attempt")
    }
}

/// One request of an extraction.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Attempt {
    /// The response, parsed.
    pub response: ChatCompletion,
    /// The response body as received.
    pub raw: String,
    /// Why the answer was rejected and re-asked; `None` for the accepted one.
    pub error: Option<AttemptError>,
    /// Set when the reply was almost JSON and was repaired before it was parsed (a fence,
    /// trailing commas, single quotes, ...): what was parsed and what was fixed.
    pub repair: Option<Repair>,
    /// Whether the reply was read from the response cache rather than sent for (it was
    /// judged all the same).
    pub cached: bool,
}
