//! The types the tests and benchmarks extract, derived like a user would derive them: the
//! blog post's [`UserDetails`] (and [`SeedUser`], as the example writes it), a type whose validation needs a context ([`Bounded`]), and
//! the benchmarks' large nested [`Report`].
//!
//! The tests' types carry no field doc comments on purpose: a doc comment becomes the field's schema
//! `description`, and the tests pin the request bodies the schemas travel in.
#![allow(missing_docs)]

use instructor::Instructor;
use serde::{Deserialize, Serialize};

/// A person mentioned in the text, with a worked example (sent as turns by
/// `Prompting::Examples`) and an optional field the example leaves out.
#[derive(Debug, PartialEq, Deserialize, Instructor, garde::Validate)]
#[instructor(example(
    text = "Our neighbour Carlos Mendes celebrated his 41st birthday.",
    answer = r#"{"name": "Carlos Mendes", "age": 41}"#,
))]
pub struct Neighbour {
    #[garde(length(min = 1))]
    pub name: String,
    #[garde(range(max = 150))]
    pub age: u8,
    #[serde(default)]
    #[garde(skip)]
    pub city: Option<String>,
}

/// A person mentioned in the text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Instructor, garde::Validate)]
pub struct UserDetails {
    #[garde(length(min = 1))]
    pub name: String,
    #[garde(range(max = 120))]
    pub age: u8,
    #[serde(default)]
    #[garde(skip)]
    pub nickname: Option<String>,
}

/// The blog post's type exactly as `examples/anyscale.rs` writes it, field docs and all:
/// what the benchmarks extract, so their figures stay comparable across releases.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Instructor, garde::Validate)]
pub struct SeedUser {
    /// The person's first name.
    #[garde(length(min = 1))]
    pub name: String,
    /// Age in whole years.
    #[garde(range(max = 150))]
    pub age: u8,
}

/// The answer most tests expect: `{"name": "Jason", "age": 20}`.
pub const JASON: &str = r#"{"name": "Jason", "age": 20}"#;

/// [`JASON`] as a value.
pub fn jason() -> UserDetails {
    UserDetails {
        name: "Jason".into(),
        age: 20,
        nickname: None,
    }
}

/// The limit a [`Bounded`] value is checked against: a validation context without `Default`.
pub struct Limits {
    pub max: u32,
}

/// A value checked against [`Limits`].
#[derive(Debug, Deserialize, Instructor, garde::Validate)]
#[garde(context(Limits))]
pub struct Bounded {
    #[garde(custom(at_most_max))]
    pub value: u32,
}

fn at_most_max(value: &u32, ctx: &Limits) -> garde::Result {
    if *value <= ctx.max {
        Ok(())
    } else {
        Err(garde::Error::new(format!("must be at most {}", ctx.max)))
    }
}

/// A large, nested type: 32 fields over four structs, two lists of 100 items.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Instructor, garde::Validate)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// The report's title.
    #[garde(length(min = 1, max = 200))]
    pub title: String,
    #[garde(length(min = 1))]
    pub author: String,
    #[garde(skip)]
    pub summary: String,
    #[garde(range(min = 1900, max = 2100))]
    pub year: u16,
    #[garde(range(min = 1, max = 12))]
    pub month: u8,
    #[garde(skip)]
    pub draft: bool,
    #[garde(range(min = 0.0, max = 1.0))]
    pub confidence: f64,
    #[garde(skip)]
    pub currency: String,
    #[garde(skip)]
    pub region: String,
    #[garde(skip)]
    pub reviewer: Option<String>,
    #[garde(range(max = 1000))]
    pub page_count: u32,
    #[garde(dive)]
    pub customer: Customer,
    #[garde(length(max = 500), dive)]
    pub line_items: Vec<LineItem>,
    #[garde(length(max = 500))]
    pub tags: Vec<String>,
}

/// Who the report is about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Instructor, garde::Validate)]
#[serde(rename_all = "camelCase")]
pub struct Customer {
    #[garde(length(min = 1))]
    pub name: String,
    #[garde(email)]
    pub email: String,
    #[garde(skip)]
    pub phone: Option<String>,
    #[garde(range(max = 150))]
    pub age: u8,
    #[garde(skip)]
    pub vip: bool,
    #[garde(dive)]
    pub address: Address,
}

/// A postal address.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Instructor, garde::Validate)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    #[garde(length(min = 1))]
    pub street: String,
    #[garde(length(min = 1))]
    pub city: String,
    #[garde(length(min = 2, max = 2))]
    pub country: String,
    #[garde(skip)]
    pub postcode: String,
    #[garde(skip)]
    pub region: Option<String>,
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Instructor, garde::Validate)]
#[serde(rename_all = "camelCase")]
pub struct LineItem {
    #[garde(length(min = 1, max = 100))]
    pub sku: String,
    #[garde(length(min = 1))]
    pub description: String,
    #[garde(range(min = 1, max = 10000))]
    pub quantity: u32,
    #[garde(range(min = 0.0))]
    pub unit_price: f64,
    #[garde(skip)]
    pub discount: Option<f64>,
    #[garde(skip)]
    pub taxable: bool,
}

/// A filled [`Report`]: every field set, 100 line items and 100 tags.
pub fn sample_report() -> Report {
    Report {
        title: "Quarterly purchases".into(),
        author: "Ada Lovelace".into(),
        summary: "Everything bought by the customer this quarter, line by line.".into(),
        year: 2024,
        month: 6,
        draft: false,
        confidence: 0.93,
        currency: "EUR".into(),
        region: "EMEA".into(),
        reviewer: Some("Grace Hopper".into()),
        page_count: 12,
        customer: Customer {
            name: "Jason".into(),
            email: "jason@example.com".into(),
            phone: None,
            age: 20,
            vip: true,
            address: Address {
                street: "1 Main Street".into(),
                city: "Springfield".into(),
                country: "US".into(),
                postcode: "12345".into(),
                region: None,
            },
        },
        line_items: (0..100)
            .map(|i| LineItem {
                sku: format!("SKU-{i:05}"),
                description: format!("Item number {i}, a \"quoted\" widget"),
                quantity: 1 + i % 7,
                unit_price: 9.99 + f64::from(i),
                discount: (i % 3 == 0).then_some(0.1),
                taxable: i % 2 == 0,
            })
            .collect(),
        tags: (0..100).map(|i| format!("tag-{i}")).collect(),
    }
}
