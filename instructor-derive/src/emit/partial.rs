//! The partial companion: `type Partial`, `partial_from_value`, and for a named struct the
//! `{Type}Partial` struct with every field optional, its `Default` and its `Debug`, and
//! `__read`, which reads it and, run by a recording reader, gives the struct's schema too.
//! The companion's field names and the keys each is read under are the manifest's
//! `partial`; the code names each field once per job (its type in the struct, its reading,
//! its `Default` and its `Debug`).

use quote::quote;

use super::cx::{bounded_generics, member, p, partial_name, Cx};
use super::json::Json;
use super::out::{w, Out, Toks};
use super::sources::{self, Sources};
use crate::model::*;

/// Enums, tuple and unit structs are shown once complete: their partial form is themselves,
/// read with serde.
pub(super) fn needs_deserialize(c: &Container) -> bool {
    match &c.data {
        Data::Enum(_) => true,
        Data::Struct(f) => !c.serde.transparent && matches!(f.style, Style::Tuple | Style::Unit),
    }
}

/// An enum of unit variants that serde's derive reads from their names alone: externally
/// tagged, without parameters, and no serde attribute the derive does not read (`alias`,
/// `other`, `skip`, `from`, ...). Its partial form is read from those names, as a struct's
/// fields are, instead of instantiating its `Deserialize` for `serde_json::Value`; what
/// `serde_json::from_value` takes, `__private::unit_variant` takes.
fn plain_unit_enum(c: &Container) -> Option<&[Variant]> {
    let Data::Enum(variants) = &c.data else {
        return None;
    };
    let plain = matches!(c.serde.tagging, Tagging::External)
        && c.serde.converted.is_none()
        && !c.serde.other
        && c.generics.params.is_empty()
        && variants
            .iter()
            .all(|v| v.fields.style == Style::Unit && !v.skip && !v.untagged && !v.serde_other);
    plain.then_some(variants.as_slice())
}

/// What the partial form of the type is.
enum Kind<'a> {
    /// An enum of plain unit variants, read from their names (`plain_unit_enum`).
    UnitEnum(&'a [Variant]),
    /// The type itself, read with serde once complete (`needs_deserialize`; an empty
    /// newtype or transparent struct).
    Whole,
    /// A newtype or transparent struct: its field's partial form.
    Inner(&'a Field),
    /// The same with `schema_with`: the raw JSON.
    Raw,
    /// A named struct: the companion `{Type}Partial`, every wire field optional.
    Companion(Vec<&'a Field>),
}

/// The partial companion of the type: writes its parts where `expand` puts them.
pub(super) struct Companion<'a> {
    cx: &'a Cx<'a>,
    kind: Kind<'a>,
    /// `{Type}Partial`.
    name: String,
}

impl<'a> Companion<'a> {
    pub(super) fn of(cx: &'a Cx<'a>) -> Self {
        let c = cx.c;
        let kind = if let Some(variants) = plain_unit_enum(c) {
            Kind::UnitEnum(variants)
        } else if needs_deserialize(c) {
            Kind::Whole
        } else {
            let Data::Struct(fields) = &c.data else {
                unreachable!("enums are handled above")
            };
            if c.serde.transparent || fields.style == Style::Newtype {
                match fields.wire().next() {
                    Some(f) if f.schema_with.is_none() => Kind::Inner(f),
                    Some(_) => Kind::Raw,
                    None => Kind::Whole,
                }
            } else {
                Kind::Companion(fields.wire().collect())
            }
        };
        Companion {
            cx,
            kind,
            name: partial_name(c),
        }
    }

    /// `type Partial = ..` (the type).
    pub(super) fn ty(&self, o: &mut Out) {
        match &self.kind {
            Kind::UnitEnum(_) | Kind::Whole => {
                o.s("Self");
            }
            Kind::Inner(f) => {
                let ty = &f.ty.written;
                let p = p();
                o.tokens(quote!(<#ty as #p::Instructor>::Partial));
            }
            Kind::Raw => {
                o.s("__p::Value");
            }
            Kind::Companion(_) => {
                o.s(&self.name);
                if self.cx.generic {
                    let (_, tg, _) = self.cx.c.generics.split_for_impl();
                    o.tokens(quote!(#tg));
                }
            }
        }
    }

    /// The manifest's member `partial`: the companion's fields, their Rust names and the keys
    /// each is read under (its wire name, then its aliases; none for a flattened one).
    pub(super) fn manifest(&self, j: &mut Json) {
        let Kind::Companion(wire) = &self.kind else {
            return;
        };
        j.key("partial").array(|j| {
            for f in wire {
                j.object(|j| {
                    j.key("rust").str(&f.rust);
                    // Read under the Rust name unless told otherwise.
                    if f.flatten.is_none() && (f.wire != f.rust || !f.aliases.is_empty()) {
                        j.key("keys").array(|j| {
                            j.str(&f.wire);
                            for a in &f.aliases {
                                j.str(a);
                            }
                        });
                    }
                });
            }
        });
    }

    /// Whether the type is a named struct with a companion: its schema and partial value
    /// are read by `__read`, and the trait's defaults write `schema` and
    /// `partial_from_value` from it.
    pub(super) fn reads_fields(&self) -> bool {
        matches!(self.kind, Kind::Companion(_))
    }

    /// `fn partial_from_value`, or for a named struct `fn __read`.
    pub(super) fn partial_fn(&self, src: &Sources, o: &mut Out) {
        if let Kind::Companion(wire) = &self.kind {
            return self.read_fn(src, o, wire);
        }
        o.s("#[inline] fn partial_from_value(value: __p::Value) -> __p::Option<Self::Partial> ");
        o.brace(|o| match &self.kind {
            Kind::UnitEnum(variants) => {
                o.s("match __p::unit_variant(value, &[");
                for v in variants.iter() {
                    o.lit(&v.wire).s(",");
                }
                o.s("])? {");
                for (i, v) in variants.iter().enumerate() {
                    w!(o, "{i} => __p::Some(Self::{}),", v.ident);
                }
                o.s("_ => __p::None, }");
            }
            Kind::Whole => {
                o.s("__p::whole(value)");
            }
            Kind::Inner(f) => {
                let ty = &f.ty.written;
                let p = p();
                o.tokens(quote!(<#ty as #p::Instructor>::partial_from_value(value)));
            }
            Kind::Raw => {
                o.s("__p::Some(value)");
            }
            Kind::Companion(_) => unreachable!("written by read_fn"),
        });
    }

    /// `fn __read`: the companion, each field taken under its wire name or an alias, the
    /// flattened ones last, from what is left of the object. Each `take` names the type
    /// whose schema the field has, which a recording reader keeps (`__private::Reader`):
    /// the field's type is written once for the schema and the partial value.
    fn read_fn(&self, src: &Sources, o: &mut Out, wire: &[&Field]) {
        if wire.iter().any(|f| f.schema_with.is_some()) {
            o.s("#[allow(clippy::redundant_closure)]");
        }
        o.s("#[inline] fn __read(__r: &mut __p::Reader) -> __p::Option<Self::Partial> ");
        o.brace(|o| {
            if sources::has_values(src) {
                o.s("__r.values").paren(|o| {
                    o.s("&");
                    sources::values(src, o);
                });
                o.s(";");
            }
            o.s("__p::Some").paren(|o| {
                o.s(&self.name);
                if self.cx.generic {
                    let (_, tg, _) = self.cx.c.generics.split_for_impl();
                    o.s("::").tokens(quote!(#tg));
                }
                o.brace(|o| {
                    let (flat, read): (Vec<_>, Vec<_>) = wire
                        .iter()
                        .enumerate()
                        .partition(|(_, f)| f.flatten.is_some());
                    for (i, f) in read.into_iter().chain(flat) {
                        w!(o, "{}:", member(&f.member));
                        match &f.schema_with {
                            Some(path) => {
                                o.s("__p::take_raw").paren(|o| {
                                    w!(o, "__r,{i},|__gen| ");
                                    o.tokens(quote!(#path)).s("(__gen)");
                                });
                            }
                            None => {
                                let (ty, nullable) = f.value_type();
                                o.s(if f.flatten.is_some() {
                                    "__p::take_flat::<"
                                } else if nullable {
                                    "__p::take_nullable::<"
                                } else {
                                    "__p::take::<"
                                });
                                o.tokens(quote!(#ty));
                                w!(o, ">(__r,{i})");
                            }
                        }
                        o.s(",");
                    }
                });
            });
        });
    }

    /// The `{Type}Partial` struct, written beside the `const _` block (users name it).
    pub(super) fn item(&self, o: &mut Out) {
        let Kind::Companion(wire) = &self.kind else {
            return;
        };
        let cx = self.cx;
        let c = cx.c;
        let ident = &cx.name;
        let doc = format!(
            "The partial form of [`{ident}`] while a model is still writing it: every field \
             optional, nested values partial too. Produced by streaming extraction."
        );
        o.s("#[doc = ")
            .lit(&doc)
            .s("] #[allow(dead_code, missing_docs)] ");
        vis(o, &c.vis);
        w!(o, " struct {}", self.name);
        if cx.generic {
            // Outside the `const _` block: full paths.
            let g = bounded_generics(c, &cx.krate_tokens());
            let (ig, _, wc) = g.split_for_impl();
            o.tokens(quote!(#ig #wc));
        }
        let mut t = Toks::new();
        t.brace(|t| {
            for f in wire {
                if let Some(d) = &f.doc {
                    t.s("#").bracket(|t| {
                        t.s("doc =").lit(d);
                    });
                }
                t.t(&f.vis).t(&f.member).s(":");
                // Located at the user's type, so that a type without `Instructor` is reported
                // at the field that names it.
                t.at(f.ty.span, |t| {
                    t.s("::core::option::Option<");
                    if f.schema_with.is_some() {
                        cx.krate_toks(t);
                        t.s("::__private::Value");
                    } else {
                        t.s("<").t(f.ty.unwrapped()).s(" as ");
                        cx.krate_toks(t);
                        t.s("::Instructor>::Partial");
                    }
                    t.s(">");
                });
                t.s(",");
            }
        });
        o.tokens(t.finish());
    }

    /// Its `Default` and `Debug`, written in the `const _` block.
    pub(super) fn impls(&self, o: &mut Out) {
        let Kind::Companion(wire) = &self.kind else {
            return;
        };
        let cx = self.cx;
        let c = cx.c;
        let p = p();
        let g = bounded_generics(c, &p);
        // For `Debug`: fields whose type has no `Debug` print their type name instead
        // (imported beside the impls: in the function, the import would make its body a
        // scope of its own).
        o.s("#[allow(unused_imports)] use __p::{DebugViaName as _, DebugViaTrait as _};");
        o.s("#[automatically_derived]");
        cx.impl_head(o, &g, "__p::Default", &self.name);
        o.s("{ #[inline] fn default() -> Self { Self {");
        for f in wire {
            w!(o, "{}: __p::None,", member(&f.member));
        }
        o.s("} } }");

        // Bounds on the parameters' partials, not on the fields (a recursive type's field
        // bound would never resolve).
        let mut debug_g = g.clone();
        for t in c.generics.type_params() {
            let t = &t.ident;
            debug_g
                .make_where_clause()
                .predicates
                .push(syn::parse_quote!(<#t as #p::Instructor>::Partial: #p::fmt::Debug));
        }
        o.s("#[automatically_derived]");
        cx.impl_head(o, &debug_g, "__p::fmt::Debug", &self.name);
        o.s("{ #[inline] fn fmt(&self, f: &mut __p::fmt::Formatter<'_>) -> __p::fmt::Result {");
        o.s("__p::debug_partial(f, ")
            .lit(&self.name)
            .s(", &__T, &[");
        for f in wire {
            // A type known from its spelling to be its own partial form, with `Debug` (a
            // leaf: numbers, strings, their containers), and raw JSON need no probe.
            if f.schema_with.is_some() || f.ty.unwrapped_leaf {
                w!(o, "__p::FieldDebug::Debug(&self.{}),", member(&f.member));
            } else {
                w!(
                    o,
                    "(&__p::DebugField(&self.{})).debug_field(),",
                    member(&f.member)
                );
            }
        }
        o.s("]) } }");
    }
}

/// A visibility as the user wrote it: `pub` and private as text, the others spliced
/// (`pub(in path)` names a path).
fn vis(o: &mut Out, v: &syn::Visibility) {
    match v {
        syn::Visibility::Public(_) => {
            o.s("pub");
        }
        syn::Visibility::Inherited => {}
        other => {
            o.tokens(quote!(#other));
        }
    }
}
