//! The schema: the manifest's `schema` tree and `fn schema`. The tree mirrors the schema
//! (struct bodies are objects, variants are wrapped as their tagging writes them), with the
//! parts that are fixed when the macro runs (unit variants, enums of strings) as JSON
//! already, and each field as its wire name, doc comment, garde rules and the index of its
//! type's schema function. `fn schema` hands `instructor::__private::schema` those
//! functions (`<FieldType as Instructor>::schema`, `schema_with` paths) and the values
//! computed at run time (examples, constants used as bounds), in the order the tree's
//! indices count them. A named struct has no `fn schema`: its `__read` (see `partial`)
//! names the same functions, one per wire field in order, and hands over the values.

use syn::{Expr, Type};

use super::json::{self, Json};
use super::out::{Out, Toks};
use super::Cx;
use crate::model::*;
use crate::ty::option_inner;

/// What the tree's indices point at, collected while it is written.
#[derive(Default)]
pub(super) struct Sources<'a> {
    schemas: Vec<Source<'a>>,
    values: Vec<Value<'a>>,
}

/// A field's schema function.
enum Source<'a> {
    /// `<T as Instructor>::schema`.
    Type(&'a Type),
    /// `|gen| path(gen)`: called through a closure, as it was called before the schema was
    /// a table (whatever `path(gen)` compiles for is taken).
    With(&'a syn::Path),
}

/// A value computed at run time.
enum Value<'a> {
    /// `#[instructor(example = ..)]` values, as one JSON array.
    Examples(&'a [Expr]),
    /// A constant used as a `range` bound, serialized.
    Range(&'a Expr),
    /// A constant used as a `length` bound.
    Length(&'a Expr),
}

impl<'a> Sources<'a> {
    fn schema(&mut self, s: Source<'a>) -> usize {
        self.schemas.push(s);
        self.schemas.len() - 1
    }

    fn value(&mut self, v: Value<'a>) -> usize {
        self.values.push(v);
        self.values.len() - 1
    }
}

/// The manifest's schema members: `named`, `schema_doc`, `schema`.
pub(super) fn manifest<'a>(cx: &Cx<'a>, j: &mut Json) -> Sources<'a> {
    let c = cx.c;
    let mut src = Sources::default();
    let named = !matches!(c.data, Data::Struct(_)) || !c.serde.transparent;
    j.flag("named", named);
    let doc = [c.doc.clone(), unit_variant_docs(c)]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("\n\n");
    if named && !doc.is_empty() {
        j.key("schema_doc").str(&doc);
    }
    j.key("schema");
    match &c.data {
        Data::Struct(fields) if c.serde.transparent => match fields.wire().next() {
            Some(f) => {
                j.object(|j| {
                    j.key("field");
                    field(c, j, &mut src, f, false);
                });
            }
            None => json_node(j, r#"{"type":"null"}"#),
        },
        Data::Struct(fields) => fields_node(c, j, &mut src, fields, None),
        Data::Enum(variants) => enum_node(c, j, &mut src, variants),
    }
    src
}

/// `fn schema`, for every type but a named struct (whose schema is recorded by its
/// `__read`: see `partial`).
pub(super) fn schema_fn(src: &Sources, o: &mut Out) {
    if src.schemas.iter().any(|s| matches!(s, Source::With(_))) {
        o.s("#[allow(clippy::redundant_closure)]");
    }
    o.s("#[inline] fn schema(__gen: &mut __p::SchemaGenerator) -> __p::Value ");
    o.brace(|o| {
        o.s("__p::schema::<Self>").paren(|o| {
            o.s("__gen, &__T, &");
            if src.schemas.is_empty() {
                o.s("[]");
            } else {
                let mut t = Toks::new();
                t.bracket(|t| {
                    for s in &src.schemas {
                        match s {
                            Source::Type(ty) => {
                                t.s("<").t(ty).s(" as __p::Instructor>::schema");
                            }
                            // Called through a closure, as it was called before the
                            // schema was a table (whatever `path(gen)` compiles for is taken).
                            Source::With(path) => {
                                t.s("|__gen| ").t(path).paren(|t| {
                                    t.s("__gen");
                                });
                            }
                        }
                        t.s(",");
                    }
                });
                o.tokens(t.finish());
            }
            o.s(", &");
            values(src, o);
        });
    });
}

/// Whether the type's tree points at values computed at run time.
pub(super) fn has_values(src: &Sources) -> bool {
    !src.values.is_empty()
}

/// The values computed at run time, as an array of closures: `[]` for none.
pub(super) fn values(src: &Sources, o: &mut Out) {
    if src.values.is_empty() {
        o.s("[]");
        return;
    }
    let mut t = Toks::new();
    t.bracket(|t| {
        for v in &src.values {
            t.s("||");
            match v {
                Value::Examples(e) => {
                    t.s("__p::json!").paren(|t| {
                        t.bracket(|t| {
                            for e in e.iter() {
                                t.s("__p::example").paren(|t| {
                                    t.t(e);
                                });
                                t.s(",");
                            }
                        });
                    });
                }
                Value::Range(e) => {
                    t.s("__p::json!").paren(|t| {
                        t.t(e);
                    });
                }
                Value::Length(e) => {
                    t.s("__p::Value::from").paren(|t| {
                        t.paren(|t| {
                            t.t(e);
                        });
                        t.s("as u64");
                    });
                }
            }
            t.s(",");
        }
    });
    o.tokens(t.finish());
}

/// `{"json": ..}`: a schema fixed when the macro runs.
fn json_node(j: &mut Json, schema: &str) {
    j.object(|j| {
        j.key("json").raw(schema);
    });
}

/// `{"type":"string","const":name}` as JSON text.
fn string_const(name: &str) -> String {
    format!(r#"{{"type":"string","const":{}}}"#, json::string(name))
}

/// One field: its type's schema function, then its doc comment, examples and rules;
/// `optional`: the model may leave it out.
fn field<'a>(c: &Container, j: &mut Json, src: &mut Sources<'a>, f: &'a Field, optional: bool) {
    let _ = c;
    let source = match &f.schema_with {
        Some(path) => Source::With(path),
        None => match field_type(f) {
            // As written (`Option<T>`): the field's own tokens.
            (_, true) => Source::Type(&f.ty),
            (ty, false) => Source::Type(ty),
        },
    };
    j.object(|j| {
        if f.member_is_named() {
            j.key("name").str(&f.wire);
        }
        j.key("schema").num(src.schema(source));
        j.flag("optional", optional);
        j.opt_str("doc", f.doc.as_deref());
        if !f.examples.is_empty() {
            j.key("examples")
                .num(src.value(Value::Examples(&f.examples)));
        }
        let ascii = f.has_rule(|k| matches!(k, RuleKind::Ascii));
        if has_schema_rules(&f.rules) {
            j.key("rules");
            rules(j, src, &f.rules, ascii);
        }
    });
}

/// The type a field's schema and partial value come from, and whether its schema is
/// `Option`'s around it (the model may write `null`): an `Option<T>` field is `T`, nullable
/// unless garde's `required` rule forbids `null`.
pub(super) fn field_type(f: &Field) -> (&Type, bool) {
    match option_inner(&f.ty) {
        Some(inner) => (inner, !f.has_rule(|k| matches!(k, RuleKind::Required))),
        None => (&f.ty, false),
    }
}

/// A field merged into the object: its type's schema (through one `Option`), unannotated.
fn flattened<'a>(j: &mut Json, src: &mut Sources<'a>, f: &'a Field, required: bool) {
    let ty = option_inner(&f.ty).unwrap_or(&f.ty);
    j.object(|j| {
        j.key("schema").num(src.schema(Source::Type(ty)));
        j.flag("flatten", true);
        j.flag("optional", !required);
    });
}

/// Whether any of the rules is one the schema carries.
fn has_schema_rules(rules: &[Rule]) -> bool {
    rules
        .iter()
        .any(|r| !matches!(r.kind, RuleKind::Required | RuleKind::Other))
}

/// garde's rules, as a JSON array of the rules the schema carries.
fn rules<'a>(j: &mut Json, src: &mut Sources<'a>, rules: &'a [Rule], ascii: bool) {
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

/// A literal the macro can read now: its sign and the literal.
fn literal(e: &Expr) -> Option<(bool, &syn::Lit)> {
    match e {
        Expr::Lit(l) => Some((false, &l.lit)),
        Expr::Unary(u) if matches!(u.op, syn::UnOp::Neg(_)) => match &*u.expr {
            Expr::Lit(l) => Some((true, &l.lit)),
            _ => None,
        },
        _ => None,
    }
}

/// A `length` bound: an integer literal as it is, a constant converted at run time.
fn length_bound<'a>(j: &mut Json, src: &mut Sources<'a>, key: &str, b: &'a Option<Bound>) {
    let Some(Bound(e)) = b else {
        return;
    };
    if let Some((false, syn::Lit::Int(i))) = literal(e) {
        if let Ok(n) = i.base10_parse::<u64>() {
            j.key(key).raw(&n.to_string());
            return;
        }
    }
    let i = src.value(Value::Length(e));
    j.key(key).object(|j| {
        j.key("fn").num(i);
    });
}

/// A `range` bound: an integer or float literal read now (the same JSON number serde would
/// write for it), or a constant serialized at run time.
fn range_bound<'a>(j: &mut Json, src: &mut Sources<'a>, key: &str, b: &'a Option<Bound>) {
    let Some(Bound(e)) = b else {
        return;
    };
    let sign = |neg: bool| if neg { "-" } else { "" };
    match literal(e) {
        Some((neg, syn::Lit::Int(i))) => {
            let digits = format!("{}{}", sign(neg), i.base10_digits());
            if digits.parse::<i64>().is_ok() || digits.parse::<u64>().is_ok() {
                j.key(key).raw(&digits);
                return;
            }
        }
        Some((neg, syn::Lit::Float(f))) => {
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
    let i = src.value(Value::Range(e));
    j.key(key).object(|j| {
        j.key("fn").num(i);
    });
}

/// Whether the model must write the field: no serde `default` on it or on the type, and not
/// an `Option` unless garde's `required` says so.
fn is_required(c: &Container, f: &Field) -> bool {
    !f.default
        && !c.serde.default
        && (!f.is_option() || f.has_rule(|k| matches!(k, RuleKind::Required)))
}

/// A struct body or a variant body. `tag`: an internally tagged variant's `(tag, name)`,
/// written as a first, required `const` property.
fn fields_node<'a>(
    c: &Container,
    j: &mut Json,
    src: &mut Sources<'a>,
    fields: &'a Fields,
    tag: Option<(&str, &str)>,
) {
    match fields.style {
        Style::Named => {
            j.object(|j| {
                j.key("object").object(|j| {
                    if let Some((tag, name)) = tag {
                        j.key("tag").array(|j| {
                            j.str(tag).str(name);
                        });
                    }
                    j.key("fields").array(|j| {
                        for f in fields.wire() {
                            let required = is_required(c, f);
                            if f.flatten.is_some() {
                                flattened(j, src, f, required);
                            } else {
                                field(c, j, src, f, !required);
                            }
                        }
                    });
                    j.flag("deny", c.serde.deny_unknown_fields);
                });
            });
        }
        Style::Newtype => match (fields.wire().next(), tag) {
            (Some(f), Some((tag, name))) => {
                j.object(|j| {
                    j.key("tagged_newtype").object(|j| {
                        j.key("tag").str(tag).key("name").str(name).key("field");
                        field(c, j, src, f, false);
                    });
                });
            }
            (Some(f), None) => {
                j.object(|j| {
                    j.key("field");
                    field(c, j, src, f, false);
                });
            }
            (None, _) => json_node(j, r#"{"type":"null"}"#),
        },
        Style::Tuple => {
            j.object(|j| {
                j.key("tuple").array(|j| {
                    for f in fields.wire() {
                        field(c, j, src, f, false);
                    }
                });
            });
        }
        Style::Unit => match tag {
            Some((tag, name)) => json_node(j, &tagged_unit(tag, name)),
            None => json_node(j, r#"{"type":"null"}"#),
        },
    }
}

/// A unit variant under an internal or adjacent tag: an object holding only the tag.
fn tagged_unit(tag: &str, name: &str) -> String {
    format!(
        r#"{{"type":"object","properties":{{{}:{}}},"required":[{}]}}"#,
        json::string(tag),
        string_const(name),
        json::string(tag)
    )
}

/// Externally tagged and every offered variant a unit: an enum of strings.
pub(super) fn is_string_enum(c: &Container) -> bool {
    match &c.data {
        Data::Enum(variants) => {
            matches!(c.serde.tagging, Tagging::External)
                && variants
                    .iter()
                    .filter(|v| !v.skip)
                    .all(|v| v.fields.style == Style::Unit && !v.untagged)
        }
        Data::Struct(_) => false,
    }
}

/// "`pending`: Not yet shipped." lines for an enum of strings, whose values cannot carry
/// descriptions of their own.
fn unit_variant_docs(c: &Container) -> Option<String> {
    let Data::Enum(variants) = &c.data else {
        return None;
    };
    if !is_string_enum(c) {
        return None;
    }
    let docs: Vec<String> = variants
        .iter()
        .filter(|v| !v.skip)
        .filter_map(|v| v.doc.as_ref().map(|d| format!("`{}`: {}", v.wire, d)))
        .collect();
    (!docs.is_empty()).then(|| docs.join("\n"))
}

/// `{"type":"string","enum":[..]}` as JSON text.
fn string_enum<'a>(names: impl Iterator<Item = &'a String>) -> String {
    let names: Vec<String> = names.map(|n| json::string(n)).collect();
    format!(r#"{{"type":"string","enum":[{}]}}"#, names.join(","))
}

/// An enum: one branch per offered variant, in the shape its tagging writes.
fn enum_node<'a>(c: &Container, j: &mut Json, src: &mut Sources<'a>, variants: &'a [Variant]) {
    let live: Vec<&Variant> = variants.iter().filter(|v| !v.skip && !v.untagged).collect();
    let untagged: Vec<&Variant> = variants.iter().filter(|v| !v.skip && v.untagged).collect();

    // Externally tagged unit variants only: an enum of strings (their docs go into the
    // type's description, see `unit_variant_docs`).
    if is_string_enum(c) {
        return json_node(j, &string_enum(live.iter().map(|v| &v.wire)));
    }

    // A variant's body, under its doc comment when it has one.
    let described = |j: &mut Json,
                     src: &mut Sources<'a>,
                     v: &Variant,
                     body: &mut dyn FnMut(&mut Json, &mut Sources<'a>)| {
        match &v.doc {
            Some(d) => {
                j.object(|j| {
                    j.key("described").object(|j| {
                        j.key("doc").str(d).key("body");
                        body(j, src);
                    });
                });
            }
            None => body(j, src),
        }
    };
    let mut branches = Json::new();
    let b = &mut branches;
    let mut any = false;
    match &c.serde.tagging {
        Tagging::External => {
            // External: unit variants as strings, the others as `{ "Name": body }`.
            let units: Vec<&String> = live
                .iter()
                .filter(|v| v.fields.style == Style::Unit)
                .map(|v| &v.wire)
                .collect();
            if !units.is_empty() {
                json_node(b, &string_enum(units.into_iter()));
                any = true;
            }
            for v in live.iter().filter(|v| v.fields.style != Style::Unit) {
                b.object(|j| {
                    j.key("external").object(|j| {
                        j.key("name").str(&v.wire).key("body");
                        described(j, src, v, &mut |j, src| {
                            fields_node(c, j, src, &v.fields, None)
                        });
                    });
                });
                any = true;
            }
        }
        Tagging::Internal { tag } => {
            for v in &live {
                described(b, src, v, &mut |j, src| {
                    fields_node(c, j, src, &v.fields, Some((tag, &v.wire)))
                });
                any = true;
            }
        }
        Tagging::Adjacent { tag, content } => {
            for v in &live {
                let wire = &v.wire;
                described(b, src, v, &mut |j, src| {
                    if v.fields.style == Style::Unit {
                        json_node(j, &tagged_unit(tag, wire));
                    } else {
                        j.object(|j| {
                            j.key("adjacent").object(|j| {
                                j.key("tag").str(tag).key("content").str(content);
                                j.key("name").str(wire).key("body");
                                fields_node(c, j, src, &v.fields, None);
                            });
                        });
                    }
                });
                any = true;
            }
        }
        Tagging::Untagged => {
            // Whichever variant's shape matches.
            for v in &live {
                described(b, src, v, &mut |j, src| {
                    fields_node(c, j, src, &v.fields, None)
                });
                any = true;
            }
        }
    }
    // Variants marked `#[serde(untagged)]` are tried by shape after the tagged ones.
    for v in &untagged {
        described(b, src, v, &mut |j, src| {
            fields_node(c, j, src, &v.fields, None)
        });
        any = true;
    }
    if !any {
        return json_node(j, r#"{"not":{}}"#);
    }
    let key = if matches!(c.serde.tagging, Tagging::Untagged) || !untagged.is_empty() {
        "any_of"
    } else {
        "one_of"
    };
    let branches = branches.finish();
    j.object(|j| {
        j.key(key).raw(&format!("[{branches}]"));
    });
}
