//! The in-memory store: a map in the process, bounded by a number of entries (the oldest
//! written is evicted first), each entry forgotten once its time to live has passed. Gone
//! when the process ends; shared by every client the [`Cache`](crate::cache::Cache) is given
//! to.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use futures_util::future;

use crate::cache::key::CacheKey;
use crate::cache::store::{CacheStore, StoreFuture};

/// The entries [`MemoryStore::default`] keeps at most.
pub const DEFAULT_MEMORY_ENTRIES: usize = 10_000;

/// A [`CacheStore`] in the process's memory, holding at most `max_entries` entries: when a
/// put goes past that, the oldest written is evicted.
pub struct MemoryStore {
    max_entries: usize,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// Each key's value, when it expires, and its place in `order`.
    entries: HashMap<CacheKey, (Vec<u8>, Option<Instant>, u64)>,
    /// The keys by when they were written, oldest first.
    order: BTreeMap<u64, CacheKey>,
    next: u64,
}

impl MemoryStore {
    /// A store of at most `max_entries` entries (at least one).
    pub fn new(max_entries: usize) -> Self {
        Self {
            max_entries: max_entries.max(1),
            state: Mutex::new(State::default()),
        }
    }

    /// How many entries it holds (expired ones not yet removed included).
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// Whether it holds no entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic elsewhere while the lock was held leaves a map that is still consistent
        // (every change below is one insert or remove at a time).
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore")
            .field("max_entries", &self.max_entries)
            .field("len", &self.len())
            .finish()
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new(DEFAULT_MEMORY_ENTRIES)
    }
}

impl State {
    fn remove(&mut self, key: &CacheKey) {
        if let Some((_, _, seq)) = self.entries.remove(key) {
            self.order.remove(&seq);
        }
    }
}

impl CacheStore for MemoryStore {
    fn get(&self, key: CacheKey) -> StoreFuture<'_, Option<Vec<u8>>> {
        let mut state = self.lock();
        let found = match state.entries.get(&key) {
            Some((_, Some(expires), _)) if *expires <= Instant::now() => {
                state.remove(&key);
                None
            }
            Some((value, _, _)) => Some(value.clone()),
            None => None,
        };
        Box::pin(future::ready(Ok(found)))
    }

    fn put(&self, key: CacheKey, value: Vec<u8>, ttl: Option<Duration>) -> StoreFuture<'_, ()> {
        let mut state = self.lock();
        state.remove(&key);
        let seq = state.next;
        state.next += 1;
        let expires = ttl.map(|t| Instant::now() + t);
        state.entries.insert(key, (value, expires, seq));
        state.order.insert(seq, key);
        while state.entries.len() > self.max_entries {
            let Some((_, oldest)) = state.order.pop_first() else {
                break;
            };
            state.entries.remove(&oldest);
        }
        Box::pin(future::ready(Ok(())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(n: u8) -> CacheKey {
        CacheKey::from_bytes([n; 32])
    }

    fn get(s: &MemoryStore, key: u8) -> Option<Vec<u8>> {
        futures_util::FutureExt::now_or_never(s.get(k(key)))
            .unwrap()
            .unwrap()
    }

    fn put(s: &MemoryStore, key: u8, ttl: Option<Duration>) {
        futures_util::FutureExt::now_or_never(s.put(k(key), vec![key], ttl))
            .unwrap()
            .unwrap()
    }

    #[test]
    fn the_oldest_written_is_evicted_first() {
        let s = MemoryStore::new(2);
        put(&s, 1, None);
        put(&s, 2, None);
        put(&s, 1, None); // rewritten: now the newest
        put(&s, 3, None);
        assert_eq!(get(&s, 2), None);
        assert_eq!(get(&s, 1), Some(vec![1]));
        assert_eq!(get(&s, 3), Some(vec![3]));
        assert_eq!(s.len(), 2);
    }

    #[test]
    fn an_expired_entry_is_a_miss() {
        let s = MemoryStore::new(4);
        put(&s, 1, Some(Duration::ZERO));
        put(&s, 2, Some(Duration::from_secs(3600)));
        assert_eq!(get(&s, 1), None);
        assert_eq!(get(&s, 2), Some(vec![2]));
        assert_eq!(s.len(), 1);
    }
}
