//! The runner: every case, in every arm (a mode and a prompting strategy), one extraction at
//! a time, against one OpenAI-compatible server.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use instructor::{Client, Error, Server};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::arms::{Arm, Settings};
use crate::cases::{type_entry, Case, Request};
use crate::report::{ArmSummary, CaseResult, Meta, Outcome, Report, Tokens};

/// Where the model is.
#[derive(Debug, Clone)]
pub struct Target {
    /// The OpenAI-compatible base URL (`http://127.0.0.1:8080/v1`).
    pub base_url: String,
    /// The API key (empty for servers that check none).
    pub api_key: String,
    /// The model name.
    pub model: String,
    /// The longest one HTTP request may take.
    pub timeout: Duration,
}

/// What the runner says while it works.
#[derive(Debug)]
pub enum Event<'a> {
    /// An extraction is about to be sent; `index` counts from 0 up to `total` over the run.
    Started {
        /// The arm.
        arm: Arm,
        /// The case.
        case: &'a Case,
        /// How many extractions were done before this one.
        index: usize,
        /// How many the run makes.
        total: usize,
    },
    /// An extraction is done.
    Finished(&'a CaseResult),
    /// Every case of an arm is done: its figures, and every result of the run so far.
    ArmFinished {
        /// The arm's figures.
        summary: &'a ArmSummary,
        /// The results of this arm and the ones before it.
        results: &'a [CaseResult],
    },
}

/// One HTTP response, as recorded for a replay (`--record`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReplayEntry {
    /// The case id.
    pub case: String,
    /// The mode's name.
    pub mode: String,
    /// The strategy's name.
    pub prompting: String,
    /// The extraction attempt (1 for the first request).
    pub attempt: u32,
    /// The HTTP status.
    pub status: u16,
    /// The response body (JSON when it parses, else the text).
    pub body: Value,
}

#[derive(Default)]
struct Shared {
    /// The highest attempt number sent for the extraction under way.
    attempt: AtomicU32,
    /// Where responses are recorded, with the case and arm under way; `None`: not recording.
    recording: Option<Mutex<Recording>>,
}

#[derive(Default)]
struct Recording {
    current: Option<(String, Arm)>,
    entries: Vec<ReplayEntry>,
}

/// A connected runner: the client (with its hooks) and what it found out about the server.
pub struct Runner {
    client: Client,
    target: Target,
    server: Server,
    shared: Arc<Shared>,
}

impl Runner {
    /// Builds the client for `target` and asks the server what it is (`GET /models`; a
    /// server that does not say is [`Server::Other`]). With `record`, every response is kept
    /// for [`take_recording`](Self::take_recording).
    pub async fn connect(target: Target, record: bool) -> Result<Runner, Error> {
        let shared = Arc::new(Shared {
            attempt: AtomicU32::new(0),
            recording: record.then(Default::default),
        });
        let on_request = Arc::clone(&shared);
        let on_response = Arc::clone(&shared);
        let client = Client::builder()
            .base_url(target.base_url.clone())
            .api_key(target.api_key.clone())
            .default_model(target.model.clone())
            .timeout(target.timeout)
            .on_request(move |e| {
                on_request.attempt.fetch_max(e.attempt, Ordering::SeqCst);
            })
            .on_response(move |e| {
                let Some(rec) = &on_response.recording else {
                    return;
                };
                let mut rec = rec.lock().unwrap_or_else(|p| p.into_inner());
                let Some((case, arm)) = rec.current.clone() else {
                    return;
                };
                let body = serde_json::from_str(e.body)
                    .unwrap_or_else(|_| Value::String(e.body.to_owned()));
                rec.entries.push(ReplayEntry {
                    case,
                    mode: arm.mode.to_string(),
                    prompting: arm.prompting.to_string(),
                    attempt: e.attempt,
                    status: e.status,
                    body,
                });
            })
            .build()?;
        let server = client.detect_server().await.unwrap_or(Server::Other);
        Ok(Runner {
            client: client.with_server(server),
            target,
            server,
            shared,
        })
    }

    /// The kind of server found.
    pub fn server(&self) -> Server {
        self.server
    }

    /// A copy of every response recorded so far (empty unless connected with `record`).
    pub fn recording(&self) -> Vec<ReplayEntry> {
        match &self.shared.recording {
            Some(rec) => rec
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .entries
                .clone(),
            None => Vec::new(),
        }
    }

    /// Every response recorded so far (empty unless connected with `record`), taken out.
    pub fn take_recording(&self) -> Vec<ReplayEntry> {
        match &self.shared.recording {
            Some(rec) => std::mem::take(&mut rec.lock().unwrap_or_else(|p| p.into_inner()).entries),
            None => Vec::new(),
        }
    }

    /// Runs every case in every arm, one extraction at a time, and reports.
    pub async fn run(
        &self,
        system: &str,
        cases: &[Case],
        arms: &[Arm],
        settings: &Settings,
        on_event: &mut dyn FnMut(Event<'_>),
    ) -> Report {
        let started = std::time::SystemTime::now();
        let total = cases.len() * arms.len();
        let mut results = Vec::with_capacity(total);
        let mut summaries = Vec::with_capacity(arms.len());
        for &arm in arms {
            let arm_started = Instant::now();
            let first = results.len();
            for case in cases {
                on_event(Event::Started {
                    arm,
                    case,
                    index: results.len(),
                    total,
                });
                let result = self.run_case(system, case, arm, settings).await;
                on_event(Event::Finished(&result));
                results.push(result);
            }
            summaries.push(ArmSummary::of(
                arm,
                &results[first..],
                arm_started.elapsed(),
            ));
            on_event(Event::ArmFinished {
                summary: summaries.last().expect("just pushed"),
                results: &results,
            });
        }
        Report {
            meta: Meta {
                date: crate::report::utc_date(started),
                model: self.target.model.clone(),
                base_url: self.target.base_url.clone(),
                server: self.server.to_string(),
                settings: settings.clone(),
                cases: cases.len(),
                system: system.to_owned(),
            },
            arms: summaries,
            results,
        }
    }

    /// The body of the first request of each case in each arm, without sending anything:
    /// `(case id, arm, body or why it cannot be sent)`.
    pub fn dry_run(
        &self,
        system: &str,
        cases: &[Case],
        arms: &[Arm],
        settings: &Settings,
    ) -> Vec<(String, Arm, Result<Value, String>)> {
        let mut out = Vec::new();
        for &arm in arms {
            for case in cases {
                let body = match type_entry(&case.type_name) {
                    None => Err(format!("no type `{}` in the eval", case.type_name)),
                    Some(entry) => {
                        (entry.dry_run)(&self.client, self.request(system, case, arm, settings))
                            .map_err(|e| e.to_string())
                    }
                };
                out.push((case.id.clone(), arm, body));
            }
        }
        out
    }

    fn request(&self, system: &str, case: &Case, arm: Arm, settings: &Settings) -> Request {
        Request {
            model: self.target.model.clone(),
            system: system.to_owned(),
            user: case.text.clone(),
            mode: arm.mode,
            prompting: arm.prompting,
            max_retries: settings.max_retries,
            temperature: settings.temperature,
            seed: settings.seed,
            max_tokens: settings.max_tokens,
        }
    }

    async fn run_case(
        &self,
        system: &str,
        case: &Case,
        arm: Arm,
        settings: &Settings,
    ) -> CaseResult {
        let mut result = CaseResult {
            id: case.id.clone(),
            shape: case.shape.clone(),
            type_name: case.type_name.clone(),
            mode: arm.mode.to_string(),
            prompting: arm.prompting.to_string(),
            outcome: Outcome::Error,
            expected: case.expected.clone(),
            got: None,
            error: None,
            error_kind: None,
            attempts: 0,
            attempt_errors: Vec::new(),
            tokens: Tokens::default(),
            wall_ms: 0,
            // Set below from the accepted attempt's `repair`; a failed case has no accepted
            // answer, so none of it was repaired.
            repairs: Some(0),
        };
        let Some(entry) = type_entry(&case.type_name) else {
            result.error = Some(format!("no type `{}` in the eval", case.type_name));
            result.error_kind = Some("bad_case".into());
            return result;
        };
        let expected = match (entry.normalise)(&case.expected) {
            Ok(v) => v,
            Err(e) => {
                result.error = Some(format!(
                    "the expected value is not a valid `{}`: {e}",
                    case.type_name
                ));
                result.error_kind = Some("bad_case".into());
                return result;
            }
        };
        let request = self.request(system, case, arm, settings);
        self.shared.attempt.store(0, Ordering::SeqCst);
        if let Some(rec) = &self.shared.recording {
            rec.lock().unwrap_or_else(|p| p.into_inner()).current = Some((case.id.clone(), arm));
        }
        let started = Instant::now();
        let extracted = (entry.extract)(self.client.clone(), request).await;
        result.wall_ms = started.elapsed().as_millis() as u64;
        let requests_sent = self.shared.attempt.load(Ordering::SeqCst);
        match extracted {
            Ok((value, extraction)) => {
                result.attempts = extraction.attempts.len() as u32;
                result.attempt_errors = extraction
                    .attempts
                    .iter()
                    .filter_map(|a| a.error.as_ref().map(ToString::to_string))
                    .collect();
                result.tokens = extraction.usage.into();
                result.repairs = Some(
                    extraction
                        .attempts
                        .last()
                        .map_or(0, |a| u32::from(a.repair.is_some())),
                );
                result.outcome = if value == expected {
                    Outcome::Pass
                } else {
                    Outcome::Wrong
                };
                result.got = Some(value);
            }
            Err(err) => {
                result.tokens = err.usage().unwrap_or_default().into();
                result.attempts = requests_sent;
                if let Error::RetriesExhausted {
                    attempts,
                    errors_per_attempt,
                    last_reply,
                    ..
                } = &err
                {
                    result.attempts = *attempts;
                    result.attempt_errors =
                        errors_per_attempt.iter().map(ToString::to_string).collect();
                    if let Some(reply) = last_reply {
                        result.got = Some(
                            serde_json::from_str(reply)
                                .unwrap_or_else(|_| Value::String(reply.clone())),
                        );
                    }
                }
                if let Error::Truncated { text, .. } = &err {
                    result.got = Some(Value::String(text.clone()));
                }
                result.error_kind = Some(error_kind(&err).into());
                result.error = Some(err.to_string());
            }
        }
        result
    }
}

/// A short name for the kind of error, for grouping failures.
pub fn error_kind(err: &Error) -> &'static str {
    match err {
        Error::RetriesExhausted { .. } => "retries_exhausted",
        Error::Truncated { .. } => "truncated",
        Error::Config(_) => "config",
        Error::Api { .. } => "api",
        Error::Transport { .. } => "transport",
        Error::Timeout { .. } => "timeout",
        Error::Decode { .. } => "decode",
        Error::EmptyChoices { .. } => "empty_choices",
        Error::Refusal { .. } => "refusal",
        _ => "other",
    }
}
