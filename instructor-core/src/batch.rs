//! Bulk extraction: [`Client::extract_many`] runs one extraction per input with bounded
//! concurrency, keeps going when some fail, backs off together on rate limits and reports
//! progress.

use std::fmt;
use std::future::IntoFuture;
use std::marker::PhantomData;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use futures_util::{Stream, StreamExt};
use serde::de::DeserializeOwned;

use crate::budget::SharedBudget;
use crate::client::Client;
use crate::error::Error;
use crate::extract::Extract;
use crate::hooks::{Hooks, RequestEvent, ResponseEvent};
use crate::retry::Gate;
use crate::validation::context::{DefaultContext, ValidationContext};
use crate::Instructor;

/// The default number of extractions in flight in [`Client::extract_many`].
pub const DEFAULT_CONCURRENCY: usize = 16;

/// A batch of extractions, built by [`Client::extract_many`]. Await it for every result in
/// input order, or call [`stream`](Self::stream) for results as they finish.
#[must_use = "a batch does nothing until it is awaited or streamed"]
pub struct ExtractMany<T, It, B = UserMessage> {
    client: Client,
    inputs: It,
    build: B,
    concurrency: usize,
    on_progress: Option<ProgressFn>,
    /// The job's token budget.
    token_budget: Option<u64>,
    /// Hooks added to every request of the job.
    hooks: Hooks,
    _marker: PhantomData<fn() -> T>,
}

type ProgressFn = Arc<dyn Fn(&Progress) + Send + Sync>;

impl<T, It, B> fmt::Debug for ExtractMany<T, It, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExtractMany")
            .field("type", &std::any::type_name::<T>())
            .field("concurrency", &self.concurrency)
            .finish_non_exhaustive()
    }
}

impl<T, It> ExtractMany<T, It> {
    /// A batch over `inputs` on `client`, each input sent as the user message.
    pub(crate) fn new(client: Client, inputs: It) -> Self {
        ExtractMany {
            client,
            inputs,
            build: UserMessage,
            concurrency: DEFAULT_CONCURRENCY,
            on_progress: None,
            token_budget: None,
            hooks: Hooks::default(),
            _marker: PhantomData,
        }
    }
}

impl<T, It: Iterator, B> ExtractMany<T, It, B> {
    /// Builds the request for each input from a fresh [`Extract`] on this client: set the
    /// model, messages, retries, validators or validation context there.
    ///
    /// ```no_run
    /// # use instructor_core::{Client, Instructor};
    /// # async fn run<User: Instructor + serde::de::DeserializeOwned + Send + 'static>(client: Client)
    /// # where User::Context: Default {
    /// let rows = vec![(1, "Jason is 20"), (2, "Ada is 36")];
    /// let results = client
    ///     .extract_many::<User, _>(rows)
    ///     .request(|req, (id, text)| req.model("gpt-4o-mini").user(format!("#{id}: {text}")))
    ///     .await;
    /// # }
    /// ```
    pub fn request<F, C>(self, build: F) -> ExtractMany<T, It, F>
    where
        F: FnMut(Extract<T>, It::Item) -> Extract<T, C>,
    {
        ExtractMany {
            client: self.client,
            inputs: self.inputs,
            build,
            concurrency: self.concurrency,
            on_progress: self.on_progress,
            token_budget: self.token_budget,
            hooks: self.hooks,
            _marker: PhantomData,
        }
    }

    /// How many extractions run at once (default [`DEFAULT_CONCURRENCY`]; at least 1).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// Called after each input finishes (succeeded or failed), from the task that drives
    /// the batch. Keep it quick: a progress bar update, a counter.
    pub fn on_progress(mut self, f: impl Fn(&Progress) + Send + Sync + 'static) -> Self {
        self.on_progress = Some(Arc::new(f));
        self
    }

    /// A token budget for the whole job, shared by its extractions: prompt + completion
    /// tokens of every answer, counted as the answers arrive. Once they reach `tokens`, no
    /// new request or re-ask starts: every input not done yet ends with
    /// [`Error::BudgetExhausted`] (in its slot, like any failure: none is dropped).
    /// Requests already in flight finish, so the job may end past the budget by what they
    /// used. Each request may still have its own budget
    /// ([`Extract::token_budget`](crate::Extract::token_budget)). See `docs/costs.md`.
    ///
    /// ```no_run
    /// # async fn run(client: instructor_core::Client, texts: Vec<String>) {
    /// let results = client.extract_many::<u32, _>(texts).token_budget(100_000).await;
    /// # }
    /// ```
    pub fn token_budget(mut self, tokens: u64) -> Self {
        self.token_budget = Some(tokens);
        self
    }

    /// Called before every HTTP request of the job, after the client's hook and the
    /// request's own ([`Extract::on_request`]), with the same event.
    pub fn on_request(mut self, f: impl Fn(&RequestEvent<'_>) + Send + Sync + 'static) -> Self {
        self.hooks.add_request(Arc::new(f));
        self
    }

    /// Called after every HTTP response body of the job is read, after the client's hook
    /// and the request's own ([`Extract::on_response`]).
    pub fn on_response(mut self, f: impl Fn(&ResponseEvent<'_>) + Send + Sync + 'static) -> Self {
        self.hooks.add_response(Arc::new(f));
        self
    }

    /// Called with the error of every input that fails, after the client's hook and the
    /// request's own ([`Extract::on_error`]).
    pub fn on_error(mut self, f: impl Fn(&Error) + Send + Sync + 'static) -> Self {
        self.hooks.add_error(Arc::new(f));
        self
    }
}

impl<T, It, B> ExtractMany<T, It, B>
where
    T: Instructor + DeserializeOwned + Send + 'static,
    It: Iterator,
    B: EachRequest<T, It::Item>,
{
    /// The results as they finish, each with the index of its input. Dropping the stream
    /// cancels the extractions still running.
    pub fn stream(self) -> impl Stream<Item = (usize, Result<T, Error>)> {
        let ExtractMany {
            client,
            inputs,
            mut build,
            concurrency,
            on_progress,
            token_budget,
            hooks,
            ..
        } = self;
        let client = client.with_gate(Arc::new(Gate::default()));
        let shared = token_budget.map(SharedBudget::new);
        let total = match inputs.size_hint() {
            (lo, Some(hi)) if lo == hi => Some(lo),
            _ => None,
        };
        let mut progress = Progress {
            index: 0,
            completed: 0,
            succeeded: 0,
            failed: 0,
            total,
        };
        futures_util::stream::iter(inputs.enumerate())
            .map(move |(index, input)| {
                let mut request = build.build(client.extract::<T>(), input);
                request.judge.budget.shared.clone_from(&shared);
                request.request.hooks.add(&hooks);
                async move { (index, request.send().await) }
            })
            .buffer_unordered(concurrency)
            .inspect(move |(index, result)| {
                progress.index = *index;
                progress.completed += 1;
                if result.is_ok() {
                    progress.succeeded += 1;
                } else {
                    progress.failed += 1;
                }
                if let Some(f) = &on_progress {
                    f(&progress);
                }
            })
    }

    /// Runs the batch: every input's result with its index, in input order.
    pub async fn run(self) -> Vec<(usize, Result<T, Error>)> {
        let mut results: Vec<(usize, Result<T, Error>)> = self.stream().collect().await;
        results.sort_unstable_by_key(|(index, _)| *index);
        results
    }
}

impl<T, It, B> IntoFuture for ExtractMany<T, It, B>
where
    T: Instructor + DeserializeOwned + Send + 'static,
    It: Iterator + Send + 'static,
    It::Item: Send,
    B: EachRequest<T, It::Item> + Send + 'static,
{
    type Output = Vec<(usize, Result<T, Error>)>;
    type IntoFuture = BoxFuture<'static, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run())
    }
}

/// Where a batch stands, given to [`ExtractMany::on_progress`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Progress {
    /// The input that just finished.
    pub index: usize,
    /// Inputs finished so far, succeeded or failed.
    pub completed: usize,
    /// Of those, the ones that produced a value.
    pub succeeded: usize,
    /// Of those, the ones that ended with an error.
    pub failed: usize,
    /// How many inputs there are, when the input iterator knows its exact length.
    pub total: Option<usize>,
}

/// How [`ExtractMany`] turns one input into a request: the default sends the input as the
/// user message; a closure given to [`ExtractMany::request`] builds anything else.
pub trait EachRequest<T, Input> {
    /// The validation context of the requests built.
    type Context: ValidationContext<T>;
    /// The request for `input`, starting from `request` (a fresh `client.extract::<T>()`).
    fn build(&mut self, request: Extract<T>, input: Input) -> Extract<T, Self::Context>;
}

/// The default [`EachRequest`]: the input is the user message.
#[derive(Debug, Clone, Copy, Default)]
pub struct UserMessage;

impl<T, S> EachRequest<T, S> for UserMessage
where
    T: Instructor,
    T::Context: Default,
    S: Into<String>,
{
    type Context = DefaultContext;
    fn build(&mut self, request: Extract<T>, input: S) -> Extract<T> {
        request.user(input)
    }
}

impl<T, Input, C, F> EachRequest<T, Input> for F
where
    F: FnMut(Extract<T>, Input) -> Extract<T, C>,
    C: ValidationContext<T>,
{
    type Context = C;
    fn build(&mut self, request: Extract<T>, input: Input) -> Extract<T, C> {
        self(request, input)
    }
}
