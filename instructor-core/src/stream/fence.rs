//! The JSON inside a Markdown fence, for [`Mode::MdJson`](crate::Mode::MdJson) answers
//! arriving in pieces.

use std::borrow::Cow;

/// Passes on only the JSON of an `MdJson` answer: the inside of its first fenced block, or,
/// when the text has no fence, everything from the first `{`.
#[derive(Debug, Default)]
pub(crate) struct FenceFilter {
    state: FenceState,
    /// Text held back: before the fence opens, or backticks that may close it.
    held: String,
}

#[derive(Debug, Default, PartialEq, Eq)]
enum FenceState {
    #[default]
    Seeking,
    Inside,
    Done,
}

impl FenceFilter {
    /// The part of `delta` that is JSON.
    pub(crate) fn feed<'a>(&mut self, delta: &'a str) -> Cow<'a, str> {
        match self.state {
            FenceState::Done => Cow::Borrowed(""),
            FenceState::Seeking => {
                self.held.push_str(delta);
                let text = std::mem::take(&mut self.held);
                let fence = text.find("```");
                let brace = text.find('{');
                match (fence, brace) {
                    (Some(f), b) if b.is_none_or(|b| f < b) => {
                        let rest = &text[f + 3..];
                        match (rest.find('\n'), rest.find('{')) {
                            // ```{"a": 1}``` on one line.
                            (None, Some(b)) => {
                                self.state = FenceState::Inside;
                                Cow::Owned(self.inside(&rest[b..]))
                            }
                            (Some(nl), Some(b)) if b < nl => {
                                self.state = FenceState::Inside;
                                Cow::Owned(self.inside(&rest[b..]))
                            }
                            // The fence line ends: the JSON starts on the next one.
                            (Some(nl), _) => {
                                self.state = FenceState::Inside;
                                Cow::Owned(self.inside(&rest[nl + 1..]))
                            }
                            // A fence line is a language tag at most: a long one is no fence,
                            // and the held text stays small.
                            (None, None) if rest.len() > 64 => {
                                self.state = FenceState::Done;
                                Cow::Borrowed("")
                            }
                            (None, None) => {
                                self.held = text;
                                Cow::Borrowed("")
                            }
                        }
                    }
                    (_, Some(b)) => {
                        self.state = FenceState::Inside;
                        Cow::Owned(self.inside(&text[b..]))
                    }
                    _ => {
                        // Keep only what could still start a fence.
                        let keep = text.len() - text.trim_end_matches('`').len();
                        self.held = text[text.len() - keep..].to_owned();
                        Cow::Borrowed("")
                    }
                }
            }
            FenceState::Inside => Cow::Owned(self.inside(delta)),
        }
    }

    fn inside(&mut self, delta: &str) -> String {
        let mut text = std::mem::take(&mut self.held);
        text.push_str(delta);
        if let Some(end) = text.find("```") {
            self.state = FenceState::Done;
            text.truncate(end);
            return text;
        }
        let keep = (text.len() - text.trim_end_matches('`').len()).min(2);
        self.held = text[text.len() - keep..].to_owned();
        text.truncate(text.len() - keep);
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fence(deltas: &[&str]) -> String {
        let mut f = FenceFilter::default();
        deltas.iter().map(|d| f.feed(d).into_owned()).collect()
    }

    #[test]
    fn fence_filter_passes_only_the_json() {
        assert_eq!(
            fence(&["Here:\n```json\n{\"a\": 1}\n```\nDone"]),
            "{\"a\": 1}\n"
        );
        assert_eq!(
            fence(&[
                "Here:\n``",
                "`js",
                "on\n{\"a\"",
                ": \"`x`\"}\n`",
                "``",
                " bye"
            ]),
            "{\"a\": \"`x`\"}\n"
        );
        assert_eq!(fence(&["The answer is {\"a\": 1}"]), "{\"a\": 1}");
        assert_eq!(fence(&["no json at all"]), "");
        assert_eq!(fence(&["```{\"a\": 1}```"]), "{\"a\": 1}");
        let long: Vec<String> = std::iter::once("```".to_owned())
            .chain((0..10_000).map(|_| "x".to_owned()))
            .collect();
        let long: Vec<&str> = long.iter().map(String::as_str).collect();
        assert_eq!(
            fence(&long),
            "",
            "a fence line without end holds at most 64 bytes"
        );
    }
}
