//! The `schema` function: the JSON Schema of a struct, an enum and each field, with garde's
//! rules as keywords and doc comments as descriptions.

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
    let krate = &cx.krate;
    let p = cx.p();
    let kw = cx.kw();
    if let (Data::Struct(fields), true) = (&c.data, c.serde.transparent) {
        let body = transparent_schema(cx, fields);
        return quote! {
            fn schema(__gen: &mut #krate::SchemaGenerator) -> #p::Value {
                #body
            }
        };
    }
    let body = match &c.data {
        Data::Struct(fields) => fields_schema(cx, fields, None),
        Data::Enum(variants) => enum_schema(cx, variants),
    };
    let title = quote!(<Self as #krate::Instructor>::schema_name());
    let doc = [c.doc.clone(), unit_variant_docs(c)]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("\n\n");
    let description =
        (!doc.is_empty()).then(|| quote!(#kw::annotate(&mut __s, "description", #p::json!(#doc));));
    quote! {
        fn schema(__gen: &mut #krate::SchemaGenerator) -> #p::Value {
            __gen.named::<Self>(
                || #title.into_owned(),
                |__gen| {
                    let mut __s = #body;
                    #kw::annotate(&mut __s, "title", #p::json!(#title));
                    #description
                    __s
                },
            )
        }
    }
}

/// `#[serde(transparent)]`: the one wire field's schema.
fn transparent_schema(cx: &Cx, fields: &Fields) -> TokenStream {
    match fields.wire().next() {
        Some(f) => field_schema(cx, f),
        None => {
            let p = cx.p();
            quote!(#p::json!({ "type": "null" }))
        }
    }
}

/// The schema of one field, with its rules and annotations.
fn field_schema(cx: &Cx, f: &Field) -> TokenStream {
    let krate = &cx.krate;
    let p = cx.p();
    let kw = cx.kw();
    let required_rule = f.has_rule(|k| matches!(k, RuleKind::Required));
    let source = match (&f.schema_with, option_inner(&f.ty)) {
        (Some(path), _) => quote_spanned!(path.span()=> #path(__gen)),
        (None, Some(inner)) if required_rule => {
            quote_spanned!(inner.span()=> <#inner as #krate::Instructor>::schema(__gen))
        }
        (None, _) => {
            let ty = &f.ty;
            quote_spanned!(ty.span()=> <#ty as #krate::Instructor>::schema(__gen))
        }
    };
    let ascii = f.has_rule(|k| matches!(k, RuleKind::Ascii));
    let rules = rules(cx, &f.rules, ascii);
    let doc = f
        .doc
        .as_ref()
        .map(|d| quote!(#kw::annotate(__t, "description", #p::json!(#d));));
    let examples = if f.examples.is_empty() {
        None
    } else {
        let e = &f.examples;
        Some(quote!(#kw::annotate(__t, "examples", #p::json!([#(#p::example(#e)),*]));))
    };
    // Descriptions first: rules append their notes to them.
    quote! {{
        let mut __s: #p::Value = #source;
        {
            let __t: &mut #p::Value = &mut __s;
            #doc
            #examples
            #rules
        }
        __s
    }}
}

/// Statements applying garde rules to `__t: &mut Value`.
fn rules(cx: &Cx, rules: &[Rule], ascii: bool) -> TokenStream {
    let p = cx.p();
    let kw = cx.kw();
    let mut out = TokenStream::new();
    let bound = |b: &Option<Bound>, cast: TokenStream| match b {
        Some(Bound(t)) => quote!(::core::option::Option::Some((#t) #cast)),
        None => quote!(::core::option::Option::None),
    };
    for rule in rules {
        out.extend(match &rule.kind {
            RuleKind::Length(l) => {
                let mode = match l.mode {
                    LengthMode::Simple | LengthMode::Bytes => quote!(Bytes),
                    LengthMode::Chars => quote!(Chars),
                    LengthMode::Graphemes => quote!(Graphemes),
                    LengthMode::Utf16 => quote!(Utf16),
                };
                let min = bound(&l.min, quote!(as u64));
                let max = bound(&l.max, quote!(as u64));
                quote!(#kw::length_rule(__t, #kw::LengthMode::#mode, #min, #max, #ascii);)
            }
            RuleKind::Range(r) => {
                let json = |b: &Option<Bound>| match b {
                    Some(Bound(t)) => quote!(::core::option::Option::Some(#p::json!(#t))),
                    None => quote!(::core::option::Option::None),
                };
                let (min, max) = (json(&r.min), json(&r.max));
                quote!(#kw::range(__t, #min, #max);)
            }
            RuleKind::Pattern(pat) => quote!(#kw::pattern(__t, #pat);),
            RuleKind::Contains(s) => quote!(#kw::pattern(__t, &#kw::escape_regex(#s));),
            RuleKind::Prefix(s) => {
                quote!(#kw::pattern(__t, &::std::format!("^{}", #kw::escape_regex(#s)));)
            }
            RuleKind::Suffix(s) => {
                quote!(#kw::pattern(__t, &::std::format!("{}$", #kw::escape_regex(#s)));)
            }
            RuleKind::Format(f) => quote!(#kw::format(__t, #f);),
            RuleKind::Ip => quote!(#kw::ip(__t);),
            RuleKind::Ascii => quote!(#kw::pattern(__t, "^[\\x00-\\x7F]*$");),
            // `\p{..}` is refused by outlines and ignored by llama.cpp, and an ASCII class
            // would be stricter than garde (which takes any Unicode letter): said in words.
            RuleKind::Alphanumeric => {
                quote!(#kw::describe(__t, "Letters and digits only.");)
            }
            RuleKind::Inner(inner) => {
                let inner_ascii = inner.iter().any(|r| matches!(r.kind, RuleKind::Ascii));
                let body = self::rules(cx, inner, inner_ascii);
                quote!(#kw::inner(__t, |__t: &mut #p::Value| { #body });)
            }
            RuleKind::Required | RuleKind::Other => quote!(),
        });
    }
    out
}

/// Whether the model must write the field: no serde `default` on it or on the type, and not
/// an `Option` unless garde's `required` says so.
fn is_required(c: &Container, f: &Field) -> bool {
    !f.default
        && !c.serde.default
        && (!f.is_option() || f.has_rule(|k| matches!(k, RuleKind::Required)))
}

/// The schema of a struct body or a variant body. `tag`: an internally tagged variant's
/// `(tag, name)`, written as a first, required `const` property.
fn fields_schema(cx: &Cx, fields: &Fields, tag: Option<(&str, &str)>) -> TokenStream {
    let c = cx.c;
    let krate = &cx.krate;
    let p = cx.p();
    match fields.style {
        Style::Named => {
            let tag = tag.map(|(tag, name)| {
                quote!(__obj.property(#tag, #p::json!({ "type": "string", "const": #name }), true);)
            });
            let props = fields.wire().map(|f| {
                let required = is_required(c, f);
                if f.flatten.is_some() {
                    let ty = option_inner(&f.ty).unwrap_or(&f.ty);
                    let ty_span = ty.span();
                    let schema =
                        quote_spanned!(ty_span=> <#ty as #krate::Instructor>::schema(__gen));
                    quote! {{
                        let __s = #schema;
                        __obj.flatten(__gen, &__s, #required);
                    }}
                } else {
                    let wire = &f.wire;
                    let schema = field_schema(cx, f);
                    quote!(__obj.property(#wire, #schema, #required);)
                }
            });
            let deny = c.serde.deny_unknown_fields;
            quote! {{
                let mut __obj = #krate::schema::ObjectSchema::new();
                #tag
                #(#props)*
                __obj.build(#deny)
            }}
        }
        Style::Newtype => match fields.wire().next() {
            Some(f) if tag.is_some() => {
                let (tag, name) = tag.unwrap_or_default();
                let schema = field_schema(cx, f);
                quote! {{
                    let mut __obj = #krate::schema::ObjectSchema::new();
                    __obj.property(#tag, #p::json!({ "type": "string", "const": #name }), true);
                    let __s = #schema;
                    __obj.flatten(__gen, &__s, true);
                    __obj.build(false)
                }}
            }
            Some(f) => field_schema(cx, f),
            None => quote!(#p::json!({ "type": "null" })),
        },
        Style::Tuple => {
            let items: Vec<TokenStream> = fields.wire().map(|f| field_schema(cx, f)).collect();
            let n = items.len();
            quote!(#p::json!({
                "type": "array",
                "prefixItems": [#((#items)),*],
                "minItems": #n,
                "maxItems": #n,
            }))
        }
        Style::Unit => match tag {
            Some((tag, name)) => quote!(#p::json!({
                "type": "object",
                "properties": { #tag: { "type": "string", "const": #name } },
                "required": [#tag],
            })),
            None => quote!(#p::json!({ "type": "null" })),
        },
    }
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

/// An enum: one branch per offered variant, in the shape its tagging writes.
fn enum_schema(cx: &Cx, variants: &[Variant]) -> TokenStream {
    let c = cx.c;
    let p = cx.p();
    let kw = cx.kw();
    let live: Vec<&Variant> = variants.iter().filter(|v| !v.skip && !v.untagged).collect();
    let untagged: Vec<&Variant> = variants.iter().filter(|v| !v.skip && v.untagged).collect();

    let described = |body: TokenStream, v: &Variant| match &v.doc {
        Some(d) => quote! {{
            let mut __v = #body;
            #kw::annotate(&mut __v, "description", #p::json!(#d));
            __v
        }},
        None => body,
    };

    // Externally tagged unit variants only: an enum of strings (their docs go into the
    // type's description, see `unit_variant_docs`).
    if is_string_enum(c) {
        let names = live.iter().map(|v| &v.wire);
        return quote!(#p::json!({ "type": "string", "enum": [#(#names),*] }));
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
                branches.push(quote!(#p::json!({ "type": "string", "enum": [#(#units),*] })));
            }
            for v in live.iter().filter(|v| v.fields.style != Style::Unit) {
                let wire = &v.wire;
                let body = described(fields_schema(cx, &v.fields, None), v);
                branches.push(quote!(#p::json!({
                    "type": "object",
                    "properties": { #wire: (#body) },
                    "required": [#wire],
                    "additionalProperties": false,
                })));
            }
        }
        Tagging::Internal { tag } => {
            for v in &live {
                let body = fields_schema(cx, &v.fields, Some((tag, &v.wire)));
                branches.push(described(body, v));
            }
        }
        Tagging::Adjacent { tag, content } => {
            for v in &live {
                let wire = &v.wire;
                let body = if v.fields.style == Style::Unit {
                    quote!(#p::json!({
                        "type": "object",
                        "properties": { #tag: { "type": "string", "const": #wire } },
                        "required": [#tag],
                    }))
                } else {
                    let inner = fields_schema(cx, &v.fields, None);
                    quote!(#p::json!({
                        "type": "object",
                        "properties": {
                            #tag: { "type": "string", "const": #wire },
                            #content: (#inner),
                        },
                        "required": [#tag, #content],
                    }))
                };
                branches.push(described(body, v));
            }
        }
        Tagging::Untagged => {
            // Whichever variant's shape matches.
            for v in &live {
                branches.push(described(fields_schema(cx, &v.fields, None), v));
            }
        }
    }
    // Variants marked `#[serde(untagged)]` are tried by shape after the tagged ones.
    for v in &untagged {
        branches.push(described(fields_schema(cx, &v.fields, None), v));
    }
    let combinator = if matches!(c.serde.tagging, Tagging::Untagged) || !untagged.is_empty() {
        "anyOf"
    } else {
        "oneOf"
    };
    if branches.is_empty() {
        return quote!(#p::json!({ "not": {} }));
    }
    quote!(#p::json!({ #combinator: [#((#branches)),*] }))
}
