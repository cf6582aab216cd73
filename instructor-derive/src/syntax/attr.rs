//! The values of attribute items (`key = "text"`, `key = path`, `rename(deserialize = ..)`,
//! `example(..)`), and the two errors any item may get: a key not known on that kind of
//! item, and a key given twice on one item ([`Seen`]).

use proc_macro2::{Span, TokenStream};
use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned;
use syn::{Expr, LitStr, Token};

use crate::case::RenameRule;
use crate::ctxt::Ctxt;
use crate::model::WorkedExample;

/// Skips the value of a `key = value` or `key(...)` item we do not read.
pub fn skip_value(meta: &ParseNestedMeta) -> syn::Result<()> {
    if meta.input.peek(Token![=]) {
        meta.value()?.parse::<Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        let content;
        syn::parenthesized!(content in meta.input);
        content.parse::<TokenStream>()?;
    }
    Ok(())
}

/// The item's key as written (`description`), or an empty text for a path of several
/// segments.
fn key(meta: &ParseNestedMeta) -> String {
    meta.path
        .get_ident()
        .map(|i| i.to_string())
        .unwrap_or_default()
}

/// An `#[instructor(..)]` item not known `on` this kind of item: its value is skipped and the
/// error names the key and what is `expected` instead.
pub fn unknown_attribute(meta: &ParseNestedMeta, on: &str, expected: &str) -> syn::Result<()> {
    let key = key(meta);
    let span = meta.path.span();
    skip_value(meta)?;
    Err(syn::Error::new(
        span,
        format!("unknown instructor attribute `{key}` on {on}: expected {expected}"),
    ))
}

/// The keys of `#[instructor(..)]` that take one value, given so far on one item (in all of
/// its `#[instructor]` attributes: a key repeated in a second attribute is as much a repeat
/// as one repeated in the same), and the errors for those given twice.
///
/// A key given twice is an error on the second, naming the first, with an error pointing at
/// the first: the derive cannot tell which one was meant (it used to keep the last in
/// silence). Keys that add to a list (`validate`, `example`) may be repeated.
pub struct Seen {
    /// What the item is, for the message: `a type`, `a field`, ...
    on: &'static str,
    /// Each key given so far, at its first place.
    keys: Vec<(String, Span)>,
    /// One per key given again: on the repeat, with one on the first place.
    errors: Vec<syn::Error>,
}

impl Seen {
    /// Nothing seen yet on an item of the kind `on` names.
    pub fn new(on: &'static str) -> Self {
        Seen {
            on,
            keys: Vec::new(),
            errors: Vec::new(),
        }
    }

    /// Records the key of `meta`, one that takes one value; when it was given before, keeps
    /// the error. Its value is read as usual, so that the rest of the attribute is read too.
    pub fn once(&mut self, meta: &ParseNestedMeta) {
        let key = key(meta);
        let span = meta.path.span();
        if let Some((_, first)) = self.keys.iter().find(|(k, _)| *k == key) {
            let mut e = syn::Error::new(
                span,
                format!(
                    "duplicate instructor attribute `{key}` on {}: it is already given \
                     (see the next error); keep one",
                    self.on
                ),
            );
            e.combine(syn::Error::new(
                *first,
                format!("`{key}` is first given here"),
            ));
            self.errors.push(e);
        } else {
            self.keys.push((key, span));
        }
    }

    /// Puts the errors, if any, into `cx`.
    pub fn report(self, cx: &mut Ctxt) {
        for e in self.errors {
            cx.syn(e);
        }
    }

    /// The errors as one, or `Ok` when there were none.
    fn into_result(self) -> syn::Result<()> {
        let mut cx = Ctxt::default();
        self.report(&mut cx);
        cx.check()
    }
}

/// `key = "text"`.
pub fn lit_str(meta: &ParseNestedMeta) -> syn::Result<LitStr> {
    meta.value()?.parse()
}

/// `example(text = "...", answer = "...")`: both required, once each, nothing else. The
/// answer is JSON text; the SDK reads it into the type before the first request that sends
/// it.
pub fn worked_example(meta: &ParseNestedMeta) -> syn::Result<WorkedExample> {
    let (mut text, mut answer) = (None, None);
    let mut seen = Seen::new("an example");
    meta.parse_nested_meta(|inner| {
        if inner.path.is_ident("text") {
            seen.once(&inner);
            text = Some(lit_str(&inner)?.value());
        } else if inner.path.is_ident("answer") {
            seen.once(&inner);
            let lit = lit_str(&inner)?;
            if lit.value().trim().is_empty() {
                return Err(syn::Error::new(
                    lit.span(),
                    "the example's answer is empty: write the JSON the model should answer",
                ));
            }
            answer = Some(lit.value());
        } else {
            return unknown_attribute(
                &inner,
                "an example",
                "`text = \"...\"` or `answer = \"...\"`",
            );
        }
        Ok(())
    })?;
    seen.into_result()?;
    match (text, answer) {
        (Some(text), Some(answer)) => Ok(WorkedExample { text, answer }),
        (t, _) => Err(meta.error(format!(
            "an example needs `{}`: `example(text = \"Jason is 20\", answer = r#\"{{\"name\": \"Jason\", \"age\": 20}}\"#)`",
            if t.is_none() { "text" } else { "answer" }
        ))),
    }
}

/// `rename = "x"` or `rename(deserialize = "x", serialize = "y")`: the literal serde reads.
fn deserialize_lit(meta: &ParseNestedMeta) -> syn::Result<Option<LitStr>> {
    if meta.input.peek(Token![=]) {
        return Ok(Some(lit_str(meta)?));
    }
    let mut out = None;
    meta.parse_nested_meta(|inner| {
        if inner.path.is_ident("deserialize") {
            out = Some(lit_str(&inner)?);
        } else {
            skip_value(&inner)?;
        }
        Ok(())
    })?;
    Ok(out)
}

/// The name serde reads under (see [`deserialize_lit`]).
pub fn deserialize_name(meta: &ParseNestedMeta) -> syn::Result<Option<String>> {
    Ok(deserialize_lit(meta)?.map(|l| l.value()))
}

/// `rename_all = "camelCase"` or `rename_all(deserialize = ..)`: the rule serde reads with.
pub fn rename_rule(meta: &ParseNestedMeta) -> syn::Result<Option<RenameRule>> {
    match deserialize_lit(meta)? {
        Some(lit) => RenameRule::from_lit(&lit).map(Some),
        None => Ok(None),
    }
}

/// `key = path::to::item` or `key = "path::to::item"`.
pub fn path_value(meta: &ParseNestedMeta) -> syn::Result<syn::Path> {
    let value = meta.value()?;
    if value.peek(LitStr) {
        value.parse::<LitStr>()?.parse()
    } else {
        value.parse()
    }
}
