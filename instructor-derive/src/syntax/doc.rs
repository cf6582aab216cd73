//! Doc comments: an item's `///` lines as the description a schema carries.

use syn::{Attribute, Expr};

/// The item's doc comment: paragraphs kept apart, the lines inside a paragraph joined with
/// spaces; `None` when it has none.
pub fn doc(attrs: &[Attribute]) -> Option<String> {
    let mut lines = Vec::new();
    for attr in attrs {
        if !attr.path().is_ident("doc") {
            continue;
        }
        if let syn::Meta::NameValue(nv) = &attr.meta {
            if let Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) = &nv.value
            {
                let v = s.value();
                lines.push(v.strip_prefix(' ').unwrap_or(&v).trim_end().to_owned());
            }
        }
    }
    // Paragraphs stay separate; lines inside a paragraph are joined with spaces.
    let mut out = String::new();
    let mut blank = false;
    for line in lines {
        if line.trim().is_empty() {
            blank = true;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank { "\n\n" } else { " " });
        }
        blank = false;
        out.push_str(line.trim());
    }
    (!out.is_empty()).then_some(out)
}
