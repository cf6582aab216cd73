//! `#[garde(..)]` on a field: the rules the schema can carry, their arguments, and their
//! bounds, classified once ([`Bound`]: a literal the macro writes now, or an expression
//! computed at run time). garde reports its own syntax errors; on one, the schema just gets
//! no keyword.

use proc_macro2::{Span, TokenStream};
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Attribute, Expr, Ident, LitStr, Token};

use crate::ctxt::Ctxt;
use crate::model::*;

/// The rules of one `#[garde(..)]` attribute on a field, and its `rename`, if any (the name
/// garde's paths give the field).
pub fn field_rules(cx: &mut Ctxt, attr: &Attribute, rules: &mut Vec<Rule>) -> Option<String> {
    let mut alias = None;
    if let Ok(raw) = attr.parse_args_with(Punctuated::<RawRule, Token![,]>::parse_terminated) {
        for r in raw {
            if r.name == "rename" {
                if let Some(Ok(l)) = r.content.map(syn::parse2::<LitStr>) {
                    alias = Some(l.value());
                }
            } else {
                rules.push(rule(cx, r));
            }
        }
    }
    alias
}

/// One item of `#[garde(...)]`: `name`, `name(...)` or `name = value`.
struct RawRule {
    /// The rule's name.
    name: String,
    /// Where the name is.
    span: Span,
    /// What is inside `(..)` or after `=`.
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
            content = Some(quote::ToTokens::into_token_stream(input.parse::<Expr>()?));
        }
        Ok(Self {
            name: ident.to_string(),
            span: ident.span(),
            content,
        })
    }
}

/// The rule an item is, as far as the schema reads it; a `pattern` the schema cannot carry
/// is an error.
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

/// The items of `inner(..)`.
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
            match (ident.to_string().as_str(), value) {
                ("simple", None) | ("bytes", None) => out.mode = LengthMode::Bytes,
                ("chars", None) => out.mode = LengthMode::Chars,
                ("graphemes", None) => out.mode = LengthMode::Graphemes,
                ("utf16", None) => out.mode = LengthMode::Utf16,
                (key, Some(value)) => bounds(key, &value, &mut out.min, &mut out.max),
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
            if let Some(key) = nv.path.get_ident() {
                bounds(&key.to_string(), &nv.value, &mut out.min, &mut out.max);
            }
        }
        Ok(out)
    }
}

/// `min = ..`, `max = ..` or `equal = ..` (both) of `length` or `range`; other keys are
/// garde's business.
fn bounds(key: &str, value: &Expr, min: &mut Option<Bound>, max: &mut Option<Bound>) {
    let bound = Bound::from_expr(value);
    match key {
        "min" => *min = bound,
        "max" => *max = bound,
        "equal" => {
            min.clone_from(&bound);
            *max = bound;
        }
        _ => {}
    }
}

impl Bound {
    /// A bound the schema can carry: a literal, a negated literal or a constant. Anything
    /// that reads `self` or the context is left to validation (a wrong constant is worse than
    /// none).
    fn from_expr(e: &Expr) -> Option<Bound> {
        let literal = |negative: bool, lit: &syn::Lit| Bound {
            expr: e.clone(),
            literal: Some(Literal {
                negative,
                lit: lit.clone(),
            }),
        };
        match e {
            Expr::Lit(l) => Some(literal(false, &l.lit)),
            Expr::Unary(u) if matches!(u.op, syn::UnOp::Neg(_)) => match &*u.expr {
                Expr::Lit(l) => Some(literal(true, &l.lit)),
                _ => None,
            },
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
                (is_const && first != "ctx" && first != "self").then(|| Bound {
                    expr: e.clone(),
                    literal: None,
                })
            }
            Expr::Group(g) => Bound::from_expr(&g.expr),
            Expr::Paren(p) => Bound::from_expr(&p.expr),
            _ => None,
        }
    }
}
