//! `#[derive(Instructor)]`: a type's JSON Schema, validation hooks and partial companion,
//! written at compile time. Use it through the `instructor` crate.
//!
//! The derive reads like garde_derive's: `syntax` turns syn into the `model` (collecting
//! every error in a `Ctxt`), `check` rejects what cannot be described, `emit`
//! writes the tokens. On error the compile errors come with a stub impl, so one mistake does
//! not cascade into unrelated trait errors.

mod case;
mod check;
mod ctxt;
mod emit;
mod model;
mod regex;
mod syntax;
mod ty;

use proc_macro::TokenStream;

/// Derives `instructor::Instructor`: the type's JSON Schema (draft 2020-12), its validation
/// hook (garde rules and `#[instructor(validate = path)]` functions), and its partial
/// companion `{Type}Partial` for streaming.
///
/// See the `instructor` crate's documentation and `docs/derive.md` for every supported type,
/// attribute and rule.
#[proc_macro_derive(Instructor, attributes(instructor))]
pub fn derive_instructor(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    let mut cx = ctxt::Ctxt::default();
    let container = syntax::container(&mut cx, &input);
    check::check(&mut cx, &container);
    match cx.check() {
        Ok(()) => emit::expand(&container),
        Err(e) => {
            let mut out = e.into_compile_error();
            out.extend(emit::stub(&container));
            out
        }
    }
    .into()
}
