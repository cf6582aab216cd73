//! What every part of the emitted code shares: [`Cx`] (the type, how to name the
//! `instructor` crate, impl headers), bounded generics, and the names generated code gives
//! fields, bindings and the partial companion.

use proc_macro2::TokenStream;
use quote::quote;
use syn::ext::IdentExt;
use syn::Ident;

use super::out::{w, Out, Toks};
use crate::model::*;

/// What every part needs: the type, and how to name the `instructor` crate and the type's
/// parameters.
pub(super) struct Cx<'a> {
    /// The type.
    pub(super) c: &'a Container,
    /// The type's name, as written (`r#` kept).
    pub(super) name: String,
    /// Parameters or a where clause: impl headers splice the generics; without them the
    /// headers are text.
    pub(super) generic: bool,
}

impl<'a> Cx<'a> {
    /// What the parts need to write the code of `c`.
    pub(super) fn new(c: &'a Container) -> Self {
        Cx {
            c,
            name: c.ident.to_string(),
            generic: !c.generics.params.is_empty() || c.generics.where_clause.is_some(),
        }
    }

    /// Writes the path of the `instructor` crate: `#[instructor(crate = ..)]` (spliced), or
    /// `::instructor`. Inside the `const _` block the generated code names
    /// `instructor::__private` as `__p` instead.
    pub(super) fn krate(&self, o: &mut Out) {
        match &self.c.instr.krate {
            Some(p) => o.tokens(quote!(#p)),
            None => o.s("::instructor"),
        };
    }

    /// The crate's path as tokens, for spliced fragments.
    pub(super) fn krate_tokens(&self) -> TokenStream {
        krate(self.c)
    }

    /// [`krate`](Cx::krate) into tokens built one by one.
    pub(super) fn krate_toks(&self, t: &mut Toks) {
        match &self.c.instr.krate {
            Some(p) => t.t(p),
            None => t.s("::instructor"),
        };
    }

    /// `impl<..> TRAIT for TY<..> where ..` for the type `ty` (the type itself or its
    /// partial companion), `generics` those of the impl (the type's, with bounds added).
    pub(super) fn impl_head(&self, o: &mut Out, generics: &syn::Generics, trait_: &str, ty: &str) {
        if !self.generic {
            w!(o, "impl {trait_} for {ty} ");
            return;
        }
        let (ig, tg, wc) = generics.split_for_impl();
        o.s("impl").tokens(quote!(#ig));
        w!(o, " {trait_} for {ty}");
        o.tokens(quote!(#tg #wc));
    }
}

/// `#[instructor(crate = ..)]`, or `::instructor`.
pub(super) fn krate(c: &Container) -> TokenStream {
    match &c.instr.krate {
        Some(p) => quote!(#p),
        None => quote!(::instructor),
    }
}

/// Generics with `T: Instructor` added to every type parameter (`trait_path`: where
/// `Instructor` is found: the crate outside the `const _` block, `__p` in it).
pub(super) fn bounded_generics(c: &Container, trait_path: &impl quote::ToTokens) -> syn::Generics {
    let mut g = c.generics.clone();
    for param in g.type_params_mut() {
        param
            .bounds
            .push(syn::parse_quote!(#trait_path::Instructor));
    }
    g
}

/// `__p` as an identifier, for spliced fragments.
pub(super) fn p() -> Ident {
    Ident::new("__p", proc_macro2::Span::call_site())
}

/// `__f{i}`: the name a pattern binds the i-th wire field to.
pub(super) fn binding(i: usize) -> String {
    format!("__f{i}")
}

/// A field's member as text: its name (`r#` kept) or its index.
pub(super) fn member(m: &syn::Member) -> String {
    match m {
        syn::Member::Named(i) => i.to_string(),
        syn::Member::Unnamed(i) => i.index.to_string(),
    }
}

/// The partial companion's name: `{Type}Partial`.
pub(super) fn partial_name(c: &Container) -> String {
    format!("{}Partial", c.ident.unraw())
}
