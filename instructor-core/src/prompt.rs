//! What the SDK writes into the prompt so the model knows what to answer: nothing but what
//! a mode needs, the JSON Schema itself or a compact rendering of it in the system message,
//! and the type's worked examples ([`Example`](crate::Example)) as turns of the
//! conversation.
//!
//! A server that enforces the schema (`response_format`, tools) constrains *how* the model
//! writes, not *what*: small open models fill the fields better when they can read the field
//! names, descriptions and rules. What is sent by default is chosen by the extraction eval
//! (`evals/`, `docs/evals.md`).

use std::fmt::Write as _;

use serde_json::{Map, Value};

use crate::mode::Mode;
use crate::schema::{defs_of, required_of, target};

/// What the prompt says about the answer. Set it per client
/// ([`ClientBuilder::prompting`](crate::ClientBuilder::prompting)) or per request
/// ([`Extract::prompting`](crate::Extract::prompting)); see what is sent with
/// [`Extract::dry_run`](crate::Extract::dry_run). A client that is not told uses its server's
/// default, [`Server::default_prompting`](crate::Server::default_prompting): `JsonSchema`,
/// or `Plain` for OpenAI. (`Prompting::default()` is `Plain`, nothing added.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Prompting {
    /// Nothing beyond what the mode needs: [`Mode::Json`] and [`Mode::MdJson`] carry the JSON
    /// Schema in the system message (there is nowhere else to put it); the other modes send
    /// the schema in `response_format` or the tool only. No worked examples.
    #[default]
    Plain,
    /// The JSON Schema as JSON in the system message, in every mode (what Python instructor's
    /// 2023 `JSON_SCHEMA` mode did), and the type's worked examples.
    JsonSchema,
    /// A compact rendering of the schema in the system message, in every mode: the type's
    /// description, one line per field (its JSON name, type, whether it is required, its
    /// description and rules), then an instruction to extract only what the text says; and
    /// the type's worked examples.
    Compact,
    /// The type's worked examples ([`Example`](crate::Example)), as turns before the
    /// caller's messages, and otherwise what [`Plain`](Self::Plain) sends: the cheapest help
    /// for a small model (the schema's text costs more tokens than an example). For a type
    /// without examples, the same as `Plain`.
    Examples,
}

impl Prompting {
    /// Every strategy.
    pub const ALL: [Prompting; 4] = [
        Prompting::Plain,
        Prompting::JsonSchema,
        Prompting::Compact,
        Prompting::Examples,
    ];

    /// The strategy's name (`plain`, `json_schema`, `compact`, `examples`).
    pub fn as_str(self) -> &'static str {
        match self {
            Prompting::Plain => "plain",
            Prompting::JsonSchema => "json_schema",
            Prompting::Compact => "compact",
            Prompting::Examples => "examples",
        }
    }

    /// Whether the type's worked examples are sent (every strategy but `Plain`).
    pub fn sends_examples(self) -> bool {
        self != Prompting::Plain
    }
}

display_as_str!(Prompting);

impl std::str::FromStr for Prompting {
    type Err = crate::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm = s.trim().to_ascii_lowercase().replace('-', "_");
        Prompting::ALL
            .into_iter()
            .find(|p| p.as_str() == norm)
            .ok_or_else(|| {
                crate::Error::Config(format!(
                    "unknown prompting `{s}`: expected one of plain, json_schema, compact, examples"
                ))
            })
    }
}

/// The text appended to the system message for a type with root `schema` named `name`.
pub(crate) fn system_text(
    mode: Mode,
    prompting: Prompting,
    schema: &Value,
    name: &str,
) -> Option<String> {
    let in_text = matches!(mode, Mode::Json | Mode::MdJson);
    let mut s = match prompting {
        Prompting::Plain | Prompting::Examples if !in_text => return None,
        Prompting::Plain | Prompting::Examples | Prompting::JsonSchema => json_schema_text(schema),
        Prompting::Compact => compact(schema, name),
    };
    if in_text {
        s.push_str("\n\nReturn the data itself as a JSON object, not the schema.");
        if mode == Mode::MdJson {
            s.push_str(" Put it in a ```json code block.");
        }
    }
    Some(s)
}

fn json_schema_text(schema: &Value) -> String {
    format!("Answer with a JSON object that matches this JSON Schema:\n\n{schema}")
}

/// The compact rendering: the root type, then each definition it refers to.
pub(crate) fn compact(schema: &Value, name: &str) -> String {
    let defs = defs_of(schema);
    let mut out = String::new();
    let _ = write!(out, "Extract `{name}`");
    match description(schema) {
        Some(d) => {
            let _ = write!(out, ": {}", sentence(d));
        }
        None => out.push('.'),
    }
    out.push('\n');
    body(&mut out, schema, defs);
    if let Some(defs) = defs {
        for (def_name, def) in defs {
            if is_object(def) || def.get("properties").is_some() {
                let _ = write!(out, "\n`{def_name}`");
                if let Some(d) = description(def) {
                    let _ = write!(out, ": {}", sentence(d));
                }
                out.push('\n');
                body(&mut out, def, Some(defs));
            }
        }
    }
    out.push_str(
        "\nFill each field only with what the text says; leave an optional field out (or null) \
         when the text does not give it. Copy names and values as written.",
    );
    out
}

/// The lines of an object's fields, or one line saying what the value is.
fn body(out: &mut String, schema: &Value, defs: Option<&Map<String, Value>>) {
    let Some(props) = schema.get("properties").and_then(Value::as_object) else {
        let _ = writeln!(out, "The answer is {}.", type_phrase(schema, defs));
        return;
    };
    out.push_str("A JSON object with these fields:\n");
    let required = required_of(schema);
    for (field, s) in props {
        let need = if required.contains(&field.as_str()) {
            "required"
        } else {
            "optional"
        };
        let _ = write!(out, "- \"{field}\": {}, {need}", type_phrase(s, defs));
        let rules = rules(s);
        if !rules.is_empty() {
            let _ = write!(out, "; {}", rules.join(", "));
        }
        // A named enum is spelled out in the type; what its values mean is in its own
        // description.
        let named = target(s, defs)
            .map(|(_, d)| d)
            .filter(|d| !is_object(d) && d.get("properties").is_none())
            .and_then(description);
        match (description(s), named) {
            (Some(d), Some(n)) if d != n => {
                let _ = writeln!(out, ". {} {}", sentence(d), sentence(n));
            }
            (Some(d), _) | (None, Some(d)) => {
                let _ = writeln!(out, ". {}", sentence(d));
            }
            (None, None) => out.push_str(".\n"),
        }
    }
}

fn description(schema: &Value) -> Option<&str> {
    schema
        .get("description")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|d| !d.is_empty())
}

fn sentence(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.ends_with(['.', '!', '?']) {
        one_line
    } else {
        one_line + "."
    }
}

fn is_object(schema: &Value) -> bool {
    schema.get("type").and_then(Value::as_str) == Some("object")
}

/// "string", "integer", "list of `Item`", "one of \"a\", \"b\"", "`Address` (below) or null".
fn type_phrase(schema: &Value, defs: Option<&Map<String, Value>>) -> String {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        // One step, not the whole chain: the type is called by the name the field names.
        return match target(schema, defs) {
            // A named enum or alias reads better spelled out than referred to.
            Some((_, d)) if !is_object(d) && d.get("properties").is_none() => type_phrase(d, defs),
            Some((name, _)) => format!("object `{name}`"),
            None => format!("object `{}`", r.rsplit('/').next().unwrap_or(r)),
        };
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        let list: Vec<String> = values.iter().map(Value::to_string).collect();
        return format!("one of {}", list.join(", "));
    }
    if let Some(c) = schema.get("const") {
        return format!("exactly {c}");
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(branches) = schema.get(key).and_then(Value::as_array) {
            let parts: Vec<String> = branches.iter().map(|b| type_phrase(b, defs)).collect();
            return parts.join(" or ");
        }
    }
    let types: Vec<&str> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => return "any JSON value".into(),
    };
    let parts: Vec<String> = types
        .iter()
        .map(|t| match *t {
            "array" => match schema.get("items") {
                Some(items) if items.is_object() => {
                    format!("list of {}", type_phrase(items, defs))
                }
                _ => match schema.get("prefixItems").and_then(Value::as_array) {
                    Some(items) => {
                        let parts: Vec<String> =
                            items.iter().map(|i| type_phrase(i, defs)).collect();
                        format!("list of exactly [{}]", parts.join(", "))
                    }
                    None => "list".into(),
                },
            },
            "object" => match schema.get("additionalProperties") {
                Some(v) if v.is_object() => {
                    format!("object mapping strings to {}", type_phrase(v, defs))
                }
                _ => "object".into(),
            },
            other => other.into(),
        })
        .collect();
    parts.join(" or ")
}

/// A value of `schema` in words: its type, then its rules (`integer, from 0 to 150`).
pub(crate) fn describe(schema: &Value, defs: Option<&Map<String, Value>>) -> String {
    let mut text = type_phrase(schema, defs);
    let rules = rules(schema);
    if !rules.is_empty() {
        text.push_str(", ");
        text.push_str(&rules.join(", "));
    }
    text
}

/// The rules a value must follow, in words.
fn rules(schema: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let num = |k: &str| schema.get(k).filter(|v| v.is_number());
    match (num("minimum"), num("maximum")) {
        (Some(lo), Some(hi)) => out.push(format!("from {lo} to {hi}")),
        (Some(lo), None) => out.push(format!("at least {lo}")),
        (None, Some(hi)) => out.push(format!("at most {hi}")),
        (None, None) => {}
    }
    for (key, phrase) in [
        ("exclusiveMinimum", "more than"),
        ("exclusiveMaximum", "less than"),
    ] {
        if let Some(v) = num(key) {
            out.push(format!("{phrase} {v}"));
        }
    }
    for (key, bound, unit) in [
        ("minLength", "at least", "character"),
        ("maxLength", "at most", "character"),
        ("minItems", "at least", "item"),
        ("maxItems", "at most", "item"),
    ] {
        if let Some(v) = num(key) {
            let s = if v.as_u64() == Some(1) { "" } else { "s" };
            out.push(format!("{bound} {v} {unit}{s}"));
        }
    }
    if let Some(p) = schema.get("pattern").and_then(Value::as_str) {
        out.push(format!("matching /{p}/"));
    }
    if let Some(f) = schema.get("format").and_then(Value::as_str) {
        out.push(format!("format {f}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn user_schema() -> Value {
        json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "title": "UserDetails",
            "description": "A person mentioned in the text.",
            "properties": {
                "name": { "type": "string", "minLength": 1 },
                "age": { "type": "integer", "minimum": 0, "maximum": 150, "description": "Age in whole years." },
                "email": { "type": ["string", "null"], "format": "email" },
                "role": { "$ref": "#/$defs/Role" },
                "address": { "$ref": "#/$defs/Address" },
                "tags": { "type": "array", "items": { "type": "string" }, "maxItems": 3 }
            },
            "required": ["name", "age", "role", "tags"],
            "$defs": {
                "Role": { "type": "string", "enum": ["admin", "user"] },
                "Address": {
                    "type": "object",
                    "description": "A postal address",
                    "properties": { "city": { "type": "string" } },
                    "required": ["city"]
                }
            }
        })
    }

    #[test]
    fn compact_rendering_names_every_field_with_its_rules() {
        let text = compact(&user_schema(), "UserDetails");
        assert_eq!(
            text,
            "Extract `UserDetails`: A person mentioned in the text.\n\
             A JSON object with these fields:\n\
             - \"name\": string, required; at least 1 character.\n\
             - \"age\": integer, required; from 0 to 150. Age in whole years.\n\
             - \"email\": string or null, optional; format email.\n\
             - \"role\": one of \"admin\", \"user\", required.\n\
             - \"address\": object `Address`, optional.\n\
             - \"tags\": list of string, required; at most 3 items.\n\
             \n`Address`: A postal address.\n\
             A JSON object with these fields:\n\
             - \"city\": string, required.\n\
             \nFill each field only with what the text says; leave an optional field out (or null) \
             when the text does not give it. Copy names and values as written."
        );
    }

    #[test]
    fn compact_rendering_says_what_an_enums_values_mean() {
        let s = json!({
            "type": "object",
            "properties": {
                "category": { "$ref": "#/$defs/Category", "description": "What it is about." },
                "was": { "$ref": "#/$defs/Category" }
            },
            "required": ["category"],
            "$defs": { "Category": {
                "type": "string", "enum": ["billing", "shipping"],
                "description": "`billing`: charges. `shipping`: parcels."
            } }
        });
        let text = compact(&s, "Ticket");
        assert!(
            text.contains(
                "- \"category\": one of \"billing\", \"shipping\", required. What it is about. \
             `billing`: charges. `shipping`: parcels.\n"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "- \"was\": one of \"billing\", \"shipping\", optional. `billing`: charges. \
             `shipping`: parcels.\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn plain_adds_nothing_where_the_schema_travels_elsewhere() {
        let s = user_schema();
        assert_eq!(
            system_text(Mode::JsonSchema, Prompting::Plain, &s, "U"),
            None
        );
        assert_eq!(system_text(Mode::Tools, Prompting::Plain, &s, "U"), None);
        let json = system_text(Mode::Json, Prompting::Plain, &s, "U").unwrap();
        assert!(json.contains(&s.to_string()), "{json}");
        let md = system_text(Mode::MdJson, Prompting::Compact, &s, "U").unwrap();
        assert!(
            md.starts_with("Extract `U`") && md.ends_with("```json code block."),
            "{md}"
        );
        let js = system_text(Mode::JsonSchema, Prompting::JsonSchema, &s, "U").unwrap();
        assert!(js.contains(&s.to_string()), "{js}");
    }

    #[test]
    fn strategies_parse_by_name() {
        for p in Prompting::ALL {
            assert_eq!(p.as_str().parse::<Prompting>().unwrap(), p);
        }
        assert!("verbose".parse::<Prompting>().is_err());
    }
}
