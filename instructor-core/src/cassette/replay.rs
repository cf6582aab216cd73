//! Replaying: the exchanges of a file, each served once, to the request it recorded.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

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
        let why = match (at_endpoint, same) {
            (0, _) => "it holds no exchange at this endpoint".to_owned(),
            (n, 0) => format!("none of its {n} exchange(s) at this endpoint has this body"),
            (_, n) => format!("its {n} answer(s) to this request were all served already"),
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
        assert!(shown.contains("INSTRUCTOR_CASSETTE=record"), "{shown}");
        let mut other = call(b"{}");
        other.endpoint = "/messages";
        let shown = d.play(&other).unwrap_err().to_string();
        assert!(shown.contains("no exchange at this endpoint"), "{shown}");
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
