//! The `schema` function. The schema is written as data: a `Node` tree (a `static` when the
//! type has no parameters) that `instructor::__private` turns into JSON, with the parts
//! that are fixed when the macro runs (unit variants, enums of strings) as JSON text, and
//! each field as its type's schema function, its doc comment and its garde rules. The tree
//! mirrors the schema: struct bodies are objects, variants are wrapped as their tagging
//! writes them.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned, ToTokens};
use syn::{Expr, Type};

use super::out::{w, Out};
use super::{p, Cx};
use crate::model::*;
use crate::ty::{first_span, option_inner, path_span};

/// `fn schema`: a named type's schema, registered under `$defs` with its title and
/// description; a transparent type's is its field's.
pub(super) fn schema_fn(cx: &Cx, o: &mut Out) {
    let c = cx.c;
    let named = match &c.data {
        Data::Struct(_) => !c.serde.transparent,
        Data::Enum(_) => true,
    };
    let node = |o: &mut Out| match &c.data {
        Data::Struct(fields) if c.serde.transparent => match fields.wire().next() {
            Some(f) => {
                o.s("__p::Node::Field").paren(|o| {
                    o.s("&");
                    field(o, f, false);
                });
            }
            None => json_node(o, r#"{"type":"null"}"#),
        },
        Data::Struct(fields) => fields_node(cx, o, fields, None),
        Data::Enum(variants) => enum_node(cx, o, variants),
    };
    let doc = [c.doc.clone(), unit_variant_docs(c)]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("\n\n");
    // A `static` where nothing in the tree depends on the impl's parameters or `Self`.
    let in_static = !cx.generic && !mentions_self(c);
    // `schema_with` paths are called through a closure, as they were called before the
    // schema was a table: whatever `path(gen)` compiles for is taken.
    o.s("#[allow(clippy::redundant_closure)] #[inline] \
         fn schema(__gen: &mut __p::SchemaGenerator) -> __p::Value ");
    o.brace(|o| {
        if in_static {
            o.s("static __NODE: __p::Node<'static> = ");
            node(o);
            o.s(";");
        }
        if named {
            o.s("__p::named::<Self>").paren(|o| {
                o.s("__gen, ");
                if doc.is_empty() {
                    o.s("__p::None");
                } else {
                    o.s("__p::Some(").lit(&doc).s(")");
                }
                o.s(", &");
                if in_static {
                    o.s("__NODE");
                } else {
                    node(o);
                }
            });
        } else {
            o.s("__p::Node::build").paren(|o| {
                o.s("&");
                if in_static {
                    o.s("__NODE");
                } else {
                    node(o);
                }
                o.s(", __gen");
            });
        }
    });
}

/// Whether a part of the schema names `Self` (a field type such as `Vec<Self>`), which an
/// item nested in the impl cannot: then the tree is built in the function, not as a
/// `static`.
fn mentions_self(c: &Container) -> bool {
    let field = |f: &Field| {
        f.schema_with.as_ref().is_some_and(path_mentions_self)
            || type_mentions_self(&f.ty)
            || f.examples.iter().any(expr_mentions_self)
            || f.rules.iter().any(rule_mentions_self)
    };
    match &c.data {
        Data::Struct(fields) => fields.wire().any(field),
        Data::Enum(variants) => variants
            .iter()
            .filter(|v| !v.skip)
            .any(|v| v.fields.wire().any(field)),
    }
}

fn type_mentions_self(ty: &Type) -> bool {
    match ty {
        Type::Path(p) => {
            p.qself.as_ref().is_some_and(|q| type_mentions_self(&q.ty))
                || path_mentions_self(&p.path)
        }
        Type::Array(a) => type_mentions_self(&a.elem) || expr_mentions_self(&a.len),
        Type::Slice(s) => type_mentions_self(&s.elem),
        Type::Ptr(p) => type_mentions_self(&p.elem),
        Type::Reference(r) => type_mentions_self(&r.elem),
        Type::Paren(p) => type_mentions_self(&p.elem),
        Type::Group(g) => type_mentions_self(&g.elem),
        Type::Tuple(t) => t.elems.iter().any(type_mentions_self),
        Type::Never(_) => false,
        // Function pointers, trait objects, macros: looked at token by token.
        other => tokens_mention_self(other.to_token_stream()),
    }
}

fn path_mentions_self(path: &syn::Path) -> bool {
    path.segments.iter().any(|s| {
        s.ident == "Self"
            || match &s.arguments {
                syn::PathArguments::None => false,
                syn::PathArguments::AngleBracketed(a) => a.args.iter().any(|g| match g {
                    syn::GenericArgument::Type(t) => type_mentions_self(t),
                    syn::GenericArgument::Lifetime(_) => false,
                    other => tokens_mention_self(other.to_token_stream()),
                }),
                syn::PathArguments::Parenthesized(a) => tokens_mention_self(a.to_token_stream()),
            }
    })
}

fn expr_mentions_self(e: &Expr) -> bool {
    match e {
        Expr::Lit(_) => false,
        Expr::Path(p) if p.qself.is_none() => path_mentions_self(&p.path),
        other => tokens_mention_self(other.to_token_stream()),
    }
}

fn rule_mentions_self(r: &Rule) -> bool {
    let bound = |b: &Option<Bound>| b.as_ref().is_some_and(|b| expr_mentions_self(&b.0));
    match &r.kind {
        RuleKind::Length(l) => bound(&l.min) || bound(&l.max),
        RuleKind::Range(r) => bound(&r.min) || bound(&r.max),
        RuleKind::Inner(inner) => inner.iter().any(rule_mentions_self),
        _ => false,
    }
}

/// Token by token, for the rare parts that are neither a path nor a literal.
fn tokens_mention_self(tokens: TokenStream) -> bool {
    tokens.into_iter().any(|t| match t {
        proc_macro2::TokenTree::Ident(i) => i == "Self",
        proc_macro2::TokenTree::Group(g) => tokens_mention_self(g.stream()),
        _ => false,
    })
}

/// `Node::Json` of a schema fixed when the macro runs.
fn json_node(o: &mut Out, json: &str) {
    o.s("__p::Node::Json(").lit(json).s(")");
}

/// A string as JSON text.
fn js(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `{"type":"string","const":name}` as JSON text.
fn string_const(name: &str) -> String {
    format!(r#"{{"type":"string","const":{}}}"#, js(name))
}

/// One field: its type's schema function, then its doc comment, examples and rules;
/// `optional`: the model may leave it out.
fn field(o: &mut Out, f: &Field, optional: bool) {
    let p = p();
    let required_rule = f.has_rule(|k| matches!(k, RuleKind::Required));
    let wire = if f.member_is_named() {
        f.wire.as_str()
    } else {
        ""
    };
    // The source spanned on what the user wrote: a type without `Instructor` is reported
    // at the field.
    let source = match (&f.schema_with, option_inner(&f.ty)) {
        (Some(path), _) => quote_spanned!(path_span(path)=> |__gen| #path(__gen)),
        (None, Some(inner)) if required_rule => {
            quote_spanned!(first_span(inner)=> <#inner as #p::Instructor>::schema)
        }
        (None, _) => {
            let ty = &f.ty;
            quote_spanned!(first_span(ty)=> <#ty as #p::Instructor>::schema)
        }
    };
    o.s("__p::Field::new").paren(|o| {
        o.lit(wire).s(", ").tokens(source);
    });
    if let Some(d) = &f.doc {
        o.s(".doc(").lit(d).s(")");
    }
    if !f.examples.is_empty() {
        let e = &f.examples;
        o.s(".examples").paren(|o| {
            o.tokens(quote!(|| #p::json!([#(#p::example(#e)),*])));
        });
    }
    let ascii = f.has_rule(|k| matches!(k, RuleKind::Ascii));
    if has_schema_rules(&f.rules) {
        o.s(".rules").paren(|o| {
            o.s("&").bracket(|o| rules(o, &f.rules, ascii));
        });
    }
    if optional {
        o.s(".optional()");
    }
}

/// A field merged into the object: its type's schema (through one `Option`), unannotated.
fn flattened(o: &mut Out, f: &Field, required: bool) {
    let p = p();
    let ty = option_inner(&f.ty).unwrap_or(&f.ty);
    let source = quote_spanned!(first_span(ty)=> <#ty as #p::Instructor>::schema);
    o.s("__p::Field::new").paren(|o| {
        o.s("\"\", ").tokens(source);
    });
    o.s(".flatten()");
    if !required {
        o.s(".optional()");
    }
}

/// Whether any of the rules is one the schema carries.
fn has_schema_rules(rules: &[Rule]) -> bool {
    rules
        .iter()
        .any(|r| !matches!(r.kind, RuleKind::Required | RuleKind::Other))
}

/// garde's rules as `Rule`s, comma-separated.
fn rules(o: &mut Out, rules: &[Rule], ascii: bool) {
    for rule in rules {
        match &rule.kind {
            RuleKind::Length(l) => {
                let mode = match l.mode {
                    LengthMode::Simple | LengthMode::Bytes => "Bytes",
                    LengthMode::Chars => "Chars",
                    LengthMode::Graphemes => "Graphemes",
                    LengthMode::Utf16 => "Utf16",
                };
                o.s("__p::Rule::Length").paren(|o| {
                    w!(o, "__p::keywords::LengthMode::{mode}, ");
                    length_bound(o, &l.min);
                    o.s(", ");
                    length_bound(o, &l.max);
                    w!(o, ", {ascii}");
                });
            }
            RuleKind::Range(r) => {
                o.s("__p::Rule::Range").paren(|o| {
                    range_bound(o, &r.min);
                    o.s(", ");
                    range_bound(o, &r.max);
                });
            }
            RuleKind::Pattern(s) => {
                o.s("__p::Rule::Pattern(").lit(s).s(")");
            }
            RuleKind::Contains(s) => {
                o.s("__p::Rule::Contains(").lit(s).s(")");
            }
            RuleKind::Prefix(s) => {
                o.s("__p::Rule::Prefix(").lit(s).s(")");
            }
            RuleKind::Suffix(s) => {
                o.s("__p::Rule::Suffix(").lit(s).s(")");
            }
            RuleKind::Format(f) => {
                o.s("__p::Rule::Format(").lit(f).s(")");
            }
            RuleKind::Ip => {
                o.s("__p::Rule::Ip");
            }
            RuleKind::Ascii => {
                o.s("__p::Rule::Ascii");
            }
            RuleKind::Alphanumeric => {
                o.s("__p::Rule::Alphanumeric");
            }
            RuleKind::Inner(inner) => {
                let inner_ascii = inner.iter().any(|r| matches!(r.kind, RuleKind::Ascii));
                o.s("__p::Rule::Inner").paren(|o| {
                    o.s("&").bracket(|o| self::rules(o, inner, inner_ascii));
                });
            }
            RuleKind::Required | RuleKind::Other => continue,
        }
        o.s(",");
    }
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

/// A `length` bound: an integer literal as it is, a constant converted (spliced).
fn length_bound(o: &mut Out, b: &Option<Bound>) {
    let Some(Bound(e)) = b else {
        o.s("__p::None");
        return;
    };
    if let Some((false, syn::Lit::Int(i))) = literal(e) {
        if let Ok(n) = i.base10_parse::<u64>() {
            w!(o, "__p::Some({n})");
            return;
        }
    }
    let p = p();
    o.tokens(quote!(#p::Some((#e) as u64)));
}

/// A `range` bound: an integer or float literal read now (the same JSON number serde would
/// write for it), or a constant serialized at run time (spliced).
fn range_bound(o: &mut Out, b: &Option<Bound>) {
    let Some(Bound(e)) = b else {
        o.s("__p::None");
        return;
    };
    let p = p();
    let sign = |neg: bool| if neg { "-" } else { "" };
    match literal(e) {
        Some((neg, syn::Lit::Int(i))) => {
            let digits = format!("{}{}", sign(neg), i.base10_digits());
            if let Ok(n) = digits.parse::<i64>() {
                w!(o, "__p::Some(__p::Bound::Int({n}))");
                return;
            }
            if let Ok(n) = digits.parse::<u64>() {
                w!(o, "__p::Some(__p::Bound::Uint({n}))");
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
                // `{:?}` writes a float that reads back the same, with a `.` or an exponent.
                w!(o, "__p::Some(__p::Bound::Float({v:?}))");
                return;
            }
        }
        _ => {}
    }
    o.tokens(quote!(#p::Some(#p::Bound::Json(|| #p::json!(#e)))));
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
fn fields_node(cx: &Cx, o: &mut Out, fields: &Fields, tag: Option<(&str, &str)>) {
    let c = cx.c;
    match fields.style {
        Style::Named => {
            o.s("__p::Node::Object").brace(|o| {
                o.s("tag: ");
                match tag {
                    Some((tag, name)) => {
                        o.s("__p::Some((").lit(tag).s(", ").lit(name).s("))");
                    }
                    None => {
                        o.s("__p::None");
                    }
                }
                o.s(", fields: &").bracket(|o| {
                    for f in fields.wire() {
                        let required = is_required(c, f);
                        if f.flatten.is_some() {
                            flattened(o, f, required);
                        } else {
                            field(o, f, !required);
                        }
                        o.s(",");
                    }
                });
                w!(o, ", deny: {}", c.serde.deny_unknown_fields);
            });
        }
        Style::Newtype => match (fields.wire().next(), tag) {
            (Some(f), Some((tag, name))) => {
                o.s("__p::Node::TaggedNewtype").brace(|o| {
                    o.s("tag: ")
                        .lit(tag)
                        .s(", name: ")
                        .lit(name)
                        .s(", field: &");
                    field(o, f, false);
                });
            }
            (Some(f), None) => {
                o.s("__p::Node::Field").paren(|o| {
                    o.s("&");
                    field(o, f, false);
                });
            }
            (None, _) => json_node(o, r#"{"type":"null"}"#),
        },
        Style::Tuple => {
            o.s("__p::Node::Tuple").paren(|o| {
                o.s("&").bracket(|o| {
                    for f in fields.wire() {
                        field(o, f, false);
                        o.s(",");
                    }
                });
            });
        }
        Style::Unit => match tag {
            Some((tag, name)) => json_node(o, &tagged_unit(tag, name)),
            None => json_node(o, r#"{"type":"null"}"#),
        },
    }
}

/// A unit variant under an internal or adjacent tag: an object holding only the tag.
fn tagged_unit(tag: &str, name: &str) -> String {
    format!(
        r#"{{"type":"object","properties":{{{}:{}}},"required":[{}]}}"#,
        js(tag),
        string_const(name),
        js(tag)
    )
}

/// Externally tagged and every offered variant a unit: an enum of strings.
fn is_string_enum(c: &Container) -> bool {
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
    let names: Vec<String> = names.map(|n| js(n)).collect();
    format!(r#"{{"type":"string","enum":[{}]}}"#, names.join(","))
}

/// An enum: one branch per offered variant, in the shape its tagging writes.
fn enum_node(cx: &Cx, o: &mut Out, variants: &[Variant]) {
    let c = cx.c;
    let live: Vec<&Variant> = variants.iter().filter(|v| !v.skip && !v.untagged).collect();
    let untagged: Vec<&Variant> = variants.iter().filter(|v| !v.skip && v.untagged).collect();

    // Externally tagged unit variants only: an enum of strings (their docs go into the
    // type's description, see `unit_variant_docs`).
    if is_string_enum(c) {
        return json_node(o, &string_enum(live.iter().map(|v| &v.wire)));
    }

    // A variant's body, under its doc comment when it has one.
    let described = |o: &mut Out, v: &Variant, body: &dyn Fn(&mut Out)| match &v.doc {
        Some(d) => {
            o.s("__p::Node::Described").paren(|o| {
                o.lit(d).s(", &");
                body(o);
            });
        }
        None => body(o),
    };
    let any_of = matches!(c.serde.tagging, Tagging::Untagged) || !untagged.is_empty();
    let mut branches = Out::new();
    let b = &mut branches;
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
                b.s(",");
            }
            for v in live.iter().filter(|v| v.fields.style != Style::Unit) {
                b.s("__p::Node::External").paren(|o| {
                    o.lit(&v.wire).s(", &");
                    described(o, v, &|o| fields_node(cx, o, &v.fields, None));
                });
                b.s(",");
            }
        }
        Tagging::Internal { tag } => {
            for v in &live {
                described(b, v, &|o| {
                    fields_node(cx, o, &v.fields, Some((tag, &v.wire)))
                });
                b.s(",");
            }
        }
        Tagging::Adjacent { tag, content } => {
            for v in &live {
                let wire = &v.wire;
                described(b, v, &|o| {
                    if v.fields.style == Style::Unit {
                        json_node(o, &tagged_unit(tag, wire));
                    } else {
                        o.s("__p::Node::Adjacent").brace(|o| {
                            o.s("tag: ").lit(tag).s(", content: ").lit(content);
                            o.s(", name: ").lit(wire).s(", body: &");
                            fields_node(cx, o, &v.fields, None);
                        });
                    }
                });
                b.s(",");
            }
        }
        Tagging::Untagged => {
            // Whichever variant's shape matches.
            for v in &live {
                described(b, v, &|o| fields_node(cx, o, &v.fields, None));
                b.s(",");
            }
        }
    }
    // Variants marked `#[serde(untagged)]` are tried by shape after the tagged ones.
    for v in &untagged {
        described(b, v, &|o| fields_node(cx, o, &v.fields, None));
        b.s(",");
    }
    if branches.is_empty() {
        return json_node(o, r#"{"not":{}}"#);
    }
    o.s(if any_of {
        "__p::Node::AnyOf"
    } else {
        "__p::Node::OneOf"
    });
    o.paren(|o| {
        o.s("&").bracket(|o| {
            o.append(branches);
        });
    });
}
