//! The validation hooks: `validate_with` and `validate_at`, which run garde and the custom
//! validators on the value and everything it holds, and `json_path`, which turns garde's
//! paths (Rust names) into the JSON paths the model sees (serde names).
//!
//! Only what may hold rules is visited: a field whose type is known from its spelling to
//! have none (numbers, strings, and the standard containers of them: `ty::is_leaf`) is
//! neither validated nor asked to translate a path. Finding the field garde named is
//! `instructor::__private::field_path`, over a table of the fields, compiled once.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use super::{binding, Cx};
use crate::model::*;
use crate::ty::is_leaf;

/// `fn validate_with` (garde with its context, then `validate_at` from the root) when the
/// type derives garde, and `fn validate_at` (garde, the custom validators, then the fields
/// that may hold rules, at their JSON paths) when it has anything to run: the trait's
/// defaults do the rest.
pub(super) fn validate_fns(cx: &Cx) -> TokenStream {
    let c = cx.c;
    let p = cx.p();
    let validate_with = c.garde.used.then(|| {
        quote! {
            #[inline]
            fn validate_with(
                &self,
                ctx: &Self::Context,
            ) -> #p::Result<(), #p::ValidationErrors> {
                #p::validated(<Self as #p::garde::Validate>::validate_with(self, ctx), &self)
            }
        }
    });
    // garde's rules on a nested value, with the default context (the same instance of
    // garde's `validate_with` as above).
    let garde_nested = (c.garde.used && !c.garde.context).then(|| {
        quote! {
            if __run_garde {
                #p::garde_nested(
                    <Self as #p::garde::Validate>::validate_with(
                        self,
                        &#p::Default::default(),
                    ),
                    &self,
                    __path,
                    __errors,
                );
            }
        }
    });
    let custom: Vec<TokenStream> = c
        .instr
        .validate
        .iter()
        .map(
            |f| quote_spanned!(f.span()=> #p::ValidatorOutput::report(#f(self), __path, __errors);),
        )
        .collect();
    let child_garde = !c.garde.used;
    let children = match &c.data {
        Data::Struct(fields) => {
            let transparent = c.serde.transparent || fields.style == Style::Newtype;
            let visits = fields.wire().enumerate().filter_map(|(i, f)| {
                let member = &f.member;
                visit_field(cx, f, quote!(&self.#member), i, transparent, child_garde)
            });
            quote!(#(#visits)*)
        }
        Data::Enum(variants) => {
            let arms: Vec<TokenStream> = variants
                .iter()
                .filter(|v| !v.skip)
                .filter_map(|v| {
                    let transparent = v.fields.style == Style::Newtype;
                    let visits: Vec<TokenStream> = v
                        .fields
                        .wire()
                        .enumerate()
                        .filter_map(|(i, f)| {
                            let b = binding(i);
                            visit_field(cx, f, quote!(#b), i, transparent, child_garde)
                        })
                        .collect();
                    if visits.is_empty() {
                        return None;
                    }
                    let pat = variant_pattern(v);
                    let prefix = match variant_prefix(cx, v) {
                        Some(key) => quote!(__path.push_key(#key);),
                        None => quote!(),
                    };
                    Some(quote! {
                        #pat => {
                            let __len = __path.as_str().len();
                            #prefix
                            #(#visits)*
                            __path.truncate(__len);
                        }
                    })
                })
                .collect();
            if arms.is_empty() {
                quote!()
            } else {
                quote! {
                    #[allow(unreachable_patterns, unused_variables)]
                    match self {
                        #(#arms)*
                        _ => {}
                    }
                }
            }
        }
    };
    let validate_at =
        (garde_nested.is_some() || !custom.is_empty() || !children.is_empty()).then(|| {
            quote! {
                #[allow(unused_variables)]
                #[inline]
                fn validate_at(
                    &self,
                    __path: &mut #p::JsonPath,
                    __errors: &mut #p::ValidationErrors,
                    __run_garde: bool,
                ) {
                    #garde_nested
                    #(#custom)*
                    #children
                }
            }
        });
    quote!(#validate_with #validate_at)
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

/// Where a variant's content sits in the JSON: under its name (external), under the
/// content key (adjacent), or in place (`None`: internal, untagged).
fn variant_prefix<'a>(cx: &'a Cx, v: &'a Variant) -> Option<&'a str> {
    if v.untagged {
        return None;
    }
    match &cx.c.serde.tagging {
        Tagging::External => Some(&v.wire),
        Tagging::Adjacent { content, .. } => Some(content),
        Tagging::Internal { .. } | Tagging::Untagged => None,
    }
}

/// `validate_at` on one field, under its key or index unless it is transparent or flattened;
/// nothing for a field whose type has nothing to validate.
fn visit_field(
    cx: &Cx,
    f: &Field,
    value: TokenStream,
    index: usize,
    transparent: bool,
    child_garde: bool,
) -> Option<TokenStream> {
    if f.schema_with.is_some() || is_leaf(&f.ty) {
        return None;
    }
    let p = cx.p();
    let ty = &f.ty;
    let call = quote_spanned!(ty.span()=>
        <#ty as #p::Instructor>::validate_at(#value, __path, __errors, #child_garde);
    );
    if transparent || f.flatten.is_some() {
        return Some(call);
    }
    let push = if f.member_is_named() {
        let w = &f.wire;
        quote!(__path.push_key(#w))
    } else {
        quote!(__path.push_index(#index))
    };
    Some(quote! {{
        let __len = #push;
        #call
        __path.truncate(__len);
    }})
}

/// Translates garde's paths (Rust names) into JSON paths (serde names); nothing when every
/// path is copied as it is (a unit struct; an enum whose variants have no fields and sit in
/// place), which the trait's default does. Every leaf field is named here, `let _ = ..;`,
/// so that the compiler counts it as read, as it did when every field was visited: a field
/// the program only fills from the model's answer is not reported as dead code.
pub(super) fn json_path_fn(cx: &Cx) -> TokenStream {
    let c = cx.c;
    let p = cx.p();
    let body = match &c.data {
        Data::Struct(fields) => {
            if fields.wire().next().is_none() {
                return quote!();
            }
            let transparent = c.serde.transparent || fields.style == Style::Newtype;
            let touched = fields
                .wire()
                .filter(|f| f.schema_with.is_none() && is_leaf(&f.ty))
                .map(|f| {
                    let m = &f.member;
                    quote!(let _ = self.#m;)
                });
            let inner = fields_path(cx, fields, transparent, false, None, |_, f| {
                let member = &f.member;
                quote!(&self.#member)
            });
            quote!(#(#touched)* #inner)
        }
        Data::Enum(variants) => {
            let live: Vec<&Variant> = variants.iter().filter(|v| !v.skip).collect();
            if live
                .iter()
                .all(|v| v.fields.wire().next().is_none() && variant_prefix(cx, v).is_none())
            {
                return quote!();
            }
            // The patterns bind every wire field: they count as read.
            let arms = live.iter().map(|v| {
                let pat = variant_pattern(v);
                let transparent = v.fields.style == Style::Newtype;
                let inner = fields_path(
                    cx,
                    &v.fields,
                    transparent,
                    true,
                    variant_prefix(cx, v),
                    |i, _| {
                        let b = binding(i);
                        quote!(#b)
                    },
                );
                quote!(#pat => { #inner })
            });
            quote! {
                #[allow(unreachable_patterns, unused_variables)]
                match self {
                    #(#arms)*
                    _ => #p::push_verbatim(rest, out),
                }
            }
        }
    };
    quote! {
        #[inline]
        fn json_path(&self, rest: &[#p::PathSegment<'_>], out: &mut #p::JsonPath) {
            #body
        }
    }
}

/// The translation of a struct or variant body, after `prefix`. A newtype's one field takes
/// the path as it is (garde names the inner value with an unnamed component, or none; the
/// field of a newtype `variant` by its position, `0`, which JSON does not have);
/// otherwise `__private::field_path` finds the field garde named in a table of the fields'
/// Rust names, writes it where it sits, and returns the rest for the field's type to
/// translate, unless it is a leaf, whose paths are copied as they are.
fn fields_path(
    cx: &Cx,
    fields: &Fields,
    transparent: bool,
    variant: bool,
    prefix: Option<&str>,
    value: impl Fn(usize, &Field) -> TokenStream,
) -> TokenStream {
    let p = cx.p();
    let prefix = match prefix {
        Some(key) => quote!(#p::Some(#key)),
        None => quote!(#p::None),
    };
    // Fields whose schema comes from `schema_with` keep garde's names.
    let described: Vec<(usize, &Field)> = fields
        .wire()
        .enumerate()
        .filter(|(_, f)| f.schema_with.is_none())
        .collect();
    if transparent {
        return match described.first() {
            Some((i, f)) if !is_leaf(&f.ty) => {
                let ty = &f.ty;
                let v = value(*i, f);
                quote_spanned!(ty.span()=>
                    <#ty as #p::Instructor>::json_path(
                        #v,
                        #p::newtype_path(rest, out, #prefix, #variant),
                        out,
                    );
                )
            }
            _ => quote!(#p::push_verbatim(#p::newtype_path(rest, out, #prefix, #variant), out);),
        };
    }
    let mut table = Vec::new();
    let mut arms = Vec::new();
    for (j, (i, f)) in described.iter().enumerate() {
        let mut names = vec![f.rust.clone()];
        names.extend(f.garde_alias.clone());
        let push = if f.flatten.is_some() {
            quote!(#p::Push::Here)
        } else if f.member_is_named() {
            let w = &f.wire;
            quote!(#p::Push::Key(#w))
        } else {
            quote!(#p::Push::Index(#i))
        };
        let nested = !is_leaf(&f.ty);
        table.push(quote!((&[#(#names),*], #push, #nested)));
        if nested {
            let ty = &f.ty;
            let v = value(*i, f);
            arms.push(quote_spanned!(ty.span()=>
                #j => <#ty as #p::Instructor>::json_path(#v, __tail, out),
            ));
        }
    }
    let call = quote!(#p::field_path(rest, out, #prefix, &[#(#table),*]));
    if arms.is_empty() {
        return quote!(#call;);
    }
    quote! {
        if let #p::Some((__i, __tail)) = #call {
            match __i {
                #(#arms)*
                _ => {}
            }
        }
    }
}
