//! [`llm_validator`]: a rule in words, checked by a model.

use std::borrow::Cow;

use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::client::Client;
use crate::error::Error;
use crate::mode::Mode;
use crate::schema::SchemaGenerator;
use crate::setters::setters;
use crate::validation::custom::{IntoValidatorFailure, ValidatorFailure};
use crate::Instructor;

/// A model's judgement of a value against a rule, as [`llm_validator`] asks for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    /// Whether the value follows the rule.
    pub is_valid: bool,
    /// When it does not: what is wrong and how to fix it.
    pub reason: Option<String>,
}

impl Instructor for Verdict {
    type Partial = Value;
    type Context = ();

    fn schema_name() -> Cow<'static, str> {
        Cow::Borrowed("Verdict")
    }

    fn description() -> Option<&'static str> {
        Some("Whether a value follows a rule.")
    }

    fn schema(_: &mut SchemaGenerator) -> Value {
        json!({
            "title": "Verdict",
            "description": "Whether a value follows a rule.",
            "type": "object",
            "properties": {
                "is_valid": { "type": "boolean", "description": "Whether the value follows the rule." },
                "reason": {
                    "type": ["string", "null"],
                    "description": "When it does not: what is wrong and how to fix it."
                }
            },
            "required": ["is_valid", "reason"],
            "additionalProperties": false
        })
    }

    fn partial_from_value(value: Value) -> Option<Value> {
        Some(value)
    }
}

/// The system prompt of [`llm_validator`].
pub const LLM_VALIDATOR_PROMPT: &str = "You are a strict validator. Decide whether the value \
follows the rule. Answer is_valid, and when it is false, a reason that says what is wrong and \
how to fix it.";

/// A rule checked by a model, built by [`llm_validator`] or [`LlmValidator::new`].
#[derive(Debug, Clone)]
#[must_use]
pub struct LlmValidator {
    client: Client,
    rule: String,
    model: Option<String>,
    mode: Option<Mode>,
    max_retries: u32,
}

impl LlmValidator {
    /// A validator asking `client`'s default model whether a value follows `rule`.
    pub fn new(client: &Client, rule: impl Into<String>) -> Self {
        Self {
            client: client.clone(),
            rule: rule.into(),
            model: None,
            mode: None,
            max_retries: 1,
        }
    }

    setters! {
        /// The validating model (default: the client's default model).
        fn model(model: impl Into<String>) { model = Some(model.into()) }

        /// The mode of the validating request (default: the client's).
        fn mode(mode: Mode) { mode = Some(mode) }

        /// Re-asks allowed for the verdict itself (default 1).
        fn max_retries(n: u32) { max_retries = n }
    }

    /// Checks one value: `Ok(())`, `Invalid` with the model's reason, or `Abort` when the
    /// validating request failed.
    pub async fn check<T: Serialize>(&self, value: &T) -> Result<(), ValidatorFailure> {
        let json = serde_json::to_string_pretty(value)
            .map_err(|e| Error::Config(format!("llm_validator: cannot serialize the value: {e}")))
            .map_err(IntoValidatorFailure::into_failure)?;
        self.check_json(json).await
    }

    async fn check_json(&self, json: String) -> Result<(), ValidatorFailure> {
        let mut req = self
            .client
            .extract::<Verdict>()
            .system(LLM_VALIDATOR_PROMPT)
            .user(format!("Rule: {}\n\nValue:\n{json}", self.rule))
            .max_retries(self.max_retries);
        if let Some(m) = &self.model {
            req = req.model(m.clone());
        }
        if let Some(m) = self.mode {
            req = req.mode(m);
        }
        let verdict = req
            .send()
            .await
            .map_err(IntoValidatorFailure::into_failure)?;
        if verdict.is_valid {
            return Ok(());
        }
        let reason = verdict
            .reason
            .filter(|r| !r.trim().is_empty())
            .unwrap_or_else(|| format!("does not follow the rule: {}", self.rule));
        Err(reason.into_failure())
    }

    /// The validator as a closure for [`Extract::validator`](crate::Extract::validator).
    pub fn into_fn<T: Serialize>(
        self,
    ) -> impl Fn(&T) -> BoxFuture<'static, Result<(), ValidatorFailure>> + Clone + Send + Sync + 'static
    {
        move |value: &T| {
            let this = self.clone();
            let json = serde_json::to_string_pretty(value);
            Box::pin(async move {
                let json = json.map_err(|e| {
                    Error::Config(format!("llm_validator: cannot serialize the value: {e}"))
                        .into_failure()
                })?;
                this.check_json(json).await
            })
        }
    }
}

/// A validator that asks a model whether the extracted value follows `rule` (in words),
/// for rules code cannot check ("the summary does not mention prices"). The value is sent
/// as JSON with the rule; a "no" is re-asked with the model's reason; a failed validating
/// request ends the extraction. Uses the client's default model: see [`LlmValidator`] to
/// choose another.
///
/// ```no_run
/// # use instructor_core::{llm_validator, Client, Extract};
/// # #[derive(serde::Deserialize, serde::Serialize)] struct Answer { text: String }
/// # fn f(client: &Client, q: Extract<Answer>) {
/// let q = q.validator(llm_validator(client, "the text contains nothing offensive"));
/// # }
/// ```
pub fn llm_validator<T: Serialize>(
    client: &Client,
    rule: impl Into<String>,
) -> impl Fn(&T) -> BoxFuture<'static, Result<(), ValidatorFailure>> + Clone + Send + Sync + 'static
{
    LlmValidator::new(client, rule).into_fn()
}
