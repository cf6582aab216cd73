//! [`Maybe<T>`]: the value, or the model's word that the text does not hold one.

use std::borrow::Cow;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{json, Map, Value};

use crate::derived::path::{push_verbatim, PathSegment};
use crate::schema::keywords::{annotate, nullable};
use crate::schema::SchemaGenerator;
use crate::validation::{path_under, JsonPath, ValidationError, ValidationErrors};
use crate::Instructor;

/// The description of every `Maybe` schema.
const DESCRIPTION: &str = "The value if the text holds one; otherwise `result` is null, \
                           `error` is true and `message` says why.";

/// The value, or the model's word that the text does not hold one: the answer to "is there
/// a `T` in this text, and if so, which?" (Python instructor's `Maybe`).
///
/// Asked for a bare `User`, a model must write one even when the text names nobody, and it
/// invents one. Asked for a `Maybe<User>`, it can say there is none:
///
/// ```no_run
/// # use instructor_core::{Client, Error, Maybe};
/// # #[derive(Debug, serde::Deserialize)] struct User { name: String }
/// # impl instructor_core::Instructor for User {
/// #     type Partial = (); type Context = ();
/// #     fn schema_name() -> std::borrow::Cow<'static, str> { "User".into() }
/// #     fn schema(_: &mut instructor_core::schema::SchemaGenerator) -> serde_json::Value { serde_json::json!({"type": "object"}) }
/// #     fn partial_from_value(_: serde_json::Value) -> Option<()> { None }
/// # }
/// # async fn run(client: Client) -> Result<(), Error> {
/// let found = client
///     .extract::<Maybe<User>>()
///     .user("Is there a person in this text? \"The meeting moved to Tuesday.\"")
///     .await?;
/// match found.into_result() {
///     Ok(user) => println!("found {user:?}"),
///     Err(why) => println!("no one: {why}"),
/// }
/// # Ok(()) }
/// ```
///
/// The model writes `{"result": <a T or null>, "error": <bool>, "message": <text or null>}`
/// (all three required in the schema; missing ones read as `null`, `false`, `null`).
/// `result` decides: [`into_option`](Self::into_option), [`into_result`](Self::into_result)
/// and [`is_found`](Self::is_found) go by it alone, as Python's `bool(maybe)` does, and
/// `error` is kept as the model's own flag. The type's rules run on `result` only when it
/// is there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Maybe<T> {
    /// The value, when the text holds one.
    #[serde(default = "none")]
    pub result: Option<T>,
    /// The model's flag: `true` when it found no value.
    #[serde(default, deserialize_with = "null_false")]
    pub error: bool,
    /// Why there is no value, in a few words, when there is none.
    #[serde(default)]
    pub message: Option<String>,
}

/// `None`, without asking `T` for a `Default` as `#[serde(default)]` would.
fn none<T>() -> Option<T> {
    None
}

/// A `bool` that may be written `null`, read as `false`.
fn null_false<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(Option::<bool>::deserialize(d)?.unwrap_or(false))
}

impl<T> Maybe<T> {
    /// A value found.
    pub fn found(value: T) -> Self {
        Self {
            result: Some(value),
            error: false,
            message: None,
        }
    }

    /// No value, and why.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self {
            result: None,
            error: true,
            message: Some(message.into()),
        }
    }

    /// Whether there is a value.
    pub fn is_found(&self) -> bool {
        self.result.is_some()
    }

    /// The value, if there is one.
    pub fn into_option(self) -> Option<T> {
        self.result
    }

    /// The value, or the model's explanation of why there is none (a fixed sentence when it
    /// gave none).
    pub fn into_result(self) -> Result<T, String> {
        match self.result {
            Some(value) => Ok(value),
            None => Err(self
                .message
                .filter(|m| !m.trim().is_empty())
                .unwrap_or_else(|| "the text holds no such value (no reason given)".into())),
        }
    }
}

/// The partial form of a [`Maybe<T>`] while it streams: each field once it has begun.
#[derive(Debug, Clone, PartialEq)]
pub struct MaybePartial<P> {
    /// The value so far (`None` until it begins, and when it is `null`).
    pub result: Option<P>,
    /// The flag, once written.
    pub error: Option<bool>,
    /// The explanation so far.
    pub message: Option<String>,
}

impl<T: Instructor> Instructor for Maybe<T> {
    type Partial = MaybePartial<T::Partial>;
    type Context = T::Context;

    fn schema_name() -> Cow<'static, str> {
        Cow::Owned(format!("Maybe{}", T::schema_name()))
    }

    fn description() -> Option<&'static str> {
        Some(DESCRIPTION)
    }

    fn schema(gen: &mut SchemaGenerator) -> Value {
        let mut result = nullable(T::schema(gen));
        annotate(
            &mut result,
            "description",
            json!("The value found in the text, or null when the text does not hold one."),
        );
        json!({
            "type": "object",
            "title": Self::schema_name(),
            "description": DESCRIPTION,
            "properties": {
                "result": result,
                "error": {
                    "type": "boolean",
                    "description": "true when the text does not hold the value, else false."
                },
                "message": {
                    "type": ["string", "null"],
                    "description": "When there is no value: why, in a few words. Else null."
                }
            },
            "required": ["result", "error", "message"]
        })
    }

    /// Runs `T`'s rules, with `ctx`, on `result` when it is there; the errors' paths start
    /// at `result`.
    fn validate_into(&self, ctx: &Self::Context, errors: &mut ValidationErrors) {
        let Some(value) = &self.result else {
            return;
        };
        let mut inner = errors.child();
        value.validate_into(ctx, &mut inner);
        for e in inner {
            errors.push(ValidationError::new(
                path_under("result", e.path()),
                e.message(),
            ));
        }
    }

    fn partial_from_value(value: Value) -> Option<Self::Partial> {
        let Value::Object(mut map) = value else {
            return None;
        };
        Some(MaybePartial {
            result: take(&mut map, "result").and_then(T::partial_from_value),
            error: map.get("error").and_then(Value::as_bool),
            message: take(&mut map, "message").and_then(|m| m.as_str().map(str::to_owned)),
        })
    }

    fn validate_at(&self, path: &mut JsonPath, errors: &mut ValidationErrors, run_garde: bool) {
        if let Some(value) = &self.result {
            let len = path.push_key("result");
            value.validate_at(path, errors, run_garde);
            path.truncate(len);
        }
    }

    fn json_path(&self, rest: &[PathSegment<'_>], out: &mut JsonPath) {
        match (rest.split_first(), &self.result) {
            (Some((PathSegment::Key("result"), tail)), Some(value)) => {
                out.push_key("result");
                let tail = match tail.split_first() {
                    Some((PathSegment::Unnamed, t)) => t,
                    _ => tail,
                };
                value.json_path(tail, out);
            }
            _ => push_verbatim(rest, out),
        }
    }
}

/// The field `key`, unless it is missing or `null`.
fn take(map: &mut Map<String, Value>, key: &str) -> Option<Value> {
    map.remove(key).filter(|v| !v.is_null())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq, Deserialize)]
    struct Age(u8);

    impl Instructor for Age {
        type Partial = u8;
        type Context = ();
        fn schema_name() -> Cow<'static, str> {
            "Age".into()
        }
        fn schema(_: &mut SchemaGenerator) -> Value {
            json!({ "type": "integer", "minimum": 0, "maximum": 255 })
        }
        fn partial_from_value(value: Value) -> Option<u8> {
            serde_json::from_value(value).ok()
        }
        fn validate_at(&self, path: &mut JsonPath, errors: &mut ValidationErrors, _: bool) {
            if self.0 > 150 {
                errors.add(path.as_str(), "at most 150");
            }
        }
    }

    #[test]
    fn the_schema_names_the_three_fields() {
        let schema = <Maybe<Age>>::json_schema();
        assert_eq!(schema["title"], "MaybeAge");
        assert_eq!(schema["required"], json!(["result", "error", "message"]));
        assert_eq!(
            schema["properties"]["result"]["type"],
            json!(["integer", "null"])
        );
        assert_eq!(schema["properties"]["error"]["type"], "boolean");
    }

    #[test]
    fn result_decides_and_its_rules_run_only_when_present() {
        let found: Maybe<Age> =
            serde_json::from_str(r#"{"result": 20, "error": false, "message": null}"#).unwrap();
        assert!(found.is_found());
        assert_eq!(found.clone().into_option(), Some(Age(20)));
        assert_eq!(found.into_result(), Ok(Age(20)));
        let none: Maybe<Age> =
            serde_json::from_str(r#"{"result": null, "error": null, "message": "no age"}"#)
                .unwrap();
        assert!(!none.error && !none.is_found());
        assert!(none.validate().is_ok());
        assert_eq!(none.into_result(), Err("no age".to_owned()));
        let bare: Maybe<Age> = serde_json::from_str("{}").unwrap();
        assert!(bare.into_result().unwrap_err().contains("no reason given"));
        let old: Maybe<Age> = Maybe::found(Age(200));
        let e = old.validate().unwrap_err();
        assert_eq!(e.iter().next().unwrap().path(), "result");
        assert_eq!(Maybe::<Age>::not_found("x").message.as_deref(), Some("x"));
    }

    #[test]
    fn partials_fill_in() {
        let p = <Maybe<Age>>::partial_from_value(json!({"result": null, "error": true})).unwrap();
        assert_eq!(
            p,
            MaybePartial {
                result: None,
                error: Some(true),
                message: None
            }
        );
        let p = <Maybe<Age>>::partial_from_value(json!({"result": 7})).unwrap();
        assert_eq!(p.result, Some(7));
        assert!(<Maybe<Age>>::partial_from_value(json!([1])).is_none());
    }
}
