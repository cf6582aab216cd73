//! Single flight: of the extractions in this process that miss the same key at once, one
//! sends the request; the others wait for it, then read the cache. A lock per key, held
//! from the second look-up until the reply is stored, and dropped from the map when its
//! last holder is gone.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

use crate::cache::key::CacheKey;

/// The locks of the keys being fetched.
#[derive(Debug, Default)]
pub(crate) struct Flights {
    locks: Mutex<Locks>,
}

#[derive(Debug, Default)]
struct Locks {
    by_key: HashMap<CacheKey, Weak<AsyncMutex<()>>>,
    /// The map's size after the last sweep of dead locks: the next sweep comes when it
    /// has doubled, so sweeping costs O(1) per lock taken.
    swept_at: usize,
}

impl Flights {
    /// Waits until no other task of this process holds `key`'s lock, and holds it.
    pub(crate) async fn lock(&self, key: &CacheKey) -> OwnedMutexGuard<()> {
        let lock = {
            let mut locks = self.locks.lock().unwrap_or_else(|p| p.into_inner());
            match locks.by_key.get(key).and_then(Weak::upgrade) {
                Some(lock) => lock,
                None => {
                    if locks.by_key.len() >= 2 * locks.swept_at.max(32) {
                        locks.by_key.retain(|_, w| w.strong_count() > 0);
                        locks.swept_at = locks.by_key.len();
                    }
                    let lock = Arc::new(AsyncMutex::new(()));
                    locks.by_key.insert(*key, Arc::downgrade(&lock));
                    lock
                }
            }
        };
        lock.lock_owned().await
    }

    /// How many keys have a lock in the map (dead ones not yet swept included).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.locks.lock().unwrap().by_key.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::FutureExt;

    #[test]
    fn one_holder_per_key_and_dead_locks_are_swept() {
        let f = Flights::default();
        let a = CacheKey::from_bytes([1; 32]);
        let b = CacheKey::from_bytes([2; 32]);
        let held = f.lock(&a).now_or_never().expect("free");
        assert!(f.lock(&a).now_or_never().is_none(), "held by another");
        assert!(f.lock(&b).now_or_never().is_some(), "another key is free");
        drop(held);
        assert!(f.lock(&a).now_or_never().is_some(), "released");
        for n in 0..200u8 {
            drop(f.lock(&CacheKey::from_bytes([n; 32])).now_or_never());
        }
        assert!(f.len() < 200, "{}", f.len());
    }
}
