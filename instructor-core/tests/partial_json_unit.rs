//! Unit tests of the incremental JSON parser: each snapshot rule, escapes, errors, limits.

use instructor_core::partial_json::{
    Inside, ItemsAt, PartialJson, PartialJsonError, PartialJsonErrorKind, DEFAULT_MAX_DEPTH,
};
use serde_json::{json, Value};

mod chunks;
use chunks::str_chunks;

/// Feeds `doc` one byte at a time (as bytes) and returns the snapshot after each byte.
fn byte_snapshots(doc: &str) -> (Vec<Option<Value>>, PartialJson) {
    let mut p = PartialJson::new();
    let mut snaps = Vec::new();
    for b in doc.as_bytes() {
        p.push_bytes(std::slice::from_ref(b)).unwrap();
        snaps.push(p.snapshot());
    }
    (snaps, p)
}

/// The snapshot after feeding `doc` whole.
fn snap(doc: &str) -> Option<Value> {
    let mut p = PartialJson::new();
    p.push(doc).unwrap();
    p.snapshot()
}

fn parse(doc: &str) -> Result<Value, PartialJsonError> {
    let mut p = PartialJson::new();
    p.push(doc)?;
    p.finish()
}

fn err_of(doc: &str) -> PartialJsonError {
    parse(doc).unwrap_err()
}

#[test]
fn nothing_before_anything_usable() {
    assert_eq!(PartialJson::new().snapshot(), None);
    assert_eq!(snap("   \n\t"), None);
    assert_eq!(snap("12"), None);
    assert_eq!(snap("tru"), None);
    assert_eq!(snap("-"), None);
}

#[test]
fn containers_appear_as_they_are_written() {
    assert_eq!(snap("{"), Some(json!({})));
    assert_eq!(snap("["), Some(json!([])));
    assert_eq!(
        snap(r#"{"a": [1, 2, {"b": ["#),
        Some(json!({"a": [1, 2, {"b": []}]}))
    );
    assert_eq!(snap("[[[], [1"), Some(json!([[[], []]])));
    assert_eq!(snap("[[[], [1,"), Some(json!([[[], [1]]])));
}

#[test]
fn strings_appear_partially() {
    assert_eq!(snap(r#""hel"#), Some(json!("hel")));
    assert_eq!(snap(r#"""#), Some(json!("")));
    assert_eq!(snap(r#"{"a": "hel"#), Some(json!({"a": "hel"})));
    assert_eq!(snap(r#"{"a": ""#), Some(json!({"a": ""})));
    assert_eq!(snap(r#"["x", "y"#), Some(json!(["x", "y"])));
}

#[test]
fn incomplete_keys_and_keys_without_values_are_hidden() {
    assert_eq!(snap(r#"{"na"#), Some(json!({})));
    assert_eq!(snap(r#"{"name""#), Some(json!({})));
    assert_eq!(snap(r#"{"name" :"#), Some(json!({})));
    assert_eq!(snap(r#"{"name" : "#), Some(json!({})));
    assert_eq!(snap(r#"{"name" : 4"#), Some(json!({})));
    assert_eq!(snap(r#"{"name" : n"#), Some(json!({})));
    assert_eq!(snap(r#"{"name" : ""#), Some(json!({"name": ""})));
    assert_eq!(snap(r#"{"name" : {"#), Some(json!({"name": {}})));
    assert_eq!(snap(r#"{"a": 1, "b"#), Some(json!({"a": 1})));
}

#[test]
fn numbers_are_held_back_until_complete() {
    let doc = r#"{"n": 123, "m": [-4.5e+10]}"#;
    let (snaps, p) = byte_snapshots(doc);
    for (i, s) in snaps.iter().enumerate() {
        let s = s.as_ref().unwrap();
        if let Some(n) = s.get("n") {
            assert_eq!(n, &json!(123), "after {:?}", &doc[..=i]);
        }
        if let Some(m) = s.get("m").and_then(|m| m.get(0)) {
            assert_eq!(m, &json!(-4.5e10), "after {:?}", &doc[..=i]);
        }
    }
    // The number shows when the byte after it arrives, not before.
    assert_eq!(snaps[8], Some(json!({})));
    assert_eq!(snaps[9], Some(json!({"n": 123})));
    assert_eq!(p.finish().unwrap(), json!({"n": 123, "m": [-4.5e10]}));
}

#[test]
fn top_level_number_completes_at_finish_or_delimiter() {
    let mut p = PartialJson::new();
    p.push("12").unwrap();
    assert!(!p.is_complete());
    assert_eq!(p.snapshot(), None);
    p.push("3").unwrap();
    assert_eq!(p.clone().finish().unwrap(), json!(123));
    p.push(" ").unwrap();
    assert!(p.is_complete());
    assert_eq!(p.snapshot(), Some(json!(123)));
    assert_eq!(p.finish().unwrap(), json!(123));
}

#[test]
fn literals_are_held_back_until_complete() {
    let (snaps, _) = byte_snapshots("[true, false, null]");
    let shown: Vec<_> = snaps.into_iter().map(Option::unwrap).collect();
    assert_eq!(shown[3], json!([]));
    assert_eq!(shown[4], json!([true]));
    assert_eq!(shown[10], json!([true]));
    assert_eq!(shown[11], json!([true, false]));
    assert_eq!(shown[16], json!([true, false]));
    assert_eq!(shown[17], json!([true, false, null]));
    let mut p = PartialJson::new();
    p.push("nul").unwrap();
    assert_eq!(p.snapshot(), None);
    p.push("l").unwrap();
    assert!(p.is_complete());
    assert_eq!(p.snapshot(), Some(Value::Null));
}

#[test]
fn numbers_match_serde_json() {
    for doc in [
        "0",
        "-0",
        "-0.0",
        "1",
        "-1",
        "123456789012345678",
        "1234567890123456789",
        "18446744073709551615",
        "18446744073709551616",
        "-9223372036854775808",
        "-9223372036854775809",
        "1.5",
        "1e5",
        "1E+5",
        "1e-5",
        "2.2250738585072011e-308",
        "0.1000000000000000055511151231257827",
        "1.7976931348623157e308",
        "123456789012345678901234567890",
    ] {
        let expected: Value = serde_json::from_str(doc).unwrap();
        assert_eq!(parse(doc).unwrap(), expected, "{doc}");
        let wrapped = format!("[{doc}]");
        assert_eq!(parse(&wrapped).unwrap(), json!([expected]), "{doc}");
    }
}

#[test]
fn invalid_numbers() {
    for (doc, offset) in [
        ("[01]", 2),
        ("[-]", 2),
        ("[1.]", 3),
        ("[1.e5]", 3),
        ("[1e]", 3),
        ("[1e+]", 4),
        ("[+1]", 1),
        ("[.5]", 1),
        ("[-a]", 2),
    ] {
        let err = err_of(doc);
        assert_eq!(err.offset(), offset, "{doc}: {err}");
        assert!(serde_json::from_str::<Value>(doc).is_err());
    }
    let err = err_of("[1e400]");
    assert_eq!(err.kind(), &PartialJsonErrorKind::NumberOutOfRange);
    assert_eq!(err.offset(), 1);
}

#[test]
fn braces_and_quotes_inside_strings_do_not_end_anything() {
    let doc = r#"{"a": "} ] { [ , : \" \\", "b": ["]", "}"]}"#;
    let (snaps, p) = byte_snapshots(doc);
    // Until the string's closing quote, the object is never complete.
    let close = doc.find(r#"\\""#).unwrap() + 2;
    for s in &snaps[..close] {
        let s = s.as_ref().unwrap();
        assert!(s.get("b").is_none());
    }
    assert_eq!(
        p.finish().unwrap(),
        json!({"a": "} ] { [ , : \" \\", "b": ["]", "}"]})
    );
    let (snaps, _) = byte_snapshots(r#"{"k}": 1}"#);
    assert_eq!(snaps[4], Some(json!({})));
}

#[test]
fn escapes_decode() {
    let doc = r#""a\"b\\c\/d\be\ff\ng\rh\ti\u00e9j\u20ACk\ud83d\ude00l\u0000""#;
    assert_eq!(
        parse(doc).unwrap(),
        json!("a\"b\\c/d\u{8}e\u{c}f\ng\rh\ti\u{e9}j\u{20ac}k\u{1F600}l\u{0}")
    );
    assert_eq!(
        parse(doc).unwrap(),
        serde_json::from_str::<Value>(doc).unwrap()
    );
}

#[test]
fn half_escapes_are_held_back_at_every_split() {
    let doc = r#"["x\n\u00e9\ud83d\ude00\"y"]"#;
    // Every value the string passes through, in order.
    let finals = [
        "",
        "x",
        "x\n",
        "x\n\u{e9}",
        "x\n\u{e9}\u{1F600}",
        "x\n\u{e9}\u{1F600}\"",
        "x\n\u{e9}\u{1F600}\"y",
    ];
    for split in 0..=doc.len() {
        let mut p = PartialJson::new();
        p.push(&doc[..split]).unwrap();
        let first = p.snapshot();
        p.push(&doc[split..]).unwrap();
        assert_eq!(p.snapshot(), Some(json!(["x\n\u{e9}\u{1F600}\"y"])));
        if let Some(Value::Array(items)) = first {
            if let Some(Value::String(s)) = items.first() {
                assert!(finals.contains(&s.as_str()), "split {split}: partial {s:?}");
            }
        }
    }
    // Byte by byte: the string only ever grows by whole decoded characters.
    let (snaps, _) = byte_snapshots(doc);
    let mut seen = Vec::new();
    for s in snaps.into_iter().flatten() {
        if let Some(Value::String(s)) = s.get(0) {
            if seen.last() != Some(s) {
                seen.push(s.clone());
            }
        }
    }
    assert_eq!(seen, finals);
}

#[test]
fn utf8_split_across_byte_chunks() {
    let doc = "[\"h\u{e9}\u{20ac}\u{1F600}!\"]";
    let bytes = doc.as_bytes();
    for split in 0..=bytes.len() {
        for split2 in split..=bytes.len() {
            let mut p = PartialJson::new();
            p.push_bytes(&bytes[..split]).unwrap();
            p.push_bytes(&bytes[split..split2]).unwrap();
            if let Some(Value::Array(items)) = p.snapshot() {
                if let Some(Value::String(s)) = items.first() {
                    assert!("h\u{e9}\u{20ac}\u{1F600}!".starts_with(s.as_str()));
                }
            }
            p.push_bytes(&bytes[split2..]).unwrap();
            assert_eq!(p.finish().unwrap(), json!(["h\u{e9}\u{20ac}\u{1F600}!"]));
        }
    }
}

#[test]
fn invalid_utf8_is_an_error_with_its_offset() {
    let mut p = PartialJson::new();
    let err = p.push_bytes(b"[\"ab\xffcd\"]").unwrap_err();
    assert_eq!(err.kind(), &PartialJsonErrorKind::InvalidUtf8);
    assert_eq!(err.offset(), 4);
    // A lead byte cut short by the closing quote, split across chunks.
    let mut p = PartialJson::new();
    p.push_bytes(b"[\"ab\xe2\x82").unwrap();
    let err = p.push_bytes(b"\"]").unwrap_err();
    assert_eq!(err.kind(), &PartialJsonErrorKind::InvalidUtf8);
    assert_eq!(err.offset(), 4);
    // A bad continuation byte in the next chunk.
    let mut p = PartialJson::new();
    p.push_bytes(b"[\"ab\xe2").unwrap();
    let err = p.push_bytes(b"x\"]").unwrap_err();
    assert_eq!(err.kind(), &PartialJsonErrorKind::InvalidUtf8);
    assert_eq!(err.offset(), 4);
    // Non-ASCII outside a string.
    let err = PartialJson::new().push_bytes(b"[\xc3\xa9]").unwrap_err();
    assert_eq!(err.offset(), 1);
}

#[test]
fn invalid_escapes() {
    let cases: [(&str, PartialJsonErrorKind, usize); 6] = [
        (r#""\x""#, PartialJsonErrorKind::InvalidEscape(b'x'), 2),
        (
            r#""\u12g4""#,
            PartialJsonErrorKind::InvalidHexEscape(b'g'),
            5,
        ),
        (r#""\udc00""#, PartialJsonErrorKind::LoneSurrogate, 6),
        (r#""\ud800x""#, PartialJsonErrorKind::LoneSurrogate, 7),
        (r#""\ud800\n""#, PartialJsonErrorKind::LoneSurrogate, 8),
        (r#""\ud800\u0041""#, PartialJsonErrorKind::LoneSurrogate, 12),
    ];
    for (doc, kind, offset) in cases {
        let err = err_of(doc);
        assert_eq!((err.kind(), err.offset()), (&kind, offset), "{doc}");
        assert!(serde_json::from_str::<Value>(doc).is_err(), "{doc}");
    }
    let err = err_of("\"a\nb\"");
    assert_eq!(
        err.kind(),
        &PartialJsonErrorKind::ControlCharacterInString(b'\n')
    );
    assert_eq!(err.offset(), 2);
}

#[test]
fn whitespace_anywhere() {
    let doc = " \t\r\n{ \"a\" \n:\t[ 1 ,\r\n2 , { } , [ ] ] , \"b\" : \"x\" , \"c\" : true } \n ";
    let (_, p) = byte_snapshots(doc);
    assert!(p.is_complete());
    assert_eq!(
        p.finish().unwrap(),
        json!({"a": [1, 2, {}, []], "b": "x", "c": true})
    );
}

#[test]
fn nested_containers_and_completion() {
    let doc = r#"{"a": {"b": {"c": [[1, [2, [3]]], {"d": null}]}}, "e": []}"#;
    let (snaps, p) = byte_snapshots(doc);
    let expected: Value = serde_json::from_str(doc).unwrap();
    assert!(p.is_complete());
    assert_eq!(snaps.last().unwrap().as_ref(), Some(&expected));
    assert_eq!(p.finish().unwrap(), expected);
}

#[test]
fn syntax_errors_carry_the_offset() {
    let cases: [(&str, usize, &str); 11] = [
        ("{1: 2}", 1, "a key (string) or `}`"),
        (r#"{"a" 1}"#, 5, "`:`"),
        (r#"{"a": 1,}"#, 8, "a key (string)"),
        ("[1,]", 3, "a value"),
        ("[1 2]", 3, "`,` or `]`"),
        (r#"{"a": 1]"#, 7, "`,` or `}`"),
        ("[1}", 2, "`,` or `]`"),
        ("]", 0, "a value"),
        ("[,", 1, "a value or `]`"),
        ("trux", 3, "`true`"),
        ("nulll", 4, ""),
    ];
    for (doc, offset, expected) in cases {
        let err = err_of(doc);
        assert_eq!(err.offset(), offset, "{doc}: {err}");
        if let PartialJsonErrorKind::UnexpectedByte { expected: e, .. } = err.kind() {
            assert_eq!(*e, expected, "{doc}");
        }
        assert!(serde_json::from_str::<Value>(doc).is_err(), "{doc}");
    }
    assert_eq!(
        err_of("{} x").kind(),
        &PartialJsonErrorKind::TrailingCharacters
    );
    assert_eq!(err_of("{} x").offset(), 3);
    assert_eq!(
        err_of("1 2").kind(),
        &PartialJsonErrorKind::TrailingCharacters
    );
    let msg = err_of("[1 2]").to_string();
    assert_eq!(
        msg,
        "invalid JSON at byte 3: expected `,` or `]`, found `2`"
    );
}

#[test]
fn error_offsets_are_stream_offsets_across_chunks() {
    let mut p = PartialJson::new();
    p.push("[1, 2").unwrap();
    p.push(", 3").unwrap();
    assert_eq!(p.consumed(), 8);
    let err = p.push(" x]").unwrap_err();
    assert_eq!(err.offset(), 9);
    assert_eq!(p.consumed(), 9);
    // Failed parsers stay failed.
    assert_eq!(p.push("]").unwrap_err(), err);
    assert_eq!(p.error(), Some(&err));
    assert_eq!(p.snapshot(), Some(json!([1, 2, 3])));
    assert_eq!(p.finish().unwrap_err(), err);
}

#[test]
fn truncated_finish_says_where() {
    let cases: [(&str, Inside); 11] = [
        ("", Inside::Nothing),
        ("  ", Inside::Nothing),
        ("{", Inside::Object),
        (r#"{"a": 1 "#, Inside::Object),
        (r#"{"a": 1"#, Inside::Number),
        (r#"{"a": [1"#, Inside::Number),
        (r#"{"a": [1,"#, Inside::Array),
        (r#"{"ke"#, Inside::ObjectKey),
        (r#"{"key": "val"#, Inside::String),
        (r#"["\u00"#, Inside::String),
        ("[tr", Inside::Literal),
    ];
    for (doc, inside) in cases {
        let err = err_of(doc);
        assert_eq!(
            err.kind(),
            &PartialJsonErrorKind::Truncated { inside },
            "{doc}"
        );
        assert_eq!(err.offset(), doc.len());
        assert!(err.is_truncated());
    }
    assert_eq!(
        err_of("1.").kind(),
        &PartialJsonErrorKind::Truncated {
            inside: Inside::Number
        }
    );
    assert_eq!(
        err_of(r#"{"key": "val"#).to_string(),
        "JSON truncated at byte 12 inside a string"
    );
}

#[test]
fn depth_limit_is_an_error_not_a_stack_overflow() {
    let mut p = PartialJson::with_max_depth(3);
    p.push("[[[").unwrap();
    let err = p.push("[").unwrap_err();
    assert_eq!(err.kind(), &PartialJsonErrorKind::TooDeep { max_depth: 3 });
    assert_eq!(err.offset(), 3);
    assert_eq!(
        parse(&"[".repeat(DEFAULT_MAX_DEPTH)).unwrap_err().kind(),
        &PartialJsonErrorKind::Truncated {
            inside: Inside::Array
        }
    );
    let deep = "[".repeat(1_000_000);
    let err = parse(&deep).unwrap_err();
    assert_eq!(
        err.kind(),
        &PartialJsonErrorKind::TooDeep {
            max_depth: DEFAULT_MAX_DEPTH
        }
    );
    assert_eq!(err.offset(), DEFAULT_MAX_DEPTH);
    let mut p = PartialJson::with_max_depth(0);
    p.push("\"scalars are fine\"").unwrap();
    assert!(PartialJson::with_max_depth(0).push("{").is_err());
    // Exactly at the limit is accepted, one more is not: the same as serde_json.
    for depth in DEFAULT_MAX_DEPTH - 1..=DEFAULT_MAX_DEPTH + 2 {
        let doc = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        let serde_ok = serde_json::from_str::<Value>(&doc).is_ok();
        assert_eq!(parse(&doc).is_ok(), depth <= DEFAULT_MAX_DEPTH, "{depth}");
        assert_eq!(parse(&doc).is_ok(), serde_ok, "{depth}");
    }
}

#[test]
fn progress_reports_changes_and_completion() {
    let mut p = PartialJson::new();
    assert!(!p.push("  ").unwrap().changed);
    assert!(p.push("{").unwrap().changed);
    assert!(!p.push("\"ke").unwrap().changed);
    assert!(!p.push("y\": 1").unwrap().changed);
    let progress = p.push("2}").unwrap();
    assert!(progress.changed && progress.complete);
    assert!(!p.push(" \n").unwrap().changed);
}

#[test]
fn completed_items_under_a_key_each_once() {
    let doc = r#"{"title": "x", "items": [{"a": 1, "s": "}]"}, 2, "three", [4], {"b": {"c": []}}], "after": [9]}"#;
    for chunk in [1, 2, 3, 7, doc.len()] {
        let mut p = PartialJson::new().with_items_at(ItemsAt::key("items"));
        let mut got = Vec::new();
        let mut when = Vec::new();
        for (i, c) in doc.as_bytes().chunks(chunk).enumerate() {
            let progress = p.push_bytes(c).unwrap();
            assert_eq!(
                progress.items_ready > 0,
                !p.clone().take_completed_items().is_empty()
            );
            let items = p.take_completed_items();
            when.extend(items.iter().map(|_| i));
            got.extend(items);
        }
        assert_eq!(
            got,
            vec![
                json!({"a": 1, "s": "}]"}),
                json!(2),
                json!("three"),
                json!([4]),
                json!({"b": {"c": []}})
            ]
        );
        if chunk == 1 {
            // The first element is yielded the moment its closing brace arrives.
            let close = doc.find(r#""}]"}"#).unwrap() + 4;
            assert_eq!(when[0], close);
        }
        assert!(p.take_completed_items().is_empty());
        assert_eq!(
            p.finish().unwrap(),
            serde_json::from_str::<Value>(doc).unwrap()
        );
    }
}

#[test]
fn completed_items_of_a_root_array_and_duplicates() {
    let mut p = PartialJson::new().with_items_at(ItemsAt::Root);
    p.push(r#"[{"a": 1}, {"a": [2]"#).unwrap();
    assert_eq!(p.take_completed_items(), vec![json!({"a": 1})]);
    p.push("}, 3").unwrap();
    assert_eq!(p.take_completed_items(), vec![json!({"a": [2]})]);
    p.push("]").unwrap();
    assert_eq!(p.take_completed_items(), vec![json!(3)]);

    // The key twice: both arrays' elements are yielded, each once.
    let mut p = PartialJson::new().with_items_at(ItemsAt::key("items"));
    p.push(r#"{"items": [1, [2]], "other": [5], "items": [3]}"#)
        .unwrap();
    assert_eq!(
        p.take_completed_items(),
        vec![json!(1), json!([2]), json!(3)]
    );
    // Nested arrays under the same key deeper down are not the watched array.
    let mut p = PartialJson::new().with_items_at(ItemsAt::key("items"));
    p.push(r#"{"x": {"items": [1]}}"#).unwrap();
    assert!(p.take_completed_items().is_empty());
    // Without `with_items_at`, nothing is collected.
    let mut p = PartialJson::new();
    p.push("[1, 2]").unwrap();
    assert!(p.take_completed_items().is_empty());
}

#[test]
fn snapshot_after_completion_and_duplicate_keys() {
    assert_eq!(parse(r#"{"a": 1, "a": 2}"#).unwrap(), json!({"a": 2}));
    assert_eq!(snap(r#"{"a": "old", "a": "ne"#), Some(json!({"a": "ne"})));
    let mut p = PartialJson::new();
    p.push(r#"{"a": [1, 2]}"#).unwrap();
    assert_eq!(p.snapshot(), Some(json!({"a": [1, 2]})));
    assert_eq!(p.snapshot(), p.clone().finish().ok());
}

#[test]
fn snapshot_after_an_error_is_the_value_before_it() {
    let mut p = PartialJson::new();
    p.push(r#"{"a": [1, "par"#).unwrap();
    assert!(p.push("tial\u{1}").is_err());
    assert!(!p.is_complete());
    assert_eq!(p.snapshot(), Some(json!({"a": [1, "partial"]})));
    let mut p = PartialJson::new();
    assert!(p.push("{} {").is_err());
    assert!(!p.is_complete());
    assert_eq!(p.snapshot(), Some(json!({})));
}

#[test]
fn a_number_ended_by_an_offending_byte_is_not_shown() {
    // Before `x` the number could still grow (`1` -> `12`), so it was not shown; the
    // snapshot after the error is that value, not one with the number completed.
    for (doc, before) in [
        ("[1x", json!([])),
        ("[0, 1.5e3x", json!([0])),
        (r#"{"a": 1x"#, json!({})),
        (r#"{"a": 1, "b": -2]"#, json!({"a": 1})),
        ("[1}", json!([])),
    ] {
        let mut p = PartialJson::new();
        assert!(p.push(doc).is_err(), "{doc}");
        assert_eq!(p.snapshot(), Some(before), "{doc}");
    }
    // The error itself is what it was.
    let mut p = PartialJson::new();
    let e = p.push("[1x").unwrap_err();
    assert!(e.to_string().contains("`,` or `]`"), "{e}");
    let e = PartialJson::new().push("1x").unwrap_err();
    assert!(e.to_string().contains("trailing"), "{e}");
}

#[test]
fn snapshot_ref_updates_the_kept_value_in_place() {
    let mut p = PartialJson::new();
    assert_eq!(p.snapshot_ref(), None);
    assert_eq!(p.snapshot_version(), 0);
    let mut steps = Vec::new();
    for chunk in [
        r#"{"title": "Ada"#,
        " Lov",
        r#"elace", "#,   // the string closes: nothing new is shown
        r#""tags": ["#,  // a key and a container
        r#""math", 18"#, // 18 may still grow
        "15",            // still growing
        "] ",            // the number completes; the list closes
        r#", "nested": {"a": [[{"b": "c"#,
        r#"d"}]]}"#, // containers shown open close with the string they held
        "}",
    ] {
        p.push(chunk).unwrap();
        let shown = p.snapshot_ref().cloned();
        steps.push((shown, p.snapshot_version()));
    }
    let values: Vec<Value> = steps.iter().map(|(v, _)| v.clone().unwrap()).collect();
    assert_eq!(
        values,
        vec![
            json!({"title": "Ada"}),
            json!({"title": "Ada Lov"}),
            json!({"title": "Ada Lovelace"}),
            json!({"title": "Ada Lovelace", "tags": []}),
            json!({"title": "Ada Lovelace", "tags": ["math"]}),
            json!({"title": "Ada Lovelace", "tags": ["math"]}),
            json!({"title": "Ada Lovelace", "tags": ["math", 1815]}),
            json!({"title": "Ada Lovelace", "tags": ["math", 1815], "nested": {"a": [[{"b": "c"}]]}}),
            json!({"title": "Ada Lovelace", "tags": ["math", 1815], "nested": {"a": [[{"b": "cd"}]]}}),
            json!({"title": "Ada Lovelace", "tags": ["math", 1815], "nested": {"a": [[{"b": "cd"}]]}}),
        ]
    );
    // The version changes exactly when the value does.
    for pair in steps.windows(2) {
        assert_eq!(pair[0].1 == pair[1].1, pair[0].0 == pair[1].0, "{pair:?}");
    }
    assert!(p.is_complete());
    // The completed value is the one kept, handed over by `finish`.
    assert_eq!(Some(p.snapshot().unwrap()), p.snapshot_ref().cloned());
    assert_eq!(p.finish().unwrap(), values[9]);
}

#[test]
fn snapshot_ref_at_the_top_level_and_after_errors() {
    // A top-level string is shown as it grows; a number once complete.
    let mut p = PartialJson::new();
    p.push(r#""abc"#).unwrap();
    assert_eq!(p.snapshot_ref(), Some(&json!("abc")));
    p.push(r#"\u00e9""#).unwrap();
    assert_eq!(p.snapshot_ref(), Some(&json!("abcé")));
    assert_eq!(p.finish().unwrap(), json!("abcé"));
    let mut p = PartialJson::new();
    p.push("12").unwrap();
    assert_eq!(p.snapshot_ref(), None);
    p.push(" ").unwrap();
    assert_eq!(p.snapshot_ref(), Some(&json!(12)));
    // After an error, the value before the offending byte.
    let mut p = PartialJson::new();
    p.push(r#"{"a": [1, "par"#).unwrap();
    assert_eq!(p.snapshot_ref(), Some(&json!({"a": [1, "par"]})));
    assert!(p.push("tial\u{1}").is_err());
    assert_eq!(p.snapshot_ref(), Some(&json!({"a": [1, "partial"]})));
    assert_eq!(p.snapshot(), Some(json!({"a": [1, "partial"]})));
    assert!(p.finish().is_err());
}

#[test]
fn snapshot_ref_with_repeated_keys() {
    let mut p = PartialJson::new();
    p.push(r#"{"a": "old", "a": "ne"#).unwrap();
    assert_eq!(p.snapshot_ref(), Some(&json!({"a": "ne"})));
    p.push(r#"w", "b": 1, "a": [2"#).unwrap();
    assert_eq!(p.snapshot_ref(), Some(&json!({"a": [], "b": 1})));
    let v = p.snapshot_version();
    // The same value again under the same key: not a change.
    p.push(r#"], "a": [2]"#).unwrap();
    assert_eq!(p.snapshot_ref(), Some(&json!({"a": [2], "b": 1})));
    let w = p.snapshot_version();
    assert_ne!(v, w);
    p.push(r#", "a": [2], "b": 1"#).unwrap();
    assert_eq!(p.snapshot_ref(), Some(&json!({"a": [2], "b": 1})));
    assert_eq!(p.snapshot_version(), w);
    p.push("}").unwrap();
    assert_eq!(p.finish().unwrap(), json!({"a": [2], "b": 1}));
}

#[test]
fn items_shown_before_they_complete_are_collected_whole() {
    let mut p = PartialJson::new().with_items_at(ItemsAt::key("items"));
    p.push(r#"{"items": [{"name": "Ja"#).unwrap();
    assert_eq!(p.snapshot_ref(), Some(&json!({"items": [{"name": "Ja"}]})));
    assert!(p.take_completed_items().is_empty());
    p.push(r#"son", "tags": ["a"#).unwrap();
    let _ = p.snapshot_ref();
    p.push(r#"b"]}, "plain", "te"#).unwrap();
    assert_eq!(
        p.take_completed_items(),
        vec![json!({"name": "Jason", "tags": ["ab"]}), json!("plain")]
    );
    let _ = p.snapshot_ref();
    p.push(r#"xt"]}"#).unwrap();
    assert_eq!(p.take_completed_items(), vec![json!("text")]);
    assert_eq!(
        p.finish().unwrap(),
        json!({"items": [{"name": "Jason", "tags": ["ab"]}, "plain", "text"]})
    );
}

/// Every way of cutting a document into three `&str` chunks (so that each string, key and
/// token boundary falls at every position of a chunk, and strings span two or three chunks):
/// the value is `serde_json`'s, the snapshot after each chunk is the one of the same prefix
/// pushed whole, and `changed` is never false when the snapshot changed.
#[test]
fn every_three_str_chunks_of_a_document() {
    let doc = r#"{"id": 7, "name": "Ada \"L\" Lov", "tags": ["é€x", "", "y"], "k": {"z": -1.5e3}, "t": true, "s": "ab"}"#;
    let expected: Value = serde_json::from_str(doc).unwrap();
    let bounds: Vec<usize> = (0..=doc.len())
        .filter(|&i| doc.is_char_boundary(i))
        .collect();
    let prefix_snapshot = |end: usize| {
        let mut p = PartialJson::new();
        p.push(&doc[..end]).unwrap();
        p.snapshot()
    };
    for (n, &i) in bounds.iter().enumerate() {
        for &j in &bounds[n..] {
            let mut p = PartialJson::new();
            let mut prev = None;
            for (start, end) in [(0, i), (i, j), (j, doc.len())] {
                let pushed = p.push(&doc[start..end]).unwrap();
                let snapshot = p.snapshot();
                assert_eq!(snapshot, prefix_snapshot(end), "cut at {i} and {j}");
                if !pushed.changed {
                    assert_eq!(snapshot, prev, "unchanged, cut at {i} and {j}");
                }
                prev = snapshot;
            }
            assert_eq!(p.finish().unwrap(), expected, "cut at {i} and {j}");
        }
    }
}

/// A character held back at the end of a byte chunk is completed or rejected by the next
/// chunk, however small and whatever it holds: plain ASCII text after a lead byte is not
/// taken as plain text (the fast path of small chunks must not skip the check).
#[test]
fn a_held_back_character_is_checked_by_any_next_chunk() {
    for next in [&b"abcd"[..], b"a", b"ab\"]", b"  ", b"\xa9cd\"]"] {
        let mut p = PartialJson::new();
        p.push_bytes(b"[\"ab\xc3").unwrap();
        let result = p.push_bytes(next);
        if next[0] == 0xa9 {
            assert!(result.is_ok());
            assert_eq!(p.finish().unwrap(), json!(["ab\u{e9}cd"]));
        } else {
            let err = result.unwrap_err();
            assert_eq!(err.kind(), &PartialJsonErrorKind::InvalidUtf8, "{next:?}");
            assert_eq!(err.offset(), 4, "{next:?}");
        }
    }
}

/// After an error, every later chunk (of any kind: plain string text, white space, a token
/// boundary, bytes) returns the same error and changes nothing, wherever the error was.
#[test]
fn a_failed_parser_stays_failed_whatever_comes_next() {
    let failures: [&[u8]; 6] = [
        b"[\"ab\x01",     // a control character inside a string value
        b"{\"k\x01",      // inside a key
        b"[1 2",          // between tokens
        b"[\"a\\x",       // in an escape
        b"[\"ab\xc3\x28", // invalid UTF-8 in a string
        b"{\"a\": 1} x",  // after the top-level value
    ];
    let nexts: [&str; 6] = ["cdef", "c", "  ", ", \"a", "\"]", "}"];
    for doc in failures {
        for next in nexts {
            let mut p = PartialJson::new();
            let err = p.push_bytes(doc).unwrap_err();
            let consumed = p.consumed();
            let shown = p.snapshot();
            assert_eq!(p.push(next).unwrap_err(), err, "{doc:?} then {next:?}");
            assert_eq!(p.push_bytes(next.as_bytes()).unwrap_err(), err);
            assert_eq!(p.consumed(), consumed);
            assert_eq!(p.snapshot(), shown);
            assert_eq!(p.snapshot_ref().cloned(), shown);
            assert!(!p.is_complete());
            assert_eq!(p.finish().unwrap_err(), err);
        }
    }
}

/// Long strings (keys and values, longer than the string buffer starts with, and longer than
/// the length from which a completed string takes the buffer itself), one after another, in
/// small and large chunks, looked at on the way or not: the values are `serde_json`'s.
#[test]
fn long_strings_in_any_chunks() {
    let long = |n: usize| -> String { "abc\\\"d\u{e9}\u{20ac} ".repeat(n / 12 + 1) };
    let doc = format!(
        r#"{{"{}": "{}", "b": ["{}", "x", "{}"], "c": "{}"}}"#,
        long(5000),
        long(300),
        long(9000),
        long(4100),
        long(20)
    );
    let expected: Value = serde_json::from_str(&doc).unwrap();
    for size in [1, 3, 4, 7, 64, 1000, doc.len()] {
        for look in [false, true] {
            let mut p = PartialJson::new();
            for chunk in str_chunks(&doc, size) {
                p.push(chunk).unwrap();
                if look {
                    p.snapshot_ref();
                }
            }
            assert_eq!(
                p.finish().unwrap(),
                expected,
                "chunks of {size}, looked at: {look}"
            );
            let mut p = PartialJson::new();
            for c in doc.as_bytes().chunks(size) {
                p.push_bytes(c).unwrap();
            }
            assert_eq!(p.finish().unwrap(), expected, "byte chunks of {size}");
        }
    }
}
