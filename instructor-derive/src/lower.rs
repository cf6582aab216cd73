//! checked model -> resolved model: each field's type is read once, here, into the
//! [`FieldType`] `emit` works from (its `Option` layer, whether it is a leaf, its span), so
//! that emit only splices types and never looks into them.

use syn::Type;

use crate::model::*;
use crate::ty::{first_span, is_leaf, option_inner};

/// The type with every field's type resolved.
pub fn container(c: Written) -> Container {
    Container {
        ident: c.ident,
        vis: c.vis,
        generics: c.generics,
        doc: c.doc,
        serde: c.serde,
        instr: c.instr,
        garde: c.garde,
        data: match c.data {
            Data::Struct(fields) => Data::Struct(self::fields(fields)),
            Data::Enum(variants) => Data::Enum(variants.into_iter().map(variant).collect()),
        },
    }
}

/// The variant with its fields' types resolved.
fn variant(v: Variant<Type>) -> Variant {
    Variant {
        ident: v.ident,
        wire: v.wire,
        doc: v.doc,
        skip: v.skip,
        untagged: v.untagged,
        serde_other: v.serde_other,
        fields: fields(v.fields),
    }
}

/// The body with its fields' types resolved.
fn fields(f: Fields<Type>) -> Fields {
    Fields {
        style: f.style,
        fields: f.fields.into_iter().map(field).collect(),
    }
}

/// The field with its type resolved.
fn field(f: Field<Type>) -> Field {
    Field {
        member: f.member,
        rust: f.rust,
        wire: f.wire,
        aliases: f.aliases,
        vis: f.vis,
        ty: field_type(f.ty),
        doc: f.doc,
        skip: f.skip,
        default: f.default,
        flatten: f.flatten,
        custom_de: f.custom_de,
        rules: f.rules,
        garde_alias: f.garde_alias,
        schema_with: f.schema_with,
        examples: f.examples,
    }
}

/// What emit needs of a type, from its spelling.
fn field_type(written: Type) -> FieldType {
    let option_inner = option_inner(&written).cloned();
    let unwrapped_leaf = is_leaf(option_inner.as_ref().unwrap_or(&written));
    FieldType {
        span: first_span(&written),
        leaf: is_leaf(&written),
        unwrapped_leaf,
        option_inner,
        written,
    }
}
