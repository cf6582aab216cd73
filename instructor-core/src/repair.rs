//! Repairing replies that are almost JSON, before they cost a re-ask: a Markdown fence or
//! prose around the value, trailing commas, single-quoted strings, unquoted keys, comments,
//! Python's `True`/`False`/`None`, and closing brackets missing at the end of a reply that
//! finished normally.
//!
//! One pass over the text, linear in its length. A repair only ever removes what JSON does
//! not allow or adds what it misses at the edges (quotes around a key, brackets at the
//! end); it never changes a string, a number or the order of anything, and what it returns
//! is checked to be JSON. Anything else (a string cut in the middle, a value missing after a
//! colon) is not repaired: the reply is re-asked.

/// The JSON inside `text` when `text` is not JSON but can be repaired into it, with what
/// was fixed; `None` when `text` is JSON already, or cannot be repaired.
pub(crate) fn repair(text: &str) -> Option<Repair> {
    if serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok() {
        return None;
    }
    let mut r = Repairer::new(text);
    r.run()?;
    let json = r.out;
    serde_json::from_str::<serde::de::IgnoredAny>(&json).ok()?;
    Some(Repair {
        json,
        fixes: r.fixes.into_iter().map(Fix::as_str).collect(),
    })
}

/// A reply that was almost JSON and was repaired before it was parsed (see
/// [`Attempt::repair`](crate::Attempt::repair)).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Repair {
    /// The JSON that was parsed.
    pub json: String,
    /// What was fixed, each once, in the order first met: `text around the JSON`,
    /// `trailing comma`, `single-quoted string`, `unquoted key`, `comment`,
    /// `Python literal`, `missing closing bracket`.
    pub fixes: Vec<&'static str>,
}

/// One kind of fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fix {
    /// Text around the value (prose, a Markdown fence) was left out.
    Surroundings,
    /// A comma before `}` or `]` was removed.
    TrailingComma,
    /// A single-quoted string was written with double quotes.
    SingleQuotes,
    /// A key without quotes was quoted.
    UnquotedKey,
    /// A `//` or `/* */` comment was removed.
    Comment,
    /// `True`, `False` or `None` was written `true`, `false`, `null`.
    PythonLiteral,
    /// Closing brackets missing at the end were added.
    MissingClose,
}

impl Fix {
    /// A few words for the fix.
    fn as_str(self) -> &'static str {
        match self {
            Fix::Surroundings => "text around the JSON",
            Fix::TrailingComma => "trailing comma",
            Fix::SingleQuotes => "single-quoted string",
            Fix::UnquotedKey => "unquoted key",
            Fix::Comment => "comment",
            Fix::PythonLiteral => "Python literal",
            Fix::MissingClose => "missing closing bracket",
        }
    }
}

struct Repairer<'a> {
    src: &'a [u8],
    text: &'a str,
    i: usize,
    out: String,
    /// Open containers: `b'{'` or `b'['`.
    stack: Vec<u8>,
    /// In an object, the next token is a key.
    expect_key: bool,
    /// A key has been written and its value has not started.
    awaiting_value: bool,
    /// A comma has been read but not written: it is dropped if a closing bracket follows.
    pending_comma: bool,
    fixes: Vec<Fix>,
}

impl<'a> Repairer<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            src: text.as_bytes(),
            text,
            i: 0,
            out: String::with_capacity(text.len() + 8),
            stack: Vec::new(),
            expect_key: false,
            awaiting_value: false,
            pending_comma: false,
            fixes: Vec::new(),
        }
    }

    fn fix(&mut self, fix: Fix) {
        if !self.fixes.contains(&fix) {
            self.fixes.push(fix);
        }
    }

    /// Repairs from the first `{` or `[` to the end of that value; `None` when it cannot.
    fn run(&mut self) -> Option<()> {
        let start = self.src.iter().position(|&b| b == b'{' || b == b'[')?;
        if !self.text[..start].trim().is_empty() {
            self.fix(Fix::Surroundings);
        }
        self.i = start;
        loop {
            self.skip_space_and_comments();
            let Some(&b) = self.src.get(self.i) else {
                return self.close_at_end();
            };
            match b {
                // A closing Markdown fence: the value ended there.
                b'`' => {
                    self.fix(Fix::Surroundings);
                    return self.close_at_end();
                }
                b'{' | b'[' => {
                    self.flush_comma();
                    self.stack.push(b);
                    self.out.push(b as char);
                    self.expect_key = b == b'{';
                    self.awaiting_value = false;
                    self.i += 1;
                }
                b'}' | b']' => {
                    let open = if b == b'}' { b'{' } else { b'[' };
                    if self.stack.last() != Some(&open) {
                        return None;
                    }
                    if self.pending_comma {
                        self.pending_comma = false;
                        self.fix(Fix::TrailingComma);
                    }
                    self.stack.pop();
                    self.out.push(b as char);
                    self.i += 1;
                    self.expect_key = false;
                    if self.stack.is_empty() {
                        if !self.text[self.i..].trim().is_empty() {
                            self.fix(Fix::Surroundings);
                        }
                        return Some(());
                    }
                }
                b',' => {
                    if self.pending_comma || self.stack.is_empty() {
                        return None;
                    }
                    self.pending_comma = true;
                    self.expect_key = self.stack.last() == Some(&b'{');
                    self.i += 1;
                }
                b':' => {
                    self.out.push(':');
                    self.i += 1;
                }
                b'"' | b'\'' => {
                    self.flush_comma();
                    self.string(b)?;
                    self.awaiting_value = self.expect_key;
                    self.expect_key = false;
                }
                _ => {
                    self.flush_comma();
                    self.bare_word()?;
                    self.awaiting_value = self.expect_key;
                    self.expect_key = false;
                }
            }
        }
    }

    fn flush_comma(&mut self) {
        if std::mem::take(&mut self.pending_comma) {
            self.out.push(',');
        }
    }

    fn skip_space_and_comments(&mut self) {
        loop {
            while self
                .src
                .get(self.i)
                .is_some_and(|b| b.is_ascii_whitespace())
            {
                self.i += 1;
            }
            let rest = &self.src[self.i.min(self.src.len())..];
            if rest.starts_with(b"//") {
                self.fix(Fix::Comment);
                let end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
                self.i += end;
            } else if rest.starts_with(b"/*") {
                self.fix(Fix::Comment);
                let end = rest[2..]
                    .windows(2)
                    .position(|w| w == b"*/")
                    .map_or(rest.len(), |p| p + 4);
                self.i += end;
            } else {
                return;
            }
        }
    }

    /// A string in `quote`s, written with double quotes.
    fn string(&mut self, quote: u8) -> Option<()> {
        if quote == b'\'' {
            self.fix(Fix::SingleQuotes);
        }
        self.out.push('"');
        self.i += 1;
        let mut run = self.i;
        while let Some(&b) = self.src.get(self.i) {
            match b {
                b'\\' => {
                    let next = *self.src.get(self.i + 1)?;
                    if quote == b'\'' && next == b'\'' {
                        // `\'` is not a JSON escape: the quote is plain text in JSON.
                        self.out.push_str(&self.text[run..self.i]);
                        self.out.push('\'');
                        self.i += 2;
                        run = self.i;
                    } else {
                        self.i += 2;
                    }
                }
                b'"' if quote == b'\'' => {
                    self.out.push_str(&self.text[run..self.i]);
                    self.out.push_str("\\\"");
                    self.i += 1;
                    run = self.i;
                }
                _ if b == quote => {
                    self.out.push_str(&self.text[run..self.i]);
                    self.out.push('"');
                    self.i += 1;
                    return Some(());
                }
                _ => self.i += 1,
            }
        }
        // The text ends inside a string: what was cut cannot be known.
        None
    }

    /// A number, a literal, or a key without quotes.
    fn bare_word(&mut self) -> Option<()> {
        let start = self.i;
        while let Some(&b) = self.src.get(self.i) {
            if b.is_ascii_alphanumeric() || matches!(b, b'_' | b'$' | b'-' | b'+' | b'.') {
                self.i += 1;
            } else {
                break;
            }
        }
        let word = &self.text[start..self.i];
        if word.is_empty() {
            return None;
        }
        if self.expect_key {
            let ident = word
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_' || b == b'$');
            if !ident {
                return None;
            }
            self.fix(Fix::UnquotedKey);
            self.out.push('"');
            self.out.push_str(word);
            self.out.push('"');
            return Some(());
        }
        let json = match word {
            "True" => "true",
            "False" => "false",
            "None" => "null",
            w => w,
        };
        if json != word {
            self.fix(Fix::PythonLiteral);
        }
        self.out.push_str(json);
        Some(())
    }

    /// The end of the text with containers still open: close them, unless the text stopped
    /// where a value was still expected.
    fn close_at_end(&mut self) -> Option<()> {
        if self.pending_comma || self.awaiting_value || self.stack.is_empty() {
            return None;
        }
        self.fix(Fix::MissingClose);
        while let Some(open) = self.stack.pop() {
            self.out.push(if open == b'{' { '}' } else { ']' });
        }
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn fixed(text: &str) -> (Value, Vec<&'static str>) {
        let r = repair(text).unwrap_or_else(|| panic!("not repaired: {text}"));
        (serde_json::from_str(&r.json).unwrap(), r.fixes)
    }

    #[test]
    fn json_is_left_alone() {
        assert_eq!(repair(r#"{"a": [1, 2]}"#), None);
        assert_eq!(repair("[]"), None);
    }

    #[test]
    fn each_fix() {
        assert_eq!(
            fixed("Sure!\n```json\n{\"a\": 1}\n```"),
            (json!({"a": 1}), vec![Fix::Surroundings.as_str()])
        );
        assert_eq!(
            fixed(r#"{"a": [1, 2,], }"#),
            (json!({"a": [1, 2]}), vec![Fix::TrailingComma.as_str()])
        );
        assert_eq!(
            fixed(r#"{'name': 'Jason "J" O\'Neil'}"#),
            (
                json!({"name": "Jason \"J\" O'Neil"}),
                vec![Fix::SingleQuotes.as_str()]
            )
        );
        assert_eq!(
            fixed(r#"{name: "Jason", age_years: 20}"#),
            (
                json!({"name": "Jason", "age_years": 20}),
                vec![Fix::UnquotedKey.as_str()]
            )
        );
        assert_eq!(
            fixed("{\"a\": 1, // the age\n /* more */ \"b\": 2}"),
            (json!({"a": 1, "b": 2}), vec![Fix::Comment.as_str()])
        );
        assert_eq!(
            fixed(r#"{"ok": True, "no": False, "x": None}"#),
            (
                json!({"ok": true, "no": false, "x": null}),
                vec![Fix::PythonLiteral.as_str()]
            )
        );
        assert_eq!(
            fixed(r#"{"a": {"b": [1, 2"#),
            (
                json!({"a": {"b": [1, 2]}}),
                vec![Fix::MissingClose.as_str()]
            )
        );
    }

    #[test]
    fn what_cannot_be_known_is_not_repaired() {
        for text in [
            r#"{"name": "Jas"#,            // cut inside a string
            r#"{"name": "Jason", "age":"#, // a key without its value
            r#"{"name": "Jason","#,        // a comma and nothing after
            r#"{"name""#,                  // a key and nothing after
            r#"{"a": 1]"#,                 // brackets that do not match
            "no json at all",
            r#"{"a": 1,, "b": 2}"#,
            r#"{1: "a"}"#,
        ] {
            assert_eq!(repair(text), None, "{text}");
        }
    }

    #[test]
    fn a_comment_marker_inside_a_string_is_text() {
        assert_eq!(
            fixed(r#"{'url': 'http://x.example/*y*/', }"#).0,
            json!({"url": "http://x.example/*y*/"})
        );
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;
    use serde_json::{Map, Value};

    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i32>().prop_map(Value::from),
            "[a-zA-Z0-9 '\"\\\\/*,{}:\\[\\]é😀\n]{0,12}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 48, 5, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                prop::collection::vec(("[a-z_][a-z0-9_]{0,6}|[ -~]{0,6}", inner), 0..5)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
            ]
        })
    }

    /// Writes `v` as an LLM might: each damage drawn from `d`, one per decision point.
    struct Damager<'a> {
        d: &'a [bool],
        k: usize,
    }

    impl Damager<'_> {
        fn roll(&mut self) -> bool {
            self.k += 1;
            self.d[self.k % self.d.len()]
        }

        fn string(&mut self, s: &str, out: &mut String) {
            let json = Value::String(s.to_owned()).to_string();
            if self.roll() {
                // Single quotes: `"` needs no escape inside, `'` does.
                let inner = &json[1..json.len() - 1];
                out.push('\'');
                out.push_str(&inner.replace("\\\"", "\"").replace('\'', "\\'"));
                out.push('\'');
            } else {
                out.push_str(&json);
            }
        }

        fn comment(&mut self, out: &mut String) {
            if self.roll() && self.roll() {
                out.push_str(if self.roll() {
                    " /* note */ "
                } else {
                    " // note\n"
                });
            }
        }

        /// An array's or an object's members between its brackets, each written by `write`
        /// after a comma (but the first) and maybe a comment, then maybe a trailing comma.
        fn members<T>(
            &mut self,
            (open, close): (char, char),
            members: impl IntoIterator<Item = T>,
            out: &mut String,
            mut write: impl FnMut(&mut Self, T, &mut String),
        ) {
            out.push(open);
            let mut any = false;
            for member in members {
                if any {
                    out.push(',');
                }
                any = true;
                self.comment(out);
                write(self, member, out);
            }
            if any && self.roll() {
                out.push(',');
            }
            out.push(close);
        }

        fn write(&mut self, v: &Value, out: &mut String) {
            match v {
                Value::Null => out.push_str(if self.roll() { "None" } else { "null" }),
                Value::Bool(b) => out.push_str(match (b, self.roll()) {
                    (true, true) => "True",
                    (true, false) => "true",
                    (false, true) => "False",
                    (false, false) => "false",
                }),
                Value::Number(n) => out.push_str(&n.to_string()),
                Value::String(s) => self.string(s, out),
                Value::Array(items) => {
                    self.members(('[', ']'), items, out, |s, item, out| s.write(item, out));
                }
                Value::Object(map) => self.members(('{', '}'), map, out, |s, (k, item), out| {
                    let ident = k
                        .bytes()
                        .next()
                        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
                        && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                        && !matches!(k.as_str(), "True" | "False" | "None");
                    if ident && s.roll() {
                        out.push_str(k);
                    } else {
                        s.string(k, out);
                    }
                    out.push_str(": ");
                    s.write(item, out);
                }),
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// A damaged rendering of a value is repaired into exactly that value.
        #[test]
        fn damage_is_undone(v in value(), d in prop::collection::vec(any::<bool>(), 1..64),
                            cut_closers in any::<bool>(), fence in any::<bool>()) {
            prop_assume!(v.is_object() || v.is_array());
            let mut text = String::new();
            Damager { d: &d, k: 0 }.write(&v, &mut text);
            if cut_closers {
                let kept = text.trim_end_matches([']', '}']).len();
                // Only closers after a complete value (not after an opening bracket's comma).
                if !text[..kept].ends_with(',') {
                    text.truncate(kept);
                }
            }
            if fence {
                text = format!("Here it is:\n```json\n{text}\n```\nDone.");
            }
            let got = match repair(&text) {
                Some(r) => serde_json::from_str::<Value>(&r.json).unwrap(),
                None => serde_json::from_str::<Value>(&text)
                    .unwrap_or_else(|e| panic!("neither JSON nor repaired ({e}): {text}")),
            };
            prop_assert_eq!(got, v, "{}", text);
        }

        /// Whatever the input, no panic, and a repair is JSON.
        #[test]
        fn any_text_repairs_to_json_or_nothing(text in "[\\[\\]{}\"':,/*a-z0-9 \\\\\n.-]{0,64}") {
            if let Some(r) = repair(&text) {
                prop_assert!(serde_json::from_str::<Value>(&r.json).is_ok(), "{}", r.json);
            }
        }

        /// JSON is never touched.
        #[test]
        fn json_needs_no_repair(v in value()) {
            prop_assert_eq!(repair(&v.to_string()), None);
        }
    }
}
