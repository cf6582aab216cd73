//! What the derive can tell of a type from its spelling alone: an `Option` layer, and the
//! rough shape the rules and `flatten` are checked against.

use proc_macro2::Span;
use syn::Type;

/// The type with one `Option<..>` layer removed, when it has one.
pub fn option_inner(ty: &Type) -> Option<&Type> {
    let Type::Path(p) = ty else { return None };
    if p.qself.is_some() {
        return None;
    }
    let last = p.path.segments.last()?;
    if last.ident != "Option" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first()? {
        syn::GenericArgument::Type(t) if args.args.len() == 1 => Some(t),
        _ => None,
    }
}

/// What the derive can tell of a type from its spelling alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Number,
    Bool,
    Char,
    String,
    Collection,
    Unknown,
}

impl Shape {
    /// A number, `bool`, `char`, string or collection: a value with no fields to merge or to
    /// tag.
    pub fn is_scalar_or_collection(self) -> bool {
        matches!(
            self,
            Shape::Number | Shape::Bool | Shape::Char | Shape::String | Shape::Collection
        )
    }
}

/// The shape of a type, looking through one `Option` layer.
pub fn shape(ty: &Type) -> Shape {
    let ty = option_inner(ty).unwrap_or(ty);
    match ty {
        Type::Array(_) | Type::Slice(_) => return Shape::Collection,
        Type::Tuple(t) if !t.elems.is_empty() => return Shape::Collection,
        Type::Reference(r) => return shape(&r.elem),
        Type::Paren(p) => return shape(&p.elem),
        Type::Group(g) => return shape(&g.elem),
        _ => {}
    }
    let Type::Path(p) = ty else {
        return Shape::Unknown;
    };
    let Some(last) = p.path.segments.last() else {
        return Shape::Unknown;
    };
    match last.ident.to_string().as_str() {
        "u8" | "u16" | "u32" | "u64" | "u128" | "usize" | "i8" | "i16" | "i32" | "i64" | "i128"
        | "isize" | "f32" | "f64" => Shape::Number,
        "bool" => Shape::Bool,
        "char" => Shape::Char,
        "String" | "str" => Shape::String,
        "Vec" | "VecDeque" | "HashSet" | "BTreeSet" => Shape::Collection,
        _ => Shape::Unknown,
    }
}

/// The shape of a collection's (or an array's) elements, when the type spells them: what
/// `inner(..)` rules apply to.
pub fn element_shape(ty: &Type) -> Shape {
    let ty = option_inner(ty).unwrap_or(ty);
    if let Type::Array(a) = ty {
        return shape(&a.elem);
    }
    if let Type::Path(p) = ty {
        if let Some(last) = p.path.segments.last() {
            if let syn::PathArguments::AngleBracketed(args) = &last.arguments {
                if let Some(syn::GenericArgument::Type(t)) = args.args.last() {
                    return shape(t);
                }
            }
        }
    }
    Shape::Unknown
}

/// A type whose `validate_at` and `json_path` are known to do nothing of their own, from
/// its spelling: numbers, `bool`, `char`, `String`, and the standard containers of them
/// (`Option`, `Box`, lists, sets, maps, arrays, tuples). Derived code neither visits such a
/// field when validating nor asks it to translate a garde path.
pub fn is_leaf(ty: &Type) -> bool {
    match ty {
        Type::Array(a) => is_leaf(&a.elem),
        Type::Tuple(t) => t.elems.iter().all(is_leaf),
        Type::Paren(p) => is_leaf(&p.elem),
        Type::Group(g) => is_leaf(&g.elem),
        Type::Path(p) if p.qself.is_none() => {
            let Some(last) = p.path.segments.last() else {
                return false;
            };
            let args = match &last.arguments {
                syn::PathArguments::None => Vec::new(),
                syn::PathArguments::AngleBracketed(a) => a.args.iter().collect(),
                syn::PathArguments::Parenthesized(_) => return false,
            };
            let name = last.ident.to_string();
            let scalar =
                matches!(shape(ty), Shape::Number | Shape::Bool | Shape::Char) || name == "String";
            if scalar && args.is_empty() {
                return true;
            }
            let containers = [
                "Option", "Box", "Vec", "VecDeque", "HashSet", "BTreeSet", "HashMap", "BTreeMap",
            ];
            containers.contains(&name.as_str())
                && !args.is_empty()
                && args.iter().all(|a| match a {
                    syn::GenericArgument::Type(t) => is_leaf(t),
                    _ => false,
                })
        }
        _ => false,
    }
}

/// The span of a type's first token: what `syn::spanned::Spanned::span` gives on a stable
/// compiler (where `Span::join` is unavailable and the first span is kept), without turning
/// the type into tokens and walking them, which costs bridge calls into rustc per token.
pub fn first_span(ty: &Type) -> Span {
    match ty {
        Type::Path(p) => match (&p.qself, &p.path.leading_colon) {
            (Some(q), _) => q.lt_token.span,
            (None, Some(c)) => c.spans[0],
            (None, None) => path_span(&p.path),
        },
        Type::Reference(r) => r.and_token.span,
        Type::Ptr(p) => p.star_token.span,
        Type::Tuple(t) => t.paren_token.span.join(),
        Type::Array(a) => a.bracket_token.span.join(),
        Type::Slice(s) => s.bracket_token.span.join(),
        Type::Paren(p) => p.paren_token.span.join(),
        Type::Group(g) => first_span(&g.elem),
        other => syn::spanned::Spanned::span(other),
    }
}

/// The span of a path's first token (see [`first_span`]).
pub fn path_span(path: &syn::Path) -> Span {
    match (&path.leading_colon, path.segments.first()) {
        (Some(c), _) => c.spans[0],
        (None, Some(s)) => s.ident.span(),
        (None, None) => Span::call_site(),
    }
}
