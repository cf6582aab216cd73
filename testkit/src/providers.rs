//! The other dialects on the wire: for Anthropic's Messages API ([`anthropic`]), Gemini
//! ([`gemini`]) and OpenAI's Responses API ([`responses`]), a client configured as the tests
//! want it and the reply bodies each API writes; for all of them, a wiremock server answering
//! one path ([`serving_at`]), event streams with named events ([`named_events`]) and a body
//! cut into one-byte writes ([`bytewise`]), and a stream read twice over
//! ([`partials_then_final`]).

use instructor::{Client, Error, Extraction, Instructor, Mode, StreamExt};
use serde_json::Value;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::UserDetails;

/// A server answering `POST path` (with each of `headers`) with `replies` in order, each
/// exactly once (checked when the server drops).
pub async fn serving_at(
    at: &str,
    headers: &[(&str, &str)],
    replies: Vec<ResponseTemplate>,
) -> MockServer {
    let server = MockServer::start().await;
    for reply in replies {
        let mut mock = Mock::given(method("POST")).and(path(at));
        for (name, value) in headers {
            mock = mock.and(header(*name, *value));
        }
        mock.respond_with(reply)
            .up_to_n_times(1)
            .expect(1)
            .mount(&server)
            .await;
    }
    server
}

/// The key is not in the client's `Debug`.
pub fn assert_hides_key(client: &Client) {
    let shown = format!("{client:?}");
    assert!(!shown.contains(super::KEY), "key in the client: {shown}");
}

/// Asks `client` for a [`UserDetails`] in [`Mode::JsonObjectSchema`] (which these dialects
/// refuse), checks the refusal is a [`Error::Config`] and that `server` saw no request, and
/// returns why.
pub async fn refused_json_object_schema(client: &Client, server: &MockServer) -> String {
    let err = client
        .extract::<UserDetails>()
        .mode(Mode::JsonObjectSchema)
        .user("Jason is 20")
        .send()
        .await
        .unwrap_err();
    let why = match err {
        Error::Config(why) => why,
        other => panic!("{other:?}"),
    };
    assert_eq!(server.received_requests().await.unwrap().len(), 0);
    why
}

/// `event: <type>` then `data: <v>` for each of `events` (Anthropic's and the Responses
/// API's framing).
pub fn named_events(events: &[Value]) -> Vec<u8> {
    let mut body = String::new();
    for e in events {
        body.push_str(&format!(
            "event: {}\ndata: {e}\n\n",
            e["type"].as_str().unwrap()
        ));
    }
    body.into_bytes()
}

/// `body` as one write per byte (for the fault server).
pub fn bytewise(body: &[u8]) -> Vec<Vec<u8>> {
    body.iter().map(|b| vec![*b]).collect()
}

/// Asks `client` for a [`UserDetails`] from `user` as a stream twice: the partials of the
/// first (each `Ok`, at least two of them), then the value and extraction the second ends
/// with.
pub async fn partials_then_final(
    client: &Client,
    user: &str,
) -> (
    Vec<<UserDetails as Instructor>::Partial>,
    UserDetails,
    Extraction,
) {
    let mut stream = client.extract::<UserDetails>().user(user).stream_partial();
    let mut partials = Vec::new();
    while let Some(p) = stream.next().await {
        partials.push(p.unwrap());
    }
    assert!(partials.len() >= 2, "{partials:?}");
    let (value, extraction) = client
        .extract::<UserDetails>()
        .user(user)
        .stream_partial()
        .into_final_with_extraction()
        .await
        .unwrap();
    (partials, value, extraction)
}

/// Anthropic's Messages API.
pub mod anthropic {
    use instructor::{Client, ClientBuilder, Mode, Prompting, Provider};
    use serde_json::{json, Value};

    use crate::{fast_retries, KEY};

    /// Where the dialect posts.
    pub const PATH: &str = "/v1/messages";

    /// A client configuration of the dialect at `base` (the host: the dialect adds
    /// `/v1/messages`), as `Client::anthropic` is (Tools mode, no schema in the system
    /// prompt), model `claude-test`, retrying at once.
    pub fn builder(base: &str) -> ClientBuilder {
        Client::builder()
            .provider(Provider::Anthropic)
            .base_url(base)
            .api_key(KEY)
            .default_model("claude-test")
            .default_mode(Mode::Tools)
            .prompting(Prompting::Plain)
            .retry_policy(fast_retries())
    }

    /// A Messages reply.
    pub fn message(content: Value, stop: &str, input: u64, output: u64) -> Value {
        json!({
            "id": "msg_01", "type": "message", "role": "assistant", "model": "claude-test",
            "content": content, "stop_reason": stop, "stop_sequence": null,
            "usage": { "input_tokens": input, "output_tokens": output }
        })
    }

    /// The events of a streamed reply calling `UserDetails` (call id `id`) with the
    /// arguments `pieces` joined, one `input_json_delta` each; 20 tokens in, 10 out.
    pub fn tool_stream(id: &str, pieces: &[&str]) -> Vec<u8> {
        let mut events = vec![
            json!({ "type": "message_start", "message": { "id": "msg_s", "type": "message",
                "role": "assistant", "content": [], "model": "claude-test", "stop_reason": null,
                "usage": { "input_tokens": 20, "output_tokens": 1 } } }),
            json!({ "type": "content_block_start", "index": 0, "content_block":
                { "type": "tool_use", "id": id, "name": "UserDetails", "input": {} } }),
        ];
        for piece in pieces {
            events.push(json!({ "type": "content_block_delta", "index": 0,
                "delta": { "type": "input_json_delta", "partial_json": piece } }));
        }
        events.extend([
            json!({ "type": "content_block_stop", "index": 0 }),
            json!({ "type": "message_delta", "delta": { "stop_reason": "tool_use" },
                "usage": { "output_tokens": 10 } }),
            json!({ "type": "message_stop" }),
        ]);
        super::named_events(&events)
    }

    /// A reply calling the `UserDetails` tool with `input`, `tokens` being (input, output).
    pub fn tool_reply(id: &str, input: Value, tokens: (u64, u64)) -> Value {
        message(
            json!([{ "type": "tool_use", "id": id, "name": "UserDetails", "input": input }]),
            "tool_use",
            tokens.0,
            tokens.1,
        )
    }
}

/// Gemini's `generateContent`.
pub mod gemini {
    use instructor::{Client, ClientBuilder, Prompting, Provider};
    use serde_json::{json, Value};

    use crate::{fast_retries, KEY};

    /// The model the clients ask for.
    pub const MODEL: &str = "gemini-2.5-flash";
    /// Where the dialect posts for [`MODEL`].
    pub const PATH: &str = "/v1beta/models/gemini-2.5-flash:generateContent";

    /// A client configuration of the dialect at `base` (ending in `/v1beta`), model
    /// [`MODEL`], no schema in the system prompt, retrying at once.
    pub fn builder(base: &str) -> ClientBuilder {
        Client::builder()
            .base_url(base)
            .api_key(KEY)
            .provider(Provider::Gemini)
            .default_model(MODEL)
            .retry_policy(fast_retries())
            .prompting(Prompting::Plain)
    }

    /// A reply whose candidate has `parts` and `finish`, with usage.
    pub fn reply(parts: Value, finish: &str, prompt: u64, answer: u64) -> Value {
        json!({
            "candidates": [{ "content": { "role": "model", "parts": parts }, "finishReason": finish, "index": 0 }],
            "usageMetadata": { "promptTokenCount": prompt, "candidatesTokenCount": answer,
                               "totalTokenCount": prompt + answer },
            "modelVersion": MODEL,
            "responseId": "resp-1",
        })
    }

    /// A finished reply that says `text`.
    pub fn text_reply(text: &str, prompt: u64, answer: u64) -> Value {
        reply(json!([{ "text": text }]), "STOP", prompt, answer)
    }

    /// A finished reply calling `UserDetails` with `args`.
    pub fn call_reply(args: Value, prompt: u64, answer: u64) -> Value {
        reply(
            json!([{ "functionCall": { "name": "UserDetails", "args": args } }]),
            "STOP",
            prompt,
            answer,
        )
    }
}

/// OpenAI's Responses API.
pub mod responses {
    use instructor::{ClientBuilder, Provider};
    use serde_json::{json, Value};

    use crate::servers::{builder as chat_builder, Endpoint};

    /// Where the dialect posts.
    pub const PATH: &str = "/v1/responses";

    /// The kit's client configuration ([`crate::builder`]), speaking the Responses API.
    pub fn builder(server: &impl Endpoint) -> ClientBuilder {
        chat_builder(server).provider(Provider::OpenAiResponses)
    }

    /// The API's usage object.
    pub fn usage(input: u64, output: u64) -> Value {
        json!({ "input_tokens": input, "output_tokens": output, "total_tokens": input + output,
                "input_tokens_details": { "cached_tokens": 0 },
                "output_tokens_details": { "reasoning_tokens": 0 } })
    }

    /// A completed response whose one message says `text`.
    pub fn text_reply(text: &str, usage: Value) -> Value {
        json!({
            "id": "resp_1", "object": "response", "created_at": 1741290958, "model": "gpt-test",
            "status": "completed", "error": null, "incomplete_details": null,
            "output": [{ "id": "msg_1", "type": "message", "status": "completed", "role": "assistant",
                "content": [{ "type": "output_text", "text": text, "annotations": [] }] }],
            "usage": usage
        })
    }

    /// A completed response that calls `name` with `arguments`.
    pub fn call_reply(call_id: &str, name: &str, arguments: &str, usage: Value) -> Value {
        json!({
            "id": "resp_2", "object": "response", "model": "gpt-test", "status": "completed",
            "output": [{ "type": "function_call", "id": "fc_1", "call_id": call_id, "name": name,
                "arguments": arguments, "status": "completed" }],
            "usage": usage
        })
    }
}
