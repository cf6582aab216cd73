//! What the derive gives at run time besides the schema: validation with the paths the model
//! sees, the schema cache, and the partial companion.

use instructor::Instructor;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::support::types::{Bounded, Limits};

/// An order placed by a customer.
#[derive(Debug, Serialize, Deserialize, Instructor, garde::Validate)]
#[serde(rename_all = "camelCase")]
struct Order {
    /// Who placed it.
    #[garde(dive)]
    customer: Customer,
    #[garde(length(min = 1, max = 50), dive)]
    line_items: Vec<Line>,
    #[garde(skip)]
    status: Status,
    /// Free-form note, if the text has one.
    #[garde(skip)]
    note: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, Instructor, garde::Validate)]
struct Customer {
    #[garde(length(min = 1))]
    name: String,
    #[serde(rename = "mail")]
    #[garde(email)]
    email: String,
}

#[derive(Debug, Serialize, Deserialize, Instructor, garde::Validate)]
#[serde(rename_all = "camelCase")]
struct Line {
    #[garde(length(min = 1))]
    product_name: String,
    #[garde(range(min = 1, max = 1000))]
    quantity: u32,
}

#[derive(Debug, Serialize, Deserialize, Instructor, PartialEq)]
#[serde(rename_all = "snake_case")]
enum Status {
    Pending,
    Shipped,
    Delivered,
}

fn order() -> Order {
    Order {
        customer: Customer {
            name: "Ada".into(),
            email: "ada@example.com".into(),
        },
        line_items: vec![
            Line {
                product_name: "tea".into(),
                quantity: 2,
            },
            Line {
                product_name: "cup".into(),
                quantity: 1,
            },
            Line {
                product_name: "pot".into(),
                quantity: 1,
            },
        ],
        status: Status::Pending,
        note: None,
    }
}

fn paths(e: &instructor::ValidationErrors) -> Vec<(&str, &str)> {
    e.iter().map(|e| (e.path(), e.message())).collect()
}

#[test]
fn valid_value_passes() {
    assert!(Instructor::validate(&order()).is_ok());
}

#[test]
fn garde_paths_use_the_serde_names_the_model_sees() {
    let mut o = order();
    o.customer.email = "nope".into();
    o.line_items[2].quantity = 0;
    o.line_items[1].product_name.clear();
    let e = Instructor::validate(&o).unwrap_err();
    let p = paths(&e);
    assert!(
        p.iter()
            .any(|(path, m)| *path == "customer.mail" && m.contains("email")),
        "{p:?}"
    );
    assert!(
        p.contains(&("lineItems[2].quantity", "lower than 1")),
        "{p:?}"
    );
    assert!(
        p.iter()
            .any(|(path, _)| *path == "lineItems[1].productName"),
        "{p:?}"
    );
    assert_eq!(e.len(), 3, "each error once: {p:?}");
    // The form sent back to the model.
    assert!(e
        .to_string()
        .lines()
        .any(|l| l == "lineItems[2].quantity: lower than 1"));
}

#[test]
fn a_list_at_the_top_runs_the_rules_of_its_elements() {
    let mut bad = order();
    bad.line_items[0].quantity = 0;
    let e = Instructor::validate(&vec![order(), bad]).unwrap_err();
    assert_eq!(
        paths(&e),
        vec![("[1].lineItems[0].quantity", "lower than 1")]
    );
    assert!(Instructor::validate(&Some(order())).is_ok());
}

#[test]
fn collection_rules_report_at_the_collection() {
    let mut o = order();
    o.line_items.clear();
    let e = Instructor::validate(&o).unwrap_err();
    assert_eq!(paths(&e), vec![("lineItems", "length is lower than 1")]);
}

fn no_overlap(s: &Shift) -> Result<(), &'static str> {
    if s.end > s.start {
        Ok(())
    } else {
        Err("end must be after start")
    }
}

#[derive(Debug, Deserialize, Instructor, garde::Validate)]
#[instructor(validate = no_overlap)]
#[serde(rename_all = "camelCase")]
struct Shift {
    #[garde(range(max = 24))]
    start: u8,
    #[garde(range(max = 24))]
    end: u8,
}

#[derive(Debug, Deserialize, Instructor)]
#[serde(tag = "kind", rename_all = "lowercase")]
enum Event {
    Work { shifts: Vec<Shift> },
    Rest,
}

#[derive(Debug, Deserialize, Instructor)]
enum External {
    Work { shifts: Vec<Shift> },
}

#[test]
fn garde_and_custom_validators_run_through_types_without_garde() {
    let e = Event::Work {
        shifts: vec![
            Shift { start: 9, end: 17 },
            Shift { start: 20, end: 30 },
            Shift { start: 5, end: 5 },
        ],
    };
    let errors = Instructor::validate(&e).unwrap_err();
    assert_eq!(
        paths(&errors),
        vec![
            ("shifts[1].end", "greater than 24"),
            ("shifts[2]", "end must be after start")
        ]
    );
    let x = External::Work {
        shifts: vec![Shift { start: 30, end: 31 }],
    };
    let errors = Instructor::validate(&x).unwrap_err();
    let mut got: Vec<&str> = paths(&errors).into_iter().map(|(p, _)| p).collect();
    got.sort();
    assert_eq!(got, vec!["Work.shifts[0].end", "Work.shifts[0].start"]);
    assert!(Instructor::validate(&Event::Rest).is_ok());
}

#[test]
fn garde_context_is_passed_through() {
    let b = Bounded { value: 50 };
    assert!(b.validate_with(&Limits { max: 100 }).is_ok());
    let e = b.validate_with(&Limits { max: 10 }).unwrap_err();
    assert_eq!(paths(&e), vec![("value", "must be at most 10")]);
}

#[derive(Debug, Deserialize, Instructor)]
struct Wrapper<T> {
    value: T,
}

#[test]
fn schema_is_built_once_and_cached() {
    let a: *const serde_json::Value = Order::json_schema();
    let b: *const serde_json::Value = Order::json_schema();
    assert_eq!(a, b, "non-generic types keep their schema in a static");
    let g1: *const serde_json::Value = <Wrapper<u8>>::json_schema();
    let g2: *const serde_json::Value = <Wrapper<u8>>::json_schema();
    assert_eq!(g1, g2, "generic instantiations are cached per type");
    let other: *const serde_json::Value = <Wrapper<String>>::json_schema();
    assert_ne!(g1, other);
    assert_eq!(
        <Wrapper<String>>::json_schema()["properties"]["value"]["type"],
        "string"
    );
}

#[test]
fn partial_companion_fills_in_as_the_model_writes() {
    let p = Order::partial_from_value(json!({
        "customer": { "name": "Ad" },
        "lineItems": [{ "productName": "tea", "quantity": 2 }, { "productName": "c" }],
        "status": "shipped"
    }))
    .unwrap();
    let customer = p.customer.as_ref().unwrap();
    assert_eq!(customer.name.as_deref(), Some("Ad"));
    assert_eq!(customer.email, None);
    let lines = p.line_items.as_ref().unwrap();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0].quantity, Some(2));
    assert_eq!(lines[1].product_name.as_deref(), Some("c"));
    assert_eq!(lines[1].quantity, None);
    assert_eq!(p.status, Some(Status::Shipped));
    assert_eq!(p.note, None);
    // Debug is there for progress displays.
    assert!(format!("{p:?}").starts_with("OrderPartial {"));
}

#[test]
fn partial_of_an_incomplete_enum_or_wrong_shape_is_absent_not_an_error() {
    let p = Order::partial_from_value(json!({ "status": "shi", "lineItems": "oops" })).unwrap();
    assert_eq!(p.status, None);
    assert!(p.line_items.is_none());
    assert!(Order::partial_from_value(json!([1, 2])).is_none());
    let empty = Order::partial_from_value(json!({})).unwrap();
    assert!(empty.customer.is_none());
}

#[derive(Debug, Deserialize, Instructor)]
#[serde(rename_all = "lowercase")]
enum TicketState {
    Open,
    Closed,
}

fn not_closed(state: &TicketState, _: &()) -> garde::Result {
    match state {
        TicketState::Closed => Err(garde::Error::new("the ticket is closed")),
        TicketState::Open => Ok(()),
    }
}

#[derive(Debug, Deserialize, Instructor, garde::Validate)]
struct Ticket {
    #[garde(custom(not_closed))]
    state: TicketState,
}

#[test]
fn a_rule_on_an_enum_field_reports_at_the_field_not_inside_the_variant() {
    // The translation of garde's path used to write the variant's name after the field's
    // (`state.closed`), as if the error were inside the variant.
    let e = Instructor::validate(&Ticket {
        state: TicketState::Closed,
    })
    .unwrap_err();
    assert_eq!(paths(&e), vec![("state", "the ticket is closed")]);
}
