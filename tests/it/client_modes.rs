//! Each mode sends exactly the documented body and reads the answer from the right place.

use instructor::{Error, Extract, Instructor, Mode};
use serde_json::{json, Value};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::servers::mock::{bodies, refused};
use crate::support::*;

const SYSTEM: &str = "You are a world class extractor";
const USER: &str = r#"Extract the following entities: "Jason is 20""#;

async fn serve(reply: Value) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .and(header("content-type", "application/json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(reply))
        .expect(1)
        .mount(&server)
        .await;
    server
}

/// `request` on a server answering `reply` gives Jason, and the one request it sends has
/// exactly `body`.
async fn assert_sends(
    reply: Value,
    request: impl FnOnce(Extract<UserDetails>) -> Extract<UserDetails>,
    body: Value,
) {
    let server = serve(reply).await;
    let user = request(client(&server).extract::<UserDetails>())
        .await
        .unwrap();
    assert_eq!(user, jason());
    assert_eq!(bodies(&server).await, vec![body]);
}

/// The schema as requests carry it: lean, without `$schema` and titles (the tool or response
/// format names the type); `tools` leaves out the description, which the tool carries.
fn sent_schema() -> Value {
    let schema = json!({
        "type": "object",
        "properties": {
            "name": { "type": "string", "minLength": 1 },
            "age": { "type": "integer", "minimum": 0, "maximum": 120 },
            "nickname": { "type": ["string", "null"] }
        },
        "required": ["name", "age"],
        "description": "A person mentioned in the text."
    });
    assert_eq!(
        instructor::mode::request_schema(UserDetails::json_schema(), Mode::JsonSchema),
        schema
    );
    schema
}

fn tool_parameters() -> Value {
    let mut s = sent_schema();
    s.as_object_mut().unwrap().remove("description");
    s
}

#[tokio::test]
async fn json_schema_mode_body() {
    assert_sends(
        content_reply(JASON, usage(10, 5)),
        |r| {
            r.mode(Mode::JsonSchema)
                .system(SYSTEM)
                .user(USER)
                .temperature(0.0)
                .max_tokens(256)
                .seed(7)
        },
        json!({
            "model": "test-model",
            "messages": [
                { "role": "system", "content": SYSTEM },
                { "role": "user", "content": USER }
            ],
            "temperature": 0.0,
            "max_tokens": 256,
            "seed": 7,
            "response_format": {
                "type": "json_schema",
                "json_schema": { "name": "UserDetails", "schema": sent_schema() }
            }
        }),
    )
    .await;
}

#[tokio::test]
async fn json_object_schema_mode_body_is_anyscales_form() {
    assert_sends(
        content_reply(JASON, usage(10, 5)),
        |r| r.mode(Mode::JsonObjectSchema).user(USER),
        json!({
            "model": "test-model",
            "messages": [{ "role": "user", "content": USER }],
            "max_tokens": 4096,
            "response_format": { "type": "json_object", "schema": sent_schema() }
        }),
    )
    .await;
}

#[tokio::test]
async fn json_schema_strict_mode_body() {
    assert_sends(
        content_reply(
            r#"{"name": "Jason", "age": 20, "nickname": null}"#,
            usage(10, 5),
        ),
        |r| {
            r.mode(Mode::JsonSchemaStrict)
                .model("gpt-4o-mini")
                .user(USER)
        },
        json!({
            "model": "gpt-4o-mini",
            "messages": [{ "role": "user", "content": USER }],
            "max_tokens": 4096,
            "response_format": {
                "type": "json_schema",
                "json_schema": {
                    "name": "UserDetails",
                    "strict": true,
                    "schema": {
                        "type": "object",
                        "properties": strict_user_properties(),
                        "required": ["name", "age", "nickname"],
                        "description": "A person mentioned in the text.",
                        "additionalProperties": false
                    }
                }
            }
        }),
    )
    .await;
}

#[tokio::test]
async fn strict_mode_refusal_is_an_error() {
    let server = serve(json!({
        "id": "x",
        "model": "gpt-4o-mini",
        "choices": [{
            "index": 0,
            "message": { "role": "assistant", "content": null, "refusal": "I can't help with that." },
            "finish_reason": "stop"
        }],
        "usage": usage(9, 3)
    }))
    .await;
    let err = ask::<UserDetails>(&server, USER, 3)
        .mode(Mode::JsonSchemaStrict)
        .await
        .unwrap_err();
    match err {
        Error::Refusal { refusal, usage } => {
            assert_eq!(refusal, "I can't help with that.");
            assert_eq!(usage.total_tokens, 12);
        }
        other => panic!("expected Refusal, got {other:?}"),
    }
}

/// A field of any JSON: `{}`, which OpenAI's strict mode refuses (no type).
#[derive(Debug, serde::Deserialize, Instructor)]
struct Event {
    kind: String,
    payload: Value,
}

#[tokio::test]
async fn strict_mode_refuses_a_field_of_any_json_before_any_request() {
    let server = MockServer::start().await;
    let strict = ask::<Event>(&server, USER, 0).mode(Mode::JsonSchemaStrict);
    let why = refused(strict, &server).await;
    assert!(why.contains("the field `payload` of `Event`"), "{why}");
    assert!(why.contains("Mode::JsonSchema or Mode::Tools"), "{why}");
    // The same type in Mode::JsonSchema is sent as it is.
    let server = serve(content_reply(
        r#"{"kind": "k", "payload": [1, {"a": null}]}"#,
        usage(1, 1),
    ))
    .await;
    let event = ask::<Event>(&server, USER, 0)
        .mode(Mode::JsonSchema)
        .await
        .unwrap();
    assert_eq!(event.payload, json!([1, {"a": null}]));
}

#[tokio::test]
async fn tools_mode_body_and_answer() {
    let server = serve(tool_reply("UserDetails", JASON, usage(20, 8))).await;
    let (user, completion) = client(&server)
        .extract::<UserDetails>()
        .mode(Mode::Tools)
        .system(SYSTEM)
        .user(USER)
        .send_with_extraction()
        .await
        .unwrap();
    assert_eq!(user, jason());
    assert_eq!(completion.usage.total_tokens, 28);
    assert_eq!(completion.attempts.len(), 1);
    assert_eq!(
        completion.response().choices[0].finish_reason.as_deref(),
        Some("tool_calls")
    );
    assert!(completion.raw().contains("call_abc"));
    assert_eq!(
        bodies(&server).await,
        vec![json!({
            "model": "test-model",
            "messages": [
                { "role": "system", "content": SYSTEM },
                { "role": "user", "content": USER }
            ],
            "max_tokens": 4096,
            "tools": [{
                "type": "function",
                "function": {
                    "name": "UserDetails",
                    "description": "A person mentioned in the text.",
                    "parameters": tool_parameters()
                }
            }],
            "tool_choice": { "type": "function", "function": { "name": "UserDetails" } }
        })]
    );
}

fn schema_prompt() -> String {
    format!(
        "Answer with a JSON object that matches this JSON Schema:\n\n{}\n\nReturn the data itself as a JSON object, not the schema.",
        sent_schema()
    )
}

#[tokio::test]
async fn json_mode_puts_the_schema_in_the_system_message() {
    assert_sends(
        content_reply(JASON, usage(1, 1)),
        |r| r.mode(Mode::Json).system(SYSTEM).user(USER),
        json!({
            "model": "test-model",
            "messages": [
                { "role": "system", "content": format!("{SYSTEM}\n\n{}", schema_prompt()) },
                { "role": "user", "content": USER }
            ],
            "max_tokens": 4096,
            "response_format": { "type": "json_object" }
        }),
    )
    .await;
}

#[tokio::test]
async fn md_json_mode_reads_a_fenced_block() {
    let reply = "Sure! Here it is:\n```json\n{\"name\": \"Jason\", \"age\": 20}\n```\nAnything else? {\"not\": \"this\"}";
    assert_sends(
        content_reply(reply, usage(1, 1)),
        |r| r.mode(Mode::MdJson).user(USER),
        json!({
            "model": "test-model",
            "messages": [
                {
                    "role": "system",
                    "content": format!("{} Put it in a ```json code block.", schema_prompt())
                },
                { "role": "user", "content": USER }
            ],
            "max_tokens": 4096
        }),
    )
    .await;
}

#[tokio::test]
async fn md_json_mode_reads_the_first_balanced_object() {
    let reply = r#"The user is {"name": "Jason {the} \"great\"", "age": 20} as requested."#;
    let server = serve(content_reply(reply, usage(1, 1))).await;
    let user = ask::<UserDetails>(&server, USER, 0)
        .mode(Mode::MdJson)
        .await
        .unwrap();
    assert_eq!(user.name, "Jason {the} \"great\"");
}

#[tokio::test]
async fn client_default_mode_and_model_apply() {
    let server = serve(content_reply(JASON, usage(1, 1))).await;
    let client = builder(&server)
        .default_model("from-client")
        .default_mode(Mode::Json)
        .build()
        .unwrap();
    client.extract::<UserDetails>().user(USER).await.unwrap();
    let body = &bodies(&server).await[0];
    assert_eq!(body["model"], "from-client");
    assert_eq!(body["response_format"], json!({ "type": "json_object" }));
}

#[tokio::test]
async fn non_object_roots_work_in_json_schema_mode() {
    let server = serve(content_reply(r#"["a", "b"]"#, usage(1, 1))).await;
    let v: Vec<String> = ask::<Vec<String>>(&server, "list", 0).await.unwrap();
    assert_eq!(v, vec!["a", "b"]);
}

#[tokio::test]
async fn missing_model_is_a_config_error() {
    let server = MockServer::start().await;
    let client = instructor::Client::openai_compatible(server.base(), KEY).unwrap();
    let why = refused(client.extract::<UserDetails>().user(USER), &server).await;
    assert!(why.contains(".model("), "{why}");
}

/// The system message of the one request a client built by `builder` sends to a server
/// answering Jason.
async fn system_message_of(builder: impl FnOnce(&MockServer) -> instructor::Client) -> Value {
    let server = serve(content_reply(JASON, usage(1, 1))).await;
    let user = builder(&server)
        .extract::<UserDetails>()
        .system(SYSTEM)
        .user(USER)
        .await
        .unwrap();
    assert_eq!(user, jason());
    bodies(&server).await.remove(0)["messages"][0].clone()
}

#[tokio::test]
async fn by_default_the_schema_is_in_the_prompt_except_for_openai() {
    let base = |s: &MockServer| {
        instructor::Client::builder()
            .base_url(format!("{}/v1", s.uri()))
            .api_key(KEY)
            .default_model("test-model")
    };
    // Any server but OpenAI: the schema in the system message (measured: docs/evals.md).
    let other = system_message_of(|s| base(s).build().unwrap()).await;
    assert_eq!(
        other["content"],
        format!(
            "{SYSTEM}\n\nAnswer with a JSON object that matches this JSON Schema:\n\n{}",
            sent_schema()
        )
    );
    // OpenAI: the schema only where it is enforced.
    let openai = |s: &MockServer| base(s).server(instructor::Server::OpenAi).build().unwrap();
    assert_eq!(system_message_of(openai).await["content"], SYSTEM);
    // A client that chooses keeps its choice whatever the server.
    let chosen = |s: &MockServer| {
        base(s)
            .server(instructor::Server::LlamaCpp)
            .prompting(instructor::Prompting::Plain)
            .build()
            .unwrap()
    };
    assert_eq!(system_message_of(chosen).await["content"], SYSTEM);
    let client = base(&MockServer::start().await).build().unwrap();
    assert_eq!(client.prompting(), instructor::Prompting::JsonSchema);
    assert_eq!(
        client.with_server(instructor::Server::OpenAi).prompting(),
        instructor::Prompting::Plain
    );
}
