//! The schema: the manifest's `schema` tree. The tree mirrors the schema (struct bodies
//! are objects, variants are wrapped as their tagging writes them), with the parts that are
//! fixed when the macro runs (unit variants, enums of strings) as JSON already, and each
//! field as its wire name, doc comment, garde rules (`rules`) and the index of its type's
//! schema function. What the indices point at is collected in `sources`, which writes
//! `fn schema` (`instructor::__private::schema` gets those functions and the values computed
//! at run time, in the order the tree's indices count them). A named struct has no
//! `fn schema`: its `__read` (see `partial`) names the same functions, one per wire field in
//! order, and hands over the values.

use super::cx::Cx;
use super::json::{self, Json};
use super::rules::{has_schema_rules, rules};
use super::sources::{Source, Sources, Value};
use crate::model::*;

/// The manifest's schema members: `named`, `schema_doc`, `schema`.
pub(super) fn manifest<'a>(cx: &Cx<'a>, j: &mut Json) -> Sources<'a> {
    let c = cx.c;
    let mut src = Sources::default();
    let named = !matches!(c.data, Data::Struct(_)) || !c.serde.transparent;
    j.flag("named", named);
    let doc = [c.doc.clone(), unit_variant_docs(c)]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("\n\n");
    if named && !doc.is_empty() {
        j.key("schema_doc").str(&doc);
    }
    j.key("schema");
    match &c.data {
        Data::Struct(fields) if c.serde.transparent => match fields.wire().next() {
            Some(f) => {
                j.object(|j| {
                    j.key("field");
                    field(j, &mut src, f, false);
                });
            }
            None => json_node(j, r#"{"type":"null"}"#),
        },
        Data::Struct(fields) => fields_node(c, j, &mut src, fields, None),
        Data::Enum(variants) => enum_node(c, j, &mut src, variants),
    }
    src
}

/// `{"json": ..}`: a schema fixed when the macro runs.
fn json_node(j: &mut Json, schema: &str) {
    j.object(|j| {
        j.key("json").raw(schema);
    });
}

/// `{"type":"string","const":name}` as JSON text.
fn string_const(name: &str) -> String {
    format!(r#"{{"type":"string","const":{}}}"#, json::string(name))
}

/// One field: its type's schema function, then its doc comment, examples and rules;
/// `optional`: the model may leave it out.
fn field<'a>(j: &mut Json, src: &mut Sources<'a>, f: &'a Field, optional: bool) {
    let source = match &f.schema_with {
        Some(path) => Source::With(path),
        None => match f.value_type() {
            // As written (`Option<T>`): the field's own tokens.
            (_, true) => Source::Type(&f.ty.written),
            (ty, false) => Source::Type(ty),
        },
    };
    j.object(|j| {
        if f.member_is_named() {
            j.key("name").str(&f.wire);
        }
        j.key("schema").num(src.schema(source));
        j.flag("optional", optional);
        j.opt_str("doc", f.doc.as_deref());
        if !f.examples.is_empty() {
            j.key("examples")
                .num(src.value(Value::Examples(&f.examples)));
        }
        let ascii = f.has_rule(|k| matches!(k, RuleKind::Ascii));
        if has_schema_rules(&f.rules) {
            j.key("rules");
            rules(j, src, &f.rules, ascii);
        }
    });
}

/// A field merged into the object: its type's schema (through one `Option`), unannotated.
fn flattened<'a>(j: &mut Json, src: &mut Sources<'a>, f: &'a Field, required: bool) {
    j.object(|j| {
        j.key("schema")
            .num(src.schema(Source::Type(f.ty.unwrapped())));
        j.flag("flatten", true);
        j.flag("optional", !required);
    });
}

/// Whether the model must write the field: no serde `default` on it or on the type, and not
/// an `Option` unless garde's `required` says so.
fn is_required(c: &Container, f: &Field) -> bool {
    !f.default
        && !c.serde.default
        && (!f.is_option() || f.has_rule(|k| matches!(k, RuleKind::Required)))
}

/// A struct body or a variant body. `tag`: an internally tagged variant's `(tag, name)`,
/// written as a first, required `const` property.
fn fields_node<'a>(
    c: &Container,
    j: &mut Json,
    src: &mut Sources<'a>,
    fields: &'a Fields,
    tag: Option<(&str, &str)>,
) {
    match fields.style {
        Style::Named => {
            j.object(|j| {
                j.key("object").object(|j| {
                    if let Some((tag, name)) = tag {
                        j.key("tag").array(|j| {
                            j.str(tag).str(name);
                        });
                    }
                    j.key("fields").array(|j| {
                        for f in fields.wire() {
                            let required = is_required(c, f);
                            if f.flatten.is_some() {
                                flattened(j, src, f, required);
                            } else {
                                field(j, src, f, !required);
                            }
                        }
                    });
                    j.flag("deny", c.serde.deny_unknown_fields);
                });
            });
        }
        Style::Newtype => match (fields.wire().next(), tag) {
            (Some(f), Some((tag, name))) => {
                j.object(|j| {
                    j.key("tagged_newtype").object(|j| {
                        j.key("tag").str(tag).key("name").str(name).key("field");
                        field(j, src, f, false);
                    });
                });
            }
            (Some(f), None) => {
                j.object(|j| {
                    j.key("field");
                    field(j, src, f, false);
                });
            }
            (None, _) => json_node(j, r#"{"type":"null"}"#),
        },
        Style::Tuple => {
            j.object(|j| {
                j.key("tuple").array(|j| {
                    for f in fields.wire() {
                        field(j, src, f, false);
                    }
                });
            });
        }
        Style::Unit => match tag {
            Some((tag, name)) => json_node(j, &tagged_unit(tag, name)),
            None => json_node(j, r#"{"type":"null"}"#),
        },
    }
}

/// A unit variant under an internal or adjacent tag: an object holding only the tag.
fn tagged_unit(tag: &str, name: &str) -> String {
    format!(
        r#"{{"type":"object","properties":{{{}:{}}},"required":[{}]}}"#,
        json::string(tag),
        string_const(name),
        json::string(tag)
    )
}

/// Externally tagged and every offered variant a unit: an enum of strings.
pub(super) fn is_string_enum(c: &Container) -> bool {
    match &c.data {
        Data::Enum(variants) => {
            matches!(c.serde.tagging, Tagging::External)
                && variants
                    .iter()
                    .filter(|v| !v.skip)
                    .all(|v| v.fields.style == Style::Unit && !v.untagged)
        }
        Data::Struct(_) => false,
    }
}

/// "`pending`: Not yet shipped." lines for an enum of strings, whose values cannot carry
/// descriptions of their own.
fn unit_variant_docs(c: &Container) -> Option<String> {
    let Data::Enum(variants) = &c.data else {
        return None;
    };
    if !is_string_enum(c) {
        return None;
    }
    let docs: Vec<String> = variants
        .iter()
        .filter(|v| !v.skip)
        .filter_map(|v| v.doc.as_ref().map(|d| format!("`{}`: {}", v.wire, d)))
        .collect();
    (!docs.is_empty()).then(|| docs.join("\n"))
}

/// `{"type":"string","enum":[..]}` as JSON text.
fn string_enum<'a>(names: impl Iterator<Item = &'a String>) -> String {
    let names: Vec<String> = names.map(|n| json::string(n)).collect();
    format!(r#"{{"type":"string","enum":[{}]}}"#, names.join(","))
}

/// An enum: one branch per offered variant, in the shape its tagging writes.
fn enum_node<'a>(c: &Container, j: &mut Json, src: &mut Sources<'a>, variants: &'a [Variant]) {
    let live: Vec<&Variant> = variants.iter().filter(|v| !v.skip && !v.untagged).collect();
    let untagged: Vec<&Variant> = variants.iter().filter(|v| !v.skip && v.untagged).collect();

    // Externally tagged unit variants only: an enum of strings (their docs go into the
    // type's description, see `unit_variant_docs`).
    if is_string_enum(c) {
        return json_node(j, &string_enum(live.iter().map(|v| &v.wire)));
    }

    // A variant's body, under its doc comment when it has one.
    let described = |j: &mut Json,
                     src: &mut Sources<'a>,
                     v: &Variant,
                     body: &mut dyn FnMut(&mut Json, &mut Sources<'a>)| {
        match &v.doc {
            Some(d) => {
                j.object(|j| {
                    j.key("described").object(|j| {
                        j.key("doc").str(d).key("body");
                        body(j, src);
                    });
                });
            }
            None => body(j, src),
        }
    };
    let mut branches = Json::new();
    let b = &mut branches;
    let mut any = false;
    match &c.serde.tagging {
        Tagging::External => {
            // External: unit variants as strings, the others as `{ "Name": body }`.
            let units: Vec<&String> = live
                .iter()
                .filter(|v| v.fields.style == Style::Unit)
                .map(|v| &v.wire)
                .collect();
            if !units.is_empty() {
                json_node(b, &string_enum(units.into_iter()));
                any = true;
            }
            for v in live.iter().filter(|v| v.fields.style != Style::Unit) {
                b.object(|j| {
                    j.key("external").object(|j| {
                        j.key("name").str(&v.wire).key("body");
                        described(j, src, v, &mut |j, src| {
                            fields_node(c, j, src, &v.fields, None)
                        });
                    });
                });
                any = true;
            }
        }
        Tagging::Internal { tag } => {
            for v in &live {
                described(b, src, v, &mut |j, src| {
                    fields_node(c, j, src, &v.fields, Some((tag, &v.wire)))
                });
                any = true;
            }
        }
        Tagging::Adjacent { tag, content } => {
            for v in &live {
                let wire = &v.wire;
                described(b, src, v, &mut |j, src| {
                    if v.fields.style == Style::Unit {
                        json_node(j, &tagged_unit(tag, wire));
                    } else {
                        j.object(|j| {
                            j.key("adjacent").object(|j| {
                                j.key("tag").str(tag).key("content").str(content);
                                j.key("name").str(wire).key("body");
                                fields_node(c, j, src, &v.fields, None);
                            });
                        });
                    }
                });
                any = true;
            }
        }
        Tagging::Untagged => {
            // Whichever variant's shape matches.
            for v in &live {
                described(b, src, v, &mut |j, src| {
                    fields_node(c, j, src, &v.fields, None)
                });
                any = true;
            }
        }
    }
    // Variants marked `#[serde(untagged)]` are tried by shape after the tagged ones.
    for v in &untagged {
        described(b, src, v, &mut |j, src| {
            fields_node(c, j, src, &v.fields, None)
        });
        any = true;
    }
    if !any {
        return json_node(j, r#"{"not":{}}"#);
    }
    let key = if matches!(c.serde.tagging, Tagging::Untagged) || !untagged.is_empty() {
        "any_of"
    } else {
        "one_of"
    };
    let branches = branches.finish();
    j.object(|j| {
        j.key(key).raw(&format!("[{branches}]"));
    });
}
