//! `prompt!`: a prompt written as a `format!` string whose holes are all named, checked at
//! compile time. It reads like the derive: `syntax` (the literal and the named arguments) ->
//! `check` (the holes: named, shown with `Display`) -> `emit` (`::std::format!` with the
//! literal dedented).
//!
//! The holes' names are resolved by `format!` itself, so a misspelt variable is rustc's
//! "cannot find value" error: pointing at the hole when the literal is passed through
//! unchanged, at the whole literal when dedenting changed it (a proc macro cannot point
//! inside a literal on stable Rust).

use proc_macro2::{Literal, TokenStream};
use quote::{quote, ToTokens};
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{Expr, Ident, LitStr, Token};

use crate::ctxt::Ctxt;

/// `prompt!("template", name = value, ..)`.
struct Input {
    template: LitStr,
    args: Vec<(Ident, Expr)>,
    /// Arguments without a name, kept to report them.
    positional: Vec<Expr>,
}

impl Parse for Input {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let template: LitStr = input.parse().map_err(|e| {
            syn::Error::new(
                e.span(),
                "prompt! takes a string literal first: `prompt!(\"Extract the people in: {text}\")`",
            )
        })?;
        let mut args = Vec::new();
        let mut positional = Vec::new();
        while !input.is_empty() {
            input.parse::<Token![,]>()?;
            if input.is_empty() {
                break;
            }
            if input.peek(Ident) && input.peek2(Token![=]) && !input.peek2(Token![==]) {
                let name: Ident = input.parse()?;
                input.parse::<Token![=]>()?;
                args.push((name, input.parse()?));
            } else {
                positional.push(input.parse()?);
            }
        }
        Ok(Self {
            template,
            args,
            positional,
        })
    }
}

pub fn expand(input: TokenStream) -> TokenStream {
    let input: Input = match syn::parse2(input) {
        Ok(i) => i,
        Err(e) => {
            let errors = e.into_compile_error();
            return quote!({ #errors ::std::string::String::new() });
        }
    };
    let mut cx = Ctxt::default();
    for arg in &input.positional {
        cx.error(
            arg.span(),
            "prompt! arguments are named: write `name = value` and `{name}` in the prompt (a \
             variable in scope needs no argument: `{variable}`)",
        );
    }
    let value = input.template.value();
    let text = dedent(&value);
    let used = check_holes(&mut cx, &input.template, &text);
    for (name, _) in &input.args {
        let name_text = name.to_string();
        if !used.contains(&name_text.trim_start_matches("r#")) {
            cx.error(
                name.span(),
                format!(
                    "prompt! argument `{name_text}` is in no hole: write `{{{name_text}}}` in \
                     the prompt, or remove the argument"
                ),
            );
        }
    }
    if let Err(e) = cx.check() {
        // In a block: several `compile_error!`s in a row are not an expression.
        let errors = e.into_compile_error();
        return quote!({ #errors ::std::string::String::new() });
    }
    // Passed through unchanged, rustc's errors point at the hole itself.
    let template = if text == value {
        input.template.to_token_stream()
    } else {
        let mut lit = Literal::string(&text);
        // The literal's own span: its holes resolve where the literal was written, as
        // `format!`'s do.
        lit.set_span(input.template.span());
        lit.to_token_stream()
    };
    let args = input
        .args
        .iter()
        .map(|(name, value)| quote!(#name = #value));
    quote!(::std::format!(#template #(, #args)*))
}

/// Every hole of `text` is named (`{name}`, `{name:>8}`) and shown with `Display`. Returns
/// the names the holes use (widths and precisions `name$` included).
fn check_holes<'t>(cx: &mut Ctxt, lit: &LitStr, text: &'t str) -> Vec<&'t str> {
    let span = lit.span();
    let mut used = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find(['{', '}']) {
        let (brace, after) = (&rest[at..=at], &rest[at + 1..]);
        if after.starts_with(brace) {
            rest = &after[1..];
            continue;
        }
        if brace == "}" {
            // An unmatched `}`: format!'s error says it.
            rest = after;
            continue;
        }
        let Some(end) = after.find('}') else {
            break;
        };
        let hole = &after[..end];
        rest = &after[end + 1..];
        let (arg, spec) = hole.split_once(':').unwrap_or((hole, ""));
        let arg = arg.trim();
        used.push(arg);
        used.extend(counts(spec));
        if arg.is_empty() || arg.bytes().all(|b| b.is_ascii_digit()) {
            cx.error(
                span,
                format!(
                    "prompt! holes are named: `{{{hole}}}` takes a positional argument; write \
                     `{{name}}` with a variable in scope or a `name = value` argument"
                ),
            );
        }
        if spec.ends_with('?') {
            cx.error(
                span,
                format!(
                    "prompt! does not write a value's `Debug` form into a prompt (`{{{hole}}}`): \
                     it shows Rust's syntax (quotes, escapes, struct names) to the model; \
                     implement `Display`, or format the value yourself and pass the text"
                ),
            );
        }
        if spec.contains('*') || counts(spec).any(|c| c.bytes().all(|b| b.is_ascii_digit())) {
            cx.error(
                span,
                format!(
                    "prompt! holes are named: the width or precision of `{{{hole}}}` takes a \
                     positional argument; write `name$` with a named one"
                ),
            );
        }
    }
    used
}

/// The arguments a format spec takes its width or precision from (`name$`, `1$`).
fn counts(spec: &str) -> impl Iterator<Item = &str> {
    spec.match_indices('$').filter_map(|(at, _)| {
        let name = spec[..at]
            .rsplit(|c: char| !(c.is_alphanumeric() || c == '_'))
            .next()
            .unwrap_or("");
        (!name.is_empty()).then_some(name)
    })
}

/// The template as the prompt: like Python's `inspect.cleandoc`, without expanding tabs.
/// The first line loses its leading whitespace; the whitespace the later non-blank lines
/// all begin with is removed from them; blank lines become empty; blank lines at the start
/// and whitespace at the end are dropped.
pub fn dedent(text: &str) -> String {
    let mut lines: Vec<&str> = text.split('\n').collect();
    let margin = lines
        .iter()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| &l[..l.len() - l.trim_start().len()])
        .reduce(|a, b| common_prefix(a, b))
        .unwrap_or("");
    for (i, line) in lines.iter_mut().enumerate() {
        *line = if line.trim().is_empty() {
            ""
        } else if i == 0 {
            line.trim_start()
        } else {
            &line[margin.len()..]
        };
    }
    let first = lines.iter().position(|l| !l.is_empty()).unwrap_or(0);
    lines[first..].join("\n").trim_end().to_owned()
}

fn common_prefix<'a>(a: &'a str, b: &str) -> &'a str {
    let len = a
        .char_indices()
        .zip(b.chars())
        .find(|((_, x), y)| x != y)
        .map_or(a.len().min(b.len()), |((i, _), _)| i);
    &a[..len]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dedent_reads_like_cleandoc() {
        assert_eq!(dedent("  Extract: {text}  "), "Extract: {text}");
        assert_eq!(
            dedent(
                "\n        Extract the people.\n\n          - names\n        Text: {text}\n    "
            ),
            "Extract the people.\n\n  - names\nText: {text}"
        );
        assert_eq!(
            dedent("Extract the people.\n    Text: {text}\n    "),
            "Extract the people.\nText: {text}"
        );
        assert_eq!(dedent("\t\ta\n\t\t\tb\n\t\tc"), "a\n\tb\nc");
        assert_eq!(dedent("x\n  a\n\tb"), "x\n  a\n\tb");
        assert_eq!(dedent(""), "");
        assert_eq!(dedent("one line"), "one line");
    }

    #[test]
    fn widths_and_precisions_name_their_arguments() {
        let all = |spec| counts(spec).collect::<Vec<_>>();
        assert_eq!(all(">1$"), ["1"]);
        assert_eq!(all(".0$"), ["0"]);
        assert_eq!(all("1$.2$"), ["1", "2"]);
        assert_eq!(all(">width$"), ["width"]);
        assert_eq!(all("w1$.prec$"), ["w1", "prec"]);
        assert!(all(">10").is_empty());
        assert!(all(".2").is_empty());
        assert!(all("$>5").is_empty());
    }
}
