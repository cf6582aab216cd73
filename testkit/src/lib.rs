//! The test kit of instructor-rs: what the integration tests (`tests/`), the benchmarks
//! (`benches/`) and the evals' replay test share, by job: [`types`] (the derived types
//! extracted), [`replies`] (chat-completion bodies), [`sse`] (event-stream bodies),
//! [`servers`] (wiremock, the fault server, the lockstep server, and a client for any of
//! them), [`trace`] (a tracing recorder) and [`cases`] (table-driven cases: a row's expected
//! outcome and its check), [`providers`] (the Anthropic, Gemini and Responses dialects'
//! clients, replies and servers). This file: the test key, what an error shows, client hooks that
//! write down what they see, and the process's peak memory (load test, benchmarks).
//!
//! Dev-only (`publish = false`), listed under `[dev-dependencies]` alone. The integration
//! tests name it `support` (`use instructor_testkit as support;`).

#![warn(missing_docs)]

pub mod cases;
pub mod providers;
pub mod replies;
pub mod servers;
pub mod sse;
pub mod trace;
pub mod types;

pub use replies::*;
pub use servers::{ask, ask_tools, builder, client, fast_retries, Endpoint};
pub use types::*;

/// The API key every test client sends; it must never show in an error, a log line or a
/// hook's view.
pub const KEY: &str = "sk-test-SECRET-4242";

// TODO(issue 20): replace with `Error::kind()` once the core has it.
/// An error's variant as its `Debug` begins (`Api`, `Transport`, ...), with the status for
/// `Api` (`Api 503`).
pub fn kind(err: &instructor::Error) -> String {
    let debug = format!("{err:?}");
    let name = debug.split([' ', '(', '{']).next().unwrap_or_default();
    match err {
        instructor::Error::Api { status, .. } => format!("{name} {status}"),
        _ => name.to_owned(),
    }
}

/// Why an [`instructor::Error::Config`] refused a request; any other error fails the test.
pub fn config_why(err: &instructor::Error) -> &str {
    match err {
        instructor::Error::Config(why) => why,
        other => panic!("not a configuration error: {other:?}"),
    }
}

/// Display, Debug and those of every `source()` of the error.
pub fn shown(err: &instructor::Error) -> String {
    let mut shown = format!("{err} {err:?}");
    let mut src = std::error::Error::source(err);
    while let Some(s) = src {
        shown.push_str(&format!(" / {s} {s:?}"));
        src = s.source();
    }
    shown
}

/// What the client's hooks saw, one line each: a request's or a response's `Debug`, an
/// error's `Display` and `Debug`.
pub type Seen = std::sync::Arc<std::sync::Mutex<Vec<String>>>;

/// `builder` with request, response and error hooks that each write what they see to one
/// list (where the tests look for the key).
pub fn seeing_hooks(builder: instructor::ClientBuilder) -> (instructor::ClientBuilder, Seen) {
    let seen = Seen::default();
    let (s1, s2, s3) = (seen.clone(), seen.clone(), seen.clone());
    let builder = builder
        .on_request(move |e| s1.lock().unwrap().push(format!("{e:?}")))
        .on_response(move |e| s2.lock().unwrap().push(format!("{e:?}")))
        .on_error(move |e| s3.lock().unwrap().push(format!("{e} {e:?}")));
    (builder, seen)
}

/// The key is nowhere in what the error shows.
pub fn assert_no_key(err: &instructor::Error) {
    let shown = shown(err);
    assert!(!shown.contains(KEY), "key in the error: {shown}");
}

/// The properties of [`UserDetails`]'s schema as the strict forms send them (OpenAI's strict
/// JSON schema, Gemini's): what the form cannot say (`minLength`) moved into a description.
pub fn strict_user_properties() -> serde_json::Value {
    serde_json::json!({
        "name": { "type": "string", "description": "minLength: 1." },
        "age": { "type": "integer", "minimum": 0, "maximum": 120 },
        "nickname": { "type": ["string", "null"] }
    })
}

/// Peak resident set size of this process (`VmHWM`), in KiB; `None` off Linux.
pub fn vm_hwm_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}
