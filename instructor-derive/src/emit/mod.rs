//! resolved model -> tokens. This file writes the skeleton of the `Instructor` impl, the
//! type's `Table` (the manifest `instructor::__private` reads: what is the same for every
//! type is code there, compiled once) and the stub that stands in for the impl on error.
//! The parts, each its share of the manifest and the functions that name the type's fields:
//! `schema` (the JSON Schema's tree, with `rules` for garde's rules and `sources` for what
//! its indices point at), `validate` (the validation hooks and garde's paths) and `partial`
//! (the partial companion for streaming); `cx` what they share. All of it is written as
//! source text through `out` (why: see there); `json` writes the manifest. Emit reads the
//! resolved model only: it splices the user's types, never looks into them.

mod cx;
mod json;
mod out;
mod partial;
mod rules;
mod schema;
mod sources;
mod validate;

use proc_macro2::TokenStream;
use quote::quote;
use syn::Ident;

use crate::model::*;
use cx::{bounded_generics, krate, p, Cx};
use json::Json;
use out::Out;

/// The type's name in schemas: `#[instructor(name)]`, serde's `rename`, or its own (written
/// into the table of a type without type parameters, which the trait's default reads).
fn base_name(c: &Container) -> String {
    c.instr
        .name
        .clone()
        .or_else(|| c.serde.rename.clone())
        .unwrap_or_else(|| c.ident.to_string())
}

/// The body of `schema_name` of a type with type parameters: its name and theirs.
fn schema_name(cx: &Cx, o: &mut Out) {
    let c = cx.c;
    let base = base_name(c);
    let params: Vec<&Ident> = c.generics.type_params().map(|p| &p.ident).collect();
    let p = p();
    o.tokens(quote! {
        #p::Cow::Owned(::std::format!(
            "{}_for_{}",
            #base,
            [#(<#params as #p::Instructor>::schema_name().into_owned()),*].join("_and_")
        ))
    });
}

/// The error stub: with the compile errors, an impl that keeps other code from failing too.
pub fn stub(c: &Container) -> TokenStream {
    let krate = krate(c);
    let g = bounded_generics(c, &krate);
    let (ig, tg, wc) = g.split_for_impl();
    let ident = &c.ident;
    quote! {
        #[automatically_derived]
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

/// The `Instructor` impl, and the partial companion when the type has one. The impls are
/// written in a `const _: () = { .. };` block that imports `instructor::__private` as `__p`
/// and holds the type's table, `__T`; the partial companion's struct, which users name, is
/// written beside it.
///
/// The impl writes, for a named struct, `__read` (its partial companion, and through a
/// recording reader its schema: `schema` and `partial_from_value` are the trait's defaults),
/// for other types `schema` and `partial_from_value`; `schema_name` for a type with type
/// parameters (the others' name is in the table); `__table` (which gives `schema_name`,
/// `description` and `json_schema` their values) and `__visit` (which `validate_at` and
/// `json_path` walk): the trait's defaults do the rest.
///
/// Every generated function is `#[inline]`: like the generic code of serde's derive, it is
/// then compiled (machine code, in a `--release` build) only in the crates that call it, for
/// the types they extract, not in the crate that defines a hundred types and extracts two.
/// Without it each impl is a root of code generation in the defining crate, with every
/// generic helper it instantiates (`scripts/derive-cost`, docs/performance.md).
pub fn expand(c: &Container) -> proc_macro::TokenStream {
    let cx = Cx::new(c);
    let partial = partial::Companion::of(&cx);

    // A type without type parameters is named by its table (`schema_name`'s default).
    let has_type_params = c.generics.type_params().next().is_some();
    let mut j = Json::new();
    let mut sources = None;
    j.object(|j| {
        j.opt_str("doc", c.doc.as_deref());
        j.flag("generic", !c.generics.params.is_empty());
        if !has_type_params {
            j.key("name").str(&base_name(c));
        }
        sources = Some(schema::manifest(&cx, j));
        validate::manifest(&cx, j);
        partial.manifest(j);
    });
    let manifest = j.finish();
    let sources = sources.unwrap_or_default();

    let mut o = Out::new();
    partial.item(&mut o);
    o.s("const _: () = ").brace(|o| {
        o.s("use ");
        cx.krate(o);
        o.s("::__private as __p; static __T: __p::Table = __p::Table::new(")
            .raw_lit(&manifest)
            .s(");const _: () = __p::ManifestFormat::<1>::CHECK;"); // manifest format 1
        partial.impls(o);

        // Types shown whole in partials are read with serde.
        let mut g = bounded_generics(c, &p());
        if partial::needs_deserialize(c) && !c.generics.params.is_empty() {
            let ident = &c.ident;
            let (_, self_tg, _) = c.generics.split_for_impl();
            g.make_where_clause()
                .predicates
                .push(syn::parse_quote!(#ident #self_tg: __p::DeserializeOwned));
        }
        if c.instr.tools.is_some() {
            o.s("#[automatically_derived]");
            cx.impl_head(o, &g, "__p::ToolSet", &cx.name);
            o.s("{}");
        }

        o.s("#[automatically_derived]");
        cx.impl_head(o, &g, "__p::Instructor", &cx.name);
        o.brace(|o| {
            o.s("type Partial = ");
            partial.ty(o);
            o.s(";type Context = ");
            // garde's context is `()` unless the type names one.
            o.s(if c.garde.context {
                "<Self as __p::garde::Validate>::Context;"
            } else {
                "();"
            });
            if has_type_params {
                o.s("#[inline] fn schema_name() -> __p::Cow<'static, str> ")
                    .brace(|o| schema_name(&cx, o));
            }
            examples_fn(c, o);
            if !partial.reads_fields() {
                sources::schema_fn(&sources, o);
            }
            partial.partial_fn(&sources, o);
            o.s(
                "#[inline] fn __table() -> __p::Option<&'static __p::Table> \
                 { __p::Some(&__T) }",
            );
            validate::visit_fns(&cx, o);
        });
    });
    o.s(";");
    o.finish()
}

/// `fn examples`, when the type declares worked examples (`#[instructor(example(..))]`).
fn examples_fn(c: &Container, o: &mut Out) {
    if c.instr.examples.is_empty() {
        return;
    }
    o.s("#[inline] fn examples() -> &'static [__p::Example] { &[");
    for e in &c.instr.examples {
        o.s("__p::Example { text: ")
            .lit(&e.text)
            .s(", answer: ")
            .lit(&e.answer)
            .s(" },");
    }
    o.s("] }");
}
