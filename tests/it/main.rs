//! The integration tests, in one binary (one link of the whole dependency tree instead of
//! one per file): the real client against real HTTP servers on 127.0.0.1, and the derive's
//! run-time behaviour.
//!
//! Kept out of it: `schema_conformance` (its own corpus), `e2e` (a real model, run alone)
//! and `load` (`#[ignore]`d, run in release).
//!
//! One tracing subscriber is global to this binary ([`support::trace::Recorder::global`],
//! installed by the first fault test or `client_tracing` to run): the fault tests check that
//! no line any test traces carries the key. `client_tracing` also records its own thread
//! (`Recorder::scoped`), which takes precedence there; the global one keeps every callsite
//! enabled so that thread sees all its spans (see `support::trace`).
//!
//! `faults_fuzz` runs here too; its cases per property are `FAULTS_FUZZ_CASES`:
//! `FAULTS_FUZZ_CASES=20000 cargo test --release --test it faults_fuzz -- --nocapture`.

// The shared test kit (`testkit/`), under the name the tests use.
use instructor_testkit as support;

mod answers;
mod batch;
mod batch_file;
mod batch_submit;
mod budget;
mod cache;
#[cfg(feature = "redis")]
mod cache_redis;
mod cassette;
mod client_modes;
mod client_reask;
mod client_tracing;
mod client_transport;
mod derive_edge;
mod derive_runtime;
mod examples;
mod fallback;
mod faults;
mod faults_fuzz;
mod faults_stream;
mod forms;
mod grounding;
mod hooks_per_request;
mod inputs;
mod parallel_tools;
mod provider_anthropic;
mod provider_gemini;
mod provider_matrix;
mod provider_responses;
mod provider_thinking;
mod providers;
mod runaway;
mod stream;
mod stream_props;
