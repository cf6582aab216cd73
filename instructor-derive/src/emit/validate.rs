//! The validation hooks: `validate_with` and `validate_at`, which run garde and the custom
//! validators on the value and everything it holds, and `json_path`, which turns garde's
//! paths (Rust names) into the JSON paths the model sees (serde names).
//!
//! Only what may hold rules is visited: a field whose type is known from its spelling to
//! have none (numbers, strings, and the standard containers of them: `ty::is_leaf`) is
//! neither validated nor asked to translate a path. Finding the field garde named is
//! `instructor::__private::field_path`, over a table of the fields, compiled once.

use quote::quote_spanned;

use super::out::{w, Out};
use super::{binding, member, p, Cx};
use crate::model::*;
use crate::ty::{first_span, is_leaf, path_span};

/// `fn validate_with` (garde with its context, then `validate_at` from the root) when the
/// type derives garde, and `fn validate_at` (garde, the custom validators, then the fields
/// that may hold rules, at their JSON paths) when it has anything to run: the trait's
/// defaults do the rest.
pub(super) fn validate_fns(cx: &Cx, o: &mut Out) {
    let c = cx.c;
    let p = p();
    if c.garde.used {
        o.s("#[inline] fn validate_with(&self, ctx: &Self::Context) \
             -> __p::Result<(), __p::ValidationErrors> {\
             __p::validated(<Self as __p::garde::Validate>::validate_with(self, ctx), &self) }");
    }
    let mut body = Out::new();
    // garde's rules on a nested value, with the default context (the same instance of
    // garde's `validate_with` as above).
    if c.garde.used && !c.garde.context {
        body.s("if __run_garde { __p::garde_nested(\
                <Self as __p::garde::Validate>::validate_with(self, &__p::Default::default()),\
                &self, __path, __errors); }");
    }
    for f in &c.instr.validate {
        body.tokens(quote_spanned!(path_span(f)=>
            #p::ValidatorOutput::report(#f(self), __path, __errors);
        ));
    }
    let child_garde = !c.garde.used;
    match &c.data {
        Data::Struct(fields) => {
            let transparent = c.serde.transparent || fields.style == Style::Newtype;
            for (i, f) in fields.wire().enumerate() {
                let value = format!("&self.{}", member(&f.member));
                visit_field(&mut body, f, &value, i, transparent, child_garde);
            }
        }
        Data::Enum(variants) => {
            let mut arms = Out::new();
            for v in variants.iter().filter(|v| !v.skip) {
                let transparent = v.fields.style == Style::Newtype;
                let mut visits = Out::new();
                for (i, f) in v.fields.wire().enumerate() {
                    visit_field(&mut visits, f, &binding(i), i, transparent, child_garde);
                }
                if visits.is_empty() {
                    continue;
                }
                variant_pattern(&mut arms, v);
                arms.s(" => ").brace(|o| {
                    o.s("let __len = __path.as_str().len();");
                    if let Some(key) = variant_prefix(cx, v) {
                        o.s("__path.push_key(").lit(key).s(");");
                    }
                    o.append(visits);
                    o.s("__path.truncate(__len);");
                });
            }
            if !arms.is_empty() {
                body.s("#[allow(unreachable_patterns, unused_variables)] match self ")
                    .brace(|o| {
                        o.append(arms);
                        o.s("_ => {}");
                    });
            }
        }
    }
    if !body.is_empty() {
        o.s(
            "#[allow(unused_variables)] #[inline] fn validate_at(&self, \
             __path: &mut __p::JsonPath, __errors: &mut __p::ValidationErrors, \
             __run_garde: bool) ",
        )
        .brace(|o| {
            o.append(body);
        });
    }
}

/// `Self::V { a: __f0, .. }` binding the wire fields in order.
fn variant_pattern(o: &mut Out, v: &Variant) {
    w!(o, "Self::{}", v.ident);
    match v.fields.style {
        Style::Named => {
            o.s("{");
            for (i, f) in v.fields.wire().enumerate() {
                w!(o, "{}: {},", member(&f.member), binding(i));
            }
            o.s("..}");
        }
        Style::Newtype | Style::Tuple => {
            o.s("(");
            let mut n = 0;
            for f in &v.fields.fields {
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

/// `validate_at` on one field (`value`: how to name it), under its key or index unless it
/// is transparent or flattened; nothing for a field whose type has nothing to validate.
fn visit_field(
    o: &mut Out,
    f: &Field,
    value: &str,
    index: usize,
    transparent: bool,
    child_garde: bool,
) {
    if f.schema_with.is_some() || is_leaf(&f.ty) {
        return;
    }
    let p = p();
    let ty = &f.ty;
    let call = |o: &mut Out| {
        o.tokens(quote_spanned!(first_span(ty)=> <#ty as #p::Instructor>::validate_at));
        w!(o, "({value}, __path, __errors, {child_garde});");
    };
    if transparent || f.flatten.is_some() {
        call(o);
        return;
    }
    o.brace(|o| {
        if f.member_is_named() {
            o.s("let __len = __path.push_key(").lit(&f.wire).s(");");
        } else {
            w!(o, "let __len = __path.push_index({index});");
        }
        call(o);
        o.s("__path.truncate(__len);");
    });
}

/// Translates garde's paths (Rust names) into JSON paths (serde names); nothing when every
/// path is copied as it is (a unit struct; an enum whose variants have no fields and sit in
/// place), which the trait's default does. Every leaf field is named here, `let _ = ..;`,
/// so that the compiler counts it as read, as it did when every field was visited: a field
/// the program only fills from the model's answer is not reported as dead code.
pub(super) fn json_path_fn(cx: &Cx, o: &mut Out) {
    let c = cx.c;
    let mut body = Out::new();
    match &c.data {
        Data::Struct(fields) => {
            if fields.wire().next().is_none() {
                return;
            }
            let transparent = c.serde.transparent || fields.style == Style::Newtype;
            for f in fields.wire() {
                if f.schema_with.is_none() && is_leaf(&f.ty) {
                    w!(body, "let _ = self.{};", member(&f.member));
                }
            }
            fields_path(&mut body, fields, transparent, false, None, &|_, f| {
                format!("&self.{}", member(&f.member))
            });
        }
        Data::Enum(variants) => {
            let live: Vec<&Variant> = variants.iter().filter(|v| !v.skip).collect();
            if live
                .iter()
                .all(|v| v.fields.wire().next().is_none() && variant_prefix(cx, v).is_none())
            {
                return;
            }
            // The patterns bind every wire field: they count as read.
            body.s("#[allow(unreachable_patterns, unused_variables)] match self ")
                .brace(|o| {
                    for v in &live {
                        variant_pattern(o, v);
                        let transparent = v.fields.style == Style::Newtype;
                        o.s(" => ").brace(|o| {
                            fields_path(
                                o,
                                &v.fields,
                                transparent,
                                true,
                                variant_prefix(cx, v),
                                &|i, _| binding(i),
                            )
                        });
                    }
                    o.s("_ => __p::push_verbatim(rest, out),");
                });
        }
    }
    o.s("#[inline] fn json_path(&self, rest: &[__p::PathSegment<'_>], out: &mut __p::JsonPath) ")
        .brace(|o| {
            o.append(body);
        });
}

/// The translation of a struct or variant body, after `prefix`. A newtype's one field takes
/// the path as it is (garde names the inner value with an unnamed component, or none; the
/// field of a newtype `variant` by its position, `0`, which JSON does not have);
/// otherwise `__private::field_path` finds the field garde named in a table of the fields'
/// Rust names, writes it where it sits, and returns the rest for the field's type to
/// translate, unless it is a leaf, whose paths are copied as they are.
fn fields_path(
    o: &mut Out,
    fields: &Fields,
    transparent: bool,
    variant: bool,
    prefix: Option<&str>,
    value: &dyn Fn(usize, &Field) -> String,
) {
    let p = p();
    let prefix = |o: &mut Out| match prefix {
        Some(key) => {
            o.s("__p::Some(").lit(key).s(")");
        }
        None => {
            o.s("__p::None");
        }
    };
    // Fields whose schema comes from `schema_with` keep garde's names.
    let described: Vec<(usize, &Field)> = fields
        .wire()
        .enumerate()
        .filter(|(_, f)| f.schema_with.is_none())
        .collect();
    if transparent {
        match described.first() {
            Some((i, f)) if !is_leaf(&f.ty) => {
                let ty = &f.ty;
                o.tokens(quote_spanned!(first_span(ty)=> <#ty as #p::Instructor>::json_path));
                w!(o, "({}, __p::newtype_path(rest, out, ", value(*i, f));
                prefix(o);
                w!(o, ", {variant}), out);");
            }
            _ => {
                o.s("__p::push_verbatim(__p::newtype_path(rest, out, ");
                prefix(o);
                w!(o, ", {variant}), out);");
            }
        }
        return;
    }
    let mut arms = Out::new();
    let call = |o: &mut Out| {
        o.s("__p::field_path(rest, out, ");
        prefix(o);
        o.s(", &[");
        for (i, f) in &described {
            o.s("(&[").lit(&f.rust);
            if let Some(alias) = &f.garde_alias {
                o.s(", ").lit(alias);
            }
            o.s("], ");
            if f.flatten.is_some() {
                o.s("__p::Push::Here");
            } else if f.member_is_named() {
                o.s("__p::Push::Key(").lit(&f.wire).s(")");
            } else {
                w!(o, "__p::Push::Index({i})");
            }
            w!(o, ", {}),", !is_leaf(&f.ty));
        }
        o.s("])");
    };
    for (j, (i, f)) in described.iter().enumerate() {
        if is_leaf(&f.ty) {
            continue;
        }
        let ty = &f.ty;
        w!(arms, "{j} => ");
        arms.tokens(quote_spanned!(first_span(ty)=> <#ty as #p::Instructor>::json_path));
        w!(arms, "({}, __tail, out),", value(*i, f));
    }
    if arms.is_empty() {
        call(o);
        o.s(";");
        return;
    }
    o.s("if let __p::Some((__i, __tail)) = ");
    call(o);
    o.s(" ").brace(|o| {
        o.s("match __i ").brace(|o| {
            o.append(arms);
            o.s("_ => {}");
        });
    });
}
