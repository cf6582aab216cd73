//! The validation hooks: the manifest's `paths` (per struct body or variant: where its
//! content sits, the Rust, garde and serde names of its fields) and `fn __visit`, which
//! hands `instructor::__private`'s visitors the value's garde rules and the values of its
//! fields that may hold rules. `validate_at` (garde, then those fields, at their JSON
//! paths) and `json_path` (garde's paths in serde's names) are the trait's defaults, which
//! walk them; a type with `#[instructor(validate = ..)]` functions or a garde context
//! writes its own `validate_at` or `validate_into` around them.
//!
//! Only what may hold rules is handed out: a field whose type is known from its spelling
//! to have none (numbers, strings, and the standard containers of them: `FieldType::leaf`) is
//! neither validated nor asked to translate a path.

use quote::quote;

use super::cx::{binding, member, Cx};
use super::json::Json;
use super::out::{w, Out};
use crate::model::*;

/// Whether the field's value is handed out: its type may hold rules and paths of its own.
fn nested(f: &Field) -> bool {
    f.schema_with.is_none() && !f.ty.leaf
}

/// Where a variant's content sits in the JSON: under its name (external), under the
/// content key (adjacent), or in place (`None`: internal, untagged).
fn variant_prefix<'a>(cx: &'a Cx, v: &'a Variant) -> Option<&'a str> {
    if v.untagged {
        return None;
    }
    match &cx.c.serde.tagging {
        Tagging::External => Some(&v.wire),
        Tagging::Adjacent { content, .. } => Some(content),
        Tagging::Internal { .. } | Tagging::Untagged => None,
    }
}

/// The manifest's members `garde` and `paths`: one entry per struct body, or per variant
/// (in declaration order, skipped ones included, so that `__visit` counts them alike).
pub(super) fn manifest(cx: &Cx, j: &mut Json) {
    let c = cx.c;
    j.flag("garde", c.garde.used);
    j.key("paths").array(|j| match &c.data {
        Data::Struct(fields) => {
            let newtype = c.serde.transparent || fields.style == Style::Newtype;
            paths(j, fields, None, newtype, false);
        }
        Data::Enum(variants) => {
            for v in variants {
                let newtype = v.fields.style == Style::Newtype;
                paths(j, &v.fields, variant_prefix(cx, v), newtype, true);
            }
        }
    });
}

/// One body's entry: its prefix, and its fields garde may name (those whose schema comes
/// from `schema_with` keep garde's names), each with where it sits and, when its value is
/// handed out, its index among those values.
fn paths(j: &mut Json, fields: &Fields, prefix: Option<&str>, newtype: bool, variant: bool) {
    j.object(|j| {
        j.opt_str("prefix", prefix);
        j.flag("newtype", newtype);
        j.flag("variant", variant);
        j.key("fields").array(|j| {
            let mut k = 0;
            for (i, f) in fields.wire().enumerate() {
                if f.schema_with.is_some() {
                    continue;
                }
                j.object(|j| {
                    j.key("names").array(|j| {
                        j.str(&f.rust);
                        if let Some(alias) = &f.garde_alias {
                            j.str(alias);
                        }
                    });
                    if f.flatten.is_some() {
                        j.key("push").str("here");
                    } else if f.member_is_named() {
                        // Under its Rust name unless told otherwise.
                        if f.wire != f.rust {
                            j.key("push").object(|j| {
                                j.key("key").str(&f.wire);
                            });
                        }
                    } else {
                        j.key("push");
                        j.object(|j| {
                            j.key("index").num(i);
                        });
                    }
                    if nested(f) {
                        j.key("nested").num(k);
                        k += 1;
                    }
                });
            }
        });
    });
}

/// `fn __visit`, and `validate_into` or `validate_at` when the type needs its own.
///
/// `__visit` binds every wire field (in a pattern), so that the compiler counts each as
/// read, as it did when every field was visited: a field the program only fills from the
/// model's answer is not reported as dead code.
pub(super) fn visit_fns(cx: &Cx, o: &mut Out) {
    let c = cx.c;
    // garde's rules with the default context; a type with a context of its own runs them
    // in `validate_into`, with the caller's.
    let garde = if c.garde.used && !c.garde.context {
        "__p::Some(&self)"
    } else {
        "__p::None"
    };
    let mut body = Out::new();
    match &c.data {
        Data::Struct(fields) => {
            if fields.wire().next().is_some() || c.garde.used {
                if fields.wire().next().is_some() {
                    body.s("#[allow(unused_variables)] let ");
                    pattern(&mut body, "Self", fields);
                    body.s(" = self;");
                }
                visit_call(&mut body, "0", garde, Some(fields));
                body.s(";");
            }
        }
        Data::Enum(variants) => {
            let with_fields: Vec<(usize, &Variant)> = variants
                .iter()
                .enumerate()
                .filter(|(_, v)| !v.skip && v.fields.wire().next().is_some())
                .collect();
            if with_fields.is_empty() {
                // Unit variants: nothing inside them for garde to name.
                if c.garde.used {
                    visit_call(&mut body, "usize::MAX", garde, None);
                    body.s(";");
                }
            } else {
                body.s("#[allow(unreachable_patterns, unused_variables)] match self {");
                for (i, v) in with_fields {
                    pattern(&mut body, &format!("Self::{}", v.ident), &v.fields);
                    body.s(" => ");
                    visit_call(&mut body, &i.to_string(), garde, Some(&v.fields));
                    body.s(",");
                }
                body.s("_ => ");
                visit_call(&mut body, "usize::MAX", garde, None);
                body.s(", }");
            }
        }
    }
    if !body.is_empty() {
        o.s("#[inline] fn __visit(&self, __v: &mut dyn __p::Visitor) ")
            .brace(|o| {
                o.append(body);
            });
    }

    if c.garde.context {
        o.s("#[inline] fn validate_into(&self, ctx: &Self::Context, \
             errors: &mut __p::ValidationErrors) {\
             __p::validated(<Self as __p::garde::Validate>::validate_with(self, ctx), &self, errors) }");
    }
    if !c.instr.validate.is_empty() {
        // The custom validators between garde's rules and the fields', as before.
        o.s(
            "#[inline] fn validate_at(&self, __path: &mut __p::JsonPath, \
             __errors: &mut __p::ValidationErrors, __run_garde: bool) ",
        )
        .brace(|o| {
            o.s("__p::validate_visit(self, __path, __errors, __run_garde, __p::Phase::Garde);");
            for f in &c.instr.validate {
                // Spliced: an error in the path or its signature points at the attribute.
                o.s("__p::run_validator").paren(|o| {
                    o.tokens(quote!(#f, self));
                    o.s(", __path, __errors");
                });
                o.s(";");
            }
            o.s("__p::validate_visit(self, __path, __errors, __run_garde, __p::Phase::Fields);");
        });
    }
}

/// `Self { a: __f0, b: __f1, .. }` (or `Self(__f0, _, __f1)`) binding the wire fields in
/// order; `path` names the struct or the variant.
fn pattern(o: &mut Out, path: &str, fields: &Fields) {
    o.s(path);
    match fields.style {
        Style::Named => {
            o.s("{");
            for (i, f) in fields.wire().enumerate() {
                w!(o, "{}: {},", member(&f.member), binding(i));
            }
            o.s("..}");
        }
        Style::Newtype | Style::Tuple => {
            o.s("(");
            let mut n = 0;
            for f in &fields.fields {
                if f.skip {
                    o.s("_,");
                } else {
                    w!(o, "{},", binding(n));
                    n += 1;
                }
            }
            o.s(")");
        }
        Style::Unit => {}
    }
}

/// `__v.visit(__p::Visited { table: &__T, variant, garde, nested: &[&__f3, ..] })` with the
/// bindings of the fields whose values are handed out (none without `fields`: an enum
/// variant without fields, whose `variant` is `usize::MAX`).
fn visit_call(o: &mut Out, variant: &str, garde: &str, fields: Option<&Fields>) {
    w!(
        o,
        "__v.visit(__p::Visited {{ table: &__T, variant: {variant}, garde: {garde}, nested: &["
    );
    for (i, f) in fields.into_iter().flat_map(Fields::wire).enumerate() {
        if nested(f) {
            w!(o, "&{},", binding(i));
        }
    }
    o.s("] })");
}
