//! [`BatchJob`]: the inputs of an extraction, written as request files, judged from result
//! files, re-asked round after round.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufWriter, Write};
use std::path::Path;

use serde::de::DeserializeOwned;

use crate::attempt::{AttemptLoop, Carried, Next};
use crate::batch_file::entry::{Entry, Pending, State};
use crate::batch_file::format::{Envelope, RequestWriter};
use crate::batch_file::read::{parse_line, Lines, Outcome};
use crate::batch_file::report::{InputStatus, LineProblem, ProblemKind, RoundReport};
use crate::budget::Meter;
use crate::client::Client;
use crate::error::Error;
use crate::example;
use crate::extract::Extract;
use crate::grounding::Source;
use crate::judge::{parse_answer, Judge};
use crate::mode::ModeSpec;
use crate::provider::{Delivery, Provider};
use crate::request::{encode, Request};
use crate::validation::context::{DefaultContext, ValidationContext};
use crate::wire::{ChatCompletion, Role, Usage};
use crate::Instructor;

/// An extraction over many inputs through a provider's batch files: see the
/// [module documentation](crate::batch_file) and `docs/batch.md`.
///
/// The job is made from a template [`Extract`] (client, model, mode, prompting, options,
/// shared messages, and the judge: `max_retries`, validators, validation context, source);
/// each input adds its own messages and options to a copy of the template's request.
#[must_use = "a batch job does nothing until its request file is written"]
pub struct BatchJob<T, C = DefaultContext> {
    pub(crate) client: Client,
    /// What every input starts from.
    template: crate::request::Request,
    pub(crate) judge: Judge<T, C>,
    pub(crate) spec: &'static ModeSpec,
    pub(crate) envelope: Envelope,
    pub(crate) entries: Vec<Entry>,
    pub(crate) index: HashMap<String, usize>,
    /// The round under way, from 1: its request file is written, then its results read.
    pub(crate) round: u32,
    /// Whether the template named the text quotes are grounded in (else each input's own
    /// messages are, as a live request's).
    explicit_source: bool,
}

impl<T, C> std::fmt::Debug for BatchJob<T, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchJob")
            .field("type", &std::any::type_name::<T>())
            .field("provider", &self.client.provider())
            .field("mode", &self.spec.mode)
            .field("inputs", &self.entries.len())
            .field("round", &self.round)
            .finish_non_exhaustive()
    }
}

/// An I/O error while writing or reading a batch file.
pub(crate) fn io_error(what: &str, e: std::io::Error) -> Error {
    Error::BatchFile(format!("{what}: {e}"))
}

impl<T, C> BatchJob<T, C>
where
    T: Instructor + DeserializeOwned + Send + 'static,
    C: ValidationContext<T>,
{
    /// A job with no input yet, sent and judged as `template` would be: its client (whose
    /// provider picks the file format), model, mode, prompting, options and messages are
    /// every input's start; its `max_retries` is the number of re-ask rounds an input may
    /// have; its validators, validation context and source judge every answer.
    ///
    /// `Err` when the template cannot be sent at all (a mode the provider cannot carry, a
    /// type the mode cannot send, a worked example that is not valid).
    pub fn new(template: Extract<T, C>) -> Result<Self, Error> {
        Self::with_round(template, 1)
    }

    pub(crate) fn with_round(template: Extract<T, C>, round: u32) -> Result<Self, Error> {
        let Extract { request, judge } = template;
        let spec = request.resolve_spec::<T>()?;
        example::check::<T>(spec, |v| judge.context.validate(v))?;
        let client = request.client.clone();
        Ok(Self {
            envelope: Envelope::of(client.provider()),
            client,
            template: request,
            explicit_source: judge.source.is_some(),
            judge,
            spec,
            entries: Vec::new(),
            index: HashMap::new(),
            round,
        })
    }

    /// Adds the input `custom_id`, its request built from a copy of the template's by
    /// `build` (its messages, parts, options; what `build` sets on the judge is not used:
    /// the job's template judges every answer).
    ///
    /// `Err` for an id already in the job, an id the provider does not take (Anthropic:
    /// `^[a-zA-Z0-9_-]{1,64}$`), a request that cannot be sent (no message, no model, an
    /// input the provider cannot read), or a mode or prompting other than the template's.
    pub fn add<X>(
        &mut self,
        custom_id: impl Into<String>,
        build: impl FnOnce(Extract<T>) -> Extract<T, X>,
    ) -> Result<(), Error> {
        let custom_id = custom_id.into();
        self.envelope.check_id(&custom_id).map_err(Error::Config)?;
        if self.index.contains_key(&custom_id) {
            return Err(Error::Config(format!(
                "the custom_id {custom_id:?} is already in the batch job: each input needs its own"
            )));
        }
        let fresh = Extract {
            request: self.template.clone(),
            judge: Judge::new(DefaultContext),
        };
        let mut request: Request = build(fresh).request;
        let (model, spec) = request.resolve::<T>()?;
        if !std::ptr::eq(spec, self.spec) {
            return Err(Error::Config(format!(
                "batch input `{custom_id}`: every input of a batch job is sent in the job's mode \
                 and prompting ({}, {}); set them on the template",
                self.spec.mode,
                self.spec.prompting.as_str()
            )));
        }
        let own = request
            .messages
            .iter()
            .skip_while(|m| matches!(m.role, Role::System | Role::Developer))
            .count();
        let conversation = request.take_conversation(spec);
        encode(
            &self.client,
            &request.options,
            &model,
            spec,
            &conversation,
            Delivery::Whole,
        )
        .map_err(|e| Error::Config(format!("batch input `{custom_id}`: {e}")))?;
        let end = conversation.len();
        self.index.insert(custom_id.clone(), self.entries.len());
        self.entries.push(Entry {
            custom_id,
            model,
            options: request.options,
            carried: Carried::default(),
            state: State::Pending(Pending {
                conversation,
                ground: (end - own, end),
                sent_round: None,
            }),
        });
        Ok(())
    }

    /// Adds the input `custom_id` whose request is the template's with `text` as a user
    /// message.
    pub fn add_user(
        &mut self,
        custom_id: impl Into<String>,
        text: impl Into<String>,
    ) -> Result<(), Error> {
        let text = text.into();
        self.add(custom_id, |request| request.user(text))
    }

    /// Writes this round's request file to `out`: one request per input still waiting for
    /// an answer (every input in round 1; the re-asked and the not yet answered later), each
    /// body byte for byte what a live request of the same extraction sends. Streams: one
    /// body in memory at a time. Gives how many requests were written (0: nothing left).
    ///
    /// Writing again in the same round writes the same file.
    pub fn write_requests(&mut self, out: impl Write) -> Result<usize, Error> {
        let io = |e| io_error("writing the request file", e);
        let mut writer = RequestWriter::new(BufWriter::new(out), self.envelope).map_err(io)?;
        for entry in &mut self.entries {
            let State::Pending(pending) = &mut entry.state else {
                continue;
            };
            let body = encode(
                &self.client,
                &entry.options,
                &entry.model,
                self.spec,
                &pending.conversation,
                Delivery::Whole,
            )
            .map_err(|e| Error::Config(format!("batch input `{}`: {e}", entry.custom_id)))?;
            writer.request(&entry.custom_id, &body).map_err(io)?;
            pending.sent_round = Some(self.round);
        }
        writer.finish().map_err(io)
    }

    /// [`write_requests`](Self::write_requests) to the file at `path` (created or
    /// truncated).
    pub fn write_requests_to(&mut self, path: impl AsRef<Path>) -> Result<usize, Error> {
        let path = path.as_ref();
        let file = File::create(path).map_err(|e| io_error(&path.display().to_string(), e))?;
        self.write_requests(file)
    }

    /// Reads this round's result file: see
    /// [`read_result_files_with`](Self::read_result_files_with). The report's `settled`
    /// holds the inputs that got their value or failed for good.
    pub async fn read_results<R: BufRead>(&mut self, file: R) -> Result<RoundReport<T>, Error> {
        self.read_result_files([file]).await
    }

    /// Reads this round's result files together (OpenAI's output file and its error file):
    /// see [`read_result_files_with`](Self::read_result_files_with). The report's `settled`
    /// holds the inputs that got their value or failed for good.
    pub async fn read_result_files<R: BufRead>(
        &mut self,
        files: impl IntoIterator<Item = R>,
    ) -> Result<RoundReport<T>, Error> {
        let mut settled = Vec::new();
        let mut report = self
            .read_result_files_with(files, |id, result| settled.push((id.to_owned(), result)))
            .await?;
        report.settled = settled;
        Ok(report)
    }

    /// [`read_result_files`](Self::read_result_files) of the files at `paths` (OpenAI's
    /// output file, then its error file, when there is one).
    pub async fn read_results_from<P: AsRef<Path>>(
        &mut self,
        paths: impl IntoIterator<Item = P>,
    ) -> Result<RoundReport<T>, Error> {
        let mut files = Vec::new();
        for path in paths {
            let path = path.as_ref();
            let file = File::open(path).map_err(|e| io_error(&path.display().to_string(), e))?;
            files.push(std::io::BufReader::new(file));
        }
        self.read_result_files(files).await
    }

    /// Reads this round's result files, line by line (lines in any order; one line in
    /// memory at a time), judging each answer exactly as a live answer is: decoded by the
    /// client's dialect, read, parsed (repaired), unwrapped and validated. Each input whose
    /// answer is accepted, or that fails for good, is given to `on_settled` (the report's
    /// `settled` stays empty); one whose answer is rejected with re-asks left is re-asked in
    /// the next round's file. Then the round is over.
    ///
    /// A line that is not a result line (cut off, not JSON), a second line for one input,
    /// and a line for an input this round did not send are reported in `problems` with
    /// their line numbers, never a panic; an input this round sent that has no line is
    /// `missing` and stays waiting, as does one the provider did not run (expired,
    /// canceled, a 429 or 5xx): the next request file sends it again. No input is lost.
    ///
    /// Reads with blocking I/O; `Err` only when a file cannot be read. Answers are judged
    /// with the job's validators, which may be asynchronous.
    pub async fn read_result_files_with<R: BufRead>(
        &mut self,
        files: impl IntoIterator<Item = R>,
        mut on_settled: impl FnMut(&str, Result<T, Error>),
    ) -> Result<RoundReport<T>, Error> {
        let round = self.round;
        let mut report = RoundReport::new(round);
        let mut seen = vec![false; self.entries.len()];
        let dialect = self.client.dialect();
        for (file, reader) in files.into_iter().enumerate() {
            let mut lines = Lines::new(reader);
            while let Some((line, text)) = lines
                .next_line()
                .map_err(|e| io_error("reading the result file", e))?
            {
                let problem = |custom_id, kind| LineProblem {
                    file,
                    line,
                    custom_id,
                    kind,
                };
                let parsed = text.and_then(|t| parse_line(self.envelope, dialect, t));
                let result = match parsed {
                    Ok(r) => r,
                    Err(why) => {
                        report
                            .problems
                            .push(problem(None, ProblemKind::Malformed(why)));
                        continue;
                    }
                };
                let id = result.custom_id;
                let i = match self.index.get(&id) {
                    Some(&i) if seen[i] => {
                        report
                            .problems
                            .push(problem(Some(id), ProblemKind::Duplicate));
                        continue;
                    }
                    Some(&i) if self.entries[i].expected_in(round) => i,
                    _ => {
                        report
                            .problems
                            .push(problem(Some(id), ProblemKind::Unknown));
                        continue;
                    }
                };
                seen[i] = true;
                let settled = match result.outcome {
                    Outcome::NotRun(why) => {
                        report.resent.push((id, why));
                        continue;
                    }
                    Outcome::Failed(error) if error.is_transient() => {
                        report.resent.push((id, error.to_string()));
                        continue;
                    }
                    Outcome::Failed(error) => {
                        let entry = &mut self.entries[i];
                        let error = error.with_prior_usage(entry.carried.usage);
                        entry.state = State::Failed(error.clone());
                        Err(error)
                    }
                    Outcome::Answer(completion, raw) => {
                        let usage = completion.usage.unwrap_or_default();
                        report.usage += usage;
                        match self.judge_answer(i, completion, raw).await {
                            Some(result) => result,
                            None => {
                                report.reasked.push(id);
                                continue;
                            }
                        }
                    }
                };
                match &settled {
                    Ok(_) => report.done += 1,
                    Err(_) => report.failed += 1,
                }
                on_settled(&id, settled);
            }
        }
        for (i, entry) in self.entries.iter().enumerate() {
            if entry.expected_in(round) && !seen[i] {
                report.missing.push(entry.custom_id.clone());
            }
        }
        self.round += 1;
        Ok(report)
    }

    /// Judges the answer to input `i` as the live attempt loop does. `Some` when the input
    /// is settled (its value, or the error that ends it); `None` when it is re-asked in the
    /// next round.
    async fn judge_answer(
        &mut self,
        i: usize,
        completion: ChatCompletion,
        raw: String,
    ) -> Option<Result<T, Error>> {
        let entry = &mut self.entries[i];
        let State::Pending(pending) = &mut entry.state else {
            return None;
        };
        let conversation = std::mem::take(&mut pending.conversation);
        let (from, to) = pending.ground;
        if !self.explicit_source {
            let own = conversation.get(from..to).unwrap_or_default();
            self.judge.source = Some(Source::from_messages(own));
        }
        let carried = std::mem::take(&mut entry.carried);
        // The answer's tokens go on the client's bill, under the model the input asked for,
        // and count against the template's token budget like a live answer's.
        let meter = Meter::new(
            self.client.ledger().clone(),
            &entry.model,
            self.judge.budget.clone(),
        );
        let mut run = AttemptLoop::resume(
            conversation,
            self.spec,
            self.judge.max_retries,
            meter,
            carried,
        );
        // The answer is paid for already: the budget is asked before a re-ask round (below),
        // and a resumed input that carried a spent budget failed with it then.
        if let Err(spent) = run.begin() {
            self.entries[i].state = State::Failed(spent.clone());
            return Some(Err(spent));
        }
        run.add_usage(completion.usage.unwrap_or_default());
        let judged = self.judge.judge(&completion, self.spec, run.usage()).await;
        let (outcome, answer) = match judged {
            Ok(judged) => {
                let answer = judged
                    .repair
                    .as_ref()
                    .map(|r| r.json.clone())
                    .or_else(|| judged.text.clone());
                let next = match run.record(judged, completion, raw) {
                    Next::Reask => match run.within_budget() {
                        Ok(()) => Next::Reask,
                        Err(spent) => Next::Fail(spent),
                    },
                    next => next,
                };
                (next, answer)
            }
            Err(error) => (Next::Fail(error), None),
        };
        let (conversation, carried) = run.carry();
        let entry = &mut self.entries[i];
        entry.carried = carried;
        match outcome {
            Next::Accept(value, _) => {
                entry.carried.errors.clear();
                entry.state = State::Done(answer.unwrap_or_default());
                Some(Ok(value))
            }
            Next::Reask => {
                if let State::Pending(pending) = &mut entry.state {
                    pending.conversation = conversation;
                    pending.sent_round = None;
                }
                None
            }
            Next::Fail(error) => {
                entry.state = State::Failed(error.clone());
                Some(Err(error))
            }
        }
    }

    /// Every settled input, in the order they were added: its value (parsed again from the
    /// accepted answer, which the job keeps, so a resumed job gives the values of earlier
    /// rounds too) or its error.
    pub fn results(&self) -> impl Iterator<Item = (&str, Result<T, Error>)> + '_ {
        self.entries.iter().filter_map(|e| {
            let result = match &e.state {
                State::Pending(_) => return None,
                State::Done(answer) => {
                    parse_answer::<T>(answer, self.spec)
                        .0
                        .map_err(|errors| Error::BatchInput {
                            custom_id: e.custom_id.clone(),
                            code: None,
                            message: format!("the accepted answer no longer parses: {errors}"),
                            usage: e.carried.usage,
                        })
                }
                State::Failed(error) => Err(error.clone()),
            };
            Some((e.custom_id.as_str(), result))
        })
    }

    /// Fails every input still waiting for an answer with `reason` (when no more rounds
    /// will be run: inputs that kept missing from the result files, or expiring); gives
    /// their ids.
    pub fn give_up(&mut self, reason: &str) -> Vec<String> {
        let mut ids = Vec::new();
        for entry in &mut self.entries {
            if let State::Pending(_) = entry.state {
                entry.state = State::Failed(Error::BatchInput {
                    custom_id: entry.custom_id.clone(),
                    code: None,
                    message: reason.to_owned(),
                    usage: entry.carried.usage,
                });
                ids.push(entry.custom_id.clone());
            }
        }
        ids
    }
}

impl<T, C> BatchJob<T, C> {
    /// The round under way, from 1: its request file is written, then its results read.
    pub fn round(&self) -> u32 {
        self.round
    }

    /// How many inputs the job has.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the job has no input.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// How many inputs still wait for an answer (the next request file's length).
    pub fn pending(&self) -> usize {
        self.entries
            .iter()
            .filter(|e| matches!(e.state, State::Pending(_)))
            .count()
    }

    /// Whether every input is settled (done or failed).
    pub fn is_finished(&self) -> bool {
        self.pending() == 0
    }

    /// Where the input `custom_id` stands; `None` for an id not in the job.
    pub fn status(&self, custom_id: &str) -> Option<InputStatus> {
        let entry = &self.entries[*self.index.get(custom_id)?];
        Some(match entry.state {
            State::Pending(_) => InputStatus::Pending {
                attempts: entry.carried.started,
            },
            State::Done(_) => InputStatus::Done {
                attempts: entry.carried.started,
            },
            State::Failed(_) => InputStatus::Failed {
                attempts: entry.carried.started,
            },
        })
    }

    /// The tokens of every answer read so far, all inputs and rounds together.
    pub fn usage(&self) -> Usage {
        self.entries
            .iter()
            .fold(Usage::default(), |sum, e| sum + e.carried.usage)
    }

    /// The provider whose files the job writes and reads (its client's).
    pub fn provider(&self) -> Provider {
        self.client.provider()
    }

    /// The endpoint every request of an OpenAI batch file names (`/v1/chat/completions` or
    /// `/v1/responses`: the `endpoint` a batch is created with); `None` for Anthropic and
    /// Gemini, whose files name none.
    pub fn endpoint(&self) -> Option<&'static str> {
        match self.envelope {
            Envelope::OpenAi { url } => Some(url),
            _ => None,
        }
    }
}
