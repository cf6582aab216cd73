//! The seam between the cache and where its entries live: [`CacheStore`], two calls (get,
//! put with a time to live) over opaque bytes, and [`StoreError`].

use std::fmt;
use std::time::Duration;

use futures_util::future::BoxFuture;

use crate::cache::key::CacheKey;

/// What a [`CacheStore`]'s calls return: a boxed future of the result.
pub type StoreFuture<'a, T> = BoxFuture<'a, Result<T, StoreError>>;

/// Where cached replies live: the in-memory store, SQLite, Redis, or one of your own.
///
/// A store keeps opaque bytes under a [`CacheKey`]; it does not read them. The key is `Copy`
/// (32 bytes) and passed by value, so a call's future borrows only the store. It bounds its own
/// size (each store's documentation says how) and forgets an entry once its time to live has
/// passed. Errors are reported, never panicked: the cache's [`OnStoreError`] decides whether
/// one ends the extraction or is read as a miss.
///
/// [`OnStoreError`]: crate::cache::OnStoreError
pub trait CacheStore: Send + Sync + fmt::Debug {
    /// The bytes stored under `key`, or `None` when there are none (or they expired).
    fn get(&self, key: CacheKey) -> StoreFuture<'_, Option<Vec<u8>>>;

    /// Stores `value` under `key`, replacing what was there, to be forgotten after `ttl`
    /// (`None`: kept until the size bound evicts it).
    fn put(&self, key: CacheKey, value: Vec<u8>, ttl: Option<Duration>) -> StoreFuture<'_, ()>;
}

/// Why a store could not read or write: the database file is corrupt or unreadable, the
/// server is down, ... The message names the store and the cause, never a key or a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError {
    message: String,
}

impl StoreError {
    /// An error saying `message`.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }

    /// What went wrong.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for StoreError {}
