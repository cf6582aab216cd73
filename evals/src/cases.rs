//! The cases (`evals/cases.json`, shared with the Python runner) and the table that maps each
//! case's type name to the Rust type it is extracted as.

use std::future::Future;
use std::pin::Pin;

use instructor::{Client, Error, Extraction, Instructor, Mode, Prompting};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::types::*;

/// The case file, compiled in so the binary runs from anywhere.
pub const CASES_JSON: &str = include_str!("../cases.json");

/// The case file: the system message every case is sent with, and the cases.
#[derive(Debug, Clone, Deserialize)]
pub struct CaseFile {
    /// The system message of every extraction.
    pub system: String,
    /// The cases, in the order they run.
    pub cases: Vec<Case>,
}

/// One case: a text, the type to extract from it, and the value expected.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Case {
    /// A unique, stable name (`person_seed`).
    pub id: String,
    /// The kind of extraction it exercises (`people`, `contacts`, `nested`, ...).
    pub shape: String,
    /// The Rust type's name (see [`TYPES`]).
    #[serde(rename = "type")]
    pub type_name: String,
    /// The user message.
    pub text: String,
    /// The expected value, as the type serializes it.
    pub expected: Value,
}

impl CaseFile {
    /// The compiled-in case file.
    pub fn builtin() -> CaseFile {
        serde_json::from_str(CASES_JSON).expect("evals/cases.json is valid (tested)")
    }

    /// The cases whose id, shape or type contains one of the comma-separated `filter`s
    /// (all of them for an empty filter).
    pub fn filtered(&self, filter: &str) -> Vec<Case> {
        let words: Vec<&str> = filter
            .split(',')
            .map(str::trim)
            .filter(|w| !w.is_empty())
            .collect();
        self.cases
            .iter()
            .filter(|c| {
                words.is_empty()
                    || words.iter().any(|w| {
                        c.id.contains(w) || c.shape == *w || c.type_name.eq_ignore_ascii_case(w)
                    })
            })
            .cloned()
            .collect()
    }
}

/// What one extraction is sent with.
#[derive(Debug, Clone)]
pub struct Request {
    /// The model.
    pub model: String,
    /// The system message.
    pub system: String,
    /// The user message (the case's text).
    pub user: String,
    /// How the schema travels.
    pub mode: Mode,
    /// What the system message says about the answer.
    pub prompting: Prompting,
    /// Re-asks allowed after an invalid answer.
    pub max_retries: u32,
    /// Sampling temperature.
    pub temperature: f64,
    /// Sampling seed.
    pub seed: u64,
    /// Token limit of each answer.
    pub max_tokens: u32,
}

/// An extraction's result with the value turned back into JSON.
pub type Extracted = Result<(Value, Extraction), Error>;

type BoxFut = Pin<Box<dyn Future<Output = Extracted> + Send>>;

/// What the eval needs to do with one type: extract it, and bring an expected value into the
/// form an extracted one has.
#[derive(Clone, Copy)]
pub struct TypeEntry {
    /// The type's name, as `cases.json` writes it.
    pub name: &'static str,
    /// Sends the request, and serializes the value that comes back.
    pub extract: fn(Client, Request) -> BoxFut,
    /// The body of the first request, without sending it ([`instructor::Extract::dry_run`]).
    pub dry_run: fn(&Client, Request) -> Result<Value, Error>,
    /// Reads a JSON value as the type, checks it with the type's own validation, and writes it
    /// back: the normal form both sides of a comparison are put in.
    pub normalise: fn(&Value) -> Result<Value, String>,
    /// The type's worked examples ([`Instructor::examples`]).
    pub examples: fn() -> &'static [instructor::Example],
    /// Checks them ([`instructor::testing::check_examples`]).
    pub check_examples: fn() -> Result<(), Error>,
}

impl std::fmt::Debug for TypeEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TypeEntry")
            .field("name", &self.name)
            .finish()
    }
}

fn request<T: Instructor>(client: &Client, r: Request) -> instructor::Extract<T> {
    client
        .extract::<T>()
        .model(r.model)
        .system(r.system)
        .user(r.user)
        .mode(r.mode)
        .prompting(r.prompting)
        .max_retries(r.max_retries)
        .temperature(r.temperature)
        .seed(r.seed)
        .max_tokens(r.max_tokens)
}

fn dry_run_as<T: Instructor>(client: &Client, r: Request) -> Result<Value, Error> {
    request::<T>(client, r).dry_run()
}

fn extract_as<T>(client: Client, r: Request) -> BoxFut
where
    T: Instructor + Serialize + DeserializeOwned + Send + 'static,
    T::Context: Default,
{
    Box::pin(async move {
        let (value, extraction) = request::<T>(&client, r).send_with_extraction().await?;
        let json = serde_json::to_value(&value)
            .map_err(|e| Error::Config(format!("the extracted value does not serialize: {e}")))?;
        Ok((json, extraction))
    })
}

fn normalise_as<T>(value: &Value) -> Result<Value, String>
where
    T: Instructor + Serialize + DeserializeOwned,
    T::Context: Default,
{
    let typed: T = serde_json::from_value(value.clone()).map_err(|e| e.to_string())?;
    Instructor::validate(&typed).map_err(|e| e.to_string())?;
    serde_json::to_value(&typed).map_err(|e| e.to_string())
}

macro_rules! types {
    ($($t:ident),* $(,)?) => {
        /// Every type a case may name.
        pub const TYPES: &[TypeEntry] = &[
            $(TypeEntry {
                name: stringify!($t),
                extract: extract_as::<$t>,
                dry_run: dry_run_as::<$t>,
                normalise: normalise_as::<$t>,
                examples: <$t as Instructor>::examples,
                check_examples: instructor::testing::check_examples::<$t>,
            },)*
        ];
    };
}

types!(
    Person,
    People,
    Contact,
    EmailAddresses,
    Review,
    SupportTicket,
    Profile,
    ShoppingList,
    Languages,
    Attendees,
    Company,
    Order,
    Employee,
    Payment,
    Invoice,
    Booking,
    UppercaseUser,
    MeetingSlot,
    Slug,
);

/// The entry of the type called `name`.
pub fn type_entry(name: &str) -> Option<&'static TypeEntry> {
    TYPES.iter().find(|t| t.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, BTreeSet};

    #[test]
    fn every_expected_value_is_a_valid_value_of_its_type_written_in_normal_form() {
        let file = CaseFile::builtin();
        assert!(file.cases.len() >= 40, "{} cases", file.cases.len());
        for case in &file.cases {
            let entry = type_entry(&case.type_name)
                .unwrap_or_else(|| panic!("{}: no type {}", case.id, case.type_name));
            let normal = (entry.normalise)(&case.expected)
                .unwrap_or_else(|e| panic!("{}: expected value rejected: {e}", case.id));
            // Written as the type writes it, so the Python runner (which reads the same file)
            // compares against the same JSON.
            assert_eq!(normal, case.expected, "{}", case.id);
        }
    }

    /// A worked example teaches the model the shape of an answer; one that gave a case's
    /// text or answer would teach it the answer.
    #[test]
    fn every_type_has_a_valid_worked_example_that_answers_no_case() {
        let file = CaseFile::builtin();
        for t in TYPES {
            assert!(!(t.examples)().is_empty(), "type {} has no example", t.name);
            (t.check_examples)().unwrap_or_else(|e| panic!("{}: {e}", t.name));
            for example in (t.examples)() {
                let answer: Value = serde_json::from_str(example.answer).unwrap();
                let answer = (t.normalise)(&answer).unwrap();
                for case in file.cases.iter().filter(|c| c.type_name == t.name) {
                    // A review's answer is one of three words: some case has its example's.
                    if t.name != "Review" {
                        assert_ne!(
                            answer, case.expected,
                            "{}: the example is the answer",
                            case.id
                        );
                    }
                    assert_ne!(
                        example.text, case.text,
                        "{}: the example is the text",
                        case.id
                    );
                }
            }
        }
    }

    #[test]
    fn ids_are_unique_and_every_type_and_shape_is_used() {
        let file = CaseFile::builtin();
        let ids: BTreeSet<&str> = file.cases.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids.len(), file.cases.len());
        let used: BTreeSet<&str> = file.cases.iter().map(|c| c.type_name.as_str()).collect();
        for t in TYPES {
            assert!(used.contains(t.name), "type {} has no case", t.name);
        }
        let mut shapes: BTreeMap<&str, usize> = BTreeMap::new();
        for c in &file.cases {
            *shapes.entry(&c.shape).or_default() += 1;
        }
        for shape in [
            "people",
            "contacts",
            "sentiment",
            "tickets",
            "optional",
            "lists",
            "nested",
            "money",
            "rules",
        ] {
            assert!(shapes.get(shape).copied().unwrap_or(0) >= 3, "{shape}");
        }
    }

    #[test]
    fn the_custom_validators_reject_what_they_are_for() {
        let bad = |t: &str, v: Value| (type_entry(t).unwrap().normalise)(&v).unwrap_err();
        let e = bad(
            "Invoice",
            serde_json::json!({"currency": "EUR", "lines": [{"item": "pen", "quantity": 2, "unit_price": 1.2}], "total": 3.0}),
        );
        assert!(e.contains("add up to 2.40"), "{e}");
        let e = bad(
            "UppercaseUser",
            serde_json::json!({"name": "Jason", "age": 20}),
        );
        assert!(e.contains("upper case"), "{e}");
        let e = bad(
            "MeetingSlot",
            serde_json::json!({"start_hour": 4, "end_hour": 2}),
        );
        assert!(e.contains("after"), "{e}");
        let e = bad(
            "Booking",
            serde_json::json!({"guest": "A", "check_in": "2025-03-07", "check_out": "2025-03-03"}),
        );
        assert!(e.contains("after"), "{e}");
        let e = bad(
            "Contact",
            serde_json::json!({"name": "Jane", "email": "jane at example dot com"}),
        );
        assert!(e.contains("email"), "{e}");
    }

    #[test]
    fn filters_match_ids_shapes_and_types() {
        let file = CaseFile::builtin();
        assert_eq!(file.filtered("").len(), file.cases.len());
        let seed = file.filtered("person_seed");
        assert_eq!(seed.len(), 1);
        assert!(file
            .filtered("nested")
            .iter()
            .all(|c| c.shape == "nested" || c.id.contains("nested")));
        let both = file.filtered("person_seed, Invoice");
        assert_eq!(both.len(), 2, "{both:?}");
        assert!(file.filtered("no_such_case").is_empty());
    }
}
