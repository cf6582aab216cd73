//! An incremental JSON parser for partial model output.
//!
//! Models stream a JSON document in small chunks. [`PartialJson`] consumes those chunks one at a
//! time, resuming exactly where the previous chunk stopped, and can show at any point "the value
//! so far" as a [`serde_json::Value`]. Each input byte is looked at once, so a document of `n`
//! bytes costs `O(n)` to parse however it is chunked.
//!
//! # Two ways to look at the value so far
//!
//! - [`snapshot_ref`](PartialJson::snapshot_ref) keeps the value shown in the parser and brings
//!   it up to date in place: it costs what changed since the previous call (the members and
//!   elements completed since, the new text of the string being written, one step per open
//!   container), not the size of the value, and returns it by reference.
//!   [`snapshot_version`](PartialJson::snapshot_version) tells whether it changed since a
//!   previous call without comparing values. This is what a stream shown after every delta
//!   uses.
//! - [`snapshot`](PartialJson::snapshot) returns an owned copy (`&self`; a clone, `O(size of
//!   the value)`).
//!
//! # What a snapshot shows
//!
//! - Objects and arrays that are still being written appear with the members and elements they
//!   have so far.
//! - A string that is still being written appears with the text received so far. An escape
//!   sequence that has only partly arrived (`\`, `\u00`, the first half of a surrogate pair) is
//!   held back until it is complete, and so is a UTF-8 character split across
//!   [`push_bytes`](PartialJson::push_bytes) calls.
//! - An object key appears only once its closing quote has arrived *and* its value has started:
//!   `{"na` and `{"name":` both show as `{}`.
//! - Numbers, `true`, `false` and `null` are held back until they are complete: `12` of `123` is
//!   never shown. A number is complete when a byte that cannot continue it arrives (`,`, `]`,
//!   `}`, whitespace), or, for a number that is the whole document, at
//!   [`finish`](PartialJson::finish).
//!
//! Every snapshot is therefore a *prefix* of the final value: each object's keys are a subset of
//! the final keys, each array a prefix of the final array, each string a prefix of the final
//! string, and every number, boolean and null already equal to its final value.
//!
//! # Input
//!
//! [`push`](PartialJson::push) takes `&str` chunks (what a server-sent-events layer delivers);
//! [`push_bytes`](PartialJson::push_bytes) takes raw bytes and accepts a multi-byte UTF-8
//! character split across chunks. Both can be mixed. Invalid JSON (including invalid UTF-8,
//! control characters in strings, lone UTF-16 surrogates, numbers that do not fit an `f64`, and
//! anything but whitespace after the top-level value) is an error carrying the byte offset of
//! the offending byte in the whole stream. The grammar accepted is exactly the one
//! [`serde_json::from_slice`] accepts, and the final value is the one it returns.
//!
//! # Many objects
//!
//! For the "many objects" stream form (`{"items": [{...}, {...}]}` or a top-level array), a
//! parser built [`with_items_at`](PartialJson::with_items_at) collects every element of that
//! array as soon as it is complete (an object element when its closing brace arrives); take them
//! with [`take_completed_items`](PartialJson::take_completed_items). Each element is yielded
//! exactly once, in order, at a cost of one clone of the element.
//!
//! # Example
//!
//! ```
//! use instructor_core::partial_json::PartialJson;
//! use serde_json::json;
//!
//! let mut parser = PartialJson::new();
//! parser.push(r#"{"name": "Ada Lov"#).unwrap();
//! assert_eq!(parser.snapshot(), Some(json!({"name": "Ada Lov"})));
//! parser.push(r#"elace", "age": 3"#).unwrap();
//! // `3` may still become `36`: it is held back.
//! assert_eq!(parser.snapshot_ref(), Some(&json!({"name": "Ada Lovelace"})));
//! parser.push("6}").unwrap();
//! assert!(parser.is_complete());
//! assert_eq!(parser.finish().unwrap(), json!({"name": "Ada Lovelace", "age": 36}));
//! ```
//!
//! # Depth
//!
//! The parser itself never recurses on the input's nesting: open containers live on an explicit
//! stack. Nesting deeper than [`max_depth`](PartialJson::with_max_depth) (default
//! [`DEFAULT_MAX_DEPTH`]) is an error, which also keeps `serde_json`'s own recursive `Clone`,
//! `Drop` and `PartialEq` on the resulting values within a safe stack depth.
//!
//! # How the shown value is kept
//!
//! Each open container is a frame on the stack holding the children completed in it that are
//! not shown yet; the value shown (`Shown::tree`) holds everything shown so far. Bringing it up
//! to date walks the open containers once, outermost first, moves each frame's new children
//! into the shown copy of that container (a frame not shown yet moves in whole), and appends the
//! new text of the string being written. A container (or string) that is shown and then
//! completes has its last children moved into its shown copy when it closes, found by walking
//! down from the root along the open members. The completed value lives in the tree, so
//! [`finish`](PartialJson::finish) hands it over without a copy.
use std::fmt;

use serde_json::{Map, Number, Value};

/// The default nesting limit of [`PartialJson::new`]: 127 nested arrays or objects, the
/// deepest nesting `serde_json::from_slice` accepts (its recursion limit of 128 counts the
/// level that fails), so both accept exactly the same documents.
pub const DEFAULT_MAX_DEPTH: usize = 127;

/// Where the elements collected by [`PartialJson::take_completed_items`] live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemsAt {
    /// The elements of a top-level array: `[{...}, {...}]`.
    Root,
    /// The elements of the array under this key of a top-level object:
    /// `{"items": [{...}, {...}]}` for `ItemsAt::Key("items".into())`.
    Key(String),
}

impl ItemsAt {
    /// Shorthand for [`ItemsAt::Key`].
    pub fn key(key: impl Into<String>) -> Self {
        ItemsAt::Key(key.into())
    }
}

/// What a call to [`PartialJson::push`] or [`PartialJson::push_bytes`] achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Pushed {
    /// Whether the [snapshot](PartialJson::snapshot) may differ from the one before this chunk.
    /// Conservative: it may be `true` when nothing visible changed (a string's closing quote,
    /// say), but it is never `false` when something did, so a consumer can skip snapshots when
    /// it is `false`.
    pub changed: bool,
    /// Whether the top-level value is complete ([`PartialJson::is_complete`]).
    pub complete: bool,
    /// How many completed elements wait in [`PartialJson::take_completed_items`] (always 0
    /// unless the parser was built [`with_items_at`](PartialJson::with_items_at)).
    pub items_ready: usize,
}

/// The construct a truncated document stopped inside of (see
/// [`PartialJsonErrorKind::Truncated`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Inside {
    /// Nothing but whitespace was received.
    Nothing,
    /// An object, between its members.
    Object,
    /// An array, between its elements.
    Array,
    /// An object key (string) before its closing quote.
    ObjectKey,
    /// A string value before its closing quote.
    String,
    /// A number (only a number nested in a container, or one missing digits, such as `1.`:
    /// a complete top-level number is accepted by `finish`).
    Number,
    /// A `true`, `false` or `null` literal.
    Literal,
}

impl fmt::Display for Inside {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Inside::Nothing => "before any value",
            Inside::Object => "inside an object",
            Inside::Array => "inside an array",
            Inside::ObjectKey => "inside an object key",
            Inside::String => "inside a string",
            Inside::Number => "inside a number",
            Inside::Literal => "inside a literal",
        })
    }
}

/// What went wrong, without the offset (see [`PartialJsonError`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PartialJsonErrorKind {
    /// A byte that cannot appear here.
    UnexpectedByte {
        /// The byte found.
        found: u8,
        /// What was expected instead, in words (such as "`,` or `]`").
        expected: &'static str,
    },
    /// A string is not valid UTF-8.
    InvalidUtf8,
    /// A raw control character (below U+0020) inside a string; JSON requires it escaped.
    ControlCharacterInString(u8),
    /// A backslash followed by a byte that starts no escape sequence.
    InvalidEscape(u8),
    /// A `\u` escape with a non-hex digit.
    InvalidHexEscape(u8),
    /// A UTF-16 surrogate escape (`\uD800`-`\uDFFF`) that is not part of a valid pair.
    LoneSurrogate,
    /// A number whose magnitude does not fit an `f64` (such as `1e400`).
    NumberOutOfRange,
    /// More nested arrays and objects than the configured maximum depth.
    TooDeep {
        /// The configured maximum depth.
        max_depth: usize,
    },
    /// Something other than whitespace after the complete top-level value.
    TrailingCharacters,
    /// The input ended before the top-level value was complete (only from
    /// [`PartialJson::finish`]).
    Truncated {
        /// Where the input stopped.
        inside: Inside,
    },
}

/// An error from [`PartialJson`]: the input is not JSON, or (from
/// [`finish`](PartialJson::finish)) it stopped before the value was complete.
///
/// Once a parser has failed it stays failed: every later call returns the same error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartialJsonError {
    offset: usize,
    kind: PartialJsonErrorKind,
}

impl PartialJsonError {
    /// The offset, in bytes from the start of the whole stream (not of the chunk), of the byte
    /// that is wrong; for [`Truncated`](PartialJsonErrorKind::Truncated), the number of bytes
    /// received.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// What went wrong.
    pub fn kind(&self) -> &PartialJsonErrorKind {
        &self.kind
    }

    /// Whether the input was valid so far and only ended too early.
    pub fn is_truncated(&self) -> bool {
        matches!(self.kind, PartialJsonErrorKind::Truncated { .. })
    }
}

struct ByteDisplay(u8);

impl fmt::Display for ByteDisplay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_ascii_graphic() || self.0 == b' ' {
            write!(f, "`{}`", self.0 as char)
        } else {
            write!(f, "byte 0x{:02x}", self.0)
        }
    }
}

impl fmt::Display for PartialJsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = self.offset;
        match &self.kind {
            PartialJsonErrorKind::UnexpectedByte { found, expected } => write!(
                f,
                "invalid JSON at byte {at}: expected {expected}, found {}",
                ByteDisplay(*found)
            ),
            PartialJsonErrorKind::InvalidUtf8 => {
                write!(f, "invalid JSON at byte {at}: invalid UTF-8 in a string")
            }
            PartialJsonErrorKind::ControlCharacterInString(b) => write!(
                f,
                "invalid JSON at byte {at}: unescaped control character 0x{b:02x} in a string"
            ),
            PartialJsonErrorKind::InvalidEscape(b) => write!(
                f,
                "invalid JSON at byte {at}: invalid escape `\\` followed by {}",
                ByteDisplay(*b)
            ),
            PartialJsonErrorKind::InvalidHexEscape(b) => write!(
                f,
                "invalid JSON at byte {at}: expected a hex digit in a \\u escape, found {}",
                ByteDisplay(*b)
            ),
            PartialJsonErrorKind::LoneSurrogate => write!(
                f,
                "invalid JSON at byte {at}: a \\u surrogate escape that is not part of a pair"
            ),
            PartialJsonErrorKind::NumberOutOfRange => {
                write!(f, "invalid JSON at byte {at}: number out of range")
            }
            PartialJsonErrorKind::TooDeep { max_depth } => write!(
                f,
                "invalid JSON at byte {at}: nested deeper than the limit of {max_depth}"
            ),
            PartialJsonErrorKind::TrailingCharacters => write!(
                f,
                "invalid JSON at byte {at}: trailing characters after the value"
            ),
            PartialJsonErrorKind::Truncated { inside } => {
                write!(f, "JSON truncated at byte {at} {inside}")
            }
        }
    }
}

impl std::error::Error for PartialJsonError {}

/// An open container and the children completed in it that are not in the shown tree yet.
#[derive(Debug, Clone)]
enum Frame {
    Array(Vec<Value>),
    Object {
        map: Map<String, Value>,
        /// The key of the member being written, once its closing quote arrived.
        key: Option<String>,
    },
}

impl Frame {
    /// The container with the children it holds, leaving it empty.
    fn take_value(&mut self) -> Value {
        match self {
            Frame::Array(items) => Value::Array(std::mem::take(items)),
            Frame::Object { map, .. } => Value::Object(std::mem::take(map)),
        }
    }

    /// Moves the children held here into `shown` (this container's copy in the tree).
    /// Returns whether `shown` changed.
    fn drain_into(&mut self, shown: &mut Value) -> bool {
        match (self, shown) {
            (Frame::Array(items), Value::Array(shown)) => {
                let changed = !items.is_empty();
                shown.append(items);
                changed
            }
            (Frame::Object { map, .. }, Value::Object(shown)) => {
                let mut changed = false;
                for (k, v) in std::mem::take(map) {
                    changed |= put(shown, k, v);
                }
                changed
            }
            _ => unreachable!("a frame and its shown copy are the same kind of container"),
        }
    }

    /// The shown copy of the open child of this container, within `shown` (this container's
    /// copy); `new`, when given, is placed there first. Sets `changed` when that changed
    /// `shown`.
    fn open_child<'a>(
        &self,
        shown: &'a mut Value,
        new: Option<Value>,
        changed: &mut bool,
    ) -> &'a mut Value {
        match (self, shown) {
            (Frame::Array(_), Value::Array(shown)) => {
                if let Some(v) = new {
                    shown.push(v);
                    *changed = true;
                }
                shown.last_mut().expect("an open element is shown")
            }
            (Frame::Object { key: Some(k), .. }, Value::Object(shown)) => match new {
                Some(v) => {
                    *changed |= put(shown, k.clone(), v);
                    shown.get_mut(k.as_str()).expect("just placed")
                }
                None => shown.get_mut(k.as_str()).expect("an open member is shown"),
            },
            _ => unreachable!("an open child sits in a container of the frame's kind"),
        }
    }
}

/// `map.insert(k, v)`, telling whether the map changed (a repeated key with an equal value
/// does not change it).
fn put(map: &mut Map<String, Value>, k: String, v: Value) -> bool {
    match map.entry(k) {
        serde_json::map::Entry::Vacant(e) => {
            e.insert(v);
            true
        }
        serde_json::map::Entry::Occupied(mut e) => {
            let changed = *e.get() != v;
            e.insert(v);
            changed
        }
    }
}

/// The shown copy of `frames`' innermost open child (the root when `frames` is empty), all of
/// whose ancestors are shown.
fn navigate<'a>(tree: &'a mut Option<Value>, frames: &[Frame]) -> &'a mut Value {
    let mut cur = tree.as_mut().expect("the root is shown");
    for frame in frames {
        cur = frame.open_child(cur, None, &mut false);
    }
    cur
}

/// The value shown by [`PartialJson::snapshot_ref`], kept between calls.
#[derive(Debug, Clone, Default)]
struct Shown {
    /// The value shown (for a completed document, the final value).
    tree: Option<Value>,
    /// How many open containers, from the outermost, have their copy in `tree`. Their
    /// frames hold only the children completed since.
    synced: usize,
    /// When the string being written has its copy in `tree`: how many bytes of it are there.
    str_synced: Option<usize>,
    /// `tree` was changed outside `sync` (a shown container or string completed with new
    /// content, or the top-level value completed).
    dirty: bool,
    /// Bumped by every `sync` that changed `tree`.
    version: u64,
    /// `PartialJson::consumed` at the last `PartialJson::snapshot_ref` (each byte accepted
    /// moves it, and nothing but accepted bytes changes the value).
    at: Option<usize>,
}

impl Shown {
    /// Brings `tree` up to date with `frames` (the open containers) and `open_str` (the text of
    /// the string value being written, if any), at the cost of what changed since the last
    /// call plus one step per open container.
    fn sync(&mut self, frames: &mut [Frame], open_str: Option<&str>) {
        let mut changed = std::mem::take(&mut self.dirty);
        let synced = self.synced;
        if frames.is_empty() {
            // A top-level string (anything else at the top is shown only once complete).
            if let Some(text) = open_str {
                match (self.str_synced, &mut self.tree) {
                    (Some(n), Some(Value::String(s))) => {
                        if text.len() > n {
                            s.push_str(&text[n..]);
                            changed = true;
                        }
                    }
                    _ => {
                        self.tree = Some(Value::String(text.to_owned()));
                        changed = true;
                    }
                }
                self.str_synced = Some(text.len());
            }
        } else {
            if synced == 0 {
                self.tree = Some(frames[0].take_value());
                changed = true;
            }
            let mut cur = self.tree.as_mut().expect("the root is shown");
            for idx in 0..frames.len() {
                let (head, tail) = frames.split_at_mut(idx + 1);
                let frame = &mut head[idx];
                if idx < synced {
                    changed |= frame.drain_into(cur);
                }
                if let Some(child) = tail.first_mut() {
                    let new = (idx + 1 >= synced).then(|| child.take_value());
                    cur = frame.open_child(cur, new, &mut changed);
                } else if let Some(text) = open_str {
                    match self.str_synced {
                        Some(n) => {
                            if text.len() > n {
                                if let Value::String(s) = frame.open_child(cur, None, &mut changed)
                                {
                                    s.push_str(&text[n..]);
                                }
                                changed = true;
                            }
                        }
                        None => {
                            let new = Value::String(text.to_owned());
                            frame.open_child(cur, Some(new), &mut changed);
                        }
                    }
                    self.str_synced = Some(text.len());
                }
            }
            self.synced = frames.len();
        }
        if changed {
            self.version += 1;
        }
    }
}

/// Progress inside a string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Esc {
    /// Plain text.
    None,
    /// After `\`.
    Backslash,
    /// After `\u` and `n` hex digits.
    Hex { n: u8, acc: u16 },
    /// After a high surrogate escape: expecting `\`.
    LowBackslash { hi: u16 },
    /// After a high surrogate escape and `\`: expecting `u`.
    LowU { hi: u16 },
    /// Reading the low surrogate's hex digits.
    LowHex { hi: u16, n: u8, acc: u16 },
}

/// Progress inside a number (the JSON number grammar).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Num {
    Minus,
    Zero,
    Int,
    Dot,
    Frac,
    E,
    ESign,
    Exp,
}

impl Num {
    fn is_final(self) -> bool {
        matches!(self, Num::Zero | Num::Int | Num::Frac | Num::Exp)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Expecting the top-level value.
    Start,
    /// After `[`: a value or `]`.
    ArrayFirst,
    /// After `,` in an array: a value.
    ArrayNext,
    /// After `{`: a key or `}`.
    ObjectFirst,
    /// After `,` in an object: a key.
    ObjectNext,
    /// After a key: `:`.
    Colon,
    /// After `:`: the member's value.
    MemberValue,
    /// After a value in a container: `,` or the container's closer.
    AfterValue,
    /// The top-level value is complete; only whitespace may follow.
    Done,
    /// Inside an object key, in plain text: no escape under way, no partial character held
    /// back (the state the plain-text fast path tests for, alone).
    Key,
    /// Inside a string value, in plain text (as `Key`).
    Str,
    /// Inside an object key, in an escape sequence (progress in `PartialJson::esc`) or with
    /// the first bytes of a character held back (`PartialJson::pending`).
    KeyEsc,
    /// Inside a string value, in an escape or with a character held back (as `KeyEsc`).
    StrEsc,
    /// Inside a number; its grammar position in `PartialJson::num_state`, its bytes in `num`.
    Number,
    /// Inside `true`, `false` or `null`, `PartialJson::lit_pos` bytes in.
    Literal,
    /// The parser failed (`PartialJson::error`) in state `PartialJson::failed_in`.
    Failed,
}

impl State {
    /// Whether this is a state inside a string in an escape or with a character held back.
    fn in_escape(self) -> bool {
        matches!(self, State::KeyEsc | State::StrEsc)
    }

    /// Whether this is a state inside a string value (plain or not).
    fn in_str_value(self) -> bool {
        matches!(self, State::Str | State::StrEsc)
    }

    /// The state inside the same string (a key or a value), plain or not.
    fn string(key: bool, plain: bool) -> State {
        match (key, plain) {
            (true, true) => State::Key,
            (false, true) => State::Str,
            (true, false) => State::KeyEsc,
            (false, false) => State::StrEsc,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lit {
    True,
    False,
    Null,
}

impl Lit {
    fn text(self) -> &'static [u8] {
        match self {
            Lit::True => b"true",
            Lit::False => b"false",
            Lit::Null => b"null",
        }
    }

    fn expected(self) -> &'static str {
        match self {
            Lit::True => "`true`",
            Lit::False => "`false`",
            Lit::Null => "`null`",
        }
    }

    fn value(self) -> Value {
        match self {
            Lit::True => Value::Bool(true),
            Lit::False => Value::Bool(false),
            Lit::Null => Value::Null,
        }
    }
}

#[inline]
fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// The index of the first byte at or after `i` that is not white space (or `bytes.len()`).
#[inline]
fn skip_ws(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && is_ws(bytes[i]) {
        i += 1;
    }
    i
}

#[inline]
fn hex_val(b: u8) -> Option<u16> {
    match b {
        b'0'..=b'9' => Some(u16::from(b - b'0')),
        b'a'..=b'f' => Some(u16::from(b - b'a' + 10)),
        b'A'..=b'F' => Some(u16::from(b - b'A' + 10)),
        _ => None,
    }
}

/// The character a two-byte escape `\` `b` stands for (`None` for `u`, which starts a
/// `\u` escape, and for bytes that start no escape).
#[inline]
fn short_escape(b: u8) -> Option<char> {
    Some(match b {
        b'"' => '"',
        b'\\' => '\\',
        b'/' => '/',
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        _ => return None,
    })
}

/// Whether `bytes` is white space, and not empty (the first byte is tested first: most chunks
/// fail there).
#[inline(always)]
fn all_ws(bytes: &[u8]) -> bool {
    matches!(bytes.first(), Some(&b) if is_ws(b)) && bytes[1..].iter().all(|&b| is_ws(b))
}

/// Whether `b` is plain string text: not `"`, `\` or a control character.
#[inline]
fn is_plain(b: u8) -> bool {
    b != b'"' && b != b'\\' && b >= 0x20
}

/// `buf.push_str(text)`; a short `text` (a small chunk) as a copy of fixed size, which
/// compiles to a few moves instead of a call to `memcpy`.
#[inline(always)]
fn push_small(buf: &mut String, text: &str) {
    match text.len() {
        1 => buf.push_str(&text[..1]),
        2 => buf.push_str(&text[..2]),
        3 => buf.push_str(&text[..3]),
        4 => buf.push_str(&text[..4]),
        5 => buf.push_str(&text[..5]),
        6 => buf.push_str(&text[..6]),
        7 => buf.push_str(&text[..7]),
        8 => buf.push_str(&text[..8]),
        _ => buf.push_str(text),
    }
}

/// Appends the ASCII bytes `seg` to `buf` (without a UTF-8 validation call: each byte is a
/// character).
#[inline(always)]
fn push_ascii(buf: &mut String, seg: &[u8]) {
    buf.reserve(seg.len());
    for &b in seg {
        // `& 0x7f` (a no-op on ASCII) lets the compiler take the one-byte path of `push`.
        buf.push(char::from(b & 0x7f));
    }
}

/// The bits `HIGH4` of the bytes of `w` that are `"`, `\` or below 0x20 (exact for the lowest
/// such byte; see [`plain_run`]).
#[inline]
fn special4(w: u32) -> u32 {
    const ONES4: u32 = 0x0101_0101;
    const HIGH4: u32 = 0x8080_8080;
    let quote = w ^ (ONES4 * u32::from(b'"'));
    let backslash = w ^ (ONES4 * u32::from(b'\\'));
    ((quote.wrapping_sub(ONES4) & !quote)
        | (backslash.wrapping_sub(ONES4) & !backslash)
        | (w.wrapping_sub(ONES4 * 0x20) & !w))
        & HIGH4
}

/// Whether every byte of `bytes` is plain string text (and, with `ascii`, ASCII).
#[inline(always)]
fn all_plain(bytes: &[u8], ascii: bool) -> bool {
    if let Ok(word) = <[u8; 4]>::try_from(bytes) {
        let w = u32::from_le_bytes(word);
        special4(w) == 0 && !(ascii && w & 0x8080_8080 != 0)
    } else if bytes.len() < 4 {
        bytes.iter().all(|&b| is_plain(b) && !(ascii && b >= 0x80))
    } else {
        all_plain_long(bytes, ascii)
    }
}

#[inline(never)]
fn all_plain_long(bytes: &[u8], ascii: bool) -> bool {
    let (run, high) = plain_run(bytes);
    run == bytes.len() && !(ascii && high)
}

/// The length of the run of plain string bytes at the start of `bytes`, and whether it holds
/// a byte outside ASCII. Eight bytes at a time: a word has a `"`, a `\` or a control byte when
/// one of its bytes is zero after xor with `"` (or `\`), or below 0x20.
#[inline(always)]
fn plain_run(bytes: &[u8]) -> (usize, bool) {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut i = 0;
    let mut high = 0u64;
    while let Some(word) = bytes.get(i..i + 8) {
        let w = u64::from_le_bytes(word.try_into().expect("8 bytes"));
        let quote = w ^ (ONES * u64::from(b'"'));
        let backslash = w ^ (ONES * u64::from(b'\\'));
        // `(x - ONES) & !x & HIGH` flags the lowest zero byte of `x` exactly (higher flags may
        // be false positives from the borrow, but only above a true one); the same with
        // `0x20 * ONES` flags the lowest byte below 0x20.
        let found = ((quote.wrapping_sub(ONES) & !quote)
            | (backslash.wrapping_sub(ONES) & !backslash)
            | (w.wrapping_sub(ONES * 0x20) & !w))
            & HIGH;
        if found != 0 {
            let n = (found.trailing_zeros() / 8) as usize;
            // Only the bytes before the special one count for `high`.
            let mask = (1u64 << (8 * n)).wrapping_sub(1);
            high |= w & mask;
            return (i + n, high & HIGH != 0);
        }
        high |= w;
        i += 8;
    }
    if let Some(word) = bytes.get(i..i + 4) {
        // The same on four bytes.
        let w = u32::from_le_bytes(word.try_into().expect("4 bytes"));
        let found = special4(w);
        if found != 0 {
            let n = (found.trailing_zeros() / 8) as usize;
            let mask = (1u32 << (8 * n)).wrapping_sub(1);
            high |= u64::from(w & mask);
            return (i + n, high & HIGH != 0);
        }
        high |= u64::from(w);
        i += 4;
    }
    let mut high = u8::from(high & HIGH != 0) << 7;
    while i < bytes.len() && is_plain(bytes[i]) {
        high |= bytes[i];
        i += 1;
    }
    (i, high >= 0x80)
}

/// A resumable, incremental JSON parser: feed chunks with [`push`](Self::push), look at the
/// value so far with [`snapshot_ref`](Self::snapshot_ref) (or [`snapshot`](Self::snapshot)),
/// get the final value with [`finish`](Self::finish). See the [module documentation](self) for
/// the rules.
#[derive(Debug, Clone)]
pub struct PartialJson {
    state: State,
    /// The state the parser failed in (when `state` is `State::Failed`): what snapshots show.
    failed_in: State,
    /// Escape progress inside a string (`State::KeyEsc` or `State::StrEsc`; `Esc::None` in
    /// every other state).
    esc: Esc,
    /// Grammar position inside a number (`State::Number`).
    num_state: Num,
    /// The literal being read (`State::Literal`) and how many of its bytes arrived.
    lit: Lit,
    lit_pos: u8,
    /// Open containers, outermost first.
    frames: Vec<Frame>,
    /// The value shown, kept between snapshots; holds the completed top-level value.
    shown: Shown,
    /// The bytes of the string being read (escapes already decoded), when it spans chunks or
    /// has escapes; a string that starts and ends within one chunk without escapes is built
    /// directly from the chunk.
    str_buf: String,
    /// The first bytes of a UTF-8 character split across `push_bytes` chunks (held back).
    pending: [u8; 4],
    /// How many bytes of `pending` are in use (not 0 only in `State::KeyEsc` or
    /// `State::StrEsc`).
    pending_len: usize,
    /// The bytes of the number being read.
    num: Vec<u8>,
    /// Bytes consumed so far (the stream offset of the next byte).
    consumed: usize,
    max_depth: usize,
    error: Option<PartialJsonError>,
    items_at: Option<ItemsAt>,
    items: Vec<Value>,
    /// Whether the chunk being fed by the general path (`push_slow`, `push_between`) may
    /// have changed the snapshot: its `Pushed::changed`.
    changed: bool,
    /// By depth (the first `HINT_DEPTHS`), the size of the last container closed there (at
    /// most `MAX_HINT`): records in a list tend to have the same shape, so the next container
    /// there starts with that capacity instead of growing (and, for an object, rehashing) step
    /// by step.
    hints: [u8; HINT_DEPTHS],
}

/// The longest chunk [`PartialJson::push_between`] is tried on: a longer one almost surely
/// holds more than it takes.
const SMALL_CHUNK: usize = 8;

/// The largest capacity a container starts with from `PartialJson::hints`.
const MAX_HINT: usize = 32;

/// How many nesting levels `PartialJson::hints` covers (deeper containers start empty).
const HINT_DEPTHS: usize = 16;

/// From this length on, a string completed in `PartialJson::str_buf` takes the buffer itself
/// (shrunk to fit) instead of a copy, and a new buffer starts: copying a long text costs
/// about an instruction per byte, more than starting the next buffer again.
const TAKE_STR_BUF: usize = 4096;

/// The long string in `buf`, shrunk to fit; `buf` starts again with `STR_BUF_CAPACITY`.
#[cold]
#[inline(never)]
fn take_long(buf: &mut String) -> String {
    let mut text = std::mem::replace(buf, String::with_capacity(STR_BUF_CAPACITY));
    text.shrink_to_fit();
    text
}

/// The capacity `PartialJson::str_buf` starts with: most strings cut by chunks fit, so the
/// buffer rarely grows (each growth is a reallocation) in a short document.
const STR_BUF_CAPACITY: usize = 256;

impl Default for PartialJson {
    fn default() -> Self {
        Self::new()
    }
}

type Res<T> = Result<T, PartialJsonError>;

impl PartialJson {
    /// A parser with the [default depth limit](DEFAULT_MAX_DEPTH).
    pub fn new() -> Self {
        Self::with_max_depth(DEFAULT_MAX_DEPTH)
    }

    /// A parser that accepts at most `depth` nested arrays and objects (0 allows scalars
    /// only); deeper input is a [`TooDeep`](PartialJsonErrorKind::TooDeep) error.
    pub fn with_max_depth(depth: usize) -> Self {
        PartialJson {
            state: State::Start,
            failed_in: State::Start,
            esc: Esc::None,
            num_state: Num::Zero,
            lit: Lit::Null,
            lit_pos: 0,
            frames: Vec::new(),
            shown: Shown::default(),
            str_buf: String::with_capacity(STR_BUF_CAPACITY),
            pending: [0; 4],
            pending_len: 0,
            num: Vec::new(),
            consumed: 0,
            max_depth: depth,
            error: None,
            items_at: None,
            items: Vec::new(),
            changed: false,
            hints: [0; HINT_DEPTHS],
        }
    }

    /// Collect the elements of the array at `at` as they complete, for
    /// [`take_completed_items`](Self::take_completed_items). Call before pushing anything.
    pub fn with_items_at(mut self, at: ItemsAt) -> Self {
        self.items_at = Some(at);
        self
    }

    /// Feed the next chunk of the document.
    ///
    /// A `&str` chunk always holds whole characters; use [`push_bytes`](Self::push_bytes) when
    /// chunks may split a multi-byte character.
    // Always inlined: the fast path below is a few dozen instructions, cheaper than a call.
    #[inline(always)]
    pub fn push(&mut self, chunk: &str) -> Result<Pushed, PartialJsonError> {
        // The common case of a small chunk, kept small enough to inline: plain text inside a
        // string.
        if self.in_plain_string() {
            if all_plain(chunk.as_bytes(), false) {
                push_small(&mut self.str_buf, chunk);
                return Ok(self.pushed_plain(chunk.len()));
            }
            // Next, a small chunk with an escape or the string's end.
            if chunk.len() <= SMALL_CHUNK {
                self.changed = false;
                let ok = self.push_in_string(chunk);
                return self.pushed_general(ok);
            }
        } else if self.between_tokens() {
            // Next, white space between tokens (indentation), then a small chunk across a
            // token boundary.
            if all_ws(chunk.as_bytes()) {
                return Ok(self.pushed_ws(chunk.len()));
            }
            if chunk.len() <= SMALL_CHUNK {
                self.changed = false;
                let ok = self.push_between(chunk);
                return self.pushed_general(ok);
            }
        } else if self.state.in_escape() && chunk.len() <= SMALL_CHUNK {
            // The rest of an escape cut by the last chunk's end.
            self.changed = false;
            let ok = self.push_in_string(chunk);
            return self.pushed_general(ok);
        }
        self.changed = false;
        let ok = self.push_slow(chunk.as_bytes(), Some(chunk));
        self.pushed_general(ok)
    }

    /// Feed the next chunk of the document as raw bytes. A multi-byte UTF-8 character may be
    /// split across chunks: its first bytes are held back (not shown in snapshots) until the
    /// rest arrives.
    // Always inlined, like `push`: the fast path is a small chunk of ASCII text in a string.
    #[inline(always)]
    pub fn push_bytes(&mut self, chunk: &[u8]) -> Result<Pushed, PartialJsonError> {
        if chunk.len() <= 16 && self.in_plain_string() && all_plain(chunk, true) {
            push_ascii(&mut self.str_buf, chunk);
            return Ok(self.pushed_plain(chunk.len()));
        }
        self.push_bytes_general(chunk)
    }

    /// Everything but the fast path of [`push_bytes`](Self::push_bytes).
    #[inline(never)]
    fn push_bytes_general(&mut self, chunk: &[u8]) -> Res<Pushed> {
        if chunk.len() > 16 {
            // A large chunk of whole characters (the usual case) goes as a `&str`: one
            // validation of the chunk spares validating each string in it.
            if let Ok(text) = std::str::from_utf8(chunk) {
                return self.push(text);
            }
        }
        self.changed = false;
        let ok = self.push_slow(chunk, None);
        self.pushed_general(ok)
    }

    /// Whether the parser is in the plain text of a string (no escape under way, no partial
    /// character held back; not failed).
    #[inline]
    fn in_plain_string(&self) -> bool {
        matches!(self.state, State::Str | State::Key)
    }

    /// Accounts for `len` bytes of plain string text appended to `str_buf`.
    #[inline]
    fn pushed_plain(&mut self, len: usize) -> Pushed {
        self.consumed += len;
        Pushed {
            // (`self.changed` is the general path's: not kept up to date here.)
            changed: self.state == State::Str && len > 0,
            complete: false,
            items_ready: self.items.len(),
        }
    }

    /// Whether the parser is between tokens, where white space is skipped (not failed).
    #[inline]
    fn between_tokens(&self) -> bool {
        matches!(
            self.state,
            State::Start
                | State::ArrayFirst
                | State::ArrayNext
                | State::ObjectFirst
                | State::ObjectNext
                | State::Colon
                | State::MemberValue
                | State::AfterValue
                | State::Done
        )
    }

    /// Accounts for `len` bytes of white space between tokens.
    #[inline]
    fn pushed_ws(&mut self, len: usize) -> Pushed {
        self.consumed += len;
        Pushed {
            changed: false,
            complete: self.state == State::Done,
            items_ready: self.items.len(),
        }
    }

    /// The result of [`push_slow`](Self::push_slow) or [`push_between`](Self::push_between)
    /// (whether the chunk was accepted), built here from the parser's fields so that those
    /// return in a register.
    #[inline(always)]
    fn pushed_general(&self, ok: bool) -> Res<Pushed> {
        if ok {
            Ok(Pushed {
                changed: self.changed,
                complete: self.state == State::Done,
                items_ready: self.items.len(),
            })
        } else {
            Err(self.failure())
        }
    }

    /// The error the parser failed with (it has failed).
    #[cold]
    #[inline(never)]
    fn failure(&self) -> PartialJsonError {
        self.error.clone().expect("the parser failed")
    }

    /// A small `&str` chunk that starts between tokens: white space, `:`, `,` and the opening
    /// quote of a string with the plain text after it to the end of the chunk (the common
    /// chunk across a token boundary: `"na`, `, "na`, `: "Ad`), taken without the general
    /// path's loop and its cost per call. From the first byte it does not take (any other
    /// token, or a string with an escape or its end in the chunk), the rest goes to
    /// [`push_slow`](Self::push_slow). Sets `self.changed` when the snapshot may have changed
    /// (the caller clears it first).
    #[inline(never)]
    fn push_between(&mut self, chunk: &str) -> bool {
        let bytes = chunk.as_bytes();
        let mut state = self.state;
        let mut i = 0;
        while let Some(&b) = bytes.get(i) {
            if !is_ws(b) {
                match (state, b) {
                    (State::Colon, b':') => state = State::MemberValue,
                    (State::AfterValue, b',') => match self.frames.last() {
                        Some(Frame::Array(_)) => state = State::ArrayNext,
                        Some(Frame::Object { .. }) => state = State::ObjectNext,
                        None => break,
                    },
                    (
                        State::ObjectFirst
                        | State::ObjectNext
                        | State::Start
                        | State::ArrayFirst
                        | State::ArrayNext
                        | State::MemberValue,
                        b'"',
                    ) => {
                        // The string's text: taken here only if the chunk ends inside it (a
                        // byte loop: it is short), and if the buffer has room for it (it is
                        // empty between strings, starts with `STR_BUF_CAPACITY` and never
                        // shrinks; were it short, the general path would grow it).
                        // `i + 1` follows an ASCII quote: a character boundary.
                        let text = &chunk[i + 1..];
                        if !text.bytes().all(is_plain) || self.str_buf.capacity() < text.len() {
                            break;
                        }
                        let key = matches!(state, State::ObjectFirst | State::ObjectNext);
                        self.begin_string(key);
                        // A string value is shown as soon as it starts; a key is not.
                        if !key {
                            self.changed = true;
                        }
                        self.consumed += bytes.len();
                        self.str_buf.clear();
                        push_small(&mut self.str_buf, text);
                        return true;
                    }
                    _ => break,
                }
            }
            i += 1;
        }
        self.state = state;
        self.consumed += i;
        if i == bytes.len() {
            return true;
        }
        // Every byte taken is ASCII, so `i` is a character boundary.
        self.push_slow(&bytes[i..], Some(&chunk[i..]))
    }

    /// A small `&str` chunk inside a string (a key or a value): plain text and two-byte
    /// escapes (`\n`, `\"`, ...), perhaps cut after a backslash, or the second byte of an
    /// escape whose backslash ended the last chunk, then the string's end and what
    /// [`push_between`](Self::push_between) takes after it; without the general path's
    /// loop. From the first byte it does not take (`\u`, a control character, or what
    /// `push_between` does not take), the rest goes to [`push_slow`](Self::push_slow). Sets
    /// `self.changed` when the snapshot may have changed (the caller clears it first).
    #[inline(never)]
    fn push_in_string(&mut self, chunk: &str) -> bool {
        let bytes = chunk.as_bytes();
        let key = matches!(self.state, State::Key | State::KeyEsc);
        // What is appended is never longer than the chunk: room for all of it, or the general
        // path grows the buffer. A character held back (from `push_bytes`) is its business.
        if self.str_buf.capacity() - self.str_buf.len() < bytes.len() || self.pending_len != 0 {
            return self.push_slow(bytes, Some(chunk));
        }
        // (A string value's text is shown as it arrives: conservatively, `changed`.)
        if !key {
            self.changed = true;
        }
        let mut i = 0;
        if self.state.in_escape() {
            // The second byte of an escape whose backslash ended the last chunk.
            match bytes.first().copied().and_then(short_escape) {
                Some(ch) if self.esc == Esc::Backslash => {
                    self.str_buf.push(ch);
                    self.esc = Esc::None;
                    self.state = State::string(key, true);
                    i = 1;
                }
                _ => return self.push_slow(bytes, Some(chunk)),
            }
        }
        // `start` and `i` sit next to ASCII bytes or at the chunk's ends: character
        // boundaries.
        let mut start = i;
        while let Some(&b) = bytes.get(i) {
            if b == b'\\' {
                let Some(&e) = bytes.get(i + 1) else {
                    // Cut after the backslash: the escape waits for the next chunk.
                    push_small(&mut self.str_buf, &chunk[start..i]);
                    self.esc = Esc::Backslash;
                    self.state = State::string(key, false);
                    self.consumed += bytes.len();
                    return true;
                };
                let Some(ch) = short_escape(e) else { break };
                push_small(&mut self.str_buf, &chunk[start..i]);
                self.str_buf.push(ch);
                i += 2;
                start = i;
            } else if b == b'"' {
                // The string's end: the rest is between tokens.
                push_small(&mut self.str_buf, &chunk[start..i]);
                self.consumed += i + 1;
                self.end_string_here(key);
                return self.push_between(&chunk[i + 1..]);
            } else if b < 0x20 {
                break;
            } else {
                i += 1;
            }
        }
        push_small(&mut self.str_buf, &chunk[start..i]);
        self.consumed += i;
        if i == bytes.len() {
            return true;
        }
        self.push_slow(&bytes[i..], Some(&chunk[i..]))
    }

    /// [`end_string`](Self::end_string), out of line (for `push_in_string`).
    #[inline(never)]
    fn end_string_here(&mut self, key: bool) {
        self.end_string(key);
    }

    /// Everything but plain text inside a string ([`push`](Self::push)); `text` is `chunk` as
    /// a `&str` when the caller has it, which spares validating it. Returns whether the chunk
    /// was accepted; if not, the error is in `self.error`. Sets `self.changed` when the
    /// snapshot may have changed (the caller clears it first).
    #[inline(never)]
    fn push_slow(&mut self, chunk: &[u8], text: Option<&str>) -> bool {
        if self.error.is_some() {
            return false;
        }
        let base = self.consumed;
        let mut i = 0;
        match self.feed(chunk, text, base, &mut i) {
            Ok(()) => {
                self.consumed = base + chunk.len();
                true
            }
            Err(err) => {
                // The state is left as it was before the offending byte, for snapshots.
                self.consumed = base + i;
                self.error = Some(err);
                self.failed_in = self.state;
                self.state = State::Failed;
                false
            }
        }
    }

    /// Whether the top-level value is complete. A top-level number is complete only once a
    /// byte after it (whitespace) arrived, since more digits could follow; [`finish`](Self::finish)
    /// accepts it either way.
    pub fn is_complete(&self) -> bool {
        self.state == State::Done && self.error.is_none()
    }

    /// How many bytes were fed and accepted so far.
    pub fn consumed(&self) -> usize {
        self.consumed
    }

    /// The error the parser failed with, if it did.
    pub fn error(&self) -> Option<&PartialJsonError> {
        self.error.as_ref()
    }

    /// The text of the string value being written, if the parser is inside one (or failed
    /// inside one).
    fn open_str(&self) -> Option<&str> {
        let state = if self.state == State::Failed {
            self.failed_in
        } else {
            self.state
        };
        state.in_str_value().then_some(self.str_buf.as_str())
    }

    /// The value so far, under the rules of the [module documentation](self), by reference;
    /// `None` until something can be shown (before the first byte of a container or string,
    /// or while a top-level number or literal is incomplete). After an error, the value as it
    /// was just before the offending byte.
    ///
    /// The parser keeps the value it showed last and brings it up to date in place, so a call
    /// costs what changed since the previous one (the members and elements completed since,
    /// the new text of the string being written, and one step per open container), however
    /// large the value is. Use [`snapshot_version`](Self::snapshot_version) to tell whether
    /// it changed.
    pub fn snapshot_ref(&mut self) -> Option<&Value> {
        if self.shown.at == Some(self.consumed) {
            // Nothing arrived since the last call.
            return self.shown.tree.as_ref();
        }
        self.shown.at = Some(self.consumed);
        let open = self.open_str().map(|_| self.str_buf.as_str());
        self.shown.sync(&mut self.frames, open);
        self.shown.tree.as_ref()
    }

    /// A number that changes whenever the value returned by
    /// [`snapshot_ref`](Self::snapshot_ref) changes: two calls of `snapshot_ref` whose
    /// versions (read after each) are equal returned equal values. The converse holds too
    /// except in a document that repeats a key, where a value can change and change back
    /// between two calls. Starts at 0 (nothing shown).
    pub fn snapshot_version(&self) -> u64 {
        self.shown.version
    }

    /// The value so far as an owned copy: the value [`snapshot_ref`](Self::snapshot_ref)
    /// would return, without updating the one the parser keeps.
    ///
    /// Cost: one clone of the value so far, `O(size of the value)`.
    pub fn snapshot(&self) -> Option<Value> {
        let open = self.open_str();
        if self.frames.is_empty() && open.is_none() {
            return self.shown.tree.clone();
        }
        let mut shown = Shown {
            tree: self.shown.tree.clone(),
            synced: self.shown.synced,
            str_synced: self.shown.str_synced,
            dirty: false,
            version: 0,
            at: None,
        };
        shown.sync(&mut self.frames.clone(), open);
        shown.tree
    }

    /// The elements of the array chosen with [`with_items_at`](Self::with_items_at) that were
    /// completed since the last call, in order. Each element is returned exactly once; an
    /// element is complete when its last byte arrives (for an object, its closing brace; for
    /// a number, the byte after it). Always empty for a parser built without `with_items_at`.
    pub fn take_completed_items(&mut self) -> Vec<Value> {
        std::mem::take(&mut self.items)
    }

    /// End the stream: the complete value, or an error saying where the document was
    /// truncated (or the error the parser already failed with).
    pub fn finish(self) -> Result<Value, PartialJsonError> {
        let mut this = self;
        if let Some(err) = this.error.take() {
            return Err(err);
        }
        if this.state == State::Number && this.frames.is_empty() && this.num_state.is_final() {
            return this.number_value();
        }
        if this.state == State::Done {
            if let Some(root) = this.shown.tree.take() {
                return Ok(root);
            }
        }
        let inside = match this.state {
            State::Key | State::KeyEsc => Inside::ObjectKey,
            State::Str | State::StrEsc => Inside::String,
            State::Number => Inside::Number,
            State::Literal => Inside::Literal,
            _ => match this.frames.last() {
                None => Inside::Nothing,
                Some(Frame::Array(_)) => Inside::Array,
                Some(Frame::Object { .. }) => Inside::Object,
            },
        };
        Err(PartialJsonError {
            offset: this.consumed,
            kind: PartialJsonErrorKind::Truncated { inside },
        })
    }

    // ---------------------------------------------------------------------------------------
    // Internals.

    #[cold]
    #[inline(never)]
    fn err(&self, offset: usize, kind: PartialJsonErrorKind) -> PartialJsonError {
        PartialJsonError { offset, kind }
    }

    #[cold]
    #[inline(never)]
    fn unexpected(&self, offset: usize, found: u8, expected: &'static str) -> PartialJsonError {
        self.err(
            offset,
            PartialJsonErrorKind::UnexpectedByte { found, expected },
        )
    }

    /// Parses `chunk[*i..]`; on an error, `*i` is the offending byte's index.
    fn feed(&mut self, chunk: &[u8], text: Option<&str>, base: usize, i: &mut usize) -> Res<()> {
        let len = chunk.len();
        while *i < len {
            match self.state {
                State::Str | State::Key | State::StrEsc | State::KeyEsc => {
                    let key = matches!(self.state, State::Key | State::KeyEsc);
                    // (In `StrEsc` or `KeyEsc` with no escape under way, a character is held
                    // back: the scan completes it.)
                    if self.esc == Esc::None {
                        self.scan_string(chunk, text, base, i, key)?;
                    } else {
                        self.escape_byte(chunk[*i], base + *i, key)?;
                        *i += 1;
                    }
                }
                State::Failed => unreachable!("a failed parser takes no input"),
                State::Number => {
                    let b = chunk[*i];
                    if self.number_byte(b, base + *i)? {
                        *i += 1;
                        // Digits come in runs: take the rest of the run at once.
                        if matches!(self.num_state, Num::Int | Num::Frac | Num::Exp) {
                            let start = *i;
                            while *i < len && chunk[*i].is_ascii_digit() {
                                *i += 1;
                            }
                            self.num.extend_from_slice(&chunk[start..*i]);
                        }
                    }
                    // Otherwise the number ended and `b` is handled in the new state.
                }
                State::Literal => {
                    let lit = self.lit.text();
                    while *i < len && usize::from(self.lit_pos) < lit.len() {
                        let b = chunk[*i];
                        if b != lit[usize::from(self.lit_pos)] {
                            return Err(self.unexpected(base + *i, b, self.lit.expected()));
                        }
                        *i += 1;
                        self.lit_pos += 1;
                    }
                    if usize::from(self.lit_pos) == lit.len() {
                        self.complete_value(self.lit.value());
                    }
                }
                State::Start | State::ArrayNext | State::MemberValue | State::ArrayFirst => {
                    *i = skip_ws(chunk, *i);
                    let Some(&b) = chunk.get(*i) else { break };
                    if b == b']' && self.state == State::ArrayFirst {
                        self.close_container();
                    } else {
                        self.begin_value(b, base + *i)?;
                    }
                    *i += 1;
                }
                State::ObjectFirst | State::ObjectNext => {
                    *i = skip_ws(chunk, *i);
                    let Some(&b) = chunk.get(*i) else { break };
                    match b {
                        b'"' => self.begin_string(true),
                        b'}' if self.state == State::ObjectFirst => self.close_container(),
                        _ => {
                            let expected = if self.state == State::ObjectFirst {
                                "a key (string) or `}`"
                            } else {
                                "a key (string)"
                            };
                            return Err(self.unexpected(base + *i, b, expected));
                        }
                    }
                    *i += 1;
                }
                State::Colon => {
                    *i = skip_ws(chunk, *i);
                    let Some(&b) = chunk.get(*i) else { break };
                    if b != b':' {
                        return Err(self.unexpected(base + *i, b, "`:`"));
                    }
                    self.state = State::MemberValue;
                    *i += 1;
                }
                State::AfterValue | State::Done => {
                    *i = skip_ws(chunk, *i);
                    let Some(&b) = chunk.get(*i) else { break };
                    // One look at the innermost container (`unfit_after_value`, inlined).
                    let in_array = match self.frames.last() {
                        Some(Frame::Array(_)) => true,
                        Some(Frame::Object { .. }) => false,
                        None => {
                            return Err(
                                self.err(base + *i, PartialJsonErrorKind::TrailingCharacters)
                            )
                        }
                    };
                    match b {
                        b',' if in_array => self.state = State::ArrayNext,
                        b',' => self.state = State::ObjectNext,
                        b']' if in_array => self.close_container(),
                        b'}' if !in_array => self.close_container(),
                        _ if in_array => return Err(self.unexpected(base + *i, b, "`,` or `]`")),
                        _ => return Err(self.unexpected(base + *i, b, "`,` or `}`")),
                    }
                    *i += 1;
                }
            }
        }
        Ok(())
    }

    /// The error for `b` right after a complete value, if it cannot come there: anything but
    /// white space at the top level; anything but white space, `,` or the container's closing
    /// bracket inside one.
    fn unfit_after_value(&self, b: u8, offset: usize) -> Option<PartialJsonError> {
        if is_ws(b) {
            return None;
        }
        match self.frames.last() {
            None => Some(self.err(offset, PartialJsonErrorKind::TrailingCharacters)),
            Some(Frame::Array(_)) => {
                (!matches!(b, b',' | b']')).then(|| self.unexpected(offset, b, "`,` or `]`"))
            }
            Some(Frame::Object { .. }) => {
                (!matches!(b, b',' | b'}')).then(|| self.unexpected(offset, b, "`,` or `}`"))
            }
        }
    }

    /// Starts the value whose first byte is `b`.
    fn begin_value(&mut self, b: u8, offset: usize) -> Res<()> {
        match b {
            b'"' => {
                self.begin_string(false);
                self.changed = true;
            }
            b'{' | b'[' => {
                let depth = self.frames.len();
                if depth >= self.max_depth {
                    return Err(self.err(
                        offset,
                        PartialJsonErrorKind::TooDeep {
                            max_depth: self.max_depth,
                        },
                    ));
                }
                let hint = self.hints.get(depth).map_or(0, |&h| usize::from(h));
                if b == b'{' {
                    self.frames.push(Frame::Object {
                        map: Map::with_capacity(hint),
                        key: None,
                    });
                    self.state = State::ObjectFirst;
                } else {
                    self.frames.push(Frame::Array(Vec::with_capacity(hint)));
                    self.state = State::ArrayFirst;
                }
                self.changed = true;
            }
            b'-' | b'0'..=b'9' => {
                self.num.clear();
                self.num.push(b);
                self.num_state = match b {
                    b'-' => Num::Minus,
                    b'0' => Num::Zero,
                    _ => Num::Int,
                };
                self.state = State::Number;
            }
            b't' | b'f' | b'n' => {
                self.lit = match b {
                    b't' => Lit::True,
                    b'f' => Lit::False,
                    _ => Lit::Null,
                };
                self.lit_pos = 1;
                self.state = State::Literal;
            }
            _ => {
                let expected = if self.state == State::ArrayFirst {
                    "a value or `]`"
                } else {
                    "a value"
                };
                return Err(self.unexpected(offset, b, expected));
            }
        }
        Ok(())
    }

    fn begin_string(&mut self, key: bool) {
        debug_assert!(self.str_buf.is_empty() && self.shown.str_synced.is_none());
        self.pending_len = 0;
        self.esc = Esc::None;
        self.state = if key { State::Key } else { State::Str };
    }

    /// Reads plain string text from `chunk[*i..]` up to the next `"`, `\` or control byte, and
    /// handles that byte.
    fn scan_string(
        &mut self,
        chunk: &[u8],
        text: Option<&str>,
        base: usize,
        i: &mut usize,
        key: bool,
    ) -> Res<()> {
        loop {
            let start = *i;
            let (run, high) = plain_run(&chunk[start..]);
            let end = start + run;
            let stop = chunk.get(end).copied();
            if stop == Some(b'"')
                && self.str_buf.is_empty()
                && self.pending_len == 0
                && self.shown.str_synced.is_none()
            {
                // The whole string (or all of it but an empty start in an earlier chunk) is
                // here: build it directly, without going through `str_buf`.
                let whole = match text {
                    // `start` and `end` sit next to ASCII bytes or at the chunk's ends, so a
                    // `&str` chunk slices there on character boundaries.
                    Some(t) => t.get(start..end),
                    None => std::str::from_utf8(&chunk[start..end]).ok(),
                };
                if let Some(s) = whole {
                    *i = end + 1;
                    let s = s.to_owned();
                    if key {
                        self.set_key(s);
                    } else {
                        self.complete_value(Value::String(s));
                    }
                    return Ok(());
                }
            }
            *i = end;
            if run > 0 {
                self.append_run(
                    &chunk[start..end],
                    text.and_then(|t| t.get(start..end)),
                    high,
                    base + start,
                )?;
            }
            let Some(c) = stop else {
                // The chunk ends inside the string.
                return Ok(());
            };
            let offset = base + end;
            if self.pending_len != 0 {
                // A multi-byte character cut short by a quote, backslash or control byte.
                return Err(self.err(
                    offset.saturating_sub(self.pending_len),
                    PartialJsonErrorKind::InvalidUtf8,
                ));
            }
            match c {
                b'"' => {
                    *i = end + 1;
                    self.end_string(key);
                    return Ok(());
                }
                b'\\' => {
                    // A two-byte escape with both bytes here is decoded on the spot, and the
                    // scan goes on; anything else (`\u`, an escape cut by the chunk's end, an
                    // invalid one) goes byte by byte through `escape_byte`.
                    if let Some(ch) = chunk.get(end + 1).copied().and_then(short_escape) {
                        // (The state stays the plain one: no `push_char`.)
                        self.str_buf.push(ch);
                        if !key {
                            self.changed = true;
                        }
                        *i = end + 2;
                        continue;
                    }
                    *i = end + 1;
                    self.esc = Esc::Backslash;
                    self.state = State::string(key, false);
                    return Ok(());
                }
                _ => {
                    return Err(self.err(offset, PartialJsonErrorKind::ControlCharacterInString(c)));
                }
            }
        }
    }

    /// Appends a non-empty run of plain string bytes `seg` (`valid`: the same as a `&str`,
    /// when the caller has it; `high`: it has bytes outside ASCII), which starts at stream
    /// offset `offset`, to `str_buf`.
    #[inline]
    fn append_run(
        &mut self,
        seg: &[u8],
        valid: Option<&str>,
        high: bool,
        offset: usize,
    ) -> Res<()> {
        if self.state.in_str_value() {
            self.changed = true;
        }
        if self.pending_len == 0 {
            if let Some(valid) = valid {
                push_small(&mut self.str_buf, valid);
                return Ok(());
            }
            if !high {
                push_ascii(&mut self.str_buf, seg);
                return Ok(());
            }
        }
        self.append_raw(seg, offset)
    }

    fn set_key(&mut self, text: String) {
        if let Some(Frame::Object { key, .. }) = self.frames.last_mut() {
            *key = Some(text);
        }
        self.state = State::Colon;
    }

    #[inline(always)]
    fn end_string(&mut self, key: bool) {
        if !key {
            if let Some(n) = self.shown.str_synced.take() {
                // The string is shown: complete its shown copy.
                let watched = self.is_watched_array();
                let slot = navigate(&mut self.shown.tree, &self.frames);
                if let Value::String(s) = &mut *slot {
                    if self.str_buf.len() > n {
                        s.push_str(&self.str_buf[n..]);
                        self.shown.dirty = true;
                    }
                }
                if watched {
                    self.items.push(slot.clone());
                }
                self.str_buf.clear();
                self.completed_in_tree();
                return;
            }
        }
        let text = if self.str_buf.len() < TAKE_STR_BUF {
            // Copy out (an exact-size allocation) and keep the buffer's capacity for the next
            // string.
            let text = self.str_buf.as_str().to_owned();
            self.str_buf.clear();
            text
        } else {
            take_long(&mut self.str_buf)
        };
        if key {
            self.set_key(text);
        } else {
            self.complete_value(Value::String(text));
        }
    }

    /// Appends raw string bytes that start at stream offset `offset`, validating them as UTF-8
    /// and holding back a character that is cut at the end (see `pending`).
    #[inline(never)]
    fn append_raw(&mut self, mut seg: &[u8], mut offset: usize) -> Res<()> {
        if self.pending_len != 0 {
            // Complete the held-back character with the first bytes of `seg`.
            let held = self.pending_len;
            let take = seg.len().min(4 - held);
            let mut joined = [0u8; 7];
            joined[..held].copy_from_slice(&self.pending[..held]);
            joined[held..held + take].copy_from_slice(&seg[..take]);
            let joined = &joined[..held + take];
            let (valid, error_len) = match std::str::from_utf8(joined) {
                Ok(_) => (joined.len(), None),
                Err(e) => (e.valid_up_to(), e.error_len()),
            };
            if valid >= held {
                // The held-back character is complete: keep it (and what follows it).
                let done = std::str::from_utf8(&joined[..valid]).unwrap_or_default();
                self.str_buf.push_str(done);
                self.pending_len = 0;
                seg = &seg[valid - held..];
                offset += valid - held;
            } else if error_len.is_none() {
                // Still incomplete: `seg` was too short to finish it.
                self.pending[..joined.len()].copy_from_slice(joined);
                self.pending_len = joined.len();
                self.pending_changed();
                return Ok(());
            } else {
                return Err(self.err(
                    offset.saturating_sub(held),
                    PartialJsonErrorKind::InvalidUtf8,
                ));
            }
        }
        match std::str::from_utf8(seg) {
            Ok(valid) => self.str_buf.push_str(valid),
            Err(e) => {
                let valid = e.valid_up_to();
                self.str_buf
                    .push_str(std::str::from_utf8(&seg[..valid]).unwrap_or_default());
                if e.error_len().is_some() {
                    return Err(self.err(offset + valid, PartialJsonErrorKind::InvalidUtf8));
                }
                let rest = &seg[valid..];
                self.pending[..rest.len()].copy_from_slice(rest);
                self.pending_len = rest.len();
            }
        }
        self.pending_changed();
        Ok(())
    }

    /// Keeps the string state in step with `pending_len`: `State::KeyEsc` or
    /// `State::StrEsc` while a character is held back, `State::Key` or `State::Str` once not.
    fn pending_changed(&mut self) {
        let key = matches!(self.state, State::Key | State::KeyEsc);
        self.state = State::string(key, self.pending_len == 0);
    }

    fn push_char(&mut self, ch: char, key: bool) {
        self.str_buf.push(ch);
        self.esc = Esc::None;
        self.state = State::string(key, true);
        if !key {
            self.changed = true;
        }
    }

    /// One byte of an escape sequence.
    #[inline(never)]
    fn escape_byte(&mut self, b: u8, offset: usize, key: bool) -> Res<()> {
        match self.esc {
            Esc::None => {}
            Esc::Backslash => {
                if b == b'u' {
                    self.esc = Esc::Hex { n: 0, acc: 0 };
                    return Ok(());
                }
                let Some(ch) = short_escape(b) else {
                    return Err(self.err(offset, PartialJsonErrorKind::InvalidEscape(b)));
                };
                self.push_char(ch, key);
            }
            Esc::Hex { n, acc } => {
                let Some(d) = hex_val(b) else {
                    return Err(self.err(offset, PartialJsonErrorKind::InvalidHexEscape(b)));
                };
                let acc = (acc << 4) | d;
                if n < 3 {
                    self.esc = Esc::Hex { n: n + 1, acc };
                } else if (0xD800..0xDC00).contains(&acc) {
                    self.esc = Esc::LowBackslash { hi: acc };
                } else if let Some(ch) = char::from_u32(u32::from(acc)) {
                    self.push_char(ch, key);
                } else {
                    // A low surrogate without a high one.
                    return Err(self.err(offset, PartialJsonErrorKind::LoneSurrogate));
                }
            }
            Esc::LowBackslash { hi } => {
                if b != b'\\' {
                    return Err(self.err(offset, PartialJsonErrorKind::LoneSurrogate));
                }
                self.esc = Esc::LowU { hi };
            }
            Esc::LowU { hi } => {
                if b != b'u' {
                    return Err(self.err(offset, PartialJsonErrorKind::LoneSurrogate));
                }
                self.esc = Esc::LowHex { hi, n: 0, acc: 0 };
            }
            Esc::LowHex { hi, n, acc } => {
                let Some(d) = hex_val(b) else {
                    return Err(self.err(offset, PartialJsonErrorKind::InvalidHexEscape(b)));
                };
                let acc = (acc << 4) | d;
                if n < 3 {
                    self.esc = Esc::LowHex { hi, n: n + 1, acc };
                } else if (0xDC00..0xE000).contains(&acc) {
                    let cp = 0x10000 + ((u32::from(hi) - 0xD800) << 10) + (u32::from(acc) - 0xDC00);
                    match char::from_u32(cp) {
                        Some(ch) => self.push_char(ch, key),
                        None => return Err(self.err(offset, PartialJsonErrorKind::LoneSurrogate)),
                    }
                } else {
                    return Err(self.err(offset, PartialJsonErrorKind::LoneSurrogate));
                }
            }
        }
        Ok(())
    }

    /// One byte while in a number. Returns whether `b` belonged to the number; if not, the
    /// number was completed (or was invalid) and `b` must be handled in the new state.
    fn number_byte(&mut self, b: u8, offset: usize) -> Res<bool> {
        let next = match (self.num_state, b) {
            (Num::Minus, b'0') => Num::Zero,
            (Num::Minus, b'1'..=b'9') => Num::Int,
            (Num::Minus, _) => return Err(self.unexpected(offset, b, "a digit")),
            (Num::Zero, b'0'..=b'9') => {
                return Err(self.unexpected(
                    offset,
                    b,
                    "`.`, `e` or the end of the number after a leading zero",
                ))
            }
            (Num::Int, b'0'..=b'9') => Num::Int,
            (Num::Zero | Num::Int, b'.') => Num::Dot,
            (Num::Zero | Num::Int | Num::Frac, b'e' | b'E') => Num::E,
            (Num::Dot, b'0'..=b'9') | (Num::Frac, b'0'..=b'9') => Num::Frac,
            (Num::Dot, _) => return Err(self.unexpected(offset, b, "a digit after `.`")),
            (Num::E, b'+' | b'-') => Num::ESign,
            (Num::E | Num::ESign | Num::Exp, b'0'..=b'9') => Num::Exp,
            (Num::E | Num::ESign, _) => {
                return Err(self.unexpected(offset, b, "a digit in the exponent"))
            }
            (Num::Zero | Num::Int | Num::Frac | Num::Exp, _) => {
                // The number ended before `b`. If `b` cannot follow a value here, the number
                // stays unshown: the snapshot after the error is the value before `b`.
                if let Some(e) = self.unfit_after_value(b, offset) {
                    return Err(e);
                }
                let value = self.number_value_at(offset)?;
                self.complete_value(value);
                return Ok(false);
            }
        };
        self.num.push(b);
        self.num_state = next;
        Ok(true)
    }

    fn number_value(&self) -> Res<Value> {
        self.number_value_at(self.consumed)
    }

    /// The value of the complete number in `self.num`; `end` is the offset just after it.
    fn number_value_at(&self, end: usize) -> Res<Value> {
        let digits = &self.num;
        let (negative, body) = match digits.split_first() {
            Some((b'-', rest)) => (true, rest),
            _ => (false, &digits[..]),
        };
        // Fast path for plain integers; serde_json gives the same results for them.
        if body.len() <= 18 && !body.is_empty() && body.iter().all(u8::is_ascii_digit) {
            let mut n: u64 = 0;
            for &d in body {
                n = n * 10 + u64::from(d - b'0');
            }
            if !negative {
                return Ok(Value::Number(Number::from(n)));
            }
            if n != 0 {
                // n < 10^18 < i64::MAX, so the cast and negation are exact.
                return Ok(Value::Number(Number::from(-(n as i64))));
            }
        }
        // Everything else (fractions, exponents, big integers, `-0`) goes through serde_json's
        // own number parser (what `from_slice` uses), so that the result is bit-for-bit the
        // one `serde_json::from_slice` gives.
        match std::str::from_utf8(digits).map(str::parse::<Number>) {
            Ok(Ok(n)) => Ok(Value::Number(n)),
            _ => Err(self.err(
                end.saturating_sub(digits.len()),
                PartialJsonErrorKind::NumberOutOfRange,
            )),
        }
    }

    /// Attaches a completed value to its parent (or makes it the root).
    #[inline(always)]
    fn complete_value(&mut self, value: Value) {
        self.changed = true;
        if self.items_at.is_some() && self.is_watched_array() {
            self.items.push(value.clone());
        }
        match self.frames.last_mut() {
            None => {
                self.shown.tree = Some(value);
                self.shown.dirty = true;
                self.state = State::Done;
            }
            Some(Frame::Array(items)) => {
                items.push(value);
                self.state = State::AfterValue;
            }
            Some(Frame::Object { map, key }) => {
                if let Some(key) = key.take() {
                    map.insert(key, value);
                }
                self.state = State::AfterValue;
            }
        }
    }

    /// The innermost open container's child, shown and now complete in the tree, is done.
    fn completed_in_tree(&mut self) {
        self.changed = true;
        match self.frames.last_mut() {
            None => self.state = State::Done,
            Some(Frame::Array(_)) => self.state = State::AfterValue,
            Some(Frame::Object { key, .. }) => {
                *key = None;
                self.state = State::AfterValue;
            }
        }
    }

    /// Whether the innermost open container is the array chosen with `with_items_at`.
    fn is_watched_array(&self) -> bool {
        match (&self.items_at, self.frames.as_slice()) {
            (Some(ItemsAt::Root), [Frame::Array(_)]) => true,
            (Some(ItemsAt::Key(want)), [Frame::Object { key: Some(k), .. }, Frame::Array(_)]) => {
                k == want
            }
            _ => false,
        }
    }

    /// Closes the innermost container and attaches it to its parent.
    #[inline(always)]
    fn close_container(&mut self) {
        let Some(mut frame) = self.frames.pop() else {
            return;
        };
        let depth = self.frames.len();
        if depth < self.shown.synced {
            self.close_shown(frame);
            return;
        }
        // Not shown: the frame holds the whole container.
        let len = match &frame {
            Frame::Array(items) => items.len(),
            Frame::Object { map, .. } => map.len(),
        };
        if let Some(hint) = self.hints.get_mut(depth) {
            // At most `MAX_HINT`, so it fits a byte.
            *hint = len.min(MAX_HINT) as u8;
        }
        let value = frame.take_value();
        self.complete_value(value);
    }

    /// Closes `frame`, just popped, whose container is shown: moves the children completed
    /// since into its shown copy.
    #[inline(never)]
    fn close_shown(&mut self, mut frame: Frame) {
        let depth = self.frames.len();
        self.shown.synced = depth;
        let watched = self.items_at.is_some() && self.is_watched_array();
        let slot = navigate(&mut self.shown.tree, &self.frames);
        if frame.drain_into(slot) {
            self.shown.dirty = true;
        }
        if watched {
            self.items.push(slot.clone());
        }
        self.completed_in_tree();
    }
}
