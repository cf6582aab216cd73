//! A fact with the quotes that support it ([`Cited`]).

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::quote::Quote;
use crate::schema::{ObjectSchema, SchemaGenerator};
use crate::validation::{JsonPath, ValidationErrors};
use crate::Instructor;

/// A fact with the quotes of the text that support it: Python instructor's `Fact` with its
/// `substring_quote`, as one type. `T` is the fact (a `String`, or any extracted type).
///
/// On the wire: `{"fact": .., "quotes": ["..", ..]}`. Its rules, checked together: at least
/// one quote (an error at `quotes` otherwise), and each quote in the source (an error at
/// `quotes[i]`); the fact's own rules run at `fact`.
///
/// ```
/// use instructor_core::grounding::Source;
/// use instructor_core::{Cited, Instructor};
///
/// let source = Source::from("Jason is 20. He lives in Lisbon.");
/// let answer: Vec<Cited<String>> = serde_json::from_str(r#"[
///     {"fact": "Jason is twenty", "quotes": ["Jason is 20"]},
///     {"fact": "Jason lives in Porto", "quotes": ["He lives in Porto"]},
///     {"fact": "Jason is tall", "quotes": []}
/// ]"#).unwrap();
/// let errors = source.validate(&answer).unwrap_err();
/// assert_eq!(
///     errors.to_string(),
///     "[1].quotes[0]: \"He lives in Porto\" does not appear in the text\n\
///      [2].quotes: no quote supports the fact: give at least one passage of the text"
/// );
/// assert_eq!(<Cited<String>>::json_schema()["properties"]["quotes"]["minItems"], 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Cited<T> {
    /// The fact.
    pub fact: T,
    /// Passages of the text that support the fact, each copied word for word.
    pub quotes: Vec<Quote>,
}

impl<T: Instructor> Instructor for Cited<T> {
    /// The fact's partial form (when any of it has arrived) and the quotes so far.
    type Partial = Cited<Option<T::Partial>>;
    type Context = ();

    fn schema_name() -> Cow<'static, str> {
        Cow::Owned(format!("Cited_for_{}", T::schema_name()))
    }

    fn description() -> Option<&'static str> {
        Some("A fact, with the passages of the text that support it.")
    }

    fn schema(gen: &mut SchemaGenerator) -> Value {
        gen.named::<Self>(
            || Self::schema_name().into_owned(),
            |gen| {
                let mut fact = T::schema(gen);
                crate::schema::keywords::annotate(
                    &mut fact,
                    "description",
                    json!("The fact, as the text states it."),
                );
                let quotes = json!({
                    "type": "array",
                    "items": Quote::schema(gen),
                    "minItems": 1,
                    "description": "Passages of the text that support the fact, each copied \
                                    word for word.",
                });
                let mut object = ObjectSchema::new();
                object.property("fact", fact, true);
                object.property("quotes", quotes, true);
                let mut s = object.build(false);
                crate::schema::keywords::annotate(&mut s, "title", json!(Self::schema_name()));
                crate::schema::keywords::annotate(
                    &mut s,
                    "description",
                    json!(Self::description()),
                );
                s
            },
        )
    }

    fn partial_from_value(value: Value) -> Option<Self::Partial> {
        let Value::Object(mut map) = value else {
            return None;
        };
        Some(Cited {
            fact: map.remove("fact").and_then(T::partial_from_value),
            quotes: map
                .remove("quotes")
                .and_then(<Vec<Quote>>::partial_from_value)
                .unwrap_or_default(),
        })
    }

    fn validate_at(&self, path: &mut JsonPath, errors: &mut ValidationErrors, _: bool) {
        // No garde rules of an enclosing type reach inside a `Cited`: the fact's own run here.
        let len = path.push_key("fact");
        self.fact.validate_at(path, errors, true);
        path.truncate(len);
        let len = path.push_key("quotes");
        if self.quotes.is_empty() {
            errors.add(
                path.as_str(),
                "no quote supports the fact: give at least one passage of the text",
            );
        }
        self.quotes.validate_at(path, errors, true);
        path.truncate(len);
    }
}
