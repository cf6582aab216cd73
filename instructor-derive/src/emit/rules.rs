//! garde's rules in the schema tree: each rule the schema carries as a JSON node, a bound
//! as the number the macro can write now, or as the index of a value computed at run time.

use super::json::Json;
use super::sources::{Sources, Value};
use crate::model::*;

/// Whether any of the rules is one the schema carries.
pub(super) fn has_schema_rules(rules: &[Rule]) -> bool {
    rules
        .iter()
        .any(|r| !matches!(r.kind, RuleKind::Required | RuleKind::Other))
}

/// garde's rules, as a JSON array of the rules the schema carries.
pub(super) fn rules<'a>(j: &mut Json, src: &mut Sources<'a>, rules: &'a [Rule], ascii: bool) {
    j.array(|j| {
        for rule in rules {
            match &rule.kind {
                RuleKind::Length(l) => {
                    let mode = match l.mode {
                        LengthMode::Simple | LengthMode::Bytes => "bytes",
                        LengthMode::Chars => "chars",
                        LengthMode::Graphemes => "graphemes",
                        LengthMode::Utf16 => "utf16",
                    };
                    j.object(|j| {
                        j.key("length").object(|j| {
                            j.key("mode").str(mode);
                            length_bound(j, src, "min", &l.min);
                            length_bound(j, src, "max", &l.max);
                            j.flag("ascii", ascii);
                        });
                    });
                }
                RuleKind::Range(r) => {
                    j.object(|j| {
                        j.key("range").object(|j| {
                            range_bound(j, src, "min", &r.min);
                            range_bound(j, src, "max", &r.max);
                        });
                    });
                }
                RuleKind::Pattern(s) => tagged_str(j, "pattern", s),
                RuleKind::Contains(s) => tagged_str(j, "contains", s),
                RuleKind::Prefix(s) => tagged_str(j, "prefix", s),
                RuleKind::Suffix(s) => tagged_str(j, "suffix", s),
                RuleKind::Format(f) => tagged_str(j, "format", f),
                RuleKind::Ip => {
                    j.str("ip");
                }
                RuleKind::Ascii => {
                    j.str("ascii");
                }
                RuleKind::Alphanumeric => {
                    j.str("alphanumeric");
                }
                RuleKind::Inner(inner) => {
                    let inner_ascii = inner.iter().any(|r| matches!(r.kind, RuleKind::Ascii));
                    j.object(|j| {
                        j.key("inner");
                        self::rules(j, src, inner, inner_ascii);
                    });
                }
                RuleKind::Required | RuleKind::Other => {}
            }
        }
    });
}

/// `{"key": "text"}`.
fn tagged_str(j: &mut Json, key: &str, text: &str) {
    j.object(|j| {
        j.key(key).str(text);
    });
}

/// A `length` bound: an integer literal as it is, a constant converted at run time.
fn length_bound<'a>(j: &mut Json, src: &mut Sources<'a>, key: &str, b: &'a Option<Bound>) {
    let Some(b) = b else {
        return;
    };
    if let Some(Literal {
        negative: false,
        lit: syn::Lit::Int(i),
    }) = &b.literal
    {
        if let Ok(n) = i.base10_parse::<u64>() {
            j.key(key).raw(&n.to_string());
            return;
        }
    }
    let i = src.value(Value::Length(&b.expr));
    j.key(key).object(|j| {
        j.key("fn").num(i);
    });
}

/// A `range` bound: an integer or float literal read now (the same JSON number serde would
/// write for it), or a constant serialized at run time.
fn range_bound<'a>(j: &mut Json, src: &mut Sources<'a>, key: &str, b: &'a Option<Bound>) {
    let Some(b) = b else {
        return;
    };
    let sign = |neg: bool| if neg { "-" } else { "" };
    let (neg, lit) = match &b.literal {
        Some(l) => (l.negative, Some(&l.lit)),
        None => (false, None),
    };
    match lit {
        Some(syn::Lit::Int(i)) => {
            let digits = format!("{}{}", sign(neg), i.base10_digits());
            if digits.parse::<i64>().is_ok() || digits.parse::<u64>().is_ok() {
                j.key(key).raw(&digits);
                return;
            }
        }
        Some(syn::Lit::Float(f)) => {
            // serde writes an `f32` widened to `f64`.
            let v = match f.suffix() {
                "f32" => f.base10_digits().parse::<f32>().ok().map(f64::from),
                _ => f.base10_digits().parse::<f64>().ok(),
            };
            if let Some(v) = v.filter(|v| v.is_finite()) {
                let v = if neg { -v } else { v };
                // `{:?}` writes the shortest text that reads back as the same `f64`, with a
                // `.` or an exponent: a JSON number.
                j.key(key).raw(&format!("{v:?}"));
                return;
            }
        }
        _ => {}
    }
    let i = src.value(Value::Range(&b.expr));
    j.key(key).object(|j| {
        j.key("fn").num(i);
    });
}
