//! An incremental JSON parser for partial model output.
//!
//! Models stream a JSON document in small chunks. [`PartialJson`] consumes those chunks one at a
//! time, resuming exactly where the previous chunk stopped, and can show at any point a
//! [`snapshot`](PartialJson::snapshot) of "the value so far" as a [`serde_json::Value`]. Each input
//! byte is looked at once, so a document of `n` bytes costs `O(n)` to parse however it is
//! chunked; a snapshot costs `O(size of the value so far)`, independent of how many bytes or
//! chunks were fed.
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
//! assert_eq!(parser.snapshot(), Some(json!({"name": "Ada Lovelace"})));
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

/// An open container and the children completed in it so far.
#[derive(Debug, Clone)]
enum Frame {
    Array(Vec<Value>),
    Object {
        map: Map<String, Value>,
        /// The key of the member being written, once its closing quote arrived.
        key: Option<String>,
    },
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
    /// Inside a string; `key` tells an object key from a string value.
    Str { key: bool, esc: Esc },
    /// Inside a number; its bytes are in `num`.
    Number(Num),
    /// Inside `true`, `false` or `null`, `pos` bytes in.
    Literal { lit: Lit, pos: u8 },
    /// The top-level value is complete; only whitespace may follow.
    Done,
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

#[inline]
fn hex_val(b: u8) -> Option<u16> {
    match b {
        b'0'..=b'9' => Some(u16::from(b - b'0')),
        b'a'..=b'f' => Some(u16::from(b - b'a' + 10)),
        b'A'..=b'F' => Some(u16::from(b - b'A' + 10)),
        _ => None,
    }
}

/// A resumable, incremental JSON parser: feed chunks with [`push`](Self::push), look at the
/// value so far with [`snapshot`](Self::snapshot), get the final value with
/// [`finish`](Self::finish). See the [module documentation](self) for the rules.
#[derive(Debug, Clone)]
pub struct PartialJson {
    state: State,
    /// Open containers, outermost first.
    frames: Vec<Frame>,
    /// The completed top-level value.
    root: Option<Value>,
    /// The bytes of the string being read (escapes already decoded).
    str_buf: String,
    /// The first bytes of a UTF-8 character split across `push_bytes` chunks (held back).
    pending: [u8; 4],
    /// How many bytes of `pending` are in use.
    pending_len: usize,
    /// The bytes of the number being read.
    num: Vec<u8>,
    /// Bytes consumed so far (the stream offset of the next byte).
    consumed: usize,
    max_depth: usize,
    error: Option<PartialJsonError>,
    items_at: Option<ItemsAt>,
    items: Vec<Value>,
    changed: bool,
}

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
            frames: Vec::new(),
            root: None,
            str_buf: String::new(),
            pending: [0; 4],
            pending_len: 0,
            num: Vec::new(),
            consumed: 0,
            max_depth: depth,
            error: None,
            items_at: None,
            items: Vec::new(),
            changed: false,
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
    pub fn push(&mut self, chunk: &str) -> Result<Pushed, PartialJsonError> {
        self.push_inner(chunk.as_bytes(), Some(chunk))
    }

    /// Feed the next chunk of the document as raw bytes. A multi-byte UTF-8 character may be
    /// split across chunks: its first bytes are held back (not shown in snapshots) until the
    /// rest arrives.
    pub fn push_bytes(&mut self, chunk: &[u8]) -> Result<Pushed, PartialJsonError> {
        self.push_inner(chunk, None)
    }

    /// `text` is `chunk` as a `&str` when the caller has it, which spares validating it.
    fn push_inner(&mut self, chunk: &[u8], text: Option<&str>) -> Res<Pushed> {
        if let Some(err) = &self.error {
            return Err(err.clone());
        }
        self.changed = false;
        if let Err(err) = self.feed(chunk, text) {
            // The state is left as it was before the offending byte, for `snapshot`.
            self.error = Some(err.clone());
            return Err(err);
        }
        Ok(Pushed {
            changed: self.changed,
            complete: self.is_complete(),
            items_ready: self.items.len(),
        })
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

    /// The value so far, under the rules of the [module documentation](self); `None` until
    /// something can be shown (before the first byte of a container or string, or while a
    /// top-level number or literal is incomplete). After an error, the value as it was just
    /// before the offending byte.
    ///
    /// Cost: one clone of the value so far, `O(size of the value)`.
    pub fn snapshot(&self) -> Option<Value> {
        if let Some(root) = &self.root {
            return Some(root.clone());
        }
        let mut cur = match self.state {
            State::Str { key: false, .. } => Some(Value::String(self.partial_string())),
            _ => None,
        };
        for frame in self.frames.iter().rev() {
            cur = Some(match frame {
                Frame::Array(items) => {
                    let mut items = items.clone();
                    items.extend(cur);
                    Value::Array(items)
                }
                Frame::Object { map, key } => {
                    let mut map = map.clone();
                    if let (Some(key), Some(cur)) = (key, cur) {
                        map.insert(key.clone(), cur);
                    }
                    Value::Object(map)
                }
            });
        }
        cur
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
        if let State::Number(num) = this.state {
            if this.frames.is_empty() && num.is_final() {
                let value = this.number_value()?;
                return Ok(value);
            }
        }
        if let Some(root) = this.root.take() {
            return Ok(root);
        }
        let inside = match this.state {
            State::Str { key: true, .. } => Inside::ObjectKey,
            State::Str { key: false, .. } => Inside::String,
            State::Number(_) => Inside::Number,
            State::Literal { .. } => Inside::Literal,
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

    fn partial_string(&self) -> String {
        self.str_buf.clone()
    }

    fn err(&self, offset: usize, kind: PartialJsonErrorKind) -> PartialJsonError {
        PartialJsonError { offset, kind }
    }

    fn unexpected(&self, offset: usize, found: u8, expected: &'static str) -> PartialJsonError {
        self.err(
            offset,
            PartialJsonErrorKind::UnexpectedByte { found, expected },
        )
    }

    /// Parses the bytes of `chunk`, updating `self.consumed` as it goes.
    fn feed(&mut self, chunk: &[u8], text: Option<&str>) -> Res<()> {
        let base = self.consumed;
        let len = chunk.len();
        let mut i = 0;
        // `self.consumed` is set on every exit so error offsets and `consumed()` agree.
        let result = self.feed_inner(chunk, text, base, &mut i);
        self.consumed = base + if result.is_ok() { len } else { i };
        result
    }

    fn feed_inner(
        &mut self,
        chunk: &[u8],
        text: Option<&str>,
        base: usize,
        i: &mut usize,
    ) -> Res<()> {
        let len = chunk.len();
        while *i < len {
            let b = chunk[*i];
            match self.state {
                State::Str { key, esc } => {
                    if esc == Esc::None {
                        self.scan_string(chunk, text, base, i, key)?;
                    } else {
                        self.escape_byte(b, base + *i, key, esc)?;
                        *i += 1;
                    }
                }
                State::Number(num) => {
                    if self.number_byte(num, b, base + *i)? {
                        *i += 1;
                        // Digits come in runs: take the rest of the run at once.
                        if matches!(self.state, State::Number(Num::Int | Num::Frac | Num::Exp)) {
                            let start = *i;
                            while *i < len && chunk[*i].is_ascii_digit() {
                                *i += 1;
                            }
                            self.num.extend_from_slice(&chunk[start..*i]);
                        }
                    }
                    // Otherwise the number ended and `b` is handled in the new state.
                }
                State::Literal { lit, pos } => {
                    let text = lit.text();
                    if b != text[usize::from(pos)] {
                        return Err(self.unexpected(base + *i, b, lit.expected()));
                    }
                    *i += 1;
                    let pos = pos + 1;
                    if usize::from(pos) == text.len() {
                        self.complete_value(lit.value());
                    } else {
                        self.state = State::Literal { lit, pos };
                    }
                }
                State::Start | State::ArrayNext | State::MemberValue => {
                    if is_ws(b) {
                        *i += 1;
                        continue;
                    }
                    self.begin_value(b, base + *i)?;
                    *i += 1;
                }
                State::ArrayFirst => {
                    if is_ws(b) {
                        *i += 1;
                        continue;
                    }
                    if b == b']' {
                        self.close_container();
                    } else {
                        self.begin_value(b, base + *i)?;
                    }
                    *i += 1;
                }
                State::ObjectFirst | State::ObjectNext => {
                    if is_ws(b) {
                        *i += 1;
                        continue;
                    }
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
                    if is_ws(b) {
                        *i += 1;
                        continue;
                    }
                    if b != b':' {
                        return Err(self.unexpected(base + *i, b, "`:`"));
                    }
                    self.state = State::MemberValue;
                    *i += 1;
                }
                State::AfterValue | State::Done => {
                    if let Some(e) = self.unfit_after_value(b, base + *i) {
                        return Err(e);
                    }
                    match (b, self.frames.last()) {
                        (b',', Some(Frame::Array(_))) => self.state = State::ArrayNext,
                        (b',', Some(Frame::Object { .. })) => self.state = State::ObjectNext,
                        (b']' | b'}', Some(_)) => self.close_container(),
                        _ => {} // white space
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
            b'{' | b'[' => {
                if self.frames.len() >= self.max_depth {
                    return Err(self.err(
                        offset,
                        PartialJsonErrorKind::TooDeep {
                            max_depth: self.max_depth,
                        },
                    ));
                }
                if b == b'{' {
                    self.frames.push(Frame::Object {
                        map: Map::new(),
                        key: None,
                    });
                    self.state = State::ObjectFirst;
                } else {
                    self.frames.push(Frame::Array(Vec::new()));
                    self.state = State::ArrayFirst;
                }
                self.changed = true;
            }
            b'"' => {
                self.begin_string(false);
                self.changed = true;
            }
            b'-' => {
                self.num.clear();
                self.num.push(b);
                self.state = State::Number(Num::Minus);
            }
            b'0'..=b'9' => {
                self.num.clear();
                self.num.push(b);
                self.state = State::Number(if b == b'0' { Num::Zero } else { Num::Int });
            }
            b't' => {
                self.state = State::Literal {
                    lit: Lit::True,
                    pos: 1,
                }
            }
            b'f' => {
                self.state = State::Literal {
                    lit: Lit::False,
                    pos: 1,
                }
            }
            b'n' => {
                self.state = State::Literal {
                    lit: Lit::Null,
                    pos: 1,
                }
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
        self.str_buf.clear();
        self.pending_len = 0;
        self.state = State::Str {
            key,
            esc: Esc::None,
        };
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
        let start = *i;
        let len = chunk.len();
        let mut high = 0u8;
        while *i < len {
            let c = chunk[*i];
            if c == b'"' || c == b'\\' || c < 0x20 {
                break;
            }
            high |= c;
            *i += 1;
        }
        if *i > start {
            // `start` and `*i` sit next to ASCII bytes or at the chunk's ends, so a `&str`
            // chunk slices there on character boundaries and needs no validation.
            let seg = &chunk[start..*i];
            match text.and_then(|t| t.get(start..*i)) {
                Some(valid) if self.pending_len == 0 => self.str_buf.push_str(valid),
                _ if high < 0x80 && self.pending_len == 0 && seg.len() <= 16 => {
                    // Short ASCII runs (small chunks): cheaper than a validation call.
                    self.str_buf.extend(seg.iter().map(|&b| char::from(b)));
                }
                _ => self.append_raw(seg, base + start)?,
            }
            if !key {
                self.changed = true;
            }
        }
        if *i == len {
            return Ok(());
        }
        let c = chunk[*i];
        let offset = base + *i;
        if self.pending_len != 0 {
            // A multi-byte character cut short by a quote, backslash or control byte.
            return Err(self.err(
                offset.saturating_sub(self.pending_len),
                PartialJsonErrorKind::InvalidUtf8,
            ));
        }
        match c {
            b'"' => {
                *i += 1;
                self.end_string(key);
            }
            b'\\' => {
                *i += 1;
                self.state = State::Str {
                    key,
                    esc: Esc::Backslash,
                };
            }
            _ => {
                return Err(self.err(offset, PartialJsonErrorKind::ControlCharacterInString(c)));
            }
        }
        Ok(())
    }

    fn end_string(&mut self, key: bool) {
        // Copy out (an exact-size allocation) and keep the buffer's capacity for the next string.
        let text = self.str_buf.as_str().to_owned();
        self.str_buf.clear();
        if key {
            if let Some(Frame::Object { key, .. }) = self.frames.last_mut() {
                *key = Some(text);
            }
            self.state = State::Colon;
        } else {
            self.complete_value(Value::String(text));
        }
    }

    /// Appends raw string bytes that start at stream offset `offset`, validating them as UTF-8
    /// and holding back a character that is cut at the end (see `pending`).
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
        Ok(())
    }

    fn push_char(&mut self, ch: char, key: bool) {
        self.str_buf.push(ch);
        self.state = State::Str {
            key,
            esc: Esc::None,
        };
        if !key {
            self.changed = true;
        }
    }

    /// One byte of an escape sequence.
    fn escape_byte(&mut self, b: u8, offset: usize, key: bool, esc: Esc) -> Res<()> {
        let set = |this: &mut Self, esc: Esc| this.state = State::Str { key, esc };
        match esc {
            Esc::None => {}
            Esc::Backslash => {
                let ch = match b {
                    b'"' => '"',
                    b'\\' => '\\',
                    b'/' => '/',
                    b'b' => '\u{8}',
                    b'f' => '\u{c}',
                    b'n' => '\n',
                    b'r' => '\r',
                    b't' => '\t',
                    b'u' => {
                        set(self, Esc::Hex { n: 0, acc: 0 });
                        return Ok(());
                    }
                    _ => return Err(self.err(offset, PartialJsonErrorKind::InvalidEscape(b))),
                };
                self.push_char(ch, key);
            }
            Esc::Hex { n, acc } => {
                let Some(d) = hex_val(b) else {
                    return Err(self.err(offset, PartialJsonErrorKind::InvalidHexEscape(b)));
                };
                let acc = (acc << 4) | d;
                if n < 3 {
                    set(self, Esc::Hex { n: n + 1, acc });
                } else if (0xD800..0xDC00).contains(&acc) {
                    set(self, Esc::LowBackslash { hi: acc });
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
                set(self, Esc::LowU { hi });
            }
            Esc::LowU { hi } => {
                if b != b'u' {
                    return Err(self.err(offset, PartialJsonErrorKind::LoneSurrogate));
                }
                set(self, Esc::LowHex { hi, n: 0, acc: 0 });
            }
            Esc::LowHex { hi, n, acc } => {
                let Some(d) = hex_val(b) else {
                    return Err(self.err(offset, PartialJsonErrorKind::InvalidHexEscape(b)));
                };
                let acc = (acc << 4) | d;
                if n < 3 {
                    set(self, Esc::LowHex { hi, n: n + 1, acc });
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
    fn number_byte(&mut self, num: Num, b: u8, offset: usize) -> Res<bool> {
        let next = match (num, b) {
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
        self.state = State::Number(next);
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
        // Everything else (fractions, exponents, big integers, `-0`) goes through serde_json
        // so that the result is bit-for-bit the one `serde_json::from_slice` gives.
        match serde_json::from_slice::<Value>(digits) {
            Ok(value) => Ok(value),
            Err(_) => Err(self.err(
                end.saturating_sub(digits.len()),
                PartialJsonErrorKind::NumberOutOfRange,
            )),
        }
    }

    /// Attaches a completed value to its parent (or makes it the root).
    fn complete_value(&mut self, value: Value) {
        self.changed = true;
        if self.items_at.is_some() && self.is_watched_array() {
            self.items.push(value.clone());
        }
        match self.frames.last_mut() {
            None => {
                self.root = Some(value);
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
    fn close_container(&mut self) {
        let value = match self.frames.pop() {
            Some(Frame::Array(items)) => Value::Array(items),
            Some(Frame::Object { map, .. }) => Value::Object(map),
            None => return,
        };
        self.complete_value(value);
    }
}
