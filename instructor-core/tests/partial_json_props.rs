//! Property tests of the incremental JSON parser.
//!
//! - Random JSON documents (unicode strings written with random escapes, numbers with signs,
//!   fractions and exponents, random whitespace), split at random points: the final value is
//!   `serde_json::from_str` of the whole, and every snapshot on the way is a prefix-consistent
//!   partial of the final value and of the next snapshot.
//! - The value kept by `snapshot_ref`, brought up to date at random points, is always the
//!   snapshot a parser never looked at that way shows, and its version changes exactly when it
//!   does.
//! - The "many objects" helper yields each element of the items array exactly once, in order.
//! - Fuzzing (proptest is the fuzzer here: cargo-fuzz needs a nightly toolchain and a separate
//!   crate): arbitrary bytes, arbitrary strings and mutated valid documents never panic, and the
//!   parser accepts exactly what `serde_json::from_slice` accepts, with the same value.

use instructor_core::partial_json::{ItemsAt, PartialJson, PartialJsonError};
use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::Value;

/// A JSON document as a tree, with numbers kept as their text so that every number syntax
/// can be written.
#[derive(Debug, Clone)]
enum J {
    Null,
    Bool(bool),
    Num(String),
    Str(String),
    Arr(Vec<J>),
    Obj(Vec<(String, J)>),
}

/// A small deterministic generator for the writer's choices (escape style, whitespace).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

fn write_ws(out: &mut String, rng: &mut Rng, ws_percent: u64) {
    while rng.chance(ws_percent) {
        out.push([' ', '\n', '\t', '\r'][(rng.next() % 4) as usize]);
    }
}

fn write_u_escape(out: &mut String, unit: u16, rng: &mut Rng) {
    if rng.chance(50) {
        out.push_str(&format!("\\u{unit:04x}"));
    } else {
        out.push_str(&format!("\\u{unit:04X}"));
    }
}

fn write_str(out: &mut String, s: &str, rng: &mut Rng) {
    out.push('"');
    for ch in s.chars() {
        let short = match ch {
            '"' => Some("\\\""),
            '\\' => Some("\\\\"),
            '\n' => Some("\\n"),
            '\r' => Some("\\r"),
            '\t' => Some("\\t"),
            '\u{8}' => Some("\\b"),
            '\u{c}' => Some("\\f"),
            '/' if rng.chance(50) => Some("\\/"),
            _ => None,
        };
        let must_escape = ch == '"' || ch == '\\' || (ch as u32) < 0x20;
        if let Some(short) = short {
            if rng.chance(70) {
                out.push_str(short);
                continue;
            }
        }
        if must_escape || rng.chance(15) {
            let mut units = [0u16; 2];
            for unit in ch.encode_utf16(&mut units) {
                write_u_escape(out, *unit, rng);
            }
        } else {
            out.push(ch);
        }
    }
    out.push('"');
}

fn write_json(out: &mut String, j: &J, rng: &mut Rng, ws: u64) {
    write_ws(out, rng, ws);
    match j {
        J::Null => out.push_str("null"),
        J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        J::Num(n) => out.push_str(n),
        J::Str(s) => write_str(out, s, rng),
        J::Arr(items) => write_container(out, rng, ws, ['[', ']'], items, |out, rng, i, item| {
            if i > 0 {
                write_ws(out, rng, ws);
                out.push(',');
            }
            write_json(out, item, rng, ws);
        }),
        J::Obj(members) => {
            write_container(out, rng, ws, ['{', '}'], members, |out, rng, i, (k, v)| {
                if i > 0 {
                    out.push(',');
                }
                write_ws(out, rng, ws);
                write_str(out, k, rng);
                write_ws(out, rng, ws);
                out.push(':');
                write_json(out, v, rng, ws);
            })
        }
    }
    write_ws(out, rng, ws);
}

/// An array or an object: the opening bracket, each element (with its comma) written by
/// `element` and followed by whitespace, more whitespace, the closing bracket.
fn write_container<T>(
    out: &mut String,
    rng: &mut Rng,
    ws: u64,
    [open, close]: [char; 2],
    elements: &[T],
    mut element: impl FnMut(&mut String, &mut Rng, usize, &T),
) {
    out.push(open);
    for (i, e) in elements.iter().enumerate() {
        element(out, rng, i, e);
        write_ws(out, rng, ws);
    }
    write_ws(out, rng, ws);
    out.push(close);
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[a-z ]{0,12}",
        2 => "[\"\\\\{}\\[\\],:/ \n\t\r\u{0}-\u{1f}\u{7f}a-zé€😀\u{10ffff}\u{ffff}]{0,12}",
        1 => any::<String>(),
    ]
}

fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        "-?(0|[1-9][0-9]{0,25})(\\.[0-9]{1,10})?([eE][+-]?[0-9]{1,2})?",
        any::<i64>().prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| serde_json::to_string(&f).unwrap()),
    ]
}

fn tree() -> impl Strategy<Value = J> {
    let leaf = prop_oneof![
        Just(J::Null),
        any::<bool>().prop_map(J::Bool),
        number().prop_map(J::Num),
        text().prop_map(J::Str),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(J::Arr),
            prop::collection::vec((text(), inner), 0..6).prop_map(|mut members| {
                // Unique keys: with duplicates the last one wins, and a snapshot could
                // legitimately show an earlier duplicate's value.
                let mut seen = std::collections::HashSet::new();
                members.retain(|(k, _)| seen.insert(k.clone()));
                J::Obj(members)
            }),
        ]
    })
}

/// A document: the tree written with random escapes and whitespace.
fn document() -> impl Strategy<Value = String> {
    (tree(), any::<u64>(), 0u64..40).prop_map(|(j, seed, ws)| {
        let mut out = String::new();
        write_json(&mut out, &j, &mut Rng(seed | 1), ws);
        out
    })
}

/// Whether `partial` is a prefix-consistent partial of `full`: strings are prefixes, arrays
/// prefixes whose elements are equal but for the last, which is partial; objects have a subset
/// of the keys, with at most one value differing, which is partial; everything else equal.
fn is_partial_of(partial: &Value, full: &Value) -> bool {
    match (partial, full) {
        (Value::String(a), Value::String(b)) => b.starts_with(a.as_str()),
        (Value::Array(a), Value::Array(b)) => {
            a.len() <= b.len()
                && a.iter().zip(b).enumerate().all(|(i, (x, y))| {
                    if i + 1 == a.len() {
                        is_partial_of(x, y)
                    } else {
                        x == y
                    }
                })
        }
        (Value::Object(a), Value::Object(b)) => {
            let mut differing = 0;
            for (k, v) in a {
                match b.get(k) {
                    Some(w) if v == w => {}
                    Some(w) if is_partial_of(v, w) => differing += 1,
                    _ => return false,
                }
            }
            differing <= 1
        }
        _ => partial == full,
    }
}

/// Cut positions (sorted, deduplicated) in a document of `len` bytes.
fn cuts(len: usize, picks: &[Index]) -> Vec<usize> {
    let mut cuts: Vec<usize> = picks.iter().map(|p| p.index(len + 1)).collect();
    cuts.push(0);
    cuts.push(len);
    cuts.sort_unstable();
    cuts.dedup();
    cuts
}

/// `byte_cuts` moved to character boundaries of `doc`: `&str` chunks hold whole characters.
fn char_cuts(doc: &str, byte_cuts: &[usize]) -> Vec<usize> {
    let mut cuts: Vec<usize> = byte_cuts
        .iter()
        .map(|&c| {
            (c..=doc.len())
                .find(|&c| doc.is_char_boundary(c))
                .unwrap_or(doc.len())
        })
        .collect();
    cuts.dedup();
    cuts
}

/// Cut positions every `size` bytes of `doc`, moved to character boundaries: `&str` chunks of
/// about `size` bytes, the shape of a model's token deltas.
fn every_n(doc: &str, size: usize) -> Vec<usize> {
    let every: Vec<usize> = (0..doc.len())
        .step_by(size.max(1))
        .chain([doc.len()])
        .collect();
    char_cuts(doc, &every)
}

/// Pushes `text` as `&str` chunks cut at `cuts`; the outcome (the value, or the error with its
/// offset), and the snapshot after the last accepted chunk.
fn run_str(text: &str, cuts: &[usize]) -> (Result<Value, PartialJsonError>, Option<Value>) {
    let mut parser = PartialJson::new();
    for w in cuts.windows(2) {
        if parser.push(&text[w[0]..w[1]]).is_err() {
            break;
        }
    }
    let snapshot = parser.snapshot();
    (parser.finish(), snapshot)
}

/// Feeds `doc` cut at `cuts` (as bytes, or as `&str` when `as_str`) and checks every
/// snapshot against `expected`; returns the finished value.
fn run_checked(
    doc: &str,
    cuts: &[usize],
    expected: &Value,
    as_str: bool,
) -> Result<Value, PartialJsonError> {
    let mut parser = PartialJson::new();
    let mut prev: Option<Value> = None;
    for w in cuts.windows(2) {
        let progress = if as_str {
            parser.push(&doc[w[0]..w[1]])?
        } else {
            parser.push_bytes(&doc.as_bytes()[w[0]..w[1]])?
        };
        let snap = parser.snapshot();
        if let Some(s) = &snap {
            assert!(
                is_partial_of(s, expected),
                "snapshot {s} is not a partial of {expected}"
            );
            if let Some(p) = &prev {
                assert!(
                    is_partial_of(p, s),
                    "snapshot {p} is not a partial of the next {s}"
                );
            }
        } else {
            assert!(prev.is_none(), "a snapshot disappeared");
        }
        if !progress.changed {
            assert_eq!(
                snap, prev,
                "progress.changed was false but the snapshot changed"
            );
        }
        prev = snap;
    }
    parser.finish()
}

/// Feeds arbitrary bytes in the given chunks; returns the outcome. Must never panic. Between
/// chunks (and after an error), the value kept by `snapshot_ref` is brought up to date at every
/// other cut, and always agrees with `snapshot`.
fn run_bytes(bytes: &[u8], cuts: &[usize]) -> Result<Value, PartialJsonError> {
    let mut parser = PartialJson::new().with_items_at(ItemsAt::Root);
    let result = (|| {
        for (n, w) in cuts.windows(2).enumerate() {
            check_views(&mut parser, n % 2 == 0);
            let _ = parser.take_completed_items();
            parser.push_bytes(&bytes[w[0]..w[1]])?;
        }
        Ok(())
    })();
    check_views(&mut parser, true);
    result.and_then(|()| parser.finish())
}

/// `snapshot` and (when `by_ref`) `snapshot_ref` show the same value.
fn check_views(parser: &mut PartialJson, by_ref: bool) {
    let owned = parser.snapshot();
    if by_ref {
        assert_eq!(parser.snapshot_ref(), owned.as_ref());
    }
}

/// Feeds `doc` cut at `cuts` to two parsers, one of which brings its kept value up to date
/// (`snapshot_ref`) where `look` says so: that value is always the one the other parser,
/// never looked at that way, shows with `snapshot`; its version changes exactly when it
/// does (the generated documents have no repeated keys); the final values agree.
fn run_viewed(doc: &str, cuts: &[usize], look: &[bool], as_str: bool) -> Value {
    let mut viewed = PartialJson::new();
    let mut plain = PartialJson::new();
    let mut last: Option<(u64, Option<Value>)> = None;
    for (n, w) in cuts.windows(2).enumerate() {
        for p in [&mut viewed, &mut plain] {
            if as_str {
                p.push(&doc[w[0]..w[1]]).unwrap();
            } else {
                p.push_bytes(&doc.as_bytes()[w[0]..w[1]]).unwrap();
            }
        }
        if !look.get(n).copied().unwrap_or(true) {
            continue;
        }
        let expected = plain.snapshot();
        assert_eq!(viewed.snapshot(), expected, "snapshot of a viewed parser");
        let shown = viewed.snapshot_ref().cloned();
        assert_eq!(shown, expected, "snapshot_ref after {:?}", &doc[..w[1]]);
        let version = viewed.snapshot_version();
        if let Some((v, value)) = &last {
            assert_eq!(*v == version, *value == shown, "version {v} -> {version}");
        }
        last = Some((version, shown));
    }
    assert_eq!(viewed.snapshot_ref().cloned(), plain.snapshot());
    let value = viewed.finish().unwrap();
    assert_eq!(value, plain.finish().unwrap());
    value
}

fn same_outcome(bytes: &[u8], ours: Result<Value, PartialJsonError>) -> Result<(), TestCaseError> {
    match (serde_json::from_slice::<Value>(bytes), ours) {
        (Ok(a), Ok(b)) => prop_assert_eq!(a, b),
        (Err(_), Err(_)) => {}
        (a, b) => prop_assert!(
            false,
            "serde_json: {:?}, partial_json: {:?}, input {:?}",
            a,
            b,
            String::from_utf8_lossy(bytes)
        ),
    }
    Ok(())
}

/// 512 cases per property, or `PROPTEST_CASES` when set (for a longer fuzzing run).
fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(512);
    ProptestConfig {
        cases,
        ..ProptestConfig::default()
    }
}

/// The generators are not vacuous: most documents are valid and non-trivial, and the mutated
/// ones are sometimes still valid (so both outcomes of the differential check are exercised).
#[test]
fn generators_cover_both_outcomes() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let (mut valid, mut containers, mut escapes, mut long) = (0, 0, 0, 0);
    for _ in 0..400 {
        let doc = document().new_tree(&mut runner).unwrap().current();
        if let Ok(v) = serde_json::from_str::<Value>(&doc) {
            valid += 1;
            containers += usize::from(v.is_array() || v.is_object());
        }
        escapes += usize::from(doc.contains("\\u"));
        long += usize::from(doc.len() > 100);
    }
    assert!(valid > 300, "{valid} valid of 400");
    assert!(containers > 150, "{containers} containers of 400");
    assert!(escapes > 50, "{escapes} with \\u escapes of 400");
    assert!(long > 50, "{long} longer than 100 bytes of 400");
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn random_documents_random_chunks(doc in document(), picks in prop::collection::vec(any::<Index>(), 0..24)) {
        let expected: Result<Value, _> = serde_json::from_str(&doc);
        let byte_cuts = cuts(doc.len(), &picks);
        let str_cuts = char_cuts(&doc, &byte_cuts);
        match expected {
            Ok(expected) => {
                prop_assert_eq!(&run_checked(&doc, &byte_cuts, &expected, false).unwrap(), &expected);
                prop_assert_eq!(&run_checked(&doc, &str_cuts, &expected, true).unwrap(), &expected);
            }
            // Only numbers out of f64 range make a generated document invalid.
            Err(_) => prop_assert!(run_bytes(doc.as_bytes(), &byte_cuts).is_err()),
        }
    }

    #[test]
    fn snapshot_ref_is_the_snapshot_at_any_cut(
        doc in document(),
        picks in prop::collection::vec(any::<Index>(), 0..32),
        look in prop::collection::vec(any::<bool>(), 0..33),
    ) {
        if let Ok(expected) = serde_json::from_str::<Value>(&doc) {
            let byte_cuts = cuts(doc.len(), &picks);
            let str_cuts = char_cuts(&doc, &byte_cuts);
            prop_assert_eq!(&run_viewed(&doc, &byte_cuts, &look, false), &expected);
            prop_assert_eq!(&run_viewed(&doc, &str_cuts, &look, true), &expected);
        }
    }

    #[test]
    fn snapshot_ref_byte_by_byte(doc in document(), look in prop::collection::vec(any::<bool>(), 0..64)) {
        if let Ok(expected) = serde_json::from_str::<Value>(&doc) {
            let every: Vec<usize> = (0..=doc.len()).collect();
            // Looked at after every byte, or (cycling through `look`) after some.
            let look: Vec<bool> = if look.is_empty() {
                vec![true; doc.len()]
            } else {
                look.iter().copied().cycle().take(doc.len()).collect()
            };
            prop_assert_eq!(run_viewed(&doc, &every, &look, false), expected);
        }
    }

    /// Small `&str` chunks (what a model's deltas look like) take paths of their own: every
    /// chunk size from 1 to 10 bytes, so that every token boundary falls at every position
    /// in a chunk.
    #[test]
    fn random_documents_small_str_chunks(
        doc in document(),
        size in 1usize..=10,
        look in prop::collection::vec(any::<bool>(), 0..64),
    ) {
        if let Ok(expected) = serde_json::from_str::<Value>(&doc) {
            let str_cuts = every_n(&doc, size);
            prop_assert_eq!(&run_checked(&doc, &str_cuts, &expected, true).unwrap(), &expected);
            let look: Vec<bool> = if look.is_empty() {
                vec![true; str_cuts.len()]
            } else {
                look.iter().copied().cycle().take(str_cuts.len()).collect()
            };
            prop_assert_eq!(&run_viewed(&doc, &str_cuts, &look, true), &expected);
        }
    }

    /// Invalid (and valid) text from a JSON alphabet in small `&str` chunks: the outcome is
    /// `serde_json`'s, and the error (kind and offset) and the snapshot after it are those of
    /// the same text pushed whole.
    #[test]
    fn fuzz_small_str_chunks(
        parts in prop::collection::vec(prop::sample::select(vec![
            "{", "}", "[", "]", "\"", ",", ":", "\\", " ", "\n", "0", "1", "-", ".", "e",
            "t", "r", "u", "f", "a", "l", "s", "n", "\u{e9}", "\u{20ac}", "x", "\u{1}",
        ]), 0..96),
        size in 1usize..=10,
    ) {
        let text: String = parts.concat();
        let (ours, snapshot) = run_str(&text, &every_n(&text, size));
        let (whole, whole_snapshot) = run_str(&text, &[0, text.len()]);
        prop_assert_eq!(&ours, &whole);
        prop_assert_eq!(snapshot, whole_snapshot);
        same_outcome(text.as_bytes(), ours)?;
    }

    #[test]
    fn random_documents_byte_by_byte(doc in document()) {
        if let Ok(expected) = serde_json::from_str::<Value>(&doc) {
            let every: Vec<usize> = (0..=doc.len()).collect();
            prop_assert_eq!(run_checked(&doc, &every, &expected, false).unwrap(), expected);
        }
    }

    #[test]
    fn completed_items_each_exactly_once(
        items in prop::collection::vec(tree(), 0..8),
        seed in any::<u64>(),
        picks in prop::collection::vec(any::<Index>(), 0..24),
        root in any::<bool>(),
    ) {
        let mut doc = String::new();
        let mut rng = Rng(seed | 1);
        let arr = J::Arr(items);
        let (tree, at) = if root {
            (arr, ItemsAt::Root)
        } else {
            (J::Obj(vec![("before".into(), J::Num("1".into())), ("items".into(), arr), ("after".into(), J::Arr(vec![J::Null]))]), ItemsAt::key("items"))
        };
        write_json(&mut doc, &tree, &mut rng, 10);
        let Ok(expected) = serde_json::from_str::<Value>(&doc) else { return Ok(()) };
        let expected_items = if root { expected.clone() } else { expected["items"].clone() };
        let mut parser = PartialJson::new().with_items_at(at);
        let mut got = Vec::new();
        for (n, w) in cuts(doc.len(), &picks).windows(2).enumerate() {
            parser.push_bytes(&doc.as_bytes()[w[0]..w[1]]).unwrap();
            got.extend(parser.take_completed_items());
            if (seed >> (n % 64)) & 1 == 1 {
                // Elements shown and then completed are collected whole too.
                let _ = parser.snapshot_ref();
            }
            // Everything taken so far is a completed prefix of the final items.
            let snap = parser.snapshot();
            let shown = match (&snap, root) {
                (Some(Value::Array(a)), true) => a.len(),
                (Some(Value::Object(o)), false) => o.get("items").and_then(Value::as_array).map_or(0, Vec::len),
                _ => 0,
            };
            prop_assert!(got.len() <= shown.max(expected_items.as_array().unwrap().len()));
        }
        prop_assert_eq!(Value::Array(got), expected_items);
        prop_assert_eq!(parser.finish().unwrap(), expected);
    }

    #[test]
    fn fuzz_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..256), picks in prop::collection::vec(any::<Index>(), 0..16)) {
        let ours = run_bytes(&bytes, &cuts(bytes.len(), &picks));
        same_outcome(&bytes, ours)?;
    }

    #[test]
    fn fuzz_json_alphabet(bytes in prop::collection::vec(prop::sample::select(b"{}[]\",:\\/ \n0123456789-+.eEtruefalsn\xc3\xa9\xff\x01u".to_vec()), 0..128), picks in prop::collection::vec(any::<Index>(), 0..16)) {
        let ours = run_bytes(&bytes, &cuts(bytes.len(), &picks));
        same_outcome(&bytes, ours)?;
    }

    #[test]
    fn fuzz_arbitrary_strings(s in any::<String>(), picks in prop::collection::vec(any::<Index>(), 0..16)) {
        let mut parser = PartialJson::new();
        let mut outcome = Ok(());
        let mut last = 0;
        for c in cuts(s.len(), &picks) {
            if !s.is_char_boundary(c) || c < last {
                continue;
            }
            let _ = parser.snapshot();
            if let Err(e) = parser.push(&s[last..c]) {
                outcome = Err(e);
                break;
            }
            last = c;
        }
        let ours = outcome.and_then(|()| parser.finish());
        same_outcome(s.as_bytes(), ours)?;
    }

    #[test]
    fn fuzz_mutated_documents(
        doc in document(),
        edits in prop::collection::vec((any::<Index>(), 0u8..3, any::<u8>()), 1..4),
        picks in prop::collection::vec(any::<Index>(), 0..16),
    ) {
        let mut bytes = doc.into_bytes();
        for (at, op, byte) in edits {
            let alphabet = b"{}[]\",:\\ 0-.eu\xc3";
            let byte = alphabet[usize::from(byte) % alphabet.len()];
            match op {
                0 if !bytes.is_empty() => { let i = at.index(bytes.len()); bytes[i] = byte; }
                1 if !bytes.is_empty() => { bytes.remove(at.index(bytes.len())); }
                _ => bytes.insert(at.index(bytes.len() + 1), byte),
            }
        }
        let ours = run_bytes(&bytes, &cuts(bytes.len(), &picks));
        same_outcome(&bytes, ours)?;
    }
}
