//! The manifest: what `#[derive(Instructor)]` knows about a type, written as JSON text into
//! a `static` [`Table`] of the type and read here on first use. The format of that text is
//! defined in this file and nowhere else on this side; [`MANIFEST_VERSION`] is its number,
//! which the derive's output checks against its own at compile time ([`ManifestFormat`]).
//!
//! The parts: the schema as a tree ([`Node`], read by `build.rs`), where each field sits in
//! the JSON for validation paths ([`Paths`], read by `visit.rs`), and the fields of the
//! partial companion ([`PartialField`], read by `partial.rs` and `debug.rs`).

use std::sync::OnceLock;

use serde::Deserialize;
use serde_json::Value;

use super::SchemaFn;
use crate::schema::SchemaGenerator;
use crate::validation::JsonPath;

/// The number of the manifest format this crate reads. The derive writes the number of the
/// format it writes into every derived type's code (`ManifestFormat::<N>::CHECK`), so a
/// derive and a core that do not agree fail to compile, with the fix in the message.
pub const MANIFEST_VERSION: u32 = 1;

/// The derive's check that it writes the manifest format this crate reads: the derive's
/// output evaluates `ManifestFormat::<N>::CHECK` with `N` the format it writes, and the
/// compiler reports a mismatch as the failed evaluation of
/// `instructor::__private::ManifestFormat::<N>::CHECK`, naming `N`, with the message below.
pub struct ManifestFormat<const N: u32>;

impl<const N: u32> ManifestFormat<N> {
    /// Fails to compile unless `N` is [`MANIFEST_VERSION`].
    pub const CHECK: () = assert!(
        N == MANIFEST_VERSION,
        concat!(
            "instructor-derive and instructor-core must be the same version: this \
             instructor-core (",
            env!("CARGO_PKG_VERSION"),
            ") reads manifest format 1, and the derive wrote format N of \
             `ManifestFormat::<N>`; depend on the same release of `instructor-derive` and \
             `instructor-core` (or on the `instructor` crate alone)"
        )
    );
}

// The message above names the format by hand (a `concat!` cannot read a constant).
const _: () = assert!(
    MANIFEST_VERSION == 1,
    "say the new format in ManifestFormat::CHECK's message"
);

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

    /// The manifest, read on first use.
    pub(super) fn manifest(&self) -> &Manifest {
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

    /// The type's doc comment ([`Instructor::description`](crate::Instructor::description)).
    pub fn doc(&'static self) -> Option<&'static str> {
        self.manifest().doc.as_deref()
    }

    /// The type's name in schemas ([`Instructor::schema_name`](crate::Instructor::schema_name)), when it has no parameters.
    pub fn name(&'static self) -> Option<&'static str> {
        self.manifest().name.as_deref()
    }

    /// [`Instructor::json_schema`](crate::Instructor::json_schema) of the type this table describes, whose schema function
    /// is `schema`: kept in the table for a type without parameters; for the instances of a
    /// generic one, `cached` answers (the global cache, keyed by the instance).
    pub fn root_schema(
        &'static self,
        schema: SchemaFn,
        cached: fn() -> &'static Value,
    ) -> &'static Value {
        if self.manifest().generic {
            return cached();
        }
        self.root
            .get_or_init(|| SchemaGenerator::root_schema_of(schema))
    }
}

/// The manifest as the derive writes it (see the module documentation).
#[derive(Deserialize)]
pub(super) struct Manifest {
    /// The doc comment.
    pub(super) doc: Option<String>,
    /// The name in schemas, for a type without parameters (a generic type's names them).
    pub(super) name: Option<String>,
    /// The type has parameters: its schema depends on them.
    #[serde(default)]
    pub(super) generic: bool,
    /// Registered under `$defs` (every type but a transparent one), with this description
    /// (the doc comment, and for an enum of strings the docs of its values).
    #[serde(default)]
    pub(super) named: bool,
    /// The description of the definition.
    pub(super) schema_doc: Option<String>,
    /// The schema, as a tree.
    pub(super) schema: Node,
    /// The type derives garde: its rules already ran on the nested values it dives into.
    #[serde(default)]
    pub(super) garde: bool,
    /// Per variant (a struct has one): where its content sits, its fields' names.
    #[serde(default)]
    pub(super) paths: Vec<Paths>,
    /// The partial companion's fields, when it has one.
    #[serde(default)]
    pub(super) partial: Vec<PartialField>,
}

// ---------------------------------------------------------------------------------------
// The schema

/// The schema as a tree: struct bodies are objects, variants are wrapped as their tagging
/// writes them; what is fixed when the macro ran (an enum of strings) is JSON already.
#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum Node {
    /// A fixed schema.
    Json(Value),
    /// An object: an internally tagged variant's `(tag, name)` first, then the fields;
    /// `deny` gives `additionalProperties: false`.
    Object {
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
pub(super) struct Field {
    /// The wire name (none for a newtype's or a tuple's field).
    #[serde(default)]
    pub(super) name: String,
    /// An index into the schema functions.
    pub(super) schema: usize,
    /// The model may leave it out.
    #[serde(default)]
    pub(super) optional: bool,
    /// `#[serde(flatten)]`: its properties join the object's.
    #[serde(default)]
    pub(super) flatten: bool,
    /// The doc comment.
    pub(super) doc: Option<String>,
    /// An index into the value functions.
    pub(super) examples: Option<usize>,
    /// The garde rules the schema carries.
    #[serde(default)]
    pub(super) rules: Vec<Rule>,
}

/// A garde rule the schema can carry, as the derive read it.
#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum Rule {
    /// `length`: the unit, the bounds, and whether `ascii` makes bytes characters.
    Length {
        mode: Mode,
        min: Option<Bound>,
        max: Option<Bound>,
        #[serde(default)]
        ascii: bool,
    },
    /// `range`.
    Range {
        min: Option<Bound>,
        max: Option<Bound>,
    },
    /// `pattern`, already in ECMA-262.
    Pattern(String),
    /// `contains`: the text, anywhere.
    Contains(String),
    /// `prefix`: the text the value starts with.
    Prefix(String),
    /// `suffix`: the text the value ends with.
    Suffix(String),
    /// `email`, `url`, ...: a `format`.
    Format(String),
    /// `ip`: an IPv4 or IPv6 address.
    Ip,
    /// `ascii`.
    Ascii,
    /// `alphanumeric`.
    Alphanumeric,
    /// `inner(..)`: the rules of the elements.
    Inner(Vec<Rule>),
}

/// What a `length` rule counts.
#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub(super) enum Mode {
    /// UTF-8 bytes.
    Bytes,
    /// Unicode scalar values.
    Chars,
    /// Grapheme clusters.
    Graphemes,
    /// UTF-16 code units.
    Utf16,
}

/// A bound: a number read when the macro ran, or a constant serialized at run time (an
/// index into the value functions).
#[derive(Deserialize)]
#[serde(untagged)]
pub(super) enum Bound {
    /// A constant, serialized by the value function at `index`.
    Fn {
        /// An index into the value functions.
        #[serde(rename = "fn")]
        index: usize,
    },
    /// A number written by the macro.
    Number(serde_json::Number),
}

// ---------------------------------------------------------------------------------------
// Validation paths

/// Where a field sits in the JSON.
#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum Push {
    /// Under a key (a named field).
    Key(String),
    /// At an index (a tuple field).
    Index(usize),
    /// In place (a flattened field).
    Here,
}

impl Push {
    /// Writes where the field sits into `path`; returns the length to truncate back to.
    fn write(&self, path: &mut JsonPath) -> usize {
        match self {
            Push::Key(k) => path.push_key(k),
            Push::Index(n) => path.push_index(*n),
            Push::Here => path.as_str().len(),
        }
    }
}

/// A struct body or a variant's. Every field may be left out.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Paths {
    /// Where the content sits: under the variant's name (external tagging) or the content
    /// key (adjacent); in place otherwise.
    pub(super) prefix: Option<String>,
    /// A newtype or a transparent struct: paths go through to the one field.
    pub(super) newtype: bool,
    /// An enum's variant: garde names a newtype variant's field `0`.
    pub(super) variant: bool,
    /// The fields garde may name (not those whose schema comes from `schema_with`, which
    /// keep garde's names).
    pub(super) fields: Vec<PathField>,
}

/// A field garde may name in a path.
#[derive(Deserialize)]
pub(super) struct PathField {
    /// The Rust name, then the garde alias.
    pub(super) names: Vec<String>,
    /// Where it sits; none: under its Rust name.
    pub(super) push: Option<Push>,
    /// Its index among the nested values [`Instructor::__visit`](crate::Instructor::__visit) hands out, when its type may
    /// hold rules and paths of its own.
    pub(super) nested: Option<usize>,
}

impl PathField {
    /// Writes where the field sits into `path`; returns the length to truncate back to.
    pub(super) fn write(&self, path: &mut JsonPath) -> usize {
        match &self.push {
            Some(push) => push.write(path),
            None => path.push_key(self.names.first().map_or("", String::as_str)),
        }
    }
}

// ---------------------------------------------------------------------------------------
// The partial companion

/// A field of the partial companion.
#[derive(Deserialize)]
pub(super) struct PartialField {
    /// Its Rust name (what `Debug` prints).
    pub(super) rust: String,
    /// Its wire name, then its aliases; none: its Rust name alone.
    pub(super) keys: Option<Vec<String>>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    static USER: Table = Table::new(
        r#"{"doc": "A user.", "name": "User", "named": true,
            "schema": {"json": {"type": "object"}},
            "paths": [{"fields": [{"names": ["user_name", "login"], "push": {"key": "userName"}},
                                  {"names": ["tags"], "push": {"index": 2}, "nested": 0},
                                  {"names": ["rest"], "push": "here"},
                                  {"names": ["age"]}]}],
            "partial": [{"rust": "user_name", "keys": ["userName"]}]}"#,
    );

    static GENERIC: Table = Table::new(r#"{"generic": true, "schema": {"json": {}}}"#);

    fn object(_: &mut SchemaGenerator) -> Value {
        json!({ "type": "object" })
    }

    fn cached() -> &'static Value {
        static CACHED: OnceLock<Value> = OnceLock::new();
        CACHED.get_or_init(|| json!({ "from": "the cache" }))
    }

    #[test]
    fn a_table_reads_its_manifest() {
        assert_eq!(USER.doc(), Some("A user."));
        assert_eq!(USER.name(), Some("User"));
        let m = USER.manifest();
        assert!(m.named && !m.generic && !m.garde);
        assert_eq!(m.partial[0].rust, "user_name");
        assert_eq!(
            m.partial[0].keys.as_deref(),
            Some(&["userName".to_owned()][..])
        );
        let fields = &m.paths[0].fields;
        assert_eq!(fields[0].names, ["user_name", "login"]);
        assert_eq!(fields[1].nested, Some(0));
        assert_eq!(GENERIC.doc(), None);
        assert_eq!(GENERIC.name(), None);
    }

    #[test]
    fn fields_write_where_they_sit() {
        let fields = &USER.manifest().paths[0].fields;
        let mut path = JsonPath::root();
        let written: Vec<String> = fields
            .iter()
            .map(|f| {
                let len = f.write(&mut path);
                let at = path.as_str().to_owned();
                path.truncate(len);
                at
            })
            .collect();
        assert_eq!(written, ["userName", "[2]", "", "age"]);
    }

    #[test]
    fn the_root_schema_is_kept_in_the_table_or_asked_of_the_cache() {
        let root = USER.root_schema(object, cached);
        assert_eq!(root["type"], "object");
        assert_eq!(root["$schema"], crate::schema::DRAFT_2020_12);
        assert!(std::ptr::eq(root, USER.root_schema(object, cached)));
        assert_eq!(GENERIC.root_schema(object, cached), cached());
    }

    #[test]
    fn the_derive_of_this_format_passes_the_check() {
        let () = ManifestFormat::<MANIFEST_VERSION>::CHECK;
        let () = ManifestFormat::<1>::CHECK;
    }

    #[test]
    #[should_panic(expected = "a manifest written by #[derive(Instructor)] of another version")]
    fn a_manifest_that_cannot_be_read_says_so() {
        static BROKEN: Table = Table::new(r#"{"schema": {"unknown_node": 1}}"#);
        let _ = BROKEN.doc();
    }
}
