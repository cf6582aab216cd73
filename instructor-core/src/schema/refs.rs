//! `$ref`s: the one place that writes and follows them.
//!
//! The rule: a schema is a reference when its `$ref` is a string; the reference names a
//! definition when that string is `#/$defs/NAME`, and the definition is `NAME` in the root
//! schema's `$defs`. [`resolve`] and [`follow`] go from reference to definition, and on
//! when the definition is itself a reference (a newtype's definition is its field's `$ref`
//! with a title), until they reach a schema that is not a reference, at most [`MAX_HOPS`]
//! times: a longer chain can only be a cycle (`A` → `B` → `A`), which no type writes, and
//! the walk stops there. A reference of another form, or to a name `$defs` does not hold,
//! is not followed. [`target`] is one step of that walk, for the callers that name the
//! definition a reference points at.

use serde_json::{json, Map, Value};

/// How many references [`follow`] goes through before it gives up (a cycle).
pub(crate) const MAX_HOPS: usize = 16;

/// What a reference to a definition starts with.
const PREFIX: &str = "#/$defs/";

/// The reference to the definition `name`: `{"$ref": "#/$defs/name"}`.
pub(crate) fn reference(name: &str) -> Value {
    json!({ "$ref": format!("{PREFIX}{name}") })
}

/// The name of the definition `schema` refers to, when it is a reference of the form
/// `#/$defs/NAME`.
pub(crate) fn ref_name(schema: &Value) -> Option<&str> {
    schema.get("$ref")?.as_str()?.strip_prefix(PREFIX)
}

/// One step: the name and the definition, in `defs`, that `schema` refers to; `None` when
/// `schema` is not a reference to a definition `defs` holds.
pub(crate) fn target<'a>(
    schema: &'a Value,
    defs: Option<&'a Map<String, Value>>,
) -> Option<(&'a str, &'a Value)> {
    let name = ref_name(schema)?;
    Some((name, defs?.get(name)?))
}

/// Whether `schema` is a reference (its `$ref` is a string).
fn is_reference(schema: &Value) -> bool {
    schema.get("$ref").is_some_and(Value::is_string)
}

/// Where `schema`'s references lead in `defs`: `Ok` with the first schema on the way that is
/// not a reference (`schema` itself when it is none), or `Err` with the reference where the
/// walk stopped (not of the form `#/$defs/NAME`, a name `defs` does not hold, or more than
/// [`MAX_HOPS`] of them).
pub(crate) fn follow<'a>(
    schema: &'a Value,
    defs: Option<&'a Map<String, Value>>,
) -> Result<&'a Value, &'a Value> {
    let mut current = schema;
    for _ in 0..MAX_HOPS {
        if !is_reference(current) {
            return Ok(current);
        }
        match target(current, defs) {
            Some((_, next)) => current = next,
            None => return Err(current),
        }
    }
    if is_reference(current) {
        Err(current)
    } else {
        Ok(current)
    }
}

/// [`follow`], as far as it goes: the schema it reached, or the reference where it stopped.
pub(crate) fn resolve<'a>(schema: &'a Value, defs: Option<&'a Map<String, Value>>) -> &'a Value {
    follow(schema, defs).unwrap_or_else(|stopped| stopped)
}

/// The `$defs` of the root schema `root`, if it has any.
pub(crate) fn defs_of(root: &Value) -> Option<&Map<String, Value>> {
    root.get("$defs").and_then(Value::as_object)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defs(v: &Value) -> &Map<String, Value> {
        v.as_object().unwrap()
    }

    #[test]
    fn a_reference_is_written_and_named() {
        let r = reference("User");
        assert_eq!(r, json!({ "$ref": "#/$defs/User" }));
        assert_eq!(ref_name(&r), Some("User"));
        assert_eq!(ref_name(&json!({ "$ref": "other.json#/User" })), None);
        assert_eq!(ref_name(&json!({ "type": "string" })), None);
    }

    #[test]
    fn one_step_names_the_definition() {
        let d = json!({ "A": { "$ref": "#/$defs/B" }, "B": { "type": "string" } });
        let a = reference("A");
        let (name, def) = target(&a, Some(defs(&d))).unwrap();
        assert_eq!(name, "A");
        assert_eq!(def, &json!({ "$ref": "#/$defs/B" }));
        assert!(target(&reference("C"), Some(defs(&d))).is_none());
        assert!(target(&reference("A"), None).is_none());
    }

    #[test]
    fn chains_are_followed_to_a_schema() {
        let d = json!({
            "A": { "$ref": "#/$defs/B", "title": "A" },
            "B": { "type": "string" },
        });
        let a = json!({ "$ref": "#/$defs/A", "description": "siblings are not kept" });
        assert_eq!(follow(&a, Some(defs(&d))), Ok(&json!({ "type": "string" })));
        let plain = json!({ "type": "integer" });
        assert_eq!(follow(&plain, Some(defs(&d))), Ok(&plain));
        assert_eq!(resolve(&plain, None), &plain);
    }

    #[test]
    fn the_walk_stops_at_what_it_cannot_follow() {
        let d = json!({ "A": { "$ref": "#/$defs/Gone" } });
        let a = reference("A");
        let stuck = follow(&a, Some(defs(&d))).unwrap_err();
        assert_eq!(stuck, &json!({ "$ref": "#/$defs/Gone" }));
        assert_eq!(resolve(&a, Some(defs(&d))), stuck);
        let foreign = json!({ "$ref": "https://example.com/s.json" });
        assert_eq!(follow(&foreign, Some(defs(&d))), Err(&foreign));
    }

    #[test]
    fn a_cycle_ends_after_the_hop_limit() {
        let d = json!({ "A": { "$ref": "#/$defs/B" }, "B": { "$ref": "#/$defs/A" } });
        let a = reference("A");
        let stopped = follow(&a, Some(defs(&d))).unwrap_err();
        // Each hop alternates between the two definitions; an even number ends on `B`'s.
        assert_eq!(MAX_HOPS % 2, 0);
        assert_eq!(stopped, &json!({ "$ref": "#/$defs/A" }));
    }

    #[test]
    fn defs_are_read_from_the_root() {
        let root = json!({ "type": "object", "$defs": { "A": {} } });
        assert!(defs_of(&root).unwrap().contains_key("A"));
        assert!(defs_of(&json!({})).is_none());
    }
}
