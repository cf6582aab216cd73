//! Runaway lists: a small model that writes the same item (or the same few items) again and
//! again until the token limit. Streams see it happen and stop early; a reply cut off at the
//! token limit is checked too. Either way the model is re-asked (or, where there is no
//! re-ask, told why the extraction ended) instead of paying for the whole limit.
//!
//! The rule: a list whose last items are the same run of `p` items written over and over,
//! three times in a row for runs of 2 to 8 items, four times for a single item. Lists of
//! real things rarely do that; a model stuck in a loop always does.

use serde_json::Value;

use crate::validation::JsonPath;

/// The longest run of items looked for.
const MAX_PERIOD: usize = 8;

/// A list caught repeating itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Repeat {
    /// Where the list is (`items`, `lineItems`; empty for the root).
    pub path: String,
    /// How many items the repeated run has.
    pub period: usize,
}

/// The first list in `value` (depth first) whose complete items end in a repeated run.
/// `open_last` says the last item of a list may still be incomplete (a snapshot of a value
/// being written): it is left out.
pub(crate) fn find(value: &Value, open_last: bool) -> Option<Repeat> {
    let mut path = JsonPath::root();
    walk(value, open_last, &mut path)
}

fn walk(value: &Value, open_last: bool, path: &mut JsonPath) -> Option<Repeat> {
    match value {
        Value::Array(items) => {
            let complete = if open_last && !items.is_empty() {
                &items[..items.len() - 1]
            } else {
                &items[..]
            };
            if let Some(period) = repeated_tail(complete) {
                return Some(Repeat {
                    path: path.as_str().to_owned(),
                    period,
                });
            }
            items.iter().enumerate().find_map(|(i, item)| {
                let len = path.push_index(i);
                walk_child(item, open_last, path, len)
            })
        }
        Value::Object(map) => map.iter().find_map(|(key, item)| {
            let len = path.push_key(key);
            walk_child(item, open_last, path, len)
        }),
        _ => None,
    }
}

/// [`walk`] into `item`, whose place was pushed onto `path` from `len`; gives `path` back
/// as it was.
fn walk_child(item: &Value, open_last: bool, path: &mut JsonPath, len: usize) -> Option<Repeat> {
    let found = walk(item, open_last, path);
    path.truncate(len);
    found
}

/// The period of a run repeated at the end of `items`, if there is one.
pub(crate) fn repeated_tail<T: PartialEq>(items: &[T]) -> Option<usize> {
    (1..=MAX_PERIOD).find(|&p| {
        let times = if p == 1 { 4 } else { 3 };
        let n = items.len();
        n >= p * times && (p..p * times).all(|k| items[n - 1 - k] == items[n - 1 - k % p])
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn runs_repeated_at_the_end() {
        assert_eq!(repeated_tail(&[1, 2, 1, 2, 1, 2]), Some(2));
        assert_eq!(repeated_tail(&[9, 1, 2, 3, 1, 2, 3, 1, 2, 3]), Some(3));
        assert_eq!(repeated_tail(&[5, 5, 5, 5]), Some(1));
        // Not enough times, or not at the end.
        assert_eq!(repeated_tail(&[5, 5, 5]), None);
        assert_eq!(repeated_tail(&[1, 2, 1, 2]), None);
        assert_eq!(repeated_tail(&[1, 2, 1, 2, 1, 2, 7]), None);
        assert_eq!(repeated_tail::<u8>(&[]), None);
        assert_eq!(repeated_tail(&[1, 2, 3, 4, 5, 6]), None);
    }

    #[test]
    fn lists_anywhere_in_a_value() {
        let jason = json!({"name": "Jason", "age": 20});
        let ada = json!({"name": "Ada", "age": 36});
        let v = json!({"order": {"items": [jason, ada, jason, ada, jason, ada]}});
        assert_eq!(
            find(&v, false),
            Some(Repeat {
                path: "order.items".into(),
                period: 2
            })
        );
        // The last item of a value being written may be incomplete: it does not count.
        let v = json!({"items": [jason, ada, jason, ada, jason, ada]});
        assert_eq!(find(&v, true), None);
        let v = json!({"items": [jason, ada, jason, ada, jason, ada, {"name": "J"}]});
        assert_eq!(find(&v, true).map(|r| r.period), Some(2));
        assert_eq!(
            find(&json!([[1, 1, 1, 1]]), false).map(|r| r.path),
            Some("[0]".into())
        );
        assert_eq!(find(&json!({"a": [1, 2, 3]}), false), None);
    }
}
