//! The validation hooks: `validate_with` and `validate_at`, which run garde and the custom
//! validators on the value and everything it holds, and `json_path`, which turns garde's
//! paths (Rust names) into the JSON paths the model sees (serde names).

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::Ident;

use super::{binding, Cx};
use crate::model::*;

/// `fn validate_with` (garde with its context, then `validate_at` from the root) and
/// `fn validate_at` (garde, the custom validators, then every field at its JSON path).
pub(super) fn validate_fns(cx: &Cx) -> TokenStream {
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
        |f| quote_spanned!(f.span()=> #p::ValidatorOutput::report(#f(self), __path, __errors);),
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

/// `validate_at` on one field, under its key or index unless it is transparent or flattened.
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

/// Translates garde's paths (Rust names) into JSON paths (serde names).
pub(super) fn json_path_fn(cx: &Cx) -> TokenStream {
    let c = cx.c;
    let krate = &cx.krate;
    let p = cx.p();
    let body = match &c.data {
        Data::Struct(fields) => {
            let transparent = c.serde.transparent || fields.style == Style::Newtype;
            let arms = fields.wire().enumerate().filter_map(|(i, f)| {
                let member = &f.member;
                path_arm(cx, f, quote!(&self.#member), i, transparent)
            });
            path_match(cx, quote!(#(#arms)*), transparent, false)
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
                let inner = path_match(cx, quote!(#(#arms)*), transparent, true);
                quote!(#pat => { #prefix #inner })
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
        fn json_path(&self, rest: &[#p::PathSegment<'_>], out: &mut #krate::JsonPath) {
            #body
        }
    }
}

/// `match rest.split_first()` over the arms of the fields.
fn path_match(cx: &Cx, arms: TokenStream, transparent: bool, variant: bool) -> TokenStream {
    let p = cx.p();
    if transparent && !arms.is_empty() {
        // A newtype: garde names the inner value with an unnamed component, or none; the
        // field of a newtype variant by its position, `0`, which JSON does not have.
        let position = if variant {
            quote!(::core::option::Option::Some((#p::PathSegment::Index("0") | #p::PathSegment::Key("0"), tail)) => tail,)
        } else {
            quote!()
        };
        return quote! {
            let rest = match rest.split_first() {
                ::core::option::Option::Some((#p::PathSegment::Unnamed, tail)) => tail,
                #position
                _ => rest,
            };
            #arms
        };
    }
    quote! {
        match rest.split_first() {
            ::core::option::Option::Some((
                #p::PathSegment::Key(__k) | #p::PathSegment::Index(__k),
                tail,
            )) => match *__k {
                #arms
                _ => #p::push_verbatim(rest, out),
            },
            _ => #p::push_verbatim(rest, out),
        }
    }
}

/// The arm matching a field's Rust name (or garde alias): pushes its serde name and lets
/// the field's type translate the rest.
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
