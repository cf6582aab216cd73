//! syn -> model: reads the type, its doc comments, and its `serde`, `garde` and
//! `instructor` attributes into the model, each field's type as written ([`Written`]).
//! Every error goes into the [`Ctxt`]. This file reads the items (the type, its variants,
//! its fields) and what each attribute key sets; the values of the keys are read by `attr`,
//! doc comments by `doc`, garde's rules by `rules`.

mod attr;
mod doc;
mod rules;

use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{Expr, Type};

use crate::case::RenameRule;
use crate::ctxt::Ctxt;
use crate::model::*;
use attr::{
    deserialize_name, lit_str, path_value, rename_rule, skip_value, unknown_attribute,
    worked_example, Seen,
};
use doc::doc;

/// Whether one of the attributes is `#[name..]`.
fn has(attrs: &[syn::Attribute], name: &str) -> bool {
    attrs.iter().any(|a| a.path().is_ident(name))
}

/// `skip` or `skip_deserializing`: serde does not read the variant or field.
fn skips_reading(key: &syn::Path) -> bool {
    key.is_ident("skip") || key.is_ident("skip_deserializing")
}

/// serde's enum representation from its attributes. `untagged` wins; `content` without `tag`
/// (which serde rejects) is read as external.
fn tagging(tag: Option<String>, content: Option<String>, untagged: bool) -> Tagging {
    match (tag, content) {
        _ if untagged => Tagging::Untagged,
        (None, _) => Tagging::External,
        (Some(tag), None) => Tagging::Internal { tag },
        (Some(tag), Some(content)) => Tagging::Adjacent { tag, content },
    }
}

/// The type as written: its attributes, and its variants or fields.
pub fn container(cx: &mut Ctxt, input: &syn::DeriveInput) -> Written {
    let mut serde = SerdeContainer::default();
    let (mut tag, mut content, mut untagged) = (None, None, false);
    let mut instr = InstrContainer::default();
    let mut seen = Seen::new("a type");
    let mut garde = GardeContainer::default();
    cx.each(&input.attrs, "serde", |meta| {
        let p = &meta.path;
        if p.is_ident("rename") {
            serde.rename = deserialize_name(&meta)?;
        } else if p.is_ident("rename_all") {
            serde.rename_all = rename_rule(&meta)?;
        } else if p.is_ident("rename_all_fields") {
            serde.rename_all_fields = rename_rule(&meta)?;
        } else if p.is_ident("deny_unknown_fields") {
            serde.deny_unknown_fields = true;
        } else if p.is_ident("default") {
            skip_value(&meta)?;
            serde.default = true;
        } else if p.is_ident("transparent") {
            serde.transparent = true;
        } else if p.is_ident("tag") {
            tag = Some(lit_str(&meta)?.value());
        } else if p.is_ident("content") {
            content = Some(lit_str(&meta)?.value());
        } else if p.is_ident("untagged") {
            untagged = true;
        } else if p.is_ident("from") || p.is_ident("try_from") {
            serde.converted = Some(p.span());
            skip_value(&meta)?;
        } else {
            // What only serializing or error messages read changes nothing here.
            let known = ["bound", "crate", "expecting", "into"];
            serde.other |= !known.iter().any(|k| p.is_ident(k));
            skip_value(&meta)?;
        }
        Ok(())
    });
    cx.each(&input.attrs, "instructor", |meta| {
        let p = &meta.path;
        if p.is_ident("validate") {
            instr.validate.push(meta.value()?.parse::<syn::Path>()?);
        } else if p.is_ident("crate") {
            seen.once(&meta);
            instr.krate = Some(path_value(&meta)?);
        } else if p.is_ident("description") {
            seen.once(&meta);
            instr.description = Some(lit_str(&meta)?.value());
        } else if p.is_ident("rename") {
            seen.once(&meta);
            instr.name = Some(lit_str(&meta)?.value());
        } else if p.is_ident("tools") {
            seen.once(&meta);
            instr.tools = Some(p.span());
        } else if p.is_ident("example") {
            instr.examples.push(worked_example(&meta)?);
        } else {
            return unknown_attribute(
                &meta,
                "a type",
                "`validate = path::to::fn`, `description = \"...\"`, \
                         `rename = \"Name\"`, `example(text = \"...\", answer = \"...\")`, \
                         `tools` or `crate = \"path\"`",
            );
        }
        Ok(())
    });
    garde.used |= has(&input.attrs, "garde");
    cx.each(&input.attrs, "garde", |meta| {
        if meta.path.is_ident("context") {
            garde.context = true;
        }
        skip_value(&meta)
    });
    seen.report(cx);

    serde.tagging = tagging(tag, content, untagged);

    let data = match &input.data {
        syn::Data::Struct(s) => Data::Struct(fields(cx, &s.fields, &mut garde, serde.rename_all)),
        syn::Data::Enum(e) => Data::Enum(
            e.variants
                .iter()
                .map(|v| variant(cx, v, &serde, &mut garde))
                .collect(),
        ),
        syn::Data::Union(u) => {
            cx.error(
                u.union_token.span(),
                "`#[derive(Instructor)]` does not support unions: a model writes JSON, which has \
                 no union of overlapping fields; use an enum",
            );
            Data::Struct(Fields {
                style: Style::Unit,
                fields: Vec::new(),
            })
        }
    };

    if let Some(lt) = input.generics.lifetimes().next() {
        cx.error(
            lt.span(),
            "`#[derive(Instructor)]` needs an owned type: an extracted value outlives the reply \
             it was read from; use `String` instead of `&str`",
        );
    }

    Container {
        ident: input.ident.clone(),
        vis: input.vis.clone(),
        generics: input.generics.clone(),
        doc: instr.description.clone().or_else(|| doc(&input.attrs)),
        serde,
        instr,
        garde,
        data,
    }
}

/// A variant as written: its names, its doc comment, and its fields.
fn variant(
    cx: &mut Ctxt,
    v: &syn::Variant,
    container: &SerdeContainer,
    garde: &mut GardeContainer,
) -> Variant<Type> {
    let mut rename = None;
    let mut rename_all = container.rename_all_fields;
    let mut skip = false;
    let mut other = false;
    let mut untagged = false;
    let mut serde_other = false;
    let mut description = None;
    let mut seen = Seen::new("a variant");
    cx.each(&v.attrs, "serde", |meta| {
        let p = &meta.path;
        if p.is_ident("rename") {
            rename = deserialize_name(&meta)?;
        } else if p.is_ident("rename_all") {
            rename_all = rename_rule(&meta)?.or(rename_all);
        } else if skips_reading(p) {
            skip = true;
        } else if p.is_ident("other") {
            other = true;
        } else if p.is_ident("untagged") {
            untagged = true;
        } else {
            serde_other = true;
            skip_value(&meta)?;
        }
        Ok(())
    });
    cx.each(&v.attrs, "instructor", |meta| {
        if meta.path.is_ident("description") {
            seen.once(&meta);
            description = Some(lit_str(&meta)?.value());
            Ok(())
        } else {
            unknown_attribute(&meta, "a variant", "`description = \"...\"`")
        }
    });
    garde.used |= has(&v.attrs, "garde");
    seen.report(cx);
    let rust = v.ident.to_string();
    let wire = rename.unwrap_or_else(|| match container.rename_all {
        Some(rule) => rule.variant(&rust),
        None => rust.clone(),
    });
    Variant {
        ident: v.ident.clone(),
        wire,
        doc: description.or_else(|| doc(&v.attrs)),
        skip: skip || other,
        untagged,
        serde_other,
        fields: fields(cx, &v.fields, garde, rename_all),
    }
}

/// A body as written: its style and its fields, each named by `rename_all` unless renamed.
fn fields(
    cx: &mut Ctxt,
    fields: &syn::Fields,
    garde: &mut GardeContainer,
    rename_all: Option<RenameRule>,
) -> Fields<Type> {
    let style = match fields {
        syn::Fields::Named(_) => Style::Named,
        syn::Fields::Unnamed(u) if u.unnamed.len() == 1 => Style::Newtype,
        syn::Fields::Unnamed(_) => Style::Tuple,
        syn::Fields::Unit => Style::Unit,
    };
    let fields = fields
        .iter()
        .enumerate()
        .map(|(i, f)| field(cx, i, f, garde, rename_all))
        .collect();
    Fields { style, fields }
}

/// A field as written: its names, doc comment, serde and instructor attributes, garde rules.
fn field(
    cx: &mut Ctxt,
    index: usize,
    f: &syn::Field,
    garde: &mut GardeContainer,
    rename_all: Option<RenameRule>,
) -> Field<Type> {
    let rust = f
        .ident
        .as_ref()
        .map(|i| i.unraw().to_string())
        .unwrap_or_else(|| index.to_string());
    let member = match &f.ident {
        Some(i) => syn::Member::Named(i.clone()),
        None => syn::Member::Unnamed(syn::Index {
            index: index as u32,
            span: crate::ty::first_span(&f.ty),
        }),
    };
    let mut out = Field {
        member,
        wire: rust.clone(),
        rust,
        aliases: Vec::new(),
        vis: f.vis.clone(),
        ty: f.ty.clone(),
        doc: doc(&f.attrs),
        skip: false,
        default: false,
        flatten: None,
        custom_de: None,
        rules: Vec::new(),
        garde_alias: None,
        schema_with: None,
        examples: Vec::new(),
    };
    let mut rename = None;
    let mut seen = Seen::new("a field");
    cx.each(&f.attrs, "serde", |meta| {
        let p = &meta.path;
        if p.is_ident("rename") {
            rename = deserialize_name(&meta)?;
        } else if p.is_ident("alias") {
            out.aliases.push(lit_str(&meta)?.value());
        } else if p.is_ident("default") {
            skip_value(&meta)?;
            out.default = true;
        } else if skips_reading(p) {
            out.skip = true;
        } else if p.is_ident("flatten") {
            out.flatten = Some(p.span());
        } else if p.is_ident("with") || p.is_ident("deserialize_with") {
            out.custom_de = Some(p.span());
            skip_value(&meta)?;
        } else {
            skip_value(&meta)?;
        }
        Ok(())
    });
    cx.each(&f.attrs, "instructor", |meta| {
        let p = &meta.path;
        if p.is_ident("description") {
            seen.once(&meta);
            out.doc = Some(lit_str(&meta)?.value());
        } else if p.is_ident("example") {
            out.examples.push(meta.value()?.parse::<Expr>()?);
        } else if p.is_ident("schema_with") {
            seen.once(&meta);
            out.schema_with = Some(path_value(&meta)?);
        } else {
            return unknown_attribute(
                &meta,
                "a field",
                "`description = \"...\"`, `example = <value>` or \
                         `schema_with = path::to::fn`",
            );
        }
        Ok(())
    });
    for attr in f.attrs.iter().filter(|a| a.path().is_ident("garde")) {
        garde.used = true;
        if let Some(alias) = rules::field_rules(cx, attr, &mut out.rules) {
            out.garde_alias = Some(alias);
        }
    }
    seen.report(cx);
    if let Some(name) = rename {
        out.wire = name;
    } else if let (Some(rule), Some(_)) = (rename_all, &f.ident) {
        out.wire = rule.field(&out.rust);
    }
    out
}
