//! Table-driven cases: each row names a server behaviour and what the extraction must end
//! in (the value, or an error of one kind passing a check) after how many requests. Rows run
//! concurrently; every failing row is reported by name. [`FaultCase`] is the row of the
//! fault server's tables (`faults`, `faults_stream`); `client_transport` has a wiremock row
//! of its own.

use std::future::Future;

use instructor::{ClientBuilder, Error, Mode};
use serde_json::Value;

use super::servers::fault::{ok_reply, Fault, FaultServer};
use super::trace::Recorder;
use super::{builder, kind, shown, UserDetails, KEY};

type Check = Box<dyn Fn(&Error) -> bool + Send + Sync>;

/// What a row must end in.
pub struct Expect {
    /// `None`: [`jason`](super::jason); `Some(kind)`: an error of that [`kind`].
    error: Option<String>,
    check: Option<(&'static str, Check)>,
    requests: usize,
}

impl Expect {
    /// The value Jason, after `requests` requests.
    pub fn value(requests: usize) -> Self {
        Self {
            error: None,
            check: None,
            requests,
        }
    }

    /// An error of `kind` (`"Api 503"`, `"Transport"`, ...; see [`kind`]) after `requests`
    /// requests.
    pub fn error(kind: impl Into<String>, requests: usize) -> Self {
        Self {
            error: Some(kind.into()),
            check: None,
            requests,
        }
    }

    /// The error must pass `check` too (`what` says what it checks, for the failure).
    pub fn and(
        mut self,
        what: &'static str,
        check: impl Fn(&Error) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.check = Some((what, Box::new(check)));
        self
    }

    /// The failure of row `name`, if `got` after `requests` requests is not what was
    /// expected. An error must never show the key.
    pub fn verify(
        &self,
        name: &str,
        got: &Result<UserDetails, Error>,
        requests: usize,
    ) -> Option<String> {
        let mut wrong = Vec::new();
        match (&self.error, got) {
            (None, Ok(v)) if *v == super::jason() => {}
            (None, other) => wrong.push(format!("expected the value, got {other:?}")),
            (Some(want), Ok(v)) => wrong.push(format!("expected {want}, got {v:?}")),
            (Some(want), Err(e)) => {
                if kind(e) != *want {
                    wrong.push(format!("expected {want}, got {e:?}"));
                }
                if let Some((what, check)) = &self.check {
                    if !check(e) {
                        wrong.push(format!("not {what}: {e} / {e:?}"));
                    }
                }
                if shown(e).contains(KEY) {
                    wrong.push(format!("the key shows: {e:?}"));
                }
            }
        }
        if requests != self.requests {
            wrong.push(format!("{requests} requests, expected {}", self.requests));
        }
        (!wrong.is_empty()).then(|| format!("{name}: {}", wrong.join("; ")))
    }
}

/// Runs every row's future concurrently and fails naming each row that failed.
pub async fn assert_rows(rows: impl IntoIterator<Item = impl Future<Output = Option<String>>>) {
    let failures: Vec<String> = futures_util::future::join_all(rows)
        .await
        .into_iter()
        .flatten()
        .collect();
    assert!(
        failures.is_empty(),
        "{} failing row(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// One row of a fault-server table: the server's answers (`script` in order, then `then`
/// for every later request), the client's settings, the request's mode, re-asks and whether
/// it streams, and the expected end.
pub struct FaultCase {
    name: String,
    script: Vec<Fault>,
    then: Fault,
    client: Box<dyn Fn(ClientBuilder) -> ClientBuilder + Send + Sync>,
    mode: Option<Mode>,
    reasks: Option<u32>,
    stream: bool,
    expect: Expect,
}

/// Every request answered with `fault`.
pub fn always(name: impl Into<String>, fault: Fault, expect: Expect) -> FaultCase {
    script(name, vec![], fault, expect)
}

/// The first requests answered with `first`, every later one with `then`.
pub fn script(
    name: impl Into<String>,
    first: Vec<Fault>,
    then: Fault,
    expect: Expect,
) -> FaultCase {
    FaultCase {
        name: name.into(),
        script: first,
        then,
        client: Box::new(|b| b),
        mode: None,
        reasks: None,
        stream: false,
        expect,
    }
}

/// The first requests answered with `first`, every later one with Jason
/// ([`ok_reply`]): the value, read by the request after them (`first.len() + 1` in all).
pub fn recovers(name: impl Into<String>, first: Vec<Fault>) -> FaultCase {
    let requests = first.len() + 1;
    script(name, first, ok_reply(), Expect::value(requests))
}

/// Every request answered 200 with `body` as JSON.
pub fn body(name: impl Into<String>, body: Value, expect: Expect) -> FaultCase {
    always(name, Fault::ok(&body), expect)
}

impl FaultCase {
    /// `n` re-asks allowed.
    pub fn reasks(self, n: u32) -> Self {
        Self {
            reasks: Some(n),
            ..self
        }
    }

    /// Extracted in `Mode::Tools`.
    pub fn tools(self) -> Self {
        Self {
            mode: Some(Mode::Tools),
            ..self
        }
    }

    /// Extracted with `stream_partial().into_final()`.
    pub fn streamed(self) -> Self {
        Self {
            stream: true,
            ..self
        }
    }

    /// The client built with `f` applied to the tests' [`builder`].
    pub fn client(
        self,
        f: impl Fn(ClientBuilder) -> ClientBuilder + Send + Sync + 'static,
    ) -> Self {
        Self {
            client: Box::new(f),
            ..self
        }
    }

    async fn run(self) -> Option<String> {
        let server = FaultServer::script(self.script, self.then).await;
        let client = (self.client)(builder(&server)).build().unwrap();
        let mut request = client.extract::<UserDetails>().user("Jason is 20");
        if let Some(mode) = self.mode {
            request = request.mode(mode);
        }
        if let Some(n) = self.reasks {
            request = request.max_retries(n);
        }
        let got = if self.stream {
            request.stream_partial().into_final().await
        } else {
            request.await
        };
        self.expect.verify(&self.name, &got, server.requests())
    }

    /// Runs every row (concurrently) under the binary's global recorder; fails naming each
    /// failing row, and if any line traced carries the key.
    pub async fn assert_all(rows: Vec<Self>) {
        Recorder::global();
        assert_rows(rows.into_iter().map(Self::run)).await;
        Recorder::global().assert_never_shows(KEY);
    }
}
