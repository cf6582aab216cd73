//! Schema conformance: for a corpus of types covering what the derive supports, every
//! generated schema passes the draft 2020-12 meta-schema, the values the Rust side accepts are
//! accepted by the schema, and values that break a rule or the serde shape are rejected by
//! both. `jsonschema` is the oracle.
//!
//! The corpus (types and values) lives in `tests/corpus/mod.rs`, shared with the grammar-engine
//! conformance test (`engines/tests/engines.rs`); the assertions about each schema's keywords
//! stay here.

mod corpus;

use corpus::{case_named, cases, Case};
use corpus::{Node, Page, Status, User};
use instructor::Instructor;
use serde::{Deserialize, Serialize};
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
fn rust_accepts<T: Instructor<Context = ()> + serde::de::DeserializeOwned>(json: &Value) -> bool {
    serde_json::from_value::<T>(json.clone()).is_ok_and(|v| v.validate().is_ok())
}

/// The case's valid JSON must pass the schema and the Rust side; its invalid JSON must fail
/// both; its described JSON must pass the schema and fail the Rust side (the rule is in the
/// description, checked after parsing).
fn conforms(case: &Case) {
    conforms_as_sent(case, case.schema);
    // The lean schema requests carry must mean exactly the same.
    let sent = instructor::mode::request_schema(case.schema, instructor::Mode::JsonSchema);
    conforms_as_sent(case, &sent);
}

fn conforms_as_sent(case: &Case, schema: &Value) {
    let v = validator(schema);
    for json in &case.valid {
        assert!(
            v.is_valid(json),
            "{}: schema rejects {json}: {:?}\n{schema:#}",
            case.name,
            v.validate(json).err().map(|e| e.to_string())
        );
        assert!(
            (case.rust_accepts)(json),
            "{}: Rust rejects {json}",
            case.name
        );
    }
    for json in &case.described {
        assert!(
            v.is_valid(json),
            "{}: the schema enforces a rule said to be in words only: {json}\n{schema:#}",
            case.name
        );
        assert!(
            !(case.rust_accepts)(json),
            "{}: Rust accepts {json}, the test is wrong",
            case.name
        );
    }
    for json in &case.invalid {
        assert!(
            !v.is_valid(json),
            "{}: schema accepts invalid {json}\n{schema:#}",
            case.name
        );
        assert!(
            !(case.rust_accepts)(json),
            "{}: Rust accepts {json}, the test is wrong",
            case.name
        );
    }
}

fn conforms_named(name: &str) {
    conforms(&case_named(name));
}

/// Every case of the corpus, including those without a test of their own below.
#[test]
fn every_corpus_case_conforms() {
    let all = cases();
    let mut names: Vec<&str> = all.iter().map(|c| c.name.as_str()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), all.len(), "corpus case names are unique");
    for case in &all {
        assert!(!case.valid.is_empty(), "{}: no valid value", case.name);
        assert!(
            !case.invalid.is_empty() || !case.described.is_empty(),
            "{}: no invalid value",
            case.name
        );
        conforms(case);
    }
}

// --- 1. scalars -----------------------------------------------------------------------

#[test]
fn scalars() {
    let s = corpus::Scalars::json_schema();
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
        "no fake bound on i64 (and i64::MIN makes llguidance panic)"
    );
    assert_eq!(p["u64_"], json!({"type": "integer", "minimum": 0}));
    assert_eq!(
        p["c"],
        json!({"type": "string", "minLength": 1, "maxLength": 1})
    );
    assert_eq!(p["f64_"], json!({"type": "number"}));
    conforms_named("Scalars");
}

// --- 2. options, defaults, skip ------------------------------------------------------

#[test]
fn optionals() {
    let s = corpus::Optionals::json_schema();
    assert_eq!(s["required"], json!(["required", "still_read"]));
    assert!(s["properties"].get("skipped").is_none());
    assert!(s["properties"].get("not_read").is_none());
    assert_eq!(s["properties"]["maybe"]["type"], json!(["integer", "null"]));
    conforms_named("Optionals");
}

#[test]
fn container_default() {
    assert!(corpus::AllDefault::json_schema().get("required").is_none());
    conforms_named("AllDefault");
}

// --- 3. collections -----------------------------------------------------------------

#[test]
fn collections() {
    let s = corpus::Collections::json_schema();
    let p = &s["properties"];
    assert_eq!(p["fixed"]["minItems"], 3);
    assert_eq!(p["fixed"]["maxItems"], 3);
    // No `uniqueItems` (llguidance refuses it; a set merges duplicates), no `"items":
    // false` for a tuple (llama.cpp refuses boolean schemas), `{}` for any value.
    assert!(p["set"].get("uniqueItems").is_none(), "{}", p["set"]);
    assert_eq!(p["map"]["additionalProperties"]["maximum"], 255);
    assert_eq!(p["any"], json!({}));
    assert_eq!(p["pair"]["prefixItems"][1]["type"], "string");
    assert!(p["pair"].get("items").is_none(), "{}", p["pair"]);
    conforms_named("Collections");
}

// --- 4. nested types, $defs, recursion, generics ----------------------------------------

#[test]
fn recursive_types() {
    let s = Node::json_schema();
    assert_eq!(s["title"], "Node");
    assert_eq!(s["description"], "A node of a tree.");
    assert_eq!(s["properties"]["children"]["items"]["$ref"], "#/$defs/Node");
    assert_eq!(s["properties"]["name"]["description"], "The label.");
    conforms_named("Node");
    conforms_named("LinkedList");
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
    conforms_named("Page_for_User");
}

// --- 5. enums in all four representations ---------------------------------------------

#[test]
fn unit_enum() {
    let s = Status::json_schema();
    assert_eq!(s["type"], "string");
    assert_eq!(s["enum"], json!(["pending", "in_transit", "delivered"]));
    assert!(s["description"]
        .as_str()
        .unwrap()
        .contains("`pending`: Not yet shipped."));
    conforms_named("Status");
}

#[test]
fn externally_tagged() {
    assert!(corpus::External::json_schema()["oneOf"].is_array());
    conforms_named("External");
}

#[test]
fn internally_tagged() {
    conforms_named("Internal");
}

#[test]
fn adjacently_tagged() {
    conforms_named("Adjacent");
}

#[test]
fn untagged() {
    assert!(corpus::Untagged::json_schema()["anyOf"].is_array());
    conforms_named("Untagged");
}

// --- 6. serde attributes that change the wire shape ----------------------------------

#[test]
fn renames_aliases_and_unknown_fields() {
    let s = corpus::Renamed::json_schema();
    assert_eq!(s["required"], json!(["firstName", "years", "emailAddress"]));
    assert_eq!(s["additionalProperties"], false);
    conforms_named("Renamed");
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

#[test]
fn flatten() {
    let s = corpus::Flattened::json_schema();
    assert_eq!(s["required"], json!(["name", "city"]));
    assert!(s["properties"]["city"].is_object());
    assert_eq!(s["additionalProperties"]["maximum"], 255);
    assert!(
        s.get("$defs").is_none(),
        "the flattened struct is inlined, not referenced: {s:#}"
    );
    conforms_named("Flattened");
}

#[test]
fn transparent_newtype_tuple_and_unit_structs() {
    let s = corpus::Shapes::json_schema();
    assert_eq!(s["properties"]["email"], json!({"type": "string"}));
    assert_eq!(s["$defs"]["Meters"]["type"], "number");
    conforms_named("Shapes");
}

// --- 7. garde rules as keywords -------------------------------------------------------

#[test]
fn garde_rules_become_keywords() {
    let s = corpus::Rules::json_schema();
    // Each keyword, as a JSON pointer below `properties`, and its value.
    for (keyword, value) in [
        ("/chars/minLength", json!(2)),
        ("/chars/maxLength", json!(5)),
        // min 1 byte = min 1 character
        ("/bytes/minLength", json!(1)),
        ("/bytes/maxLength", json!(8)),
        ("/age/minimum", json!(18)),
        ("/age/maximum", json!(99)),
        ("/ratio/minimum", json!(-1.5)),
        ("/code/pattern", json!("^[A-Z]{3}$")),
        ("/email/format", json!("email")),
        ("/site/format", json!("uri")),
        ("/v4/format", json!("ipv4")),
        ("/tags/minItems", json!(1)),
        ("/tags/items/minLength", json!(1)),
        ("/scores/items/maximum", json!(10)),
    ] {
        assert_eq!(s["properties"].pointer(keyword), Some(&value), "{keyword}");
    }
    conforms_named("Rules");
}

#[test]
fn byte_lengths_are_never_stricter_than_garde() {
    let s = corpus::Bytes::json_schema();
    // "éé" is 4 bytes but 2 characters: garde accepts it, so the schema must too.
    assert!(s["properties"]["s"].get("minLength").is_none());
    assert_eq!(s["properties"]["s"]["maxLength"], 6);
    assert!(s["properties"]["s"]["description"]
        .as_str()
        .unwrap()
        .contains("3 bytes"));
    conforms_named("Bytes");
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

#[test]
fn field_overrides() {
    let s = corpus::Invoice::json_schema();
    let t = &s["properties"]["total"];
    assert_eq!(t["description"], "Total in EUR");
    assert_eq!(t["examples"], json!(["12.50", "0.99"]));
    assert_eq!(t["pattern"], "^[0-9]+\\.[0-9]{2}$");
    conforms_named("Invoice");
}

#[cfg(feature = "chrono")]
#[test]
fn chrono_types() {
    let s = corpus::When::json_schema();
    assert_eq!(s["properties"]["at"]["format"], "date-time");
    assert_eq!(s["properties"]["day"]["format"], "date");
    conforms_named("When");
}

#[cfg(feature = "uuid")]
#[test]
fn uuid_type() {
    conforms_named("Id");
}

#[cfg(feature = "url")]
#[test]
fn url_type() {
    assert_eq!(
        corpus::Link::json_schema()["properties"]["href"]["format"],
        "uri"
    );
    conforms_named("Link");
}

// --- 9. property: the schema agrees with validation on generated values ------------------

/// A user with up to three ratings: its own type, the kit's `UserDetails` has no list.
#[derive(Debug, Serialize, Deserialize, Instructor, garde::Validate)]
struct RatedUser {
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
            let v = validator(RatedUser::json_schema());
            prop_assert_eq!(v.is_valid(&doc), rust_accepts::<RatedUser>(&doc), "{}", doc);
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

/// Keywords that say what a value may be: a provider's schema dialect either sends each as
/// it is or says it in the description (checked after parsing by the type's own rules).
const RULES: &str = "minimum maximum exclusiveMinimum exclusiveMaximum multipleOf minLength \
                     maxLength pattern format minItems maxItems uniqueItems minProperties \
                     maxProperties const";

/// Every rule of `given` (the schema as the mode sends it) is in `sent` (the provider's
/// dialect of it) at the same place, or named in the description there; appends each rule
/// moved to `moved` and each place that is missing from `sent` to `lost`.
fn rules_kept(
    given: &Value,
    sent: &Value,
    at: &str,
    moved: &mut Vec<String>,
    lost: &mut Vec<String>,
) {
    let (Some(g), Some(s)) = (given.as_object(), sent.as_object()) else {
        return;
    };
    let said = s.get("description").and_then(Value::as_str).unwrap_or("");
    for rule in RULES.split_whitespace() {
        let Some(v) = g.get(rule) else { continue };
        let kept = s.get(rule) == Some(v)
            || (rule == "const" && s.get("enum") == Some(&json!([v])))
            // Anthropic takes `minItems` 0 or 1 only; a larger one is written as 1 or moved.
            || (rule == "minItems" && s.get(rule).is_some() && said.contains("minItems"));
        if !kept {
            assert!(
                said.contains(&format!("{rule}: ")),
                "`{rule}` at `{at}` is neither sent nor in the description: {sent}"
            );
            moved.push(format!("{at}/{rule}"));
        }
    }
    for key in ["properties", "$defs"] {
        for (name, child) in g.get(key).and_then(Value::as_object).into_iter().flatten() {
            let at = format!("{at}/{key}/{name}");
            match s.get(key).and_then(|m| m.get(name)) {
                Some(sent) => rules_kept(child, sent, &at, moved, lost),
                None => lost.push(at),
            }
        }
    }
    for key in ["items", "additionalProperties"] {
        if let (Some(child), Some(sent)) = (g.get(key), s.get(key)) {
            rules_kept(child, sent, &format!("{at}/{key}"), moved, lost);
        }
    }
    for key in ["anyOf", "oneOf", "allOf", "prefixItems"] {
        let Some(children) = g.get(key).and_then(Value::as_array) else {
            continue;
        };
        // `oneOf` and a lone `allOf` travel as `anyOf`.
        let sent_children = s
            .get(key)
            .or_else(|| s.get("anyOf"))
            .and_then(Value::as_array);
        for (i, child) in children.iter().enumerate() {
            let at = format!("{at}/{key}/{i}");
            match sent_children.and_then(|c| c.get(i)) {
                Some(sent) => rules_kept(child, sent, &at, moved, lost),
                None => lost.push(at),
            }
        }
    }
}

/// Anthropic's and Gemini's schema dialects over the whole corpus: every rule a dialect
/// cannot send is said in the description at its place, and checked after parsing (every
/// `invalid` or `described` value the dialect's schema lets through is one the type's own
/// validation rejects).
#[test]
fn provider_dialects_say_every_rule_they_drop() {
    use instructor::{Mode, Provider};
    let mut moved_total = 0;
    let mut caught = 0;
    for case in cases() {
        for (provider, mode) in [
            (Provider::Anthropic, Mode::JsonSchema),
            (Provider::Anthropic, Mode::JsonSchemaStrict),
            (Provider::Gemini, Mode::JsonSchema),
        ] {
            let given = instructor::mode::request_schema(case.schema, mode);
            let sent = match provider.output_schema(&given, &case.name, mode) {
                Ok(sent) => sent,
                Err(why) => {
                    // A refusal names the type and what to use instead.
                    assert!(why.contains(&case.name) && why.contains("Mode::"), "{why}");
                    continue;
                }
            };
            let (mut moved, mut lost) = (Vec::new(), Vec::new());
            rules_kept(&given, &sent, "#", &mut moved, &mut lost);
            assert!(
                lost.is_empty(),
                "{provider:?} {mode:?} {}: places missing from the sent schema: {lost:?}",
                case.name
            );
            moved_total += moved.len();
            if mode == Mode::JsonSchema && !moved.is_empty() {
                let Ok(check) = jsonschema::draft202012::options().build(&sent) else {
                    continue;
                };
                for value in case.invalid.iter().chain(&case.described) {
                    if check.is_valid(value) {
                        assert!(
                            !(case.rust_accepts)(value),
                            "{provider:?} {}: {value} passes the sent schema and validation",
                            case.name
                        );
                        caught += 1;
                    }
                }
            }
        }
    }
    println!("rules said in descriptions: {moved_total}; values only validation caught: {caught}");
    assert!(
        moved_total > 0 && caught > 0,
        "moved {moved_total}, caught {caught}"
    );
}
