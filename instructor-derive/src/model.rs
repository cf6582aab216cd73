//! What the derive knows about a type once its attributes are read: the container, its
//! variants and fields, their serde names, and the garde rules the schema can carry. Data
//! with a few accessors.
//!
//! The tree is generic over what a field's type is known as: `syntax` writes it with the
//! `syn::Type` as written ([`Written`]), `check` checks that and lowers it to the resolved
//! model (a [`FieldType`] per field: its `Option` layer, whether it is a leaf, its span),
//! which is all `emit` reads: emit never looks into a `syn::Type`, it only splices one.

use proc_macro2::Span;
use syn::{Expr, Generics, Ident, Type, Visibility};

use crate::case::RenameRule;

/// The type as `syntax` reads it: each field's type as written, not yet resolved.
pub type Written = Container<Type>;

/// A type that derives `Instructor`: `T` is what each field's type is known as (`syn::Type`
/// as written, or the resolved [`FieldType`]).
pub struct Container<T = FieldType> {
    /// The type's name.
    pub ident: Ident,
    /// Its visibility, which its partial companion gets.
    pub vis: Visibility,
    /// Its parameters and where clause.
    pub generics: Generics,
    /// `#[instructor(description)]`, or the doc comment.
    pub doc: Option<String>,
    /// Its `#[serde(..)]` attributes.
    pub serde: SerdeContainer,
    /// Its `#[instructor(..)]` attributes.
    pub instr: InstrContainer,
    /// What its `#[garde(..)]` attributes ask of validation.
    pub garde: GardeContainer,
    /// Its body or its variants.
    pub data: Data<T>,
}

/// What the type's `#[serde(..)]` attributes say about reading it.
#[derive(Default)]
pub struct SerdeContainer {
    pub rename: Option<String>,
    pub rename_all: Option<RenameRule>,
    pub rename_all_fields: Option<RenameRule>,
    pub deny_unknown_fields: bool,
    pub default: bool,
    pub transparent: bool,
    /// How an enum's variants are told apart on the wire.
    pub tagging: Tagging,
    /// `#[serde(from = ..)]` / `try_from`: the wire shape is another type's.
    pub converted: Option<Span>,
    /// A serde attribute the derive does not read that may change how the type is
    /// deserialized (`remote`, `variant_identifier`, ...).
    pub other: bool,
}

/// serde's enum representation, resolved once from `tag`, `content` and `untagged`.
#[derive(Default)]
pub enum Tagging {
    /// serde's default: `{ "Variant": content }`, and a unit variant as the string
    /// `"Variant"`.
    #[default]
    External,
    /// `#[serde(tag = "t")]`: `{ "t": "Variant", ..fields }`.
    Internal { tag: String },
    /// `#[serde(tag = "t", content = "c")]`: `{ "t": "Variant", "c": content }`.
    Adjacent { tag: String, content: String },
    /// `#[serde(untagged)]`: the content alone, read by its shape.
    Untagged,
}

/// The type's `#[instructor(..)]` attributes.
#[derive(Default)]
pub struct InstrContainer {
    pub validate: Vec<syn::Path>,
    pub krate: Option<syn::Path>,
    pub description: Option<String>,
    pub name: Option<String>,
    /// `#[instructor(tools)]`: the enum's variants are tools (`ToolSet`).
    pub tools: Option<Span>,
    /// `#[instructor(example(text = "..", answer = "..."))]`, in order.
    pub examples: Vec<WorkedExample>,
}

/// A worked example: a text and the answer (JSON) a model should extract from it.
pub struct WorkedExample {
    pub text: String,
    pub answer: String,
}

/// What the type's `#[garde(..)]` attributes, anywhere in it, ask of validation.
#[derive(Default)]
pub struct GardeContainer {
    /// Any `#[garde(..)]` attribute on the type, a variant or a field: the type derives
    /// `garde::Validate`.
    pub used: bool,
    /// `#[garde(context(..))]`: validation needs a context the derive cannot make.
    pub context: bool,
}

/// A struct's body, or an enum's variants.
pub enum Data<T = FieldType> {
    Struct(Fields<T>),
    Enum(Vec<Variant<T>>),
}

/// How a body's fields are written: named, one unnamed, several unnamed, none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Named,
    Newtype,
    Tuple,
    Unit,
}

/// A struct body or a variant body.
pub struct Fields<T = FieldType> {
    /// How the fields are written.
    pub style: Style,
    /// Every field, skipped ones included, in order.
    pub fields: Vec<Field<T>>,
}

impl<T> Fields<T> {
    /// The fields the model writes.
    pub fn wire(&self) -> impl Iterator<Item = &Field<T>> {
        self.fields.iter().filter(|f| !f.skip)
    }
}

/// An enum's variant.
pub struct Variant<T = FieldType> {
    /// The variant's name in Rust.
    pub ident: Ident,
    /// Its name on the wire (serde's `rename`, `rename_all`).
    pub wire: String,
    /// `#[instructor(description)]`, or the doc comment.
    pub doc: Option<String>,
    /// `skip`, `skip_deserializing` or `other`: not offered to the model.
    pub skip: bool,
    /// `#[serde(untagged)]` on the variant: read by its shape alone, after the tagged ones.
    pub untagged: bool,
    /// A serde attribute the derive does not read (`alias`, `deserialize_with`, ...).
    pub serde_other: bool,
    /// Its body.
    pub fields: Fields<T>,
}

/// A field, named or at an index.
pub struct Field<T = FieldType> {
    /// Its name, or its index (spanned at its type).
    pub member: syn::Member,
    /// Its name in Rust (`r#` removed), or its index as text.
    pub rust: String,
    /// Its name on the wire (serde's `rename`, `rename_all`).
    pub wire: String,
    /// serde's `alias`es: other keys it is read under.
    pub aliases: Vec<String>,
    /// Its visibility, which its field in the partial companion gets.
    pub vis: Visibility,
    /// Its type: as written (`syntax`), resolved (`check` onwards).
    pub ty: T,
    /// `#[instructor(description)]`, or the doc comment.
    pub doc: Option<String>,
    /// `#[serde(skip)]`/`skip_deserializing`: not read from the wire.
    pub skip: bool,
    /// `#[serde(default)]`: the model may leave it out.
    pub default: bool,
    /// `#[serde(flatten)]`, at the attribute.
    pub flatten: Option<Span>,
    /// `#[serde(with/deserialize_with)]`, at the attribute: its wire shape is not its type's.
    pub custom_de: Option<Span>,
    /// Its garde rules, in order.
    pub rules: Vec<Rule>,
    /// garde's `rename`: the name garde's paths give it.
    pub garde_alias: Option<String>,
    /// `#[instructor(schema_with = path)]`: the function that writes its schema.
    pub schema_with: Option<syn::Path>,
    /// `#[instructor(example = ..)]` values, in order.
    pub examples: Vec<Expr>,
}

/// What emit needs of a field's type, worked out once by `check` from its spelling.
pub struct FieldType {
    /// The type as written (`Option<T>` kept): the field's own tokens.
    pub written: Type,
    /// `T`, when the type is spelled `Option<T>`.
    pub option_inner: Option<Type>,
    /// The span of the type's first token: where an error about the type points.
    pub span: Span,
    /// The type as written is a leaf (`ty::is_leaf`: numbers, strings and the standard
    /// containers of them): it holds no rules or paths of its own, so validation neither
    /// visits it nor asks it to translate a garde path.
    pub leaf: bool,
    /// The type through one `Option` layer is a leaf: its own partial form, with `Debug`.
    pub unwrapped_leaf: bool,
}

impl FieldType {
    /// The type through one `Option` layer: whose schema and partial form the field has.
    pub fn unwrapped(&self) -> &Type {
        self.option_inner.as_ref().unwrap_or(&self.written)
    }
}

impl Field {
    /// Spelled `Option<..>`.
    pub fn is_option(&self) -> bool {
        self.ty.option_inner.is_some()
    }

    /// The type a field's schema and partial value come from, and whether its schema is
    /// `Option`'s around it (the model may write `null`): an `Option<T>` field is `T`,
    /// nullable unless garde's `required` rule forbids `null`.
    pub fn value_type(&self) -> (&Type, bool) {
        match &self.ty.option_inner {
            Some(inner) => (inner, !self.has_rule(|k| matches!(k, RuleKind::Required))),
            None => (&self.ty.written, false),
        }
    }
}

impl<T> Field<T> {
    /// Whether one of its garde rules is of the kind `f` accepts.
    pub fn has_rule(&self, f: impl Fn(&RuleKind) -> bool) -> bool {
        self.rules.iter().any(|r| f(&r.kind))
    }

    /// A named field (written under a key), not a tuple field (written at an index).
    pub fn member_is_named(&self) -> bool {
        matches!(self.member, syn::Member::Named(_))
    }
}

/// One garde rule on a field, as far as the schema reads it.
pub struct Rule {
    /// The rule's name, where errors about it point.
    pub span: Span,
    /// What it is.
    pub kind: RuleKind,
}

/// The rule, and what the schema takes from it.
pub enum RuleKind {
    Length(LengthArgs),
    Range(RangeArgs),
    Pattern(String),
    Contains(String),
    Prefix(String),
    Suffix(String),
    Format(&'static str),
    Ip,
    Ascii,
    Alphanumeric,
    Required,
    Inner(Vec<Rule>),
    /// `dive`, `skip`, `custom`, `matches`, ...: nothing for the schema.
    Other,
}

/// What garde's `length` counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LengthMode {
    Simple,
    Bytes,
    Chars,
    Graphemes,
    Utf16,
}

/// `length(..)`: what it counts, and its bounds the schema can carry.
pub struct LengthArgs {
    /// What it counts.
    pub mode: LengthMode,
    /// The least length, when the schema can carry it.
    pub min: Option<Bound>,
    /// The greatest length, when the schema can carry it.
    pub max: Option<Bound>,
}

/// `range(..)`: its bounds the schema can carry.
pub struct RangeArgs {
    /// The least value, when the schema can carry it.
    pub min: Option<Bound>,
    /// The greatest value, when the schema can carry it.
    pub max: Option<Bound>,
}

/// A bound the schema can carry: a literal, a negated literal or a constant, classified once
/// when the rule is read.
#[derive(Clone)]
pub struct Bound {
    /// The expression (parentheses removed): computed at run time when the macro cannot
    /// write its value now.
    pub expr: Expr,
    /// The literal, when the bound is one: what the macro may write now.
    pub literal: Option<Literal>,
}

/// A literal bound: its sign and the literal.
#[derive(Clone)]
pub struct Literal {
    /// Written with a `-`.
    pub negative: bool,
    /// The literal, without the sign.
    pub lit: syn::Lit,
}
