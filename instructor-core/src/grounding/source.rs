//! The text quotes are checked against ([`Source`]), and what "appears" means: a quote is
//! found in one passage once whitespace runs are normalized (see the
//! module documentation of `grounding`).

use std::ops::Range;
use std::sync::{Arc, OnceLock};

use crate::input::{Content, Part};
use crate::wire::{Message, Role};

/// `text` with every whitespace run written as one space.
pub(super) fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_space = false;
    for c in text.chars() {
        if c.is_whitespace() {
            if !in_space {
                out.push(' ');
            }
            in_space = true;
        } else {
            out.push(c);
            in_space = false;
        }
    }
    out
}

/// The byte offset in `text` where byte `at` of its [`normalize`]d form begins (`text.len()`
/// past the end).
fn original_offset(text: &str, at: usize) -> usize {
    let mut norm = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if norm >= at {
            return i;
        }
        if c.is_whitespace() {
            while chars.next_if(|(_, c)| c.is_whitespace()).is_some() {}
            norm += 1;
        } else {
            norm += c.len_utf8();
        }
    }
    text.len()
}

/// One passage of a source: its text, and its normalized form, made the first time a quote
/// is looked for.
#[derive(Debug, Clone)]
struct Passage {
    text: String,
    normalized: OnceLock<String>,
}

impl Passage {
    fn normalized(&self) -> &str {
        self.normalized.get_or_init(|| normalize(&self.text))
    }
}

/// The text quotes are checked against: one or more passages (a document, the chunks of
/// one, the user messages of a request). Cheap to clone.
///
/// ```
/// use instructor_core::grounding::Source;
///
/// let mut source = Source::from("The meeting moved to\nThursday, 3pm.");
/// source.push("Ana will chair it.");
/// let found = source.find("moved to Thursday").unwrap();
/// assert_eq!(found.passage, 0);
/// assert_eq!(source.excerpt(&found), "moved to\nThursday");
/// assert!(source.contains("Ana will chair"));
/// assert!(!source.contains("Thursday, 3pm. Ana")); // never across passages
/// ```
#[derive(Debug, Clone, Default)]
pub struct Source {
    passages: Arc<Vec<Passage>>,
}

/// Where a quote was found: the passage, and the bytes of its text that the quote matches
/// (whitespace inside them may differ from the quote's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    /// The passage's index, in the order the passages were given.
    pub passage: usize,
    /// The matched bytes of the passage's text.
    pub range: Range<usize>,
}

impl Source {
    /// A source with no passages yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The text of the `user` messages among `messages`, one passage each (each text part of
    /// a message of parts is a passage of its own).
    pub fn from_messages(messages: &[Message]) -> Self {
        let mut source = Self::new();
        for m in messages.iter().filter(|m| m.role == Role::User) {
            match &m.content {
                Some(Content::Text(text)) => source.push(text.as_str()),
                Some(Content::Parts(parts)) => {
                    for part in parts {
                        if let Part::Text(text) = part {
                            source.push(text.as_str());
                        }
                    }
                }
                None => {}
            }
        }
        source
    }

    /// Adds a passage.
    pub fn push(&mut self, text: impl Into<String>) {
        Arc::make_mut(&mut self.passages).push(Passage {
            text: text.into(),
            normalized: OnceLock::new(),
        });
    }

    /// The passages' texts, in order.
    pub fn passages(&self) -> impl ExactSizeIterator<Item = &str> {
        self.passages.iter().map(|p| p.text.as_str())
    }

    /// Whether there is no text at all to quote from.
    pub fn is_empty(&self) -> bool {
        self.passages.iter().all(|p| p.text.trim().is_empty())
    }

    /// Whether `quote` appears in one of the passages (whitespace normalized; an empty
    /// quote never appears).
    pub fn contains(&self, quote: &str) -> bool {
        self.find(quote).is_some()
    }

    /// Where `quote` first appears: the first passage that holds it, and the bytes it
    /// matches there.
    pub fn find(&self, quote: &str) -> Option<Span> {
        let wanted = normalize(quote.trim());
        if wanted.is_empty() {
            return None;
        }
        let (passage, at) = self.find_normalized(&wanted)?;
        let text = &self.passages[passage].text;
        let start = original_offset(text, at);
        let end = original_offset(text, at + wanted.len());
        Some(Span {
            passage,
            range: start..end,
        })
    }

    /// The text of the source at `span` (exactly as the source writes it).
    ///
    /// # Panics
    ///
    /// When `span` is not a span of this source.
    pub fn excerpt(&self, span: &Span) -> &str {
        &self.passages[span.passage].text[span.range.clone()]
    }

    /// The first passage whose normalized text holds `wanted` (normalized, not empty), and
    /// where in that normalized text.
    pub(super) fn find_normalized(&self, wanted: &str) -> Option<(usize, usize)> {
        self.passages
            .iter()
            .enumerate()
            .find_map(|(i, p)| p.normalized().find(wanted).map(|at| (i, at)))
    }
}

impl From<String> for Source {
    fn from(text: String) -> Self {
        let mut source = Self::new();
        source.push(text);
        source
    }
}

impl From<&str> for Source {
    fn from(text: &str) -> Self {
        Self::from(text.to_owned())
    }
}

impl<S: Into<String>> FromIterator<S> for Source {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Self {
        let mut source = Self::new();
        iter.into_iter().for_each(|p| source.push(p));
        source
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_runs_match_each_other_and_nothing_else_is_normalized() {
        let s = Source::from("Jason\u{a0}is 20.\n\tHe  lives in Lisbon — since 2019.");
        for q in [
            "Jason is 20",
            "  is 20. He lives ",
            "He lives in Lisbon — since",
            "Jason\nis",
        ] {
            assert!(s.contains(q), "{q:?}");
        }
        for q in [
            "jason is 20",
            "Lisbon - since",
            "He lives in Lisbon, since",
            "Jasonis",
            "",
            " \n ",
        ] {
            assert!(!s.contains(q), "{q:?}");
        }
    }

    #[test]
    fn find_maps_back_to_the_original_bytes() {
        let text = "  Olá,\n\n  mundo!  Até já.";
        let s = Source::from(text);
        let span = s.find("mundo! Até").unwrap();
        assert_eq!(s.excerpt(&span), "mundo!  Até");
        let span = s.find("Olá, mundo").unwrap();
        assert_eq!(s.excerpt(&span), "Olá,\n\n  mundo");
        let span = s.find("já.").unwrap();
        assert_eq!(span.range.end, text.len());
        let start = s.find(" Olá").unwrap();
        assert_eq!(s.excerpt(&start), "Olá");
    }

    #[test]
    fn a_quote_lies_within_one_passage() {
        let s: Source = ["first passage", "second passage"].into_iter().collect();
        assert_eq!(s.find("second").unwrap().passage, 1);
        assert!(!s.contains("passage second"));
        assert_eq!(s.passages().len(), 2);
    }

    #[test]
    fn user_messages_are_the_default_source() {
        let s = Source::from_messages(&[
            Message::system("Extract the facts."),
            Message::user("Jason is 20"),
            Message::assistant("{}"),
            Message::user("Ada is 36"),
        ]);
        assert_eq!(
            s.passages().collect::<Vec<_>>(),
            ["Jason is 20", "Ada is 36"]
        );
        assert!(!s.contains("Extract the facts"));
    }
}
