//! What the schema costs on every request: o200k_base tokens (the GPT-4o / GPT-5 tokenizer,
//! crate `bpe-openai`) of the `tools` array this SDK sends in `Mode::Tools`, against what
//! Python instructor 1.17 sends for the same ten everyday types (`engines/tokens/`: the
//! pydantic models and the script that wrote `python_tools.json` from instructor's own
//! `openai_schema`). Both are counted as compact JSON (no whitespace), so the figure is the
//! schema's content, not the serializer's spacing.
//!
//! ```text
//! cargo test -p instructor-engines --test schema_tokens -- --nocapture
//! ```
//!
//! The target (issue "Lean where users pay"): at most 0.8 times Python instructor's tokens.

use std::collections::BTreeMap;

use instructor::{Client, Extractable, Instructor, Mode};
use serde::Deserialize;
use serde_json::Value;

/// A person mentioned in the text.
#[derive(Debug, Deserialize, Instructor, garde::Validate)]
#[allow(dead_code)]
struct UserDetails {
    #[garde(length(min = 1))]
    name: String,
    /// Age in whole years.
    #[garde(range(max = 150))]
    age: u8,
}

/// How to reach a person.
#[derive(Debug, Deserialize, Instructor)]
#[allow(dead_code)]
struct Contact {
    /// Full name, as written.
    name: String,
    /// Email address, if given.
    email: Option<String>,
    /// Phone number, if given.
    phone: Option<String>,
}

/// A postal address.
#[derive(Debug, Deserialize, Instructor)]
#[allow(dead_code)]
struct Address {
    street: String,
    city: String,
    postal_code: Option<String>,
    /// Country name, in English.
    country: String,
}

/// One line of an order.
#[derive(Debug, Deserialize, Instructor, garde::Validate)]
#[allow(dead_code)]
struct LineItem {
    #[garde(skip)]
    product: String,
    #[garde(range(min = 1))]
    quantity: u32,
    /// Price of one unit.
    #[garde(range(min = 0.0))]
    unit_price: f64,
}

/// An order placed by a customer.
#[derive(Debug, Deserialize, Instructor, garde::Validate)]
#[allow(dead_code)]
struct Order {
    #[garde(skip)]
    customer: String,
    /// What was ordered.
    #[garde(length(min = 1), dive)]
    items: Vec<LineItem>,
    #[garde(skip)]
    shipping_address: Address,
}

#[derive(Debug, Deserialize, Instructor)]
#[serde(rename_all = "lowercase")]
enum Category {
    Billing,
    Technical,
    Account,
    Other,
}

#[derive(Debug, Deserialize, Instructor)]
#[serde(rename_all = "lowercase")]
enum Priority {
    Low,
    Medium,
    High,
}

/// A support ticket, classified.
#[derive(Debug, Deserialize, Instructor, garde::Validate)]
#[allow(dead_code)]
struct Ticket {
    #[garde(skip)]
    category: Category,
    #[garde(skip)]
    priority: Priority,
    /// One sentence.
    #[garde(length(chars, max = 200))]
    summary: String,
}

#[derive(Debug, Deserialize, Instructor)]
enum Currency {
    #[serde(rename = "USD")]
    Usd,
    #[serde(rename = "EUR")]
    Eur,
    #[serde(rename = "GBP")]
    Gbp,
    #[serde(rename = "JPY")]
    Jpy,
}

/// An invoice.
#[derive(Debug, Deserialize, Instructor, garde::Validate)]
#[allow(dead_code)]
struct Invoice {
    #[garde(skip)]
    number: String,
    #[garde(range(min = 0.0))]
    amount: f64,
    #[garde(skip)]
    currency: Currency,
    /// Due date.
    #[garde(skip)]
    due: chrono::NaiveDate,
}

/// An event with its date, place and attendees.
#[derive(Debug, Deserialize, Instructor)]
#[allow(dead_code)]
struct Event {
    title: String,
    date: chrono::NaiveDate,
    location: Option<String>,
    /// Names of the people attending.
    #[serde(default)]
    attendees: Vec<String>,
}

#[derive(Debug, Deserialize, Instructor)]
#[serde(rename_all = "lowercase")]
enum Sentiment {
    Positive,
    Neutral,
    Negative,
}

/// The sentiment of a product review.
#[derive(Debug, Deserialize, Instructor, garde::Validate)]
#[allow(dead_code)]
struct Review {
    #[garde(skip)]
    sentiment: Sentiment,
    /// From 0 to 1.
    #[garde(range(min = 0.0, max = 1.0))]
    confidence: f64,
    /// What the review talks about.
    #[serde(default)]
    #[garde(skip)]
    aspects: Vec<String>,
}

/// A product in a catalogue.
#[derive(Debug, Deserialize, Instructor, garde::Validate)]
#[allow(dead_code)]
struct Product {
    #[garde(skip)]
    name: String,
    #[garde(range(min = 0.0))]
    price: f64,
    #[serde(default)]
    #[garde(length(max = 5))]
    tags: Vec<String>,
    #[garde(skip)]
    in_stock: bool,
}

/// A meeting to put in a calendar.
#[derive(Debug, Deserialize, Instructor, garde::Validate)]
#[allow(dead_code)]
struct Meeting {
    #[garde(skip)]
    topic: String,
    /// Start time, ISO 8601.
    #[garde(skip)]
    start: chrono::NaiveDateTime,
    #[garde(range(min = 1, max = 600))]
    duration_minutes: u16,
    #[garde(skip)]
    participants: Vec<Contact>,
}

/// The `tools` array a `Mode::Tools` request for `T` carries.
fn tools<T: Extractable>() -> Value {
    let client = Client::openai_compatible("http://127.0.0.1:9/v1", "").expect("a valid client");
    let body = client
        .extract::<T>()
        .model("m")
        .user("x")
        .mode(Mode::Tools)
        .dry_run()
        .expect("a request can be built");
    body["tools"].clone()
}

#[test]
fn tools_mode_schemas_cost_at_most_four_fifths_of_python_instructors() {
    let bpe = bpe_openai::o200k_base();
    let tokens = |v: &Value| bpe.count(&v.to_string());
    let python: Value =
        serde_json::from_str(include_str!("../tokens/python_tools.json")).expect("the recording");
    let ours: BTreeMap<&str, Value> = [
        ("UserDetails", tools::<UserDetails>()),
        ("Contact", tools::<Contact>()),
        ("Address", tools::<Address>()),
        ("Order", tools::<Order>()),
        ("Ticket", tools::<Ticket>()),
        ("Invoice", tools::<Invoice>()),
        ("Event", tools::<Event>()),
        ("Review", tools::<Review>()),
        ("Product", tools::<Product>()),
        ("Meeting", tools::<Meeting>()),
    ]
    .into_iter()
    .collect();
    println!(
        "o200k_base tokens of the Mode::Tools `tools` array (compact JSON), Python instructor {}:",
        python["instructor"]
    );
    println!("| type | instructor-rs | Python instructor | ratio |");
    println!("| --- | ---: | ---: | ---: |");
    let (mut total_ours, mut total_python) = (0, 0);
    for (name, tools) in &ours {
        let theirs = &python["tools"][*name];
        assert!(
            theirs.is_array(),
            "{name} is missing from python_tools.json"
        );
        let (a, b) = (tokens(tools), tokens(theirs));
        total_ours += a;
        total_python += b;
        println!("| {name} | {a} | {b} | {:.2} |", a as f64 / b as f64);
    }
    let ratio = total_ours as f64 / total_python as f64;
    println!("| all ten | {total_ours} | {total_python} | {ratio:.2} |");
    assert_eq!(ours.len(), 10);
    assert!(
        ratio <= 0.8,
        "the schemas cost {ratio:.2} times Python instructor's tokens (target: at most 0.8)"
    );
}
