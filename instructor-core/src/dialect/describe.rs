//! Keywords a receiver cannot take, written into the schema's `description` instead.

use serde_json::{Map, Value};

/// String `format`s OpenAI's strict dialect accepts; others are moved into the description.
/// Anthropic's structured outputs accept these and `uri`.
pub(crate) const FORMATS: &[&str] = &[
    "date-time",
    "time",
    "date",
    "duration",
    "email",
    "hostname",
    "ipv4",
    "ipv6",
    "uuid",
];

/// Keywords dropped without a trace (they say nothing about the value), by the strict
/// dialect and by Anthropic's schema rewrite.
pub(crate) const DROPPED: &[&str] = &["$schema", "$id", "$comment"];

/// Appends `moved` (keyword notes such as `minLength: 1.`) to the `description` of the
/// schema object `map`, after a full stop, or makes them its description when it has none.
/// Does nothing when `moved` is empty. The strict dialect and the Anthropic and Gemini
/// schema rewrites all keep what they remove this way.
pub(crate) fn move_into_description(map: &mut Map<String, Value>, moved: &[String]) {
    if moved.is_empty() {
        return;
    }
    let text = moved.join(" ");
    match map.get_mut("description") {
        Some(Value::String(d)) if !d.is_empty() => {
            if !d.ends_with('.') {
                d.push('.');
            }
            d.push(' ');
            d.push_str(&text);
        }
        _ => {
            map.insert("description".into(), Value::String(text));
        }
    }
}
