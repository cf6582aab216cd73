//! The partial companion: `type Partial`, `partial_from_value`, and for a named struct the
//! `{Type}Partial` struct with every field optional, its `Default` and its `Debug`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Ident, Type};

use super::{binding, bounded_generics, Cx};
use crate::model::*;
use crate::ty::option_inner;

/// Enums, tuple and unit structs are shown once complete: their partial form is themselves,
/// read with serde.
pub(super) fn needs_deserialize(c: &Container) -> bool {
    match &c.data {
        Data::Enum(_) => true,
        Data::Struct(f) => !c.serde.transparent && matches!(f.style, Style::Tuple | Style::Unit),
    }
}

/// `(type Partial, fn partial_from_value, the companion struct)`.
pub(super) fn companion(cx: &Cx) -> (TokenStream, TokenStream, TokenStream) {
    let c = cx.c;
    let krate = &cx.krate;
    let p = cx.p();
    let sig =
        quote!(fn partial_from_value(value: #p::Value) -> ::core::option::Option<Self::Partial>);
    if needs_deserialize(c) {
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

        #[automatically_derived]
        impl #ig ::core::default::Default for #pname #tg #wc {
            fn default() -> Self {
                Self { #(#members: ::core::option::Option::None,)* }
            }
        }

        #[automatically_derived]
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
