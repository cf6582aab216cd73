//! Support for the code `#[derive(Instructor)]` writes. Not a public API.

pub use serde::de::DeserializeOwned;
pub use serde_json::{json, Map, Value};
pub use std::borrow::Cow;
pub use std::default::Default;
pub use std::fmt;
pub use std::option::Option::{self, None, Some};
pub use std::result::Result;
pub use std::string::String;
pub use std::sync::OnceLock;

pub use crate::instructor::{push_verbatim, PathSegment};
pub use crate::schema::keywords;
pub use crate::validation::ValidatorOutput;
pub use crate::{Instructor, JsonPath, SchemaGenerator, ToolSet, ValidationErrors};
pub use garde;

use crate::schema::keywords::LengthMode;
use crate::schema::ObjectSchema;

/// What a derived type's schema is made of, written by the derive as data (a `static` when
/// the type has no parameters) and turned into JSON by [`Node::build`]: one interpreter here
/// instead of the same code generated for every field of every type.
pub enum Node<'a> {
    /// A fixed schema, written as JSON text when the macro ran.
    Json(&'a str),
    /// An object: an internally tagged variant's `(tag, name)` first, then the fields;
    /// `deny` gives `additionalProperties: false`.
    Object {
        tag: Option<(&'a str, &'a str)>,
        fields: &'a [Field<'a>],
        deny: bool,
    },
    /// An internally tagged newtype variant: the tag, then the field's schema flattened.
    TaggedNewtype {
        tag: &'a str,
        name: &'a str,
        field: &'a Field<'a>,
    },
    /// One field's schema (a newtype, a transparent type).
    Field(&'a Field<'a>),
    /// A tuple: `prefixItems`, exactly as many items as fields.
    Tuple(&'a [Field<'a>]),
    /// An externally tagged variant: `{ name: body }`.
    External(&'a str, &'a Node<'a>),
    /// An adjacently tagged variant with content: `{ tag: name, content: body }`.
    Adjacent {
        tag: &'a str,
        content: &'a str,
        name: &'a str,
        body: &'a Node<'a>,
    },
    /// A variant's doc comment set as the `description` of its schema.
    Described(&'a str, &'a Node<'a>),
    /// `oneOf` the branches.
    OneOf(&'a [Node<'a>]),
    /// `anyOf` the branches.
    AnyOf(&'a [Node<'a>]),
}

/// A field as the derive describes it: its wire name, its type's schema, and what is added
/// to it (doc comment, examples, garde rules, in that order).
pub struct Field<'a> {
    name: &'a str,
    schema: fn(&mut SchemaGenerator) -> Value,
    required: bool,
    flatten: bool,
    description: Option<&'a str>,
    examples: Option<fn() -> Value>,
    rules: &'a [Rule<'a>],
}

impl<'a> Field<'a> {
    /// A required field named `name` on the wire, of the type whose schema `schema` writes.
    pub const fn new(name: &'a str, schema: fn(&mut SchemaGenerator) -> Value) -> Self {
        Self {
            name,
            schema,
            required: true,
            flatten: false,
            description: None,
            examples: None,
            rules: &[],
        }
    }
    /// The model may leave it out.
    pub const fn optional(mut self) -> Self {
        self.required = false;
        self
    }
    /// `#[serde(flatten)]`: merged into the parent object.
    pub const fn flatten(mut self) -> Self {
        self.flatten = true;
        self
    }
    /// The doc comment, as `description`.
    pub const fn doc(mut self, text: &'a str) -> Self {
        self.description = Some(text);
        self
    }
    /// `#[instructor(example = ..)]` values, as `examples`.
    pub const fn examples(mut self, examples: fn() -> Value) -> Self {
        self.examples = Some(examples);
        self
    }
    /// garde's rules, as keywords.
    pub const fn rules(mut self, rules: &'a [Rule<'a>]) -> Self {
        self.rules = rules;
        self
    }

    /// The field's schema with its annotations and rules (not flattened).
    fn build(&self, gen: &mut SchemaGenerator) -> Value {
        let mut s = (self.schema)(gen);
        if let Some(d) = self.description {
            keywords::annotate(&mut s, "description", Value::String(d.into()));
        }
        if let Some(examples) = self.examples {
            keywords::annotate(&mut s, "examples", examples());
        }
        apply_rules(&mut s, self.rules);
        s
    }
}

/// A garde rule the schema can carry, as the derive read it.
pub enum Rule<'a> {
    /// `length`: the unit, the bounds, and whether `ascii` makes bytes characters.
    Length(LengthMode, Option<u64>, Option<u64>, bool),
    /// `range`.
    Range(Option<Bound>, Option<Bound>),
    /// `pattern`, already in ECMA-262.
    Pattern(&'a str),
    /// `contains`.
    Contains(&'a str),
    /// `prefix`.
    Prefix(&'a str),
    /// `suffix`.
    Suffix(&'a str),
    /// `email`, `url`, ...: a `format`.
    Format(&'a str),
    /// `ip`.
    Ip,
    /// `ascii`.
    Ascii,
    /// `alphanumeric`.
    Alphanumeric,
    /// `inner(..)`: the rules of the elements.
    Inner(&'a [Rule<'a>]),
}

/// A `range` bound: a number read when the macro ran, or a constant serialized at run time.
pub enum Bound {
    /// An integer literal.
    Int(i64),
    /// An integer literal above `i64::MAX`.
    Uint(u64),
    /// A float literal.
    Float(f64),
    /// A constant.
    Json(fn() -> Value),
}

impl Bound {
    fn value(&self) -> Value {
        match self {
            Bound::Int(n) => Value::from(*n),
            Bound::Uint(n) => Value::from(*n),
            Bound::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
            Bound::Json(f) => f(),
        }
    }
}

fn apply_rules(s: &mut Value, rules: &[Rule<'_>]) {
    for rule in rules {
        match rule {
            Rule::Length(mode, min, max, ascii) => {
                keywords::length_rule(s, *mode, *min, *max, *ascii)
            }
            Rule::Range(min, max) => keywords::range(
                s,
                min.as_ref().map(Bound::value),
                max.as_ref().map(Bound::value),
            ),
            Rule::Pattern(p) => keywords::pattern(s, p),
            Rule::Contains(t) => keywords::pattern(s, &keywords::escape_regex(t)),
            Rule::Prefix(t) => keywords::pattern(s, &format!("^{}", keywords::escape_regex(t))),
            Rule::Suffix(t) => keywords::pattern(s, &format!("{}$", keywords::escape_regex(t))),
            Rule::Format(f) => keywords::format(s, f),
            Rule::Ip => keywords::ip(s),
            Rule::Ascii => keywords::pattern(s, "^[\\x00-\\x7F]*$"),
            // `\p{..}` is refused by outlines and ignored by llama.cpp, and an ASCII class
            // would be stricter than garde (which takes any Unicode letter): said in words.
            Rule::Alphanumeric => keywords::describe(s, "Letters and digits only."),
            Rule::Inner(inner) => keywords::inner(s, |t| apply_rules(t, inner)),
        }
    }
}

impl Node<'_> {
    /// The schema this node describes, registering nested types in `gen`.
    pub fn build(&self, gen: &mut SchemaGenerator) -> Value {
        match self {
            Node::Json(text) => serde_json::from_str(text).unwrap_or(Value::Null),
            Node::Object { tag, fields, deny } => {
                let mut obj = ObjectSchema::new();
                if let Some((tag, name)) = tag {
                    obj.property(tag, string_const(name), true);
                }
                for f in *fields {
                    if f.flatten {
                        let s = (f.schema)(gen);
                        obj.flatten(gen, &s, f.required);
                    } else {
                        let s = f.build(gen);
                        obj.property(f.name, s, f.required);
                    }
                }
                obj.build(*deny)
            }
            Node::TaggedNewtype { tag, name, field } => {
                let mut obj = ObjectSchema::new();
                obj.property(tag, string_const(name), true);
                let s = field.build(gen);
                obj.flatten(gen, &s, true);
                obj.build(false)
            }
            Node::Field(f) => f.build(gen),
            Node::Tuple(fields) => {
                let items: Vec<Value> = fields.iter().map(|f| f.build(gen)).collect();
                let n = items.len();
                json!({ "type": "array", "prefixItems": items, "minItems": n, "maxItems": n })
            }
            Node::External(name, body) => {
                let body = body.build(gen);
                let mut props = Map::new();
                props.insert((*name).into(), body);
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
                let body = body.build(gen);
                let mut props = Map::new();
                props.insert((*tag).into(), string_const(name));
                props.insert((*content).into(), body);
                json!({ "type": "object", "properties": props, "required": [tag, content] })
            }
            Node::Described(doc, body) => {
                let mut s = body.build(gen);
                keywords::annotate(&mut s, "description", Value::String((*doc).into()));
                s
            }
            Node::OneOf(branches) => json!({ "oneOf": build_all(branches, gen) }),
            Node::AnyOf(branches) => json!({ "anyOf": build_all(branches, gen) }),
        }
    }
}

fn build_all(nodes: &[Node<'_>], gen: &mut SchemaGenerator) -> Vec<Value> {
    nodes.iter().map(|n| n.build(gen)).collect()
}

fn string_const(name: &str) -> Value {
    json!({ "type": "string", "const": name })
}

/// The schema of a derived type `T`: the `$ref` to its definition, written from `body` with
/// its `title` and `description` the first time.
pub fn named<T: Instructor>(
    gen: &mut SchemaGenerator,
    description: Option<&str>,
    body: &Node<'_>,
) -> Value {
    named_by_key(
        gen,
        std::any::type_name::<T>(),
        T::schema_name,
        description,
        body,
    )
}

fn named_by_key(
    gen: &mut SchemaGenerator,
    key: &'static str,
    name: fn() -> Cow<'static, str>,
    description: Option<&str>,
    body: &Node<'_>,
) -> Value {
    gen.named_by_key(key, &mut || name().into_owned(), &mut |gen| {
        let mut s = body.build(gen);
        keywords::annotate(&mut s, "title", Value::String(name().into_owned()));
        if let Some(d) = description {
            keywords::annotate(&mut s, "description", Value::String(d.into()));
        }
        s
    })
}

/// A non-generic derived type's root schema, built once into its own `static`.
pub fn root_schema(cell: &'static OnceLock<Value>, build: fn() -> Value) -> &'static Value {
    cell.get_or_init(build)
}

/// `T`'s root schema (the `build` of [`root_schema`]).
pub fn build_root<T: Instructor>() -> Value {
    SchemaGenerator::root_schema_of(T::schema)
}

/// What [`validated`] and [`garde_errors`] ask of the value whose rules they report,
/// through one vtable per type, so that they are compiled once, not once per type. Made of
/// a reference (`&&T as &dyn Nested`), whose vtable drops nothing: a vtable of `T` itself
/// would compile `T`'s drop glue.
pub trait Nested {
    /// [`Instructor::validate_at`].
    fn validate_at(&self, path: &mut JsonPath, errors: &mut ValidationErrors, run_garde: bool);
    /// [`Instructor::json_path`].
    fn json_path(&self, rest: &[PathSegment<'_>], out: &mut JsonPath);
}

impl<T: Instructor> Nested for &T {
    fn validate_at(&self, path: &mut JsonPath, errors: &mut ValidationErrors, run_garde: bool) {
        Instructor::validate_at(*self, path, errors, run_garde);
    }
    fn json_path(&self, rest: &[PathSegment<'_>], out: &mut JsonPath) {
        Instructor::json_path(*self, rest, out);
    }
}

/// `validate_with` of a type that derives garde: the report of garde run with the caller's
/// context at the root, then what the value's fields hold.
pub fn validated(
    report: Result<(), garde::Report>,
    value: &dyn Nested,
) -> Result<(), ValidationErrors> {
    let mut errors = ValidationErrors::new();
    let mut path = JsonPath::root();
    garde_nested(report, value, &path, &mut errors);
    value.validate_at(&mut path, &mut errors, false);
    errors.into_result()
}

/// The errors of garde's report on a value found at `path`, if it failed.
pub fn garde_nested(
    report: Result<(), garde::Report>,
    value: &dyn Nested,
    path: &JsonPath,
    errors: &mut ValidationErrors,
) {
    if let Err(report) = report {
        garde_errors(value, report, path, errors);
    }
}

/// A partial companion's `Debug`: a struct named `name` with these fields.
pub fn debug_struct(
    f: &mut std::fmt::Formatter<'_>,
    name: &str,
    fields: &[(&str, FieldDebug<'_>)],
) -> std::fmt::Result {
    let mut d = f.debug_struct(name);
    for (name, value) in fields {
        d.field(name, value);
    }
    d.finish()
}

/// Adds the errors of a garde report on a value found at `base`, with paths translated to
/// the serde names the model sees.
pub fn garde_errors(
    value: &dyn Nested,
    report: garde::Report,
    base: &JsonPath,
    errors: &mut ValidationErrors,
) {
    for (path, error) in report.into_inner() {
        let segments: Vec<PathSegment<'_>> = path
            .__iter()
            .rev()
            .map(|(kind, c)| match kind {
                garde::error::Kind::Key => PathSegment::Key(c.as_str()),
                garde::error::Kind::Index => PathSegment::Index(c.as_str()),
                garde::error::Kind::None => PathSegment::Unnamed,
            })
            .collect();
        let mut out = base.clone();
        value.json_path(&segments, &mut out);
        errors.add(out.as_str(), error.message());
    }
}

/// Writes into `out` the partial value of the field found under one of `names` (its wire
/// name, then its aliases) in a partial object.
pub fn take_field<F: Instructor>(
    map: &mut Map<String, Value>,
    names: &[&str],
    out: &mut Option<F::Partial>,
) {
    *out = take_raw(map, names).and_then(F::partial_from_value);
}

/// Where a field sits in the JSON, for [`field_path`].
pub enum Push {
    /// Under a key (a named field).
    Key(&'static str),
    /// At an index (a tuple field).
    Index(usize),
    /// In place (a flattened field).
    Here,
}

/// `json_path` of a struct or of a variant's content, after `prefix` (where an externally
/// or adjacently tagged variant's content sits): the field garde named by its Rust name or
/// garde alias (one of `fields[i].0`) is written where it sits (`fields[i].1`). When that
/// field's type has paths of its own (`fields[i].2`), its index and the rest of the path
/// are returned for the caller to hand to it; otherwise the rest, like any path that names
/// no field, is copied as it is.
pub fn field_path<'r, 's>(
    rest: &'r [PathSegment<'s>],
    out: &mut JsonPath,
    prefix: Option<&str>,
    fields: &[(&[&str], Push, bool)],
) -> Option<(usize, &'r [PathSegment<'s>])> {
    if let Some(p) = prefix {
        out.push_key(p);
    }
    let found = match rest.split_first() {
        Some((PathSegment::Key(k) | PathSegment::Index(k), tail)) => fields
            .iter()
            .position(|(names, _, _)| names.contains(k))
            .map(|i| (i, tail)),
        _ => None,
    };
    let Some((i, tail)) = found else {
        push_verbatim(rest, out);
        return None;
    };
    let (_, push, nested) = &fields[i];
    match push {
        Push::Key(k) => {
            out.push_key(k);
        }
        Push::Index(n) => {
            out.push_index(*n);
        }
        Push::Here => {}
    }
    if *nested {
        return Some((i, tail));
    }
    push_verbatim(tail, out);
    None
}

/// The path inside a newtype, after `prefix` (see [`field_path`]): garde names the inner
/// value with an unnamed component, or none; the field of a newtype `variant` by its
/// position, `0`, which JSON does not have.
pub fn newtype_path<'r, 's>(
    rest: &'r [PathSegment<'s>],
    out: &mut JsonPath,
    prefix: Option<&str>,
    variant: bool,
) -> &'r [PathSegment<'s>] {
    if let Some(p) = prefix {
        out.push_key(p);
    }
    match rest.split_first() {
        Some((PathSegment::Unnamed, tail)) => tail,
        Some((PathSegment::Index("0") | PathSegment::Key("0"), tail)) if variant => tail,
        _ => rest,
    }
}

/// The raw JSON of the field found under one of `names` in a partial object: the partial
/// value of a field whose schema comes from `schema_with`, and what [`take_field`] reads.
#[inline(never)]
pub fn take_raw(map: &mut Map<String, Value>, names: &[&str]) -> Option<Value> {
    names.iter().find_map(|n| map.remove(*n))
}

/// An `#[instructor(example = ..)]` value as JSON.
pub fn example<T: serde::Serialize>(value: T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// The partial form of an enum of unit variants named `names` on the wire: the index of the
/// variant the value names, read as `serde_json::from_value` reads such an enum (the string
/// `"name"`, or `{"name": null}`), without instantiating its `Deserialize` for `Value`.
pub fn unit_variant(value: Value, names: &[&str]) -> Option<usize> {
    let name = match value {
        Value::String(name) => name,
        Value::Object(map) if map.len() == 1 => {
            let (name, content) = map.into_iter().next()?;
            if !content.is_null() {
                return None;
            }
            name
        }
        _ => return None,
    };
    names.iter().position(|n| *n == name)
}

/// The partial form of a value that is only shown once complete (enums, tuple structs).
pub fn whole<T: serde::de::DeserializeOwned>(value: Value) -> Option<T> {
    serde_json::from_value(value).ok()
}

/// A partial companion's field, printed with its `Debug` when it has one and as its type name
/// otherwise (autoref specialization: `DebugViaTrait` is found first when it applies).
pub struct DebugField<'a, T>(pub &'a T);

/// What `debug_field` returns: the field's `Debug`, or its type's name.
pub enum FieldDebug<'a> {
    /// The field's own `Debug`.
    Debug(&'a dyn std::fmt::Debug),
    /// The type has no `Debug`.
    Opaque(&'static str),
}

impl std::fmt::Debug for FieldDebug<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FieldDebug::Debug(d) => d.fmt(f),
            FieldDebug::Opaque(name) => write!(f, "<{name}>"),
        }
    }
}

/// Picked when the field is `Debug`.
pub trait DebugViaTrait {
    /// The field's `Debug`.
    fn debug_field(&self) -> FieldDebug<'_>;
}

impl<T: std::fmt::Debug> DebugViaTrait for DebugField<'_, T> {
    fn debug_field(&self) -> FieldDebug<'_> {
        FieldDebug::Debug(self.0)
    }
}

/// Picked otherwise.
pub trait DebugViaName {
    /// The field's type name.
    fn debug_field(&self) -> FieldDebug<'_>;
}

impl<T> DebugViaName for &DebugField<'_, T> {
    fn debug_field(&self) -> FieldDebug<'_> {
        FieldDebug::Opaque(std::any::type_name::<T>())
    }
}

/// Looks up `T`'s request pieces for `mode` as every request does (for the benchmarks);
/// `true` when its answer is asked for inside the `{"value": ..}` wrapper.
pub fn spec_lookup<T: Instructor>(mode: crate::Mode) -> bool {
    crate::mode::spec_for::<T>(mode, crate::Prompting::default()).wrapped
}
