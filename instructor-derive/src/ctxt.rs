//! [`Ctxt`]: where every pass of the derive puts its errors, so that all of them are reported
//! at once (serde_derive's `internals::Ctxt`).

use proc_macro2::Span;
use syn::Attribute;

/// Collects errors so that all of them are reported at once.
#[derive(Default)]
pub struct Ctxt {
    errors: Vec<syn::Error>,
}

impl Ctxt {
    pub fn error(&mut self, span: Span, message: impl std::fmt::Display) {
        self.errors.push(syn::Error::new(span, message));
    }

    pub fn syn(&mut self, e: syn::Error) {
        self.errors.push(e);
    }

    /// Reads the items of `#[name(..)]` with `f`, keeping its error, if any.
    pub fn nested(
        &mut self,
        attr: &Attribute,
        f: impl FnMut(syn::meta::ParseNestedMeta) -> syn::Result<()>,
    ) {
        if let Err(e) = attr.parse_nested_meta(f) {
            self.syn(e);
        }
    }

    /// Reads the items of every `#[name(..)]` among `attrs` with `f`, in order, keeping the
    /// error of each attribute, if any.
    pub fn each(
        &mut self,
        attrs: &[Attribute],
        name: &str,
        mut f: impl FnMut(syn::meta::ParseNestedMeta) -> syn::Result<()>,
    ) {
        for attr in attrs.iter().filter(|a| a.path().is_ident(name)) {
            self.nested(attr, &mut f);
        }
    }

    /// All the errors as one, or `Ok` when there were none.
    pub fn check(self) -> Result<(), syn::Error> {
        let mut errors = self.errors.into_iter();
        let Some(mut first) = errors.next() else {
            return Ok(());
        };
        for e in errors {
            first.combine(e);
        }
        Err(first)
    }
}
