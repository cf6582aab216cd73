//! Answers with exact citations: Python instructor's "validated citations" example. Every
//! fact of the answer carries passages of the context that support it, and every passage is
//! checked to be in the context; a quote the model made up is sent back to it, by its path.
//!
//! ```text
//! INSTRUCTOR_BASE_URL=http://127.0.0.1:8080/v1 INSTRUCTOR_MODEL=my-model \
//!     cargo run --example citations
//! ```
//!
//! `scripts/local-llm` starts such a server on this machine (docs/local-llm.md).

use instructor::grounding::Source;
use instructor::{prompt, Cited, Error, Instructor, Quote};

/// The answer to a question, each fact with its citations.
#[derive(Debug, serde::Deserialize, Instructor)]
struct QuestionAnswer {
    /// The question asked.
    question: String,
    /// The facts that answer it.
    answer: Vec<Cited<String>>,
}

/// The same, with a type of your own: a fact, where it is said, and who says it.
#[derive(Debug, serde::Deserialize, Instructor, garde::Validate)]
#[instructor(validate = speaker_is_quoted)]
struct Claim {
    /// What is claimed, in a sentence.
    #[garde(length(min = 1))]
    claim: String,
    /// Who makes the claim, as the context names them.
    #[garde(length(min = 1))]
    speaker: String,
    /// Passages of the context that make the claim, copied word for word.
    #[garde(length(min = 1))]
    substring_quote: Vec<Quote>,
}

/// A check across fields: one of the quotes, or the context around them, names the speaker.
fn speaker_is_quoted(c: &Claim, source: Option<&Source>) -> Result<(), String> {
    let named = |text: &str| text.contains(c.speaker.as_str());
    if c.substring_quote.iter().any(|q| named(q)) {
        return Ok(());
    }
    match source {
        Some(source) if !source.contains(&c.speaker) => Err(format!(
            "the context does not name `{}`: write the speaker as the context does",
            c.speaker
        )),
        _ => Ok(()),
    }
}

#[derive(Debug, serde::Deserialize, Instructor)]
struct Claims {
    claims: Vec<Claim>,
}

const CONTEXT: &str = "\
My name is Jason Liu, and I am a founder of VectorEyes. I started this company in 2021. \
Before that I worked at Stitch Fix as a machine learning engineer, where I built \
recommendation systems. Ana Costa, our CTO, says the team grew to twelve people in 2023.";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = instructor::Client::from_env()?;
    let question = "What did the author do during college?";

    // The holes are checked when this compiles: a misspelt `{questoin}` is an error.
    let user = prompt!(
        "
        Answer the question using the context.

        Question: {question}

        Context:
        {CONTEXT}

        Cite your sources: quote the context word for word for every fact.
        "
    );
    let result = client
        .extract::<QuestionAnswer>()
        .system(
            "You are a world class algorithm to answer questions with correct and exact citations.",
        )
        .user(user)
        // The quotes are checked against the context alone, not the instructions around it.
        .source(CONTEXT)
        .max_retries(2)
        .send()
        .await;
    match result {
        Ok(qa) => {
            println!("{}", qa.question);
            let source = Source::from(CONTEXT);
            for fact in &qa.answer {
                println!("- {}", fact.fact);
                for quote in &fact.quotes {
                    // Every quote is there; `find` says where, as the context writes it.
                    let span = source.find(quote).expect("checked by the extraction");
                    println!("    \"{}\" (bytes {:?})", source.excerpt(&span), span.range);
                }
            }
        }
        Err(e) => report(&e),
    }

    let claims = client
        .extract::<Claims>()
        .user(prompt!(
            "List the claims in this text, with who makes each: {CONTEXT}"
        ))
        .source(CONTEXT)
        .max_retries(2)
        .send()
        .await;
    match claims {
        Ok(claims) => println!("{claims:#?}"),
        Err(e) => report(&e),
    }
    Ok(())
}

/// What was wrong with each attempt, when none was valid.
fn report(e: &Error) {
    match e {
        Error::RetriesExhausted {
            errors_per_attempt, ..
        } => {
            eprintln!("no valid answer:");
            for (i, err) in errors_per_attempt.iter().enumerate() {
                eprintln!("  attempt {}: {err}", i + 1);
            }
        }
        other => eprintln!("error: {other}"),
    }
}
