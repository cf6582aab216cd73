use instructor::Instructor;

/// An order placed by a customer.
#[derive(Debug, serde::Serialize, serde::Deserialize, Instructor, garde::Validate)]
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

#[derive(Debug, serde::Serialize, serde::Deserialize, Instructor, garde::Validate)]
struct Customer {
    #[garde(length(min = 1))]
    name: String,
    #[garde(email)]
    email: String,
}

#[derive(Debug, serde::Serialize, serde::Deserialize, Instructor, garde::Validate)]
#[serde(rename_all = "camelCase")]
struct Line {
    #[garde(length(min = 1))]
    product_name: String,
    #[garde(range(min = 1, max = 1000))]
    quantity: u32,
}

#[derive(Debug, serde::Serialize, serde::Deserialize, Instructor)]
#[serde(rename_all = "snake_case")]
enum Status {
    Pending,
    Shipped,
    Delivered,
}

#[test]
fn smoke() {
    println!("{}", serde_json::to_string_pretty(Order::json_schema()).unwrap());
    let o = Order {
        customer: Customer { name: "".into(), email: "nope".into() },
        line_items: vec![Line { product_name: "x".into(), quantity: 0 }],
        status: Status::Pending,
        note: None,
    };
    let e = Instructor::validate(&o).unwrap_err();
    println!("{e}");
    let p = Order::partial_from_value(serde_json::json!({"customer": {"name": "Ja"}, "lineItems": [{"productName": "a"}]}));
    println!("{p:?}");
}
