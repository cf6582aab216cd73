//! Replaying: the exchanges of a file, each served once, to the request it recorded.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde_json::Value;

use crate::cassette::exchange::{Call, Exchange};
use crate::error::Error;

/// How the error of a request with no recorded answer says to record again.
pub(crate) const RERECORD: &str =
    "re-record the cassette: run with INSTRUCTOR_CASSETTE=record (Cassette::from_env), or \
     build it with Cassette::record";

/// The exchanges of a cassette file, and which have been served.
#[derive(Debug)]
pub(crate) struct Deck {
    path: PathBuf,
    exchanges: Mutex<Vec<(Exchange, bool)>>,
}

impl Deck {
    /// Reads the file at `path`: one exchange per line (blank lines skipped).
    pub(crate) fn load(path: &Path) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::Cassette(format!(
                "cannot read the cassette `{}`: {e}; to make it, {RERECORD}",
                path.display()
            ))
        })?;
        Ok(Self {
            path: path.to_owned(),
            exchanges: Mutex::new(parse(path, &text)?),
        })
    }

    /// The recorded answer to `call`: the first exchange not yet served with the same
    /// method, endpoint and request body (compared as JSON values: the order of an object's
    /// keys does not matter), or an error that shows the request and how to record it.
    pub(crate) fn play(&self, call: &Call<'_>) -> Result<reqwest::Response, Error> {
        let request = call.request();
        let mut exchanges = self.exchanges.lock().unwrap_or_else(|p| p.into_inner());
        let same_endpoint = |x: &Exchange| x.method == call.method && x.endpoint == call.endpoint;
        if let Some((x, served)) = exchanges
            .iter_mut()
            .find(|(x, served)| !*served && same_endpoint(x) && x.request == request)
        {
            *served = true;
            return Ok(x.response());
        }
        let at_endpoint = exchanges.iter().filter(|(x, _)| same_endpoint(x)).count();
        let same = exchanges
            .iter()
            .filter(|(x, _)| same_endpoint(x) && x.request == request)
            .count();
        let closest = exchanges
            .iter()
            .filter(|(x, _)| same_endpoint(x))
            .min_by_key(|(x, _)| differences(&x.request, &request))
            .and_then(|(x, _)| first_difference(&x.request, &request, String::new()));
        let why = match (at_endpoint, same, closest) {
            (0, _, _) => "it holds no exchange at this endpoint".to_owned(),
            (n, 0, Some((at, recorded, sent))) => format!(
                "none of its {n} exchange(s) at this endpoint has this body (the closest \
                 differs at `{at}`: recorded {}, sent {})",
                excerpt(recorded),
                excerpt(sent)
            ),
            (n, 0, None) => format!("none of its {n} exchange(s) at this endpoint has this body"),
            (_, n, _) => format!("its {n} answer(s) to this request were all served already"),
        };
        Err(Error::Cassette(format!(
            "no recorded answer in `{}` to {}: {why}; {RERECORD}",
            self.path.display(),
            call.describe()
        )))
    }

    /// How many exchanges have not been served.
    pub(crate) fn unplayed(&self) -> usize {
        let exchanges = self.exchanges.lock().unwrap_or_else(|p| p.into_inner());
        exchanges.iter().filter(|(_, served)| !served).count()
    }
}

/// How many leaves of `a` and `b` differ (a value against a value of another kind: one).
fn differences(a: &Value, b: &Value) -> usize {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            let null = Value::Null;
            keys.into_iter()
                .map(|k| differences(x.get(k).unwrap_or(&null), y.get(k).unwrap_or(&null)))
                .sum()
        }
        (Value::Array(x), Value::Array(y)) => {
            let common: usize = x.iter().zip(y).map(|(a, b)| differences(a, b)).sum();
            common + x.len().abs_diff(y.len())
        }
        _ => usize::from(a != b),
    }
}

/// Where `recorded` and `sent` first differ (a JSON path after `at`), and the two values
/// there.
fn first_difference<'a>(
    recorded: &'a Value,
    sent: &'a Value,
    at: String,
) -> Option<(String, &'a Value, &'a Value)> {
    const NULL: &Value = &Value::Null;
    match (recorded, sent) {
        (Value::Object(x), Value::Object(y)) => x.keys().chain(y.keys()).find_map(|k| {
            let path = if at.is_empty() {
                k.clone()
            } else {
                format!("{at}.{k}")
            };
            first_difference(x.get(k).unwrap_or(NULL), y.get(k).unwrap_or(NULL), path)
        }),
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (a, b))| first_difference(a, b, format!("{at}[{i}]"))),
        _ if recorded == sent => None,
        _ => Some((
            if at.is_empty() { "the body".into() } else { at },
            recorded,
            sent,
        )),
    }
}

/// A value's JSON text, cut at 80 characters.
fn excerpt(value: &Value) -> String {
    let text = value.to_string();
    let mut out: String = text.chars().take(80).collect();
    if out.len() < text.len() {
        out.push_str("...");
    }
    out
}

/// The exchanges of a file's `text`; a line that is not one is an error naming the file and
/// the line.
fn parse(path: &Path, text: &str) -> Result<Vec<(Exchange, bool)>, Error> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let exchange = serde_json::from_str::<Exchange>(line)
            .map_err(|e| e.to_string())
            .and_then(|x| x.check().map(|()| x));
        match exchange {
            Ok(x) => out.push((x, false)),
            Err(why) => {
                return Err(Error::Cassette(format!(
                    "`{}` line {}: not a recorded exchange: {why}",
                    path.display(),
                    i + 1
                )))
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cassette::exchange::tests::call;

    const LINE: &str = r#"{"method":"POST","endpoint":"/chat/completions","status":200,"request":{"a":1,"b":2},"body":{"ok":true}}"#;

    fn deck(text: &str) -> Result<Deck, Error> {
        let path = Path::new("cassettes/t.jsonl");
        Ok(Deck {
            path: path.to_owned(),
            exchanges: Mutex::new(parse(path, text)?),
        })
    }

    #[test]
    fn a_request_is_matched_by_its_json_value_and_served_once() {
        let d = deck(&format!("{LINE}\n\n{LINE}\n")).unwrap();
        assert_eq!(d.unplayed(), 2);
        d.play(&call(br#"{"b":2, "a":1}"#)).unwrap();
        d.play(&call(br#"{"a":1,"b":2}"#)).unwrap();
        assert_eq!(d.unplayed(), 0);
        let e = d.play(&call(br#"{"a":1,"b":2}"#)).unwrap_err().to_string();
        assert!(e.contains("were all served already"), "{e}");
    }

    #[test]
    fn a_miss_names_the_request_and_how_to_record() {
        let d = deck(LINE).unwrap();
        let e = d.play(&call(br#"{"a":3}"#)).unwrap_err();
        let shown = e.to_string();
        assert!(shown.contains("cassettes/t.jsonl"), "{shown}");
        assert!(
            shown.contains(r#"POST /chat/completions with body {"a":3}"#),
            "{shown}"
        );
        assert!(shown.contains("none of its 1 exchange(s)"), "{shown}");
        assert!(
            shown.contains("the closest differs at `a`: recorded 1, sent 3"),
            "{shown}"
        );
        assert!(shown.contains("INSTRUCTOR_CASSETTE=record"), "{shown}");
        let mut other = call(b"{}");
        other.endpoint = "/messages";
        let shown = d.play(&other).unwrap_err().to_string();
        assert!(shown.contains("no exchange at this endpoint"), "{shown}");
    }

    #[test]
    fn the_first_difference_is_found_by_its_path() {
        let recorded = serde_json::json!({"m": [{"c": "Jason"}, {"c": "x"}], "k": 1});
        let sent = serde_json::json!({"m": [{"c": "Jason"}, {"c": "Ada"}], "k": 1});
        let (at, r, s) = first_difference(&recorded, &sent, String::new()).unwrap();
        assert_eq!(
            (at.as_str(), r, s),
            ("m[1].c", &recorded["m"][1]["c"], &sent["m"][1]["c"])
        );
        assert_eq!(differences(&recorded, &sent), 1);
        let shorter = serde_json::json!({"m": [], "k": 1});
        assert_eq!(
            first_difference(&recorded, &shorter, String::new())
                .unwrap()
                .0,
            "m"
        );
        assert_eq!(differences(&recorded, &shorter), 2);
        assert!(first_difference(&recorded, &recorded, String::new()).is_none());
    }

    #[test]
    fn a_line_that_is_not_an_exchange_is_named() {
        for (text, line) in [
            (format!("{LINE}\n{{not json\n"), 2),
            (format!("\n\n{}\n", r#"{"method":"POST"}"#), 3),
            (LINE.replace(r#","body":{"ok":true}"#, ""), 1),
        ] {
            let e = deck(&text).unwrap_err().to_string();
            assert!(
                e.contains(&format!("`cassettes/t.jsonl` line {line}:")),
                "{e}"
            );
        }
    }

    #[test]
    fn a_missing_file_says_how_to_make_it() {
        let e = Deck::load(Path::new("/nonexistent/x.jsonl"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("/nonexistent/x.jsonl"), "{e}");
        assert!(e.contains("INSTRUCTOR_CASSETTE=record"), "{e}");
    }
}
