//! Bare types handed back unwrapped in every schema mode, a wrapped list streamed,
//! `Maybe`, and a worked example shown to the model.

use super::*;

/// How a review feels.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Instructor)]
#[serde(rename_all = "lowercase")]
enum Sentiment {
    Positive,
    Negative,
    Neutral,
}

/// The JSON the model wrote in the accepted attempt.
fn answered(extraction: &Extraction) -> Value {
    let content = extraction.response().choices[0].message.content.as_deref();
    serde_json::from_str(content.expect("an answer in content")).expect("the answer is JSON")
}

/// Extracts a `T` in `mode` and checks what the server's grammar guarantees and what the SDK
/// must do: the first answer is the wrapper `{"value": ..}` with a `T` inside, and the value
/// handed back is the one inside it. What the 270M model picks is printed, not judged.
async fn assert_unwrapped<T>(client: &Client, mode: Mode, user: &str) -> T
where
    T: Instructor + DeserializeOwned + Serialize + Send + std::fmt::Debug + 'static,
    T::Context: Default,
{
    let label = format!("{} in {mode}", T::schema_name());
    let request = client.extract::<T>().mode(mode).system(SYSTEM).user(user);
    let (value, extraction) = run(&label, request)
        .await
        .unwrap_or_else(|e| panic!("{label}: the grammar admits only a valid answer: {e}"));
    assert_eq!(extraction.attempts.len(), 1, "{label}");
    let raw = answered(&extraction);
    let keys: Vec<&String> = raw.as_object().expect("an object").keys().collect();
    assert_eq!(
        keys,
        ["value"],
        "{label}: the wrapper, and nothing else: {raw}"
    );
    assert_eq!(
        raw["value"],
        serde_json::to_value(&value).unwrap(),
        "{label}: the value handed back is the one inside the wrapper"
    );
    value
}

/// A unit enum, a string, an integer and an `Option` were refused in tools and strict mode
/// before the wrapper; now every mode asks for `{"value": ..}`, and the three modes whose
/// schema llama.cpp reads hold the model to it.
#[tokio::test]
async fn bare_types_come_back_unwrapped_in_every_schema_mode() {
    let client = client_or_skip!("bare_types_come_back_unwrapped_in_every_schema_mode");
    let review = r#"Classify the sentiment of this review: "The worst meal I ever had.""#;
    for mode in [
        Mode::JsonSchema,
        Mode::JsonSchemaStrict,
        Mode::JsonObjectSchema,
    ] {
        assert_unwrapped::<Sentiment>(&client, mode, review).await;
        assert_unwrapped::<String>(
            &client,
            mode,
            "What is the name of the person in: \"Jason is 20\"?",
        )
        .await;
        assert_unwrapped::<u8>(&client, mode, "How old is Jason in: \"Jason is 20\"?").await;
        assert_unwrapped::<Option<UserDetails>>(&client, mode, USER).await;
    }
}

/// A list in the wrapper, streamed: the partial values are lists (never the wrapper), and
/// the last one is the value. The 270M model tends to repeat list items until the token
/// limit; then the SDK stops the runaway list and re-asks, which ends in a clear error here.
#[tokio::test]
async fn a_wrapped_list_streams_as_a_list() {
    let client = client_or_skip!("a_wrapped_list_streams_as_a_list");
    let mut partials = request::<Vec<String>>(
        &client,
        r#"List the colours named in: "red sky, green grass, blue sea""#,
    )
    .temperature(0.0)
    .seed(SEED)
    .max_tokens(128)
    .stream_partial();
    let mut snapshots: Vec<Vec<String>> = Vec::new();
    let mut failed = None;
    while let Some(p) = instructor::StreamExt::next(&mut partials).await {
        match p {
            Ok(p) => snapshots.push(p),
            Err(e) => failed = Some(e),
        }
    }
    eprintln!(
        "E2E wrapped list stream: {} snapshots, last {:?}",
        snapshots.len(),
        snapshots.last()
    );
    match (partials.into_final().await, failed) {
        (Ok(colours), None) => {
            eprintln!("E2E wrapped list stream: {colours:?}");
            assert_eq!(
                snapshots.last(),
                Some(&colours),
                "the last partial is the value"
            );
        }
        (Err(e), Some(_)) => {
            eprintln!("E2E wrapped list stream: NOT MANAGED by this model: {e}");
            match &e {
                Error::Truncated { .. } => {}
                Error::RetriesExhausted {
                    errors_per_attempt, ..
                } => assert!(
                    errors_per_attempt.iter().all(
                        |a| matches!(a, AttemptError::Repetition { path, .. } if path.is_empty())
                    ),
                    "only a runaway list, named in the caller's terms (the root): {e:?}"
                ),
                other => panic!("unexpected error: {other:?}"),
            }
        }
        (outcome, error) => panic!("the stream and its outcome disagree: {outcome:?} / {error:?}"),
    }
}

/// `Maybe<T>` against the real server: the grammar holds the model to the three fields, so
/// the first answer parses, whatever the model decides; its decisions are printed.
#[tokio::test]
async fn maybe_answers_whether_the_text_holds_a_person() {
    let client = client_or_skip!("maybe_answers_whether_the_text_holds_a_person");
    for (label, text) in [
        (
            "a person",
            r#"Is there a person in this text? "Jason is 20""#,
        ),
        (
            "nobody",
            r#"Is there a person in this text? "The meeting moved to Tuesday.""#,
        ),
    ] {
        let (maybe, extraction) = run(
            &format!("Maybe<UserDetails>, {label}"),
            request::<Maybe<UserDetails>>(&client, text),
        )
        .await
        .expect("the grammar admits only a valid Maybe");
        assert_eq!(extraction.attempts.len(), 1);
        let raw = answered(&extraction);
        let keys: Vec<&String> = raw.as_object().expect("an object").keys().collect();
        assert_eq!(keys, ["result", "error", "message"], "{raw}");
        assert!(raw["error"].is_boolean(), "{raw}");
        assert_eq!(maybe.error, raw["error"].as_bool().unwrap());
        assert_eq!(maybe.is_found(), !raw["result"].is_null());
        eprintln!("E2E Maybe, {label}: {:?}", maybe.into_result());
    }
}

/// How to reach a person (the eval's `Contact`, with its worked example).
#[derive(Debug, Serialize, Deserialize, Instructor, garde::Validate)]
#[instructor(example(
    text = "Questions? Ask Priya Nair: priya.nair@example.net.",
    answer = r#"{"name": "Priya Nair", "email": "priya.nair@example.net", "phone": null}"#,
))]
struct Contact {
    /// The person's full name.
    #[garde(length(min = 1))]
    name: String,
    /// Their email address.
    #[garde(email)]
    email: String,
    /// Their phone number exactly as written, if the text gives one.
    #[garde(skip)]
    phone: Option<String>,
}

/// With its worked example in the conversation the model answers in the example's shape:
/// without it (`Prompting::Plain`) this model writes `"name": "1000000..."` until the token
/// limit on this text (docs/evals.md, `contact_email_only`).
#[tokio::test]
async fn a_worked_example_shows_the_model_the_answer() {
    let client = client_or_skip!("a_worked_example_shows_the_model_the_answer");
    let (contact, _) = run(
        "examples",
        client
            .extract::<Contact>()
            .system("You are a world class extractor. Extract the requested data from the user's message.")
            .user("You can reach Sarah Kim at sarah.kim@example.com.")
            .prompting(instructor::Prompting::Examples)
            .max_retries(2),
    )
    .await
    .unwrap();
    assert_eq!(contact.name, "Sarah Kim");
    assert_eq!(contact.email, "sarah.kim@example.com");
}
