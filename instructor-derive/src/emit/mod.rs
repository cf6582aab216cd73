//! model -> tokens. This file writes the skeleton of the `Instructor` impl, the stub that
//! stands in for it on error, and what the parts share; the parts are written by `schema`
//! (the JSON Schema), `validate` (the validation hooks and the translation of garde's paths)
//! and `partial` (the partial companion for streaming).

mod partial;
mod schema;
mod validate;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::Ident;

use crate::model::*;

/// What every part needs: the type, and the path of the `instructor` crate.
struct Cx<'a> {
    c: &'a Container,
    krate: TokenStream,
}

impl Cx<'_> {
    /// `__p`: `instructor::__private`, the support the generated code calls, imported under
    /// that name in the `const _` block the impls are written in (one token where the full
    /// path is five: the derive's output is read token by token).
    fn p(&self) -> Ident {
        Ident::new("__p", proc_macro2::Span::call_site())
    }
    /// `instructor::schema::keywords`: the helpers that write garde's rules as keywords.
    fn kw(&self) -> TokenStream {
        quote!(__p::keywords)
    }
}

/// `#[instructor(crate = ..)]`, or `::instructor`.
fn krate(c: &Container) -> TokenStream {
    match &c.instr.krate {
        Some(p) => quote!(#p),
        None => quote!(::instructor),
    }
}

/// Generics with `T: Instructor` added to every type parameter (`trait_path`: where
/// `Instructor` is found: the crate outside the `const _` block, `__p` in it).
fn bounded_generics(c: &Container, trait_path: &impl quote::ToTokens) -> syn::Generics {
    let mut g = c.generics.clone();
    for param in g.type_params_mut() {
        param
            .bounds
            .push(syn::parse_quote!(#trait_path::Instructor));
    }
    g
}

/// The schema's name: `rename`, or the type's; a generic type's names its parameters too.
/// `p`: the path of `instructor::__private`.
fn schema_name_expr(c: &Container, p: &impl quote::ToTokens) -> TokenStream {
    let base = c
        .instr
        .name
        .clone()
        .or_else(|| c.serde.rename.clone())
        .unwrap_or_else(|| c.ident.to_string());
    let params: Vec<&Ident> = c.generics.type_params().map(|p| &p.ident).collect();
    if params.is_empty() {
        quote!(#p::Cow::Borrowed(#base))
    } else {
        quote! {
            #p::Cow::Owned(::std::format!(
                "{}_for_{}",
                #base,
                [#(<#params as #p::Instructor>::schema_name().into_owned()),*].join("_and_")
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
/// written in a `const _: () = { .. };` block that imports `instructor::__private` as `__p`;
/// the partial companion's struct, which users name, is written beside it.
///
/// Every generated function is `#[inline]`: like the generic code of serde's derive, it is
/// then compiled (machine code, in a `--release` build) only in the crates that call it, for
/// the types they extract, not in the crate that defines a hundred types and extracts two.
/// Without it each impl is a root of code generation in the defining crate, with every
/// generic helper it instantiates (`scripts/derive-cost`, docs/performance.md).
pub fn expand(c: &Container) -> TokenStream {
    let krate = krate(c);
    let cx = Cx {
        c,
        krate: krate.clone(),
    };
    let p = cx.p();
    let g = bounded_generics(c, &p);
    let ident = &c.ident;
    let name = schema_name_expr(c, &p);

    let description = match &c.doc {
        Some(d) => quote!(#[inline] fn description() -> #p::Option<&'static str> {
            #p::Some(#d)
        }),
        None => quote!(),
    };

    let schema = schema::schema_fn(&cx);
    let json_schema = if c.generics.params.is_empty() {
        quote! {
            #[inline]
            fn json_schema() -> &'static #p::Value {
                static SCHEMA: #p::OnceLock<#p::Value> = #p::OnceLock::new();
                #p::root_schema(&SCHEMA, #p::build_root::<Self>)
            }
        }
    } else {
        quote!()
    };

    let context = if c.garde.used {
        quote!(<Self as #p::garde::Validate>::Context)
    } else {
        quote!(())
    };
    let validate = validate::validate_fns(&cx);
    let json_path = validate::json_path_fn(&cx);
    let partial::Companion {
        ty: partial_ty,
        fn_: partial_fn,
        item: partial_item,
        impls: partial_impls,
    } = partial::companion(&cx);

    // Types shown whole in partials are read with serde.
    let mut g_impl = g.clone();
    if partial::needs_deserialize(c) && c.generics.params.iter().next().is_some() {
        let (_, self_tg, _) = c.generics.split_for_impl();
        g_impl
            .make_where_clause()
            .predicates
            .push(syn::parse_quote!(#ident #self_tg: #p::DeserializeOwned));
    }
    let (ig, tg, wc) = g_impl.split_for_impl();
    let tool_set = match c.instr.tools {
        Some(_) => quote! {
            #[automatically_derived]
            impl #ig #krate::ToolSet for #ident #tg #wc {}
        },
        None => quote!(),
    };

    quote! {
        #partial_item
        #tool_set

        const _: () = {
            use #krate::__private as __p;

            #partial_impls

            #[automatically_derived]
            impl #ig #p::Instructor for #ident #tg #wc {
                type Partial = #partial_ty;
                type Context = #context;

                #[inline]
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
        };
    }
}

/// `__f{i}`: the name a pattern binds the i-th wire field to.
fn binding(i: usize) -> Ident {
    format_ident!("__f{}", i)
}
