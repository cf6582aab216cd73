//! A quote: text the model copied from the source, checked to be there.

use std::borrow::{Borrow, Cow};
use std::fmt;
use std::ops::Deref;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::source::{normalize, Source};
use crate::schema::SchemaGenerator;
use crate::validation::{JsonPath, ValidationErrors};
use crate::Instructor;

/// What the schema of a [`Quote`] tells the model, unless the field's doc comment says
/// otherwise.
pub const QUOTE_DESCRIPTION: &str =
    "A passage copied word for word from the text: same words, same spelling, same punctuation.";

/// Text the model copied from the source, checked to appear in it (see the
/// [module documentation](crate::grounding) for what the source is and what "appear" means).
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
        if let Some(message) = quote_error(self, errors.source()) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_source_travels_with_the_error_list() {
        let ada = Quote::new("Ada is 36");
        // No source: only an empty quote is an error.
        assert!(ada.validate().is_ok());
        assert!(Quote::new(" ").validate().is_err());
        let source = Source::from("Jason is 20");
        let err = source.validate(&ada).unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"(root): "Ada is 36" does not appear in the text"#
        );
        assert!(err.source().is_none(), "the errors do not keep the source");
        let mut errors = ValidationErrors::against(source);
        let quotes = vec![Quote::new("Jason"), ada];
        quotes.validate_at(&mut JsonPath::root(), &mut errors, true);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors.iter().next().unwrap().path(), "[1]");
        assert!(errors.source().unwrap().contains("is 20"));
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
}
