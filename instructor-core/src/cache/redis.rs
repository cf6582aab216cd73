//! The shared store: Redis, reached with the `redis` crate on tokio (one multiplexed
//! connection per store, opened on first use and again after an error). Entries are
//! `SET` with `PX` (their time to live); the size bound is the server's own: set
//! `maxmemory` and an eviction policy (`allkeys-lru`, or `volatile-ttl`) on the server.
//!
//! A server that is down, or stops answering within the timeouts, is a [`StoreError`]
//! on the call that finds it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::AsyncConnectionConfig;

use crate::cache::key::CacheKey;
use crate::cache::store::{CacheStore, StoreError, StoreFuture};

/// How long [`RedisStore`] waits to connect, and for each answer, by default.
const TIMEOUT: Duration = Duration::from_secs(2);

/// A [`CacheStore`] on a Redis server (or Valkey), shared by every process and machine
/// that uses it. Keys are `{prefix}{hex of the CacheKey}` (prefix `instructor:cache:v1:`
/// by default).
#[derive(Clone)]
pub struct RedisStore {
    client: redis::Client,
    prefix: String,
    config: AsyncConnectionConfig,
    conn: Arc<Mutex<Option<MultiplexedConnection>>>,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may carry a password: it is not shown.
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisStore {
    /// A store on the server at `url` (`redis://127.0.0.1:6379/0`,
    /// `redis://:password@host/1`), connecting and answering within 2 s. Only a URL that
    /// does not parse is an error here: the server is reached on the first call.
    pub fn open(url: &str) -> Result<Self, StoreError> {
        let client = redis::Client::open(url).map_err(|e| {
            StoreError::new(format!(
                "the Redis cache's URL does not parse ({:?})",
                e.kind()
            ))
        })?;
        Ok(Self {
            client,
            prefix: "instructor:cache:v1:".to_owned(),
            config: AsyncConnectionConfig::new()
                .set_connection_timeout(Some(TIMEOUT))
                .set_response_timeout(Some(TIMEOUT)),
            conn: Arc::default(),
        })
    }

    /// Files the keys under `prefix` instead.
    #[must_use]
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// The time limits of connecting and of each answer.
    #[must_use]
    pub fn timeouts(mut self, connect: Duration, answer: Duration) -> Self {
        self.config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(connect))
            .set_response_timeout(Some(answer));
        self
    }

    fn name(&self, key: &CacheKey) -> String {
        format!("{}{}", self.prefix, key.to_hex())
    }

    /// The connection, opened if there is none.
    async fn connection(&self) -> Result<MultiplexedConnection, StoreError> {
        if let Some(conn) = self.conn.lock().unwrap_or_else(|p| p.into_inner()).clone() {
            return Ok(conn);
        }
        let conn = self
            .client
            .get_multiplexed_async_connection_with_config(&self.config)
            .await
            .map_err(error)?;
        *self.conn.lock().unwrap_or_else(|p| p.into_inner()) = Some(conn.clone());
        Ok(conn)
    }

    /// Runs `cmd`; an error drops the connection, so the next call opens a new one.
    async fn query<T: redis::FromRedisValue>(&self, cmd: redis::Cmd) -> Result<T, StoreError> {
        let mut conn = self.connection().await?;
        match cmd.query_async(&mut conn).await {
            Ok(v) => Ok(v),
            Err(e) => {
                *self.conn.lock().unwrap_or_else(|p| p.into_inner()) = None;
                Err(error(e))
            }
        }
    }
}

fn error(e: redis::RedisError) -> StoreError {
    StoreError::new(format!("the Redis cache: {e}"))
}

impl CacheStore for RedisStore {
    fn get(&self, key: CacheKey) -> StoreFuture<'_, Option<Vec<u8>>> {
        let mut cmd = redis::cmd("GET");
        cmd.arg(self.name(&key));
        Box::pin(self.query(cmd))
    }

    fn put(&self, key: CacheKey, value: Vec<u8>, ttl: Option<Duration>) -> StoreFuture<'_, ()> {
        let mut cmd = redis::cmd("SET");
        cmd.arg(self.name(&key)).arg(value);
        if let Some(ttl) = ttl {
            let ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
            cmd.arg("PX").arg(ms);
        }
        Box::pin(self.query(cmd))
    }
}
