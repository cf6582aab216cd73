//! Parallel tools: an enum whose variants each hold one type, extracted as a `Vec` of it in
//! `Mode::ParallelTools`: one tool per variant on the wire, every call read back into its
//! variant and validated, a call to a tool that does not exist or with invalid arguments
//! re-asked call by call.

use instructor::{AttemptError, Error, Extraction, Instructor, Mode, StreamExt};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::support::servers::lockstep::Lockstep;
use crate::support::servers::mock::{bodies, json_ok, refused, serving, sse_ok, MockServer};
use crate::support::sse::Sse;
use crate::support::*;

/// Look up the weather in a city.
#[derive(Debug, PartialEq, Deserialize, Instructor, garde::Validate)]
struct WeatherQuery {
    /// The city, as named in the text.
    #[garde(length(chars, min = 2))]
    city: String,
}

/// Search the web.
#[derive(Debug, PartialEq, Deserialize, Instructor, garde::Validate)]
struct SearchQuery {
    #[garde(length(min = 1))]
    query: String,
}

#[derive(Debug, PartialEq, Deserialize, Instructor, garde::Validate)]
#[instructor(tools)]
enum Action {
    /// Look up the weather in one city.
    Weather(#[garde(dive)] WeatherQuery),
    #[serde(rename = "web_search")]
    Search(#[garde(dive)] SearchQuery),
}

const TEXT: &str = "What is the weather in Lisbon and in Porto, and who won the 2024 Tour?";

fn call(id: &str, name: &str, arguments: &str) -> Value {
    json!({ "id": id, "type": "function", "function": { "name": name, "arguments": arguments } })
}

fn calls_reply(calls: Vec<Value>) -> Value {
    tool_calls_reply(Value::Array(calls), usage(10, 5))
}

/// The calls in [`TEXT`] with `reasks` re-asks, and the extraction's record.
async fn with_extraction(server: &MockServer, reasks: u32) -> (Vec<Action>, Extraction) {
    ask_tools::<Action>(server, TEXT, reasks)
        .send_with_extraction()
        .await
        .unwrap()
}

#[tokio::test]
async fn one_tool_per_variant_and_every_call_comes_back_as_its_variant() {
    let server = serving(vec![json_ok(calls_reply(vec![
        call("c1", "Weather", r#"{"city": "Lisbon"}"#),
        call(
            "c2",
            "web_search",
            r#"{"query": "2024 Tour de France winner"}"#,
        ),
        call("c3", "Weather", r#"{"city": "Porto"}"#),
    ]))])
    .await;
    let actions = ask_tools::<Action>(&server, TEXT, 0).await.unwrap();
    assert_eq!(
        actions,
        vec![
            Action::Weather(WeatherQuery {
                city: "Lisbon".into()
            }),
            Action::Search(SearchQuery {
                query: "2024 Tour de France winner".into()
            }),
            Action::Weather(WeatherQuery {
                city: "Porto".into()
            }),
        ]
    );
    let body = bodies(&server).await.remove(0);
    assert_eq!(
        body["tools"],
        json!([
            { "type": "function", "function": {
                "name": "Weather",
                "description": "Look up the weather in one city.",
                "parameters": {
                    "type": "object",
                    "properties": { "city": {
                        "type": "string", "minLength": 2, "description": "The city, as named in the text."
                    } },
                    "required": ["city"]
                }
            } },
            { "type": "function", "function": {
                "name": "web_search",
                "description": "Search the web.",
                "parameters": {
                    "type": "object",
                    "properties": { "query": { "type": "string", "minLength": 1 } },
                    "required": ["query"]
                }
            } }
        ])
    );
    assert_eq!(body["tool_choice"], "required");
    assert_eq!(body["parallel_tool_calls"], true);
    assert!(body.get("response_format").is_none());
}

#[tokio::test]
async fn the_mode_by_name_is_the_same_request() {
    let reply = calls_reply(vec![call("c1", "Weather", r#"{"city": "Lisbon"}"#)]);
    let server = serving(vec![json_ok(reply)]).await;
    let actions: Vec<Action> = client(&server)
        .extract::<Vec<Action>>()
        .mode("parallel_tools".parse::<Mode>().unwrap())
        .user(TEXT)
        .await
        .unwrap();
    assert_eq!(actions.len(), 1);
    assert_eq!(bodies(&server).await[0]["parallel_tool_calls"], true);
}

#[tokio::test]
async fn a_call_to_a_tool_that_does_not_exist_is_reasked_on_that_call() {
    let server = serving(vec![
        json_ok(calls_reply(vec![
            call("c1", "Weather", r#"{"city": "Lisbon"}"#),
            call("c2", "send_mail", r#"{"to": "x"}"#),
        ])),
        json_ok(calls_reply(vec![call(
            "c3",
            "Weather",
            r#"{"city": "Lisbon"}"#,
        )])),
    ])
    .await;
    let (actions, extraction) = with_extraction(&server, 1).await;
    assert_eq!(actions.len(), 1);
    assert_eq!(
        extraction.attempts[0].error,
        Some(AttemptError::UnknownTool {
            index: 1,
            name: "send_mail".into(),
            tools: "`Weather`, `web_search`".into(),
        })
    );
    let messages = bodies(&server).await[1]["messages"].clone();
    // The user's message, the calls as they were, then one answer per call.
    assert_eq!(messages[1]["role"], "assistant");
    assert_eq!(
        messages[1]["tool_calls"][1]["function"]["name"],
        "send_mail"
    );
    assert_eq!(
        messages[2],
        json!({ "role": "tool", "tool_call_id": "c1", "content": "No error found in this call." })
    );
    assert_eq!(messages[3]["tool_call_id"], "c2");
    assert_eq!(
        messages[3]["content"],
        "This call has an error:\n- There is no tool `send_mail`: the tools are `Weather`, \
         `web_search`.\n\nMake every call again, all at once: fix every error and keep the rest \
         as it was."
    );
}

#[tokio::test]
async fn each_call_is_read_and_validated_and_its_errors_go_back_to_it() {
    let server = serving(vec![
        // Two calls that do not parse: serde stops at the first, the SDK finds both.
        json_ok(calls_reply(vec![
            call("c1", "web_search", r#"{"query": "tour"}"#),
            call("c2", "Weather", r#"{"city": 5}"#),
            call("c3", "Weather", r#"{}"#),
        ])),
        // Then one that parses and breaks a rule.
        json_ok(calls_reply(vec![
            call("c4", "web_search", r#"{"query": "tour"}"#),
            call("c5", "Weather", r#"{"city": "L"}"#),
        ])),
        json_ok(calls_reply(vec![
            call("c6", "web_search", r#"{"query": "tour"}"#),
            call("c7", "Weather", r#"{"city": "Lisbon"}"#),
        ])),
    ])
    .await;
    let (actions, extraction) = with_extraction(&server, 2).await;
    assert_eq!(actions.len(), 2);
    let parse = extraction.attempts[0].error.as_ref().unwrap();
    let paths: Vec<&str> = parse.errors().unwrap().iter().map(|e| e.path()).collect();
    assert_eq!(paths, ["[1].Weather.city", "[2].Weather"]);
    let sent = bodies(&server).await;
    let first = &sent[1]["messages"];
    assert_eq!(first[2]["content"], "No error found in this call.");
    assert_eq!(first[3]["tool_call_id"], "c2");
    assert_eq!(
        first[3]["content"],
        "This call has an error:\n- `city` is 5: invalid type: integer `5`, expected a string. \
         A valid value: string, at least 2 characters."
    );
    assert_eq!(first[4]["tool_call_id"], "c3");
    let last = first[4]["content"].as_str().unwrap();
    assert!(
        last.starts_with(
            "This call has an error:\n- `city` is missing. A valid value: string, at least 2 \
             characters."
        ),
        "{last}"
    );
    assert!(last.ends_with(
        "Make every call again, all at once: fix every error and keep the rest as it was."
    ));
    let second = &sent[2]["messages"];
    assert_eq!(second[6]["tool_call_id"], "c4");
    assert_eq!(second[6]["content"], "No error found in this call.");
    assert_eq!(second[7]["tool_call_id"], "c5");
    assert!(
        second[7]["content"]
            .as_str()
            .unwrap()
            .starts_with("This call has an error:\n- `city` is \"L\": "),
        "{}",
        second[7]["content"]
    );
}

#[tokio::test]
async fn an_answer_without_calls_is_reasked() {
    let server = serving(vec![
        json_ok(content_reply("I cannot browse.", usage(3, 3))),
        json_ok(calls_reply(vec![call(
            "c1",
            "Weather",
            r#"{"city": "Porto"}"#,
        )])),
    ])
    .await;
    let actions = ask_tools::<Action>(&server, TEXT, 1).await.unwrap();
    assert_eq!(actions.len(), 1);
    let messages = bodies(&server).await[1]["messages"].clone();
    assert_eq!(
        messages[1],
        json!({ "role": "assistant", "content": "I cannot browse." })
    );
    assert_eq!(
        messages[2]["content"],
        "You did not call any tool. Call the tools now (`Weather`, `web_search`), once for \
         each thing the text asks for, all at once."
    );
}

#[tokio::test]
async fn a_type_that_is_not_a_list_of_tools_fails_before_any_request() {
    let server = serving(vec![]).await;
    let parallel = ask::<Vec<String>>(&server, TEXT, 0).mode(Mode::ParallelTools);
    let why = refused(parallel, &server).await;
    assert!(why.contains("`#[instructor(tools)]`"), "{why}");
    assert!(why.contains("not an enum"), "{why}");
}

#[tokio::test]
async fn a_stream_yields_each_call_once_the_next_begins() {
    let server = Lockstep::start().await;
    let mut calls = ask::<Action>(&server, TEXT, 0)
        .mode(Mode::ParallelTools)
        .stream_iter();
    let first = Sse::new()
        .call(0, Some("Weather"), "")
        .call(0, None, r#"{"city": "Lis"#)
        .call(0, None, r#"bon"}"#);
    assert!(server.send(first));
    // The first call is whole, but another may follow: it is yielded when the next begins.
    assert!(server.send(Sse::new().call(1, Some("web_search"), r#"{"query""#)));
    assert_eq!(
        calls.next().await.unwrap().unwrap(),
        Action::Weather(WeatherQuery {
            city: "Lisbon".into()
        })
    );
    let rest = Sse::new()
        .call(1, None, r#": "tour"}"#)
        .call(2, Some("send_mail"), r#"{"to": "x"}"#)
        .call(3, Some("Weather"), r#"{"city": "P"}"#)
        .finish("tool_calls")
        .done();
    assert!(server.send(rest));
    server.finish();
    assert_eq!(
        calls.next().await.unwrap().unwrap(),
        Action::Search(SearchQuery {
            query: "tour".into()
        })
    );
    // A call to a tool that does not exist, and one that breaks a rule: each its own error.
    let Err(Error::InvalidItem { index: 2, error }) = calls.next().await.unwrap() else {
        panic!("the unknown tool is the third element's error")
    };
    assert!(
        error.to_string().contains("unknown variant `send_mail`"),
        "{error}"
    );
    let Err(Error::InvalidItem { index: 3, error }) = calls.next().await.unwrap() else {
        panic!("the short city is the fourth element's error")
    };
    assert_eq!(
        error.errors().unwrap().iter().next().unwrap().path(),
        "Weather.city"
    );
    assert!(calls.next().await.is_none());
}

#[tokio::test]
async fn a_streamed_request_is_the_parallel_tools_request() {
    let body = Sse::new()
        .call(0, Some("Weather"), r#"{"city": "Porto"}"#)
        .finish("tool_calls")
        .done();
    let server = serving(vec![sse_ok(body.body())]).await;
    let calls: Vec<Action> = ask::<Action>(&server, TEXT, 0)
        .mode(Mode::ParallelTools)
        .stream_iter()
        .map(Result::unwrap)
        .collect()
        .await;
    assert_eq!(
        calls,
        [Action::Weather(WeatherQuery {
            city: "Porto".into()
        })]
    );
    let sent = bodies(&server).await.remove(0);
    assert_eq!(sent["stream"], true);
    assert_eq!(sent["parallel_tool_calls"], true);
    assert_eq!(sent["tools"].as_array().unwrap().len(), 2);
}
