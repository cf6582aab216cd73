//! Sending an extraction: its attempts on one client (post, judge, re-ask, until a value or
//! an error), and the fallback chain around them: a client with fallbacks
//! ([`Client::with_fallback`]) starts the extraction again on the next client when one
//! fails at the transport (a connection error, a timeout, a 429 or a 5xx the retry policy
//! could not get past), never when an answer fails validation (that is re-asking's job).

use serde::de::DeserializeOwned;
use tracing::field::Empty;
use tracing::Instrument;

use crate::attempt::{AttemptLoop, Extraction, Fallback, Next};
use crate::budget::Meter;
use crate::cache::lookup;
use crate::client::transport::Post;
use crate::error::Error;
use crate::example;
use crate::judge::Judge;
use crate::mode::ModeSpec;
use crate::provider::Delivery;
use crate::request::Request;
use crate::validation::context::ValidationContext;
use crate::wire::ChatCompletion;
use crate::Instructor;

/// Runs the extraction `request` asks for, judged by `judge`, on the request's client and,
/// when it fails at the transport, on each of its fallbacks in turn.
pub(crate) async fn run<T, C>(
    request: Request,
    mut judge: Judge<T, C>,
) -> Result<(T, Extraction), Error>
where
    T: Instructor + DeserializeOwned + Send + 'static,
    C: ValidationContext<T>,
{
    judge.ground_in(&request.messages);
    if request.client.fallbacks().is_empty() {
        return run_on(request, &judge).await;
    }
    let fallbacks = request.client.fallbacks().to_vec();
    let mut failed = Vec::new();
    let mut current = request.clone();
    for next in fallbacks {
        let provider = current.client.provider();
        let model = current
            .model
            .clone()
            .or_else(|| current.client.default_model().map(str::to_owned));
        match run_on(current, &judge).await {
            Ok((value, mut extraction)) => {
                extraction.fallbacks = failed;
                return Ok((value, extraction));
            }
            Err(error) if error.is_transient() => {
                tracing::warn!(provider = provider.name(), error = %error, "falling back to the next client");
                failed.push(Fallback::new(provider, model.unwrap_or_default(), error));
                current = request.on_fallback(next);
            }
            Err(error) => return Err(error),
        }
    }
    let (value, mut extraction) = run_on(current, &judge).await?;
    extraction.fallbacks = failed;
    Ok((value, extraction))
}

/// The extraction on `request`'s client alone, in its span.
async fn run_on<T, C>(mut request: Request, judge: &Judge<T, C>) -> Result<(T, Extraction), Error>
where
    T: Instructor + DeserializeOwned + Send + 'static,
    C: ValidationContext<T>,
{
    let (model, spec) = request.resolve::<T>()?;
    example::check::<T>(spec, |v| judge.context.validate(v))?;
    let span = tracing::info_span!(
        "instructor.extract",
        gen_ai.operation.name = "chat",
        gen_ai.system = request.client.dialect().name(),
        gen_ai.request.model = %model,
        server.address = request.client.base_url(),
        "instructor.type" = %T::schema_name(),
        instructor.mode = spec.mode.as_str(),
        instructor.max_retries = judge.max_retries,
        instructor.attempts = Empty,
        gen_ai.usage.input_tokens = Empty,
        gen_ai.usage.output_tokens = Empty,
    );
    // Boxed: the attempt loop's state machine is large, and every layer of `.await`
    // above it would otherwise copy all of it when the future is built and moved.
    let result = Box::pin(attempts(&mut request, judge, &model, spec))
        .instrument(span.clone())
        .await;
    let (count, usage) = match &result {
        Ok((_, c)) => (c.attempts.len() as u64, Some(c.usage)),
        Err(Error::RetriesExhausted {
            attempts, usage, ..
        }) => (*attempts as u64, Some(*usage)),
        Err(e) => (0, e.usage()),
    };
    if count > 0 {
        span.record("instructor.attempts", count);
    }
    if let Some(u) = usage {
        span.record("gen_ai.usage.input_tokens", u.prompt_tokens);
        span.record("gen_ai.usage.output_tokens", u.completion_tokens);
    }
    result.map(|(value, extraction)| (value, request.answered(extraction, model)))
}

/// The attempts: post, judge, re-ask, until a value or an error.
async fn attempts<T, C>(
    request: &mut Request,
    judge: &Judge<T, C>,
    model: &str,
    spec: &'static ModeSpec,
) -> Result<(T, Extraction), Error>
where
    T: Instructor + DeserializeOwned + Send + 'static,
    C: ValidationContext<T>,
{
    let meter = Meter::new(request.client.ledger().clone(), model, judge.budget.clone());
    let mut run = AttemptLoop::new(
        request.take_conversation(spec),
        spec,
        judge.max_retries,
        meter,
    );
    loop {
        let n = run.begin()?;
        let body = request.body(model, spec, run.messages(), Delivery::Whole)?;
        let span = attempt_span(request, model, n);
        let post = Post {
            body: &body,
            attempt: n,
            model,
            hooks: &request.hooks,
        };
        let answer = lookup::post(request, post, run.usage())
            .instrument(span.clone())
            .await
            .map_err(|e| e.with_prior_usage(run.usage()))?;
        let (completion, raw) = (answer.completion, answer.raw);
        match answer.saved {
            Some(saved) => {
                run.add_saved(saved);
                span.record("instructor.cached", true);
            }
            None => run.add_usage(completion.usage.unwrap_or_default()),
        }
        record_response(&span, &completion);
        let judged = judge
            .judge(&completion, spec, run.usage())
            .instrument(span.clone())
            .await?;
        match span.in_scope(|| run.record(judged, completion, raw)) {
            Next::Accept(value, extraction) => return Ok((value, extraction)),
            Next::Reask => {}
            Next::Fail(error) => return Err(error),
        }
    }
}

/// The `gen_ai.chat` span of attempt `n`.
fn attempt_span(request: &Request, model: &str, n: u32) -> tracing::Span {
    let span = tracing::info_span!(
        "gen_ai.chat",
        otel.name = %format_args!("chat {model}"),
        gen_ai.operation.name = "chat",
        gen_ai.request.model = %model,
        gen_ai.request.temperature = Empty,
        gen_ai.request.max_tokens = Empty,
        gen_ai.request.seed = Empty,
        instructor.attempt = n,
        instructor.cached = Empty,
        gen_ai.response.id = Empty,
        gen_ai.response.model = Empty,
        gen_ai.response.finish_reasons = Empty,
        gen_ai.usage.input_tokens = Empty,
        gen_ai.usage.output_tokens = Empty,
    );
    let options = &request.options;
    if let Some(t) = options.temperature {
        span.record("gen_ai.request.temperature", t);
    }
    if let Some(t) = options.max_tokens {
        span.record("gen_ai.request.max_tokens", t);
    }
    if let Some(s) = options.seed {
        span.record("gen_ai.request.seed", s);
    }
    span
}

/// Records what a response says on its attempt's span.
fn record_response(span: &tracing::Span, completion: &ChatCompletion) {
    let usage = completion.usage.unwrap_or_default();
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
    span.record("gen_ai.usage.input_tokens", usage.prompt_tokens);
    span.record("gen_ai.usage.output_tokens", usage.completion_tokens);
}
