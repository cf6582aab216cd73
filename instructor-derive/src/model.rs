//! What the derive knows about a type once its attributes are read: the container, its
//! variants and fields, their serde names, and the garde rules the schema can carry. Data
//! with a few accessors, written by `syntax` and read by `check` and `emit`.

use proc_macro2::Span;
use syn::{Expr, Generics, Ident, Type, Visibility};

use crate::case::RenameRule;

pub struct Container {
    pub ident: Ident,
    pub vis: Visibility,
    pub generics: Generics,
    pub doc: Option<String>,
    pub serde: SerdeContainer,
    pub instr: InstrContainer,
    pub garde: GardeContainer,
    pub data: Data,
}

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

#[derive(Default)]
pub struct GardeContainer {
    /// Any `#[garde(..)]` attribute on the type, a variant or a field: the type derives
    /// `garde::Validate`.
    pub used: bool,
    /// `#[garde(context(..))]`: validation needs a context the derive cannot make.
    pub context: bool,
}

pub enum Data {
    Struct(Fields),
    Enum(Vec<Variant>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Named,
    Newtype,
    Tuple,
    Unit,
}

pub struct Fields {
    pub style: Style,
    pub fields: Vec<Field>,
}

impl Fields {
    /// The fields the model writes.
    pub fn wire(&self) -> impl Iterator<Item = &Field> {
        self.fields.iter().filter(|f| !f.skip)
    }
}

pub struct Variant {
    pub ident: Ident,
    pub wire: String,
    pub doc: Option<String>,
    /// `skip`, `skip_deserializing` or `other`: not offered to the model.
    pub skip: bool,
    /// `#[serde(untagged)]` on the variant: read by its shape alone, after the tagged ones.
    pub untagged: bool,
    /// A serde attribute the derive does not read (`alias`, `deserialize_with`, ...).
    pub serde_other: bool,
    pub fields: Fields,
}

pub struct Field {
    pub member: syn::Member,
    pub rust: String,
    pub wire: String,
    pub aliases: Vec<String>,
    pub vis: Visibility,
    pub ty: Type,
    pub doc: Option<String>,
    pub skip: bool,
    pub default: bool,
    pub flatten: Option<Span>,
    pub custom_de: Option<Span>,
    pub rules: Vec<Rule>,
    pub garde_alias: Option<String>,
    pub schema_with: Option<syn::Path>,
    pub examples: Vec<Expr>,
}

impl Field {
    pub fn is_option(&self) -> bool {
        crate::ty::option_inner(&self.ty).is_some()
    }

    pub fn has_rule(&self, f: impl Fn(&RuleKind) -> bool) -> bool {
        self.rules.iter().any(|r| f(&r.kind))
    }

    /// A named field (written under a key), not a tuple field (written at an index).
    pub fn member_is_named(&self) -> bool {
        matches!(self.member, syn::Member::Named(_))
    }
}

pub struct Rule {
    pub span: Span,
    pub kind: RuleKind,
}

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LengthMode {
    Simple,
    Bytes,
    Chars,
    Graphemes,
    Utf16,
}

pub struct LengthArgs {
    pub mode: LengthMode,
    pub min: Option<Bound>,
    pub max: Option<Bound>,
}

pub struct RangeArgs {
    pub min: Option<Bound>,
    pub max: Option<Bound>,
}

/// A bound the schema can carry: a literal, a negated literal or a constant.
#[derive(Clone)]
pub struct Bound(pub Expr);
