//! A length folded into a string's pattern: where the pattern can carry the length (an affix,
//! or one character repeated), the length becomes part of it and the length keywords are
//! dropped, so that every grammar engine enforces both (llama.cpp drops a length beside a
//! pattern, outlines-core drops the pattern beside a length, xgrammar refuses the two).

use serde_json::{json, Map, Value};

/// Matches any one character, line breaks included, in ECMA-262 and in the grammar
/// engines' dialects (llama.cpp supports no `\s`, `\S` or `s` flag; `.` excludes line
/// breaks everywhere).
pub const ANY_CHAR: &str = r"(.|\n|\r|\u2028|\u2029)";

/// ECMA-262's syntax characters: with the `u` flag, escaping any other is an error.
pub(crate) const SYNTAX: &str = "\\^$.|?*+()[]{}";

/// A string with a pattern and a length: where the pattern is an affix (a literal, then
/// any text, or the reverse), the length is written into it (`^SHP-(..){0,8}$`) and the
/// length keywords are dropped. llama.cpp ignores `minLength`/`maxLength` beside a
/// pattern, and xgrammar refuses the two together; the folded pattern means the same.
pub(crate) fn fold_length_into_pattern(map: &mut Map<String, Value>) {
    let (min, max) = (
        map.get("minLength").and_then(Value::as_u64),
        map.get("maxLength").and_then(Value::as_u64),
    );
    let Some(Value::String(pattern)) = map.get("pattern") else {
        return;
    };
    if min.is_none() && max.is_none() {
        return;
    }
    let any = format!("{ANY_CHAR}*");
    let Some(inner) = pattern.strip_prefix('^').and_then(|p| p.strip_suffix('$')) else {
        return;
    };
    if let Some(folded) = fold_into_repetition(inner, min, max) {
        map.insert("pattern".into(), json!(folded));
        map.remove("minLength");
        map.remove("maxLength");
        return;
    }
    let (literal, prefix) = match (inner.strip_suffix(&any), inner.strip_prefix(&any)) {
        (Some(l), _) => (l, true),
        (None, Some(l)) => (l, false),
        _ => return,
    };
    let Some(n) = literal_chars(literal) else {
        return;
    };
    let lo = min.map_or(0, |m| m.saturating_sub(n));
    let times = match max {
        // No string fits: leave both keywords, which say so.
        Some(m) if m < n || m - n < lo => return,
        Some(m) => format!("{{{lo},{}}}", m - n),
        None => format!("{{{lo},}}"),
    };
    let folded = if prefix {
        format!("^{literal}{ANY_CHAR}{times}$")
    } else {
        format!("^{ANY_CHAR}{times}{literal}$")
    };
    map.insert("pattern".into(), json!(folded));
    map.remove("minLength");
    map.remove("maxLength");
}

/// A pattern that is one character, repeated (`^[a-z0-9_]+$`, `^\d*$`, `^.+$`: a class, a
/// class escape or `.`, then `+` or `*`), with the length as its repetition instead:
/// `^[a-z0-9_]{3,20}$`. Each repetition is one character, so the pattern means the pattern and
/// the length together; `None` for any other pattern, or when no string fits.
fn fold_into_repetition(inner: &str, min: Option<u64>, max: Option<u64>) -> Option<String> {
    let (atom, at_least) = match inner.as_bytes().last()? {
        b'+' => (&inner[..inner.len() - 1], 1),
        b'*' => (&inner[..inner.len() - 1], 0),
        _ => return None,
    };
    let one_char = match atom.as_bytes() {
        [b'.'] => true,
        [b'\\', c] => b"dDwWsS".contains(c),
        [b'[', rest @ .., b']'] => {
            // One class: no `[` or `]` inside it but escaped ones.
            let mut escaped = false;
            rest.iter().all(|&b| {
                let ok = escaped || (b != b'[' && b != b']');
                escaped = !escaped && b == b'\\';
                ok
            }) && !escaped
                && !rest.is_empty()
        }
        _ => false,
    };
    if !one_char {
        return None;
    }
    let lo = min.unwrap_or(0).max(at_least);
    let times = match max {
        Some(m) if m < lo => return None,
        Some(m) => format!("{{{lo},{m}}}"),
        None => format!("{{{lo},}}"),
    };
    Some(format!("^{atom}{times}$"))
}

/// The length in characters of an escaped literal (as `keywords::escape_regex` writes it), or
/// `None` when `text` is not one.
fn literal_chars(text: &str) -> Option<u64> {
    let mut n = 0;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let next = chars.next()?;
                if !SYNTAX.contains(next) {
                    return None;
                }
            }
            c if SYNTAX.contains(c) => return None,
            _ => {}
        }
        n += 1;
    }
    Some(n)
}
