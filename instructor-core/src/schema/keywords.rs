//! Builders the derive uses to turn rules into keywords. Each one is sound: it never makes
//! the schema reject a value that the Rust-side rule accepts.

use serde_json::{json, Map, Value};

pub use crate::schema::fold::ANY_CHAR;
use crate::schema::fold::{fold_length_into_pattern, SYNTAX};

/// Adds `null` to what `schema` accepts (`Option<T>`).
pub fn nullable(schema: Value) -> Value {
    if let Value::Object(mut map) = schema {
        let simple = !map.contains_key("enum") && !map.contains_key("const");
        match map.get_mut("type") {
            Some(Value::String(t)) if simple => {
                let t = std::mem::take(t);
                if t != "null" {
                    map.insert("type".into(), json!([t, "null"]));
                } else {
                    map.insert("type".into(), json!("null"));
                }
                return Value::Object(map);
            }
            Some(Value::Array(types)) if simple => {
                if !types.iter().any(|t| t == "null") {
                    types.push(json!("null"));
                }
                return Value::Object(map);
            }
            _ => {}
        }
        return json!({ "anyOf": [Value::Object(map), { "type": "null" }] });
    }
    match schema {
        Value::Bool(true) => Value::Bool(true),
        other => json!({ "anyOf": [other, { "type": "null" }] }),
    }
}

/// `{"anyOf": [T, {"type": "null"}]}`, as [`nullable`] writes it.
fn is_nullable_any_of(map: &Map<String, Value>) -> bool {
    map.len() == 1
        && map
            .get("anyOf")
            .and_then(Value::as_array)
            .is_some_and(|a| a.len() == 2 && a[1] == json!({ "type": "null" }))
}

/// The object that keywords about the value itself go into: the non-null branch of a
/// nullable `anyOf`, else the schema itself.
fn target(schema: &mut Value) -> Option<&mut Map<String, Value>> {
    if let Value::Bool(true) = schema {
        *schema = Value::Object(Map::new());
    }
    let map = schema.as_object_mut()?;
    if is_nullable_any_of(map) {
        return map.get_mut("anyOf")?.get_mut(0)?.as_object_mut();
    }
    Some(map)
}

/// The type a schema's keywords are about: its `type`, or the first of its types that is
/// not `null`.
fn type_of(map: &Map<String, Value>) -> Option<&str> {
    match map.get("type")? {
        Value::String(t) => Some(t),
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).find(|t| *t != "null"),
        _ => None,
    }
}

/// Writes the bound `key: value` unless the one there is tighter (the larger one kept when
/// `keep_larger`, a lower bound).
fn tighten(map: &mut Map<String, Value>, key: &str, value: Value, keep_larger: bool) {
    let replace = match (map.get(key).and_then(Value::as_f64), value.as_f64()) {
        (Some(old), Some(new)) => (new > old) == keep_larger,
        _ => true,
    };
    if replace {
        map.insert(key.into(), value);
    }
}

/// Bounds on a length: `minLength`/`maxLength` for strings, `minItems`/`maxItems` for
/// arrays, `minProperties`/`maxProperties` for objects. A bound is only written where
/// the count it constrains is known; the caller turns byte counts into sound character
/// bounds first.
pub fn length(schema: &mut Value, min: Option<u64>, max: Option<u64>) {
    let Some(map) = target(schema) else { return };
    let (lo, hi) = match type_of(map) {
        Some("string") => ("minLength", "maxLength"),
        Some("array") => ("minItems", "maxItems"),
        Some("object") => ("minProperties", "maxProperties"),
        _ => return,
    };
    if let Some(min) = min {
        tighten(map, lo, json!(min), true);
    }
    if let Some(max) = max {
        tighten(map, hi, json!(max), false);
    }
    fold_length_into_pattern(map);
}

/// How garde counts the length of a string (`length(bytes | chars | graphemes | utf16, ..)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LengthMode {
    /// UTF-8 bytes: garde's default (`simple`) and `bytes`.
    Bytes,
    /// Unicode scalar values: what JSON Schema's `minLength`/`maxLength` count.
    Chars,
    /// Extended grapheme clusters.
    Graphemes,
    /// UTF-16 code units.
    Utf16,
}

/// A garde `length` rule as keywords. For arrays and objects the bounds are exact. For
/// strings JSON Schema counts characters, so a bound in another unit is only written
/// where it is implied (`max` bytes ≥ characters, so `maxLength` holds; `min` bytes does
/// not bound characters unless the string is ASCII or the bound is 0 or 1); the rest is
/// said in `description` and left to validation.
pub fn length_rule(
    schema: &mut Value,
    mode: LengthMode,
    min: Option<u64>,
    max: Option<u64>,
    ascii: bool,
) {
    let is_string = target(schema).is_some_and(|m| type_of(m) == Some("string"));
    if !is_string || mode == LengthMode::Chars {
        return length(schema, min, max);
    }
    let unit = match mode {
        LengthMode::Bytes => "bytes of UTF-8",
        LengthMode::Graphemes => "graphemes",
        _ => "UTF-16 code units",
    };
    let exact = |n: u64| ascii || n <= 1;
    let min_chars = match (mode, min) {
        (_, None) => None,
        (LengthMode::Graphemes, Some(n)) => Some(n),
        (_, Some(n)) if exact(n) => Some(n),
        (_, Some(n)) => {
            describe(schema, &format!("At least {n} {unit}."));
            None
        }
    };
    let max_chars = match (mode, max) {
        (_, None) => None,
        (LengthMode::Graphemes, Some(n)) => {
            describe(schema, &format!("At most {n} {unit}."));
            None
        }
        (_, Some(n)) => Some(n),
    };
    length(schema, min_chars, max_chars);
}

/// `minimum`/`maximum`, kept at the tighter of the type's own bound and the rule's.
pub fn range(schema: &mut Value, min: Option<Value>, max: Option<Value>) {
    let Some(map) = target(schema) else { return };
    if let Some(min) = min {
        tighten(map, "minimum", min, true);
    }
    if let Some(max) = max {
        tighten(map, "maximum", max, false);
    }
}

/// Adds a `pattern` (ECMA-262), written anchored at both ends as grammar engines need
/// it (llama.cpp accepts any string for a half-anchored pattern, outlines cannot build
/// one): `^ab` becomes `^ab(.|\n|\r|\u2028|\u2029)*$`, same meaning. A pattern that cannot be
/// anchored that way (an anchor inside a top-level alternation), or a second pattern on
/// the same value (a schema holds one, and engines refuse `allOf` of patterns), is said in
/// `description` instead, and checked after parsing.
pub fn pattern(schema: &mut Value, pattern: &str) {
    let Some(map) = target(schema) else { return };
    match anchored(pattern) {
        Some(p) if !map.contains_key("pattern") => {
            map.insert("pattern".into(), json!(p));
            fold_length_into_pattern(map);
        }
        _ => describe(
            schema,
            &format!("Must match the regular expression /{pattern}/."),
        ),
    }
}

/// `pattern` anchored at both ends with the same meaning, or `None` when an anchor sits
/// in a top-level alternation (`^a|b`).
pub fn anchored(pattern: &str) -> Option<String> {
    let bytes = pattern.as_bytes();
    let (mut depth, mut class, mut escaped, mut alternation) = (0usize, false, false, false);
    for &b in bytes {
        match b {
            _ if escaped => escaped = false,
            b'\\' => escaped = true,
            b'[' if !class => class = true,
            b']' if class => class = false,
            b'(' if !class => depth += 1,
            b')' if !class => depth = depth.saturating_sub(1),
            b'|' if !class && depth == 0 => alternation = true,
            _ => {}
        }
    }
    let starts = pattern.starts_with('^');
    // A `$` at the end that is not escaped (an even number of backslashes before it).
    let ends = pattern.ends_with('$')
        && pattern[..pattern.len() - 1]
            .bytes()
            .rev()
            .take_while(|&b| b == b'\\')
            .count()
            % 2
            == 0;
    if alternation {
        if starts || ends {
            return None;
        }
        return Some(format!("^{ANY_CHAR}*({pattern}){ANY_CHAR}*$"));
    }
    let from = usize::from(starts);
    let to = pattern.len() - usize::from(ends && pattern.len() > from);
    let any = format!("{ANY_CHAR}*");
    let head = if starts { "" } else { any.as_str() };
    let tail = if ends { "" } else { any.as_str() };
    Some(format!("^{head}{}{tail}$", &pattern[from..to]))
}

/// Sets `format` (`email`, `uri`, `ipv4`, ...).
pub fn format(schema: &mut Value, format: &str) {
    if let Some(map) = target(schema) {
        map.insert("format".into(), json!(format));
    }
}

/// Any IP address: `anyOf` the `ipv4` and `ipv6` formats.
pub fn ip(schema: &mut Value) {
    if let Some(map) = target(schema) {
        map.insert(
            "anyOf".into(),
            json!([
                { "type": "string", "format": "ipv4" },
                { "type": "string", "format": "ipv6" }
            ]),
        );
    }
}

/// Applies `rules` to the element schema (`items`, or `additionalProperties` of a map).
/// As in garde, `inner` on an `Option<T>` applies to the `T` inside.
pub fn inner(schema: &mut Value, rules: impl FnOnce(&mut Value)) {
    if let Value::Object(map) = schema {
        // `["T", "null"]`: apply to the `T` alone, then let `null` back in.
        if let Some(Value::Array(types)) = map.get_mut("type") {
            if let Some(i) = types.iter().position(|t| t == "null") {
                let null_type = types.remove(i);
                if types.len() == 1 {
                    let only = types.remove(0);
                    map.insert("type".into(), only);
                }
                rules(schema);
                if let Some(map) = schema.as_object_mut() {
                    match map.remove("type") {
                        Some(Value::Array(mut ts)) => {
                            ts.push(null_type);
                            map.insert("type".into(), Value::Array(ts));
                        }
                        Some(t) => {
                            map.insert("type".into(), json!([t, null_type]));
                        }
                        None => {}
                    }
                }
                return;
            }
        }
        // `anyOf: [T, null]`: apply to the `T` branch.
        if is_nullable_any_of(map) {
            if let Some(t) = map.get_mut("anyOf").and_then(|a| a.get_mut(0)) {
                rules(t);
            }
            return;
        }
    }
    let Some(map) = target(schema) else { return };
    let key = match type_of(map) {
        Some("array") => "items",
        Some("object") => "additionalProperties",
        _ => return,
    };
    if let Some(items) = map.get_mut(key) {
        rules(items);
    }
}

/// Appends a sentence to `description`.
pub fn describe(schema: &mut Value, text: &str) {
    if let Some(map) = target(schema) {
        match map.get_mut("description") {
            Some(Value::String(d)) if !d.is_empty() => {
                d.push_str(if d.ends_with('.') { " " } else { ". " });
                d.push_str(text);
            }
            _ => {
                map.insert("description".into(), json!(text));
            }
        }
    }
}

/// Sets a keyword on the schema's outermost object (`description`, `examples`, `title`,
/// `default`), where it describes the field whatever its type.
pub fn annotate(schema: &mut Value, key: &str, value: Value) {
    if let Value::Bool(true) = schema {
        *schema = Value::Object(Map::new());
    }
    if let Some(map) = schema.as_object_mut() {
        map.insert(key.into(), value);
    }
}

/// Escapes `text` for use inside an ECMA-262 regular expression.
pub fn escape_regex(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if SYNTAX.contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nullable_forms() {
        assert_eq!(
            nullable(json!({"type": "string"})),
            json!({"type": ["string", "null"]})
        );
        assert_eq!(
            nullable(json!({"$ref": "#/$defs/A"})),
            json!({"anyOf": [{"$ref": "#/$defs/A"}, {"type": "null"}]})
        );
        assert_eq!(
            nullable(json!({"type": "string", "enum": ["a"]})),
            json!({"anyOf": [{"type": "string", "enum": ["a"]}, {"type": "null"}]})
        );
        assert_eq!(nullable(json!(true)), json!(true));
    }

    #[test]
    fn length_goes_to_the_keyword_of_the_type() {
        let mut s = json!({"type": "string"});
        length(&mut s, Some(1), Some(5));
        assert_eq!(s, json!({"type": "string", "minLength": 1, "maxLength": 5}));
        let mut a = nullable(json!({"type": "array", "items": {}}));
        length(&mut a, Some(2), None);
        assert_eq!(a["minItems"], json!(2));
        let mut n = json!({"type": "integer"});
        length(&mut n, Some(2), None);
        assert_eq!(n, json!({"type": "integer"}));
    }

    #[test]
    fn byte_lengths_become_sound_character_bounds() {
        let string = json!({"type": "string"});
        for (schema, mode, min, max, ascii, want) in [
            (
                &string,
                LengthMode::Bytes,
                Some(3),
                Some(10),
                false,
                json!({"type": "string", "maxLength": 10, "description": "At least 3 bytes of UTF-8."}),
            ),
            (
                &string,
                LengthMode::Bytes,
                Some(3),
                Some(10),
                true,
                json!({"type": "string", "minLength": 3, "maxLength": 10}),
            ),
            (
                &string,
                LengthMode::Bytes,
                Some(1),
                None,
                false,
                json!({"type": "string", "minLength": 1}),
            ),
            (
                &string,
                LengthMode::Graphemes,
                Some(2),
                Some(4),
                false,
                json!({"type": "string", "minLength": 2, "description": "At most 4 graphemes."}),
            ),
            (
                &json!({"type": "array"}),
                LengthMode::Bytes,
                Some(3),
                Some(4),
                false,
                json!({"type": "array", "minItems": 3, "maxItems": 4}),
            ),
        ] {
            let mut s = schema.clone();
            length_rule(&mut s, mode, min, max, ascii);
            assert_eq!(s, want, "{mode:?} {min:?}..{max:?} ascii: {ascii}");
        }
    }

    #[test]
    fn range_keeps_the_tighter_bound() {
        let mut s = json!({"type": "integer", "minimum": 0, "maximum": 255});
        range(&mut s, Some(json!(-5)), Some(json!(150)));
        assert_eq!(s, json!({"type": "integer", "minimum": 0, "maximum": 150}));
    }

    #[test]
    fn an_affix_with_a_length_carries_the_length_in_its_pattern() {
        let any = ANY_CHAR;
        let mut s = json!({"type": "string"});
        pattern(&mut s, "^SHP-");
        length(&mut s, Some(6), Some(12));
        assert_eq!(
            s,
            json!({"type": "string", "pattern": format!("^SHP-{any}{{2,8}}$")})
        );
        // Either order, and a suffix.
        let mut s = json!({"type": "string", "maxLength": 10});
        pattern(&mut s, "\\.pdf$");
        assert_eq!(
            s,
            json!({"type": "string", "pattern": format!("^{any}{{0,6}}\\.pdf$")})
        );
        // Not an affix of a literal: both kept.
        let mut s = json!({"type": "string", "maxLength": 10});
        pattern(&mut s, "^[a-z]");
        assert_eq!(s["maxLength"], 10);
        // No string fits: both kept, saying so.
        let mut s = json!({"type": "string", "maxLength": 2});
        pattern(&mut s, "^abc");
        assert_eq!(s["maxLength"], 2);
    }

    #[test]
    fn a_repeated_character_takes_the_length_as_its_repetition() {
        let folded = |pattern: &str, min: Option<u64>, max: Option<u64>| {
            let mut s = json!({"type": "string"});
            length(&mut s, min, max);
            super::pattern(&mut s, pattern);
            s
        };
        assert_eq!(
            folded("^[a-z0-9_]+$", Some(3), Some(20)),
            json!({"type": "string", "pattern": "^[a-z0-9_]{3,20}$"})
        );
        assert_eq!(
            folded(r"^\d*$", None, Some(4)),
            json!({"type": "string", "pattern": r"^\d{0,4}$"})
        );
        assert_eq!(
            folded("^.+$", Some(0), None),
            json!({"type": "string", "pattern": "^.{1,}$"})
        );
        // Not one character repeated: both keywords stay.
        for p in ["^[a-z][0-9]+$", "^(ab)+$", "^a+$", "^[a-z]{2}$"] {
            let s = folded(p, Some(3), Some(20));
            assert_eq!(s["minLength"], 3, "{p}: {s}");
        }
        // No string fits: left as it is, which says so.
        let s = folded("^[a-z]+$", Some(5), Some(2));
        assert_eq!(s["maxLength"], 2);
    }

    #[test]
    fn patterns_are_anchored_and_a_second_one_is_described() {
        let any = ANY_CHAR;
        let mut s = json!({"type": "string"});
        pattern(&mut s, "^a");
        pattern(&mut s, "b$");
        assert_eq!(
            s,
            json!({
                "type": "string",
                "pattern": format!("^a{any}*$"),
                "description": "Must match the regular expression /b$/."
            })
        );
        assert_eq!(anchored("^[a-z]+$").as_deref(), Some("^[a-z]+$"));
        assert_eq!(anchored(r"\.pdf$"), Some(format!("^{any}*\\.pdf$")));
        assert_eq!(anchored("@"), Some(format!("^{any}*@{any}*$")));
        assert_eq!(anchored("a|b"), Some(format!("^{any}*(a|b){any}*$")));
        assert_eq!(anchored("(a|b)c$"), Some(format!("^{any}*(a|b)c$")));
        assert_eq!(anchored(r"^a\$"), Some(format!("^a\\${any}*$")));
        assert_eq!(anchored("[|]x"), Some(format!("^{any}*[|]x{any}*$")));
        assert_eq!(anchored("^a|b"), None);
        assert_eq!(anchored("^$").as_deref(), Some("^$"));
        assert_eq!(anchored("^"), Some(format!("^{any}*$")));
        let mut s = json!({"type": "string"});
        pattern(&mut s, "^a|b$");
        assert_eq!(
            s,
            json!({"type": "string", "description": "Must match the regular expression /^a|b$/."})
        );
    }

    #[test]
    fn escape() {
        assert_eq!(escape_regex("a.b(c)"), r"a\.b\(c\)");
        assert_eq!(escape_regex("sku-1/2"), "sku-1/2");
    }
}
