//! The partial companion: `type Partial`, `partial_from_value`, and for a named struct the
//! `{Type}Partial` struct with every field optional, its `Default` and its `Debug`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::Type;

use super::{bounded_generics, Cx};
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

/// An enum of unit variants that serde's derive reads from their names alone: externally
/// tagged, without parameters, and no serde attribute the derive does not read (`alias`,
/// `other`, `skip`, `from`, ...). Its partial form is read from those names, as a struct's
/// fields are, instead of instantiating its `Deserialize` for `serde_json::Value`; what
/// `serde_json::from_value` takes, `__private::unit_variant` takes.
fn plain_unit_enum(c: &Container) -> Option<&[Variant]> {
    let Data::Enum(variants) = &c.data else {
        return None;
    };
    let plain = matches!(c.serde.tagging, Tagging::External)
        && c.serde.converted.is_none()
        && !c.serde.other
        && c.generics.params.is_empty()
        && variants
            .iter()
            .all(|v| v.fields.style == Style::Unit && !v.skip && !v.untagged && !v.serde_other);
    plain.then_some(variants.as_slice())
}

/// What the partial companion adds to the derive's output.
pub(super) struct Companion {
    /// `type Partial`.
    pub ty: TokenStream,
    /// `fn partial_from_value`.
    pub fn_: TokenStream,
    /// The `{Type}Partial` struct, written beside the `const _` block (users name it).
    pub item: TokenStream,
    /// Its `Default` and `Debug`, written in the block.
    pub impls: TokenStream,
}

/// The partial companion of the type.
pub(super) fn companion(cx: &Cx) -> Companion {
    let only = |ty: TokenStream, fn_: TokenStream| Companion {
        ty,
        fn_,
        item: quote!(),
        impls: quote!(),
    };
    let c = cx.c;
    let krate = &cx.krate;
    let p = cx.p();
    let sig =
        quote!(#[inline] fn partial_from_value(value: #p::Value) -> #p::Option<Self::Partial>);
    if let Some(variants) = plain_unit_enum(c) {
        let names = variants.iter().map(|v| &v.wire);
        let arms = variants.iter().enumerate().map(|(i, v)| {
            let ident = &v.ident;
            quote!(#i => #p::Some(Self::#ident),)
        });
        let fn_ = quote! {
            #sig {
                match #p::unit_variant(value, &[#(#names),*])? {
                    #(#arms)*
                    _ => #p::None,
                }
            }
        };
        return only(quote!(Self), fn_);
    }
    if needs_deserialize(c) {
        return only(quote!(Self), quote!(#sig { #p::whole(value) }));
    }
    let Data::Struct(fields) = &c.data else {
        unreachable!("enums are handled above")
    };
    if c.serde.transparent || fields.style == Style::Newtype {
        return match fields.wire().next() {
            Some(f) if f.schema_with.is_none() => {
                let ty = &f.ty;
                only(
                    quote!(<#ty as #p::Instructor>::Partial),
                    quote!(#sig { <#ty as #p::Instructor>::partial_from_value(value) }),
                )
            }
            Some(_) => only(quote!(#p::Value), quote!(#sig { #p::Some(value) })),
            None => only(quote!(Self), quote!(#sig { #p::whole(value) })),
        };
    }

    // A named struct: a companion with every wire field optional.
    let ident = &c.ident;
    let pname = format_ident!("{}Partial", ident);
    let vis = &c.vis;
    // The struct is outside the `const _` block: full paths.
    let g_decl = bounded_generics(c, krate);
    let (ig_decl, _, wc_decl) = g_decl.split_for_impl();
    let g = bounded_generics(c, &p);
    let (ig, tg, wc) = g.split_for_impl();
    let wire: Vec<&Field> = fields.wire().collect();
    let ptype = |f: &Field| -> TokenStream {
        if f.schema_with.is_some() {
            return quote!(#krate::__private::Value);
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
    let debugs = wire.iter().map(|f| {
        let name = &f.rust;
        let m = &f.member;
        quote!((#name, (&#p::DebugField(&self.#m)).debug_field()))
    });
    // Each field under its wire name or an alias, written into a companion made empty
    // first (so that a panic while reading one drops the companion once, not each value read
    // before); the flattened ones last, from what is left of the object.
    let takes = wire.iter().filter(|f| f.flatten.is_none()).map(|f| {
        let m = &f.member;
        let mut keys = vec![f.wire.clone()];
        keys.extend(f.aliases.iter().cloned());
        if f.schema_with.is_some() {
            quote!(__out.#m = #p::take_raw(&mut __map, &[#(#keys),*]);)
        } else {
            // `__out.field` spanned on the type alone: a type without `Instructor` is then
            // reported once, at the type, as the other places that name it do.
            let ty: &Type = option_inner(&f.ty).unwrap_or(&f.ty);
            let mut m = m.clone();
            if let syn::Member::Named(i) = &mut m {
                i.set_span(ty.span());
            }
            quote_spanned!(ty.span()=>
                #p::take_field::<#ty>(&mut __map, &[#(#keys),*], &mut __out.#m);
            )
        }
    });
    let flattens = wire.iter().filter(|f| f.flatten.is_some()).map(|f| {
        let m = &f.member;
        let ty: &Type = option_inner(&f.ty).unwrap_or(&f.ty);
        quote! {
            __out.#m = <#ty as #p::Instructor>::partial_from_value(
                #p::Value::Object(__map.clone()),
            );
        }
    });
    let unused_map = wire
        .iter()
        .all(|f| f.flatten.is_some())
        .then(|| quote!(let _ = &mut __map;));
    // Bounds on the parameters' partials, not on the fields (a recursive type's field bound
    // would never resolve).
    let mut debug_g = g.clone();
    for t in c.generics.type_params() {
        let t = &t.ident;
        debug_g
            .make_where_clause()
            .predicates
            .push(syn::parse_quote!(<#t as #p::Instructor>::Partial: #p::fmt::Debug));
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
        #vis struct #pname #ig_decl #wc_decl {
            #(#decls)*
        }
    };
    let impls = quote! {
        #[automatically_derived]
        impl #ig #p::Default for #pname #tg #wc {
            #[inline]
            fn default() -> Self {
                Self { #(#members: #p::None,)* }
            }
        }

        #[automatically_derived]
        impl #ig #p::fmt::Debug for #pname #tg #debug_wc {
            #[inline]
            fn fmt(&self, f: &mut #p::fmt::Formatter<'_>) -> #p::fmt::Result {
                // Fields whose type has no `Debug` print their type name instead.
                #[allow(unused_imports)]
                use #p::{DebugViaName as _, DebugViaTrait as _};
                #p::debug_struct(f, #pname_str, &[#(#debugs),*])
            }
        }
    };
    let fn_ = quote! {
        #sig {
            let #p::Value::Object(mut __map) = value else {
                return #p::None;
            };
            let mut __out = <#pname #tg as #p::Default>::default();
            #(#takes)*
            #(#flattens)*
            #unused_map
            #p::Some(__out)
        }
    };
    Companion {
        ty: quote!(#pname #tg),
        fn_,
        item,
        impls,
    }
}
