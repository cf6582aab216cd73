//! The `schema` function. The schema is written as data: a `Node` tree (a `static` when the
//! type has no parameters) that `instructor::__private` turns into JSON, with the parts
//! that are fixed when the macro runs (unit variants, enums of strings) as JSON text, and
//! each field as its type's schema function, its doc comment and its garde rules. The tree
//! mirrors the schema: struct bodies are objects, variants are wrapped as their tagging
//! writes them.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use super::Cx;
use crate::model::*;
use crate::ty::option_inner;

/// `fn schema`: a named type's schema, registered under `$defs` with its title and
/// description; a transparent type's is its field's.
pub(super) fn schema_fn(cx: &Cx) -> TokenStream {
    let c = cx.c;
    let p = cx.p();
    let (node, named) = match &c.data {
        Data::Struct(fields) if c.serde.transparent => match fields.wire().next() {
            Some(f) => {
                let f = field(cx, f);
                (quote!(#p::Node::Field(&#f)), false)
            }
            None => (json_node(cx, r#"{"type":"null"}"#), false),
        },
        Data::Struct(fields) => (fields_node(cx, fields, None), true),
        Data::Enum(variants) => (enum_node(cx, variants), true),
    };
    let doc = [c.doc.clone(), unit_variant_docs(c)]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("\n\n");
    let description = if doc.is_empty() {
        quote!(#p::None)
    } else {
        quote!(#p::Some(#doc))
    };
    let build = |node: TokenStream| {
        if named {
            quote!(#p::named::<Self>(__gen, #description, #node))
        } else {
            quote!(#p::Node::build(#node, __gen))
        }
    };
    // A `static` where nothing in the tree depends on the impl's parameters or `Self`.
    let body = if c.generics.params.is_empty() && !mentions_self(&node) {
        let call = build(quote!(&__NODE));
        quote! {
            static __NODE: #p::Node<'static> = #node;
            #call
        }
    } else {
        build(quote!(&#node))
    };
    // `schema_with` paths are called through a closure, as they were called before the
    // schema was a table: whatever `path(gen)` compiles for is taken.
    quote! {
        #[allow(clippy::redundant_closure)]
        #[inline]
        fn schema(__gen: &mut #p::SchemaGenerator) -> #p::Value {
            #body
        }
    }
}

/// Whether `Self` appears in the tokens (a field type such as `Vec<Self>`), which an item
/// nested in the impl cannot name.
fn mentions_self(tokens: &TokenStream) -> bool {
    tokens.clone().into_iter().any(|t| match t {
        proc_macro2::TokenTree::Ident(i) => i == "Self",
        proc_macro2::TokenTree::Group(g) => mentions_self(&g.stream()),
        _ => false,
    })
}

/// `Node::Json` of a schema fixed when the macro runs.
fn json_node(cx: &Cx, json: &str) -> TokenStream {
    let p = cx.p();
    quote!(#p::Node::Json(#json))
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

/// One field: its type's schema function, then its doc comment, examples and rules.
fn field(cx: &Cx, f: &Field) -> TokenStream {
    let p = cx.p();
    let required_rule = f.has_rule(|k| matches!(k, RuleKind::Required));
    let source = match (&f.schema_with, option_inner(&f.ty)) {
        (Some(path), _) => quote_spanned!(path.span()=> |__gen| #path(__gen)),
        (None, Some(inner)) if required_rule => {
            quote_spanned!(inner.span()=> <#inner as #p::Instructor>::schema)
        }
        (None, _) => {
            let ty = &f.ty;
            quote_spanned!(ty.span()=> <#ty as #p::Instructor>::schema)
        }
    };
    let wire = if f.member_is_named() {
        f.wire.as_str()
    } else {
        ""
    };
    let mut out = quote!(#p::Field::new(#wire, #source));
    if let Some(d) = &f.doc {
        out.extend(quote!(.doc(#d)));
    }
    if !f.examples.is_empty() {
        let e = &f.examples;
        out.extend(quote!(.examples(|| #p::json!([#(#p::example(#e)),*]))));
    }
    let ascii = f.has_rule(|k| matches!(k, RuleKind::Ascii));
    let rules = rules(cx, &f.rules, ascii);
    if !rules.is_empty() {
        out.extend(quote!(.rules(&[#(#rules),*])));
    }
    out
}

/// A field merged into the object: its type's schema (through one `Option`), unannotated.
fn flattened(cx: &Cx, f: &Field, required: bool) -> TokenStream {
    let p = cx.p();
    let ty = option_inner(&f.ty).unwrap_or(&f.ty);
    let source = quote_spanned!(ty.span()=> <#ty as #p::Instructor>::schema);
    let optional = (!required).then(|| quote!(.optional()));
    quote!(#p::Field::new("", #source).flatten() #optional)
}

/// garde's rules as `Rule`s.
fn rules(cx: &Cx, rules: &[Rule], ascii: bool) -> Vec<TokenStream> {
    let p = cx.p();
    let kw = cx.kw();
    let len = |b: &Option<Bound>| match b {
        Some(Bound(t)) => quote!(#p::Some((#t) as u64)),
        None => quote!(#p::None),
    };
    let num = |b: &Option<Bound>| match b {
        Some(b) => {
            let b = bound(cx, b);
            quote!(#p::Some(#b))
        }
        None => quote!(#p::None),
    };
    rules
        .iter()
        .filter_map(|rule| {
            Some(match &rule.kind {
                RuleKind::Length(l) => {
                    let mode = match l.mode {
                        LengthMode::Simple | LengthMode::Bytes => quote!(Bytes),
                        LengthMode::Chars => quote!(Chars),
                        LengthMode::Graphemes => quote!(Graphemes),
                        LengthMode::Utf16 => quote!(Utf16),
                    };
                    let (min, max) = (len(&l.min), len(&l.max));
                    quote!(#p::Rule::Length(#kw::LengthMode::#mode, #min, #max, #ascii))
                }
                RuleKind::Range(r) => {
                    let (min, max) = (num(&r.min), num(&r.max));
                    quote!(#p::Rule::Range(#min, #max))
                }
                RuleKind::Pattern(s) => quote!(#p::Rule::Pattern(#s)),
                RuleKind::Contains(s) => quote!(#p::Rule::Contains(#s)),
                RuleKind::Prefix(s) => quote!(#p::Rule::Prefix(#s)),
                RuleKind::Suffix(s) => quote!(#p::Rule::Suffix(#s)),
                RuleKind::Format(f) => quote!(#p::Rule::Format(#f)),
                RuleKind::Ip => quote!(#p::Rule::Ip),
                RuleKind::Ascii => quote!(#p::Rule::Ascii),
                RuleKind::Alphanumeric => quote!(#p::Rule::Alphanumeric),
                RuleKind::Inner(inner) => {
                    let inner_ascii = inner.iter().any(|r| matches!(r.kind, RuleKind::Ascii));
                    let inner = self::rules(cx, inner, inner_ascii);
                    quote!(#p::Rule::Inner(&[#(#inner),*]))
                }
                RuleKind::Required | RuleKind::Other => return None,
            })
        })
        .collect()
}

/// A `range` bound: an integer or float literal read now (the same JSON number serde would
/// write for it), or a constant serialized at run time.
fn bound(cx: &Cx, b: &Bound) -> TokenStream {
    let p = cx.p();
    let t = &b.0;
    let (neg, lit) = match syn::parse2::<syn::Expr>(t.clone()) {
        Ok(syn::Expr::Lit(l)) => (false, Some(l.lit)),
        Ok(syn::Expr::Unary(u)) if matches!(u.op, syn::UnOp::Neg(_)) => match *u.expr {
            syn::Expr::Lit(l) => (true, Some(l.lit)),
            _ => (false, None),
        },
        _ => (false, None),
    };
    let sign = if neg { "-" } else { "" };
    match lit {
        Some(syn::Lit::Int(i)) => {
            let digits = format!("{sign}{}", i.base10_digits());
            if let Ok(n) = digits.parse::<i64>() {
                return quote!(#p::Bound::Int(#n));
            }
            if let Ok(n) = digits.parse::<u64>() {
                return quote!(#p::Bound::Uint(#n));
            }
        }
        Some(syn::Lit::Float(f)) => {
            // serde writes an `f32` widened to `f64`.
            let v = match f.suffix() {
                "f32" => f.base10_digits().parse::<f32>().ok().map(f64::from),
                _ => f.base10_digits().parse::<f64>().ok(),
            };
            if let Some(v) = v.filter(|v| v.is_finite()) {
                let v = proc_macro2::Literal::f64_unsuffixed(if neg { -v } else { v });
                return quote!(#p::Bound::Float(#v));
            }
        }
        _ => {}
    }
    quote!(#p::Bound::Json(|| #p::json!(#t)))
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
fn fields_node(cx: &Cx, fields: &Fields, tag: Option<(&str, &str)>) -> TokenStream {
    let c = cx.c;
    let p = cx.p();
    match fields.style {
        Style::Named => {
            let tag = match tag {
                Some((tag, name)) => quote!(#p::Some((#tag, #name))),
                None => quote!(#p::None),
            };
            let fields = fields.wire().map(|f| {
                let required = is_required(c, f);
                if f.flatten.is_some() {
                    flattened(cx, f, required)
                } else {
                    let f = field(cx, f);
                    if required {
                        f
                    } else {
                        quote!(#f.optional())
                    }
                }
            });
            let deny = c.serde.deny_unknown_fields;
            quote!(#p::Node::Object { tag: #tag, fields: &[#(#fields),*], deny: #deny })
        }
        Style::Newtype => match (fields.wire().next(), tag) {
            (Some(f), Some((tag, name))) => {
                let f = field(cx, f);
                quote!(#p::Node::TaggedNewtype { tag: #tag, name: #name, field: &#f })
            }
            (Some(f), None) => {
                let f = field(cx, f);
                quote!(#p::Node::Field(&#f))
            }
            (None, _) => json_node(cx, r#"{"type":"null"}"#),
        },
        Style::Tuple => {
            let items = fields.wire().map(|f| field(cx, f));
            quote!(#p::Node::Tuple(&[#(#items),*]))
        }
        Style::Unit => match tag {
            Some((tag, name)) => json_node(cx, &tagged_unit(tag, name)),
            None => json_node(cx, r#"{"type":"null"}"#),
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
fn enum_node(cx: &Cx, variants: &[Variant]) -> TokenStream {
    let c = cx.c;
    let p = cx.p();
    let live: Vec<&Variant> = variants.iter().filter(|v| !v.skip && !v.untagged).collect();
    let untagged: Vec<&Variant> = variants.iter().filter(|v| !v.skip && v.untagged).collect();

    let described = |body: TokenStream, v: &Variant| match &v.doc {
        Some(d) => quote!(#p::Node::Described(#d, &#body)),
        None => body,
    };

    // Externally tagged unit variants only: an enum of strings (their docs go into the
    // type's description, see `unit_variant_docs`).
    if is_string_enum(c) {
        return json_node(cx, &string_enum(live.iter().map(|v| &v.wire)));
    }

    let mut branches = Vec::new();
    match &c.serde.tagging {
        Tagging::External => {
            // External: unit variants as strings, the others as `{ "Name": body }`.
            let units: Vec<&String> = live
                .iter()
                .filter(|v| v.fields.style == Style::Unit)
                .map(|v| &v.wire)
                .collect();
            if !units.is_empty() {
                branches.push(json_node(cx, &string_enum(units.into_iter())));
            }
            for v in live.iter().filter(|v| v.fields.style != Style::Unit) {
                let wire = &v.wire;
                let body = described(fields_node(cx, &v.fields, None), v);
                branches.push(quote!(#p::Node::External(#wire, &#body)));
            }
        }
        Tagging::Internal { tag } => {
            for v in &live {
                let body = fields_node(cx, &v.fields, Some((tag, &v.wire)));
                branches.push(described(body, v));
            }
        }
        Tagging::Adjacent { tag, content } => {
            for v in &live {
                let wire = &v.wire;
                let body = if v.fields.style == Style::Unit {
                    json_node(cx, &tagged_unit(tag, wire))
                } else {
                    let inner = fields_node(cx, &v.fields, None);
                    quote!(#p::Node::Adjacent {
                        tag: #tag, content: #content, name: #wire, body: &#inner
                    })
                };
                branches.push(described(body, v));
            }
        }
        Tagging::Untagged => {
            // Whichever variant's shape matches.
            for v in &live {
                branches.push(described(fields_node(cx, &v.fields, None), v));
            }
        }
    }
    // Variants marked `#[serde(untagged)]` are tried by shape after the tagged ones.
    for v in &untagged {
        branches.push(described(fields_node(cx, &v.fields, None), v));
    }
    if branches.is_empty() {
        return json_node(cx, r#"{"not":{}}"#);
    }
    if matches!(c.serde.tagging, Tagging::Untagged) || !untagged.is_empty() {
        quote!(#p::Node::AnyOf(&[#(#branches),*]))
    } else {
        quote!(#p::Node::OneOf(&[#(#branches),*]))
    }
}
