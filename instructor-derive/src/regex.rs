//! garde's patterns are Rust `regex` syntax; JSON Schema's are ECMA-262. The common subset
//! passes through, a few spellings are translated, and constructs that mean something else
//! (or nothing) in ECMA-262 are compile errors.

pub fn to_ecma(pattern: &str) -> Result<String, String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len());
    let mut i = 0;
    let mut in_class = false;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => {
                let Some(&next) = chars.get(i + 1) else {
                    return Err("pattern ends with a lone `\\`".into());
                };
                match next {
                    'A' if !in_class => out.push('^'),
                    'z' if !in_class => out.push('$'),
                    'p' | 'P' if chars.get(i + 2).is_some_and(|c| c.is_ascii_alphabetic()) => {
                        // `\pL` -> `\p{L}`
                        out.push('\\');
                        out.push(next);
                        out.push('{');
                        out.push(chars[i + 2]);
                        out.push('}');
                        i += 3;
                        continue;
                    }
                    'x' if chars.get(i + 2) == Some(&'{') => {
                        // `\x{HHHH}` -> `\u{HHHH}`
                        out.push_str("\\u");
                        i += 2;
                        continue;
                    }
                    'Q' | 'E' | 'h' | 'H' => {
                        return Err(format!(
                            "`\\{next}` has no ECMA-262 equivalent, so it cannot be sent to the \
                             model as a JSON Schema `pattern`; write the characters out (escape \
                             them one by one)"
                        ))
                    }
                    _ => {
                        out.push('\\');
                        out.push(next);
                    }
                }
                i += 2;
                continue;
            }
            '[' if !in_class => {
                in_class = true;
                if chars.get(i + 1) == Some(&'[') && chars.get(i + 2) == Some(&':') {
                    return Err(
                        "POSIX classes like `[[:alpha:]]` are not ECMA-262: use `[a-zA-Z]` or \
                         `\\p{L}` so the JSON Schema `pattern` means what garde checks"
                            .into(),
                    );
                }
                out.push('[');
                // `[]` or `[^]` at the start is a literal `]` in Rust.
                if chars.get(i + 1) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                if chars.get(i + 1) == Some(&']') {
                    out.push_str("\\]");
                    i += 1;
                }
            }
            '[' if in_class => {
                if chars.get(i + 1) == Some(&':') {
                    return Err(
                        "POSIX classes like `[[:alpha:]]` are not ECMA-262: use `[a-zA-Z]` or \
                         `\\p{L}` so the JSON Schema `pattern` means what garde checks"
                            .into(),
                    );
                }
                return Err(
                    "nested character classes (`[a[bc]]`) and class set operations (`&&`, `--`, \
                     `~~`) are not ECMA-262: flatten the class"
                        .into(),
                );
            }
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            '&' | '-' | '~' if in_class && chars.get(i + 1) == Some(&c) => {
                return Err(
                    "class set operations (`&&`, `--`, `~~`) are not ECMA-262: flatten the class"
                        .into(),
                );
            }
            '(' if !in_class && chars.get(i + 1) == Some(&'?') => match chars.get(i + 2) {
                Some('P') if chars.get(i + 3) == Some(&'<') => {
                    out.push_str("(?<");
                    i += 4;
                    continue;
                }
                Some(':') | Some('<') | Some('=') | Some('!') => out.push('('),
                _ => {
                    return Err(
                        "inline flags like `(?i)` are not ECMA-262 and a JSON Schema \
                             `pattern` cannot carry flags: spell the cases out (`[Aa]` for \
                             `(?i)a`), or drop the flag"
                            .into(),
                    )
                }
            },
            _ => out.push(c),
        }
        i += 1;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::to_ecma;

    #[test]
    fn common_subset_passes_through() {
        for p in [
            r"^[a-z]+$",
            r"^\d{3}-\d{4}$",
            r"a|b",
            r"(?:ab)+",
            r"^\p{L}+$",
            r"[\]]",
        ] {
            assert_eq!(to_ecma(p).unwrap(), p);
        }
    }

    #[test]
    fn translated() {
        assert_eq!(to_ecma(r"\A[0-9]+\z").unwrap(), r"^[0-9]+$");
        assert_eq!(to_ecma(r"(?P<year>\d{4})").unwrap(), r"(?<year>\d{4})");
        assert_eq!(to_ecma(r"\pL+").unwrap(), r"\p{L}+");
        assert_eq!(to_ecma(r"[]a]").unwrap(), r"[\]a]");
        assert_eq!(to_ecma(r"\x{e9}\x41").unwrap(), r"\u{e9}\x41");
    }

    #[test]
    fn rejected() {
        for p in [
            r"(?i)abc",
            r"(?i:a)b",
            r"[[:alpha:]]",
            r"[a-z&&[^aeiou]]",
            r"\Qa.b\E",
            r"x\",
        ] {
            assert!(to_ecma(p).is_err(), "{p}");
        }
    }
}
