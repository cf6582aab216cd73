//! Quotes and citations: what is returned is in the text, or the error names what is not.

use super::*;

/// A person, with the passage of the text that names them.
#[derive(Debug, Deserialize, Instructor, garde::Validate)]
struct Evidence {
    /// The person's name.
    #[garde(length(chars, min = 1, max = 40))]
    name: String,
    /// The sentence of the text that says who the person is, copied word for word.
    // Bounded: the schema's `maxLength` keeps the grammar from letting gemma-3-270m repeat
    // itself inside the string until the token limit (it did, unbounded).
    #[garde(length(chars, max = 80))]
    quote: instructor::Quote,
}

const BAKER: &str = "Jason is 20 years old. He works as a baker in Lisbon.";

/// What the SDK guarantees of quotes, however weak the model: an accepted answer's quote is
/// in the text; a quote that is not is an error naming its path and the quote, and such an
/// answer is never returned.
#[tokio::test]
async fn quotes_returned_are_in_the_text_or_the_error_names_them() {
    let client = client_or_skip!("quotes_returned_are_in_the_text_or_the_error_names_them");
    let source = instructor::grounding::Source::from(BAKER);
    let text = BAKER;
    let result = run(
        "quotes",
        request::<Evidence>(
            &client,
            instructor::prompt!(
                "
                Who is the person in the text? Give their name, and copy the sentence of the
                text that says who they are, word for word.

                Text: {text}
                "
            ),
        )
        .source(BAKER)
        .max_retries(2),
    )
    .await;
    let quote_errors = |errors: &[AttemptError]| {
        for e in errors {
            let AttemptError::Validation(errors) = e else {
                continue;
            };
            for err in errors.iter().filter(|e| e.path() == "quote") {
                assert!(
                    err.message().ends_with("does not appear in the text")
                        || err.message().starts_with("is empty"),
                    "{err}"
                );
            }
        }
    };
    match result {
        Ok((evidence, extraction)) => {
            assert!(source.contains(&evidence.quote), "{evidence:?}");
            let errors: Vec<AttemptError> = extraction
                .attempts
                .iter()
                .filter_map(|a| a.error.clone())
                .collect();
            quote_errors(&errors);
        }
        Err(Error::RetriesExhausted {
            errors_per_attempt,
            last_reply,
            ..
        }) => {
            print_attempts("quotes", &errors_per_attempt);
            quote_errors(&errors_per_attempt);
            // The last answer was refused: if it parsed, its quote is not in the text (or
            // another rule broke), and the error says which.
            let last = errors_per_attempt.last().unwrap();
            let validated = matches!(last, AttemptError::Validation(_));
            let last = last.to_string();
            if let Some(reply) = last_reply
                .filter(|_| validated)
                .and_then(|r| serde_json::from_str::<serde_json::Value>(&r).ok())
            {
                if let Some(q) = reply["quote"].as_str() {
                    assert_eq!(
                        source.contains(q),
                        !last.contains("quote:"),
                        "{q:?} / {last}"
                    );
                }
            }
        }
        // The model ran out of tokens before it closed the answer: nothing was returned.
        Err(Error::Truncated { .. }) => eprintln!("E2E quotes: truncated, nothing to check"),
        Err(e) => panic!("unexpected error: {e:?}"),
    }
}

/// Python instructor's exact-citations example: an answer of facts, each with the quotes
/// that support it. Every fact returned has a quote, and every quote is in the text.
#[tokio::test]
async fn cited_facts_returned_are_grounded() {
    let client = client_or_skip!("cited_facts_returned_are_grounded");
    let source = instructor::grounding::Source::from(BAKER);
    let question = "What does Jason do?";
    let text = BAKER;
    let result = run(
        "cited",
        client
            .extract::<CitedAnswer>()
            .prompting(instructor::Prompting::Compact)
            .system("Answer the question with correct and exact citations.")
            .user(instructor::prompt!(
                "
                Question: {question}

                Context: {text}

                Quote the context word for word to support each fact.
                "
            ))
            .source(BAKER)
            .max_retries(2),
    )
    .await;
    match result {
        Ok((answer, _)) => {
            assert!(!answer.answer.is_empty(), "{answer:?}");
            for fact in &answer.answer {
                assert!(!fact.quotes.is_empty(), "{answer:?}");
                for q in &fact.quotes {
                    assert!(source.contains(q), "{q:?} in {answer:?}");
                }
            }
        }
        Err(Error::RetriesExhausted {
            errors_per_attempt, ..
        }) => {
            print_attempts("cited", &errors_per_attempt);
            for e in &errors_per_attempt {
                if let AttemptError::Validation(errors) = e {
                    for err in errors.iter() {
                        assert!(err.path().starts_with("answer"), "{err}");
                    }
                }
            }
        }
        Err(Error::Truncated { .. }) => eprintln!("E2E cited: truncated, nothing to check"),
        Err(e) => panic!("unexpected error: {e:?}"),
    }
}

/// Python instructor's `QuestionAnswer`, with at least one fact (else gemma-3-270m answers
/// with none, which is grounded but proves nothing).
#[derive(Debug, Deserialize, Instructor, garde::Validate)]
struct CitedAnswer {
    #[garde(skip)]
    question: String,
    #[garde(length(min = 1, max = 3))]
    answer: Vec<instructor::Cited<String>>,
}
