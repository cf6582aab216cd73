//! Fixtures the dialects' unit tests share: a tool call, a tool's variant, the checks of the
//! key's header and of an event that is not JSON, and [`by_hand!`], a type implemented by hand with a fixed schema.

use serde_json::{json, Value};

use crate::provider::Dialect;
use crate::wire::{FunctionCall, ToolCall};

/// A function call: `id`, the function's `name` and its `arguments` as sent.
pub(crate) fn tool_call(id: &str, name: &str, arguments: &str) -> ToolCall {
    ToolCall {
        id: id.into(),
        kind: "function".into(),
        function: FunctionCall {
            name: name.into(),
            arguments: arguments.into(),
        },
    }
}

/// The `Weather` variant of a list of tools (a branch of its `oneOf`, as
/// `#[instructor(tools)]` writes it): a described struct with a required string `city`.
pub(crate) fn weather_variant() -> Value {
    json!({ "type": "object", "properties": { "Weather": {
        "description": "Look up the weather.",
        "type": "object",
        "properties": { "city": { "type": "string" } },
        "required": ["city"]
    } }, "required": ["Weather"], "additionalProperties": false })
}

/// Asserts that `dialect` sends `key` as the value of the header `header`, marked
/// sensitive, and refuses a key that cannot be a header's value.
pub(crate) fn assert_key_header(dialect: &impl Dialect, key: &str, header: &str) {
    let (name, value) = dialect.auth(key).unwrap();
    assert_eq!(name.as_str(), header);
    assert!(value.is_sensitive());
    assert_eq!(value.to_str().unwrap(), key);
    assert!(dialect.auth("bad\nkey").is_err());
}

/// Asserts that `dialect` refuses an event whose data is not JSON, saying that it is not
/// `what` (`a chat-completion chunk`, `an Anthropic stream event`).
pub(crate) fn assert_not_an_event(dialect: &impl Dialect, what: &str) {
    let mut out = Vec::new();
    let e = dialect.decode_event("", "not json", &mut out).unwrap_err();
    assert!(e.starts_with(&format!("an event is not {what}")), "{e}");
}

/// A unit struct implementing [`Instructor`](crate::Instructor) by hand: `Name` (its
/// schema name), an optional `: "description"`, then `=> schema` (a JSON value). With
/// `@reads` first, it also reads any value as its partial and validates nothing.
macro_rules! by_hand {
    (@impl { $($extra:tt)* } $(#[$attr:meta])* $name:ident $(: $desc:literal)? => $schema:expr) => {
        $(#[$attr])*
        struct $name;

        impl $crate::Instructor for $name {
            type Partial = serde_json::Value;
            type Context = ();
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }
            $(fn description() -> Option<&'static str> {
                Some($desc)
            })?
            fn schema(_: &mut $crate::schema::SchemaGenerator) -> serde_json::Value {
                $schema
            }
            $($extra)*
        }
    };
    (@reads $($rest:tt)*) => {
        $crate::provider::test_support::by_hand!(@impl {
            fn partial_from_value(value: serde_json::Value) -> Option<serde_json::Value> {
                Some(value)
            }
            fn validate_at(
                &self,
                _: &mut $crate::validation::JsonPath,
                _: &mut $crate::validation::ValidationErrors,
                _: bool,
            ) {
            }
        } $($rest)*);
    };
    ($($rest:tt)*) => {
        $crate::provider::test_support::by_hand!(@impl {} $($rest)*);
    };
}
pub(crate) use by_hand;
