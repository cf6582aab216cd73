//! The partial reader: a derived named struct's `__read` run over a (possibly incomplete)
//! JSON object, one `take` per field, gives its partial companion; run by a recording
//! reader, which reads nothing, it gives the fields' schema functions, from which the type's
//! schema is built. Also the partial forms of the types shown only once whole.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::build::schema_by_key;
use super::manifest::{PartialField, Table};
use super::{SchemaFn, ValueFn};
use crate::schema::SchemaGenerator;

/// A partial object being read into a companion: the body of `__read`, which the derive
/// writes for a named struct, one `take` per field.
///
/// The same function gives the type's schema: a recording reader (`schema_of`) reads nothing
/// and records instead, for each field, the schema function of the type its `take` names
/// (and the values computed at run time the body hands to [`Reader::values`]). So each
/// field's type is named once in the generated code, for both jobs.
pub struct Reader {
    /// What is left of the object.
    map: Map<String, Value>,
    /// The companion's fields.
    fields: &'static [PartialField],
    /// Set when the reader records the fields' schema sources instead of reading.
    sources: Option<Box<Recorded>>,
}

/// What a recording reader collected: the fields' schema functions, by field index, and the
/// values the manifest's indices point at.
struct Recorded {
    /// The schema functions, by field.
    schemas: Vec<SchemaFn>,
    /// The values the manifest's indices point at.
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
    pub(crate) fn record(&mut self, i: usize, schema: SchemaFn) -> bool {
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

/// The schema of a derived named struct ([`Instructor::schema`](crate::Instructor::schema)'s default), told apart by
/// `key` (its `type_name`), named by `name`, described by `table`: `read` (its `__read`)
/// run by a recording reader, then the schema built from what it recorded. Without a table
/// the type is implemented by hand, and must write `schema` itself: a panic says so.
///
/// [`Instructor::schema`]: crate::Instructor::schema
pub fn schema_of(
    gen: &mut SchemaGenerator,
    table: Option<&'static Table>,
    key: &'static str,
    name: fn() -> Cow<'static, str>,
    read: &mut dyn FnMut(&mut Reader),
) -> Value {
    let Some(table) = table else {
        panic!("instructor: `{key}` implements `Instructor` by hand and must write `schema`");
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
    read(&mut r);
    let rec = r.sources.unwrap_or_else(|| unreachable!("set above"));
    schema_by_key(gen, key, name, table, &rec.schemas, &rec.values)
}

/// A field whose `take` did not record its schema (none: every field's `take` records).
fn unrecorded(_: &mut SchemaGenerator) -> Value {
    Value::Object(Map::new())
}

/// The partial form of a derived named struct ([`Instructor::partial_from_value`](crate::Instructor::partial_from_value)'s
/// default): its `__read` (`read`) over `value`, by the fields of its `table`; nothing for
/// a type without one.
///
/// [`Instructor::partial_from_value`]: crate::Instructor::partial_from_value
#[inline]
pub fn read<P>(
    value: Value,
    table: Option<&'static Table>,
    read: fn(&mut Reader) -> Option<P>,
) -> Option<P> {
    read(&mut Reader::new(value, table?)?)
}

/// The raw JSON of the `i`-th field, found under its wire name or an alias.
#[inline(never)]
pub(crate) fn take_json(r: &mut Reader, i: usize) -> Option<Value> {
    let field = r.fields.get(i)?;
    match &field.keys {
        Some(keys) => keys.iter().find_map(|k| r.map.remove(k)),
        None => r.map.remove(&field.rust),
    }
}

/// The raw JSON of the `i`-th field, whose schema comes from `schema_with` (`schema`).
#[inline]
pub fn take_raw(r: &mut Reader, i: usize, schema: SchemaFn) -> Option<Value> {
    if r.record(i, schema) {
        return None;
    }
    take_json(r, i)
}

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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// `struct User { #[serde(rename = "userName", alias = "user_name")] name: String, age: u8 }`.
    static USER: Table = Table::new(
        r#"{"schema": {"object": {"fields": [{"name": "userName", "schema": 0},
                                             {"name": "age", "schema": 1, "examples": 0}]}},
            "partial": [{"rust": "name", "keys": ["userName", "user_name"]}, {"rust": "age"}]}"#,
    );

    fn string(_: &mut SchemaGenerator) -> Value {
        json!({ "type": "string" })
    }

    fn integer(_: &mut SchemaGenerator) -> Value {
        json!({ "type": "integer" })
    }

    /// `__read` as the derive writes it, with raw fields.
    fn read_user(r: &mut Reader) -> Option<(Option<Value>, Option<Value>)> {
        r.values(&[|| json!([41])]);
        let name = take_raw(r, 0, string);
        let age = take_raw(r, 1, integer);
        Some((name, age))
    }

    fn name() -> Cow<'static, str> {
        Cow::Borrowed("User")
    }

    #[test]
    fn a_partial_object_is_read_by_wire_name_or_alias() {
        let got = read(
            json!({ "user_name": "Ada", "other": 1 }),
            Some(&USER),
            read_user,
        );
        assert_eq!(got, Some((Some(json!("Ada")), None)));
        let got = read(
            json!({ "userName": "Ada", "age": 36 }),
            Some(&USER),
            read_user,
        );
        assert_eq!(got, Some((Some(json!("Ada")), Some(json!(36)))));
        assert_eq!(read(json!([1]), Some(&USER), read_user), None);
        assert_eq!(read(json!({}), None, read_user), None);
    }

    #[test]
    fn a_recording_reader_gives_the_schema() {
        let mut gen = SchemaGenerator::new();
        let s = schema_of(&mut gen, Some(&USER), "tests::User", name, &mut |r| {
            assert_eq!(
                read_user(r),
                Some((None, None)),
                "a recording reader reads nothing"
            );
        });
        assert_eq!(
            s,
            json!({
                "type": "object",
                "properties": {
                    "userName": { "type": "string" },
                    "age": { "type": "integer", "examples": [41] }
                },
                "required": ["userName", "age"]
            })
        );
    }

    #[test]
    #[should_panic(expected = "`tests::ByHand` implements `Instructor` by hand and must write")]
    fn a_type_without_a_table_must_write_its_schema() {
        let _ = schema_of(
            &mut SchemaGenerator::new(),
            None,
            "tests::ByHand",
            name,
            &mut |_| {},
        );
    }

    #[test]
    fn unit_variants_and_whole_values() {
        assert_eq!(unit_variant(json!("b"), &["a", "b"]), Some(1));
        assert_eq!(unit_variant(json!({ "a": null }), &["a", "b"]), Some(0));
        assert_eq!(unit_variant(json!({ "a": 1 }), &["a", "b"]), None);
        assert_eq!(unit_variant(json!("c"), &["a", "b"]), None);
        assert_eq!(whole::<(u8, u8)>(json!([1, 2])), Some((1, 2)));
        assert_eq!(whole::<(u8, u8)>(json!([1])), None);
    }
}
