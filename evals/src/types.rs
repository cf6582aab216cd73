//! The types the cases extract, written as a user of the SDK would write them: doc comments
//! that say what each field holds, garde rules for what must hold, and a few
//! `#[instructor(validate = ..)]` functions for rules garde cannot express.
//!
//! `evals/python/run.py` mirrors each one as a pydantic model; keep the two in step.

use garde::Validate;
use instructor::Instructor;
use serde::{Deserialize, Serialize};

// ---------------------------------------------------------------- people and ages

/// A person mentioned in the text.
#[derive(Debug, Serialize, Deserialize, Instructor, Validate)]
#[instructor(example(
    text = "Our neighbour Carlos Mendes celebrated his 41st birthday.",
    answer = r#"{"name": "Carlos Mendes", "age": 41}"#,
))]
pub struct Person {
    /// The person's full name, as written in the text.
    #[garde(length(min = 1))]
    pub name: String,
    /// Age in whole years.
    #[garde(range(max = 150))]
    pub age: u8,
}

/// Everyone mentioned in the text with their age, in the order they appear.
#[derive(Debug, Serialize, Deserialize, Instructor, Validate)]
#[instructor(example(
    text = "Ali is 12 and his cousin Mia is 9.",
    answer = r#"{"people": [{"name": "Ali", "age": 12}, {"name": "Mia", "age": 9}]}"#,
))]
pub struct People {
    /// One entry per person.
    #[garde(length(min = 1, max = 4), dive)]
    pub people: Vec<Person>,
}

// ---------------------------------------------------------------- contacts and emails

/// How to reach a person.
#[derive(Debug, Serialize, Deserialize, Instructor, Validate)]
#[instructor(example(
    text = "Questions? Ask Priya Nair: priya.nair@example.net.",
    answer = r#"{"name": "Priya Nair", "email": "priya.nair@example.net", "phone": null}"#,
))]
pub struct Contact {
    /// The person's full name.
    #[garde(length(min = 1))]
    pub name: String,
    /// Their email address.
    #[garde(email)]
    pub email: String,
    /// Their phone number exactly as written, if the text gives one.
    #[garde(skip)]
    pub phone: Option<String>,
}

/// The email addresses in the text.
#[derive(Debug, Serialize, Deserialize, Instructor, Validate)]
#[instructor(example(
    text = "Send the report to anna@corp.test.",
    answer = r#"{"emails": ["anna@corp.test"]}"#,
))]
pub struct EmailAddresses {
    /// Every address, in the order the text gives them.
    #[garde(length(min = 1, max = 4), inner(email))]
    pub emails: Vec<String>,
}

// ---------------------------------------------------------------- classification (enums)

/// How the writer feels about what they describe.
#[derive(Debug, Serialize, Deserialize, Instructor)]
#[serde(rename_all = "lowercase")]
pub enum Sentiment {
    /// Pleased, happy, recommends it.
    Positive,
    /// Disappointed, angry, wants it fixed or refunded.
    Negative,
    /// Only states facts, no feeling either way.
    Neutral,
}

/// The overall sentiment of a product review.
#[derive(Debug, Serialize, Deserialize, Instructor)]
#[instructor(example(
    text = "Great battery life, I would buy it again.",
    answer = r#"{"sentiment": "positive"}"#,
))]
pub struct Review {
    /// The sentiment of the review as a whole.
    pub sentiment: Sentiment,
}

/// What a support ticket is about.
#[derive(Debug, Serialize, Deserialize, Instructor)]
#[serde(rename_all = "snake_case")]
pub enum TicketCategory {
    /// Charges, refunds, invoices, payment methods.
    Billing,
    /// Bugs, crashes, errors: something does not work.
    Technical,
    /// Logging in, passwords, profile and account settings.
    Account,
    /// Deliveries, tracking, lost or late parcels.
    Shipping,
    /// Ideas and requests for something new.
    FeatureRequest,
}

/// How urgent a support ticket is.
#[derive(Debug, Serialize, Deserialize, Instructor)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    /// Questions, ideas and requests.
    Low,
    /// A problem that does not stop the customer working.
    Medium,
    /// The customer cannot work, or is losing money.
    High,
}

/// A customer support ticket, classified.
#[derive(Debug, Serialize, Deserialize, Instructor)]
#[instructor(example(
    text = "I forgot my password and cannot sign in.",
    answer = r#"{"category": "account", "priority": "medium"}"#,
))]
pub struct SupportTicket {
    /// What the ticket is about.
    pub category: TicketCategory,
    /// How urgent it is.
    pub priority: Priority,
}

// ---------------------------------------------------------------- optional fields

/// What the text says about a person. Leave out whatever it does not say.
#[derive(Debug, Serialize, Deserialize, Instructor, Validate)]
#[instructor(example(
    text = "Lucia Romano, a teacher, wrote to us.",
    answer = r#"{"name": "Lucia Romano", "city": null, "job_title": "teacher", "age": null}"#,
))]
pub struct Profile {
    /// The person's name, as written.
    #[garde(length(min = 1))]
    pub name: String,
    /// The city they live in, if the text says.
    #[garde(skip)]
    pub city: Option<String>,
    /// Their job in lower case (`teacher`, `chef`), if the text says.
    #[garde(skip)]
    pub job_title: Option<String>,
    /// Age in whole years, if the text says.
    #[garde(range(max = 150))]
    pub age: Option<u8>,
}

// ---------------------------------------------------------------- lists

/// One thing to buy.
#[derive(Debug, Serialize, Deserialize, Instructor, Validate)]
pub struct ShoppingItem {
    /// What to buy: singular, lower case, without the quantity (`apple`, `carrot`).
    #[garde(length(min = 1))]
    pub name: String,
    /// How many.
    #[garde(range(min = 1))]
    pub quantity: u32,
}

/// A shopping list.
#[derive(Debug, Serialize, Deserialize, Instructor, Validate)]
#[instructor(example(
    text = "Get 5 apples.",
    answer = r#"{"items": [{"name": "apple", "quantity": 5}]}"#,
))]
pub struct ShoppingList {
    /// Everything to buy, in the order the text gives it.
    #[garde(length(min = 1), dive)]
    pub items: Vec<ShoppingItem>,
}

/// The languages a person speaks.
#[derive(Debug, Serialize, Deserialize, Instructor, Validate)]
#[instructor(example(
    text = "He speaks German and Italian.",
    answer = r#"{"languages": ["German", "Italian"]}"#,
))]
pub struct Languages {
    /// Each language's English name, capitalised (`French`), in the order the text gives them.
    #[garde(length(min = 1), inner(length(min = 1)))]
    pub languages: Vec<String>,
}

/// Who came to a meeting.
#[derive(Debug, Serialize, Deserialize, Instructor, Validate)]
#[instructor(example(
    text = "Present at the review: Tom and Nadia.",
    answer = r#"{"names": ["Tom", "Nadia"]}"#,
))]
pub struct Attendees {
    /// The first name of each person present, in the order the text gives them.
    #[garde(length(min = 1), inner(length(min = 1)))]
    pub names: Vec<String>,
}

// ---------------------------------------------------------------- nested objects

/// A postal address.
#[derive(Debug, Serialize, Deserialize, Instructor, Validate)]
pub struct Address {
    /// Street and house number, if the text gives them.
    #[garde(skip)]
    pub street: Option<String>,
    /// The city.
    #[garde(length(min = 1))]
    pub city: String,
    /// The country's name in English.
    #[garde(length(min = 1))]
    pub country: String,
}

/// A company and where it is based.
#[derive(Debug, Serialize, Deserialize, Instructor, Validate)]
#[instructor(example(
    text = "Bluefin Ltd was founded in 1998 in Oslo, Norway.",
    answer = r#"{"name": "Bluefin Ltd", "founded": 1998, "headquarters": {"street": null, "city": "Oslo", "country": "Norway"}}"#,
))]
pub struct Company {
    /// The company's name, with its legal form if the text gives it (`Acme Ltd`).
    #[garde(length(min = 1))]
    pub name: String,
    /// The year it was founded, if the text says.
    #[garde(skip)]
    pub founded: Option<u16>,
    /// Where its head office is.
    #[garde(dive)]
    pub headquarters: Address,
}

/// One product in an order.
#[derive(Debug, Serialize, Deserialize, Instructor, Validate)]
pub struct OrderLine {
    /// The product: singular, lower case (`coffee mug`).
    #[garde(length(min = 1))]
    pub product: String,
    /// How many.
    #[garde(range(min = 1))]
    pub quantity: u32,
}

/// An order to be shipped.
#[derive(Debug, Serialize, Deserialize, Instructor, Validate)]
#[instructor(example(
    text = "Send 3 mugs to Peter Hall, 5 Mill Lane, Leeds, United Kingdom.",
    answer = r#"{"customer": "Peter Hall", "ship_to": {"street": "5 Mill Lane", "city": "Leeds", "country": "United Kingdom"}, "items": [{"product": "mug", "quantity": 3}]}"#,
))]
pub struct Order {
    /// Who the order is for.
    #[garde(length(min = 1))]
    pub customer: String,
    /// Where to send it.
    #[garde(dive)]
    pub ship_to: Address,
    /// What to send, in the order the text gives it.
    #[garde(length(min = 1), dive)]
    pub items: Vec<OrderLine>,
}

/// A team in a company.
#[derive(Debug, Serialize, Deserialize, Instructor, Validate)]
pub struct Team {
    /// The team's name, without the word "team" (`Search`).
    #[garde(length(min = 1))]
    pub name: String,
    /// The full name of the person who leads it.
    #[garde(length(min = 1))]
    pub lead: String,
}

/// An employee and the team they belong to.
#[derive(Debug, Serialize, Deserialize, Instructor, Validate)]
#[instructor(example(
    text = "Sara Lind works in the Search team under Ben Cole.",
    answer = r#"{"name": "Sara Lind", "team": {"name": "Search", "lead": "Ben Cole"}}"#,
))]
pub struct Employee {
    /// The employee's full name.
    #[garde(length(min = 1))]
    pub name: String,
    /// Their team.
    #[garde(dive)]
    pub team: Team,
}

// ---------------------------------------------------------------- dates and amounts

/// A payment.
#[derive(Debug, Serialize, Deserialize, Instructor, Validate)]
#[instructor(example(
    text = "Paid 42.10 CHF on 9 January 2024.",
    answer = r#"{"amount": 42.1, "currency": "CHF", "date": "2024-01-09"}"#,
))]
pub struct Payment {
    /// The amount paid, as a number (`42.5`).
    #[garde(range(min = 0.0))]
    pub amount: f64,
    /// The ISO 4217 currency code, in capitals (`CHF`, `CAD`).
    #[garde(pattern(r"^[A-Z]{3}$"))]
    pub currency: String,
    /// The day it was paid, `YYYY-MM-DD`.
    #[garde(pattern(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"))]
    pub date: String,
}

/// One line of an invoice.
#[derive(Debug, Serialize, Deserialize, Instructor, Validate)]
pub struct InvoiceLine {
    /// What was sold: singular, lower case (`cable`).
    #[garde(length(min = 1))]
    pub item: String,
    /// How many.
    #[garde(range(min = 1))]
    pub quantity: u32,
    /// The price of one, as a number.
    #[garde(range(min = 0.0))]
    pub unit_price: f64,
}

/// An invoice.
#[derive(Debug, Serialize, Deserialize, Instructor, Validate)]
#[instructor(example(
    text = "Invoice: 2 cables at 3.00 USD each. Total: 6.00 USD.",
    answer = r#"{"currency": "USD", "lines": [{"item": "cable", "quantity": 2, "unit_price": 3.0}], "total": 6.0}"#,
))]
#[instructor(validate = invoice_total_matches_lines)]
pub struct Invoice {
    /// The ISO 4217 currency code, in capitals (`CHF`).
    #[garde(pattern(r"^[A-Z]{3}$"))]
    pub currency: String,
    /// Every line, in the order the text gives them.
    #[garde(length(min = 1), dive)]
    pub lines: Vec<InvoiceLine>,
    /// The total: the sum of quantity times unit price over the lines.
    #[garde(range(min = 0.0))]
    pub total: f64,
}

fn invoice_total_matches_lines(invoice: &Invoice) -> Result<(), String> {
    let sum: f64 = invoice
        .lines
        .iter()
        .map(|l| f64::from(l.quantity) * l.unit_price)
        .sum();
    if (sum - invoice.total).abs() < 0.005 {
        Ok(())
    } else {
        Err(format!(
            "total is {} but the lines add up to {sum:.2}",
            invoice.total
        ))
    }
}

/// A hotel booking.
#[derive(Debug, Serialize, Deserialize, Instructor, Validate)]
#[instructor(example(
    text = "Reserve a room for Otto Berg, arriving 2024-08-01, leaving 2024-08-03.",
    answer = r#"{"guest": "Otto Berg", "check_in": "2024-08-01", "check_out": "2024-08-03"}"#,
))]
#[instructor(validate = check_out_after_check_in)]
pub struct Booking {
    /// The guest's name, as written.
    #[garde(length(min = 1))]
    pub guest: String,
    /// The day of arrival, `YYYY-MM-DD`.
    #[garde(pattern(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"))]
    pub check_in: String,
    /// The day of departure, `YYYY-MM-DD`.
    #[garde(pattern(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"))]
    pub check_out: String,
}

fn check_out_after_check_in(b: &Booking) -> Result<(), String> {
    // Both are YYYY-MM-DD (garde checks the pattern), so text order is date order.
    if b.check_out > b.check_in {
        Ok(())
    } else {
        Err(format!(
            "check_out ({}) must be after check_in ({})",
            b.check_out, b.check_in
        ))
    }
}

// ---------------------------------------------------------------- rules the model must follow

/// A person, for a system that stores names in capitals.
#[derive(Debug, Serialize, Deserialize, Instructor, Validate)]
#[instructor(example(text = "Mira is 33", answer = r#"{"name": "MIRA", "age": 33}"#,))]
#[instructor(validate = name_is_upper_case)]
pub struct UppercaseUser {
    /// The person's name, in UPPER CASE.
    #[garde(length(min = 1))]
    pub name: String,
    /// Age in whole years.
    #[garde(range(max = 150))]
    pub age: u8,
}

fn name_is_upper_case(u: &UppercaseUser) -> Result<(), String> {
    if u.name == u.name.to_uppercase() {
        Ok(())
    } else {
        Err(format!(
            "name must be in upper case: `{}`, not `{}`",
            u.name.to_uppercase(),
            u.name
        ))
    }
}

/// When a meeting takes place, on the 24-hour clock.
#[derive(Debug, Serialize, Deserialize, Instructor, Validate)]
#[instructor(example(
    text = "The call is from 9am to 11am.",
    answer = r#"{"start_hour": 9, "end_hour": 11}"#,
))]
#[instructor(validate = meeting_ends_after_it_starts)]
pub struct MeetingSlot {
    /// The hour it starts, 0 to 23 (2pm is 14).
    #[garde(range(max = 23))]
    pub start_hour: u8,
    /// The hour it ends, 0 to 23.
    #[garde(range(max = 23))]
    pub end_hour: u8,
}

fn meeting_ends_after_it_starts(m: &MeetingSlot) -> Result<(), String> {
    if m.end_hour > m.start_hour {
        Ok(())
    } else {
        Err(format!(
            "end_hour ({}) must be after start_hour ({})",
            m.end_hour, m.start_hour
        ))
    }
}

/// The URL slug of a blog post.
#[derive(Debug, Serialize, Deserialize, Instructor, Validate)]
#[instructor(example(
    text = "Make the slug for the post titled \"Why Cats Purr\"",
    answer = r#"{"slug": "why-cats-purr"}"#,
))]
pub struct Slug {
    /// The title in lower case, punctuation removed, words joined by hyphens
    /// (`why-cats-purr`).
    #[garde(pattern(r"^[a-z0-9]+(-[a-z0-9]+)*$"))]
    pub slug: String,
}
