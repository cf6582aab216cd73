//! `client.extract::<T>()`: the request builder, and `send`, which drives the attempt loop
//! over the transport.

use std::future::{Future, IntoFuture};
use std::sync::Arc;

use futures_util::future::BoxFuture;
use serde::de::DeserializeOwned;

use crate::attempt::Extraction;
use crate::cache::{Cache, CacheUse};
use crate::client::Client;
use crate::error::Error;
use crate::hooks::{RequestEvent, ResponseEvent};
use crate::input::{Content, IntoParts};
use crate::judge::Judge;
use crate::mode::Mode;
use crate::prompt::Prompting;
use crate::provider::{add_extra, Delivery};
use crate::request::Request;
use crate::validation::context::{DefaultContext, ValidationContext, WithContext};
use crate::validation::custom::IntoValidatorFailure;
use crate::wire::Message;
use crate::Instructor;

/// An extraction request, built by [`Client::extract`]. Send it with
/// [`send`](Self::send), by `.await`ing it directly, or with
/// [`send_with_extraction`](Self::send_with_extraction).
///
/// By default an extraction makes **one** attempt and does not re-ask: call
/// [`max_retries(n)`](Self::max_retries) to allow `n` re-asks.
#[must_use = "an extraction does nothing until it is sent or awaited"]
pub struct Extract<T, C = DefaultContext> {
    /// What is sent.
    pub(crate) request: Request,
    /// How the answers are judged.
    pub(crate) judge: Judge<T, C>,
}

impl<T, C> std::fmt::Debug for Extract<T, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Extract")
            .field("type", &std::any::type_name::<T>())
            .field("model", &self.request.model)
            .field("messages", &self.request.messages.len())
            .field("mode", &self.request.mode)
            .field("max_retries", &self.judge.max_retries)
            .field("validators", &self.judge.validators())
            .finish_non_exhaustive()
    }
}

impl<T> Extract<T> {
    /// An empty request on `client`, judged with the type's default context.
    pub(crate) fn new(client: Client) -> Self {
        Extract {
            request: Request::new(client),
            judge: Judge::new(DefaultContext),
        }
    }
}

impl<T, C> Extract<T, C> {
    /// The model (overrides the client's default model).
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.request.model = Some(model.into());
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

    /// Appends a user message made of parts: text, [`Image`](crate::Image)s,
    /// [`Pdf`](crate::Pdf)s and [`Audio`](crate::Audio), in order. Pass a tuple to mix
    /// kinds, or a `Vec` / array of one kind (see [`IntoParts`]). Re-asks keep the parts:
    /// the model sees them again with its answer and the errors.
    ///
    /// ```no_run
    /// # async fn run(client: instructor_core::Client) -> Result<(), instructor_core::Error> {
    /// use instructor_core::{Image, Part, Pdf};
    /// let total: f64 = client
    ///     .extract::<f64>()
    ///     .model("gpt-4o-mini")
    ///     .user_parts(("What is the total of this receipt?", Image::from_path("receipt.png")?))
    ///     .await?;
    /// let title: String = client
    ///     .extract::<String>()
    ///     .model("gpt-4o-mini")
    ///     .user_parts(vec![Part::text("What is the title of this paper?"), Pdf::from_path("paper.pdf")?.into()])
    ///     .await?;
    /// # Ok(()) }
    /// ```
    ///
    /// No parts at all makes the request fail with [`Error::Config`] before it is sent.
    pub fn user_parts(mut self, parts: impl IntoParts) -> Self {
        let message = Message::user_parts(parts);
        if message
            .content
            .as_ref()
            .and_then(Content::parts)
            .is_some_and(<[_]>::is_empty)
        {
            self.request.invalid = Some("user_parts: a message needs at least one part".into());
        }
        self.message(message)
    }

    /// Appends an assistant message (a few-shot example, or earlier turns).
    pub fn assistant(self, content: impl Into<String>) -> Self {
        self.message(Message::assistant(content))
    }

    /// Appends one message.
    pub fn message(mut self, message: Message) -> Self {
        self.request.messages.push(message);
        self
    }

    /// Appends messages, in order. They are copied: re-asks never change the caller's list.
    pub fn messages<I>(mut self, messages: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<Message>,
    {
        self.request
            .messages
            .extend(messages.into_iter().map(Into::into));
        self
    }

    /// Sampling temperature.
    pub fn temperature(mut self, temperature: f64) -> Self {
        self.request.options.temperature = Some(temperature);
        self
    }

    /// The most tokens the answer may use, sent as `max_tokens`, or as
    /// `max_completion_tokens` to OpenAI (whose o-series and GPT-5 refuse `max_tokens`; see
    /// [`Server`](crate::Server)). An answer cut off by it is [`Error::Truncated`]. Without
    /// it, the client's [`default_max_tokens`](crate::ClientBuilder::default_max_tokens) is
    /// sent ([`DEFAULT_MAX_TOKENS`](crate::client::DEFAULT_MAX_TOKENS) unless changed).
    pub fn max_tokens(mut self, max_tokens: u32) -> Self {
        self.request.options.max_tokens = Some(max_tokens);
        self
    }

    /// A sampling seed, for providers that support reproducible sampling.
    pub fn seed(mut self, seed: u64) -> Self {
        self.request.options.seed = Some(seed);
        self
    }

    /// Body fields the SDK does not model, for a server's own parameters: written over the
    /// body the SDK builds (and over the client's
    /// [`extra_body`](crate::ClientBuilder::extra_body)). `extra` must be a JSON object;
    /// calling this again adds to the fields.
    ///
    /// ```no_run
    /// # fn f(q: instructor_core::Extract<String>) {
    /// use serde_json::json;
    /// // vLLM / SGLang: sampling and a reasoning model's chat template.
    /// let q = q.extra_body(json!({
    ///     "top_k": 20,
    ///     "chat_template_kwargs": { "enable_thinking": false },
    /// }));
    /// // OpenAI reasoning models: how hard to think.
    /// let q = q.extra_body(json!({ "reasoning_effort": "low" }));
    /// # }
    /// ```
    ///
    /// A value that is not an object makes the request fail with [`Error::Config`].
    pub fn extra_body(mut self, extra: serde_json::Value) -> Self {
        if let Err(why) = add_extra(&mut self.request.options.extra, extra) {
            self.request.invalid = Some(why);
        }
        self
    }

    /// What the system message says about the answer (overrides the client's
    /// [`prompting`](crate::ClientBuilder::prompting)); see [`Prompting`].
    pub fn prompting(mut self, prompting: Prompting) -> Self {
        self.request.prompting = Some(prompting);
        self
    }

    /// The mode (overrides the client's default mode).
    pub fn mode(mut self, mode: Mode) -> Self {
        self.request.mode = Some(mode);
        self
    }

    /// Uses `cache` for this request's replies (instead of the client's
    /// [`cache`](crate::ClientBuilder::cache), if it has one). Each request of the extraction
    /// is looked up by its body; a hit is judged like a live reply. Streams are not cached.
    pub fn cache(mut self, cache: Cache) -> Self {
        self.request.cache = CacheUse::This(cache);
        self
    }

    /// Sends this request live, without reading or writing the client's cache.
    pub fn no_cache(mut self) -> Self {
        self.request.cache = CacheUse::Off;
        self
    }

    /// Allows `n` re-asks after an answer that does not parse or validate: at most `n + 1`
    /// requests. Default `0`: one request, no re-ask.
    pub fn max_retries(mut self, n: u32) -> Self {
        self.judge.max_retries = n;
        self
    }

    /// Stops re-asking once this extraction's attempts have used `tokens` tokens, counted
    /// as **prompt + completion** tokens ([`Usage::prompt_tokens`](crate::Usage) +
    /// `completion_tokens`, summed over the attempts). Checked before each request: while
    /// the tokens spent are below the budget a request may start; once they reach it, no
    /// re-ask is sent and the extraction ends with [`Error::BudgetExhausted`] (its `usage`,
    /// and in `last` what the attempts failed with). A request is never refused for what it
    /// might cost, so the last one may take the spending past the budget. An answer that is
    /// valid is returned whatever it cost. Streams from this request keep to it too. See
    /// `docs/costs.md`.
    ///
    /// ```no_run
    /// # async fn run(client: instructor_core::Client) -> Result<(), instructor_core::Error> {
    /// let n: u32 = client
    ///     .extract::<u32>()
    ///     .user("How many moons has Mars?")
    ///     .max_retries(5)
    ///     .token_budget(2_000)
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn token_budget(mut self, tokens: u64) -> Self {
        self.judge.budget.tokens = Some(tokens);
        self
    }

    /// Called before every HTTP request of this extraction (re-asks and transport retries
    /// included), after the client's [`on_request`](crate::ClientBuilder::on_request), with
    /// the same event. Calling it again adds a hook: both are called, in order.
    pub fn on_request(mut self, f: impl Fn(&RequestEvent<'_>) + Send + Sync + 'static) -> Self {
        self.request.hooks.add_request(Arc::new(f));
        self
    }

    /// Called after every HTTP response body of this extraction is read, whatever its
    /// status (for a stream: once its events have been read), after the client's
    /// [`on_response`](crate::ClientBuilder::on_response).
    pub fn on_response(mut self, f: impl Fn(&ResponseEvent<'_>) + Send + Sync + 'static) -> Self {
        self.request.hooks.add_response(Arc::new(f));
        self
    }

    /// Called once with the error if this extraction fails, after the client's
    /// [`on_error`](crate::ClientBuilder::on_error).
    pub fn on_error(mut self, f: impl Fn(&Error) + Send + Sync + 'static) -> Self {
        self.request.hooks.add_error(Arc::new(f));
        self
    }

    /// Adds a passage to the text the answer's [`Quote`](crate::Quote)s must appear in. Without it, the
    /// quotes are checked against the request's `user` messages; give the text here when
    /// those hold more than the text (instructions, few-shot examples) or less (the text is
    /// elsewhere). Call it once per document or chunk: a quote must lie within one.
    ///
    /// ```no_run
    /// # use instructor_core::{Cited, Client};
    /// # async fn run(client: Client, article: &str) -> Result<(), instructor_core::Error> {
    /// let facts: Vec<Cited<String>> = client
    ///     .extract::<Vec<Cited<String>>>()
    ///     .user(format!("List the facts about the launch in this article:\n\n{article}"))
    ///     .source(article)
    ///     .max_retries(2)
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn source(mut self, text: impl Into<String>) -> Self {
        self.judge.add_source(text.into());
        self
    }

    /// Adds a custom asynchronous validator, run after the type's own rules (all
    /// validators run, so every error reaches the model in one re-ask).
    ///
    /// The closure receives the value by reference and returns a `'static` future: copy
    /// what the check needs out of the value first. An `Err` is any of `String`, `&str`,
    /// [`ValidationError`](crate::ValidationError), [`ValidationErrors`](crate::ValidationErrors) (re-asked), or [`Error`] (ends the
    /// extraction with that error, e.g. a failed lookup: never sent to the model).
    ///
    /// ```no_run
    /// # use instructor_core::{Client, Instructor};
    /// # #[derive(serde::Deserialize)] struct User { name: String }
    /// # async fn run(client: Client, q: instructor_core::Extract<User>) {
    /// let q = q.validator(|user: &User| {
    ///     let name = user.name.clone();
    ///     async move {
    ///         if name.contains(' ') { Ok(()) } else { Err(format!("`{name}` is not a full name")) }
    ///     }
    /// });
    /// # }
    /// ```
    pub fn validator<F, Fut, E>(mut self, validator: F) -> Self
    where
        F: Fn(&T) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: IntoValidatorFailure,
    {
        self.judge.add_validator(validator);
        self
    }
}

impl<T: Instructor, C> Extract<T, C> {
    /// The context passed to the type's garde rules (`#[garde(context(C))]`); required
    /// when the context type has no `Default`.
    pub fn validation_context(self, context: T::Context) -> Extract<T, WithContext<T::Context>> {
        Extract {
            request: self.request,
            judge: self.judge.with_context(context),
        }
    }

    /// The body of the first request, as it would be sent, without sending it: see exactly
    /// what the mode and the [`Prompting`] write (the schema, the system message, the
    /// sampling options, extra fields). Re-asks append to the messages of this body.
    ///
    /// ```
    /// # use instructor_core::{Client, Mode, Instructor};
    /// # fn f() -> Result<(), instructor_core::Error> {
    /// let client = Client::openai_compatible("http://127.0.0.1:8080/v1", "")?;
    /// let body = client
    ///     .extract::<Vec<String>>()
    ///     .model("m")
    ///     .user("Name the colours in: red sky, green grass.")
    ///     .mode(Mode::Json)
    ///     .dry_run()?;
    /// assert_eq!(body["response_format"]["type"], "json_object");
    /// assert!(body["messages"][0]["content"].as_str().unwrap().contains("list of string"));
    /// # Ok(()) }
    /// ```
    pub fn dry_run(mut self) -> Result<serde_json::Value, Error> {
        let (model, spec) = self.request.resolve::<T>()?;
        let messages = self.request.take_conversation(spec);
        let body = self
            .request
            .body(&model, spec, &messages, Delivery::Whole)?;
        serde_json::from_slice(&body).map_err(|e| Error::Config(format!("dry_run: {e}")))
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
        self.send_with_extraction().await.map(|(value, _)| value)
    }

    /// Like [`send`](Self::send), also returning the [`Extraction`]: every attempt's raw
    /// response and the usage summed over all attempts.
    pub async fn send_with_extraction(self) -> Result<(T, Extraction), Error> {
        let client = self.request.client.clone();
        let hooks = self.request.hooks.clone();
        let result = crate::send::run(self.request, self.judge).await;
        if let Err(e) = &result {
            client.hooks().error(e);
            hooks.error(e);
        }
        result
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
