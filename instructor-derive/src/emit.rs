//! model -> tokens: the `Instructor` impl and the partial companion.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Ident, Type};

use crate::model::*;
use crate::ty::option_inner;

struct Cx<'a> {
    c: &'a Container,
    krate: TokenStream,
}

impl Cx<'_> {
    fn p(&self) -> TokenStream {
        let k = &self.krate;
        quote!(#k::__private)
    }
    fn kw(&self) -> TokenStream {
        let k = &self.krate;
        quote!(#k::schema::keywords)
    }
}

fn krate(c: &Container) -> TokenStream {
    match &c.instr.krate {
        Some(p) => quote!(#p),
        None => quote!(::instructor),
    }
}

/// Generics with `T: Instructor` added to every type parameter.
fn bounded_generics(c: &Container, krate: &TokenStream) -> syn::Generics {
    let mut g = c.generics.clone();
    for param in g.type_params_mut() {
        param.bounds.push(syn::parse_quote!(#krate::Instructor));
    }
    g
}

fn schema_name_expr(c: &Container, krate: &TokenStream) -> TokenStream {
    let base = c
        .instr
        .name
        .clone()
        .or_else(|| c.serde.rename.clone())
        .unwrap_or_else(|| c.ident.to_string());
    let params: Vec<&Ident> = c.generics.type_params().map(|p| &p.ident).collect();
    if params.is_empty() {
        quote!(#krate::__private::Cow::Borrowed(#base))
    } else {
        quote! {
            #krate::__private::Cow::Owned(::std::format!(
                "{}_for_{}",
                #base,
                [#(<#params as #krate::Instructor>::schema_name().into_owned()),*].join("_and_")
            ))
        }
    }
}

/// The error stub: with the compile errors, an impl that keeps other code from failing too.
pub fn stub(c: &Container) -> TokenStream {
    let krate = krate(c);
    let g = bounded_generics(c, &krate);
    let (ig, tg, wc) = g.split_for_impl();
    let ident = &c.ident;
    quote! {
        impl #ig #krate::Instructor for #ident #tg #wc {
            type Partial = ();
            type Context = ();
            fn schema_name() -> #krate::__private::Cow<'static, str> {
                ::core::unimplemented!()
            }
            fn schema(_: &mut #krate::SchemaGenerator) -> #krate::__private::Value {
                ::core::unimplemented!()
            }
            fn partial_from_value(_: #krate::__private::Value) -> ::core::option::Option<()> {
                ::core::option::Option::None
            }
        }
    }
}

pub fn expand(c: &Container) -> TokenStream {
    let krate = krate(c);
    let cx = Cx {
        c,
        krate: krate.clone(),
    };
    let p = cx.p();
    let g = bounded_generics(c, &krate);
    let ident = &c.ident;
    let name = schema_name_expr(c, &krate);

    let description = match &c.doc {
        Some(d) => quote!(fn description() -> ::core::option::Option<&'static str> {
            ::core::option::Option::Some(#d)
        }),
        None => quote!(),
    };

    let schema = schema_fn(&cx);
    let json_schema = if c.generics.type_params().next().is_none() {
        quote! {
            fn json_schema() -> &'static #p::Value {
                static SCHEMA: #p::OnceLock<#p::Value> = #p::OnceLock::new();
                SCHEMA.get_or_init(#krate::SchemaGenerator::root_schema_for::<Self>)
            }
        }
    } else {
        quote!()
    };

    let context = if c.garde.used {
        quote!(<Self as #krate::garde::Validate>::Context)
    } else {
        quote!(())
    };
    let validate = validate_fns(&cx);
    let json_path = json_path_fn(&cx);
    let (partial_ty, partial_fn, partial_item) = partial(&cx);

    // Types shown whole in partials are read with serde.
    let mut g_impl = g.clone();
    if partial_needs_deserialize(c) && c.generics.params.iter().next().is_some() {
        let (_, self_tg, _) = c.generics.split_for_impl();
        g_impl
            .make_where_clause()
            .predicates
            .push(syn::parse_quote!(#ident #self_tg: #krate::__private::DeserializeOwned));
    }
    let (ig, tg, wc) = g_impl.split_for_impl();

    quote! {
        #partial_item

        impl #ig #krate::Instructor for #ident #tg #wc {
            type Partial = #partial_ty;
            type Context = #context;

            fn schema_name() -> #p::Cow<'static, str> {
                #name
            }

            #description
            #schema
            #json_schema
            #validate
            #partial_fn
            #json_path
        }
    }
}

// ---------------------------------------------------------------------------------------
// Schema

fn schema_fn(cx: &Cx) -> TokenStream {
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
            RuleKind::Alphanumeric => {
                quote!(#kw::pattern(__t, "^[\\p{Alphabetic}\\p{N}]*$");)
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
                "items": false,
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

// ---------------------------------------------------------------------------------------
// Validation

fn validate_fns(cx: &Cx) -> TokenStream {
    let c = cx.c;
    let krate = &cx.krate;
    let p = cx.p();
    let garde_ctx = c.garde.used.then(|| {
        quote! {
            if let ::core::result::Result::Err(__r) =
                <Self as #krate::garde::Validate>::validate_with(self, ctx)
            {
                #p::garde_errors(self, __r, &__path, &mut __errors);
            }
        }
    });
    let unused_ctx = (!c.garde.used).then(|| quote!(let _ = ctx;));
    let garde_nested = (c.garde.used && !c.garde.context).then(|| {
        quote! {
            if __run_garde {
                if let ::core::result::Result::Err(__r) = <Self as #krate::garde::Validate>::validate(self) {
                    #p::garde_errors(self, __r, __path, __errors);
                }
            }
        }
    });
    let custom = c.instr.validate.iter().map(
        |f| quote_spanned!(f.span()=> #krate::ValidatorOutput::report(#f(self), __path, __errors);),
    );
    let child_garde = !c.garde.used;
    let children = match &c.data {
        Data::Struct(fields) => {
            let transparent = c.serde.transparent || fields.style == Style::Newtype;
            let visits = fields.wire().enumerate().map(|(i, f)| {
                let member = &f.member;
                visit_field(cx, f, quote!(&self.#member), i, transparent, child_garde)
            });
            quote!(#(#visits)*)
        }
        Data::Enum(variants) => {
            let arms = variants.iter().filter(|v| !v.skip).map(|v| {
                let pat = variant_pattern(v);
                let prefix = variant_prefix(cx, v, &format_ident!("__path"));
                let transparent = v.fields.style == Style::Newtype;
                let visits = v.fields.wire().enumerate().map(|(i, f)| {
                    let b = binding(i);
                    visit_field(cx, f, quote!(#b), i, transparent, child_garde)
                });
                quote! {
                    #pat => {
                        let __len = __path.as_str().len();
                        #prefix
                        #(#visits)*
                        __path.truncate(__len);
                    }
                }
            });
            quote! {
                #[allow(unreachable_patterns, unused_variables)]
                match self {
                    #(#arms)*
                    _ => {}
                }
            }
        }
    };
    quote! {
        fn validate_with(
            &self,
            ctx: &Self::Context,
        ) -> ::core::result::Result<(), #krate::ValidationErrors> {
            #unused_ctx
            let mut __errors = #krate::ValidationErrors::new();
            let mut __path = #krate::JsonPath::root();
            #garde_ctx
            #krate::Instructor::validate_at(self, &mut __path, &mut __errors, false);
            __errors.into_result()
        }

        #[allow(unused_variables)]
        fn validate_at(
            &self,
            __path: &mut #krate::JsonPath,
            __errors: &mut #krate::ValidationErrors,
            __run_garde: bool,
        ) {
            #garde_nested
            #(#custom)*
            #children
        }
    }
}

fn binding(i: usize) -> Ident {
    format_ident!("__f{}", i)
}

/// `Self::V { a: __f0, .. }` binding the wire fields in order.
fn variant_pattern(v: &Variant) -> TokenStream {
    let ident = &v.ident;
    match v.fields.style {
        Style::Named => {
            let binds = v.fields.wire().enumerate().map(|(i, f)| {
                let m = &f.member;
                let b = binding(i);
                quote!(#m: #b)
            });
            quote!(Self::#ident { #(#binds,)* .. })
        }
        Style::Newtype | Style::Tuple => {
            let binds = v.fields.fields.iter().scan(0usize, |n, f| {
                Some(if f.skip {
                    quote!(_)
                } else {
                    let b = binding(*n);
                    *n += 1;
                    quote!(#b)
                })
            });
            quote!(Self::#ident(#(#binds),*))
        }
        Style::Unit => quote!(Self::#ident),
    }
}

/// Pushes where a variant's content sits in the JSON: under its name (external), under the
/// content key (adjacent), or nowhere (internal, untagged).
fn variant_prefix(cx: &Cx, v: &Variant, path: &Ident) -> TokenStream {
    let c = cx.c;
    if v.untagged {
        return quote!();
    }
    match &c.serde.tagging {
        Tagging::External => {
            let w = &v.wire;
            quote!(#path.push_key(#w);)
        }
        Tagging::Adjacent { content, .. } => quote!(#path.push_key(#content);),
        Tagging::Internal { .. } | Tagging::Untagged => quote!(),
    }
}

fn visit_field(
    cx: &Cx,
    f: &Field,
    value: TokenStream,
    index: usize,
    transparent: bool,
    child_garde: bool,
) -> TokenStream {
    if f.schema_with.is_some() {
        return quote!();
    }
    let krate = &cx.krate;
    let ty = &f.ty;
    let call = quote_spanned!(ty.span()=>
        <#ty as #krate::Instructor>::validate_at(#value, __path, __errors, #child_garde);
    );
    if transparent || f.flatten.is_some() {
        return call;
    }
    let push = if f.member_is_named() {
        let w = &f.wire;
        quote!(__path.push_key(#w))
    } else {
        quote!(__path.push_index(#index))
    };
    quote! {{
        let __len = #push;
        #call
        __path.truncate(__len);
    }}
}

impl Field {
    fn member_is_named(&self) -> bool {
        matches!(self.member, syn::Member::Named(_))
    }
}

/// Translates garde's paths (Rust names) into JSON paths (serde names).
fn json_path_fn(cx: &Cx) -> TokenStream {
    let c = cx.c;
    let krate = &cx.krate;
    let body = match &c.data {
        Data::Struct(fields) => {
            let transparent = c.serde.transparent || fields.style == Style::Newtype;
            let arms = fields.wire().enumerate().filter_map(|(i, f)| {
                let member = &f.member;
                path_arm(cx, f, quote!(&self.#member), i, transparent)
            });
            path_match(cx, quote!(#(#arms)*), transparent)
        }
        Data::Enum(variants) => {
            let arms = variants.iter().filter(|v| !v.skip).map(|v| {
                let pat = variant_pattern(v);
                let prefix = variant_prefix(cx, v, &format_ident!("out"));
                let transparent = v.fields.style == Style::Newtype;
                let arms = v.fields.wire().enumerate().filter_map(|(i, f)| {
                    let b = binding(i);
                    path_arm(cx, f, quote!(#b), i, transparent)
                });
                let inner = path_match(cx, quote!(#(#arms)*), transparent);
                quote!(#pat => { #prefix #inner })
            });
            quote! {
                #[allow(unreachable_patterns, unused_variables)]
                match self {
                    #(#arms)*
                    _ => #krate::push_verbatim(rest, out),
                }
            }
        }
    };
    quote! {
        fn json_path(&self, rest: &[#krate::PathSegment<'_>], out: &mut #krate::JsonPath) {
            #body
        }
    }
}

/// `match rest.split_first()` over the arms of the fields.
fn path_match(cx: &Cx, arms: TokenStream, transparent: bool) -> TokenStream {
    let krate = &cx.krate;
    if transparent && !arms.is_empty() {
        // A newtype: garde names the inner value with an unnamed component, or none.
        return quote! {
            let rest = match rest.split_first() {
                ::core::option::Option::Some((#krate::PathSegment::Unnamed, tail)) => tail,
                _ => rest,
            };
            #arms
        };
    }
    quote! {
        match rest.split_first() {
            ::core::option::Option::Some((
                #krate::PathSegment::Key(__k) | #krate::PathSegment::Index(__k),
                tail,
            )) => match *__k {
                #arms
                _ => #krate::push_verbatim(rest, out),
            },
            _ => #krate::push_verbatim(rest, out),
        }
    }
}

fn path_arm(
    cx: &Cx,
    f: &Field,
    value: TokenStream,
    index: usize,
    transparent: bool,
) -> Option<TokenStream> {
    if f.schema_with.is_some() {
        return None;
    }
    let krate = &cx.krate;
    let ty = &f.ty;
    if transparent {
        return Some(
            quote_spanned!(ty.span()=> <#ty as #krate::Instructor>::json_path(#value, rest, out);),
        );
    }
    let mut names = vec![f.rust.clone()];
    names.extend(f.garde_alias.clone());
    let push = if f.flatten.is_some() {
        quote!()
    } else if f.member_is_named() {
        let w = &f.wire;
        quote!(out.push_key(#w);)
    } else {
        quote!(out.push_index(#index);)
    };
    let call =
        quote_spanned!(ty.span()=> <#ty as #krate::Instructor>::json_path(#value, tail, out));
    Some(quote! {
        #(#names)|* => {
            #push
            #call
        }
    })
}

// ---------------------------------------------------------------------------------------
// Partial companion

/// Enums, tuple and unit structs are shown once complete: their partial form is themselves,
/// read with serde.
fn partial_needs_deserialize(c: &Container) -> bool {
    match &c.data {
        Data::Enum(_) => true,
        Data::Struct(f) => !c.serde.transparent && matches!(f.style, Style::Tuple | Style::Unit),
    }
}

/// `(type Partial, fn partial_from_value, the companion struct)`.
fn partial(cx: &Cx) -> (TokenStream, TokenStream, TokenStream) {
    let c = cx.c;
    let krate = &cx.krate;
    let p = cx.p();
    let sig =
        quote!(fn partial_from_value(value: #p::Value) -> ::core::option::Option<Self::Partial>);
    if partial_needs_deserialize(c) {
        return (quote!(Self), quote!(#sig { #p::whole(value) }), quote!());
    }
    let Data::Struct(fields) = &c.data else {
        unreachable!("enums are handled above")
    };
    if c.serde.transparent || fields.style == Style::Newtype {
        return match fields.wire().next() {
            Some(f) if f.schema_with.is_none() => {
                let ty = &f.ty;
                (
                    quote!(<#ty as #krate::Instructor>::Partial),
                    quote!(#sig { <#ty as #krate::Instructor>::partial_from_value(value) }),
                    quote!(),
                )
            }
            Some(_) => (
                quote!(#p::Value),
                quote!(#sig { ::core::option::Option::Some(value) }),
                quote!(),
            ),
            None => (quote!(Self), quote!(#sig { #p::whole(value) }), quote!()),
        };
    }

    // A named struct: a companion with every wire field optional.
    let ident = &c.ident;
    let pname = format_ident!("{}Partial", ident);
    let vis = &c.vis;
    let g = bounded_generics(c, krate);
    let (ig, tg, wc) = g.split_for_impl();
    let wire: Vec<&Field> = fields.wire().collect();
    let ptype = |f: &Field| -> TokenStream {
        if f.schema_with.is_some() {
            return quote!(#p::Value);
        }
        let ty = option_inner(&f.ty).unwrap_or(&f.ty);
        quote_spanned!(ty.span()=> <#ty as #krate::Instructor>::Partial)
    };
    let decls = wire.iter().map(|f| {
        let fvis = &f.vis;
        let m = &f.member;
        let t = ptype(f);
        let doc = f.doc.as_ref().map(|d| quote!(#[doc = #d]));
        quote!(#doc #fvis #m: ::core::option::Option<#t>,)
    });
    let members: Vec<&syn::Member> = wire.iter().map(|f| &f.member).collect();
    let names: Vec<String> = wire.iter().map(|f| f.rust.clone()).collect();
    let tmp: Vec<Ident> = (0..wire.len()).map(binding).collect();
    let takes = wire
        .iter()
        .zip(&tmp)
        .filter(|(f, _)| f.flatten.is_none())
        .map(|(f, t)| {
            let mut keys = vec![f.wire.clone()];
            keys.extend(f.aliases.iter().cloned());
            if f.schema_with.is_some() {
                quote!(let #t = #p::take_raw(&mut __map, &[#(#keys),*]);)
            } else {
                let ty: &Type = option_inner(&f.ty).unwrap_or(&f.ty);
                quote_spanned!(ty.span()=> let #t = #p::take_field::<#ty>(&mut __map, &[#(#keys),*]);)
            }
        });
    let flattens = wire
        .iter()
        .zip(&tmp)
        .filter(|(f, _)| f.flatten.is_some())
        .map(|(f, t)| {
            let ty: &Type = option_inner(&f.ty).unwrap_or(&f.ty);
            quote! {
                let #t = <#ty as #krate::Instructor>::partial_from_value(
                    #p::Value::Object(__map.clone()),
                );
            }
        });
    // Bounds on the parameters' partials, not on the fields (a recursive type's field bound
    // would never resolve).
    let mut debug_g = g.clone();
    for t in c.generics.type_params() {
        let t = &t.ident;
        debug_g
            .make_where_clause()
            .predicates
            .push(syn::parse_quote!(<#t as #krate::Instructor>::Partial: ::core::fmt::Debug));
    }
    let debug_wc = debug_g.split_for_impl().2;

    let pname_str = pname.to_string();
    let doc = format!(
        "The partial form of [`{ident}`] while a model is still writing it: every field \
         optional, nested values partial too. Produced by streaming extraction."
    );
    let item = quote! {
        #[doc = #doc]
        #[allow(dead_code, missing_docs)]
        #vis struct #pname #ig #wc {
            #(#decls)*
        }

        impl #ig ::core::default::Default for #pname #tg #wc {
            fn default() -> Self {
                Self { #(#members: ::core::option::Option::None,)* }
            }
        }

        impl #ig ::core::fmt::Debug for #pname #tg #debug_wc {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                // Fields whose type has no `Debug` print their type name instead.
                #[allow(unused_imports)]
                use #p::{DebugViaName as _, DebugViaTrait as _};
                f.debug_struct(#pname_str)
                    #(.field(#names, &(&#p::DebugField(&self.#members)).debug_field()))*
                    .finish()
            }
        }
    };
    let fn_ = quote! {
        #sig {
            let #p::Value::Object(mut __map) = value else {
                return ::core::option::Option::None;
            };
            #(#takes)*
            #(#flattens)*
            let _ = &mut __map;
            ::core::option::Option::Some(#pname { #(#members: #tmp,)* })
        }
    };
    (quote!(#pname #tg), fn_, item)
}
