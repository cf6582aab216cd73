//! syn -> model: reads the type, its doc comments, and its `serde`, `garde` and
//! `instructor` attributes. Every error goes into the [`Ctxt`].

use proc_macro2::{Span, TokenStream};
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Attribute, Expr, Ident, LitStr, Token};

use crate::case::RenameRule;
use crate::ctxt::Ctxt;
use crate::model::*;

fn doc(attrs: &[Attribute]) -> Option<String> {
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

/// Skips the value of a `key = value` or `key(...)` item we do not read.
fn skip_value(meta: &syn::meta::ParseNestedMeta) -> syn::Result<()> {
    if meta.input.peek(Token![=]) {
        meta.value()?.parse::<Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        let content;
        syn::parenthesized!(content in meta.input);
        content.parse::<TokenStream>()?;
    }
    Ok(())
}

/// An `#[instructor(..)]` item not known `on` this kind of item: its value is skipped and the
/// error names the key and what is `expected` instead.
fn unknown_attribute(
    meta: &syn::meta::ParseNestedMeta,
    on: &str,
    expected: &str,
) -> syn::Result<()> {
    let key = meta
        .path
        .get_ident()
        .map(|i| i.to_string())
        .unwrap_or_default();
    let span = meta.path.span();
    skip_value(meta)?;
    Err(syn::Error::new(
        span,
        format!("unknown instructor attribute `{key}` on {on}: expected {expected}"),
    ))
}

fn lit_str(meta: &syn::meta::ParseNestedMeta) -> syn::Result<LitStr> {
    meta.value()?.parse()
}

/// `example(text = "...", answer = "...")`: both required, nothing else. The answer is JSON
/// text; the SDK reads it into the type before the first request that sends it.
fn worked_example(meta: &syn::meta::ParseNestedMeta) -> syn::Result<WorkedExample> {
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

/// `rename = "x"` or `rename(deserialize = "x", serialize = "y")`: the name serde reads.
fn deserialize_name(meta: &syn::meta::ParseNestedMeta) -> syn::Result<Option<LitStr>> {
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

/// `key = path::to::item` or `key = "path::to::item"`.
fn path_value(meta: &syn::meta::ParseNestedMeta) -> syn::Result<syn::Path> {
    let value = meta.value()?;
    if value.peek(LitStr) {
        value.parse::<LitStr>()?.parse()
    } else {
        value.parse()
    }
}

fn rename_rule(meta: &syn::meta::ParseNestedMeta) -> syn::Result<Option<RenameRule>> {
    match deserialize_name(meta)? {
        Some(lit) => RenameRule::from_lit(&lit).map(Some),
        None => Ok(None),
    }
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

pub fn container(cx: &mut Ctxt, input: &syn::DeriveInput) -> Container {
    let mut serde = SerdeContainer::default();
    let (mut tag, mut content, mut untagged) = (None, None, false);
    let mut instr = InstrContainer::default();
    let mut garde = GardeContainer::default();
    for attr in &input.attrs {
        if attr.path().is_ident("serde") {
            cx.nested(attr, |meta| {
                let p = &meta.path;
                if p.is_ident("rename") {
                    serde.rename = deserialize_name(&meta)?.map(|l| l.value());
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
        } else if attr.path().is_ident("instructor") {
            cx.nested(attr, |meta| {
                let p = &meta.path;
                if p.is_ident("validate") {
                    instr.validate.push(meta.value()?.parse::<syn::Path>()?);
                } else if p.is_ident("crate") {
                    instr.krate = Some(path_value(&meta)?);
                } else if p.is_ident("description") {
                    instr.description = Some(lit_str(&meta)?.value());
                } else if p.is_ident("rename") {
                    instr.name = Some(lit_str(&meta)?.value());
                } else if p.is_ident("tools") {
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
        } else if attr.path().is_ident("garde") {
            garde.used = true;
            cx.nested(attr, |meta| {
                if meta.path.is_ident("context") {
                    garde.context = true;
                }
                skip_value(&meta)
            });
        }
    }

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

fn variant(
    cx: &mut Ctxt,
    v: &syn::Variant,
    container: &SerdeContainer,
    garde: &mut GardeContainer,
) -> Variant {
    let mut rename = None;
    let mut rename_all = container.rename_all_fields;
    let mut skip = false;
    let mut other = false;
    let mut untagged = false;
    let mut serde_other = false;
    let mut description = None;
    for attr in &v.attrs {
        if attr.path().is_ident("serde") {
            cx.nested(attr, |meta| {
                let p = &meta.path;
                if p.is_ident("rename") {
                    rename = deserialize_name(&meta)?.map(|l| l.value());
                } else if p.is_ident("rename_all") {
                    rename_all = rename_rule(&meta)?.or(rename_all);
                } else if p.is_ident("skip") || p.is_ident("skip_deserializing") {
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
        } else if attr.path().is_ident("instructor") {
            cx.nested(attr, |meta| {
                if meta.path.is_ident("description") {
                    description = Some(lit_str(&meta)?.value());
                    Ok(())
                } else {
                    unknown_attribute(&meta, "a variant", "`description = \"...\"`")
                }
            });
        } else if attr.path().is_ident("garde") {
            garde.used = true;
        }
    }
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

fn fields(
    cx: &mut Ctxt,
    fields: &syn::Fields,
    garde: &mut GardeContainer,
    rename_all: Option<RenameRule>,
) -> Fields {
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

fn field(
    cx: &mut Ctxt,
    index: usize,
    f: &syn::Field,
    garde: &mut GardeContainer,
    rename_all: Option<RenameRule>,
) -> Field {
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
    for attr in &f.attrs {
        if attr.path().is_ident("serde") {
            cx.nested(attr, |meta| {
                let p = &meta.path;
                if p.is_ident("rename") {
                    rename = deserialize_name(&meta)?.map(|l| l.value());
                } else if p.is_ident("alias") {
                    out.aliases.push(lit_str(&meta)?.value());
                } else if p.is_ident("default") {
                    skip_value(&meta)?;
                    out.default = true;
                } else if p.is_ident("skip") || p.is_ident("skip_deserializing") {
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
        } else if attr.path().is_ident("instructor") {
            cx.nested(attr, |meta| {
                let p = &meta.path;
                if p.is_ident("description") {
                    out.doc = Some(lit_str(&meta)?.value());
                } else if p.is_ident("example") {
                    out.examples.push(meta.value()?.parse::<Expr>()?);
                } else if p.is_ident("schema_with") {
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
        } else if attr.path().is_ident("garde") {
            garde.used = true;
            // garde reports its own syntax errors; on one, the schema just gets no keyword.
            if let Ok(raw) =
                attr.parse_args_with(Punctuated::<RawRule, Token![,]>::parse_terminated)
            {
                for r in raw {
                    if r.name == "rename" {
                        if let Some(Ok(l)) = r.content.map(syn::parse2::<LitStr>) {
                            out.garde_alias = Some(l.value());
                        }
                    } else {
                        out.rules.push(rule(cx, r));
                    }
                }
            }
        }
    }
    if let Some(name) = rename {
        out.wire = name;
    } else if let (Some(rule), Some(_)) = (rename_all, &f.ident) {
        out.wire = rule.field(&out.rust);
    }
    out
}

/// One item of `#[garde(...)]`: `name`, `name(...)` or `name = value`.
struct RawRule {
    name: String,
    span: Span,
    content: Option<TokenStream>,
}

impl Parse for RawRule {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let ident = Ident::parse_any(input)?;
        let mut content = None;
        if input.peek(syn::token::Paren) {
            let c;
            syn::parenthesized!(c in input);
            content = Some(c.parse::<TokenStream>()?);
        } else if input.peek(Token![=]) {
            input.parse::<Token![=]>()?;
            content = Some(input.parse::<Expr>()?.into_token_stream_owned());
        }
        Ok(Self {
            name: ident.to_string(),
            span: ident.span(),
            content,
        })
    }
}

trait IntoTokensOwned {
    fn into_token_stream_owned(self) -> TokenStream;
}

impl IntoTokensOwned for Expr {
    fn into_token_stream_owned(self) -> TokenStream {
        quote::ToTokens::into_token_stream(self)
    }
}

fn rule(cx: &mut Ctxt, raw: RawRule) -> Rule {
    let span = raw.span;
    let kind = match raw.name.as_str() {
        "length" => raw
            .content
            .and_then(|c| syn::parse2::<LengthArgs>(c).ok())
            .map(RuleKind::Length)
            .unwrap_or(RuleKind::Other),
        "range" => raw
            .content
            .and_then(|c| syn::parse2::<RangeArgs>(c).ok())
            .map(RuleKind::Range)
            .unwrap_or(RuleKind::Other),
        "pattern" => match raw.content.map(syn::parse2::<LitStr>) {
            Some(Ok(lit)) => match crate::regex::to_ecma(&lit.value()) {
                Ok(p) => RuleKind::Pattern(p),
                Err(message) => {
                    cx.error(lit.span(), message);
                    RuleKind::Other
                }
            },
            _ => RuleKind::Other,
        },
        "contains" | "prefix" | "suffix" => match raw.content.map(syn::parse2::<LitStr>) {
            Some(Ok(lit)) => {
                let v = lit.value();
                match raw.name.as_str() {
                    "contains" => RuleKind::Contains(v),
                    "prefix" => RuleKind::Prefix(v),
                    _ => RuleKind::Suffix(v),
                }
            }
            _ => RuleKind::Other,
        },
        "email" => RuleKind::Format("email"),
        "url" => RuleKind::Format("uri"),
        "ip" => RuleKind::Ip,
        "ipv4" => RuleKind::Format("ipv4"),
        "ipv6" => RuleKind::Format("ipv6"),
        "ascii" => RuleKind::Ascii,
        "alphanumeric" => RuleKind::Alphanumeric,
        "required" => RuleKind::Required,
        "inner" => match raw
            .content
            .map(|c| syn::parse2::<InnerRules>(c).map(|r| r.0))
        {
            Some(Ok(rules)) => RuleKind::Inner(rules.into_iter().map(|r| rule(cx, r)).collect()),
            _ => RuleKind::Other,
        },
        _ => RuleKind::Other,
    };
    Rule { span, kind }
}

struct InnerRules(Vec<RawRule>);

impl Parse for InnerRules {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        Ok(Self(
            Punctuated::<RawRule, Token![,]>::parse_terminated(input)?
                .into_iter()
                .collect(),
        ))
    }
}

impl Parse for LengthArgs {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut out = LengthArgs {
            mode: LengthMode::Simple,
            min: None,
            max: None,
        };
        let items = Punctuated::<(Ident, Option<Expr>), Token![,]>::parse_terminated_with(
            input,
            |input| {
                let ident = Ident::parse_any(input)?;
                let value = if input.peek(Token![=]) {
                    input.parse::<Token![=]>()?;
                    Some(input.parse::<Expr>()?)
                } else {
                    None
                };
                Ok((ident, value))
            },
        )?;
        for (ident, value) in items {
            let bound = value.as_ref().and_then(Bound::from_expr);
            match (ident.to_string().as_str(), value) {
                ("simple", None) | ("bytes", None) => out.mode = LengthMode::Bytes,
                ("chars", None) => out.mode = LengthMode::Chars,
                ("graphemes", None) => out.mode = LengthMode::Graphemes,
                ("utf16", None) => out.mode = LengthMode::Utf16,
                ("min", Some(_)) => out.min = bound,
                ("max", Some(_)) => out.max = bound,
                ("equal", Some(_)) => {
                    out.min = bound.clone();
                    out.max = bound;
                }
                _ => {}
            }
        }
        Ok(out)
    }
}

impl Parse for RangeArgs {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut out = RangeArgs {
            min: None,
            max: None,
        };
        for nv in Punctuated::<syn::MetaNameValue, Token![,]>::parse_terminated(input)? {
            let bound = Bound::from_expr(&nv.value);
            if nv.path.is_ident("min") {
                out.min = bound;
            } else if nv.path.is_ident("max") {
                out.max = bound;
            } else if nv.path.is_ident("equal") {
                out.min = bound.clone();
                out.max = bound;
            }
        }
        Ok(out)
    }
}

impl Bound {
    /// A bound the schema can carry: a literal, a negated literal or a constant. Anything
    /// that reads `self` or the context is left to validation (a wrong constant is worse than
    /// none).
    fn from_expr(e: &Expr) -> Option<Bound> {
        match e {
            Expr::Lit(_) => Some(Bound(e.clone())),
            Expr::Unary(u) if matches!(u.op, syn::UnOp::Neg(_)) => {
                matches!(&*u.expr, Expr::Lit(_)).then(|| Bound(e.clone()))
            }
            Expr::Path(p) => {
                let first = p.path.segments.first()?.ident.to_string();
                let is_const = p
                    .path
                    .segments
                    .last()?
                    .ident
                    .to_string()
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
                (is_const && first != "ctx" && first != "self").then(|| Bound(e.clone()))
            }
            Expr::Group(g) => Bound::from_expr(&g.expr),
            Expr::Paren(p) => Bound::from_expr(&p.expr),
            _ => None,
        }
    }
}
