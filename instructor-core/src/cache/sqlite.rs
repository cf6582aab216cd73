//! The embedded store: one table in a SQLite database file (SQLite compiled in, rusqlite's
//! `bundled`), shared by every process that opens the same file. Bounded by a number of
//! rows, the oldest written evicted first; expired rows are deleted as new ones are
//! written. Calls run on tokio's blocking pool, one at a time per store.
//!
//! A file that is not a database (or is corrupt, or unreadable) is a [`StoreError`] at
//! [`SqliteStore::open`], or on the call that finds it: the connection is then dropped and
//! opened again by the next call, so a file put right is used again. The file is never
//! deleted or rewritten by the store.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{params, Connection, OptionalExtension};

use crate::cache::key::CacheKey;
use crate::cache::store::{CacheStore, StoreError, StoreFuture};

/// The rows [`SqliteStore::open`] keeps at most.
pub const DEFAULT_SQLITE_ENTRIES: u64 = 100_000;

/// A [`CacheStore`] in a SQLite database file: table `instructor_cache` (`id`, `key`,
/// `value`, `expires`), at most `max_entries` rows.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    path: PathBuf,
    max_entries: u64,
    /// The open connection; `None` after an error, until the next call opens it again.
    conn: Mutex<Option<Connection>>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS instructor_cache (
    id INTEGER PRIMARY KEY,
    key BLOB NOT NULL UNIQUE,
    value BLOB NOT NULL,
    expires INTEGER
);
CREATE INDEX IF NOT EXISTS instructor_cache_expires
    ON instructor_cache (expires) WHERE expires IS NOT NULL;
";

impl SqliteStore {
    /// Opens (or creates) the database at `path` with the table, keeping at most
    /// [`DEFAULT_SQLITE_ENTRIES`] rows. A file that is not a SQLite database, or cannot be
    /// opened or written, is an error now.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::open_with(path, DEFAULT_SQLITE_ENTRIES)
    }

    /// [`open`](Self::open), keeping at most `max_entries` rows (at least one): past that,
    /// each write deletes the oldest rows written. A row written again counts as new.
    pub fn open_with(path: impl AsRef<Path>, max_entries: u64) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        let conn = connect(&path)?;
        Ok(Self {
            shared: Arc::new(Shared {
                path,
                max_entries: max_entries.max(1),
                conn: Mutex::new(Some(conn)),
            }),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.shared.path
    }

    /// Runs `f` on the connection (opened again if an error dropped it), on tokio's
    /// blocking pool; an error drops the connection.
    async fn with<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection, &Shared) -> rusqlite::Result<T> + Send + 'static,
    {
        let shared = Arc::clone(&self.shared);
        let run = move || {
            let mut conn = shared.conn.lock().unwrap_or_else(|p| p.into_inner());
            if conn.is_none() {
                *conn = Some(connect(&shared.path)?);
            }
            let result = f(conn.as_ref().expect("opened above"), &shared);
            if result.is_err() {
                *conn = None;
            }
            result.map_err(|e| error(&shared.path, &e))
        };
        match tokio::task::spawn_blocking(run).await {
            Ok(result) => result,
            Err(e) => Err(StoreError::new(format!(
                "the SQLite cache's call did not finish: {e}"
            ))),
        }
    }
}

/// Opens the database and makes sure the table is there.
fn connect(path: &Path) -> Result<Connection, StoreError> {
    let open = || -> rusqlite::Result<Connection> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(5))?;
        conn.execute_batch(SCHEMA)?;
        Ok(conn)
    };
    open().map_err(|e| error(path, &e))
}

fn error(path: &Path, e: &rusqlite::Error) -> StoreError {
    StoreError::new(format!("the SQLite cache `{}`: {e}", path.display()))
}

/// Milliseconds since the Unix epoch.
fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl CacheStore for SqliteStore {
    fn get(&self, key: CacheKey) -> StoreFuture<'_, Option<Vec<u8>>> {
        let key = *key.as_bytes();
        Box::pin(self.with(move |conn, _| {
            let row: Option<(Vec<u8>, Option<i64>)> = conn
                .prepare_cached("SELECT value, expires FROM instructor_cache WHERE key = ?1")?
                .query_row(params![&key[..]], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            Ok(match row {
                Some((_, Some(expires))) if expires <= now_ms() => None,
                Some((value, _)) => Some(value),
                None => None,
            })
        }))
    }

    fn put(&self, key: CacheKey, value: Vec<u8>, ttl: Option<Duration>) -> StoreFuture<'_, ()> {
        let key = *key.as_bytes();
        Box::pin(self.with(move |conn, shared| {
            let now = now_ms();
            let expires =
                ttl.map(|t| now.saturating_add(i64::try_from(t.as_millis()).unwrap_or(i64::MAX)));
            let tx = conn.unchecked_transaction()?;
            tx.prepare_cached("DELETE FROM instructor_cache WHERE key = ?1")?
                .execute(params![&key[..]])?;
            tx.prepare_cached(
                "INSERT INTO instructor_cache (key, value, expires) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![&key[..], value, expires])?;
            tx.prepare_cached("DELETE FROM instructor_cache WHERE expires <= ?1")?
                .execute(params![now])?;
            // Ids grow with each write: the rows above the newest id less the bound are the
            // newest `max_entries` (fewer, where rows were rewritten or expired).
            let bound = i64::try_from(shared.max_entries).unwrap_or(i64::MAX);
            tx.prepare_cached(
                "DELETE FROM instructor_cache WHERE id <= (SELECT MAX(id) FROM instructor_cache) - ?1",
            )?
            .execute(params![bound])?;
            tx.commit()
        }))
    }
}
