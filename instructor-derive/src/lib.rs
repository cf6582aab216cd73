//! `#[derive(Instructor)]`.
use proc_macro::TokenStream;

/// Derives `instructor::Instructor`.
#[proc_macro_derive(Instructor, attributes(instructor))]
pub fn derive_instructor(input: TokenStream) -> TokenStream {
    let _ = input;
    TokenStream::new()
}
