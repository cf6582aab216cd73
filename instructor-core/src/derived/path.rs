//! A garde error path as segments ([`PathSegment`]), which the values' `json_path` turn into
//! the JSON path the model sees, and [`push_verbatim`] for the part no value translates.

use crate::validation::JsonPath;

/// One component of a garde error path.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathSegment<'a> {
    /// A struct field or map key.
    Key(&'a str),
    /// A list index.
    Index(&'a str),
    /// A component without a key (the inside of an `Option`, a newtype).
    Unnamed,
}

/// Appends the remaining segments unchanged.
#[doc(hidden)]
pub fn push_verbatim(rest: &[PathSegment<'_>], out: &mut JsonPath) {
    for seg in rest {
        match seg {
            PathSegment::Key(k) => {
                out.push_key(k);
            }
            PathSegment::Index(i) => {
                out.push_index_str(i);
            }
            PathSegment::Unnamed => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_copied_keys_and_indices_alike() {
        let mut out = JsonPath::root();
        push_verbatim(
            &[
                PathSegment::Key("items"),
                PathSegment::Index("2"),
                PathSegment::Unnamed,
                PathSegment::Key("name"),
            ],
            &mut out,
        );
        assert_eq!(out.as_str(), "items[2].name");
    }
}
