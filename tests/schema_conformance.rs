//! Schema conformance: for a corpus of types covering what the derive supports, every
//! generated schema passes the draft 2020-12 meta-schema, the values the Rust side accepts are
//! accepted by the schema, and values that break a rule or the serde shape are rejected by
//! both. `jsonschema` is the oracle.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};

use instructor::Instructor;
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use serde_json::{json, Value};

fn validator(schema: &Value) -> jsonschema::Validator {
    if let Err(e) = jsonschema::draft202012::meta::validate(schema) {
        panic!("schema is not valid draft 2020-12: {e}\n{schema:#}");
    }
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(schema)
        .unwrap_or_else(|e| panic!("schema does not compile: {e}\n{schema:#}"))
}

/// Whether the Rust side accepts `json`: serde reads it and every rule passes.
fn rust_accepts<T: Instructor<Context = ()> + DeserializeOwned>(json: &Value) -> bool {
    serde_json::from_value::<T>(json.clone()).is_ok_and(|v| v.validate().is_ok())
}

/// `valid` (values and raw JSON) must pass the schema and the Rust side; `invalid` JSON must
/// fail both.
fn conforms<T>(valid: &[T], valid_json: &[Value], invalid_json: &[Value])
where
    T: Instructor<Context = ()> + Serialize + DeserializeOwned,
{
    let schema = T::json_schema();
    let v = validator(schema);
    for value in valid {
        let json = serde_json::to_value(value).unwrap();
        assert!(
            v.is_valid(&json),
            "schema rejects a valid value {json}: {:?}\n{schema:#}",
            v.validate(&json).err().map(|e| e.to_string())
        );
        assert!(rust_accepts::<T>(&json), "Rust rejects {json}");
    }
    for json in valid_json {
        assert!(
            v.is_valid(json),
            "schema rejects {json}: {:?}\n{schema:#}",
            v.validate(json).err().map(|e| e.to_string())
        );
        assert!(rust_accepts::<T>(json), "Rust rejects {json}");
    }
    for json in invalid_json {
        assert!(
            !v.is_valid(json),
            "schema accepts invalid {json}\n{schema:#}"
        );
        assert!(
            !rust_accepts::<T>(json),
            "Rust accepts {json}, the test is wrong"
        );
    }
}

// --- 1. scalars -----------------------------------------------------------------------

#[derive(Debug, Serialize, Deserialize, Instructor)]
struct Scalars {
    s: String,
    c: char,
    b: bool,
    f32_: f32,
    f64_: f64,
    u8_: u8,
    u16_: u16,
    u32_: u32,
    u64_: u64,
    usize_: usize,
    i8_: i8,
    i16_: i16,
    i32_: i32,
    i64_: i64,
    nz: std::num::NonZeroU32,
}

#[test]
fn scalars() {
    let s = Scalars::json_schema();
    let p = &s["properties"];
    assert_eq!(
        p["u8_"],
        json!({"type": "integer", "minimum": 0, "maximum": 255})
    );
    assert_eq!(
        p["i8_"],
        json!({"type": "integer", "minimum": -128, "maximum": 127})
    );
    assert_eq!(
        p["i64_"],
        json!({"type": "integer"}),
        "no fake bound on i64"
    );
    assert_eq!(p["u64_"], json!({"type": "integer", "minimum": 0}));
    assert_eq!(
        p["c"],
        json!({"type": "string", "minLength": 1, "maxLength": 1})
    );
    assert_eq!(p["f64_"], json!({"type": "number"}));
    let max = Scalars {
        s: "é".into(),
        c: 'é',
        b: true,
        f32_: 1.5,
        f64_: -2.25,
        u8_: 255,
        u16_: u16::MAX,
        u32_: u32::MAX,
        u64_: u64::MAX,
        usize_: 0,
        i8_: i8::MIN,
        i16_: i16::MIN,
        i32_: i32::MIN,
        i64_: i64::MIN,
        nz: std::num::NonZeroU32::new(7).unwrap(),
    };
    let base = serde_json::to_value(&max).unwrap();
    let with = |k: &str, v: Value| {
        let mut j = base.clone();
        j[k] = v;
        j
    };
    conforms(
        &[max],
        &[],
        &[
            with("u8_", json!(256)),
            with("u8_", json!(-1)),
            with("i8_", json!(-129)),
            with("c", json!("ab")),
            with("c", json!("")),
            with("b", json!("true")),
            with("s", json!(1)),
            with("nz", json!(0)),
            with("u16_", json!(1.5)),
        ],
    );
}

// --- 2. options, defaults, skip ------------------------------------------------------

fn seven() -> u32 {
    7
}

#[derive(Debug, Serialize, Deserialize, Instructor)]
struct Optionals {
    required: String,
    maybe: Option<u32>,
    #[serde(default)]
    defaulted: Vec<String>,
    #[serde(default = "seven")]
    seven: u32,
    #[serde(skip)]
    #[allow(dead_code)]
    skipped: u64,
    #[serde(skip_deserializing)]
    not_read: bool,
    #[serde(skip_serializing)]
    still_read: String,
}

#[test]
fn optionals() {
    let s = Optionals::json_schema();
    assert_eq!(s["required"], json!(["required", "still_read"]));
    assert!(s["properties"].get("skipped").is_none());
    assert!(s["properties"].get("not_read").is_none());
    assert_eq!(s["properties"]["maybe"]["type"], json!(["integer", "null"]));
    conforms::<Optionals>(
        &[],
        &[
            json!({"required": "a", "still_read": "b"}),
            json!({"required": "a", "still_read": "b", "maybe": null, "defaulted": ["x"], "seven": 8}),
        ],
        &[
            json!({"still_read": "b"}),
            json!({"required": "a", "still_read": "b", "maybe": "1"}),
        ],
    );
}

#[derive(Debug, Serialize, Deserialize, Instructor)]
#[serde(default)]
struct AllDefault {
    a: u8,
    b: String,
}

impl Default for AllDefault {
    fn default() -> Self {
        Self {
            a: 1,
            b: "b".into(),
        }
    }
}

#[test]
fn container_default() {
    assert!(AllDefault::json_schema().get("required").is_none());
    conforms::<AllDefault>(&[], &[json!({}), json!({"a": 3})], &[json!({"a": 300})]);
}

// --- 3. collections -----------------------------------------------------------------

#[derive(Debug, Serialize, Deserialize, Instructor)]
struct Collections {
    list: Vec<u8>,
    deque: VecDeque<String>,
    fixed: [u16; 3],
    set: HashSet<String>,
    sorted: BTreeSet<i32>,
    map: HashMap<String, u8>,
    tree: BTreeMap<String, Vec<bool>>,
    boxed: Box<u8>,
    any: Value,
    pair: (u8, String),
}

#[test]
fn collections() {
    let s = Collections::json_schema();
    let p = &s["properties"];
    assert_eq!(p["fixed"]["minItems"], 3);
    assert_eq!(p["fixed"]["maxItems"], 3);
    assert_eq!(p["set"]["uniqueItems"], true);
    assert_eq!(p["map"]["additionalProperties"]["maximum"], 255);
    assert_eq!(p["any"], json!(true));
    assert_eq!(p["pair"]["prefixItems"][1]["type"], "string");
    let ok = json!({
        "list": [1, 2], "deque": ["a"], "fixed": [1, 2, 3], "set": ["a", "b"],
        "sorted": [-1, 5], "map": {"k": 1}, "tree": {"t": [true]}, "boxed": 9,
        "any": {"whatever": [1, null]}, "pair": [1, "x"]
    });
    let with = |k: &str, v: Value| {
        let mut j = ok.clone();
        j[k] = v;
        j
    };
    conforms::<Collections>(
        &[],
        &[ok.clone(), with("any", json!(null))],
        &[
            with("fixed", json!([1, 2])),
            with("fixed", json!([1, 2, 3, 4])),
            with("list", json!([256])),
            with("map", json!({"k": -1})),
            with("pair", json!([1, "x", 3])),
            with("pair", json!(["x", 1])),
            with("boxed", json!(null)),
            with("set", json!("a")),
        ],
    );
}

// --- 4. nested types, $defs, recursion, generics ----------------------------------------

/// A node of a tree.
#[derive(Debug, Serialize, Deserialize, Instructor)]
struct Node {
    /// The label.
    name: String,
    children: Vec<Node>,
}

#[derive(Debug, Serialize, Deserialize, Instructor)]
struct LinkedList {
    value: i32,
    next: Option<Box<LinkedList>>,
}

#[test]
fn recursive_types() {
    let s = Node::json_schema();
    assert_eq!(s["title"], "Node");
    assert_eq!(s["description"], "A node of a tree.");
    assert_eq!(s["properties"]["children"]["items"]["$ref"], "#/$defs/Node");
    assert_eq!(s["properties"]["name"]["description"], "The label.");
    conforms(
        &[Node {
            name: "root".into(),
            children: vec![Node {
                name: "leaf".into(),
                children: vec![],
            }],
        }],
        &[],
        &[json!({"name": "r", "children": [{"name": 1, "children": []}]})],
    );
    conforms::<LinkedList>(
        &[],
        &[
            json!({"value": 1, "next": {"value": 2, "next": null}}),
            json!({"value": 1}),
        ],
        &[json!({"value": 1, "next": {"next": null}})],
    );
}

#[derive(Debug, Serialize, Deserialize, Instructor)]
struct User {
    name: String,
}

#[derive(Debug, Serialize, Deserialize, Instructor)]
struct Page<T> {
    items: Vec<T>,
    next: Option<String>,
}

#[test]
fn generic_struct() {
    assert_eq!(<Page<User>>::schema_name(), "Page_for_User");
    let s = <Page<User>>::json_schema();
    assert_eq!(s["title"], "Page_for_User");
    assert_eq!(s["properties"]["items"]["items"]["$ref"], "#/$defs/User");
    // Two instantiations get two schemas.
    assert_eq!(
        <Page<u8>>::json_schema()["properties"]["items"]["items"]["maximum"],
        255
    );
    conforms(
        &[Page {
            items: vec![User { name: "a".into() }],
            next: None,
        }],
        &[],
        &[json!({"items": [{"name": 1}]})],
    );
}

// --- 5. enums in all four representations ---------------------------------------------

#[derive(Debug, Serialize, Deserialize, Instructor, PartialEq)]
#[serde(rename_all = "snake_case")]
enum Status {
    /// Not yet shipped.
    Pending,
    InTransit,
    Delivered,
}

#[test]
fn unit_enum() {
    let s = Status::json_schema();
    assert_eq!(s["type"], "string");
    assert_eq!(s["enum"], json!(["pending", "in_transit", "delivered"]));
    assert!(s["description"]
        .as_str()
        .unwrap()
        .contains("`pending`: Not yet shipped."));
    conforms(
        &[Status::Pending, Status::InTransit],
        &[],
        &[json!("Pending"), json!("shipped"), json!(1), json!(null)],
    );
}

#[derive(Debug, Serialize, Deserialize, Instructor)]
enum External {
    Circle { radius: f64 },
    Square(f64),
    Point(i32, i32),
    Empty,
}

#[test]
fn externally_tagged() {
    assert!(External::json_schema()["oneOf"].is_array());
    conforms(
        &[
            External::Circle { radius: 1.0 },
            External::Square(2.0),
            External::Point(1, 2),
            External::Empty,
        ],
        &[],
        &[
            json!({"Circle": {"radius": "1"}}),
            json!({"Square": 1, "Circle": {"radius": 1}}),
            json!({"Point": [1]}),
            json!("Circle"),
            json!({"Triangle": 1}),
        ],
    );
}

#[derive(Debug, Serialize, Deserialize, Instructor)]
struct Keys {
    code: String,
}

#[derive(Debug, Serialize, Deserialize, Instructor)]
#[serde(tag = "type", rename_all = "lowercase")]
enum Internal {
    Click { x: i32, y: i32 },
    Key(Keys),
    Idle,
}

#[test]
fn internally_tagged() {
    conforms(
        &[
            Internal::Click { x: 1, y: 2 },
            Internal::Key(Keys { code: "a".into() }),
            Internal::Idle,
        ],
        &[],
        &[
            json!({"type": "click", "x": 1}),
            json!({"type": "key"}),
            json!({"type": "scroll"}),
            json!({"x": 1, "y": 2}),
        ],
    );
}

#[derive(Debug, Serialize, Deserialize, Instructor)]
#[serde(tag = "t", content = "c")]
enum Adjacent {
    Text(String),
    Pair(u8, u8),
    Named { a: bool },
    Nothing,
}

#[test]
fn adjacently_tagged() {
    conforms(
        &[
            Adjacent::Text("x".into()),
            Adjacent::Pair(1, 2),
            Adjacent::Named { a: true },
            Adjacent::Nothing,
        ],
        &[],
        &[
            json!({"t": "Text", "c": 1}),
            json!({"t": "Text"}),
            json!({"t": "Pair", "c": [1]}),
            json!({"t": "Other", "c": 1}),
        ],
    );
}

#[derive(Debug, Serialize, Deserialize, Instructor)]
#[serde(untagged)]
enum Untagged {
    Number(i64),
    Text(String),
    Object { id: u32 },
}

#[test]
fn untagged() {
    assert!(Untagged::json_schema()["anyOf"].is_array());
    conforms(
        &[
            Untagged::Number(-3),
            Untagged::Text("t".into()),
            Untagged::Object { id: 4 },
        ],
        &[],
        &[json!(true), json!({"id": -1}), json!([1])],
    );
}

// --- 6. serde attributes that change the wire shape ----------------------------------

#[derive(Debug, Serialize, Deserialize, Instructor)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Renamed {
    first_name: String,
    #[serde(rename = "years")]
    age: u8,
    #[serde(alias = "mail")]
    email_address: String,
}

#[test]
fn renames_aliases_and_unknown_fields() {
    let s = Renamed::json_schema();
    assert_eq!(s["required"], json!(["firstName", "years", "emailAddress"]));
    assert_eq!(s["additionalProperties"], false);
    conforms::<Renamed>(
        &[],
        &[json!({"firstName": "a", "years": 3, "emailAddress": "e"})],
        &[
            json!({"first_name": "a", "years": 3, "emailAddress": "e"}),
            json!({"firstName": "a", "years": 3, "emailAddress": "e", "extra": 1}),
        ],
    );
}

macro_rules! rename_all_cases {
    ($($name:ident = $rule:literal => $field:literal, $variant:literal;)*) => {$(
        #[allow(non_camel_case_types, dead_code)]
        mod $name {
            #[derive(serde::Deserialize, instructor::Instructor)]
            #[serde(rename_all = $rule)]
            pub struct S { pub very_long_field: u8 }
            #[derive(serde::Deserialize, instructor::Instructor)]
            #[serde(rename_all = $rule)]
            pub enum E { VeryLongVariant }
        }
    )*
        #[test]
        fn every_rename_all_rule() {
            use instructor::Instructor;
            $(
                let s = $name::S::json_schema();
                assert_eq!(s["required"], serde_json::json!([$field]), $rule);
                let e = $name::E::json_schema();
                assert_eq!(e["enum"], serde_json::json!([$variant]), $rule);
                // serde agrees.
                let v: $name::S = serde_json::from_value(serde_json::json!({ $field: 1 })).unwrap();
                assert_eq!(v.very_long_field, 1);
                let _: $name::E = serde_json::from_value(serde_json::json!($variant)).unwrap();
            )*
        }
    };
}

rename_all_cases! {
    lower = "lowercase" => "very_long_field", "verylongvariant";
    upper = "UPPERCASE" => "VERY_LONG_FIELD", "VERYLONGVARIANT";
    pascal = "PascalCase" => "VeryLongField", "VeryLongVariant";
    camel = "camelCase" => "veryLongField", "veryLongVariant";
    snake = "snake_case" => "very_long_field", "very_long_variant";
    screaming = "SCREAMING_SNAKE_CASE" => "VERY_LONG_FIELD", "VERY_LONG_VARIANT";
    kebab = "kebab-case" => "very-long-field", "very-long-variant";
    screaming_kebab = "SCREAMING-KEBAB-CASE" => "VERY-LONG-FIELD", "VERY-LONG-VARIANT";
}

#[derive(Debug, Serialize, Deserialize, Instructor)]
struct Address {
    city: String,
    zip: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, Instructor)]
struct Flattened {
    name: String,
    #[serde(flatten)]
    address: Address,
    #[serde(flatten)]
    extra: HashMap<String, u8>,
}

#[test]
fn flatten() {
    let s = Flattened::json_schema();
    assert_eq!(s["required"], json!(["name", "city"]));
    assert!(s["properties"]["city"].is_object());
    assert_eq!(s["additionalProperties"]["maximum"], 255);
    assert!(
        s.get("$defs").is_none(),
        "the flattened struct is inlined, not referenced: {s:#}"
    );
    conforms::<Flattened>(
        &[],
        &[
            json!({"name": "n", "city": "c"}),
            json!({"name": "n", "city": "c", "zip": "z", "k": 3}),
        ],
        &[
            json!({"name": "n"}),
            json!({"name": "n", "city": "c", "k": 300}),
        ],
    );
}

#[derive(Debug, Serialize, Deserialize, Instructor)]
#[serde(transparent)]
struct Email(#[serde(rename = "ignored")] String);

#[derive(Debug, Serialize, Deserialize, Instructor)]
struct Meters(f64);

#[derive(Debug, Serialize, Deserialize, Instructor)]
struct Rgb(u8, u8, u8);

#[derive(Debug, Serialize, Deserialize, Instructor)]
struct Marker;

#[derive(Debug, Serialize, Deserialize, Instructor)]
struct Shapes {
    email: Email,
    length: Meters,
    color: Rgb,
    marker: Marker,
}

#[test]
fn transparent_newtype_tuple_and_unit_structs() {
    let s = Shapes::json_schema();
    assert_eq!(s["properties"]["email"], json!({"type": "string"}));
    assert_eq!(s["$defs"]["Meters"]["type"], "number");
    conforms(
        &[Shapes {
            email: Email("a@b.c".into()),
            length: Meters(1.5),
            color: Rgb(1, 2, 3),
            marker: Marker,
        }],
        &[],
        &[
            json!({"email": "x", "length": "1", "color": [1, 2, 3], "marker": null}),
            json!({"email": "x", "length": 1, "color": [1, 2], "marker": null}),
            json!({"email": "x", "length": 1, "color": [1, 2, 3], "marker": 0}),
        ],
    );
}

// --- 7. garde rules as keywords -------------------------------------------------------

#[derive(Debug, Serialize, Deserialize, Instructor, garde::Validate)]
struct Rules {
    #[garde(length(chars, min = 2, max = 5))]
    chars: String,
    #[garde(length(min = 1, max = 8))]
    bytes: String,
    #[garde(range(min = 18, max = 99))]
    age: u8,
    #[garde(range(min = -1.5, max = 1.5))]
    ratio: f64,
    #[garde(pattern(r"\A[A-Z]{3}\z"))]
    code: String,
    #[garde(email)]
    email: String,
    #[garde(url)]
    site: String,
    #[garde(ip)]
    ip: String,
    #[garde(ipv4)]
    v4: String,
    #[garde(ipv6)]
    v6: String,
    #[garde(ascii)]
    plain: String,
    #[garde(alphanumeric)]
    word: String,
    #[garde(contains("+"), prefix("ab."), suffix("$"))]
    affixed: String,
    #[garde(length(min = 1, max = 3), inner(length(chars, min = 1), alphanumeric))]
    tags: Vec<String>,
    #[garde(inner(inner(range(max = 10))))]
    scores: Option<Vec<u8>>,
}

fn rules_ok() -> Value {
    json!({
        "chars": "héllo", "bytes": "abc", "age": 18, "ratio": -1.5, "code": "ABC",
        "email": "a@example.com", "site": "https://example.com/x", "ip": "::1",
        "v4": "10.0.0.1", "v6": "fe80::1", "plain": "ascii only", "word": "Ωmega42",
        "affixed": "ab.c+d$", "tags": ["x", "y2"], "scores": [10, 0]
    })
}

#[test]
fn garde_rules_become_keywords() {
    let s = Rules::json_schema();
    let p = &s["properties"];
    assert_eq!(p["chars"]["minLength"], 2);
    assert_eq!(p["chars"]["maxLength"], 5);
    assert_eq!(p["bytes"]["minLength"], 1, "min 1 byte = min 1 character");
    assert_eq!(p["bytes"]["maxLength"], 8);
    assert_eq!(p["age"]["minimum"], 18);
    assert_eq!(p["age"]["maximum"], 99);
    assert_eq!(p["ratio"]["minimum"], -1.5);
    assert_eq!(p["code"]["pattern"], "^[A-Z]{3}$");
    assert_eq!(p["email"]["format"], "email");
    assert_eq!(p["site"]["format"], "uri");
    assert_eq!(p["v4"]["format"], "ipv4");
    assert_eq!(p["tags"]["minItems"], 1);
    assert_eq!(p["tags"]["items"]["minLength"], 1);
    assert_eq!(p["scores"]["items"]["maximum"], 10);
    let with = |k: &str, v: Value| {
        let mut j = rules_ok();
        j[k] = v;
        j
    };
    conforms::<Rules>(
        &[],
        &[rules_ok(), with("scores", json!(null))],
        &[
            with("chars", json!("a")),
            with("chars", json!("abcdef")),
            with("bytes", json!("")),
            with("age", json!(17)),
            with("age", json!(100)),
            with("ratio", json!(2)),
            with("code", json!("ABCD")),
            with("code", json!("abc")),
            with("email", json!("not-an-email")),
            with("site", json!("not a url")),
            with("ip", json!("1.2.3")),
            with("v4", json!("::1")),
            with("v6", json!("1.2.3.4")),
            with("plain", json!("é")),
            with("word", json!("a b")),
            with("affixed", json!("ab.c$")),
            with("affixed", json!("a.c+$")),
            with("affixed", json!("ab.c+")),
            with("tags", json!([])),
            with("tags", json!(["a", "b", "c", "d"])),
            with("tags", json!([""])),
            with("tags", json!(["a-b"])),
            with("scores", json!([11])),
        ],
    );
}

#[test]
fn byte_lengths_are_never_stricter_than_garde() {
    #[derive(Debug, Serialize, Deserialize, Instructor, garde::Validate)]
    struct Bytes {
        #[garde(length(min = 3, max = 6))]
        s: String,
    }
    let s = Bytes::json_schema();
    // "éé" is 4 bytes but 2 characters: garde accepts it, so the schema must too.
    assert!(s["properties"]["s"].get("minLength").is_none());
    assert_eq!(s["properties"]["s"]["maxLength"], 6);
    assert!(s["properties"]["s"]["description"]
        .as_str()
        .unwrap()
        .contains("3 bytes"));
    conforms::<Bytes>(&[], &[json!({"s": "éé"})], &[json!({"s": "abcdefg"})]);
}

#[test]
fn bounds_that_are_expressions_are_left_to_validation() {
    const MAX: u32 = 10;
    #[derive(Debug, Serialize, Deserialize, Instructor, garde::Validate)]
    struct Bounds {
        #[garde(range(max = MAX))]
        constant: u32,
        #[garde(skip)]
        limit: u32,
        #[garde(range(max = self.limit))]
        below_limit: u32,
    }
    let s = Bounds::json_schema();
    assert_eq!(s["properties"]["constant"]["maximum"], 10);
    assert_eq!(
        s["properties"]["below_limit"]["maximum"],
        u32::MAX,
        "only the type's bound"
    );
    let v = Bounds {
        constant: 1,
        limit: 3,
        below_limit: 4,
    };
    let e = Instructor::validate(&v).unwrap_err();
    assert_eq!(e.iter().next().unwrap().path(), "below_limit");
}

// --- 8. custom validators and overrides ------------------------------------------------

fn end_after_start(r: &DateRange) -> Result<(), String> {
    if r.end >= r.start {
        Ok(())
    } else {
        Err(format!(
            "end ({}) must not be before start ({})",
            r.end, r.start
        ))
    }
}

#[derive(Debug, Serialize, Deserialize, Instructor)]
#[instructor(validate = end_after_start)]
struct DateRange {
    start: u32,
    end: u32,
}

#[derive(Debug, Serialize, Deserialize, Instructor)]
struct Trip {
    ranges: Vec<DateRange>,
}

#[test]
fn custom_validators_reach_nested_values() {
    let t = Trip {
        ranges: vec![
            DateRange { start: 1, end: 2 },
            DateRange { start: 5, end: 3 },
        ],
    };
    let e = Instructor::validate(&t).unwrap_err();
    assert_eq!(e.len(), 1);
    let err = e.iter().next().unwrap();
    assert_eq!(err.path(), "ranges[1]");
    assert_eq!(err.message(), "end (3) must not be before start (5)");
}

struct Money(i64);

fn money_schema(_: &mut instructor::SchemaGenerator) -> Value {
    json!({ "type": "string", "pattern": "^[0-9]+\\.[0-9]{2}$" })
}

fn money_de<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Money, D::Error> {
    let s = String::deserialize(d)?;
    let (a, b) = s
        .split_once('.')
        .ok_or_else(|| serde::de::Error::custom("no dot"))?;
    let cents = a.parse::<i64>().map_err(serde::de::Error::custom)? * 100
        + b.parse::<i64>().map_err(serde::de::Error::custom)?;
    Ok(Money(cents))
}

fn money_ser<S: serde::Serializer>(m: &Money, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format!("{}.{:02}", m.0 / 100, m.0 % 100))
}

#[derive(Serialize, Deserialize, Instructor)]
struct Invoice {
    /// Ignored: the attribute wins.
    #[instructor(description = "Total in EUR", example = "12.50", example = "0.99")]
    #[instructor(schema_with = money_schema)]
    #[serde(deserialize_with = "money_de", serialize_with = "money_ser")]
    total: Money,
}

#[test]
fn field_overrides() {
    let s = Invoice::json_schema();
    let t = &s["properties"]["total"];
    assert_eq!(t["description"], "Total in EUR");
    assert_eq!(t["examples"], json!(["12.50", "0.99"]));
    assert_eq!(t["pattern"], "^[0-9]+\\.[0-9]{2}$");
    conforms(
        &[Invoice { total: Money(1250) }],
        &[json!({"total": "0.99"})],
        &[json!({"total": 12.5}), json!({"total": "12"})],
    );
}

#[cfg(feature = "chrono")]
#[test]
fn chrono_types() {
    #[derive(Serialize, Deserialize, Instructor)]
    struct When {
        at: chrono::DateTime<chrono::Utc>,
        day: chrono::NaiveDate,
    }
    let s = When::json_schema();
    assert_eq!(s["properties"]["at"]["format"], "date-time");
    assert_eq!(s["properties"]["day"]["format"], "date");
    conforms::<When>(
        &[],
        &[json!({"at": "2024-01-02T03:04:05Z", "day": "2024-01-02"})],
        &[
            json!({"at": "yesterday", "day": "2024-01-02"}),
            json!({"at": "2024-01-02T03:04:05Z", "day": "2024-13-02"}),
        ],
    );
}

#[cfg(feature = "uuid")]
#[test]
fn uuid_type() {
    #[derive(Serialize, Deserialize, Instructor)]
    struct Id {
        id: uuid::Uuid,
    }
    conforms::<Id>(
        &[],
        &[json!({"id": "67e55044-10b1-426f-9247-bb680e5fe0c8"})],
        &[json!({"id": "nope"})],
    );
}

#[cfg(feature = "url")]
#[test]
fn url_type() {
    #[derive(Serialize, Deserialize, Instructor)]
    struct Link {
        href: url::Url,
    }
    assert_eq!(Link::json_schema()["properties"]["href"]["format"], "uri");
    conforms::<Link>(
        &[],
        &[json!({"href": "https://example.com"})],
        &[json!({"href": "not a url"})],
    );
}

// --- 9. property: the schema agrees with validation on generated values ------------------

#[derive(Debug, Serialize, Deserialize, Instructor, garde::Validate)]
struct UserDetails {
    #[garde(length(chars, min = 1, max = 12))]
    name: String,
    #[garde(range(max = 150))]
    age: u8,
    #[garde(length(max = 3), inner(range(min = 1, max = 5)))]
    ratings: Vec<u8>,
}

mod property {
    use super::*;
    use proptest::prelude::*;

    fn any_json_user() -> impl Strategy<Value = Value> {
        (
            proptest::string::string_regex("\\PC{0,14}").unwrap(),
            0u32..300,
            proptest::collection::vec(0u32..8, 0..5),
        )
            .prop_map(|(name, age, ratings)| json!({"name": name, "age": age, "ratings": ratings}))
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        /// For rules the schema can state exactly, the schema accepts a document exactly
        /// when serde + garde accept it.
        #[test]
        fn schema_agrees_with_validation(doc in any_json_user()) {
            let v = validator(UserDetails::json_schema());
            prop_assert_eq!(v.is_valid(&doc), rust_accepts::<UserDetails>(&doc), "{}", doc);
        }

        /// Every value of a derived type serializes to a document its schema accepts.
        #[test]
        fn serialized_values_conform(
            name in "[a-z]{0,8}",
            children in proptest::collection::vec("[a-z]{0,4}", 0..4),
            status in 0usize..3,
        ) {
            let node = Node {
                name,
                children: children.into_iter().map(|n| Node { name: n, children: vec![] }).collect(),
            };
            let v = validator(Node::json_schema());
            prop_assert!(v.is_valid(&serde_json::to_value(&node).unwrap()));
            let s = [Status::Pending, Status::InTransit, Status::Delivered].into_iter().nth(status).unwrap();
            prop_assert!(validator(Status::json_schema()).is_valid(&serde_json::to_value(&s).unwrap()));
        }
    }
}
