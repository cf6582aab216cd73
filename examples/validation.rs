//! Validation and re-asking: garde rules, a cross-field check, an async validator and,
//! optionally, a rule checked by the model itself (`llm_validator`).
//!
//! ```text
//! INSTRUCTOR_BASE_URL=http://127.0.0.1:8080/v1 INSTRUCTOR_MODEL=my-model \
//!     cargo run --example validation
//! ```
//!
//! Set `INSTRUCTOR_LLM_VALIDATOR=1` to also ask the model whether the answer follows a rule
//! written in words. When every attempt fails, the program prints what was wrong with each.

use instructor::{llm_validator, Error, Instructor};

/// A meeting found in the text.
#[derive(Debug, serde::Serialize, serde::Deserialize, Instructor, garde::Validate)]
#[instructor(validate = ends_after_start)]
#[serde(rename_all = "camelCase")]
struct Meeting {
    /// What the meeting is about.
    #[garde(length(min = 3, max = 80))]
    topic: String,
    /// Start hour, 0-23.
    #[garde(range(max = 23))]
    start_hour: u8,
    /// End hour, 0-23.
    #[garde(range(max = 23))]
    end_hour: u8,
    /// Who attends: at least one person.
    #[garde(length(min = 1))]
    attendees: Vec<String>,
}

fn ends_after_start(m: &Meeting) -> Result<(), String> {
    if m.end_hour > m.start_hour {
        Ok(())
    } else {
        Err("endHour must be after startHour".into())
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = instructor::Client::from_env()?;
    let mut request = client
        .extract::<Meeting>()
        .system("Extract the meeting from the message.")
        .user("Ana, Kwame and I will review the Q3 budget tomorrow from 2pm to 4pm.")
        .max_retries(2)
        // An async check, e.g. against a directory service: copy what it needs, then await.
        .validator(|m: &Meeting| {
            let people = m.attendees.clone();
            async move {
                match people.iter().find(|p| p.trim().is_empty()) {
                    Some(_) => Err("attendees must not contain empty names"),
                    None => Ok(()),
                }
            }
        });
    if std::env::var_os("INSTRUCTOR_LLM_VALIDATOR").is_some() {
        request = request.validator(llm_validator(
            &client,
            "the topic is a short noun phrase, not a sentence",
        ));
    }

    match request.send_with_extraction().await {
        Ok((meeting, completion)) => {
            println!("{meeting:#?}");
            println!(
                "{} attempt(s), {} input + {} output tokens",
                completion.attempts.len(),
                completion.usage.prompt_tokens,
                completion.usage.completion_tokens
            );
        }
        Err(Error::RetriesExhausted {
            attempts,
            errors_per_attempt,
            last_reply,
            usage,
        }) => {
            println!(
                "no valid answer after {attempts} attempt(s) ({} tokens):",
                usage.total_tokens
            );
            for (i, e) in errors_per_attempt.iter().enumerate() {
                println!("  attempt {}: {e}", i + 1);
            }
            println!("last reply: {}", last_reply.unwrap_or_default());
        }
        Err(e) => return Err(e.into()),
    }
    Ok(())
}
