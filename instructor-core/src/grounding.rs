//! Grounded quotes: text the model says it copied from the source, checked to be there.
//!
//! A [`Quote`] field holds a passage the model copied from the text it was given. After the
//! answer is parsed, every `Quote` in it (in a struct, a list, an `Option`, a map, an enum,
//! however deep) is looked for in the [`Source`]; one that is not there is an error at its
//! JSON path (`facts[1].quote: "..." does not appear in the text`), re-asked like any other.
//! [`Cited`] is a fact with the quotes that support it.
//!
//! # What the source is
//!
//! The text given with [`Extract::source`] (each call adds a passage), or, when there is none,
//! the text of the request's `user` messages, each message a passage. Re-asks never add to
//! it, and neither do system or assistant messages. A quote must lie within one passage.
//!
//! # What "appears" means
//!
//! A quote appears when it is a substring of a passage once **whitespace** is normalized: a
//! run of whitespace characters (Unicode `White_Space`: spaces, tabs, line breaks, no-break
//! spaces, ...) matches any other run, and the whitespace at either end of the quote is not
//! part of it. Nothing else is normalized: case, punctuation, typographic quotes and dashes,
//! accents and Unicode normalization forms must be exactly as the text writes them. There is
//! no fuzzy matching: a quote is either in the text or it is an error. A quote that is empty
//! (or only whitespace) is always an error, since it would appear in any text.
//!
//! # How it is checked
//!
//! Validation is synchronous, so the extraction sets the source for the current thread
//! around it ([`Source::scope`]), and each `Quote` reads it from there in its
//! [`Instructor::validate_at`], which every container and derived type already calls with
//! the value's JSON path. A type holding quotes needs no code of its own. Outside a scope
//! (calling [`Instructor::validate`] on a value yourself) there is no text to check against
//! and only empty quotes are errors: use [`Source::validate`] to check a value against a
//! text. Custom validators (`#[instructor(validate = ..)]`) run inside the scope and may read
//! the source with [`Source::current`] for checks across fields.
//!
//! [`Extract::source`]: crate::Extract::source

use std::borrow::{Borrow, Cow};
use std::cell::RefCell;
use std::fmt;
use std::ops::{Deref, Range};
use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::input::{Content, Part};
use crate::schema::{ObjectSchema, SchemaGenerator};
use crate::validation::{JsonPath, ValidationErrors};
use crate::wire::{Message, Role};
use crate::Instructor;

/// What the schema of a [`Quote`] tells the model, unless the field's doc comment says
/// otherwise.
pub const QUOTE_DESCRIPTION: &str =
    "A passage copied word for word from the text: same words, same spelling, same punctuation.";

/// Text the model copied from the source, checked to appear in it (see the
/// [module documentation](self) for what the source is and what "appear" means).
///
/// On the wire it is a string (`{"type": "string", "minLength": 1}`, described with
/// [`QUOTE_DESCRIPTION`] unless the field has a doc comment). In Rust it reads as a `str`.
///
/// ```
/// use instructor_core::grounding::Source;
/// use instructor_core::Quote;
///
/// let source = Source::from("Jason is 20.\nHe lives   in Lisbon.");
/// assert!(source.validate(&Quote::new("He lives in Lisbon")).is_ok());
/// let err = source.validate(&Quote::new("he lives in Lisbon")).unwrap_err();
/// assert_eq!(err.to_string(), r#"(root): "he lives in Lisbon" does not appear in the text"#);
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Quote(String);

impl Quote {
    /// A quote of `text`.
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// The quote as the model wrote it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The quote's `String`.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Debug for Quote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for Quote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Deref for Quote {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Quote {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for Quote {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl From<String> for Quote {
    fn from(text: String) -> Self {
        Self(text)
    }
}

impl From<&str> for Quote {
    fn from(text: &str) -> Self {
        Self(text.to_owned())
    }
}

impl From<Quote> for String {
    fn from(quote: Quote) -> Self {
        quote.0
    }
}

impl PartialEq<str> for Quote {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Quote {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

// garde's `length` rules on a `Quote` field count what they count on a `String`.
impl garde::rules::length::simple::HasSimpleLength for Quote {
    fn length(&self) -> usize {
        self.0.len()
    }
}

impl garde::rules::length::chars::HasChars for Quote {
    fn num_chars(&self) -> usize {
        self.0.chars().count()
    }
}

impl Instructor for Quote {
    type Partial = Self;
    type Context = ();

    fn schema_name() -> Cow<'static, str> {
        Cow::Borrowed("Quote")
    }

    fn schema(_: &mut SchemaGenerator) -> Value {
        json!({ "type": "string", "minLength": 1, "description": QUOTE_DESCRIPTION })
    }

    fn partial_from_value(value: Value) -> Option<Self> {
        serde_json::from_value(value).ok()
    }

    fn validate_at(&self, path: &mut JsonPath, errors: &mut ValidationErrors, _: bool) {
        if let Some(message) = Source::with_current(|source| quote_error(self, source)) {
            errors.add(path.as_str(), message);
        }
    }
}

/// Why `quote` is not a quote of `source` (`None` when there is no source to check
/// against, then only an empty quote is an error).
fn quote_error(quote: &str, source: Option<&Source>) -> Option<String> {
    let wanted = normalize(quote.trim());
    if wanted.is_empty() {
        return Some("is empty: copy a passage of the text word for word".to_owned());
    }
    let source = source?;
    if source.find_normalized(&wanted).is_some() {
        return None;
    }
    let shown = shown(quote.trim());
    Some(if source.is_empty() {
        format!("{shown} does not appear in the text: the request has no text to quote from")
    } else {
        format!("{shown} does not appear in the text")
    })
}

/// The quote as JSON, cut after 80 characters.
fn shown(quote: &str) -> String {
    const MAX: usize = 80;
    match quote.char_indices().nth(MAX) {
        Some((cut, _)) => {
            let head = serde_json::to_string(&quote[..cut]).unwrap_or_default();
            format!("{}...\"", &head[..head.len() - 1])
        }
        None => serde_json::to_string(quote).unwrap_or_default(),
    }
}

/// `text` with every whitespace run written as one space.
fn normalize(text: &str) -> String {
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

thread_local! {
    static CURRENT: RefCell<Option<Source>> = const { RefCell::new(None) };
}

/// Puts back the source that was current before a scope, even if the scope panics.
struct Restore(Option<Source>);

impl Drop for Restore {
    fn drop(&mut self) {
        let previous = self.0.take();
        CURRENT.with(|c| *c.borrow_mut() = previous);
    }
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
    fn find_normalized(&self, wanted: &str) -> Option<(usize, usize)> {
        self.passages
            .iter()
            .enumerate()
            .find_map(|(i, p)| p.normalized().find(wanted).map(|at| (i, at)))
    }

    /// Runs `f` with this source as the current thread's: every [`Quote`] validated inside
    /// is checked against it. Scopes nest; the previous source is current again after.
    pub fn scope<R>(&self, f: impl FnOnce() -> R) -> R {
        let previous = CURRENT.with(|c| c.borrow_mut().replace(self.clone()));
        let _restore = Restore(previous);
        f()
    }

    /// Validates `value` (every rule of its type, its quotes checked against this source).
    pub fn validate<T>(&self, value: &T) -> Result<(), ValidationErrors>
    where
        T: Instructor,
        T::Context: Default,
    {
        self.scope(|| value.validate())
    }

    /// The source of the validation running on this thread, if any: what the quotes of the
    /// value are checked against. For custom validators that check across fields.
    ///
    /// ```
    /// use instructor_core::grounding::Source;
    ///
    /// assert!(Source::current().is_none());
    /// let source = Source::from("Jason is 20");
    /// source.scope(|| assert!(Source::current().unwrap().contains("is 20")));
    /// ```
    pub fn current() -> Option<Source> {
        Self::with_current(|s| s.cloned())
    }

    fn with_current<R>(f: impl FnOnce(Option<&Source>) -> R) -> R {
        CURRENT.with(|c| f(c.borrow().as_ref()))
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

/// Runs `f` (the type's own rules) with `source` as the current source.
pub(crate) fn scoped<R>(source: Option<&Source>, f: impl FnOnce() -> R) -> R {
    match source {
        Some(s) => s.scope(f),
        None => f(),
    }
}

/// A fact with the quotes of the text that support it: Python instructor's `Fact` with its
/// `substring_quote`, as one type. `T` is the fact (a `String`, or any extracted type).
///
/// On the wire: `{"fact": .., "quotes": ["..", ..]}`. Its rules, checked together: at least
/// one quote (an error at `quotes` otherwise), and each quote in the source (an error at
/// `quotes[i]`); the fact's own rules run at `fact`.
///
/// ```
/// use instructor_core::grounding::Source;
/// use instructor_core::{Cited, Instructor};
///
/// let source = Source::from("Jason is 20. He lives in Lisbon.");
/// let answer: Vec<Cited<String>> = serde_json::from_str(r#"[
///     {"fact": "Jason is twenty", "quotes": ["Jason is 20"]},
///     {"fact": "Jason lives in Porto", "quotes": ["He lives in Porto"]},
///     {"fact": "Jason is tall", "quotes": []}
/// ]"#).unwrap();
/// let errors = source.validate(&answer).unwrap_err();
/// assert_eq!(
///     errors.to_string(),
///     "[1].quotes[0]: \"He lives in Porto\" does not appear in the text\n\
///      [2].quotes: no quote supports the fact: give at least one passage of the text"
/// );
/// assert_eq!(<Cited<String>>::json_schema()["properties"]["quotes"]["minItems"], 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Cited<T> {
    /// The fact.
    pub fact: T,
    /// Passages of the text that support the fact, each copied word for word.
    pub quotes: Vec<Quote>,
}

impl<T: Instructor> Instructor for Cited<T> {
    /// The fact's partial form (when any of it has arrived) and the quotes so far.
    type Partial = Cited<Option<T::Partial>>;
    type Context = ();

    fn schema_name() -> Cow<'static, str> {
        Cow::Owned(format!("Cited_for_{}", T::schema_name()))
    }

    fn description() -> Option<&'static str> {
        Some("A fact, with the passages of the text that support it.")
    }

    fn schema(gen: &mut SchemaGenerator) -> Value {
        gen.named::<Self>(
            || Self::schema_name().into_owned(),
            |gen| {
                let mut fact = T::schema(gen);
                crate::schema::keywords::annotate(
                    &mut fact,
                    "description",
                    json!("The fact, as the text states it."),
                );
                let quotes = json!({
                    "type": "array",
                    "items": Quote::schema(gen),
                    "minItems": 1,
                    "description": "Passages of the text that support the fact, each copied \
                                    word for word.",
                });
                let mut object = ObjectSchema::new();
                object.property("fact", fact, true);
                object.property("quotes", quotes, true);
                let mut s = object.build(false);
                crate::schema::keywords::annotate(&mut s, "title", json!(Self::schema_name()));
                crate::schema::keywords::annotate(
                    &mut s,
                    "description",
                    json!(Self::description()),
                );
                s
            },
        )
    }

    fn partial_from_value(value: Value) -> Option<Self::Partial> {
        let Value::Object(mut map) = value else {
            return None;
        };
        Some(Cited {
            fact: map.remove("fact").and_then(T::partial_from_value),
            quotes: map
                .remove("quotes")
                .and_then(<Vec<Quote>>::partial_from_value)
                .unwrap_or_default(),
        })
    }

    fn validate_at(&self, path: &mut JsonPath, errors: &mut ValidationErrors, _: bool) {
        // No garde rules of an enclosing type reach inside a `Cited`: the fact's own run here.
        let len = path.push_key("fact");
        self.fact.validate_at(path, errors, true);
        path.truncate(len);
        let len = path.push_key("quotes");
        if self.quotes.is_empty() {
            errors.add(
                path.as_str(),
                "no quote supports the fact: give at least one passage of the text",
            );
        }
        self.quotes.validate_at(path, errors, true);
        path.truncate(len);
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
    fn scopes_nest_and_restore() {
        let outer = Source::from("outer text");
        let inner = Source::from("inner text");
        assert!(Source::current().is_none());
        outer.scope(|| {
            inner.scope(|| assert!(Source::current().unwrap().contains("inner")));
            assert!(Source::current().unwrap().contains("outer"));
            let caught = std::panic::catch_unwind(|| inner.scope(|| panic!("boom")));
            assert!(caught.is_err());
            assert!(Source::current().unwrap().contains("outer"));
        });
        assert!(Source::current().is_none());
    }

    #[test]
    fn errors_name_the_quote_and_why() {
        let empty = Source::new();
        let text = Source::from("Jason is 20");
        assert_eq!(quote_error("Jason", Some(&text)), None);
        assert_eq!(
            quote_error(" Ada ", Some(&text)).unwrap(),
            r#""Ada" does not appear in the text"#
        );
        assert_eq!(
            quote_error("Ada", Some(&empty)).unwrap(),
            r#""Ada" does not appear in the text: the request has no text to quote from"#
        );
        assert_eq!(
            quote_error(" ", None).unwrap(),
            "is empty: copy a passage of the text word for word"
        );
        assert_eq!(quote_error("Ada", None), None);
        let long = "ab\"".repeat(40);
        let msg = quote_error(&long, Some(&text)).unwrap();
        assert!(
            msg.starts_with(r#""ab\"ab\""#) && msg.contains(r#"ab..." does not"#),
            "{msg}"
        );
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
