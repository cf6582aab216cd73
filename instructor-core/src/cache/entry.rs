//! What a store holds for one reply: the raw body as the provider sent it (the key already
//! scrubbed out of it by the transport) and its usage, as one JSON object with a format
//! version. Nothing else: no request, no header, no key.

use serde::{Deserialize, Serialize};

use crate::wire::Usage;

/// The format of an entry; an entry of another format is read as a miss.
const VERSION: u32 = 1;

/// One stored reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Entry {
    /// The format.
    v: u32,
    /// The reply's tokens: what a hit saves.
    pub usage: Usage,
    /// The reply body, as received (decoded and judged again on every hit).
    pub raw: String,
}

impl Entry {
    /// The entry of a reply.
    pub(crate) fn new(raw: String, usage: Usage) -> Self {
        Self {
            v: VERSION,
            usage,
            raw,
        }
    }

    /// The bytes a store keeps.
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("an entry serializes")
    }

    /// An entry read back: `Ok(None)` for another format version, `Err` for bytes that are
    /// not an entry at all.
    pub(crate) fn from_bytes(bytes: &[u8]) -> Result<Option<Self>, String> {
        let entry: Entry = serde_json::from_slice(bytes)
            .map_err(|e| format!("a stored entry is unreadable: {e}"))?;
        Ok((entry.v == VERSION).then_some(entry))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_garbage() {
        let usage = Usage {
            prompt_tokens: 9,
            completion_tokens: 3,
            total_tokens: 12,
            ..Usage::default()
        };
        let e = Entry::new(r#"{"id":"x"}"#.into(), usage);
        assert_eq!(Entry::from_bytes(&e.to_bytes()).unwrap(), Some(e));
        assert!(Entry::from_bytes(b"\x00garbage").is_err());
        let other = br#"{"v":2,"usage":{},"raw":""}"#;
        assert_eq!(Entry::from_bytes(other).unwrap(), None);
    }
}
