//! The key of a cached reply: SHA-256 over everything that shapes the answer (the provider,
//! the endpoint, the model, the whole body, the client's extra headers and a fingerprint of
//! the account), each part named and length-prefixed so that no two different requests
//! write the same bytes into the hash.
//!
//! The API key itself never enters a cache entry or a key: it is hashed (with its own
//! prefix) into a 16-byte fingerprint, and that fingerprint is one input of the key's hash.

use std::fmt;

use sha2::{Digest, Sha256};

/// The key of one cached reply: a SHA-256 of everything that shapes the answer. What a
/// [`CacheStore`](crate::cache::CacheStore) files an entry under.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CacheKey([u8; 32]);

impl CacheKey {
    /// A key from its 32 bytes (for a store that reads keys back).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The key's 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The key in lowercase hex (64 characters).
    pub fn to_hex(&self) -> String {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut s = String::with_capacity(64);
        for b in self.0 {
            s.push(HEX[usize::from(b >> 4)] as char);
            s.push(HEX[usize::from(b & 15)] as char);
        }
        s
    }
}

impl fmt::Debug for CacheKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CacheKey({})", self.to_hex())
    }
}

impl fmt::Display for CacheKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// Builds a [`CacheKey`] from named parts.
pub(crate) struct KeyHasher(Sha256);

impl KeyHasher {
    /// A hasher for this version of the key's layout: a change of layout changes every key.
    pub(crate) fn new() -> Self {
        let mut h = Sha256::new();
        h.update(b"instructor-rs/cache/key/v1\0");
        Self(h)
    }

    /// Adds one part: its name and its bytes, both length-prefixed.
    pub(crate) fn part(&mut self, name: &str, bytes: &[u8]) -> &mut Self {
        self.0.update((name.len() as u64).to_le_bytes());
        self.0.update(name.as_bytes());
        self.0.update((bytes.len() as u64).to_le_bytes());
        self.0.update(bytes);
        self
    }

    /// Adds the account the API key belongs to, as its fingerprint ([`account`]); no key
    /// adds an empty part.
    pub(crate) fn account(&mut self, api_key: Option<&str>) -> &mut Self {
        match api_key {
            Some(key) => self.part("account", &account(key)),
            None => self.part("account", &[]),
        }
    }

    /// The key.
    pub(crate) fn finish(self) -> CacheKey {
        CacheKey(self.0.finalize().into())
    }
}

/// The fingerprint of an API key: the first 16 bytes of a SHA-256 of the key behind a fixed
/// prefix. Two keys of different accounts give different cache keys; the key cannot be read
/// back from it (and it is only ever an input of another hash).
pub(crate) fn account(api_key: &str) -> [u8; 16] {
    let mut h = Sha256::new();
    h.update(b"instructor-rs/cache/account/v1\0");
    h.update(api_key.as_bytes());
    let full: [u8; 32] = h.finalize().into();
    let mut out = [0; 16];
    out.copy_from_slice(&full[..16]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(parts: &[(&str, &[u8])], api_key: Option<&str>) -> CacheKey {
        let mut h = KeyHasher::new();
        for (name, bytes) in parts {
            h.part(name, bytes);
        }
        h.account(api_key);
        h.finish()
    }

    #[test]
    fn sha256_is_the_standard_one() {
        let d: [u8; 32] = Sha256::digest(b"abc").into();
        assert_eq!(
            CacheKey(d).to_hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn every_part_and_the_account_change_the_key() {
        let base = key(&[("model", b"m"), ("body", b"{}")], Some("k1"));
        assert_eq!(base, key(&[("model", b"m"), ("body", b"{}")], Some("k1")));
        assert_ne!(base, key(&[("model", b"n"), ("body", b"{}")], Some("k1")));
        assert_ne!(base, key(&[("model", b"m"), ("body", b"{ }")], Some("k1")));
        assert_ne!(base, key(&[("model", b"m"), ("body", b"{}")], Some("k2")));
        assert_ne!(base, key(&[("model", b"m"), ("body", b"{}")], None));
        // Length prefixes: moving a byte from one part to the next changes the key.
        assert_ne!(
            key(&[("a", b"xy"), ("b", b"z")], None),
            key(&[("a", b"x"), ("b", b"yz")], None)
        );
    }

    #[test]
    fn the_fingerprint_shows_nothing_of_the_key() {
        let fp = account("sk-test-SECRET-4242");
        assert_eq!(fp.len(), 16);
        assert!(!fp.windows(4).any(|w| w == b"4242"));
        assert_ne!(fp, account("sk-test-SECRET-4243"));
    }
}
