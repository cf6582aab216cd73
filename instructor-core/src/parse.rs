//! Reading the answer: finding the JSON in a reply and deserializing it with paths.

use serde::de::{DeserializeOwned, IgnoredAny};
use serde_json::Value;

use crate::dialect::strict::undo;
use crate::validation::ValidationErrors;
use crate::wrap::{self, FIELD};

/// Finds the JSON document in free text, as [`Mode::MdJson`](crate::Mode::MdJson) reads it:
///
/// 1. the whole text, when it is JSON;
/// 2. the first ```` ```json ```` fenced block (any case), then the first unlabelled or
///    otherwise labelled fence whose body starts with `{` or `[`;
/// 3. the first balanced `{...}` in the text that is valid JSON (quotes, escapes and braces
///    inside strings are respected), then the first balanced `[...]`.
///
/// ```
/// use instructor_core::__private::extract_json;
/// assert_eq!(extract_json("Sure!\n```json\n{\"a\": 1}\n```"), Some("{\"a\": 1}"));
/// assert_eq!(extract_json(r#"It is {"s": "a } b"} ok"#), Some(r#"{"s": "a } b"}"#));
/// assert_eq!(extract_json("no json here"), None);
/// ```
pub fn extract_json(text: &str) -> Option<&str> {
    let trimmed = text.trim();
    if is_json(trimmed) {
        return Some(trimmed);
    }
    if let Some(body) = fenced(text, true).or_else(|| fenced(text, false)) {
        return Some(body);
    }
    balanced(text, b'{', b'}').or_else(|| balanced(text, b'[', b']'))
}

fn is_json(text: &str) -> bool {
    (text.starts_with('{') || text.starts_with('['))
        && serde_json::from_str::<IgnoredAny>(text).is_ok()
}

/// The body of the first fence labelled `json` (`json_only`), or of the first fence whose
/// body looks like JSON.
fn fenced(text: &str, json_only: bool) -> Option<&str> {
    let mut rest = text;
    let mut offset = 0;
    while let Some(start) = rest.find("```") {
        let after = &rest[start + 3..];
        let line_end = after.find('\n')?;
        let label = after[..line_end].trim();
        let body_start = line_end + 1;
        let body_and_rest = &after[body_start..];
        let end = body_and_rest.find("```")?;
        let body = body_and_rest[..end].trim();
        let labelled_json =
            label.eq_ignore_ascii_case("json") || label.eq_ignore_ascii_case("jsonc");
        let looks_json = body.starts_with('{') || body.starts_with('[');
        if (json_only && labelled_json) || (!json_only && looks_json) {
            return Some(body);
        }
        let consumed = start + 3 + body_start + end + 3;
        offset += consumed;
        rest = &text[offset..];
    }
    None
}

/// The first balanced `open ... close` span that parses as JSON.
///
/// Each candidate is scanned from its opening bracket, which is quadratic on text made of
/// unclosed brackets (`{"a": {"a": ...`): the total work is bounded to a few passes over the
/// text, after which the search gives up (`None`).
fn balanced(text: &str, open: u8, close: u8) -> Option<&str> {
    let bytes = text.as_bytes();
    let mut budget = bytes.len().saturating_mul(4).max(1 << 16);
    let mut from = 0;
    while let Some(pos) = bytes[from..].iter().position(|&b| b == open) {
        let start = from + pos;
        let found = matching_close(bytes, start, open, close);
        let scanned = found.map_or(bytes.len(), |end| end + 1) - start;
        budget = budget.checked_sub(scanned)?;
        if let Some(end) = found {
            let candidate = &text[start..=end];
            budget = budget.checked_sub(candidate.len())?;
            if serde_json::from_str::<IgnoredAny>(candidate).is_ok() {
                return Some(candidate);
            }
        }
        from = start + 1;
    }
    None
}

/// The index of the byte closing the bracket at `start`, skipping strings.
fn matching_close(bytes: &[u8], start: usize, open: u8, close: u8) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (i, &b) in bytes.iter().enumerate().skip(start) {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        if b == b'"' {
            in_string = true;
        } else if b == open {
            depth += 1;
        } else if b == close {
            depth -= 1;
            if depth == 0 {
                return Some(i);
            }
        }
    }
    None
}

/// Deserializes `text` into `T`; a failure is one error at the JSON path where it happened.
///
/// Valid answers take serde_json's direct path; only a failure is parsed again with path
/// tracking (which costs about twice the plain parse) to say where it went wrong.
pub(crate) fn parse_text<T: DeserializeOwned>(text: &str) -> Result<T, ValidationErrors> {
    if let Ok(value) = serde_json::from_str(text) {
        return Ok(value);
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let value = serde_path_to_error::deserialize(&mut de).map_err(path_error)?;
    de.end().map_err(|e| single("", e.to_string()))?;
    Ok(value)
}

/// Like [`parse_text`], first turning the answer to the strict schema back into one of the
/// original schema (see [`crate::dialect::strict_schema`]).
pub(crate) fn parse_strict<T: DeserializeOwned>(
    text: &str,
    schema: &Value,
) -> Result<T, ValidationErrors> {
    let mut value: Value = serde_json::from_str(text).map_err(|e| single("", e.to_string()))?;
    undo_strict(&mut value, schema);
    parse_value(value)
}

/// Like [`parse_text`], for an answer asked for as `{"value": ..}` (see [`crate::wrap`]): the
/// answer is taken out of the wrapper (after the strict rewrite is undone with `strict`, the
/// wrapper's own schema, when the answer was written to the strict dialect) and parsed, with
/// the paths of its errors relative to it. A reply without the wrapper that is a `T` as it
/// is, is taken too: models that read the schema in the prompt sometimes leave it out.
pub(crate) fn parse_wrapped<T: DeserializeOwned>(
    text: &str,
    strict: Option<&Value>,
) -> Result<T, ValidationErrors> {
    let mut value: Value = serde_json::from_str(text).map_err(|e| single("", e.to_string()))?;
    if let Some(schema) = strict {
        undo_strict(&mut value, schema);
    }
    match wrap::unwrap(value) {
        Ok(inner) => parse_value(inner),
        Err(bare) => T::deserialize(&bare).map_err(|_| {
            single(
                "",
                format!(
                    "the answer is not in a field `{FIELD}`: reply with {{\"{FIELD}\": <the answer>}}"
                ),
            )
        }),
    }
}

fn undo_strict(value: &mut Value, schema: &Value) {
    let defs = schema.get("$defs").unwrap_or(&Value::Null);
    undo(value, schema, defs);
}

/// Deserializes a value; a failure is one error at the path where it happened.
fn parse_value<T: DeserializeOwned>(value: Value) -> Result<T, ValidationErrors> {
    if let Ok(parsed) = T::deserialize(&value) {
        return Ok(parsed);
    }
    serde_path_to_error::deserialize(value).map_err(path_error)
}

fn path_error(e: serde_path_to_error::Error<serde_json::Error>) -> ValidationErrors {
    let path = e.path().to_string();
    let path = if path == "." { String::new() } else { path };
    single(&path, e.into_inner().to_string())
}

fn single(path: &str, message: impl Into<String>) -> ValidationErrors {
    let mut errors = ValidationErrors::new();
    errors.add(path, message);
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_text() {
        assert_eq!(extract_json("  {\"a\":1}\n"), Some("{\"a\":1}"));
        assert_eq!(extract_json("[1,2]"), Some("[1,2]"));
    }

    #[test]
    fn json_fence_preferred_over_earlier_other_fence() {
        let t = "```rust\nlet x = 1;\n```\nthen\n```JSON\n{\"b\": 2}\n```";
        assert_eq!(extract_json(t), Some("{\"b\": 2}"));
    }

    #[test]
    fn unlabelled_fence() {
        assert_eq!(
            extract_json("x\n```\n{\"c\": [1]}\n```\n"),
            Some("{\"c\": [1]}")
        );
    }

    #[test]
    fn braces_and_quotes_inside_strings() {
        let t = r#"Here: {"s": "a \"}\" {b", "n": {"m": "}"}} trailing {"x":1}"#;
        assert_eq!(
            extract_json(t),
            Some(r#"{"s": "a \"}\" {b", "n": {"m": "}"}}"#)
        );
    }

    #[test]
    fn skips_unbalanced_or_invalid_candidates() {
        assert_eq!(
            extract_json(r#"{not json} then {"ok": true}"#),
            Some(r#"{"ok": true}"#)
        );
        assert_eq!(extract_json("{ unclosed"), None);
        assert_eq!(extract_json("list: [1, 2] done"), Some("[1, 2]"));
    }

    #[test]
    fn unterminated_fence_falls_back_to_balanced() {
        assert_eq!(extract_json("```json\n{\"a\": 1}"), Some("{\"a\": 1}"));
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct U {
        name: String,
        friends: Vec<F>,
    }
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct F {
        age: u8,
    }

    #[test]
    fn a_wrapped_answer_is_taken_out_with_paths_relative_to_it() {
        let v: Vec<F> = parse_wrapped(r#"{"value": [{"age": 1}]}"#, None).unwrap();
        assert_eq!(v.len(), 1);
        // Without the wrapper, a list that is the type is taken as it is.
        let v: Vec<F> = parse_wrapped(r#"[{"age": 1}, {"age": 2}]"#, None).unwrap();
        assert_eq!(v.len(), 2);
        let e =
            parse_wrapped::<Vec<F>>(r#"{"value": [{"age": 1}, {"age": 300}]}"#, None).unwrap_err();
        assert_eq!(e.iter().next().unwrap().path(), "[1].age");
        let e = parse_wrapped::<Vec<F>>(r#"{"items": []}"#, None).unwrap_err();
        let e = e.iter().next().unwrap();
        assert_eq!(e.path(), "");
        assert!(
            e.message().contains("not in a field `value`"),
            "{}",
            e.message()
        );
        // `{}` is not an answer of `None`: the field is required.
        assert!(parse_wrapped::<Option<F>>("{}", None).is_err());
        assert_eq!(
            parse_wrapped::<Option<F>>(r#"{"value": null}"#, None)
                .unwrap()
                .map(|f| f.age),
            None
        );
        assert!(parse_wrapped::<String>("not json", None).is_err());
    }

    #[test]
    fn parse_errors_carry_paths() {
        let e =
            parse_text::<U>(r#"{"name": "a", "friends": [{"age": 1}, {"age": 300}]}"#).unwrap_err();
        let e = e.iter().next().unwrap();
        assert_eq!(e.path(), "friends[1].age");
        assert!(e.message().contains("300"), "{}", e.message());
        let e = parse_text::<U>(r#"{"name": "a"}"#).unwrap_err();
        assert_eq!(e.iter().next().unwrap().path(), "");
        assert!(e.to_string().contains("missing field `friends`"));
        let e = parse_text::<U>(r#"{"name": "a", "friends": []} extra"#).unwrap_err();
        assert!(e.to_string().contains("trailing"), "{e}");
    }
}
