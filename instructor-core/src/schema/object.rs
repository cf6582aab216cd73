//! [`ObjectSchema`]: an object's schema assembled from its fields, flattened ones merged.

use serde_json::{json, Map, Value};

use super::SchemaGenerator;

/// An object schema under construction: `properties`, `required`, and what `#[serde(flatten)]`
/// merges into it.
#[derive(Debug, Default)]
pub struct ObjectSchema {
    properties: Map<String, Value>,
    required: Vec<String>,
    all_of: Vec<Value>,
    additional: Option<Value>,
}

impl ObjectSchema {
    /// No properties yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a property; `required` when the model must write it.
    pub fn property(&mut self, name: &str, schema: Value, required: bool) {
        self.properties.insert(name.into(), schema);
        if required && !self.required.iter().any(|r| r == name) {
            self.required.push(name.into());
        }
    }

    /// Merges a flattened field's schema: its properties join these (required only when
    /// `required`); a map's value schema becomes `additionalProperties`; anything else is
    /// kept whole under `allOf`.
    pub fn flatten(&mut self, gen: &mut SchemaGenerator, schema: &Value, required: bool) {
        gen.release(schema);
        let body = gen.resolve(schema);
        let Some(map) = body.as_object() else {
            return self.all_of.push(body.clone());
        };
        let combinator = ["oneOf", "anyOf", "allOf"]
            .iter()
            .any(|k| map.contains_key(*k));
        if let (Some(Value::Object(props)), false) = (map.get("properties"), combinator) {
            let req = required_of(body);
            for (name, s) in props {
                self.property(name, s.clone(), required && req.contains(&name.as_str()));
            }
        } else if let (Some(extra @ Value::Object(_)), false) =
            (map.get("additionalProperties"), combinator)
        {
            self.additional = Some(extra.clone());
        } else {
            self.all_of.push(body.clone());
        }
    }

    /// The finished schema. `deny_unknown_fields` gives `additionalProperties: false`.
    pub fn build(self, deny_unknown_fields: bool) -> Value {
        let mut map = Map::new();
        map.insert("type".into(), json!("object"));
        map.insert("properties".into(), Value::Object(self.properties));
        if !self.required.is_empty() {
            map.insert("required".into(), json!(self.required));
        }
        if let Some(extra) = self.additional {
            map.insert("additionalProperties".into(), extra);
        } else if deny_unknown_fields {
            map.insert("additionalProperties".into(), json!(false));
        }
        if !self.all_of.is_empty() {
            map.insert("allOf".into(), Value::Array(self.all_of));
        }
        Value::Object(map)
    }
}

/// The names an object schema lists in `required` (none when it lists none).
pub(crate) fn required_of(schema: &Value) -> Vec<&str> {
    schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flattened_struct_joins_its_properties() {
        let mut gen = SchemaGenerator::new();
        let mut obj = ObjectSchema::new();
        obj.property("id", json!({ "type": "integer" }), true);
        let inner = json!({
            "type": "object",
            "properties": { "a": { "type": "string" }, "b": { "type": "string" } },
            "required": ["a"]
        });
        obj.flatten(&mut gen, &inner, true);
        obj.flatten(
            &mut gen,
            &json!({ "type": "object", "additionalProperties": { "type": "integer" } }),
            true,
        );
        assert_eq!(
            obj.build(true),
            json!({
                "type": "object",
                "properties": { "id": { "type": "integer" }, "a": { "type": "string" }, "b": { "type": "string" } },
                "required": ["id", "a"],
                "additionalProperties": { "type": "integer" }
            })
        );
    }

    #[test]
    fn required_names_are_read() {
        assert_eq!(required_of(&json!({ "required": ["a", "b"] })), ["a", "b"]);
        assert!(required_of(&json!({ "type": "object" })).is_empty());
    }
}
