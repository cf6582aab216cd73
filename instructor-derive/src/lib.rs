//! `#[derive(Instructor)]`: a type's JSON Schema, validation hooks and partial companion,
//! written at compile time. Use it through the `instructor` crate.
//!
//! The derive reads like garde_derive's, and data flows one way: syn -> `syntax` -> `check`
//! (which lowers to the resolved model) -> `emit` -> tokens. Every pass puts its errors into
//! one `Ctxt` (serde_derive's); on error the compile errors come with a stub impl, so one
//! mistake does not cascade into unrelated trait errors.
//!
//! - `syntax`: reads the type and its `serde`, `garde` and `instructor` attributes into the
//!   model, each field's type as written; resolves serde's enum tagging once, classifies
//!   garde's bounds once, and reports an unknown `instructor` key or one given twice.
//!   `syntax/mod.rs` the items, `syntax/attr.rs` the values of attribute keys and their
//!   errors, `syntax/doc.rs` doc comments, `syntax/rules.rs` garde's rules.
//! - `model`: what the derive knows about the type: container, variants, fields, rules.
//!   Generic over a field's type: as written, or resolved (`model::FieldType`).
//! - `check`: semantic checks, each error spanned on the offending token; then `lower`
//!   resolves each field's type once (its `Option` layer, whether it is a leaf, its span):
//!   the resolved model is all `emit` reads.
//! - `emit`: the tokens, written as source text and parsed by rustc once (`emit/out.rs`
//!   says why and how user tokens keep their spans). `emit/mod.rs` the impl skeleton and
//!   the error stub; `emit/cx.rs` what the parts share; `emit/schema.rs` the JSON Schema's
//!   tree in the table `instructor::__private` reads, `emit/rules.rs` garde's rules in it,
//!   `emit/sources.rs` the functions and run-time values its indices point at;
//!   `emit/validate.rs` the validation hooks and garde's paths in serde's names, only for
//!   what may hold rules; `emit/partial.rs` the partial companion; `emit/json.rs` the JSON
//!   writer. The generated code is kept small: what is the same for every type lives in
//!   `instructor::__private`, compiled once.
//! - `prompt`: the `prompt!` macro, in the same three steps (its own file: it shares only
//!   `ctxt` with the derive).
//! - Leaves used by the passes: `ctxt` (the error collector), `ty` (what a type's spelling
//!   tells: `Option`, shape, leaf), `case` (serde's `rename_all`), `regex` (garde's patterns
//!   in ECMA-262).

mod case;
mod check;
mod ctxt;
mod emit;
mod lower;
mod model;
mod prompt;
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
    let written = syntax::container(&mut cx, &input);
    let container = check::check(&mut cx, written);
    match cx.check() {
        Ok(()) => emit::expand(&container),
        Err(e) => {
            let mut out = e.into_compile_error();
            out.extend(emit::stub(&container));
            out.into()
        }
    }
}

/// A prompt written as a `format!` string, checked at compile time: every hole is named
/// (`{text}`: a variable in scope, or a `text = value` argument), so a misspelt name is a
/// compile error pointing at the prompt, not a template error at run time. Returns a
/// `String`.
///
/// Beyond `format!`:
///
/// - the literal is dedented like Python's `inspect.cleandoc`: the first line loses its
///   leading whitespace, the indentation the later lines share is removed, blank lines at
///   the start and whitespace at the end are dropped. Only the literal is changed, at compile
///   time; the values put in the holes are written as they are;
/// - positional holes (`{}`, `{0}`, a width or precision `1$` or `.*`) and positional
///   arguments are compile errors: every hole says what goes in it;
/// - `Debug` holes (`{value:?}`) are compile errors: a prompt is read by a model, which
///   should see the value's text, not Rust's syntax for it.
///
/// ```ignore
/// let text = "Jason is 20. Ada is 36.";
/// let prompt = instructor::prompt!("
///     Extract every person in the text.
///
///     Text: {text}
/// ");
/// assert_eq!(prompt, "Extract every person in the text.\n\nText: Jason is 20. Ada is 36.");
/// ```
///
/// The `instructor` crate's documentation has this example tested, and `docs/citations.md`
/// the whole story.
#[proc_macro]
pub fn prompt(input: TokenStream) -> TokenStream {
    prompt::expand(input.into()).into()
}
