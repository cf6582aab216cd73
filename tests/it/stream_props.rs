//! Property: for random values of derived types, serialized and cut at random points, the
//! incremental parser's final value equals `serde_json::from_str` of the whole, and every
//! snapshot, read as the type's partial companion, is consistent with the final value:
//! strings are prefixes, numbers and enums are final, lists are prefixes.

use instructor::partial_json::PartialJson;
use instructor::Instructor;
use proptest::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Instructor)]
#[serde(rename_all = "camelCase")]
struct Order {
    customer_name: String,
    note: Option<String>,
    lines: Vec<Line>,
    status: Status,
    total: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Instructor)]
struct Line {
    product: String,
    quantity: u32,
    tags: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Instructor)]
#[serde(rename_all = "snake_case")]
enum Status {
    Pending,
    Shipped,
}

fn text() -> impl Strategy<Value = String> {
    // Quotes, braces, backslashes and non-ASCII: what breaks naive partial parsers.
    proptest::string::string_regex(r#"[a-zé"{}\[\]\\:, 😀]{0,12}"#).unwrap()
}

fn order() -> impl Strategy<Value = Order> {
    let line = (
        text(),
        any::<u32>(),
        proptest::collection::vec(text(), 0..3),
    )
        .prop_map(|(product, quantity, tags)| Line {
            product,
            quantity,
            tags,
        });
    (
        text(),
        proptest::option::of(text()),
        proptest::collection::vec(line, 0..4),
        prop_oneof![Just(Status::Pending), Just(Status::Shipped)],
        -1e6f64..1e6,
    )
        .prop_map(|(customer_name, note, lines, status, total)| Order {
            customer_name,
            note,
            lines,
            status,
            total,
        })
}

fn prefix(part: &Option<String>, whole: &str) -> bool {
    part.as_deref().is_none_or(|p| whole.starts_with(p))
}

fn consistent(p: &OrderPartial, o: &Order) -> Result<(), String> {
    if !prefix(&p.customer_name, &o.customer_name) {
        return Err(format!(
            "customer_name {:?} vs {:?}",
            p.customer_name, o.customer_name
        ));
    }
    match (&p.note, &o.note) {
        (Some(pn), Some(n)) if !n.starts_with(pn.as_str()) => return Err("note".into()),
        (Some(_), None) => return Err("note where there is none".into()),
        _ => {}
    }
    if p.status.is_some_and(|s| s != o.status) {
        return Err("status shown before it was final".into());
    }
    if p.total.is_some_and(|t| t != o.total) {
        return Err(format!("total {:?} vs {}", p.total, o.total));
    }
    if let Some(lines) = &p.lines {
        if lines.len() > o.lines.len() {
            return Err("more lines than the final value".into());
        }
        for (pl, l) in lines.iter().zip(&o.lines) {
            if !prefix(&pl.product, &l.product) || pl.quantity.is_some_and(|q| q != l.quantity) {
                return Err(format!("line {pl:?} vs {l:?}"));
            }
            if let Some(tags) = &pl.tags {
                if tags.len() > l.tags.len()
                    || tags
                        .iter()
                        .zip(&l.tags)
                        .any(|(a, b)| !b.starts_with(a.as_str()))
                {
                    return Err(format!("tags {tags:?} vs {:?}", l.tags));
                }
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn snapshots_of_derived_types_are_prefix_consistent(
        o in order(),
        pretty in any::<bool>(),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..24),
    ) {
        let doc = if pretty { serde_json::to_string_pretty(&o).unwrap() } else { serde_json::to_string(&o).unwrap() };
        let bytes = doc.as_bytes();
        let mut points: Vec<usize> = cuts.iter().map(|i| i.index(bytes.len() + 1)).collect();
        points.push(0);
        points.push(bytes.len());
        points.sort_unstable();
        points.dedup();
        let mut parser = PartialJson::new();
        for w in points.windows(2) {
            parser.push_bytes(&bytes[w[0]..w[1]]).unwrap();
            if let Some(snapshot) = parser.snapshot() {
                if let Some(partial) = Order::partial_from_value(snapshot) {
                    if let Err(e) = consistent(&partial, &o) {
                        return Err(TestCaseError::fail(format!("{e} after {} bytes of {doc}", w[1])));
                    }
                }
            }
        }
        let fin = parser.finish().unwrap();
        prop_assert_eq!(&fin, &serde_json::from_str::<serde_json::Value>(&doc).unwrap());
        let back: Order = serde_json::from_value(fin).unwrap();
        prop_assert_eq!(back, o);
    }
}
