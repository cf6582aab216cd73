//! The integration tests, in one binary (one link of the whole dependency tree instead of
//! one per file): the real client against real HTTP servers on 127.0.0.1, and the derive's
//! run-time behaviour.
//!
//! Kept out of it: `schema_conformance` (its own corpus), `e2e` (a real model, run alone)
//! and `load` (`#[ignore]`d, run in release).
//!
//! One tracing subscriber is global to this binary: `faults` installs
//! [`support::trace::Recorder::global`] and checks that no line any test traces carries the
//! key. `client_tracing` records its own thread only (`Recorder::scoped`), which takes
//! precedence there.

#[path = "../support/mod.rs"]
mod support;

mod batch;
mod client_modes;
mod client_reask;
mod client_tracing;
mod client_transport;
mod derive_edge;
mod derive_runtime;
mod faults;
mod faults_fuzz;
mod faults_stream;
mod stream;
mod stream_props;
