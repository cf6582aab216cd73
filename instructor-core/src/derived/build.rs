//! The schema interpreter: a type's schema built from its manifest's tree ([`Node`]) and
//! the functions the derived code hands over (the field types' schema functions, the
//! values computed at run time), registering nested types in the [`SchemaGenerator`].

use std::borrow::Cow;

use serde_json::{json, Map, Value};

use super::manifest::{Bound, Field, Mode, Node, Rule, Table};
use super::{SchemaFn, ValueFn};
use crate::schema::keywords::{self, LengthMode};
use crate::schema::{ObjectSchema, SchemaGenerator};

/// What a schema is built from: the manifest's tree, the derived `schema`'s functions.
struct Build<'a> {
    /// The schema functions the manifest's `schema` indices point at.
    schemas: &'a [SchemaFn],
    /// The value functions the manifest's indices point at.
    values: &'a [ValueFn],
}

impl Build<'_> {
    /// The bound's value: the number, or the constant's.
    fn bound(&self, b: &Bound) -> Value {
        match b {
            Bound::Number(n) => Value::Number(n.clone()),
            Bound::Fn { index } => self.values[*index](),
        }
    }

    /// A length bound, as a count.
    fn length(&self, b: &Option<Bound>) -> Option<u64> {
        b.as_ref().and_then(|b| self.bound(b).as_u64())
    }

    /// Writes `rules` into `s` as keywords.
    fn rules(&self, s: &mut Value, rules: &[Rule]) {
        for rule in rules {
            match rule {
                Rule::Length {
                    mode,
                    min,
                    max,
                    ascii,
                } => {
                    let mode = match mode {
                        Mode::Bytes => LengthMode::Bytes,
                        Mode::Chars => LengthMode::Chars,
                        Mode::Graphemes => LengthMode::Graphemes,
                        Mode::Utf16 => LengthMode::Utf16,
                    };
                    keywords::length_rule(s, mode, self.length(min), self.length(max), *ascii)
                }
                Rule::Range { min, max } => keywords::range(
                    s,
                    min.as_ref().map(|b| self.bound(b)),
                    max.as_ref().map(|b| self.bound(b)),
                ),
                Rule::Pattern(p) => keywords::pattern(s, p),
                Rule::Contains(t) => keywords::pattern(s, &keywords::escape_regex(t)),
                Rule::Prefix(t) => keywords::pattern(s, &format!("^{}", keywords::escape_regex(t))),
                Rule::Suffix(t) => keywords::pattern(s, &format!("{}$", keywords::escape_regex(t))),
                Rule::Format(f) => keywords::format(s, f),
                Rule::Ip => keywords::ip(s),
                Rule::Ascii => keywords::pattern(s, "^[\\x00-\\x7F]*$"),
                // `\p{..}` is refused by outlines and ignored by llama.cpp, and an ASCII
                // class would be stricter than garde (which takes any Unicode letter): said
                // in words.
                Rule::Alphanumeric => keywords::describe(s, "Letters and digits only."),
                Rule::Inner(inner) => keywords::inner(s, |t| self.rules(t, inner)),
            }
        }
    }

    /// The field's schema with its annotations and rules (not flattened).
    fn field(&self, gen: &mut SchemaGenerator, f: &Field) -> Value {
        let mut s = (self.schemas[f.schema])(gen);
        if let Some(d) = &f.doc {
            keywords::annotate(&mut s, "description", Value::String(d.clone()));
        }
        if let Some(i) = f.examples {
            keywords::annotate(&mut s, "examples", self.values[i]());
        }
        self.rules(&mut s, &f.rules);
        s
    }

    /// The schema this node describes, registering nested types in `gen`.
    fn node(&self, gen: &mut SchemaGenerator, node: &Node) -> Value {
        match node {
            Node::Json(v) => v.clone(),
            Node::Object { tag, fields, deny } => {
                let mut obj = ObjectSchema::new();
                if let Some((tag, name)) = tag {
                    obj.property(tag, string_const(name), true);
                }
                for f in fields {
                    if f.flatten {
                        let s = (self.schemas[f.schema])(gen);
                        obj.flatten(gen, &s, !f.optional);
                    } else {
                        let s = self.field(gen, f);
                        obj.property(&f.name, s, !f.optional);
                    }
                }
                obj.build(*deny)
            }
            Node::TaggedNewtype { tag, name, field } => {
                let mut obj = ObjectSchema::new();
                obj.property(tag, string_const(name), true);
                let s = self.field(gen, field);
                obj.flatten(gen, &s, true);
                obj.build(false)
            }
            Node::Field(f) => self.field(gen, f),
            Node::Tuple(fields) => {
                let items: Vec<Value> = fields.iter().map(|f| self.field(gen, f)).collect();
                let n = items.len();
                json!({ "type": "array", "prefixItems": items, "minItems": n, "maxItems": n })
            }
            Node::External { name, body } => {
                let body = self.node(gen, body);
                let mut props = Map::new();
                props.insert(name.clone(), body);
                json!({
                    "type": "object",
                    "properties": props,
                    "required": [name],
                    "additionalProperties": false,
                })
            }
            Node::Adjacent {
                tag,
                content,
                name,
                body,
            } => {
                let body = self.node(gen, body);
                let mut props = Map::new();
                props.insert(tag.clone(), string_const(name));
                props.insert(content.clone(), body);
                json!({ "type": "object", "properties": props, "required": [tag, content] })
            }
            Node::Described { doc, body } => {
                let mut s = self.node(gen, body);
                keywords::annotate(&mut s, "description", Value::String(doc.clone()));
                s
            }
            Node::OneOf(branches) => json!({ "oneOf": self.all(gen, branches) }),
            Node::AnyOf(branches) => json!({ "anyOf": self.all(gen, branches) }),
        }
    }

    /// The schemas of `nodes`.
    fn all(&self, gen: &mut SchemaGenerator, nodes: &[Node]) -> Vec<Value> {
        nodes.iter().map(|n| self.node(gen, n)).collect()
    }
}

/// `{"type": "string", "const": name}`: a tag's value.
fn string_const(name: &str) -> Value {
    json!({ "type": "string", "const": name })
}

/// The schema of the derived type told apart by `key` (its `type_name`) and named by `name`,
/// which `table` describes: for a named type the `$ref` to its definition, written the first
/// time with its `title` and `description`; for a transparent one its field's schema.
pub fn schema_by_key(
    gen: &mut SchemaGenerator,
    key: &'static str,
    name: fn() -> Cow<'static, str>,
    table: &'static Table,
    schemas: &[SchemaFn],
    values: &[ValueFn],
) -> Value {
    let build = Build { schemas, values };
    let m = table.manifest();
    if !m.named {
        return build.node(gen, &m.schema);
    }
    gen.named_by_key(key, &mut || name().into_owned(), &mut |gen| {
        let mut s = build.node(gen, &m.schema);
        keywords::annotate(&mut s, "title", Value::String(name().into_owned()));
        if let Some(d) = &m.schema_doc {
            keywords::annotate(&mut s, "description", Value::String(d.clone()));
        }
        s
    })
}

/// An `#[instructor(example = ..)]` value as JSON.
pub fn example<T: serde::Serialize>(value: T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn integer(_: &mut SchemaGenerator) -> Value {
        json!({ "type": "integer" })
    }

    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Point")
    }

    static POINT: Table = Table::new(
        r#"{"named": true, "schema_doc": "A point.", "schema": {"object": {"deny": true, "fields": [
            {"name": "x", "schema": 0, "doc": "Across.", "rules": [{"range": {"min": 0, "max": {"fn": 0}}}]},
            {"name": "y", "schema": 0, "optional": true, "examples": 1}
        ]}}}"#,
    );

    #[test]
    fn a_named_struct_is_interpreted_into_a_definition() {
        let mut gen = SchemaGenerator::new();
        let values: &[ValueFn] = &[|| json!(10), || json!([3])];
        let r = schema_by_key(&mut gen, "tests::Point", name, &POINT, &[integer], values);
        assert_eq!(r, json!({ "$ref": "#/$defs/Point" }));
        assert_eq!(
            gen.definitions()["Point"],
            json!({
                "type": "object",
                "properties": {
                    "x": { "type": "integer", "description": "Across.", "minimum": 0, "maximum": 10 },
                    "y": { "type": "integer", "examples": [3] }
                },
                "required": ["x"],
                "additionalProperties": false,
                "title": "Point",
                "description": "A point."
            })
        );
        // A second use is a reference to the same definition.
        let again = schema_by_key(&mut gen, "tests::Point", name, &POINT, &[integer], values);
        assert_eq!(again, r);
        assert_eq!(gen.definitions().len(), 1);
    }

    static TAGGED: Table = Table::new(
        r#"{"schema": {"one_of": [
            {"external": {"name": "Circle", "body": {"field": {"schema": 0}}}},
            {"described": {"doc": "Nothing.", "body": {"json": {"type": "string", "const": "Empty"}}}},
            {"tuple": [{"schema": 0}, {"schema": 0}]}
        ]}}"#,
    );

    #[test]
    fn variants_and_tuples_are_written_as_their_tagging_writes_them() {
        let mut gen = SchemaGenerator::new();
        let s = schema_by_key(&mut gen, "tests::Shape", name, &TAGGED, &[integer], &[]);
        assert_eq!(
            s,
            json!({ "oneOf": [
                {
                    "type": "object",
                    "properties": { "Circle": { "type": "integer" } },
                    "required": ["Circle"],
                    "additionalProperties": false
                },
                { "type": "string", "const": "Empty", "description": "Nothing." },
                {
                    "type": "array",
                    "prefixItems": [{ "type": "integer" }, { "type": "integer" }],
                    "minItems": 2,
                    "maxItems": 2
                }
            ] })
        );
        assert!(gen.definitions().is_empty());
    }

    #[test]
    fn an_example_is_serialized() {
        assert_eq!(example(("a", 1)), json!(["a", 1]));
    }
}
