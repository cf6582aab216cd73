//! The values of attribute items (`key = "text"`, `key = path`, `rename(deserialize = ..)`,
//! `example(..)`), and the error for a key not known on that kind of item.

use proc_macro2::TokenStream;
use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned;
use syn::{Expr, LitStr, Token};

use crate::case::RenameRule;
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

/// `key = "text"`.
pub fn lit_str(meta: &ParseNestedMeta) -> syn::Result<LitStr> {
    meta.value()?.parse()
}

/// `example(text = "...", answer = "...")`: both required, nothing else. The
/// answer is JSON text; the SDK reads it into the type before the first request that sends
/// it.
pub fn worked_example(meta: &ParseNestedMeta) -> syn::Result<WorkedExample> {
    let (mut text, mut answer) = (None, None);
    meta.parse_nested_meta(|inner| {
        if inner.path.is_ident("text") {
            text = Some(lit_str(&inner)?.value());
        } else if inner.path.is_ident("answer") {
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
