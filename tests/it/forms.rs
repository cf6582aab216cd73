//! What servers need besides the schema: the token limit under the name the server reads,
//! a tool call forced the way it obeys, extra body fields, the default form, and a reasoning
//! model's thinking kept out of the answer (in every mode and in a stream).

use instructor::{Mode, Server, StreamExt};
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::servers::mock::{bodies, count, json_ok, serving, sse_ok};
use crate::support::servers::NothingListening;
use crate::support::sse::{event, Sse};
use crate::support::*;

const USER: &str = "Jason is 20";

async fn one_reply(reply: Value) -> MockServer {
    serving(vec![json_ok(reply)]).await
}

/// The seed type extracted from `reply`, with the extraction and the server that answered.
async fn extracted(reply: Value) -> (UserDetails, instructor::Extraction, MockServer) {
    let server = one_reply(reply).await;
    let (user, extraction) = ask::<UserDetails>(&server, USER, 0)
        .send_with_extraction()
        .await
        .unwrap();
    (user, extraction, server)
}

async fn sent(server: &MockServer) -> Value {
    let mut b = bodies(server).await;
    assert_eq!(b.len(), 1, "one request");
    b.remove(0)
}

#[tokio::test]
async fn the_token_limit_is_sent_under_the_name_the_server_reads() {
    for (server_kind, field, absent) in [
        (Server::Other, "max_tokens", "max_completion_tokens"),
        (Server::LlamaCpp, "max_tokens", "max_completion_tokens"),
        (Server::OpenAi, "max_completion_tokens", "max_tokens"),
    ] {
        let server = one_reply(content_reply(JASON, usage(1, 1))).await;
        let c = builder(&server).server(server_kind).build().unwrap();
        let user = c.extract::<UserDetails>().user(USER).max_tokens(300).await;
        assert_eq!(user.unwrap(), jason());
        let body = sent(&server).await;
        assert_eq!(body[field], 300, "{server_kind}");
        assert!(body.get(absent).is_none(), "{server_kind}: {body}");
    }
}

#[tokio::test]
async fn a_default_token_limit_is_sent_unless_turned_off() {
    let server = one_reply(content_reply(JASON, usage(1, 1))).await;
    client(&server)
        .extract::<UserDetails>()
        .user(USER)
        .await
        .unwrap();
    assert_eq!(
        sent(&server).await["max_tokens"],
        instructor::client::DEFAULT_MAX_TOKENS
    );

    let server = one_reply(content_reply(JASON, usage(1, 1))).await;
    let c = builder(&server).default_max_tokens(None).build().unwrap();
    c.extract::<UserDetails>().user(USER).await.unwrap();
    assert!(sent(&server).await.get("max_tokens").is_none());

    let server = one_reply(content_reply(JASON, usage(1, 1))).await;
    let c = builder(&server).default_max_tokens(64).build().unwrap();
    c.extract::<UserDetails>().user(USER).await.unwrap();
    assert_eq!(sent(&server).await["max_tokens"], 64);
}

#[tokio::test]
async fn a_tool_call_is_forced_by_name_or_as_required_as_the_server_obeys() {
    let reply = tool_reply("UserDetails", JASON, usage(1, 1));
    for (server_kind, choice) in [
        (
            Server::Other,
            json!({ "type": "function", "function": { "name": "UserDetails" } }),
        ),
        (
            Server::OpenAi,
            json!({ "type": "function", "function": { "name": "UserDetails" } }),
        ),
        (Server::LlamaCpp, json!("required")),
        (Server::LmStudio, json!("required")),
    ] {
        let server = one_reply(reply.clone()).await;
        let c = builder(&server).server(server_kind).build().unwrap();
        let user = c
            .extract::<UserDetails>()
            .mode(Mode::Tools)
            .user(USER)
            .await;
        assert_eq!(user.unwrap(), jason(), "{server_kind}");
        let body = sent(&server).await;
        assert_eq!(body["tool_choice"], choice, "{server_kind}");
        assert_eq!(body["tools"].as_array().unwrap().len(), 1);
    }
}

#[tokio::test]
async fn extra_body_fields_are_written_over_the_body_request_over_client() {
    let server = one_reply(content_reply(JASON, usage(1, 1))).await;
    let c = builder(&server)
        .extra_body(json!({ "top_k": 40, "chat_template_kwargs": { "enable_thinking": false } }))
        .build()
        .unwrap();
    c.extract::<UserDetails>()
        .user(USER)
        .temperature(0.5)
        .extra_body(json!({ "top_k": 20, "temperature": 0.0 }))
        .extra_body(json!({ "structured_outputs": { "backend": "guidance" } }))
        .await
        .unwrap();
    let body = sent(&server).await;
    assert_eq!(body["top_k"], 20, "the request's value wins");
    assert_eq!(
        body["temperature"], 0.0,
        "an extra field replaces the SDK's"
    );
    assert_eq!(
        body["chat_template_kwargs"],
        json!({ "enable_thinking": false })
    );
    assert_eq!(body["structured_outputs"], json!({ "backend": "guidance" }));
    assert_eq!(body["model"], "test-model");
    assert!(body["response_format"].is_object());
}

#[tokio::test]
async fn extra_body_that_is_not_an_object_is_a_config_error_before_any_request() {
    let server = MockServer::start().await;
    let err = client(&server)
        .extract::<UserDetails>()
        .user(USER)
        .extra_body(json!(["top_k", 40]))
        .await
        .unwrap_err();
    assert_eq!(kind(&err), "Config");
    assert!(
        err.to_string().contains("extra_body must be a JSON object"),
        "{err}"
    );
    assert_eq!(count(&server).await, 0);
    let err = builder(&server).extra_body(json!(1)).build().unwrap_err();
    assert!(err.to_string().contains("extra_body"), "{err}");
}

#[tokio::test]
async fn the_default_mode_is_the_json_schema_form() {
    let server = one_reply(content_reply(JASON, usage(1, 1))).await;
    let c = instructor::Client::openai_compatible(server.base(), KEY).unwrap();
    assert_eq!(c.default_mode(), Mode::JsonSchema);
    assert_eq!(c.server(), Server::Other);
    let user = c
        .extract::<UserDetails>()
        .model("m")
        .user(USER)
        .await
        .unwrap();
    assert_eq!(user, jason());
    let rf = &sent(&server).await["response_format"];
    assert_eq!(rf["type"], "json_schema");
    assert_eq!(rf["json_schema"]["name"], "UserDetails");
    assert_eq!(
        rf["json_schema"]["schema"],
        instructor::mode::request_schema(
            <UserDetails as instructor::Instructor>::json_schema(),
            Mode::JsonSchema
        )
    );
}

#[tokio::test]
async fn detect_server_reads_owned_by() {
    for (owner, want) in [
        ("llamacpp", Server::LlamaCpp),
        ("vllm", Server::Vllm),
        ("sglang", Server::Sglang),
        ("organization_owner", Server::LmStudio),
        ("library", Server::Ollama),
        ("someone", Server::Other),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/v1/models"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "object": "list",
                "data": [{ "id": "m", "object": "model", "owned_by": owner }]
            })))
            .expect(1)
            .mount(&server)
            .await;
        assert_eq!(
            client(&server).detect_server().await.unwrap(),
            want,
            "{owner}"
        );
    }
    // No `/models`: unknown, not an error.
    let server = MockServer::start().await;
    assert_eq!(
        client(&server).detect_server().await.unwrap(),
        Server::Other
    );
    // Nothing listening: an error.
    let nothing = NothingListening::new();
    assert!(client(&nothing).detect_server().await.is_err());
}

const THINK: &str = "<think>\nThe text says Jason is 20. I will answer {name, age}.\n</think>\n\n";

#[tokio::test]
async fn thinking_before_the_answer_is_kept_and_skipped_in_every_json_mode() {
    for mode in [
        Mode::JsonSchema,
        Mode::JsonSchemaStrict,
        Mode::JsonObjectSchema,
        Mode::Json,
        Mode::MdJson,
    ] {
        let answer = match mode {
            Mode::MdJson => format!("{THINK}```json\n{JASON}\n```"),
            Mode::JsonSchemaStrict => {
                format!("{THINK}{{\"name\": \"Jason\", \"age\": 20, \"nickname\": null}}")
            }
            _ => format!("{THINK}{JASON}"),
        };
        let server = one_reply(content_reply(&answer, usage(1, 1))).await;
        let (user, extraction) = ask::<UserDetails>(&server, USER, 0)
            .mode(mode)
            .send_with_extraction()
            .await
            .unwrap();
        assert_eq!(user, jason(), "{mode}");
        let kept = extraction.response().choices[0].message.content.as_deref();
        assert_eq!(kept, Some(answer.as_str()), "{mode}: the thinking stays");
        assert!(extraction.attempts[0].repair.is_none(), "{mode}");
    }
}

#[tokio::test]
async fn reasoning_content_is_kept_apart_from_the_answer() {
    for field in ["reasoning_content", "reasoning"] {
        let mut reply = content_reply(JASON, usage(1, 1));
        reply["choices"][0]["message"][field] = json!("Jason is 20.");
        let (user, extraction, _) = extracted(reply).await;
        assert_eq!(user, jason());
        let message = &extraction.response().choices[0].message;
        assert_eq!(message.thinking(), Some("Jason is 20."), "{field}");
    }
    // Both at once (vLLM between 0.11 and 0.12 sends both) is no decode error.
    let mut reply = content_reply(JASON, usage(1, 1));
    reply["choices"][0]["message"]["reasoning_content"] = json!("a");
    reply["choices"][0]["message"]["reasoning"] = json!("a");
    let server = one_reply(reply).await;
    assert_eq!(ask::<UserDetails>(&server, USER, 0).await.unwrap(), jason());
}

#[tokio::test]
async fn thinking_in_a_stream_is_skipped_and_reasoning_deltas_are_kept() {
    let mut sse = Sse::new();
    for piece in [
        "<thi",
        "nk>\nJason {is} 20\n</th",
        "ink>\n",
        "{\"name\": \"Ja",
        "son\", \"age\": 20}",
    ] {
        sse = sse.delta(piece);
    }
    let reasoning =
        json!({ "choices": [{ "index": 0, "delta": { "reasoning_content": "apart" } }] });
    let sse = sse
        .raw(event(&reasoning))
        .finish_with_usage("stop", usage(3, 4))
        .done();
    let server = serving(vec![sse_ok(sse.body())]).await;
    let mut stream = ask::<UserDetails>(&server, USER, 0).stream_partial();
    let mut names = Vec::new();
    while let Some(partial) = stream.next().await {
        let partial = partial.unwrap();
        names.push(partial.name.clone());
    }
    // Without the thinking filtered out, the parser would stop at `<` and show nothing.
    assert_eq!(names.last(), Some(&Some("Jason".to_owned())), "{names:?}");
    let (user, extraction) = stream.into_final_with_extraction().await.unwrap();
    assert_eq!(user, jason());
    let message = &extraction.response().choices[0].message;
    assert_eq!(message.thinking(), Some("apart"));
    assert!(message.content.as_deref().unwrap().starts_with("<think>"));
}

#[tokio::test]
async fn a_stream_that_starts_with_a_byte_order_mark_loses_no_event() {
    let sse = Sse::new()
        .delta("{\"name\": \"Jason\", ")
        .delta("\"age\": 20}")
        .finish("stop")
        .done();
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(sse.body());
    let server = serving(vec![sse_ok(bytes)]).await;
    let user = ask::<UserDetails>(&server, USER, 0)
        .stream_partial()
        .into_final()
        .await
        .unwrap();
    assert_eq!(user, jason());
}

#[tokio::test]
async fn an_almost_json_answer_is_repaired_and_recorded() {
    let (user, extraction, server) = extracted(content_reply(
        "Here you go:\n```json\n{name: 'Jason', age: 20,}\n```",
        usage(1, 1),
    ))
    .await;
    assert_eq!(user, jason());
    assert_eq!(count(&server).await, 1, "no re-ask");
    let repair = extraction.attempts[0].repair.as_ref().unwrap();
    assert_eq!(
        repair.fixes,
        [
            "text around the JSON",
            "unquoted key",
            "single-quoted string",
            "trailing comma"
        ]
    );
}

#[tokio::test]
async fn dry_run_shows_the_body_without_sending() {
    let server = MockServer::start().await;
    let body = client(&server)
        .extract::<UserDetails>()
        .system("Be brief.")
        .user(USER)
        .prompting(instructor::Prompting::Compact)
        .dry_run()
        .unwrap();
    assert_eq!(count(&server).await, 0);
    let system = body["messages"][0]["content"].as_str().unwrap();
    assert!(
        system.starts_with("Be brief.\n\nExtract `UserDetails`"),
        "{system}"
    );
    assert!(
        system.contains("- \"age\": integer, required; from 0 to 120."),
        "{system}"
    );
    assert_eq!(body["response_format"]["type"], "json_schema");
}
