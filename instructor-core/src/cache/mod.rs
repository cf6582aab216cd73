//! The response cache: a reply the provider already gave to the same request is read from a
//! store instead of being asked again. Opt-in, on a client
//! ([`ClientBuilder::cache`](crate::ClientBuilder::cache)) or per request
//! ([`Extract::cache`](crate::Extract::cache), [`Extract::no_cache`](crate::Extract::no_cache)).
//!
//! - The key ([`CacheKey`]) is a SHA-256 of everything that shapes the answer: the provider,
//!   the endpoint, the model, the whole body of the request (messages, schema, mode,
//!   prompting, worked examples, sampling options, extra body fields), the client's extra
//!   headers and a fingerprint of the API key's account. Never the key itself.
//! - An entry is the raw reply body and its usage. A hit is decoded, parsed and validated
//!   exactly like a live reply: a rule made stricter since is enforced, and a stored answer
//!   that no longer passes is re-asked, live.
//! - Each request of an extraction (re-asks included) is looked up by its own body.
//! - Of the tasks of one process that miss the same key at once, one sends the request; the
//!   others wait for it and read its reply from the cache.
//! - A store that cannot be read or written ends the extraction with [`Error::Cache`] or is
//!   read as a miss: [`OnStoreError`] chooses.
//! - Streams are not cached (see `docs/cache.md`).
//!
//! Stores: [`MemoryStore`] (always there), `SqliteStore` (feature `sqlite`), `RedisStore`
//! (feature `redis`), or any [`CacheStore`].
//!
//! ```
//! # async fn run() -> Result<(), instructor_core::Error> {
//! use std::time::Duration;
//! use instructor_core::cache::{Cache, OnStoreError};
//! use instructor_core::Client;
//!
//! let cache = Cache::memory()
//!     .ttl(Duration::from_secs(3600))
//!     .on_store_error(OnStoreError::Miss);
//! let client = Client::builder()
//!     .base_url("http://127.0.0.1:8080/v1")
//!     .cache(cache)
//!     .build()?;
//! # Ok(()) }
//! ```

mod entry;
mod flight;
mod key;
pub(crate) mod lookup;
mod memory;
#[cfg(feature = "redis")]
mod redis;
#[cfg(feature = "sqlite")]
mod sqlite;
mod store;

pub use key::CacheKey;
pub use memory::{MemoryStore, DEFAULT_MEMORY_ENTRIES};
#[cfg(feature = "redis")]
pub use redis::RedisStore;
#[cfg(feature = "sqlite")]
pub use sqlite::{SqliteStore, DEFAULT_SQLITE_ENTRIES};
pub use store::{CacheStore, StoreError, StoreFuture};

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::error::Error;
use crate::wire::Usage;

pub(crate) use entry::Entry;
pub(crate) use key::KeyHasher;

/// How long an entry is kept by default: 7 days.
pub const DEFAULT_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

/// What an extraction does when the cache's store cannot be read or written (a corrupt
/// database file, a Redis server that is down, an entry that is not one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum OnStoreError {
    /// Goes on as if the cache had no entry: the request is sent live, and its reply not
    /// stored if the store cannot take it. A warning is traced each time. The default: a
    /// broken cache costs requests, never the extraction.
    #[default]
    Miss,
    /// Ends the extraction with [`Error::Cache`] (with the usage of the requests made
    /// before, including one whose reply could not be stored).
    Fail,
}

/// A response cache: a store, how long entries live, and what a store error does. Cheap to
/// clone (the store is shared); give it to a client with
/// [`ClientBuilder::cache`](crate::ClientBuilder::cache), or to one request with
/// [`Extract::cache`](crate::Extract::cache). Clones share the store and the single-flight
/// locks.
#[derive(Clone)]
pub struct Cache {
    store: Arc<dyn CacheStore>,
    ttl: Option<Duration>,
    on_store_error: OnStoreError,
    flights: Arc<flight::Flights>,
}

impl fmt::Debug for Cache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cache")
            .field("store", &self.store)
            .field("ttl", &self.ttl)
            .field("on_store_error", &self.on_store_error)
            .finish_non_exhaustive()
    }
}

impl Cache {
    /// A cache over `store`, entries kept [`DEFAULT_TTL`], store errors read as misses.
    pub fn new(store: impl CacheStore + 'static) -> Self {
        Self::from_shared(Arc::new(store))
    }

    /// A cache over a store shared with other code (which may keep using it).
    pub fn from_shared(store: Arc<dyn CacheStore>) -> Self {
        Self {
            store,
            ttl: Some(DEFAULT_TTL),
            on_store_error: OnStoreError::default(),
            flights: Arc::default(),
        }
    }

    /// A cache in this process's memory, of at most [`DEFAULT_MEMORY_ENTRIES`] entries
    /// ([`MemoryStore`]).
    pub fn memory() -> Self {
        Self::new(MemoryStore::default())
    }

    /// A cache in the SQLite database at `path` (created if missing), of at most
    /// [`DEFAULT_SQLITE_ENTRIES`] entries ([`SqliteStore::open`]). A file that is not a
    /// database, or cannot be opened, is [`Error::Cache`].
    #[cfg(feature = "sqlite")]
    pub fn sqlite(path: impl AsRef<std::path::Path>) -> Result<Self, Error> {
        SqliteStore::open(path)
            .map(Self::new)
            .map_err(|e| Error::cache(&e, Usage::default()))
    }

    /// A cache on the Redis server at `url` (`redis://127.0.0.1:6379/0`), shared by every
    /// process and machine that uses it ([`RedisStore::open`]). Only a URL that does not
    /// parse is an error here: the server is reached on the first look-up.
    #[cfg(feature = "redis")]
    pub fn redis(url: &str) -> Result<Self, Error> {
        RedisStore::open(url)
            .map(Self::new)
            .map_err(|e| Error::cache(&e, Usage::default()))
    }

    /// How long an entry is kept (default [`DEFAULT_TTL`]; `None`: until the store's size
    /// bound evicts it).
    #[must_use]
    pub fn ttl(mut self, ttl: impl Into<Option<Duration>>) -> Self {
        self.ttl = ttl.into();
        self
    }

    /// What a store error does (default [`OnStoreError::Miss`]).
    #[must_use]
    pub fn on_store_error(mut self, choice: OnStoreError) -> Self {
        self.on_store_error = choice;
        self
    }

    /// The store.
    pub fn store(&self) -> &dyn CacheStore {
        &*self.store
    }

    /// The entry under `key`: `Ok(None)` for none (or, with [`OnStoreError::Miss`], for a
    /// store that failed or an entry that is not one). `prior`: the usage of the extraction
    /// so far, for the error.
    pub(crate) async fn get(&self, key: &CacheKey, prior: Usage) -> Result<Option<Entry>, Error> {
        let read = match self.store.get(*key).await {
            Ok(None) => return Ok(None),
            Ok(Some(bytes)) => Entry::from_bytes(&bytes).map_err(StoreError::new),
            Err(e) => Err(e),
        };
        match read {
            Ok(entry) => Ok(entry),
            Err(e) => self.failed(&e, prior).map(|()| None),
        }
    }

    /// Stores `entry` under `key`; a store error as [`get`](Self::get) says.
    pub(crate) async fn put(
        &self,
        key: &CacheKey,
        entry: &Entry,
        prior: Usage,
    ) -> Result<(), Error> {
        match self.store.put(*key, entry.to_bytes(), self.ttl).await {
            Ok(()) => Ok(()),
            Err(e) => self.failed(&e, prior),
        }
    }

    /// Waits until no other task of this process is fetching `key`, and holds it.
    pub(crate) async fn fetching(&self, key: &CacheKey) -> tokio::sync::OwnedMutexGuard<()> {
        self.flights.lock(key).await
    }

    /// A store error, as [`OnStoreError`] says: `Ok` to go on as a miss.
    pub(crate) fn failed(&self, e: &impl fmt::Display, prior: Usage) -> Result<(), Error> {
        match self.on_store_error {
            OnStoreError::Miss => {
                tracing::warn!(error = %e, "the response cache failed; read as a miss");
                Ok(())
            }
            OnStoreError::Fail => Err(Error::cache(e, prior)),
        }
    }
}

/// Which cache a request uses.
#[derive(Debug, Clone, Default)]
pub(crate) enum CacheUse {
    /// The client's, if it has one.
    #[default]
    Client,
    /// None.
    Off,
    /// This one.
    This(Cache),
}
