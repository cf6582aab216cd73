//! Shapes of type definitions the derive must accept: generic enums, where clauses, raw
//! identifiers, a `crate` path override, visibility of the partial companion.

use instructor::Instructor;
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Deserialize, Instructor)]
enum Either<L, R> {
    Left(L),
    Right(R),
}

#[derive(Debug, Deserialize, Instructor)]
struct Bounded<T>
where
    T: Clone,
{
    r#type: T,
    r#gen: u8,
}

mod inner {
    /// Visible outside the module, with its partial companion.
    #[derive(Debug, serde::Deserialize, instructor::Instructor)]
    pub struct Public {
        pub name: String,
    }
}

mod renamed_crate {
    pub use instructor as sdk;
}

#[derive(Debug, Deserialize, Instructor)]
#[instructor(crate = "renamed_crate::sdk", rename = "Renamed")]
struct ViaCrate {
    x: u8,
}

#[test]
fn generic_enum_and_where_clause() {
    let s = <Either<u8, String>>::json_schema();
    assert_eq!(s["title"], "Either_for_uint8_and_string");
    assert_eq!(s["oneOf"][0]["properties"]["Left"]["maximum"], 255);
    let p = <Either<u8, String>>::partial_from_value(json!({"Right": "r"})).unwrap();
    assert!(matches!(p, Either::Right(ref r) if r == "r"));

    let b = <Bounded<String>>::json_schema();
    assert_eq!(b["required"], json!(["type", "gen"]));
    let p = <Bounded<String>>::partial_from_value(json!({"type": "t"})).unwrap();
    assert_eq!(p.r#type.as_deref(), Some("t"));
}

#[test]
fn partial_companion_is_as_visible_as_its_type() {
    let p: inner::PublicPartial = inner::Public::partial_from_value(json!({"name": "n"})).unwrap();
    assert_eq!(p.name.as_deref(), Some("n"));
    let _ = inner::PublicPartial::default();
}

#[test]
fn crate_path_and_rename() {
    assert_eq!(ViaCrate::schema_name(), "Renamed");
    assert_eq!(ViaCrate::json_schema()["title"], "Renamed");
}

#[derive(Deserialize, Instructor)]
enum NoDebug {
    A,
}

#[derive(Deserialize, Instructor)]
struct HasNoDebugField {
    kind: NoDebug,
    n: u8,
}

#[test]
fn partial_debug_does_not_need_debug_on_whole_types() {
    let p = HasNoDebugField::partial_from_value(json!({"kind": "A", "n": 1})).unwrap();
    let text = format!("{p:?}");
    assert!(text.contains("n: Some(1)"), "{text}");
    assert!(text.contains("NoDebug"), "{text}");
}

#[derive(Debug, Deserialize, Instructor)]
enum WithFallback {
    Tagged {
        x: u8,
    },
    #[serde(untagged)]
    Bare(String),
}

#[test]
fn untagged_variant_is_read_by_its_shape() {
    let s = WithFallback::json_schema();
    assert_eq!(s["anyOf"][1], json!({"type": "string"}));
    let v: WithFallback = serde_json::from_value(json!("hi")).unwrap();
    assert!(matches!(v, WithFallback::Bare(_)));
}

/// Kinds of things.
#[derive(Debug, Deserialize, Instructor)]
enum Kind {
    /// The first.
    First,
    Second,
}

#[derive(Debug, Deserialize, Instructor, garde::Validate)]
struct Documented {
    /// The code.
    #[garde(length(min = 3, max = 10), prefix("sku-"))]
    code: String,
    #[garde(skip)]
    kind: Kind,
}

#[test]
fn docs_and_rule_notes_both_reach_the_description() {
    let s = Documented::json_schema();
    assert_eq!(
        s["properties"]["code"]["description"],
        "The code. At least 3 bytes of UTF-8."
    );
    // Anchored at both ends, as grammar engines need it, with the length folded in (llama.cpp
    // ignores a length beside a pattern): the same strings.
    assert_eq!(
        s["properties"]["code"]["pattern"],
        format!("^sku-{}{{0,6}}$", instructor::schema::keywords::ANY_CHAR)
    );
    assert!(s["properties"]["code"].get("maxLength").is_none());
    assert_eq!(
        s["$defs"]["Kind"]["description"],
        "Kinds of things.\n\n`First`: The first."
    );
}

#[derive(Debug, Deserialize, garde::Validate, Instructor)]
struct Capped<const N: usize> {
    #[garde(length(max = N))]
    items: Vec<u8>,
}

#[test]
fn each_const_parameter_has_its_own_schema() {
    assert_eq!(
        Capped::<2>::json_schema()["properties"]["items"]["maxItems"],
        2
    );
    assert_eq!(
        Capped::<3>::json_schema()["properties"]["items"]["maxItems"],
        3
    );
}

#[derive(Debug, PartialEq, Deserialize, Instructor)]
#[serde(rename_all = "snake_case")]
enum Shade {
    LightGray,
    Dark,
}

#[derive(Debug, PartialEq, Deserialize, Instructor)]
enum Aliased {
    #[serde(alias = "grey")]
    Gray,
    Black,
}

#[test]
fn a_unit_enum_partial_reads_what_serde_reads() {
    let values = [
        json!("light_gray"),
        json!("dark"),
        json!("LightGray"),
        json!("grey"),
        json!("Gray"),
        json!({"dark": null}),
        json!({"dark": 1}),
        json!({"dark": null, "light_gray": null}),
        json!({"grey": null}),
        json!({}),
        json!(0),
        json!(null),
        json!(["dark"]),
    ];
    for v in values {
        let serde = serde_json::from_value::<Shade>(v.clone()).ok();
        assert_eq!(Shade::partial_from_value(v.clone()), serde, "{v}");
        let serde = serde_json::from_value::<Aliased>(v.clone()).ok();
        assert_eq!(Aliased::partial_from_value(v.clone()), serde, "{v}");
    }
    assert_eq!(
        Aliased::partial_from_value(json!("grey")),
        Some(Aliased::Gray)
    );
}
