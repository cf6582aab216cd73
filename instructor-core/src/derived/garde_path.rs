//! garde's error paths, read through garde internals: the one file that touches them.
//!
//! garde gives a report's paths (`garde::Path`) as text only (`Display`: `a.b[0]`), which
//! cannot tell a map key `"0"` or a key holding a dot from a list index or two fields. What
//! tells them apart is `Path::__iter`, a `#[doc(hidden)]` method that is not part of garde's
//! stable API, with `garde::error::Kind` for each component: the workspace depends on garde
//! with a caret requirement (`0.23`), so a new patch release may change either. They are
//! read here and nowhere else; the tests below fail when garde changes what they give for a
//! nested struct, a list and a map, and then this file alone needs changing.

use super::path::PathSegment;

/// The components of garde's `path`, from the root down.
pub(super) fn segments(path: &garde::Path) -> Vec<PathSegment<'_>> {
    path.__iter()
        .rev()
        .map(|(kind, c)| match kind {
            garde::error::Kind::Key => PathSegment::Key(c.as_str()),
            garde::error::Kind::Index => PathSegment::Index(c.as_str()),
            garde::error::Kind::None => PathSegment::Unnamed,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use garde::Validate;

    use super::*;

    #[derive(Validate)]
    struct Inner {
        #[garde(length(min = 1))]
        name: String,
    }

    #[derive(Validate)]
    struct Outer {
        #[garde(dive)]
        inner: Inner,
        #[garde(dive)]
        list: Vec<Inner>,
        #[garde(dive)]
        map: BTreeMap<String, Inner>,
        #[garde(dive)]
        maybe: Option<Inner>,
    }

    fn empty() -> Inner {
        Inner {
            name: String::new(),
        }
    }

    /// The segments of every error of `value`'s report, in garde's order.
    fn all(value: &Outer) -> Vec<Vec<String>> {
        let report = value.validate().unwrap_err();
        report
            .iter()
            .map(|(path, _)| segments(path).iter().map(|s| format!("{s:?}")).collect())
            .collect()
    }

    #[test]
    fn nested_list_map_and_option_paths_keep_their_kinds() {
        let value = Outer {
            inner: empty(),
            list: vec![Inner { name: "ok".into() }, empty()],
            map: BTreeMap::from([("a.b".to_owned(), empty())]),
            maybe: Some(empty()),
        };
        let mut got = all(&value);
        got.sort();
        let want: Vec<Vec<&str>> = vec![
            vec![r#"Key("inner")"#, r#"Key("name")"#],
            vec![r#"Key("list")"#, r#"Index("1")"#, r#"Key("name")"#],
            vec![r#"Key("map")"#, r#"Key("a.b")"#, r#"Key("name")"#],
            vec![r#"Key("maybe")"#, r#"Key("name")"#],
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn an_error_at_the_root_has_no_segments() {
        #[derive(Validate)]
        #[garde(transparent)]
        struct Name(#[garde(length(min = 1))] String);
        let report = Name(String::new()).validate().unwrap_err();
        let paths: Vec<usize> = report.iter().map(|(p, _)| segments(p).len()).collect();
        assert_eq!(paths, [0]);
    }
}
