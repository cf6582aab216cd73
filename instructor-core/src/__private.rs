//! Support for the code `#[derive(Instructor)]` writes. Not a public API.
//!
//! The derive describes each type once, as data: a [`Table`], a `static` holding a JSON
//! manifest the macro wrote (the type's schema as a tree, the Rust, garde and serde names of
//! its fields, the keys its partial companion reads). What is the same for every type is
//! code here, compiled once, that reads the manifest: building the schema, turning garde's
//! paths into JSON paths, walking the nested values to validate them, reading partial
//! values, printing the partial companion. The derive writes only what has to name the
//! type's own fields and field types: the schema functions of the field types, a
//! `take::<FieldType>` per field of the partial companion, and [`Instructor::__visit`],
//! which hands the values of the fields that may hold rules to a [`Visitor`].
//!
//! Why: a derive's output is parsed, resolved, lowered, checked and tracked by the
//! incremental dep graph in every crate that derives it, on every build of that crate; code
//! here is compiled once (`scripts/derive-cost`, docs/performance.md "Derive cost").
//!
//! The manifest is read on first use and kept in the `static` (one `OnceLock`); the
//! derive and this module are released together, and a manifest this module cannot read is
//! a bug, reported by a panic that names it.

use std::sync::OnceLock;

use serde::Deserialize;

pub use serde::de::DeserializeOwned;
pub use serde_json::{json, Map, Value};
pub use std::borrow::Cow;
pub use std::default::Default;
pub use std::fmt;
pub use std::option::Option::{self, None, Some};
pub use std::result::Result;
pub use std::string::String;

pub use crate::instructor::{push_verbatim, PathSegment};
pub use crate::schema::keywords;
pub use crate::validation::ValidatorOutput;
pub use crate::{Example, Instructor, JsonPath, SchemaGenerator, ToolSet, ValidationErrors};
pub use garde;

use crate::schema::keywords::LengthMode;
use crate::schema::ObjectSchema;

/// A field type's schema function (`<T as Instructor>::schema`), or a `schema_with` path.
pub type SchemaFn = fn(&mut SchemaGenerator) -> Value;

/// A value computed at run time: `#[instructor(example = ..)]` values, a constant used as a
/// garde bound.
pub type ValueFn = fn() -> Value;

// ---------------------------------------------------------------------------------------
// The table

/// What the derive knows about a type, as a JSON manifest read on first use. A `static` per
/// derived type, the same for every instance of a generic one (it names no type).
pub struct Table {
    text: &'static str,
    manifest: OnceLock<Manifest>,
    /// The root schema of a type without parameters (see [`Table::root_schema`]).
    root: OnceLock<Value>,
}

impl Table {
    /// The table of the manifest `text`.
    pub const fn new(text: &'static str) -> Self {
        Table {
            text,
            manifest: OnceLock::new(),
            root: OnceLock::new(),
        }
    }

    fn manifest(&self) -> &Manifest {
        self.manifest
            .get_or_init(|| match serde_json::from_str(self.text) {
                Ok(m) => m,
                Err(e) => panic!(
                    "instructor: a manifest written by #[derive(Instructor)] of another version \
                 ({e}): {}",
                    self.text
                ),
            })
    }

    /// The type's doc comment ([`Instructor::description`]).
    pub fn doc(&'static self) -> Option<&'static str> {
        self.manifest().doc.as_deref()
    }

    /// The type's name in schemas ([`Instructor::schema_name`]), when it has no parameters.
    pub fn name(&'static self) -> Option<&'static str> {
        self.manifest().name.as_deref()
    }

    /// [`Instructor::json_schema`] of `T`, the type this table describes: in the table for a
    /// type without parameters, in the global cache for the instances of a generic one.
    pub fn root_schema<T: Instructor>(&'static self) -> &'static Value {
        if self.manifest().generic {
            return crate::schema::cached_root_schema::<T>();
        }
        self.root
            .get_or_init(|| SchemaGenerator::root_schema_of(T::schema))
    }
}

#[derive(Deserialize)]
struct Manifest {
    /// The doc comment.
    #[serde(default)]
    doc: Option<String>,
    /// The name in schemas, for a type without parameters (a generic type's names them).
    #[serde(default)]
    name: Option<String>,
    /// The type has parameters: its schema depends on them.
    #[serde(default)]
    generic: bool,
    /// Registered under `$defs` (every type but a transparent one), with this description
    /// (the doc comment, and for an enum of strings the docs of its values).
    #[serde(default)]
    named: bool,
    #[serde(default)]
    schema_doc: Option<String>,
    schema: Node,
    /// The type derives garde: its rules already ran on the nested values it dives into.
    #[serde(default)]
    garde: bool,
    /// Per variant (a struct has one): where its content sits, its fields' names.
    #[serde(default)]
    paths: Vec<Paths>,
    /// The partial companion's fields, when it has one.
    #[serde(default)]
    partial: Vec<PartialField>,
}

// ---------------------------------------------------------------------------------------
// The schema

/// The schema as a tree: struct bodies are objects, variants are wrapped as their tagging
/// writes them; what is fixed when the macro ran (an enum of strings) is JSON already.
#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum Node {
    /// A fixed schema.
    Json(Value),
    /// An object: an internally tagged variant's `(tag, name)` first, then the fields;
    /// `deny` gives `additionalProperties: false`.
    Object {
        #[serde(default)]
        tag: Option<(String, String)>,
        fields: Vec<Field>,
        #[serde(default)]
        deny: bool,
    },
    /// An internally tagged newtype variant: the tag, then the field's schema flattened.
    TaggedNewtype {
        tag: String,
        name: String,
        field: Field,
    },
    /// One field's schema (a newtype, a transparent type).
    Field(Field),
    /// A tuple: `prefixItems`, exactly as many items as fields.
    Tuple(Vec<Field>),
    /// An externally tagged variant: `{ name: body }`.
    External { name: String, body: Box<Node> },
    /// An adjacently tagged variant with content: `{ tag: name, content: body }`.
    Adjacent {
        tag: String,
        content: String,
        name: String,
        body: Box<Node>,
    },
    /// A variant's doc comment set as the `description` of its schema.
    Described { doc: String, body: Box<Node> },
    /// `oneOf` the branches.
    OneOf(Vec<Node>),
    /// `anyOf` the branches.
    AnyOf(Vec<Node>),
}

/// A field: its wire name, its type's schema (an index into the schema functions the
/// derived `schema` passes), and what is added to it (doc comment, examples, garde rules,
/// in that order).
#[derive(Deserialize)]
struct Field {
    #[serde(default)]
    name: String,
    schema: usize,
    #[serde(default)]
    optional: bool,
    #[serde(default)]
    flatten: bool,
    #[serde(default)]
    doc: Option<String>,
    /// An index into the value functions.
    #[serde(default)]
    examples: Option<usize>,
    #[serde(default)]
    rules: Vec<Rule>,
}

/// A garde rule the schema can carry, as the derive read it.
#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum Rule {
    /// `length`: the unit, the bounds, and whether `ascii` makes bytes characters.
    Length {
        mode: Mode,
        #[serde(default)]
        min: Option<Bound>,
        #[serde(default)]
        max: Option<Bound>,
        #[serde(default)]
        ascii: bool,
    },
    /// `range`.
    Range {
        #[serde(default)]
        min: Option<Bound>,
        #[serde(default)]
        max: Option<Bound>,
    },
    /// `pattern`, already in ECMA-262.
    Pattern(String),
    Contains(String),
    Prefix(String),
    Suffix(String),
    /// `email`, `url`, ...: a `format`.
    Format(String),
    Ip,
    Ascii,
    Alphanumeric,
    /// `inner(..)`: the rules of the elements.
    Inner(Vec<Rule>),
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum Mode {
    Bytes,
    Chars,
    Graphemes,
    Utf16,
}

/// A bound: a number read when the macro ran, or a constant serialized at run time (an
/// index into the value functions).
#[derive(Deserialize)]
#[serde(untagged)]
enum Bound {
    Fn {
        #[serde(rename = "fn")]
        index: usize,
    },
    Number(serde_json::Number),
}

/// What a schema is built from: the manifest's tree, the derived `schema`'s functions.
struct Build<'a> {
    schemas: &'a [SchemaFn],
    values: &'a [ValueFn],
}

impl Build<'_> {
    fn bound(&self, b: &Bound) -> Value {
        match b {
            Bound::Number(n) => Value::Number(n.clone()),
            Bound::Fn { index } => self.values[*index](),
        }
    }

    fn length(&self, b: &Option<Bound>) -> Option<u64> {
        b.as_ref().and_then(|b| self.bound(b).as_u64())
    }

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

    fn all(&self, gen: &mut SchemaGenerator, nodes: &[Node]) -> Vec<Value> {
        nodes.iter().map(|n| self.node(gen, n)).collect()
    }
}

fn string_const(name: &str) -> Value {
    json!({ "type": "string", "const": name })
}

/// [`Instructor::schema`] of the derived type `T`: for a named type the `$ref` to its
/// definition, written the first time with its `title` and `description`; for a
/// transparent one its field's schema. `schemas` and `values`: what the manifest's indices
/// point at.
pub fn schema<T: Instructor>(
    gen: &mut SchemaGenerator,
    table: &'static Table,
    schemas: &[SchemaFn],
    values: &[ValueFn],
) -> Value {
    schema_by_key(
        gen,
        std::any::type_name::<T>(),
        T::schema_name,
        table,
        &Build { schemas, values },
    )
}

fn schema_by_key(
    gen: &mut SchemaGenerator,
    key: &'static str,
    name: fn() -> Cow<'static, str>,
    table: &'static Table,
    build: &Build<'_>,
) -> Value {
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

// ---------------------------------------------------------------------------------------
// Validation and garde's paths

/// Where a field sits in the JSON.
#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum Push {
    /// Under a key (a named field).
    Key(String),
    /// At an index (a tuple field).
    Index(usize),
    /// In place (a flattened field).
    Here,
}

impl Push {
    fn write(&self, path: &mut JsonPath) -> usize {
        match self {
            Push::Key(k) => path.push_key(k),
            Push::Index(n) => path.push_index(*n),
            Push::Here => path.as_str().len(),
        }
    }
}

/// A struct body or a variant's.
#[derive(Deserialize)]
struct Paths {
    /// Where the content sits: under the variant's name (external tagging) or the content
    /// key (adjacent); in place otherwise.
    #[serde(default)]
    prefix: Option<String>,
    /// A newtype or a transparent struct: paths go through to the one field.
    #[serde(default)]
    newtype: bool,
    /// An enum's variant: garde names a newtype variant's field `0`.
    #[serde(default)]
    variant: bool,
    /// The fields garde may name (not those whose schema comes from `schema_with`, which
    /// keep garde's names).
    #[serde(default)]
    fields: Vec<PathField>,
}

#[derive(Deserialize)]
struct PathField {
    /// The Rust name, then the garde alias.
    names: Vec<String>,
    /// Where it sits; none: under its Rust name.
    #[serde(default)]
    push: Option<Push>,
    /// Its index among the nested values [`Instructor::__visit`] hands out, when its type may
    /// hold rules and paths of its own.
    #[serde(default)]
    nested: Option<usize>,
}

impl PathField {
    /// Writes where the field sits into `path`; returns the length to truncate back to.
    fn write(&self, path: &mut JsonPath) -> usize {
        match &self.push {
            Some(push) => push.write(path),
            None => path.push_key(self.names.first().map_or("", String::as_str)),
        }
    }
}

/// What [`Instructor::__visit`] hands its value to: [`Instructor::validate_at`]'s and
/// [`Instructor::json_path`]'s defaults.
pub trait Visitor {
    /// A value of a derived type: the type's table, which of `paths` it is (0 for a struct),
    /// its garde rules when they run with the default context, and the values of its fields
    /// whose types may hold rules, in the order of the manifest's `nested` indices.
    fn visit(
        &mut self,
        table: &'static Table,
        variant: usize,
        garde: Option<&dyn Garde>,
        nested: &[&dyn Nested],
    );
}

/// What [`validated`] and [`garde_errors`] ask of the value whose rules they report,
/// through one vtable per type, so that they are compiled once, not once per type. Made of
/// a reference (`&&T as &dyn Nested`), whose vtable drops nothing: a vtable of `T` itself
/// would compile `T`'s drop glue.
#[diagnostic::on_unimplemented(
    message = "a field's type cannot be described to a model: it does not implement `Instructor`",
    label = "a field's type has no JSON Schema (see the error at the field)"
)]
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

/// A value's garde rules, run with the default context (`&&T as &dyn Garde`).
pub trait Garde {
    /// garde's report.
    fn report(&self) -> Result<(), garde::Report>;
    /// The value, to translate the report's paths.
    fn value(&self) -> &dyn Nested;
}

impl<T: garde::Validate + Instructor> Garde for &T
where
    <T as garde::Validate>::Context: Default,
{
    fn report(&self) -> Result<(), garde::Report> {
        garde::Validate::validate_with(*self, &Default::default())
    }
    fn value(&self) -> &dyn Nested {
        self
    }
}

/// Which parts of [`validate_visit`] run: a type with `#[instructor(validate = ..)]`
/// functions runs its garde rules, then those, then its fields.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// garde, then the fields.
    All,
    /// garde only.
    Garde,
    /// The fields only.
    Fields,
}

struct Validate<'a> {
    path: &'a mut JsonPath,
    errors: &'a mut ValidationErrors,
    run_garde: bool,
    phase: Phase,
}

impl Visitor for Validate<'_> {
    fn visit(
        &mut self,
        table: &'static Table,
        variant: usize,
        garde: Option<&dyn Garde>,
        nested: &[&dyn Nested],
    ) {
        if self.run_garde && self.phase != Phase::Fields {
            if let Some(g) = garde {
                garde_nested(g.report(), g.value(), self.path, self.errors);
            }
        }
        if self.phase == Phase::Garde || nested.is_empty() {
            return;
        }
        let m = table.manifest();
        let Some(p) = m.paths.get(variant) else {
            return;
        };
        let child_garde = !m.garde;
        let len = self.path.as_str().len();
        if let Some(prefix) = &p.prefix {
            self.path.push_key(prefix);
        }
        for f in &p.fields {
            let Some(value) = f.nested.and_then(|k| nested.get(k)) else {
                continue;
            };
            if p.newtype {
                value.validate_at(self.path, self.errors, child_garde);
            } else {
                let len = f.write(self.path);
                value.validate_at(self.path, self.errors, child_garde);
                self.path.truncate(len);
            }
        }
        self.path.truncate(len);
    }
}

/// [`Instructor::validate_at`]'s default: garde (unless the caller ran it already), then
/// the nested values, of a value whose [`Instructor::__visit`] hands them out.
pub fn validate_visit<T: Instructor>(
    value: &T,
    path: &mut JsonPath,
    errors: &mut ValidationErrors,
    run_garde: bool,
    phase: Phase,
) {
    value.__visit(&mut Validate {
        path,
        errors,
        run_garde,
        phase,
    });
}

struct Translate<'a, 'r, 's> {
    rest: &'r [PathSegment<'s>],
    out: &'a mut JsonPath,
    done: bool,
}

impl Visitor for Translate<'_, '_, '_> {
    fn visit(
        &mut self,
        table: &'static Table,
        variant: usize,
        _: Option<&dyn Garde>,
        nested: &[&dyn Nested],
    ) {
        self.done = true;
        let (rest, out) = (self.rest, &mut *self.out);
        let Some(p) = table.manifest().paths.get(variant) else {
            return push_verbatim(rest, out);
        };
        // A path into the content (not one at the value itself) goes under its prefix.
        if !rest.is_empty() {
            if let Some(key) = &p.prefix {
                out.push_key(key);
            }
        }
        if p.newtype {
            // garde names the inner value with an unnamed component, or none; the field of
            // a newtype variant by its position, `0`, which JSON does not have.
            let rest = match rest.split_first() {
                Some((PathSegment::Unnamed, tail)) => tail,
                Some((PathSegment::Index("0") | PathSegment::Key("0"), tail)) if p.variant => tail,
                _ => rest,
            };
            return match p.fields.first().and_then(|f| f.nested) {
                Some(k) => nested[k].json_path(rest, out),
                None => push_verbatim(rest, out),
            };
        }
        // The field garde named, by its Rust name or garde alias, written where it sits;
        // the rest for its type to translate, or copied as it is.
        let found = match rest.split_first() {
            Some((PathSegment::Key(k) | PathSegment::Index(k), tail)) => p
                .fields
                .iter()
                .find(|f| f.names.iter().any(|n| n == k))
                .map(|f| (f, tail)),
            _ => None,
        };
        let Some((f, tail)) = found else {
            return push_verbatim(rest, out);
        };
        f.write(out);
        match f.nested {
            Some(k) => nested[k].json_path(tail, out),
            None => push_verbatim(tail, out),
        }
    }
}

/// [`Instructor::json_path`]'s default: the translation the value's
/// [`Instructor::__visit`] gives, or the path as it is.
pub fn translate<T: Instructor>(value: &T, rest: &[PathSegment<'_>], out: &mut JsonPath) {
    let mut t = Translate {
        rest,
        out,
        done: false,
    };
    value.__visit(&mut t);
    if !t.done {
        push_verbatim(rest, out);
    }
}

/// `validate_with` of a type that derives garde with a context: the report of garde run
/// with the caller's context at the root, then what the value's fields hold.
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

// ---------------------------------------------------------------------------------------
// The partial companion

/// A field of the partial companion.
#[derive(Deserialize)]
struct PartialField {
    /// Its Rust name (what `Debug` prints).
    rust: String,
    /// Its wire name, then its aliases; none: its Rust name alone.
    #[serde(default)]
    keys: Option<Vec<String>>,
}

/// A partial object being read into a companion: the body of `__read`, which the derive
/// writes for a named struct, one `take` per field.
///
/// The same function gives the type's schema: a reader made by [`schema_of`] reads nothing
/// and records instead, for each field, the schema function of the type its `take` names
/// (and the values computed at run time the body hands to [`Reader::values`]). So each
/// field's type is named once in the generated code, for both jobs.
pub struct Reader {
    map: Map<String, Value>,
    fields: &'static [PartialField],
    /// Set when the reader records the fields' schema sources instead of reading.
    sources: Option<Box<Recorded>>,
}

/// What a recording reader collected: the fields' schema functions, by field index, and the
/// values the manifest's indices point at.
struct Recorded {
    schemas: Vec<SchemaFn>,
    values: Vec<ValueFn>,
}

impl Reader {
    /// `value` as an object, read by the fields of `table`'s companion; `None` when it is
    /// not an object.
    pub fn new(value: Value, table: &'static Table) -> Option<Self> {
        let Value::Object(map) = value else {
            return None;
        };
        Some(Reader {
            map,
            fields: &table.manifest().partial,
            sources: None,
        })
    }

    /// What is left of the object: a flattened field's partial value is read from it.
    pub fn rest(&self) -> Value {
        Value::Object(self.map.clone())
    }

    /// The values computed at run time that the schema's tree points at (examples,
    /// constants used as bounds): kept by a recording reader, ignored by the others.
    #[inline]
    pub fn values(&mut self, values: &[ValueFn]) {
        if let Some(rec) = &mut self.sources {
            rec.values = values.to_vec();
        }
    }

    /// When recording: keeps `schema` as the `i`-th field's and returns true (nothing is
    /// read).
    #[inline]
    fn record(&mut self, i: usize, schema: SchemaFn) -> bool {
        match &mut self.sources {
            Some(rec) => {
                if let Some(slot) = rec.schemas.get_mut(i) {
                    *slot = schema;
                }
                true
            }
            None => false,
        }
    }
}

/// The schema of a derived named struct `T`: its `__read` run by a recording reader, then
/// [`schema`] with what it recorded ([`Instructor::schema`]'s default).
pub fn schema_of<T: Instructor>(gen: &mut SchemaGenerator) -> Value {
    let Some(table) = T::__table() else {
        panic!(
            "instructor: `{}` implements `Instructor` by hand and must write `schema`",
            std::any::type_name::<T>()
        );
    };
    let fields = &table.manifest().partial;
    let mut r = Reader {
        map: Map::new(),
        fields,
        sources: Some(Box::new(Recorded {
            schemas: vec![unrecorded as SchemaFn; fields.len()],
            values: Vec::new(),
        })),
    };
    T::__read(&mut r);
    let rec = r.sources.unwrap_or_else(|| unreachable!("set above"));
    schema::<T>(gen, table, &rec.schemas, &rec.values)
}

/// A field whose `take` did not record its schema (none: every field's `take` records).
fn unrecorded(_: &mut SchemaGenerator) -> Value {
    Value::Object(Map::new())
}

/// The partial form of a derived named struct `T`: its `__read` over `value`
/// ([`Instructor::partial_from_value`]'s default).
#[inline]
pub fn read<T: Instructor>(value: Value) -> Option<T::Partial> {
    let mut r = Reader::new(value, T::__table()?)?;
    T::__read(&mut r)
}

/// The raw JSON of the `i`-th field, found under its wire name or an alias.
#[inline(never)]
fn take_json(r: &mut Reader, i: usize) -> Option<Value> {
    let field = r.fields.get(i)?;
    match &field.keys {
        Some(keys) => keys.iter().find_map(|k| r.map.remove(k)),
        None => r.map.remove(&field.rust),
    }
}

/// The partial value of the `i`-th field, of type `F`.
#[inline]
pub fn take<F: Instructor>(r: &mut Reader, i: usize) -> Option<F::Partial> {
    if r.record(i, F::schema) {
        return None;
    }
    take_json(r, i).and_then(F::partial_from_value)
}

/// [`take`] for a field of type `Option<F>` that the model may set to `null`: its schema
/// is `Option<F>`'s.
#[inline]
pub fn take_nullable<F: Instructor>(r: &mut Reader, i: usize) -> Option<F::Partial> {
    if r.record(i, <Option<F>>::schema) {
        return None;
    }
    take_json(r, i).and_then(F::partial_from_value)
}

/// A flattened field (the `i`-th), of type `F`: read from the whole object.
#[inline]
pub fn take_flat<F: Instructor>(r: &mut Reader, i: usize) -> Option<F::Partial> {
    if r.record(i, F::schema) {
        return None;
    }
    F::partial_from_value(r.rest())
}

/// The raw JSON of the `i`-th field, whose schema comes from `schema_with` (`schema`).
#[inline]
pub fn take_raw(r: &mut Reader, i: usize, schema: SchemaFn) -> Option<Value> {
    if r.record(i, schema) {
        return None;
    }
    take_json(r, i)
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

/// A partial companion's `Debug`: a struct named `name` with the companion's fields of
/// `table`, whose values are `values`.
pub fn debug_partial(
    f: &mut std::fmt::Formatter<'_>,
    name: &str,
    table: &'static Table,
    values: &[FieldDebug<'_>],
) -> std::fmt::Result {
    let mut d = f.debug_struct(name);
    for (field, value) in table.manifest().partial.iter().zip(values) {
        d.field(&field.rust, value);
    }
    d.finish()
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
