//! The driver shared by both stream forms: opens each attempt's event stream, feeds its
//! bytes to a [`Session`], and at the end of an answer judges it through the
//! [`AttemptLoop`] (the same bookkeeping as [`send`](crate::Extract::send)).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use futures_util::FutureExt;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::items::Items;
use super::session::{Session, Shape};
use super::sse::SseError;
use crate::attempt::{AttemptLoop, Extraction, Fallback, Judged, Next};
use crate::budget::Meter;
use crate::client::transport::{EventStream, Opened, Post};
use crate::client::Client;
use crate::error::{AttemptError, Error};
use crate::example;
use crate::extract::Extract;
use crate::judge::Judge;
use crate::mode::{spec_for, Mode, ModeSpec};
use crate::provider::Delivery;
use crate::repetition::{find, repeated_tail, Repeat};
use crate::reply::{read_reply, Reply};
use crate::request::Request;
use crate::validation::context::ValidationContext;
use crate::wrap;
use crate::Instructor;

/// How many of the last items are kept to catch a repeating list.
const RECENT: usize = 24;

/// What a step of the driver concluded.
pub(crate) enum Step<Y, D> {
    /// Nothing to show yet; read on.
    Continue,
    /// Something to yield.
    Yield(Y),
    /// The stream is over, with this.
    Done(D),
}

pub(crate) struct Driver<T, C> {
    request: Request,
    /// The request as the caller built it, to start again on a fallback client (kept only
    /// when the client has fallbacks).
    original: Option<Request>,
    /// The fallback clients not asked yet, in order.
    fallbacks: VecDeque<Client>,
    /// The clients that failed before the first event, in order.
    failed: Vec<Fallback>,
    judge: Judge<T, C>,
    model: String,
    /// What is sent: `T`'s pieces, or `Items<T>`'s.
    spec: &'static ModeSpec,
    /// How one `T` is read back.
    item_spec: &'static ModeSpec,
    shape: Shape,
    run: AttemptLoop,
    /// The attempt under way, shared with the public stream.
    pub(crate) attempt: Arc<AtomicU32>,
    response: Option<reqwest::Response>,
    /// The try the response under way came from, until its body is read.
    opened: Option<Opened>,
    session: Option<Session>,
    items_seen: usize,
    ready_items: VecDeque<Value>,
    /// The last items completed, to catch a list repeating itself.
    recent: VecDeque<Value>,
    /// An error found with elements still to yield: it comes after them.
    pending_error: Option<Error>,
    finished: bool,
}

impl<T, C> Driver<T, C>
where
    T: Instructor + DeserializeOwned + Send + 'static,
    C: ValidationContext<T>,
{
    pub(crate) fn new(req: Extract<T, C>, shape: Shape) -> Result<Self, Error> {
        let Extract { request, mut judge } = req;
        if shape == Shape::Items {
            // A list is judged element by element: there is nothing to re-ask as a whole.
            judge.max_retries = 0;
        }
        judge.ground_in(&request.messages);
        let fallbacks: VecDeque<Client> = request.client.fallbacks().iter().cloned().collect();
        let original = (!fallbacks.is_empty()).then(|| request.clone());
        let (request, model, spec, item_spec, run) = Self::prepare(request, &judge, shape)?;
        Ok(Self {
            request,
            original,
            fallbacks,
            failed: Vec::new(),
            judge,
            model,
            spec,
            item_spec,
            shape,
            run,
            attempt: Arc::new(AtomicU32::new(0)),
            response: None,
            opened: None,
            session: None,
            items_seen: 0,
            ready_items: VecDeque::new(),
            recent: VecDeque::new(),
            pending_error: None,
            finished: false,
        })
    }

    /// What `request` sends on its client: the model, `T`'s pieces (or the list's) checked
    /// against the client's dialect, how one `T` is read back, and the attempt loop over
    /// the first conversation.
    #[allow(clippy::type_complexity)]
    fn prepare(
        mut request: Request,
        judge: &Judge<T, C>,
        shape: Shape,
    ) -> Result<
        (
            Request,
            String,
            &'static ModeSpec,
            &'static ModeSpec,
            AttemptLoop,
        ),
        Error,
    > {
        let (model, spec) = match shape {
            Shape::Value => request.resolve::<T>()?,
            // Parallel tools: the calls are the list.
            Shape::Items if request.mode() == Mode::ParallelTools => request.resolve::<Vec<T>>()?,
            Shape::Items => request.resolve::<Items<T>>()?,
        };
        if shape == Shape::Value {
            example::check::<T>(spec, |v| judge.context.validate(v))?;
        }
        let item_spec = spec_for::<T>(spec.mode, spec.prompting);
        // Each client's answers go on its own bill.
        let meter = Meter::new(
            request.client.ledger().clone(),
            &model,
            judge.budget.clone(),
        );
        let run = AttemptLoop::new(
            request.take_conversation(spec),
            spec,
            judge.max_retries,
            meter,
        );
        Ok((request, model, spec, item_spec, run))
    }

    /// After the first request failed at the transport (`error`, before any event): starts
    /// the extraction again on the next fallback client, noting the failure. `Err(error)`
    /// when there is no fallback left, or the error is not one to fall back on.
    fn fall_back(&mut self, error: Error) -> Result<(), Error> {
        let (Some(original), true) = (self.original.as_ref(), error.is_transient()) else {
            return Err(error);
        };
        let Some(next) = self.fallbacks.pop_front() else {
            return Err(error);
        };
        let provider = self.request.client.provider();
        tracing::warn!(provider = provider.name(), error = %error, "stream falling back to the next client");
        self.failed.push(Fallback::new(
            provider,
            std::mem::take(&mut self.model),
            error,
        ));
        let (request, model, spec, item_spec, run) =
            Self::prepare(original.on_fallback(next), &self.judge, self.shape)?;
        (
            self.request,
            self.model,
            self.spec,
            self.item_spec,
            self.run,
        ) = (request, model, spec, item_spec, run);
        Ok(())
    }

    /// Ends the stream with `error`, after telling the response hooks what was read of an
    /// answer under way, then the error hooks.
    pub(crate) fn fail(&mut self, error: Error) -> Error {
        self.finished = true;
        self.response = None;
        if let Some(session) = self.session.take() {
            self.body_read(&session.raw);
        }
        self.request.report_error(&error);
        error
    }

    /// Tells the response hooks that the body of the attempt's stream was read.
    fn body_read(&mut self, raw: &str) {
        if let Some(opened) = self.opened.take() {
            self.request
                .client
                .body_read(&self.request.hooks, opened, raw);
        }
    }

    /// The extraction, answered: who answered, what it cost, and the clients that failed
    /// before it.
    fn answered(&mut self, extraction: Extraction) -> Extraction {
        let mut extraction = self.request.answered(extraction, self.model.clone());
        extraction.fallbacks = std::mem::take(&mut self.failed);
        extraction
    }

    /// Opens the next attempt's stream. The first attempt that fails at the transport (a
    /// connection error, a timeout, a 429 or a 5xx past the retry policy) starts again on
    /// the next fallback client: no event has been read yet. Later attempts never fall
    /// back (the partials of the first were delivered).
    async fn open(&mut self) -> Result<(), Error> {
        let (resp, opened) = loop {
            let n = self.run.begin()?;
            self.attempt.store(n, Ordering::Relaxed);
            let body = self.request.body(
                &self.model,
                self.spec,
                self.run.messages(),
                Delivery::Stream,
            )?;
            let post = Post {
                body: &body,
                attempt: n,
                model: &self.model,
                hooks: &self.request.hooks,
            };
            match self.request.client.post(post, EventStream).await {
                Ok(opened) => break opened,
                Err(e) if n == 1 => self.fall_back(e.with_prior_usage(self.run.usage()))?,
                Err(e) => return Err(e.with_prior_usage(self.run.usage())),
            }
        };
        self.response = Some(resp);
        self.opened = Some(opened);
        self.session = Some(Session::new(
            self.spec.mode,
            self.request.client.max_response_bytes(),
            self.shape,
            self.request.client.api_key(),
            self.spec.toolbox.as_ref(),
            self.request.client.dialect(),
        ));
        Ok(())
    }

    /// Reads what has arrived: waits for one chunk, then takes every chunk already there.
    async fn pump(&mut self) -> Result<(), Error> {
        let timeout = self.request.client.request_timeout();
        let (Some(resp), Some(session)) = (self.response.as_mut(), self.session.as_mut()) else {
            return Ok(());
        };
        let first = match timeout {
            Some(t) => match tokio::time::timeout(t, resp.chunk()).await {
                Ok(r) => r,
                Err(_) => {
                    return Err(Error::Stream {
                        message: format!("no data for {t:?}"),
                        text: session.text(),
                        usage: session.usage.unwrap_or_default(),
                    })
                }
            },
            None => resp.chunk().await,
        };
        let mut next = Some(first);
        while let Some(read) = next.take() {
            match read {
                Ok(Some(bytes)) => {
                    match session.push(&bytes) {
                        Ok(()) => {}
                        Err(SseError::TooLarge) => {
                            return Err(Error::ResponseTooLarge {
                                limit: self.request.client.max_response_bytes(),
                                usage: self.run.usage(),
                            })
                        }
                        Err(SseError::InvalidUtf8) => {
                            return Err(Error::Stream {
                                message: "the event stream is not valid UTF-8".into(),
                                text: session.text(),
                                usage: session.usage.unwrap_or_default(),
                            })
                        }
                    }
                    if session.over() {
                        break;
                    }
                    next = resp.chunk().now_or_never();
                }
                Ok(None) => {
                    // The body ended: an answer that finished needs no `[DONE]`.
                    if session.finish_reason.is_some() || session.parser.is_complete() {
                        session.done = true;
                    } else {
                        session.error =
                            Some("the stream ended before the answer was complete".into());
                    }
                }
                Err(e) => {
                    session.error = Some(format!("the connection failed mid-stream: {e}"));
                }
            }
        }
        Ok(())
    }

    /// The end of an attempt: the value (for a list: the extraction, its elements having
    /// been yielded), a re-ask (`None`), or the end of the extraction.
    async fn conclude(&mut self) -> Result<Option<(Option<T>, Extraction)>, Error> {
        let Some(session) = self.session.take() else {
            return Ok(None);
        };
        self.response = None;
        self.body_read(&session.raw);
        self.run.add_usage(session.usage.unwrap_or_default());
        if let Some(message) = session.error.clone() {
            return Err(Error::Stream {
                message,
                text: session.text(),
                usage: self.run.usage(),
            });
        }
        let completion = session.completion();
        if self.shape == Shape::Items {
            // Elements were checked one by one; what is left is whether the list was whole.
            let (reply, json) = read_reply(&completion, self.spec, self.run.usage())?;
            return match json {
                // Each call was an element, and a call to a tool that does not exist was
                // that element's error already.
                Err(AttemptError::UnknownTool { .. }) if !session.parser_failed => Ok(Some((
                    None,
                    self.run.record_unjudged(completion, session.raw),
                ))),
                Ok(_) if session.parser_failed || !session.parser.is_complete() => {
                    Err(Error::Stream {
                        message: "the answer is not a complete `{\"items\": [..]}` object".into(),
                        text: session.text(),
                        usage: self.run.usage(),
                    })
                }
                Ok(_) => Ok(Some((
                    None,
                    self.run.record_unjudged(completion, session.raw),
                ))),
                Err(error) => {
                    let judged = Judged::<T> {
                        reply,
                        outcome: Err(error),
                        text: Some(session.text()),
                        repair: None,
                    };
                    match self.run.record(judged, completion, session.raw) {
                        Next::Fail(e) => Err(e),
                        Next::Accept(..) | Next::Reask => Ok(None),
                    }
                }
            };
        }
        let judged = self
            .judge
            .judge(&completion, self.spec, self.run.usage())
            .await?;
        match self.run.record(judged, completion, session.raw) {
            Next::Accept(value, extraction) => Ok(Some((Some(value), self.answered(extraction)))),
            Next::Reask => Ok(None),
            Next::Fail(e) => Err(e),
        }
    }

    /// Ends the attempt whose answer repeats a list over and over: the connection is
    /// dropped, and the model re-asked if a re-ask is left.
    fn stop_repeating(&mut self, repeat: Repeat) -> Result<(), Error> {
        self.response = None;
        let Some(session) = self.session.take() else {
            return Ok(());
        };
        self.body_read(&session.raw);
        self.run.add_usage(session.usage.unwrap_or_default());
        tracing::debug!(path = %repeat.path, period = repeat.period, "a list repeats itself: stopped");
        let judged = Judged::<T> {
            // The runaway text is not echoed back.
            reply: Reply::Text(None),
            outcome: Err(AttemptError::Repetition {
                path: self.spec.caller_path(&repeat.path),
                period: repeat.period,
            }),
            text: Some(session.text()),
            repair: None,
        };
        match self.run.record(judged, session.completion(), session.raw) {
            Next::Fail(e) => Err(e),
            Next::Accept(..) | Next::Reask => Ok(()),
        }
    }

    /// One step of `stream_partial`.
    pub(crate) async fn step_partial(
        &mut self,
    ) -> Result<Step<T::Partial, (T, Extraction)>, Error> {
        if self.session.is_none() {
            self.open().await?;
        }
        if self.session.as_ref().is_some_and(|s| !s.over()) {
            self.pump().await?;
        }
        let Some(session) = self.session.as_mut() else {
            return Ok(Step::Continue);
        };
        // The last change is shown before the answer is judged; a snapshot equal to the one
        // before (whitespace, a key not yet complete) is not shown again. The parser keeps the
        // snapshot up to date in place (at the cost of what changed) and numbers its
        // versions, so an equal one is told without comparing values. Lists are looked at for
        // repetition when the value changed, or when the answer completed (its last item then
        // counts).
        if std::mem::take(&mut session.changed) && session.parser.snapshot_ref().is_some() {
            let seen = (
                session.parser.snapshot_version(),
                session.parser.is_complete(),
            );
            if session.checked != Some(seen) {
                session.checked = Some(seen);
                // Already up to date: no cost.
                if let Some(repeat) = session.parser.snapshot_ref().and_then(|v| find(v, !seen.1)) {
                    return self.stop_repeating(repeat).map(|()| Step::Continue);
                }
                if session.shown != Some(seen.0) {
                    session.shown = Some(seen.0);
                    let snapshot = session.parser.snapshot_ref().cloned();
                    // A wrapped answer is shown from inside its wrapper.
                    let value = if self.spec.wrapped {
                        snapshot.and_then(wrap::unwrap_partial)
                    } else {
                        snapshot
                    };
                    if let Some(partial) = value.and_then(T::partial_from_value) {
                        return Ok(Step::Yield(partial));
                    }
                }
            }
        }
        if !session.over() {
            return Ok(Step::Continue);
        }
        Ok(match self.conclude().await? {
            Some((Some(value), extraction)) => {
                self.finished = true;
                Step::Done((value, extraction))
            }
            // Re-asked: the next step opens the new attempt.
            _ => Step::Continue,
        })
    }

    /// One step of `stream_iter`.
    pub(crate) async fn step_item(&mut self) -> Result<Step<Result<T, Error>, ()>, Error> {
        if let Some(value) = self.ready_items.pop_front() {
            let index = self.items_seen;
            self.items_seen += 1;
            return Ok(Step::Yield(
                match self.judge.check(&value.to_string(), self.item_spec).await? {
                    Ok(item) => Ok(item),
                    Err(error) => Err(Error::InvalidItem { index, error }),
                },
            ));
        }
        if let Some(e) = self.pending_error.take() {
            return Err(e);
        }
        if self.finished {
            return Ok(Step::Done(()));
        }
        if self.session.is_none() {
            self.open().await?;
        }
        let pumped = self.pump().await;
        let Some(session) = self.session.as_mut() else {
            return Ok(Step::Done(()));
        };
        let completed = session.parser.take_completed_items();
        self.recent.extend(completed.iter().cloned());
        if self.recent.len() > RECENT {
            self.recent.drain(..self.recent.len() - RECENT);
        }
        self.ready_items.extend(completed);
        let repeated = repeated_tail(self.recent.make_contiguous()).filter(|_| pumped.is_ok());
        if let Some(period) = repeated {
            let stopped = self.stop_repeating(Repeat {
                path: "items".into(),
                period,
            });
            self.finished = true;
            if let Err(e) = stopped {
                self.pending_error = Some(e);
            }
            return Ok(Step::Continue);
        }
        let concluded = match pumped {
            Err(e) => Err(e),
            Ok(()) if session.over() => self.conclude().await.map(|_| ()),
            Ok(()) => return Ok(Step::Continue),
        };
        self.finished = true;
        self.response = None;
        if let Some(session) = self.session.take() {
            self.body_read(&session.raw);
        }
        if let Err(e) = concluded {
            self.pending_error = Some(e);
        }
        Ok(Step::Continue)
    }
}
