//! The request: what an extraction sends (the client, the model, the conversation, the
//! sampling options, the mode and prompting), apart from how its answer is judged (see
//! `judge`). It resolves what the type and mode need, prepares the first conversation, and
//! has the client's dialect write each body.

use crate::attempt::Extraction;
use crate::cache::{Cache, CacheUse};
use crate::client::Client;
use crate::error::Error;
use crate::example;
use crate::hooks::Hooks;
use crate::mode::{spec_for, Mode, ModeSpec};
use crate::prompt::Prompting;
use crate::provider::{Delivery, Options, Outgoing};
use crate::wire::{Message, Role};
use crate::Instructor;

/// What one extraction sends.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub client: Client,
    pub model: Option<String>,
    pub messages: Vec<Message>,
    pub options: Options,
    /// Why the request cannot be sent, found while it was built.
    pub invalid: Option<String>,
    pub mode: Option<Mode>,
    pub prompting: Option<Prompting>,
    /// The request's own hooks, called after the client's.
    pub hooks: Hooks,
    /// Which response cache it uses.
    pub cache: CacheUse,
}

impl Request {
    /// An empty request on `client`.
    pub(crate) fn new(client: Client) -> Self {
        Self {
            client,
            model: None,
            messages: Vec::new(),
            options: Options::default(),
            invalid: None,
            mode: None,
            prompting: None,
            hooks: Hooks::default(),
            cache: CacheUse::Client,
        }
    }

    /// The response cache this request uses, if any.
    pub(crate) fn cache(&self) -> Option<&Cache> {
        match &self.cache {
            CacheUse::Client => self.client.cache(),
            CacheUse::Off => None,
            CacheUse::This(cache) => Some(cache),
        }
    }

    /// Tells the client's error hook, then the request's, that the extraction failed.
    pub(crate) fn report_error(&self, error: &Error) {
        self.client.hooks().error(error);
        self.hooks.error(error);
    }

    /// `extraction`, answered by this request's client asked for `model`: who answered,
    /// and what its usage cost at the client's prices.
    pub(crate) fn answered(&self, mut extraction: Extraction, model: String) -> Extraction {
        extraction.provider = self.client.provider();
        extraction.cost = self.client.prices().cost(&model, &extraction.usage);
        extraction.model = model;
        extraction
    }

    /// This request as the fallback client `next` sends it: the same conversation and
    /// options, and `next`'s own default model (the request's names the first client's).
    pub(crate) fn on_fallback(&self, next: Client) -> Request {
        Request {
            client: next,
            model: None,
            ..self.clone()
        }
    }

    /// The mode asked for, else the client's.
    pub(crate) fn mode(&self) -> Mode {
        self.mode.unwrap_or(self.client.default_mode())
    }

    /// The model, the mode and its pieces for sending a `U` (the extracted type itself, or
    /// the list wrapper of a streamed list); a request that cannot be sent is
    /// [`Error::Config`].
    pub(crate) fn resolve<U: Instructor>(&self) -> Result<(String, &'static ModeSpec), Error> {
        let spec = self.resolve_spec::<U>()?;
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
        Ok((model, spec))
    }

    /// The mode's pieces for sending a `U`, checked (what [`resolve`](Self::resolve) checks
    /// but the model and the messages): a batch job resolves them once for all its inputs.
    pub(crate) fn resolve_spec<U: Instructor>(&self) -> Result<&'static ModeSpec, Error> {
        if let Some(why) = &self.invalid {
            return Err(Error::Config(why.clone()));
        }
        let prompting = self.prompting.unwrap_or(self.client.prompting());
        let spec = spec_for::<U>(self.mode(), prompting);
        if let Some(why) = &spec.unusable {
            return Err(Error::Config(why.clone()));
        }
        self.client.dialect().check(spec).map_err(Error::Config)?;
        example::turns(spec)?;
        Ok(spec)
    }

    /// The conversation the first request sends with `spec` (the caller's messages, taken
    /// from the request: re-asks append to this copy, never to the caller's list).
    pub(crate) fn take_conversation(&mut self, spec: &ModeSpec) -> Vec<Message> {
        let examples = example::turns(spec).unwrap_or_default();
        prepare_messages(std::mem::take(&mut self.messages), spec, examples)
    }

    /// The body of one request of `messages`, written by the client's dialect; what the
    /// dialect cannot write is [`Error::Config`].
    pub(crate) fn body(
        &self,
        model: &str,
        spec: &ModeSpec,
        messages: &[Message],
        delivery: Delivery,
    ) -> Result<Vec<u8>, Error> {
        encode(&self.client, &self.options, model, spec, messages, delivery)
    }
}

/// The body of one request of `messages` with `options`, written by `client`'s dialect: the
/// one place every body is made (a live request, `dry_run`, a batch file's line); what the
/// dialect cannot write is [`Error::Config`].
pub(crate) fn encode(
    client: &Client,
    options: &Options,
    model: &str,
    spec: &ModeSpec,
    messages: &[Message],
    delivery: Delivery,
) -> Result<Vec<u8>, Error> {
    client
        .dialect()
        .encode(&Outgoing {
            model,
            options,
            spec,
            messages,
            delivery,
            target: client.target(),
        })
        .map_err(Error::Config)
}

/// The messages the first request sends: `messages`, with the schema prompt of `spec`'s
/// [`Prompting`](crate::Prompting) appended to the first system message (or sent as one),
/// then the turns of the type's worked examples after the leading system messages, before
/// the caller's conversation. `examples`: [`crate::example::turns`] of `spec`, checked
/// when the request was resolved.
pub(crate) fn prepare_messages(
    mut messages: Vec<Message>,
    spec: &ModeSpec,
    examples: &[Message],
) -> Vec<Message> {
    if let Some(prompt) = &spec.system_prompt {
        match messages.first_mut() {
            Some(Message {
                role: Role::System | Role::Developer,
                content: Some(content),
                ..
            }) => content.append_paragraph(prompt),
            _ => messages.insert(0, Message::system(prompt.clone())),
        }
    }
    if !examples.is_empty() {
        let at = messages
            .iter()
            .position(|m| !matches!(m.role, Role::System | Role::Developer))
            .unwrap_or(messages.len());
        messages.splice(at..at, examples.iter().cloned());
    }
    messages
}
