//! Worked examples (`#[instructor(example(text = .., answer = ..))]`): the turns they add to
//! the request in each mode (after the system message, before the caller's messages), which
//! strategies send them, and the clear error an example that is not a value of its type
//! gives before anything is sent.

use instructor::{Instructor, Mode, Prompting, StreamExt};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::support::servers::mock::{bodies, count, json_ok, serving, sse_ok};
use crate::support::sse::Sse;
use crate::support::*;

/// How the writer feels (a bare enum: asked for as `{"value": ..}`).
#[derive(Debug, PartialEq, Deserialize, Instructor)]
#[serde(rename_all = "lowercase")]
#[instructor(example(text = "Great kettle, I would buy it again.", answer = r#""positive""#))]
enum Mood {
    Positive,
    Negative,
}

/// An example that is not a value of the type.
#[derive(Debug, Deserialize, Instructor, garde::Validate)]
#[instructor(example(text = "Ada is 36", answer = r#"{"name": "Ada"}"#))]
struct MissingAge {
    #[garde(skip)]
    name: String,
    #[garde(skip)]
    age: u8,
}

/// An example that breaks the type's rule.
#[derive(Debug, Deserialize, Instructor, garde::Validate)]
#[instructor(example(text = "Ada is 36", answer = r#"{"name": "", "age": 36}"#))]
struct EmptyName {
    #[garde(length(min = 1))]
    name: String,
    #[garde(skip)]
    age: u8,
}

/// An example that is not JSON.
#[derive(Debug, Deserialize, Instructor)]
#[instructor(example(text = "Ada is 36", answer = "{name: Ada}"))]
struct NotJson {
    name: String,
}

const TEXT: &str = "Jason is 20";
const EXAMPLE_TEXT: &str = "Our neighbour Carlos Mendes celebrated his 41st birthday.";

/// The one request a server answered with `reply`, after extracting a `T` in `mode` with
/// `prompting`, and the value extracted.
async fn sent_for<T>(mode: Mode, prompting: Prompting, reply: Value) -> (T, Value)
where
    T: instructor::Extractable,
{
    let server = serving(vec![json_ok(reply)]).await;
    let value = client(&server)
        .extract::<T>()
        .system("Extract.")
        .user(TEXT)
        .mode(mode)
        .prompting(prompting)
        .await
        .unwrap();
    let mut b = bodies(&server).await;
    assert_eq!(b.len(), 1);
    (value, b.remove(0))
}

fn roles(body: &Value) -> Vec<&str> {
    body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn the_example_is_a_turn_between_the_system_message_and_the_callers_text() {
    for prompting in [
        Prompting::Examples,
        Prompting::JsonSchema,
        Prompting::Compact,
    ] {
        let (value, body) = sent_for::<Neighbour>(
            Mode::JsonSchema,
            prompting,
            content_reply(r#"{"name": "Jason", "age": 20}"#, usage(1, 1)),
        )
        .await;
        assert_eq!(value.name, "Jason");
        let m = &body["messages"];
        assert_eq!(
            roles(&body),
            ["system", "user", "assistant", "user"],
            "{prompting}"
        );
        assert_eq!(m[1]["content"], EXAMPLE_TEXT);
        // As the attribute writes it.
        assert_eq!(m[2]["content"], r#"{"name": "Carlos Mendes", "age": 41}"#);
        assert_eq!(m[3]["content"], TEXT);
        let system = m[0]["content"].as_str().unwrap();
        assert_eq!(
            system.contains("name"),
            prompting != Prompting::Examples,
            "{prompting}: the schema's text only where the strategy writes it: {system}"
        );
    }
}

#[tokio::test]
async fn plain_sends_no_example() {
    let (_, body) = sent_for::<Neighbour>(
        Mode::JsonSchema,
        Prompting::Plain,
        content_reply(r#"{"name": "Jason", "age": 20}"#, usage(1, 1)),
    )
    .await;
    assert_eq!(roles(&body), ["system", "user"]);
}

#[tokio::test]
async fn each_mode_gets_the_answer_in_its_own_form() {
    // Tools: a call of the tool, and the tool's result.
    let (_, body) = sent_for::<Neighbour>(
        Mode::Tools,
        Prompting::Examples,
        tool_reply("Neighbour", r#"{"name": "Jason", "age": 20}"#, usage(1, 1)),
    )
    .await;
    let m = &body["messages"];
    assert_eq!(
        roles(&body),
        ["system", "user", "assistant", "tool", "user"]
    );
    let call = &m[2]["tool_calls"][0];
    assert_eq!(call["function"]["name"], "Neighbour");
    let args: Value =
        serde_json::from_str(call["function"]["arguments"].as_str().unwrap()).unwrap();
    assert_eq!(args, json!({"name": "Carlos Mendes", "age": 41}));
    assert_eq!(m[3]["tool_call_id"], call["id"]);

    // MdJson: in a fence, as the mode asks.
    let (_, body) = sent_for::<Neighbour>(
        Mode::MdJson,
        Prompting::Examples,
        content_reply(
            "```json\n{\"name\": \"Jason\", \"age\": 20}\n```",
            usage(1, 1),
        ),
    )
    .await;
    assert_eq!(
        body["messages"][2]["content"],
        "```json\n{\"name\": \"Carlos Mendes\", \"age\": 41}\n```"
    );

    // Strict: every property, the missing optional one as null, in the schema's order.
    let (_, body) = sent_for::<Neighbour>(
        Mode::JsonSchemaStrict,
        Prompting::Examples,
        content_reply(r#"{"name": "Jason", "age": 20, "city": null}"#, usage(1, 1)),
    )
    .await;
    assert_eq!(
        body["messages"][2]["content"],
        r#"{"name":"Carlos Mendes","age":41,"city":null}"#
    );

    // A bare type: wrapped, as its answer is asked for.
    let (mood, body) = sent_for::<Mood>(
        Mode::JsonSchema,
        Prompting::Examples,
        content_reply(r#"{"value": "negative"}"#, usage(1, 1)),
    )
    .await;
    assert_eq!(mood, Mood::Negative);
    assert_eq!(body["messages"][2]["content"], r#"{"value":"positive"}"#);
}

#[tokio::test]
async fn a_stream_sends_the_examples_too() {
    let sse = Sse::new()
        .deltas(r#"{"name": "Jason", "age": 20}"#, 4)
        .finish("stop")
        .done();
    let server = serving(vec![sse_ok(sse.body())]).await;
    let mut stream = client(&server)
        .extract::<Neighbour>()
        .user(TEXT)
        .prompting(Prompting::Examples)
        .stream_partial();
    while let Some(p) = stream.next().await {
        p.unwrap();
    }
    let body = bodies(&server).await.remove(0);
    assert_eq!(roles(&body), ["user", "assistant", "user"]);
    assert_eq!(body["messages"][0]["content"], EXAMPLE_TEXT);
}

#[tokio::test]
async fn an_example_that_is_not_a_value_of_its_type_is_refused_before_anything_is_sent() {
    let server = serving(vec![]).await;
    let c = client(&server);
    async fn refused<T: instructor::Extractable + std::fmt::Debug>(
        c: &instructor::Client,
        p: Prompting,
    ) -> instructor::Error {
        c.extract::<T>().user(TEXT).prompting(p).await.unwrap_err()
    }
    let cases = [
        (
            refused::<MissingAge>(&c, Prompting::Examples).await,
            "example 1 of `MissingAge`: its answer is not a `MissingAge`: missing field `age`",
        ),
        (
            refused::<EmptyName>(&c, Prompting::Examples).await,
            "example 1 of `EmptyName`: its answer breaks the type's rules: name:",
        ),
        (
            refused::<NotJson>(&c, Prompting::JsonSchema).await,
            "example 1 of `NotJson`: its answer is not JSON",
        ),
    ];
    for (err, starts) in cases {
        assert_eq!(kind(&err), "Config", "{err}");
        let text = err.to_string();
        assert!(text.contains(starts), "{text}");
        assert!(
            text.contains("#[instructor(example(answer = ..))]"),
            "{text}"
        );
    }
    assert_eq!(count(&server).await, 0);
    // The same checks, for a test of the user's.
    assert!(instructor::testing::check_examples::<MissingAge>().is_err());
    assert!(instructor::testing::check_examples::<EmptyName>().is_err());
    assert!(instructor::testing::check_examples::<Neighbour>().is_ok());
    // Plain sends no example, so nothing is checked.
    let server = serving(vec![json_ok(content_reply(
        r#"{"name": "Jason", "age": 20}"#,
        usage(1, 1),
    ))])
    .await;
    let value = ask::<MissingAge>(&server, TEXT, 0).await.unwrap();
    assert_eq!(value.age, 20);
}
