//! Cassettes: a client's HTTP exchanges recorded to a file, and replayed from it in tests
//! without a network.
//!
//! A [`Cassette`] is set on a client with
//! [`ClientBuilder::cassette`](crate::ClientBuilder::cassette). [Recording](Cassette::record),
//! the client talks to its server as usual and writes each exchange to the file: the method,
//! the endpoint (the path after the base URL, never the query), the request body, the status,
//! the content type, the headers that decide a retry (`Retry-After`, `x-should-retry`) and
//! the whole reply, or the events of a stream. No request header is written (the key travels
//! in one: `Authorization`, `x-api-key`, `x-goog-api-key`, and any header set with
//! [`ClientBuilder::header`](crate::ClientBuilder::header)), and the key is scrubbed out of
//! both bodies. [Replaying](Cassette::replay), the client sends nothing: each request is
//! answered from the file, so a base URL that nothing listens on will do.
//!
//! The file holds one exchange per line (JSON Lines), bodies as JSON values where they are
//! JSON, so a re-recording reads well in a diff:
//!
//! ```text
//! {"method":"POST","endpoint":"/chat/completions","status":200,"content_type":"application/json","request":{"model":"gpt-4o-mini",...},"body":{"id":"chatcmpl-1",...}}
//! ```
//!
//! A request is answered by the first exchange not yet served with the same method,
//! endpoint and body (as JSON values: key order does not matter); the same request recorded
//! several times (a re-ask's, a retry after a 429) is answered in the order it was recorded.
//! Everything after the post runs as when the cassette was recorded: the hooks, the
//! transport's retries (a recorded 429 then 200 is replayed as such, without the wait), the
//! re-asks, the stream's events, so an [`Extraction`](crate::Extraction) replayed is the one
//! recorded. A request the cassette has no answer to is an [`Error::Cassette`] that shows it
//! and says how to record again.
//!
//! One switch for a test suite: [`Cassette::from_env`] records when `INSTRUCTOR_CASSETTE` is
//! `record` and replays otherwise, so `INSTRUCTOR_CASSETTE=record cargo test` re-records.
//! See `docs/testing.md`.

mod exchange;
mod record;
mod replay;

use std::fmt;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub(crate) use exchange::Call;

use crate::error::Error;
use record::Writer;
use replay::Deck;

/// The environment variable [`Cassette::from_env`] reads: `record` or `replay`.
pub const ENV_VAR: &str = "INSTRUCTOR_CASSETTE";

/// Whether a cassette records or replays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CassetteMode {
    /// Requests go to the server; each exchange is written to the file.
    Record,
    /// Requests are answered from the file; nothing is sent.
    Replay,
}

/// A file of recorded HTTP exchanges, recording or replaying (see the
/// [module documentation](self)).
///
/// Cheap to clone: clones share the file (and, recording, its lock; replaying, which
/// exchanges were served). Give every client that should record to one file the same
/// cassette, or clones of it: each [`Cassette::record`] starts its file afresh.
///
/// ```
/// use instructor_core::cassette::{Cassette, CassetteMode};
/// use instructor_core::Client;
///
/// # fn main() -> Result<(), instructor_core::Error> {
/// # let dir = std::env::temp_dir().join(format!("instructor-doc-{}", std::process::id()));
/// # let path = dir.join("user.jsonl");
/// let cassette = Cassette::record(&path)?; // an empty file, ready to record
/// assert_eq!(cassette.mode(), CassetteMode::Record);
/// let client = Client::builder()
///     .base_url("http://127.0.0.1:8080/v1")
///     .cassette(cassette)
///     .build()?;
/// // ... extractions ...; then, in the tests:
/// let client = Client::builder()
///     .base_url("http://127.0.0.1:9/v1") // nothing needs to listen there
///     .cassette(Cassette::replay(&path)?)
///     .build()?;
/// # std::fs::remove_dir_all(&dir).ok();
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Cassette {
    inner: Arc<Inner>,
}

#[derive(Debug)]
enum Inner {
    Record(Arc<Writer>, PathBuf),
    Replay(Deck, PathBuf),
}

impl Cassette {
    /// A cassette recording to the file at `path`: the file is created (with the folders it
    /// is in) or emptied now, and each exchange is appended to it as one line.
    pub fn record(path: impl AsRef<Path>) -> Result<Cassette, Error> {
        let path = path.as_ref();
        let writer = Writer::create(path)?;
        Ok(Self::of(Inner::Record(Arc::new(writer), path.to_owned())))
    }

    /// A cassette replaying the file at `path`, read now: a file that cannot be read, or a
    /// line that is not an exchange, is an [`Error::Cassette`] naming the file (and the
    /// line).
    pub fn replay(path: impl AsRef<Path>) -> Result<Cassette, Error> {
        let path = path.as_ref();
        Ok(Self::of(Inner::Replay(Deck::load(path)?, path.to_owned())))
    }

    /// [`record`](Self::record) when the environment variable [`ENV_VAR`]
    /// (`INSTRUCTOR_CASSETTE`) is `record`, [`replay`](Self::replay) when it is `replay`,
    /// empty or unset. Any other value is an [`Error::Config`].
    ///
    /// ```no_run
    /// # fn main() -> Result<(), instructor_core::Error> {
    /// // INSTRUCTOR_CASSETTE=record cargo test   re-records; cargo test   replays.
    /// let cassette = instructor_core::cassette::Cassette::from_env("tests/cassettes/user.jsonl")?;
    /// # Ok(()) }
    /// ```
    pub fn from_env(path: impl AsRef<Path>) -> Result<Cassette, Error> {
        match CassetteMode::from_value(std::env::var(ENV_VAR).ok().as_deref())? {
            CassetteMode::Record => Self::record(path),
            CassetteMode::Replay => Self::replay(path),
        }
    }

    fn of(inner: Inner) -> Self {
        Self {
            inner: Arc::new(inner),
        }
    }

    /// Whether it records or replays.
    pub fn mode(&self) -> CassetteMode {
        match &*self.inner {
            Inner::Record(..) => CassetteMode::Record,
            Inner::Replay(..) => CassetteMode::Replay,
        }
    }

    /// The file.
    pub fn path(&self) -> &Path {
        match &*self.inner {
            Inner::Record(_, path) | Inner::Replay(_, path) => path,
        }
    }

    /// Replaying: how many recorded exchanges have not been served yet (a test may check that
    /// its code made every request it recorded). Recording: 0.
    pub fn unplayed(&self) -> usize {
        match &*self.inner {
            Inner::Record(..) => 0,
            Inner::Replay(deck, _) => deck.unplayed(),
        }
    }

    /// The response to `call`: recording, what `send` got from the server (recorded);
    /// replaying, the recorded one (`send` is not called).
    pub(crate) async fn exchange<F, Fut>(
        &self,
        call: Call<'_>,
        send: F,
    ) -> Result<reqwest::Response, Error>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<reqwest::Response, Error>>,
    {
        match &*self.inner {
            Inner::Record(writer, _) => record::record(writer, call, send()).await,
            Inner::Replay(deck, _) => deck.play(&call),
        }
    }
}

impl fmt::Debug for Cassette {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cassette")
            .field("mode", &self.mode())
            .field("path", &self.path())
            .finish()
    }
}

impl CassetteMode {
    /// The mode a value of [`ENV_VAR`] asks for: `record`, or `replay` (also when empty or
    /// unset).
    fn from_value(value: Option<&str>) -> Result<Self, Error> {
        match value.map(str::trim).unwrap_or("") {
            "record" => Ok(CassetteMode::Record),
            "" | "replay" => Ok(CassetteMode::Replay),
            other => Err(Error::Config(format!(
                "{ENV_VAR}=`{other}`: expected `record` or `replay`"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_environment_chooses_the_mode() {
        assert_eq!(
            CassetteMode::from_value(None).unwrap(),
            CassetteMode::Replay
        );
        assert_eq!(
            CassetteMode::from_value(Some("")).unwrap(),
            CassetteMode::Replay
        );
        assert_eq!(
            CassetteMode::from_value(Some("replay")).unwrap(),
            CassetteMode::Replay
        );
        assert_eq!(
            CassetteMode::from_value(Some("record")).unwrap(),
            CassetteMode::Record
        );
        let e = CassetteMode::from_value(Some("rec"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("INSTRUCTOR_CASSETTE=`rec`"), "{e}");
    }
}
