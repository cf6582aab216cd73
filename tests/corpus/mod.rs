//! The derive's conformance corpus: types covering what `#[derive(Instructor)]` supports, each
//! with JSON values the Rust side accepts (`valid`) and values it rejects (`invalid`, a broken
//! rule or a wrong serde shape).
//!
//! Shared by two test crates, which include this file with `#[path]`:
//! - `tests/schema_conformance.rs` checks every schema with `jsonschema` (draft 2020-12);
//! - `engines/tests/engines.rs` compiles every schema with the grammar engines LLM servers run
//!   (llguidance, outlines-core, llama.cpp) and feeds them the same values.
//!
//! A case is added here once and both see it. Values are written as JSON; a typed value is
//! serialized first (`ser`), so what is checked is what serde writes.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::num::{NonZeroI32, NonZeroU32};

use instructor::Instructor;
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use serde_json::{json, Value};

/// One type of the corpus.
pub struct Case {
    /// The type's schema name (`Instructor::schema_name`).
    pub name: String,
    /// The root schema, `T::json_schema()`.
    pub schema: &'static Value,
    /// JSON that serde reads into the type and that passes its validation.
    pub valid: Vec<Value>,
    /// JSON that serde or validation rejects, and so does the schema.
    pub invalid: Vec<Value>,
    /// JSON that validation rejects but the schema accepts: the rule cannot be written in a
    /// form grammar engines take, so it is said in the field's `description` and checked
    /// after parsing (never stricter than garde).
    pub described: Vec<Value>,
    /// Whether the Rust side accepts a value: serde reads it and every rule passes.
    pub rust_accepts: fn(&Value) -> bool,
}

fn rust_accepts<T: Instructor<Context = ()> + DeserializeOwned>(json: &Value) -> bool {
    serde_json::from_value::<T>(json.clone()).is_ok_and(|v| v.validate().is_ok())
}

fn case<T>(valid: Vec<Value>, invalid: Vec<Value>) -> Case
where
    T: Instructor<Context = ()> + DeserializeOwned,
{
    Case {
        name: T::schema_name().into_owned(),
        schema: T::json_schema(),
        valid,
        invalid,
        described: Vec::new(),
        rust_accepts: rust_accepts::<T>,
    }
}

impl Case {
    /// With values only validation rejects (see [`Case::described`]).
    fn described(mut self, values: Vec<Value>) -> Self {
        self.described = values;
        self
    }
}

/// Serializes a typed value, as the corpus's valid values are written when they can be.
fn ser<T: Serialize>(value: T) -> Value {
    serde_json::to_value(value).unwrap()
}

/// `base` with `key` set to `value`.
fn with(base: &Value, key: &str, value: Value) -> Value {
    let mut j = base.clone();
    j[key] = value;
    j
}

/// Every case.
pub fn cases() -> Vec<Case> {
    let mut all = vec![
        scalars(),
        optionals(),
        all_default(),
        collections(),
        node(),
        linked_list(),
        page(),
        status(),
        external(),
        internal(),
        adjacent(),
        untagged(),
        renamed(),
        flattened(),
        shapes(),
        rules(),
        bytes(),
        invoice(),
        set(),
        sorted_set(),
        tuple(),
        map(),
        prefixed(),
        suffixed(),
        containing(),
        alphanumeric(),
        two_patterns(),
        any_ip(),
        any_value(),
        non_zero_signed(),
        non_zero_unsigned(),
        wide_integers(),
        signup(),
    ];
    #[cfg(feature = "chrono")]
    all.push(when());
    #[cfg(feature = "uuid")]
    all.push(id());
    #[cfg(feature = "url")]
    all.push(link());
    all
}

/// The case named `name`.
pub fn case_named(name: &str) -> Case {
    cases()
        .into_iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no corpus case named {name}"))
}

// --- 1. scalars -----------------------------------------------------------------------

#[derive(Debug, Serialize, Deserialize, Instructor)]
pub struct Scalars {
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
    nz: NonZeroU32,
}

fn scalars() -> Case {
    let max = ser(Scalars {
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
        nz: NonZeroU32::new(7).unwrap(),
    });
    case::<Scalars>(
        vec![max.clone()],
        vec![
            with(&max, "u8_", json!(256)),
            with(&max, "u8_", json!(-1)),
            with(&max, "i8_", json!(-129)),
            with(&max, "c", json!("ab")),
            with(&max, "c", json!("")),
            with(&max, "b", json!("true")),
            with(&max, "s", json!(1)),
            with(&max, "nz", json!(0)),
            with(&max, "u16_", json!(1.5)),
        ],
    )
}

// --- 2. options, defaults, skip ------------------------------------------------------

fn seven() -> u32 {
    7
}

#[derive(Debug, Serialize, Deserialize, Instructor)]
pub struct Optionals {
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

fn optionals() -> Case {
    case::<Optionals>(
        vec![
            json!({"required": "a", "still_read": "b"}),
            json!({"required": "a", "still_read": "b", "maybe": null, "defaulted": ["x"], "seven": 8}),
        ],
        vec![
            json!({"still_read": "b"}),
            json!({"required": "a", "still_read": "b", "maybe": "1"}),
        ],
    )
}

#[derive(Debug, Serialize, Deserialize, Instructor)]
#[serde(default)]
pub struct AllDefault {
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

fn all_default() -> Case {
    case::<AllDefault>(vec![json!({}), json!({"a": 3})], vec![json!({"a": 300})])
}

// --- 3. collections -----------------------------------------------------------------

#[derive(Debug, Serialize, Deserialize, Instructor)]
pub struct Collections {
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

fn collections() -> Case {
    let ok = json!({
        "list": [1, 2], "deque": ["a"], "fixed": [1, 2, 3], "set": ["a", "b"],
        "sorted": [-1, 5], "map": {"k": 1}, "tree": {"t": [true]}, "boxed": 9,
        "any": {"whatever": [1, null]}, "pair": [1, "x"]
    });
    case::<Collections>(
        vec![ok.clone(), with(&ok, "any", json!(null))],
        vec![
            with(&ok, "fixed", json!([1, 2])),
            with(&ok, "fixed", json!([1, 2, 3, 4])),
            with(&ok, "list", json!([256])),
            with(&ok, "map", json!({"k": -1})),
            with(&ok, "pair", json!([1, "x", 3])),
            with(&ok, "pair", json!(["x", 1])),
            with(&ok, "boxed", json!(null)),
            with(&ok, "set", json!("a")),
        ],
    )
}

// --- 4. nested types, $defs, recursion, generics ----------------------------------------

/// A node of a tree.
#[derive(Debug, Serialize, Deserialize, Instructor)]
pub struct Node {
    /// The label.
    pub name: String,
    pub children: Vec<Node>,
}

fn node() -> Case {
    case::<Node>(
        vec![ser(Node {
            name: "root".into(),
            children: vec![Node {
                name: "leaf".into(),
                children: vec![],
            }],
        })],
        vec![json!({"name": "r", "children": [{"name": 1, "children": []}]})],
    )
}

#[derive(Debug, Serialize, Deserialize, Instructor)]
pub struct LinkedList {
    value: i32,
    next: Option<Box<LinkedList>>,
}

fn linked_list() -> Case {
    case::<LinkedList>(
        vec![
            json!({"value": 1, "next": {"value": 2, "next": null}}),
            json!({"value": 1}),
        ],
        vec![json!({"value": 1, "next": {"next": null}})],
    )
}

#[derive(Debug, Serialize, Deserialize, Instructor)]
pub struct User {
    pub name: String,
}

#[derive(Debug, Serialize, Deserialize, Instructor)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}

fn page() -> Case {
    case::<Page<User>>(
        vec![ser(Page {
            items: vec![User { name: "a".into() }],
            next: None,
        })],
        vec![json!({"items": [{"name": 1}]})],
    )
}

// --- 5. enums in all four representations ---------------------------------------------

#[derive(Debug, Serialize, Deserialize, Instructor, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Not yet shipped.
    Pending,
    InTransit,
    Delivered,
}

fn status() -> Case {
    case::<Status>(
        vec![ser(Status::Pending), ser(Status::InTransit)],
        vec![json!("Pending"), json!("shipped"), json!(1), json!(null)],
    )
}

#[derive(Debug, Serialize, Deserialize, Instructor)]
pub enum External {
    Circle { radius: f64 },
    Square(f64),
    Point(i32, i32),
    Empty,
}

fn external() -> Case {
    case::<External>(
        vec![
            ser(External::Circle { radius: 1.0 }),
            ser(External::Square(2.0)),
            ser(External::Point(1, 2)),
            ser(External::Empty),
        ],
        vec![
            json!({"Circle": {"radius": "1"}}),
            json!({"Square": 1, "Circle": {"radius": 1}}),
            json!({"Point": [1]}),
            json!("Circle"),
            json!({"Triangle": 1}),
        ],
    )
}

#[derive(Debug, Serialize, Deserialize, Instructor)]
pub struct Keys {
    code: String,
}

#[derive(Debug, Serialize, Deserialize, Instructor)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Internal {
    Click { x: i32, y: i32 },
    Key(Keys),
    Idle,
}

fn internal() -> Case {
    case::<Internal>(
        vec![
            ser(Internal::Click { x: 1, y: 2 }),
            ser(Internal::Key(Keys { code: "a".into() })),
            ser(Internal::Idle),
        ],
        vec![
            json!({"type": "click", "x": 1}),
            json!({"type": "key"}),
            json!({"type": "scroll"}),
            json!({"x": 1, "y": 2}),
        ],
    )
}

#[derive(Debug, Serialize, Deserialize, Instructor)]
#[serde(tag = "t", content = "c")]
pub enum Adjacent {
    Text(String),
    Pair(u8, u8),
    Named { a: bool },
    Nothing,
}

fn adjacent() -> Case {
    case::<Adjacent>(
        vec![
            ser(Adjacent::Text("x".into())),
            ser(Adjacent::Pair(1, 2)),
            ser(Adjacent::Named { a: true }),
            ser(Adjacent::Nothing),
        ],
        vec![
            json!({"t": "Text", "c": 1}),
            json!({"t": "Text"}),
            json!({"t": "Pair", "c": [1]}),
            json!({"t": "Other", "c": 1}),
        ],
    )
}

#[derive(Debug, Serialize, Deserialize, Instructor)]
#[serde(untagged)]
pub enum Untagged {
    Number(i64),
    Text(String),
    Object { id: u32 },
}

fn untagged() -> Case {
    case::<Untagged>(
        vec![
            ser(Untagged::Number(-3)),
            ser(Untagged::Text("t".into())),
            ser(Untagged::Object { id: 4 }),
        ],
        vec![json!(true), json!({"id": -1}), json!([1])],
    )
}

// --- 6. serde attributes that change the wire shape ----------------------------------

#[derive(Debug, Serialize, Deserialize, Instructor)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Renamed {
    first_name: String,
    #[serde(rename = "years")]
    age: u8,
    #[serde(alias = "mail")]
    email_address: String,
}

fn renamed() -> Case {
    case::<Renamed>(
        vec![json!({"firstName": "a", "years": 3, "emailAddress": "e"})],
        vec![
            json!({"first_name": "a", "years": 3, "emailAddress": "e"}),
            json!({"firstName": "a", "years": 3, "emailAddress": "e", "extra": 1}),
        ],
    )
}

#[derive(Debug, Serialize, Deserialize, Instructor)]
pub struct Address {
    city: String,
    zip: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, Instructor)]
pub struct Flattened {
    name: String,
    #[serde(flatten)]
    address: Address,
    #[serde(flatten)]
    extra: HashMap<String, u8>,
}

fn flattened() -> Case {
    case::<Flattened>(
        vec![
            json!({"name": "n", "city": "c"}),
            json!({"name": "n", "city": "c", "zip": "z", "k": 3}),
        ],
        vec![
            json!({"name": "n"}),
            json!({"name": "n", "city": "c", "k": 300}),
        ],
    )
}

#[derive(Debug, Serialize, Deserialize, Instructor)]
#[serde(transparent)]
pub struct Email(#[serde(rename = "ignored")] String);

#[derive(Debug, Serialize, Deserialize, Instructor)]
pub struct Meters(f64);

#[derive(Debug, Serialize, Deserialize, Instructor)]
pub struct Rgb(u8, u8, u8);

#[derive(Debug, Serialize, Deserialize, Instructor)]
pub struct Marker;

#[derive(Debug, Serialize, Deserialize, Instructor)]
pub struct Shapes {
    email: Email,
    length: Meters,
    color: Rgb,
    marker: Marker,
}

fn shapes() -> Case {
    case::<Shapes>(
        vec![ser(Shapes {
            email: Email("a@b.c".into()),
            length: Meters(1.5),
            color: Rgb(1, 2, 3),
            marker: Marker,
        })],
        vec![
            json!({"email": "x", "length": "1", "color": [1, 2, 3], "marker": null}),
            json!({"email": "x", "length": 1, "color": [1, 2], "marker": null}),
            json!({"email": "x", "length": 1, "color": [1, 2, 3], "marker": 0}),
        ],
    )
}

// --- 7. garde rules as keywords -------------------------------------------------------

#[derive(Debug, Serialize, Deserialize, Instructor, garde::Validate)]
pub struct Rules {
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

fn rules() -> Case {
    let ok = json!({
        "chars": "héllo", "bytes": "abc", "age": 18, "ratio": -1.5, "code": "ABC",
        "email": "a@example.com", "site": "https://example.com/x", "ip": "::1",
        "v4": "10.0.0.1", "v6": "fe80::1", "plain": "ascii only", "word": "Ωmega42",
        "affixed": "ab.c+d$", "tags": ["x", "y2"], "scores": [10, 0]
    });
    let w = |k: &str, v: Value| with(&ok, k, v);
    case::<Rules>(
        vec![ok.clone(), w("scores", json!(null))],
        vec![
            w("chars", json!("a")),
            w("chars", json!("abcdef")),
            w("bytes", json!("")),
            w("age", json!(17)),
            w("age", json!(100)),
            w("ratio", json!(2)),
            w("code", json!("ABCD")),
            w("code", json!("abc")),
            w("email", json!("not-an-email")),
            w("site", json!("not a url")),
            w("ip", json!("1.2.3")),
            w("v4", json!("::1")),
            w("v6", json!("1.2.3.4")),
            w("plain", json!("é")),
            w("affixed", json!("ab.c$")),
            w("tags", json!([])),
            w("tags", json!(["a", "b", "c", "d"])),
            w("tags", json!([""])),
            w("scores", json!([11])),
        ],
    )
    // `alphanumeric` is said in words: `\p{..}` classes are refused by outlines, ignored by
    // llama.cpp, and an ASCII class would be stricter than garde.
    // So is every affix rule after the first on one value (engines take one pattern).
    .described(vec![
        w("word", json!("a b")),
        w("tags", json!(["a-b"])),
        w("affixed", json!("a.c+$")),
        w("affixed", json!("ab.c+")),
    ])
}

/// garde's default `length` counts bytes: "éé" is 4 bytes but 2 characters.
#[derive(Debug, Serialize, Deserialize, Instructor, garde::Validate)]
pub struct Bytes {
    #[garde(length(min = 3, max = 6))]
    s: String,
}

fn bytes() -> Case {
    case::<Bytes>(vec![json!({"s": "éé"})], vec![json!({"s": "abcdefg"})])
}

// --- 8. overrides ---------------------------------------------------------------------

pub struct Money(i64);

fn money_schema(_: &mut instructor::schema::SchemaGenerator) -> Value {
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
pub struct Invoice {
    /// Ignored: the attribute wins.
    #[instructor(description = "Total in EUR", example = "12.50", example = "0.99")]
    #[instructor(schema_with = money_schema)]
    #[serde(deserialize_with = "money_de", serialize_with = "money_ser")]
    total: Money,
}

fn invoice() -> Case {
    case::<Invoice>(
        vec![
            ser(Invoice { total: Money(1250) }),
            json!({"total": "0.99"}),
        ],
        vec![json!({"total": 12.5}), json!({"total": "12"})],
    )
}

// --- 9. constructs grammar engines are known to mis-read, one type each ---------------

/// A set: `uniqueItems`.
#[derive(Debug, Serialize, Deserialize, Instructor)]
pub struct Set {
    tags: HashSet<String>,
}

fn set() -> Case {
    case::<Set>(
        vec![json!({"tags": ["a", "b"]}), json!({"tags": []})],
        vec![json!({"tags": "a"}), json!({"tags": [1]})],
    )
}

/// An ordered set of integers: `uniqueItems` too.
#[derive(Debug, Serialize, Deserialize, Instructor)]
pub struct SortedSet {
    ids: BTreeSet<i32>,
}

fn sorted_set() -> Case {
    case::<SortedSet>(
        vec![json!({"ids": [-1, 5]})],
        vec![json!({"ids": ["1"]}), json!({"ids": 1})],
    )
}

/// A tuple: `prefixItems` closed by `items: false`.
#[derive(Debug, Serialize, Deserialize, Instructor)]
pub struct Tuple {
    pair: (u8, String),
}

fn tuple() -> Case {
    case::<Tuple>(
        vec![json!({"pair": [1, "x"]}), json!({"pair": [255, ""]})],
        vec![
            json!({"pair": [1, "x", 3]}),
            json!({"pair": ["x", 1]}),
            json!({"pair": [1]}),
            json!({"pair": [256, "x"]}),
        ],
    )
}

/// A map: `additionalProperties` with a schema.
#[derive(Debug, Serialize, Deserialize, Instructor)]
pub struct Map {
    scores: HashMap<String, u8>,
}

fn map() -> Case {
    case::<Map>(
        vec![json!({"scores": {"k": 1, "l": 255}}), json!({"scores": {}})],
        vec![
            json!({"scores": {"k": -1}}),
            json!({"scores": {"k": "1"}}),
            json!({"scores": [1]}),
        ],
    )
}

/// garde `prefix`: a pattern anchored at the start only.
#[derive(Debug, Serialize, Deserialize, Instructor, garde::Validate)]
pub struct Prefixed {
    #[garde(prefix("ab."))]
    s: String,
}

fn prefixed() -> Case {
    case::<Prefixed>(
        vec![json!({"s": "ab."}), json!({"s": "ab.cd"})],
        vec![json!({"s": "abc"}), json!({"s": "xab."}), json!({"s": ""})],
    )
}

/// garde `suffix`: a pattern anchored at the end only.
#[derive(Debug, Serialize, Deserialize, Instructor, garde::Validate)]
pub struct Suffixed {
    #[garde(suffix(".pdf"))]
    s: String,
}

fn suffixed() -> Case {
    case::<Suffixed>(
        vec![json!({"s": ".pdf"}), json!({"s": "a.pdf"})],
        vec![
            json!({"s": "a.pdfx"}),
            json!({"s": "apdf"}),
            json!({"s": ""}),
        ],
    )
}

/// garde `contains`: an unanchored pattern.
#[derive(Debug, Serialize, Deserialize, Instructor, garde::Validate)]
pub struct Containing {
    #[garde(contains("@"))]
    s: String,
}

fn containing() -> Case {
    case::<Containing>(
        vec![json!({"s": "@"}), json!({"s": "a@b"})],
        vec![json!({"s": "ab"}), json!({"s": ""})],
    )
}

/// garde `alphanumeric`: Unicode letters and digits.
#[derive(Debug, Serialize, Deserialize, Instructor, garde::Validate)]
pub struct Alphanumeric {
    #[garde(alphanumeric)]
    s: String,
}

fn alphanumeric() -> Case {
    case::<Alphanumeric>(
        vec![
            json!({"s": "Ωmega42"}),
            json!({"s": "abc"}),
            json!({"s": ""}),
        ],
        vec![],
    )
    .described(vec![json!({"s": "a b"}), json!({"s": "a-b"})])
}

/// Two fully anchored patterns on one field: the second one goes elsewhere.
#[derive(Debug, Serialize, Deserialize, Instructor, garde::Validate)]
pub struct TwoPatterns {
    #[garde(ascii, pattern(r"^[a-z]+$"))]
    s: String,
}

fn two_patterns() -> Case {
    case::<TwoPatterns>(vec![json!({"s": "abc"})], vec![json!({"s": "é"})])
        // The second pattern is said in the description: engines take one pattern per value.
        .described(vec![json!({"s": "ABC"}), json!({"s": ""})])
}

/// garde `ip`: either address family, as `anyOf` two formats.
#[derive(Debug, Serialize, Deserialize, Instructor, garde::Validate)]
pub struct AnyIp {
    #[garde(ip)]
    ip: String,
}

fn any_ip() -> Case {
    case::<AnyIp>(
        vec![json!({"ip": "10.0.0.1"}), json!({"ip": "::1"})],
        vec![json!({"ip": "1.2.3"}), json!({"ip": "x"})],
    )
}

/// `serde_json::Value`: any JSON.
#[derive(Debug, Serialize, Deserialize, Instructor)]
pub struct AnyValue {
    any: Value,
}

fn any_value() -> Case {
    case::<AnyValue>(
        vec![
            json!({"any": {"whatever": [1, null]}}),
            json!({"any": null}),
            json!({"any": "s"}),
            json!({"any": 1.5}),
        ],
        vec![json!({}), json!({"other": 1})],
    )
}

/// A signed non-zero integer: zero sits inside the range.
#[derive(Debug, Serialize, Deserialize, Instructor)]
pub struct NonZeroSigned {
    n: NonZeroI32,
}

fn non_zero_signed() -> Case {
    case::<NonZeroSigned>(
        vec![json!({"n": -1}), json!({"n": 7})],
        vec![
            json!({"n": 0}),
            json!({"n": 2147483648_i64}),
            json!({"n": 1.5}),
        ],
    )
}

/// An unsigned non-zero integer: `minimum: 1`.
#[derive(Debug, Serialize, Deserialize, Instructor)]
pub struct NonZeroUnsigned {
    n: NonZeroU32,
}

fn non_zero_unsigned() -> Case {
    case::<NonZeroUnsigned>(
        vec![json!({"n": 1}), json!({"n": 4294967295_u64})],
        vec![json!({"n": 0}), json!({"n": -1})],
    )
}

/// 64-bit integers at their limits: 19 and 20 digits.
#[derive(Debug, Serialize, Deserialize, Instructor)]
pub struct WideIntegers {
    u: u64,
    i: i64,
}

fn wide_integers() -> Case {
    case::<WideIntegers>(
        vec![
            ser(WideIntegers {
                u: u64::MAX,
                i: i64::MIN,
            }),
            json!({"u": 0, "i": 0}),
        ],
        vec![json!({"u": -1, "i": 0}), json!({"u": 1.5, "i": 0})],
    )
}

/// A signup form: an email, a username with length bounds (in characters) and a pattern of one
/// repeated character class (the bounds go into it: `^[a-z0-9_]{3,20}$`), a handle with length
/// bounds and a pattern they cannot go into (sent as `minLength`/`maxLength` beside the
/// pattern), a password with a minimum length (in bytes, garde's default: said in the
/// description, since `minLength` counts characters and would be stricter).
#[derive(Debug, Serialize, Deserialize, Instructor, garde::Validate)]
pub struct Signup {
    #[garde(email)]
    email: String,
    #[garde(length(chars, min = 3, max = 20), pattern(r"^[a-z0-9_]+$"))]
    username: String,
    #[garde(length(chars, min = 3, max = 20), pattern(r"^[a-z][a-z0-9_]*$"))]
    handle: String,
    #[garde(length(min = 8))]
    password: String,
}

fn signup() -> Case {
    let ok = json!({
        "email": "ann@example.com", "username": "ann_42", "handle": "ann_42",
        "password": "correct horse"
    });
    let w = |k: &str, v: Value| with(&ok, k, v);
    case::<Signup>(
        vec![
            ok.clone(),
            w("username", json!("abc")),
            w("username", json!("a".repeat(20))),
            w("handle", json!("abc")),
            w("password", json!("12345678")),
            w("password", json!("éééé")),
        ],
        vec![
            w("email", json!("not-an-email")),
            w("username", json!("ab")),
            w("username", json!("a".repeat(21))),
            w("username", json!("Ann")),
            w("username", json!("ann-42")),
            w("handle", json!("an")),
            w("handle", json!("a".repeat(21))),
            w("handle", json!("42ann")),
        ],
    )
    .described(vec![w("password", json!("short"))])
}

// --- 10. types behind cargo features ---------------------------------------------------

#[cfg(feature = "chrono")]
#[derive(Serialize, Deserialize, Instructor)]
pub struct When {
    at: chrono::DateTime<chrono::Utc>,
    day: chrono::NaiveDate,
}

#[cfg(feature = "chrono")]
fn when() -> Case {
    case::<When>(
        vec![json!({"at": "2024-01-02T03:04:05Z", "day": "2024-01-02"})],
        vec![
            json!({"at": "yesterday", "day": "2024-01-02"}),
            json!({"at": "2024-01-02T03:04:05Z", "day": "2024-13-02"}),
        ],
    )
}

#[cfg(feature = "uuid")]
#[derive(Serialize, Deserialize, Instructor)]
pub struct Id {
    id: uuid::Uuid,
}

#[cfg(feature = "uuid")]
fn id() -> Case {
    case::<Id>(
        vec![json!({"id": "67e55044-10b1-426f-9247-bb680e5fe0c8"})],
        vec![json!({"id": "nope"})],
    )
}

#[cfg(feature = "url")]
#[derive(Serialize, Deserialize, Instructor)]
pub struct Link {
    href: url::Url,
}

#[cfg(feature = "url")]
fn link() -> Case {
    case::<Link>(
        vec![json!({"href": "https://example.com"})],
        vec![json!({"href": "not a url"})],
    )
}
