//! The per-spec cache the dialects keep their translated pieces in, and the raw JSON
//! conversions those translations share.

use std::collections::HashMap;
use std::sync::{OnceLock, RwLock};

use serde_json::value::RawValue;
use serde_json::Value;

use crate::mode::{Mode, ModeSpec};

/// Pieces a dialect translates from a [`ModeSpec`], built on first use and kept for the life
/// of the process, keyed by the spec's address and mode. Every spec the SDK sends is leaked
/// by [`spec_for`](crate::mode::spec_for) (built once per type, mode and prompting, never
/// freed), so its address names it for good, and no request walks a schema again.
///
/// Each dialect declares one as a `static`, with the function that translates a spec.
pub(crate) struct SpecCache<T: 'static> {
    /// The pieces made so far.
    map: OnceLock<RwLock<HashMap<(usize, Mode), &'static T>>>,
    /// Makes the pieces of a spec.
    build: fn(&ModeSpec) -> T,
}

impl<T: Sync + 'static> SpecCache<T> {
    /// An empty cache of the pieces `build` makes.
    pub(crate) const fn new(build: fn(&ModeSpec) -> T) -> Self {
        Self {
            map: OnceLock::new(),
            build,
        }
    }

    /// The pieces of `spec`, made the first time this spec is asked for.
    pub(crate) fn get(&'static self, spec: &ModeSpec) -> &'static T {
        let cache = self.map.get_or_init(Default::default);
        let key = (std::ptr::from_ref(spec) as usize, spec.mode);
        if let Some(p) = cache.read().unwrap_or_else(|e| e.into_inner()).get(&key) {
            return p;
        }
        let mut w = cache.write().unwrap_or_else(|e| e.into_inner());
        w.entry(key)
            .or_insert_with(|| Box::leak(Box::new((self.build)(spec))))
    }
}

/// A JSON value serialized once, to be sent as it is.
pub(crate) fn raw(value: Value) -> Box<RawValue> {
    serde_json::value::to_raw_value(&value).expect("a JSON value serializes")
}

/// A translated piece: `value` serialized once, to be sent as it is.
pub(crate) fn piece(value: Value) -> Option<Box<RawValue>> {
    Some(raw(value))
}

/// A spec's serialized piece read back as a value (`None` when absent or unreadable).
pub(crate) fn parse(piece: &Option<Box<RawValue>>) -> Option<Value> {
    piece
        .as_deref()
        .and_then(|r| serde_json::from_str::<Value>(r.get()).ok())
}
