//! Grounded quotes over the wire: each `Quote` of an answer (nested, in lists, in options,
//! in `Cited`) is looked for in the source, the user messages by default or the text given
//! with `.source(..)`; one that is not there is re-asked at its JSON path.

use instructor::grounding::Source;
use instructor::{AttemptError, Cited, Instructor, Mode, Quote};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::support::servers::mock::{bodies, json_ok, serving, sse_ok};
use crate::support::sse::Sse;
use crate::support::*;

const TEXT: &str = "Jason is 20 and lives in Lisbon.\nAda is 36; she moved to Porto in 2019.";

/// A fact about a person, with where the text says it.
#[derive(Debug, Deserialize, Instructor)]
#[serde(rename_all = "camelCase")]
struct Fact {
    person: String,
    /// The sentence of the text that states the fact.
    source_quote: Quote,
    /// A second passage, when there is one.
    #[serde(default)]
    also_quote: Option<Quote>,
    #[serde(default)]
    place: Option<Place>,
}

#[derive(Debug, Deserialize, Instructor)]
struct Place {
    city: String,
    quotes: Vec<Quote>,
}

#[derive(Debug, Deserialize, Instructor)]
struct Facts {
    facts: Vec<Fact>,
}

/// The conversation's messages of request `n`.
fn messages(bodies: &[Value], n: usize) -> Vec<Value> {
    bodies[n]["messages"].as_array().unwrap().clone()
}

/// The feedback of the re-ask in request `n` (its last message).
fn feedback(bodies: &[Value], n: usize) -> String {
    let m = messages(bodies, n);
    m.last().unwrap()["content"].as_str().unwrap().to_owned()
}

fn reply(answer: &Value) -> wiremock::ResponseTemplate {
    json_ok(content_reply(&answer.to_string(), usage(10, 5)))
}

#[tokio::test]
async fn quotes_in_the_user_message_pass_nested_and_in_lists() {
    let answer = json!({"facts": [
        {"person": "Jason", "sourceQuote": "Jason is 20", "place": {"city": "Lisbon", "quotes": ["lives in Lisbon"]}},
        // Whitespace runs match each other: the text breaks the line after "Lisbon.".
        {"person": "Ada", "sourceQuote": "  Lisbon. Ada   is 36 ", "alsoQuote": "she moved to\tPorto"}
    ]});
    let server = serving(vec![reply(&answer)]).await;
    let facts = client(&server)
        .extract::<Facts>()
        .system("Extract the facts, quoting the text.")
        .user(TEXT)
        .await
        .unwrap();
    assert_eq!(facts.facts.len(), 2);
    assert_eq!(
        facts.facts[1].also_quote.as_deref(),
        Some("she moved to\tPorto")
    );
    assert_eq!(facts.facts[0].place.as_ref().unwrap().city, "Lisbon");
}

#[tokio::test]
async fn a_quote_not_in_the_text_is_re_asked_at_its_path() {
    let bad = json!({"facts": [
        {"person": "Jason", "sourceQuote": "Jason is 20"},
        {"person": "Ada", "sourceQuote": "Ada is 63", "alsoQuote": "she moved to Porto",
         "place": {"city": "Porto", "quotes": ["moved to Porto", "in 2018"]}}
    ]});
    let good = json!({"facts": [
        {"person": "Jason", "sourceQuote": "Jason is 20"},
        {"person": "Ada", "sourceQuote": "Ada is 36"}
    ]});
    let server = serving(vec![reply(&bad), reply(&good)]).await;
    let (facts, extraction) = ask::<Facts>(&server, TEXT, 1)
        .send_with_extraction()
        .await
        .unwrap();
    assert_eq!(facts.facts[1].source_quote, "Ada is 36");
    let Some(AttemptError::Validation(errors)) = &extraction.attempts[0].error else {
        panic!("{:?}", extraction.attempts[0].error);
    };
    assert_eq!(
        errors.to_string(),
        "facts[1].sourceQuote: \"Ada is 63\" does not appear in the text\n\
         facts[1].place.quotes[1]: \"in 2018\" does not appear in the text"
    );
    let bodies = bodies(&server).await;
    assert_eq!(
        feedback(&bodies, 1),
        "Your answer has 2 errors:\n\
         - `facts[1].sourceQuote` is \"Ada is 63\": \"Ada is 63\" does not appear in the text. \
         A valid value: string, at least 1 character.\n\
         - `facts[1].place.quotes[1]` is \"in 2018\": \"in 2018\" does not appear in the text. \
         A valid value: string, at least 1 character.\n\
         \n\
         Reply with the whole corrected JSON: fix every error and keep the rest as it was."
    );
    // The schema tells the model what a quote is, unless the field's doc says it.
    let schema = Facts::json_schema();
    let fact = &schema["$defs"]["Fact"]["properties"];
    assert_eq!(
        fact["sourceQuote"]["description"],
        "The sentence of the text that states the fact."
    );
    assert_eq!(
        schema["$defs"]["Place"]["properties"]["quotes"]["items"]["description"],
        instructor::grounding::QUOTE_DESCRIPTION
    );
}

#[tokio::test]
async fn the_default_source_is_the_user_messages_only() {
    // In the system message, in the re-ask's feedback: neither is the text.
    let from_system = json!({"facts": [{"person": "Jason", "sourceQuote": "Quote the text"}]});
    let from_feedback =
        json!({"facts": [{"person": "Jason", "sourceQuote": "does not appear in the text"}]});
    let server = serving(vec![reply(&from_system), reply(&from_feedback)]).await;
    let err = client(&server)
        .extract::<Facts>()
        .system("Quote the text.")
        .user(TEXT)
        .max_retries(1)
        .await
        .unwrap_err();
    // The last attempt's errors.
    assert_eq!(
        err.validation_errors().map(ToString::to_string).as_deref(),
        Some("facts[0].sourceQuote: \"does not appear in the text\" does not appear in the text")
    );
}

#[tokio::test]
async fn an_explicit_source_replaces_the_user_messages() {
    let article = "The launch moved to May 3. Two engines failed the test in April.";
    let instruction = format!("List the facts in this article, quoting it:\n\n{article}");
    // "List the facts" is in the user message but not in the source; each passage is
    // searched alone.
    let bad = json!({"facts": [
        {"person": "editor", "sourceQuote": "List the facts"},
        {"person": "NASA", "sourceQuote": "failed the test in April. Second passage"}
    ]});
    let good = json!({"facts": [{"person": "NASA", "sourceQuote": "Second passage here"}]});
    let server = serving(vec![reply(&bad), reply(&good)]).await;
    let (facts, extraction) = client(&server)
        .extract::<Facts>()
        .user(instruction)
        .source(article)
        .source("Second passage here.")
        .max_retries(1)
        .send_with_extraction()
        .await
        .unwrap();
    assert_eq!(facts.facts[0].source_quote, "Second passage here");
    let errors = extraction.attempts[0].error.as_ref().unwrap().to_string();
    assert!(
        errors.contains("facts[0].sourceQuote: \"List the facts\" does not appear in the text")
            && errors.contains(
                "facts[1].sourceQuote: \"failed the test in April. Second passage\" does not"
            ),
        "{errors}"
    );
    // The source is not sent: the request is what the caller wrote.
    let bodies = bodies(&server).await;
    assert_eq!(messages(&bodies, 0).len(), 1);
    assert!(!bodies[0].to_string().contains("Second passage here"));
}

/// Python instructor's `QuestionAnswer`: each fact with the quotes that support it.
#[derive(Debug, Deserialize, Instructor)]
struct QuestionAnswer {
    question: String,
    answer: Vec<Cited<String>>,
}

#[tokio::test]
async fn cited_facts_need_a_quote_each_and_every_quote_in_the_text() {
    let bad = json!({"question": "Where do they live?", "answer": [
        {"fact": "Jason lives in Lisbon", "quotes": ["lives in Lisbon"]},
        {"fact": "Ada lives in Porto", "quotes": []},
        {"fact": "Ada moved in 2019", "quotes": ["moved to Porto in 2019", "since 2019"]}
    ]});
    let good = json!({"question": "Where do they live?", "answer": [
        {"fact": "Jason lives in Lisbon", "quotes": ["lives in Lisbon"]},
        {"fact": "Ada lives in Porto", "quotes": ["she moved to Porto"]}
    ]});
    let tool = |v: &Value| json_ok(tool_reply("QuestionAnswer", &v.to_string(), usage(10, 5)));
    let server = serving(vec![tool(&bad), tool(&good)]).await;
    let qa = client(&server)
        .extract::<QuestionAnswer>()
        .system("Answer the question with correct and exact citations.")
        .user(format!("Where do they live?\n\n{TEXT}"))
        .mode(Mode::Tools)
        .max_retries(1)
        .await
        .unwrap();
    assert_eq!(qa.question, "Where do they live?");
    assert_eq!(qa.answer[1].quotes, ["she moved to Porto"]);
    let bodies = bodies(&server).await;
    let m = messages(&bodies, 1);
    assert_eq!(m.last().unwrap()["role"], "tool");
    assert_eq!(
        feedback(&bodies, 1),
        "Your answer has 2 errors:\n\
         - `answer[1].quotes` is []: no quote supports the fact: give at least one passage of \
         the text. A valid value: list of string, at least 1 item.\n\
         - `answer[2].quotes[1]` is \"since 2019\": \"since 2019\" does not appear in the text. \
         A valid value: string, at least 1 character.\n\
         \n\
         Call `QuestionAnswer` again with the whole corrected arguments: fix every error and keep \
         the rest as it was."
    );
    // The type's schema holds the cited facts under `$defs`.
    let cited = &QuestionAnswer::json_schema()["$defs"]["Cited_for_string"];
    assert_eq!(cited["required"], json!(["fact", "quotes"]));
    assert_eq!(cited["properties"]["quotes"]["minItems"], 1);
}

#[tokio::test]
async fn a_streamed_answer_is_checked_like_a_whole_one() {
    let bad = json!({"facts": [{"person": "Ada", "sourceQuote": "Ada is 63"}]}).to_string();
    let good = json!({"facts": [{"person": "Ada", "sourceQuote": "Ada is 36"}]}).to_string();
    let server = serving(vec![
        sse_ok(Sse::new().deltas(&bad, 7).finish("stop").done().body()),
        sse_ok(Sse::new().deltas(&good, 7).finish("stop").done().body()),
    ])
    .await;
    let facts = ask::<Facts>(&server, TEXT, 1)
        .stream_partial()
        .into_final()
        .await
        .unwrap();
    assert_eq!(facts.facts[0].source_quote, "Ada is 36");
    let bodies = bodies(&server).await;
    assert!(
        feedback(&bodies, 1)
            .contains("`facts[0].sourceQuote` is \"Ada is 63\": \"Ada is 63\" does not"),
        "{}",
        feedback(&bodies, 1)
    );
}

/// A person with a quote that must name them: a check across fields, with the source at
/// hand for the name too.
#[derive(Debug, Deserialize, Instructor)]
#[instructor(validate = quote_names_the_person)]
struct Person {
    name: String,
    quote: Quote,
}

fn quote_names_the_person(p: &Person, source: Option<&Source>) -> Result<(), String> {
    if let Some(source) = source {
        if !source.contains(&p.name) {
            return Err(format!("the text does not name {:?}", p.name));
        }
    }
    if p.quote.contains(p.name.as_str()) {
        Ok(())
    } else {
        Err(format!("the quote does not name {:?}", p.name))
    }
}

#[tokio::test]
async fn custom_validators_check_across_fields_with_the_source_at_hand() {
    let server = serving(vec![
        reply(&json!({"name": "Jason", "quote": "Ada is 36"})),
        reply(&json!({"name": "Jasón", "quote": "Jasón is 20"})),
        reply(&json!({"name": "Jason", "quote": "Jason is 20"})),
    ])
    .await;
    let (person, extraction) = ask::<Person>(&server, TEXT, 2)
        .send_with_extraction()
        .await
        .unwrap();
    assert_eq!(person.name, "Jason");
    let errors: Vec<String> = extraction
        .attempts
        .iter()
        .filter_map(|a| a.error.as_ref()?.errors().map(ToString::to_string))
        .collect();
    assert_eq!(
        errors,
        [
            "(root): the quote does not name \"Jason\"",
            "(root): the text does not name \"Jasón\"\nquote: \"Jasón is 20\" does not appear in the text",
        ]
    );
}

#[test]
fn outside_an_extraction_quotes_are_checked_against_a_source_given() {
    let facts: Facts = serde_json::from_value(json!({"facts": [
        {"person": "Ada", "sourceQuote": "Ada is 63", "alsoQuote": " "}
    ]}))
    .unwrap();
    // No source: only the empty quote is wrong.
    assert_eq!(
        facts.validate().unwrap_err().to_string(),
        "facts[0].alsoQuote: is empty: copy a passage of the text word for word"
    );
    let errors = Source::from(TEXT).validate(&facts).unwrap_err();
    assert_eq!(errors.len(), 2);
    assert_eq!(errors.iter().next().unwrap().path(), "facts[0].sourceQuote");
    let span = Source::from(TEXT).find("Lisbon. Ada").unwrap();
    assert_eq!(&TEXT[span.range], "Lisbon.\nAda");
}
