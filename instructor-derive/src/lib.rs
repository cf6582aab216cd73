//! `#[derive(Instructor)]`: a type's JSON Schema, validation hooks and partial companion,
//! written at compile time. Use it through the `instructor` crate.
//!
//! The derive reads like garde_derive's, and data flows one way: syn -> `syntax` -> `model`
//! -> `check` -> `emit` -> tokens. Every pass puts its errors into one `Ctxt`; on error the
//! compile errors come with a stub impl, so one mistake does not cascade into unrelated trait
//! errors.
//!
//! - `syntax`: reads the type and its `serde`, `garde` and `instructor` attributes into the
//!   model; resolves serde's enum tagging once.
//! - `model`: what the derive knows about the type: container, variants, fields, rules.
//! - `check`: semantic checks, each error spanned on the offending token.
//! - `emit`: the tokens. `emit/mod.rs` the impl skeleton, the error stub and the shared
//!   helpers; `emit/schema.rs` the JSON Schema; `emit/validate.rs` the validation hooks and
//!   garde's paths in serde's names; `emit/partial.rs` the partial companion.
//! - Leaves used by the passes: `ctxt` (the error collector), `ty` (what a type's spelling
//!   tells: `Option`, shape), `case` (serde's `rename_all`), `regex` (garde's patterns in
//!   ECMA-262).

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
