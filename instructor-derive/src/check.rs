//! Semantic checks: what the derive can tell is wrong before any code is generated. Each
//! error points at the offending token and says the fix. The checked type is then lowered
//! to the resolved model `emit` reads (`lower`).

use syn::spanned::Spanned;
use syn::Type;

use crate::ctxt::Ctxt;
use crate::model::*;
use crate::ty::{element_shape, shape, Shape};

/// Checks the type as read, puts every error into `cx`, and lowers it to the resolved model
/// (lowered even with errors: the error stub is written from it).
pub fn check(cx: &mut Ctxt, c: Written) -> Container {
    check_container(cx, &c);
    crate::lower::container(c)
}

/// Every check of the type, its variants and fields.
fn check_container(cx: &mut Ctxt, c: &Written) {
    if let Some(span) = c.serde.converted {
        cx.error(
            span,
            "`#[serde(from = ..)]`/`try_from` reads another type from the wire, which this \
             derive cannot see: derive `Instructor` on that type and implement `Instructor` for \
             this one by hand",
        );
    }
    if let Some(span) = c.instr.tools {
        check_tools(cx, c, span);
    }
    match &c.data {
        Data::Struct(fields) => check_fields(cx, fields),
        Data::Enum(variants) => {
            for v in variants {
                check_fields(cx, &v.fields);
                let internal = matches!(c.serde.tagging, Tagging::Internal { .. });
                if internal && !v.untagged && v.fields.style == Style::Newtype && !v.skip {
                    if let Some(f) = v.fields.wire().next() {
                        if f.flatten.is_none() && shape(&f.ty).is_scalar_or_collection() {
                            cx.error(
                                f.ty.span(),
                                "an internally tagged enum (`#[serde(tag = ..)]`) can only hold a \
                                 struct or a map in a newtype variant, since the tag is written \
                                 among its fields: use named fields, or add `content = \"..\"` \
                                 for adjacent tagging",
                            );
                        }
                    }
                }
                if internal && !v.untagged && v.fields.style == Style::Tuple && !v.skip {
                    cx.error(
                        v.ident.span(),
                        "an internally tagged enum (`#[serde(tag = ..)]`) cannot hold a tuple \
                         variant: use named fields, or add `content = \"..\"` for adjacent tagging",
                    );
                }
            }
        }
    }
}

/// `#[instructor(tools)]`: an externally tagged enum whose every variant holds one type,
/// the parameters of the tool the variant is.
fn check_tools(cx: &mut Ctxt, c: &Written, span: proc_macro2::Span) {
    let Data::Enum(variants) = &c.data else {
        cx.error(
            span,
            "`#[instructor(tools)]` goes on an enum whose variants are the tools, as \
             `enum Action { Weather(WeatherQuery), Search(SearchQuery) }`",
        );
        return;
    };
    if !matches!(c.serde.tagging, Tagging::External) {
        cx.error(
            span,
            "`#[instructor(tools)]` reads each tool call as `{\"Variant\": arguments}`, serde's \
             default tagging: remove `#[serde(tag/content/untagged)]`",
        );
    }
    for v in variants.iter().filter(|v| !v.skip) {
        if v.fields.style != Style::Newtype || v.untagged {
            cx.error(
                v.ident.span(),
                format!(
                    "variant `{0}` of a `#[instructor(tools)]` enum must hold one type that \
                     derives `Instructor`, the tool's parameters: write it as `{0}({0}Args)` \
                     with `struct {0}Args {{ .. }}`",
                    v.ident
                ),
            );
        }
    }
    if variants.iter().all(|v| v.skip) {
        cx.error(
            span,
            "a `#[instructor(tools)]` enum needs at least one variant",
        );
    }
}

fn check_fields(cx: &mut Ctxt, fields: &Fields<Type>) {
    for f in &fields.fields {
        if f.skip {
            continue;
        }
        let sh = shape(&f.ty);
        if let Some(span) = f.custom_de {
            if f.schema_with.is_none() {
                cx.error(
                    span,
                    format!(
                        "field `{}` is read with `#[serde(with/deserialize_with)]`, so its wire \
                         shape is not its type's: add `#[instructor(schema_with = path::to::fn)]` \
                         with a `fn(&mut SchemaGenerator) -> serde_json::Value` that describes it",
                        f.rust
                    ),
                );
            }
        }
        if let Some(span) = f.flatten {
            if sh.is_scalar_or_collection() {
                cx.error(
                    span,
                    format!(
                        "`#[serde(flatten)]` on field `{}` needs a struct or map type: a `{}` \
                         has no fields to merge into the parent object",
                        f.rust,
                        quote::ToTokens::to_token_stream(&f.ty)
                    ),
                );
            }
        }
        check_rules(cx, f, &f.rules, sh);
    }
}

fn check_rules(cx: &mut Ctxt, f: &Field<Type>, rules: &[Rule], sh: Shape) {
    let ty = quote::ToTokens::to_token_stream(&f.ty)
        .to_string()
        .replace(' ', "");
    for rule in rules {
        match &rule.kind {
            RuleKind::Length(_) if matches!(sh, Shape::Number | Shape::Bool | Shape::Char) => {
                cx.error(
                    rule.span,
                    format!(
                        "`length` does not apply to field `{}` of type `{ty}`: it bounds the \
                         length of a string or the number of items of a collection; use \
                         `range(min = .., max = ..)` to bound a number",
                        f.rust
                    ),
                );
            }
            RuleKind::Range(_) if matches!(sh, Shape::String | Shape::Collection | Shape::Bool) => {
                cx.error(
                    rule.span,
                    format!(
                        "`range` does not apply to field `{}` of type `{ty}`: it bounds a number; \
                         use `length(min = .., max = ..)` to bound a string or a collection",
                        f.rust
                    ),
                );
            }
            RuleKind::Pattern(_)
            | RuleKind::Contains(_)
            | RuleKind::Prefix(_)
            | RuleKind::Suffix(_)
            | RuleKind::Format(_)
            | RuleKind::Ip
            | RuleKind::Ascii
            | RuleKind::Alphanumeric
                if matches!(sh, Shape::Number | Shape::Bool) =>
            {
                cx.error(
                    rule.span,
                    format!(
                        "this rule checks text, but field `{}` is a `{ty}`: apply it to a \
                         string field",
                        f.rust
                    ),
                );
            }
            RuleKind::Inner(inner) => {
                // Rules inside `inner(..)` apply to the elements; their type is unknown here
                // unless the field is spelled `Vec<T>`/`Option<T>`.
                let elem = element_shape(&f.ty);
                check_rules(cx, f, inner, elem);
            }
            _ => {}
        }
    }
}
