//! `client.extract::<T>()`: the request builder and the extraction loop.

use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::sync::Arc;

use futures_util::future::{join_all, BoxFuture};
use serde::de::DeserializeOwned;
use tracing::field::Empty;
use tracing::Instrument;

use crate::client::Client;
use crate::error::{AttemptError, Error};
use crate::mode::{spec_for, Mode, ModeSpec};
use crate::parse::{extract_json, parse_strict, parse_text};
use crate::reask::{reask_messages, Reply};
use crate::validation::{ValidationError, ValidationErrors};
use crate::validators::{IntoValidatorFailure, ValidatorFailure};
use crate::wire::{ChatCompletion, ChatRequest, Message, Role, Usage};
use crate::Instructor;

impl Client {
    /// Starts an extraction of a `T` from the model's answer.
    ///
    /// ```no_run
    /// # use instructor_core::{Client, Instructor};
    /// # async fn run<UserDetails: Instructor + serde::de::DeserializeOwned + Send + 'static>(client: Client) -> Result<(), instructor_core::Error>
    /// # where UserDetails::Context: Default {
    /// let user: UserDetails = client
    ///     .extract::<UserDetails>()
    ///     .model("mistralai/Mixtral-8x7B-Instruct-v0.1")
    ///     .system("You are a world class extractor")
    ///     .user(r#"Extract the following entities: "Jason is 20""#)
    ///     .max_retries(2)
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn extract<T: Instructor>(&self) -> Extract<T> {
        Extract {
            client: self.clone(),
            model: None,
            messages: Vec::new(),
            temperature: None,
            max_tokens: None,
            seed: None,
            mode: None,
            max_retries: 0,
            context: DefaultContext,
            validators: Vec::new(),
            _marker: PhantomData,
        }
    }
}

type Validator<T> =
    Arc<dyn Fn(&T) -> BoxFuture<'static, Result<(), ValidatorFailure>> + Send + Sync>;

/// An extraction request, built by [`Client::extract`]. Send it with
/// [`send`](Self::send), by `.await`ing it directly, or with
/// [`send_with_completion`](Self::send_with_completion).
///
/// By default an extraction makes **one** attempt and does not re-ask: call
/// [`max_retries(n)`](Self::max_retries) to allow `n` re-asks.
#[must_use = "an extraction does nothing until it is sent or awaited"]
pub struct Extract<T, C = DefaultContext> {
    pub(crate) client: Client,
    pub(crate) model: Option<String>,
    pub(crate) messages: Vec<Message>,
    pub(crate) temperature: Option<f64>,
    pub(crate) max_tokens: Option<u32>,
    pub(crate) seed: Option<u64>,
    pub(crate) mode: Option<Mode>,
    pub(crate) max_retries: u32,
    pub(crate) context: C,
    pub(crate) validators: Vec<Validator<T>>,
    pub(crate) _marker: PhantomData<fn() -> T>,
}

impl<T, C> std::fmt::Debug for Extract<T, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Extract")
            .field("type", &std::any::type_name::<T>())
            .field("model", &self.model)
            .field("messages", &self.messages.len())
            .field("mode", &self.mode)
            .field("max_retries", &self.max_retries)
            .field("validators", &self.validators.len())
            .finish_non_exhaustive()
    }
}

impl<T, C> Extract<T, C> {
    /// The model (overrides the client's default model).
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.model = Some(model.into());
        self
    }

    /// Appends a system message.
    pub fn system(self, content: impl Into<String>) -> Self {
        self.message(Message::system(content))
    }

    /// Appends a user message.
    pub fn user(self, content: impl Into<String>) -> Self {
        self.message(Message::user(content))
    }

    /// Appends an assistant message (a few-shot example, or earlier turns).
    pub fn assistant(self, content: impl Into<String>) -> Self {
        self.message(Message::assistant(content))
    }

    /// Appends one message.
    pub fn message(mut self, message: Message) -> Self {
        self.messages.push(message);
        self
    }

    /// Appends messages, in order. They are copied: re-asks never change the caller's list.
    pub fn messages<I>(mut self, messages: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<Message>,
    {
        self.messages.extend(messages.into_iter().map(Into::into));
        self
    }

    /// Sampling temperature.
    pub fn temperature(mut self, temperature: f64) -> Self {
        self.temperature = Some(temperature);
        self
    }

    /// The most tokens the answer may use (`max_tokens`). An answer cut off by it is
    /// [`Error::Truncated`].
    pub fn max_tokens(mut self, max_tokens: u32) -> Self {
        self.max_tokens = Some(max_tokens);
        self
    }

    /// A sampling seed, for providers that support reproducible sampling.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// The mode (overrides the client's default mode).
    pub fn mode(mut self, mode: Mode) -> Self {
        self.mode = Some(mode);
        self
    }

    /// Allows `n` re-asks after an answer that does not parse or validate: at most `n + 1`
    /// requests. Default `0`: one request, no re-ask.
    pub fn max_retries(mut self, n: u32) -> Self {
        self.max_retries = n;
        self
    }

    /// Adds a custom asynchronous validator, run after the type's own rules (all
    /// validators run, so every error reaches the model in one re-ask).
    ///
    /// The closure receives the value by reference and returns a `'static` future: copy
    /// what the check needs out of the value first. An `Err` is any of `String`, `&str`,
    /// [`ValidationError`], [`ValidationErrors`] (re-asked), or [`Error`] (ends the
    /// extraction with that error, e.g. a failed lookup: never sent to the model).
    ///
    /// ```no_run
    /// # use instructor_core::{Client, Instructor};
    /// # #[derive(serde::Deserialize)] struct User { name: String }
    /// # async fn run(client: Client, q: instructor_core::Extract<User>) {
    /// let q = q.validate_with(|user: &User| {
    ///     let name = user.name.clone();
    ///     async move {
    ///         if name.contains(' ') { Ok(()) } else { Err(format!("`{name}` is not a full name")) }
    ///     }
    /// });
    /// # }
    /// ```
    pub fn validate_with<F, Fut, E>(mut self, validator: F) -> Self
    where
        F: Fn(&T) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: IntoValidatorFailure,
    {
        self.validators.push(Arc::new(move |value: &T| {
            let fut = validator(value);
            Box::pin(async move { fut.await.map_err(IntoValidatorFailure::into_failure) })
        }));
        self
    }
}

impl<T: Instructor, C> Extract<T, C> {
    /// The context passed to the type's garde rules (`#[garde(context(C))]`); required
    /// when the context type has no `Default`.
    pub fn validation_context(self, context: T::Context) -> Extract<T, WithContext<T::Context>> {
        Extract {
            client: self.client,
            model: self.model,
            messages: self.messages,
            temperature: self.temperature,
            max_tokens: self.max_tokens,
            seed: self.seed,
            mode: self.mode,
            max_retries: self.max_retries,
            context: WithContext(context),
            validators: self.validators,
            _marker: PhantomData,
        }
    }

    /// The messages the first request sends: the caller's, with the schema prompt merged
    /// into the system message for [`Mode::Json`] and [`Mode::MdJson`].
    pub(crate) fn prepared_messages(&self, spec: &ModeSpec) -> Vec<Message> {
        prepare_messages(self.messages.clone(), spec)
    }

    /// The request body for `messages`. Shared by every way of sending (a streaming
    /// variant sets `stream`).
    pub(crate) fn request_body(
        &self,
        model: &str,
        spec: &ModeSpec,
        messages: &[Message],
        stream: bool,
    ) -> Vec<u8> {
        let request = ChatRequest {
            model,
            messages,
            temperature: self.temperature,
            max_tokens: self.max_tokens,
            seed: self.seed,
            response_format: spec.response_format.as_deref(),
            tools: spec.tools.as_deref(),
            tool_choice: spec.tool_choice.as_deref(),
            stream: stream.then_some(true),
            stream_options: stream.then(include_usage),
        };
        // Sized up front: the schema pieces and the messages are most of the body, and
        // growing the buffer by doubling would copy it several times.
        let pieces = [&spec.response_format, &spec.tools, &spec.tool_choice];
        let size = 256
            + model.len()
            + pieces
                .iter()
                .filter_map(|p| p.as_ref().map(|r| r.get().len()))
                .sum::<usize>()
            + messages
                .iter()
                .map(|m| 64 + m.content.as_ref().map_or(0, |c| c.len() + c.len() / 8))
                .sum::<usize>();
        let mut body = Vec::with_capacity(size);
        serde_json::to_writer(&mut body, &request).expect("a chat request always serializes");
        body
    }

    fn resolve_model_and_spec(&self) -> Result<(String, Mode, &'static ModeSpec), Error> {
        self.resolve_for::<T>()
    }

    /// The model and the mode pieces for sending a `U` (`T` itself, or the list wrapper of
    /// a streamed list).
    pub(crate) fn resolve_for<U: Instructor>(
        &self,
    ) -> Result<(String, Mode, &'static ModeSpec), Error> {
        let mode = self.mode.unwrap_or(self.client.inner.default_mode);
        let spec = spec_for::<U>(mode);
        if let Some(why) = &spec.unsupported {
            return Err(Error::Config(why.clone()));
        }
        let model = self
            .model
            .clone()
            .or_else(|| self.client.default_model().map(str::to_owned))
            .ok_or_else(|| {
                Error::Config(
                    "no model: call .model(..) on the request or ClientBuilder::default_model"
                        .into(),
                )
            })?;
        if self.messages.is_empty() {
            return Err(Error::Config(
                "no messages: add at least one with .user(..) or .messages(..)".into(),
            ));
        }
        Ok((model, mode, spec))
    }
}

impl<T, C> Extract<T, C>
where
    T: Instructor + DeserializeOwned + Send + 'static,
    C: ValidationContext<T>,
{
    /// Sends the request (re-asking up to [`max_retries`](Self::max_retries) times) and
    /// returns the validated value.
    pub async fn send(self) -> Result<T, Error> {
        self.send_with_completion().await.map(|(value, _)| value)
    }

    /// Like [`send`](Self::send), also returning the [`Completion`]: every attempt's raw
    /// response and the usage summed over all attempts.
    pub async fn send_with_completion(self) -> Result<(T, Completion), Error> {
        let on_error = self.client.inner.hooks.on_error.clone();
        let result = self.run().await;
        if let (Err(e), Some(hook)) = (&result, on_error) {
            hook(e);
        }
        result
    }

    async fn run(self) -> Result<(T, Completion), Error> {
        let (model, mode, spec) = self.resolve_model_and_spec()?;
        let span = tracing::info_span!(
            "instructor.extract",
            gen_ai.operation.name = "chat",
            gen_ai.request.model = %model,
            server.address = self.client.base_url(),
            "instructor.type" = %T::schema_name(),
            instructor.mode = mode.as_str(),
            instructor.max_retries = self.max_retries,
            instructor.attempts = Empty,
            gen_ai.usage.input_tokens = Empty,
            gen_ai.usage.output_tokens = Empty,
        );
        // Boxed: the attempt loop's state machine is large, and every layer of `.await`
        // above it would otherwise copy all of it when the future is built and moved.
        let result = Box::pin(self.run_attempts(&model, spec))
            .instrument(span.clone())
            .await;
        let (attempts, usage) = match &result {
            Ok((_, c)) => (c.attempts.len() as u64, Some(c.usage)),
            Err(Error::RetriesExhausted {
                attempts, usage, ..
            }) => (*attempts as u64, Some(*usage)),
            Err(e) => (0, e.usage()),
        };
        if attempts > 0 {
            span.record("instructor.attempts", attempts);
        }
        if let Some(u) = usage {
            span.record("gen_ai.usage.input_tokens", u.prompt_tokens);
            span.record("gen_ai.usage.output_tokens", u.completion_tokens);
        }
        result
    }

    async fn run_attempts(
        mut self,
        model: &str,
        spec: &'static ModeSpec,
    ) -> Result<(T, Completion), Error> {
        // The request owns its copy of the caller's messages: re-asks append to it.
        let mut messages = prepare_messages(std::mem::take(&mut self.messages), spec);
        let total = self.max_retries.saturating_add(1);
        let tool = (spec.mode == Mode::Tools).then_some(spec.tool_name.as_str());
        let mut usage = Usage::default();
        let mut attempts: Vec<Attempt> = Vec::new();
        let mut last_reply = None;

        for n in 1..=total {
            let body = self.request_body(model, spec, &messages, false);
            let span = tracing::info_span!(
                "gen_ai.chat",
                otel.name = %format_args!("chat {model}"),
                gen_ai.operation.name = "chat",
                gen_ai.request.model = %model,
                gen_ai.request.temperature = Empty,
                gen_ai.request.max_tokens = Empty,
                gen_ai.request.seed = Empty,
                instructor.attempt = n,
                gen_ai.response.id = Empty,
                gen_ai.response.model = Empty,
                gen_ai.response.finish_reasons = Empty,
                gen_ai.usage.input_tokens = Empty,
                gen_ai.usage.output_tokens = Empty,
            );
            if let Some(t) = self.temperature {
                span.record("gen_ai.request.temperature", t);
            }
            if let Some(t) = self.max_tokens {
                span.record("gen_ai.request.max_tokens", t);
            }
            if let Some(s) = self.seed {
                span.record("gen_ai.request.seed", s);
            }
            let (completion, raw) = self
                .client
                .post_chat(&body, n, model)
                .instrument(span.clone())
                .await
                .map_err(|e| e.with_prior_usage(usage))?;
            let this_usage = completion.usage.unwrap_or_default();
            usage += this_usage;
            span.record("gen_ai.response.id", completion.id.as_str());
            span.record("gen_ai.response.model", completion.model.as_str());
            if !span.is_disabled() {
                let reasons: Vec<&str> = completion
                    .choices
                    .iter()
                    .filter_map(|c| c.finish_reason.as_deref())
                    .collect();
                span.record(
                    "gen_ai.response.finish_reasons",
                    tracing::field::debug(&reasons),
                );
            }
            span.record("gen_ai.usage.input_tokens", this_usage.prompt_tokens);
            span.record("gen_ai.usage.output_tokens", this_usage.completion_tokens);

            let (reply, json) = read_reply(&completion, spec, usage)?;
            let outcome = match json {
                Ok(text) => {
                    let outcome = self.check(&text, spec).instrument(span.clone()).await?;
                    if outcome.is_err() {
                        last_reply = Some(text);
                    }
                    outcome
                }
                Err(e) => {
                    if let Reply::Text(Some(t)) = &reply {
                        last_reply = Some(t.clone());
                    }
                    Err(e)
                }
            };
            match outcome {
                Ok(value) => {
                    attempts.push(Attempt {
                        response: completion,
                        raw,
                        error: None,
                    });
                    return Ok((value, Completion { attempts, usage }));
                }
                Err(error) => {
                    span.in_scope(
                        || tracing::debug!(attempt = n, error = %error, "answer rejected"),
                    );
                    if n < total {
                        messages.extend(reask_messages(&reply, &error, tool, n));
                    }
                    attempts.push(Attempt {
                        response: completion,
                        raw,
                        error: Some(error),
                    });
                }
            }
        }
        Err(Error::RetriesExhausted {
            attempts: attempts.len() as u32,
            errors_per_attempt: attempts.into_iter().filter_map(|a| a.error).collect(),
            last_reply,
            usage,
        })
    }

    /// Parses and validates one answer. `Err` ends the extraction (a validator aborted);
    /// `Ok(Err)` is re-asked.
    pub(crate) async fn check(
        &self,
        text: &str,
        spec: &ModeSpec,
    ) -> Result<Result<T, AttemptError>, Error> {
        let parsed = if spec.mode == Mode::JsonSchemaStrict {
            parse_strict::<T>(text, spec.schema)
        } else {
            parse_text::<T>(text)
        };
        let value = match parsed {
            Ok(v) => v,
            Err(e) => return Ok(Err(AttemptError::Parse(e))),
        };
        let mut errors = match self.context.validate(&value) {
            Ok(()) => ValidationErrors::new(),
            Err(e) => e,
        };
        if !self.validators.is_empty() {
            let futures: Vec<_> = self.validators.iter().map(|v| v(&value)).collect();
            for result in join_all(futures).await {
                match result {
                    Ok(()) => {}
                    Err(ValidatorFailure::Invalid(e)) => e.into_iter().for_each(|e| errors.push(e)),
                    Err(ValidatorFailure::Abort(e)) => return Err(*e),
                }
            }
        }
        Ok(if errors.is_empty() {
            Ok(value)
        } else {
            Err(AttemptError::Validation(errors))
        })
    }
}

/// `messages` with the schema prompt merged into the system message for [`Mode::Json`] and
/// [`Mode::MdJson`].
fn prepare_messages(mut messages: Vec<Message>, spec: &ModeSpec) -> Vec<Message> {
    if let Some(prompt) = &spec.system_prompt {
        match messages.first_mut() {
            Some(Message {
                role: Role::System | Role::Developer,
                content: Some(content),
                ..
            }) => {
                content.push_str("\n\n");
                content.push_str(prompt);
            }
            _ => messages.insert(0, Message::system(prompt.clone())),
        }
    }
    messages
}

/// What the model replied, and the JSON text to parse (or why there is none). `Err` for
/// answers that end the extraction.
pub(crate) fn read_reply(
    completion: &ChatCompletion,
    spec: &ModeSpec,
    usage: Usage,
) -> Result<(Reply, Result<String, AttemptError>), Error> {
    let Some(choice) = completion.choices.first() else {
        return Err(Error::EmptyChoices { usage });
    };
    let msg = &choice.message;
    if let Some(refusal) = msg.refusal.as_deref().filter(|r| !r.is_empty()) {
        return Err(Error::Refusal {
            refusal: refusal.to_owned(),
            usage,
        });
    }
    let call = match spec.mode {
        Mode::Tools => msg
            .tool_calls
            .iter()
            .find(|c| c.function.name == spec.tool_name)
            .or_else(|| msg.tool_calls.first()),
        _ => None,
    };
    let produced = || match call {
        Some(c) => c.function.arguments.clone(),
        None => msg.content.clone().unwrap_or_default(),
    };
    match choice.finish_reason.as_deref() {
        Some("length") => {
            return Err(Error::Truncated {
                text: produced(),
                usage,
            })
        }
        Some("content_filter") => {
            return Err(Error::ContentFilter {
                text: produced(),
                usage,
            })
        }
        _ => {}
    }
    let content = msg.content.clone().filter(|c| !c.trim().is_empty());
    if spec.mode == Mode::Tools {
        return Ok(match call {
            Some(c) => (Reply::Tool(c.clone()), Ok(c.function.arguments.clone())),
            None => (
                Reply::Text(content.clone()),
                Err(AttemptError::NoToolCall {
                    tool: spec.tool_name.clone(),
                    content,
                }),
            ),
        });
    }
    let Some(text) = content else {
        return Ok((Reply::Text(None), Err(AttemptError::EmptyContent)));
    };
    let json = if spec.mode == Mode::MdJson {
        match extract_json(&text) {
            Some(j) => Ok(j.to_owned()),
            None => {
                let mut e = ValidationErrors::new();
                e.push(ValidationError::new(
                    "",
                    "no JSON object found in the answer",
                ));
                Err(AttemptError::Parse(e))
            }
        }
    } else {
        Ok(text.clone())
    };
    Ok((Reply::Text(Some(text)), json))
}

/// `stream_options` asking for the usage chunk at the end of a stream.
fn include_usage() -> &'static serde_json::value::RawValue {
    static V: std::sync::OnceLock<Box<serde_json::value::RawValue>> = std::sync::OnceLock::new();
    V.get_or_init(|| {
        serde_json::value::RawValue::from_string(r#"{"include_usage":true}"#.to_owned())
            .expect("valid JSON")
    })
}

/// The result of a successful extraction besides the value: every attempt and the total
/// usage.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Completion {
    /// Every request made, in order; the last one produced the value.
    pub attempts: Vec<Attempt>,
    /// Tokens used by all attempts together.
    pub usage: Usage,
}

impl Completion {
    /// The response that produced the value.
    pub fn response(&self) -> &ChatCompletion {
        &self.last().response
    }

    /// Its raw body.
    pub fn raw(&self) -> &str {
        &self.last().raw
    }

    fn last(&self) -> &Attempt {
        self.attempts
            .last()
            .expect("a completion has at least one attempt")
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
}

/// How an extraction runs the type's own validation rules. Implemented by
/// [`DefaultContext`] (for context types with `Default`, `()` included) and
/// [`WithContext`] (set by [`Extract::validation_context`]).
#[diagnostic::on_unimplemented(
    message = "`{T}`'s validation context has no `Default`: call `.validation_context(ctx)` before sending",
    label = "this extraction needs a validation context"
)]
pub trait ValidationContext<T>: Send + Sync + 'static {
    /// Validates `value`.
    fn validate(&self, value: &T) -> Result<(), ValidationErrors>;
}

/// Validates with the context type's `Default` value.
#[derive(Debug, Clone, Copy, Default)]
pub struct DefaultContext;

impl<T: Instructor> ValidationContext<T> for DefaultContext
where
    T::Context: Default,
{
    fn validate(&self, value: &T) -> Result<(), ValidationErrors> {
        value.validate()
    }
}

/// Validates with a context given by [`Extract::validation_context`].
#[derive(Debug, Clone)]
pub struct WithContext<C>(pub C);

impl<T, C> ValidationContext<T> for WithContext<C>
where
    T: Instructor<Context = C>,
    C: Send + Sync + 'static,
{
    fn validate(&self, value: &T) -> Result<(), ValidationErrors> {
        value.validate_with(&self.0)
    }
}

impl<T, C> IntoFuture for Extract<T, C>
where
    T: Instructor + DeserializeOwned + Send + 'static,
    C: ValidationContext<T>,
{
    type Output = Result<T, Error>;
    type IntoFuture = BoxFuture<'static, Result<T, Error>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}
