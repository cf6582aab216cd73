//! The derive's output as Rust source text, parsed by rustc in one go, with the user's
//! tokens spliced in where their spans matter.
//!
//! Why text: cargo builds proc macros unoptimized, and every token stream `quote!` builds,
//! every group and every interpolation is a call across the proc-macro bridge into rustc.
//! Written that way, the derive's own run cost more than rustc spent checking what it wrote
//! (`scripts/derive-cost`, docs/performance.md). Source text is pushed onto a `String` and
//! handed to rustc's lexer once (`proc_macro::TokenStream::from_str`, one bridge call); the
//! tokens get the call site's span, as `quote!`'s do. Not `proc_macro2`'s `from_str`, which
//! lexes the text a second time, unoptimized, to validate it first.
//!
//! What must keep its own tokens is spliced with [`Out::tokens`]: field types (a type
//! without `Instructor` is reported at the field), paths and expressions the user wrote
//! (`validate = path`, `schema_with`, `example = expr`, constants in rules), generics and
//! where clauses, a `crate = ..` path. User tokens are never turned into text: they may hold
//! `$crate` or the hygiene of a `macro_rules!` that wrote the type. Identifiers the user
//! wrote (the type's, its fields' and variants') are written as text: items, fields and
//! variants are not hygienic.
//!
//! A splice cuts the text: a group holding one is built with [`Out::group`] (the text
//! before and after it in the group is parsed on its own). Groups without splices are plain
//! text, braces and all, and so is a group built with `group` whose closure spliced nothing.

use std::fmt::{self, Write as _};
use std::str::FromStr;

use proc_macro::{Delimiter, Group, TokenStream, TokenTree};

/// Output under construction.
#[derive(Default)]
pub struct Out {
    /// Source text since the last splice.
    text: String,
    /// Everything before it, in order: parsed text, spliced tokens, groups holding splices.
    parts: Vec<TokenStream>,
}

/// Appends formatted source text: `w!(o, "impl {} for {}", a, b)`.
macro_rules! w {
    ($o:expr, $($arg:tt)*) => {
        $o.fmt(format_args!($($arg)*))
    };
}
pub(crate) use w;

impl Out {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends source text.
    pub fn s(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends formatted source text (see [`w!`]).
    pub fn fmt(&mut self, args: fmt::Arguments<'_>) -> &mut Self {
        let _ = self.text.write_fmt(args);
        self
    }

    /// Appends a string literal.
    pub fn lit(&mut self, s: &str) -> &mut Self {
        push_lit(&mut self.text, s);
        self
    }

    /// Appends a raw string literal (`r#"..."#`): long text with quotes (the manifest, JSON)
    /// is written and read by rustc without escapes.
    pub fn raw_lit(&mut self, s: &str) -> &mut Self {
        let mut hashes = 1;
        while s.contains(&format!("\"{}", "#".repeat(hashes))) {
            hashes += 1;
        }
        let h = "#".repeat(hashes);
        w!(self, "r{h}\"{s}\"{h}");
        self
    }

    /// Splices tokens, spans and hygiene kept.
    pub fn tokens(&mut self, tokens: impl Into<proc_macro2::TokenStream>) -> &mut Self {
        let tokens: proc_macro2::TokenStream = tokens.into();
        if tokens.is_empty() {
            return self;
        }
        self.flush();
        self.parts.push(tokens.into());
        self
    }

    /// A `delim` group whose content `f` writes. Only a group that holds splices is built as
    /// a group; otherwise its text is the outer text.
    pub fn group(&mut self, delim: Delimiter, f: impl FnOnce(&mut Out)) -> &mut Self {
        let mut inner = Out::new();
        f(&mut inner);
        if inner.parts.is_empty() {
            let (open, close) = match delim {
                Delimiter::Brace => ("{", "}"),
                Delimiter::Bracket => ("[", "]"),
                Delimiter::Parenthesis => ("(", ")"),
                Delimiter::None => ("", ""),
            };
            self.text.push_str(open);
            self.text.push_str(&inner.text);
            self.text.push_str(close);
            return self;
        }
        self.flush();
        let group = Group::new(delim, inner.finish());
        self.parts.push(TokenStream::from(TokenTree::Group(group)));
        self
    }

    /// [`group`](Out::group) in braces.
    pub fn brace(&mut self, f: impl FnOnce(&mut Out)) -> &mut Self {
        self.group(Delimiter::Brace, f)
    }

    /// [`group`](Out::group) in parentheses.
    pub fn paren(&mut self, f: impl FnOnce(&mut Out)) -> &mut Self {
        self.group(Delimiter::Parenthesis, f)
    }

    /// Appends what `other` holds.
    pub fn append(&mut self, other: Out) -> &mut Self {
        if other.parts.is_empty() {
            self.text.push_str(&other.text);
            return self;
        }
        self.flush();
        self.parts.extend(other.parts);
        self.text = other.text;
        self
    }

    /// Nothing written yet.
    pub fn is_empty(&self) -> bool {
        self.text.is_empty() && self.parts.is_empty()
    }

    /// Parses the pending text.
    fn flush(&mut self) {
        if self.text.is_empty() {
            return;
        }
        let text = std::mem::take(&mut self.text);
        match TokenStream::from_str(&text) {
            Ok(ts) => self.parts.push(ts),
            // A bug in the derive: say what it wrote.
            Err(e) => panic!("instructor-derive wrote invalid tokens ({e}): {text}"),
        }
    }

    /// The tokens.
    pub fn finish(mut self) -> TokenStream {
        self.flush();
        match self.parts.len() {
            1 => self.parts.pop().unwrap_or_default(),
            _ => self.parts.into_iter().collect(),
        }
    }
}

/// `s` as a Rust string literal.
pub fn push_lit(out: &mut String, s: &str) {
    // `Debug` writes a string as a valid Rust literal: quotes, escapes, `\u{..}`.
    let _ = write!(out, "{s:?}");
}

/// Tokens built one at a time on the macro's side, for the few places where user tokens are
/// many and close together (a field type per field: the companion's fields, the schema
/// functions, the partial reads). Text there would be cut at every type, each piece a call
/// into rustc; these tokens cost one call for the lot (and one per group). [`Toks::s`]
/// reads a template of identifiers and punctuation only: literals and groups have their own
/// methods.
#[derive(Default)]
pub struct Toks(proc_macro2::TokenStream, Option<proc_macro2::Span>);

impl Toks {
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs `f` with the templates it appends located at `at` (a user token's place), their
    /// names still resolved at the call site: an error about what they write together is
    /// reported there, not at the derive.
    pub fn at(&mut self, at: proc_macro2::Span, f: impl FnOnce(&mut Toks)) -> &mut Self {
        let outer = self
            .1
            .replace(proc_macro2::Span::call_site().located_at(at));
        f(self);
        self.1 = outer;
        self
    }

    /// Appends the identifiers and punctuation of `template` (`as __p::Instructor>::schema`),
    /// spanned at the call site (or where [`at`](Toks::at) says).
    pub fn s(&mut self, template: &str) -> &mut Self {
        use proc_macro2::{Ident, Punct, Spacing, Span, TokenTree};
        let span = self.1.unwrap_or_else(Span::call_site);
        let bytes = template.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if b.is_ascii_whitespace() {
                i += 1;
            } else if b.is_ascii_alphabetic() || b == b'_' {
                let start = i;
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                let word = &template[start..i];
                self.0.extend([TokenTree::Ident(Ident::new(word, span))]);
            } else {
                assert!(
                    !b"()[]{}\"'0123456789".contains(&b),
                    "Toks::s takes identifiers and punctuation: {template}"
                );
                i += 1;
                let joint = i < bytes.len() && bytes[i].is_ascii_punctuation() && {
                    !b"()[]{}\"'".contains(&bytes[i])
                };
                let spacing = if joint {
                    Spacing::Joint
                } else {
                    Spacing::Alone
                };
                let mut p = Punct::new(b as char, spacing);
                p.set_span(span);
                self.0.extend([TokenTree::Punct(p)]);
            }
        }
        self
    }

    /// Appends user tokens (a type, a path, an expression), spans and hygiene kept.
    pub fn t(&mut self, tokens: &impl quote::ToTokens) -> &mut Self {
        tokens.to_tokens(&mut self.0);
        self
    }

    /// Appends a string literal.
    pub fn lit(&mut self, s: &str) -> &mut Self {
        self.0.extend([proc_macro2::TokenTree::Literal(
            proc_macro2::Literal::string(s),
        )]);
        self
    }

    /// Appends a group whose content `f` writes.
    pub fn group(&mut self, delim: proc_macro2::Delimiter, f: impl FnOnce(&mut Toks)) -> &mut Self {
        let mut inner = Toks(proc_macro2::TokenStream::new(), self.1);
        f(&mut inner);
        let mut g = proc_macro2::Group::new(delim, inner.0);
        if let Some(span) = self.1 {
            g.set_span(span);
        }
        self.0.extend([proc_macro2::TokenTree::Group(g)]);
        self
    }

    /// [`group`](Toks::group) in parentheses.
    pub fn paren(&mut self, f: impl FnOnce(&mut Toks)) -> &mut Self {
        self.group(proc_macro2::Delimiter::Parenthesis, f)
    }

    /// [`group`](Toks::group) in brackets.
    pub fn bracket(&mut self, f: impl FnOnce(&mut Toks)) -> &mut Self {
        self.group(proc_macro2::Delimiter::Bracket, f)
    }

    /// [`group`](Toks::group) in braces.
    pub fn brace(&mut self, f: impl FnOnce(&mut Toks)) -> &mut Self {
        self.group(proc_macro2::Delimiter::Brace, f)
    }

    pub fn finish(self) -> proc_macro2::TokenStream {
        self.0
    }
}
