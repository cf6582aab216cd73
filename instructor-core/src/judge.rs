//! The judge: what an extraction checks its answers with (the type's validation context,
//! the request's custom validators, the text quotes are grounded in, the re-ask and token
//! budgets),
//! apart from the request that is sent. `send`, the streams and bulk extraction take it by
//! reference. Judging an answer: read the JSON out of the reply, parse it into the type, run
//! every rule (the type's own, then the custom validators).

use std::future::Future;
use std::sync::Arc;

use futures_util::future::{join_all, BoxFuture};
use serde::de::DeserializeOwned;

use crate::attempt::Judged;
use crate::budget::Budget;
use crate::error::{AttemptError, Error};
use crate::grounding::Source;
use crate::mode::{Mode, ModeSpec};
use crate::parse::{parse_strict, parse_text, parse_wrapped};
use crate::repair::{repair, Repair};
use crate::reply::read_reply;
use crate::validation::context::ValidationContext;
use crate::validation::context::WithContext;
use crate::validation::custom::{IntoValidatorFailure, ValidatorFailure};
use crate::validation::{ValidationError, ValidationErrors};
use crate::wire::{ChatCompletion, Usage};
use crate::Instructor;

/// A custom validator of the request (see `Extract::validator`).
type Validator<T> =
    Arc<dyn Fn(&T) -> BoxFuture<'static, Result<(), ValidatorFailure>> + Send + Sync>;

/// How one extraction judges its answers.
pub(crate) struct Judge<T, C> {
    /// The context the type's own rules run with.
    pub context: C,
    validators: Vec<Validator<T>>,
    /// The text the answer's quotes must appear in: set by `Extract::source`, else the
    /// user messages' when the request is sent (see `grounding`).
    pub source: Option<Source>,
    /// How many re-asks an answer that fails may have.
    pub max_retries: u32,
    /// The token budgets no request may start past.
    pub budget: Budget,
}

impl<T, C> Judge<T, C> {
    /// A judge with `context`, no custom validator, no source yet, no re-ask.
    pub(crate) fn new(context: C) -> Self {
        Self {
            context,
            validators: Vec::new(),
            source: None,
            max_retries: 0,
            budget: Budget::default(),
        }
    }

    /// How many custom validators there are.
    pub(crate) fn validators(&self) -> usize {
        self.validators.len()
    }

    /// Adds a custom validator.
    pub(crate) fn add_validator<F, Fut, E>(&mut self, validator: F)
    where
        F: Fn(&T) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: IntoValidatorFailure,
    {
        self.validators.push(Arc::new(move |value: &T| {
            let fut = validator(value);
            Box::pin(async move { fut.await.map_err(IntoValidatorFailure::into_failure) })
        }));
    }

    /// The same judge with another validation context.
    pub(crate) fn with_context<X>(self, context: X) -> Judge<T, WithContext<X>> {
        Judge {
            context: WithContext(context),
            validators: self.validators,
            source: self.source,
            max_retries: self.max_retries,
            budget: self.budget,
        }
    }

    /// Adds a passage to the text quotes are checked against.
    pub(crate) fn add_source(&mut self, text: String) {
        self.source.get_or_insert_with(Source::new).push(text);
    }

    /// The source of the quotes, once the conversation is known: the one given, or the
    /// user messages of `messages`.
    pub(crate) fn ground_in(&mut self, messages: &[crate::wire::Message]) {
        if self.source.is_none() {
            self.source = Some(Source::from_messages(messages));
        }
    }
}

impl<T, C> Judge<T, C>
where
    T: Instructor + DeserializeOwned,
    C: ValidationContext<T>,
{
    /// Judges one completion read with `spec`. `Err` ends the extraction (no usable
    /// reply, or a validator aborted); a rejected answer is `Ok` with the error to re-ask.
    pub(crate) async fn judge(
        &self,
        completion: &ChatCompletion,
        spec: &ModeSpec,
        usage: Usage,
    ) -> Result<Judged<T>, Error> {
        let (reply, json) = read_reply(completion, spec, usage)?;
        Ok(match json {
            Ok(text) => {
                let (parsed, repair) = parse_answer::<T>(&text, spec);
                let outcome = match parsed {
                    Ok(value) => self.validate(value).await?,
                    Err(e) => Err(AttemptError::Parse(e)),
                };
                Judged {
                    reply,
                    outcome,
                    text: Some(text),
                    repair,
                }
            }
            Err(error) => Judged {
                text: reply.text().map(str::to_owned),
                reply,
                outcome: Err(error),
                repair: None,
            },
        })
    }

    /// Parses and validates one element of a streamed list (never wrapped: the list is).
    /// `Err` ends the extraction (a validator aborted); `Ok(Err)` is the element's error.
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
        match parsed {
            Ok(value) => self.validate(value).await,
            Err(e) => Ok(Err(AttemptError::Parse(e))),
        }
    }

    /// Runs every rule on a parsed value: the type's own, then the request's validators.
    /// `Err` ends the extraction (a validator aborted); `Ok(Err)` is re-asked.
    async fn validate(&self, value: T) -> Result<Result<T, AttemptError>, Error> {
        let mut errors = match &self.source {
            Some(source) => ValidationErrors::against(source.clone()),
            None => ValidationErrors::new(),
        };
        self.context.validate_into(&value, &mut errors);
        let mut errors = match errors.into_result() {
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

/// Parses the JSON of an answer into `T`, out of its wrapper when the mode asked for one;
/// when it is not JSON but almost, parses its repair. The error is that of the reply as it
/// was, so a re-ask shows the model its own mistake.
pub(crate) fn parse_answer<T: DeserializeOwned>(
    text: &str,
    spec: &ModeSpec,
) -> (Result<T, ValidationErrors>, Option<Repair>) {
    let strict = (spec.mode == Mode::JsonSchemaStrict).then_some(spec.answer_schema);
    let parse = |text: &str| match strict {
        _ if spec.wrapped => parse_wrapped::<T>(text, strict),
        Some(schema) => parse_strict::<T>(text, schema),
        None => parse_text::<T>(text),
    };
    let error = match parse(text) {
        Ok(value) => return (Ok(value), None),
        // serde stops at the first error: each call of a parallel tools answer is read on
        // its own, so that the re-ask names what is wrong in every call.
        Err(e) if spec.toolbox.is_some() => each_call::<T>(text).unwrap_or(e),
        Err(e) => e,
    };
    match repair(text) {
        Some(fixed) => match parse(&fixed.json) {
            Ok(value) => (Ok(value), Some(fixed)),
            Err(_) => (Err(error), None),
        },
        None => (Err(error), None),
    }
}

/// The parse errors of every element of the list `text` (the calls of a parallel tools
/// answer, side by side), each read on its own as a one-element list; `None` when `text` is
/// not a JSON list or every element parses.
fn each_call<T: DeserializeOwned>(text: &str) -> Option<ValidationErrors> {
    let calls: Vec<&serde_json::value::RawValue> = serde_json::from_str(text).ok()?;
    let mut all = ValidationErrors::new();
    for (i, call) in calls.iter().enumerate() {
        if let Err(errors) = parse_text::<T>(&format!("[{}]", call.get())) {
            for e in errors.iter() {
                let inner = e.path().strip_prefix("[0]").unwrap_or(e.path());
                all.push(ValidationError::new(format!("[{i}]{inner}"), e.message()));
            }
        }
    }
    (!all.is_empty()).then_some(all)
}
