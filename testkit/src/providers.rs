//! The other dialects on the wire: for Anthropic's Messages API ([`anthropic`]), Gemini
//! ([`gemini`]) and OpenAI's Responses API ([`responses`]), a client configured as the tests
//! want it and the reply bodies each API writes; for all of them, a wiremock server answering
//! one path ([`serving_at`]), event streams with named events ([`named_events`]) and a body
//! cut into one-byte writes ([`bytewise`]), and a stream read twice over
//! ([`partials_then_final`]).

use instructor::{
    Client, ClientBuilder, Extract, Extraction, Instructor, Mode, PartialStream, StreamExt,
};
use serde_json::{json, Value};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::servers::mock::refused;
use super::{UserDetails, KEY};

/// A dialect under test: where its server answers, how the kit's client reaches it, and
/// its replies written from an answer's JSON, whole or streamed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Anthropic's Messages API ([`anthropic`]).
    Anthropic,
    /// Gemini's `generateContent` ([`gemini`]).
    Gemini,
    /// OpenAI's Responses API ([`responses`]).
    Responses,
}

impl Dialect {
    /// The three, in order.
    pub const ALL: [Dialect; 3] = [Dialect::Anthropic, Dialect::Gemini, Dialect::Responses];

    /// A server answering the dialect's path with `replies` in order, each once (the
    /// Responses one only with the key, as JSON).
    pub async fn serve(self, replies: Vec<ResponseTemplate>) -> MockServer {
        self.serving(false, replies).await
    }

    /// [`serve`](Self::serve) for streamed replies (Gemini streams at its own path).
    pub async fn serve_streams(self, replies: Vec<ResponseTemplate>) -> MockServer {
        self.serving(true, replies).await
    }

    async fn serving(self, stream: bool, replies: Vec<ResponseTemplate>) -> MockServer {
        let bearer = format!("Bearer {KEY}");
        let responses_headers = [
            ("authorization", bearer.as_str()),
            ("content-type", "application/json"),
        ];
        match self {
            Dialect::Anthropic => serving_at(anthropic::PATH, &[], replies).await,
            Dialect::Gemini if stream => serving_at(gemini::STREAM_PATH, &[], replies).await,
            Dialect::Gemini => serving_at(gemini::PATH, &[], replies).await,
            Dialect::Responses => serving_at(responses::PATH, &responses_headers, replies).await,
        }
    }

    /// The kit's client configuration of the dialect at `server`.
    pub fn builder(self, server: &MockServer) -> ClientBuilder {
        match self {
            Dialect::Anthropic => anthropic::builder(&server.uri()),
            Dialect::Gemini => gemini::builder(&format!("{}/v1beta", server.uri())),
            Dialect::Responses => responses::builder(server),
        }
    }

    /// The kit's client of the dialect at `server`.
    pub fn client(self, server: &MockServer) -> Client {
        self.builder(server).build().unwrap()
    }

    /// A request for a `T` in `mode` from the kit's client of the dialect at `server`.
    pub fn extract<T: Instructor>(self, server: &MockServer, mode: Mode) -> Extract<T> {
        self.client(server).extract::<T>().mode(mode)
    }

    /// The provider's name as the SDK's messages write it.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Anthropic => "Anthropic",
            Dialect::Gemini => "Gemini",
            Dialect::Responses => "Responses",
        }
    }

    /// A whole reply whose answer is the text `json` (the JSON modes).
    pub fn text_reply(self, json: &str) -> Value {
        match self {
            Dialect::Anthropic => {
                anthropic::message(json!([{ "type": "text", "text": json }]), "end_turn", 10, 5)
            }
            Dialect::Gemini => gemini::text_reply(json, 10, 5),
            Dialect::Responses => responses::text_reply(json, responses::usage(10, 5)),
        }
    }

    /// A whole reply calling each `(tool, arguments JSON)` of `calls`, in order.
    pub fn calls_reply(self, calls: &[(&str, &str)]) -> Value {
        fn object(args: &str) -> Value {
            serde_json::from_str(args).unwrap()
        }
        // Each call as `item(index, tool, arguments JSON)` writes it, in order.
        let items = |item: fn(usize, &str, &str) -> Value| -> Value {
            let items = calls
                .iter()
                .enumerate()
                .map(|(i, (name, args))| item(i, name, args));
            Value::Array(items.collect())
        };
        match self {
            Dialect::Anthropic => {
                let blocks = items(|i, name, args| {
                    json!({ "type": "tool_use", "id": format!("toolu_{i}"), "name": name,
                        "input": object(args) })
                });
                anthropic::message(blocks, "tool_use", 10, 5)
            }
            Dialect::Gemini => {
                let parts = items(
                    |_, name, args| json!({ "functionCall": { "name": name, "args": object(args) } }),
                );
                gemini::reply(parts, "STOP", 10, 5)
            }
            Dialect::Responses => {
                let items = items(|i, name, args| {
                    json!({ "type": "function_call", "id": format!("fc_{i}"),
                        "call_id": format!("call_{i}"), "name": name, "arguments": args,
                        "status": "completed" })
                });
                json!({ "id": "resp_c", "object": "response", "model": "gpt-test",
                    "status": "completed", "output": items, "usage": responses::usage(10, 5) })
            }
        }
    }

    /// A streamed reply writing the text `json` in pieces of 7 characters, in the
    /// dialect's events.
    pub fn text_stream(self, json: &str) -> Vec<u8> {
        let chars: Vec<char> = json.chars().collect();
        let pieces: Vec<String> = chars.chunks(7).map(|c| c.iter().collect()).collect();
        match self {
            Dialect::Anthropic => {
                let mut events = vec![
                    json!({ "type": "message_start", "message": { "id": "msg_s", "type": "message",
                        "role": "assistant", "content": [], "model": "claude-test",
                        "usage": { "input_tokens": 10, "output_tokens": 1 } } }),
                    json!({ "type": "content_block_start", "index": 0,
                        "content_block": { "type": "text", "text": "" } }),
                ];
                events.extend(pieces.iter().map(|p| {
                    json!({ "type": "content_block_delta",
                    "index": 0, "delta": { "type": "text_delta", "text": p } })
                }));
                events.extend([
                    json!({ "type": "content_block_stop", "index": 0 }),
                    json!({ "type": "message_delta", "delta": { "stop_reason": "end_turn" },
                        "usage": { "output_tokens": 5 } }),
                    json!({ "type": "message_stop" }),
                ]);
                named_events(&events)
            }
            Dialect::Gemini => {
                let last = pieces.len() - 1;
                let mut body = String::new();
                for (i, p) in pieces.iter().enumerate() {
                    let mut frame = json!({ "candidates": [{ "content": { "role": "model",
                        "parts": [{ "text": p }] }, "index": 0 }], "modelVersion": gemini::MODEL });
                    if i == last {
                        frame["candidates"][0]["finishReason"] = json!("STOP");
                        frame["usageMetadata"] = json!({ "promptTokenCount": 10,
                            "candidatesTokenCount": 5, "totalTokenCount": 15 });
                    }
                    body.push_str(&format!("data: {frame}\n\n"));
                }
                body.into_bytes()
            }
            Dialect::Responses => {
                let mut events = vec![json!({ "type": "response.created", "response": {
                    "id": "resp_s", "object": "response", "model": "gpt-test", "status": "in_progress" } })];
                events.extend(pieces.iter().map(|p| {
                    json!({ "type": "response.output_text.delta",
                    "item_id": "msg_1", "output_index": 0, "content_index": 0, "delta": p })
                }));
                events.push(json!({ "type": "response.completed", "response": {
                    "id": "resp_s", "object": "response", "model": "gpt-test", "status": "completed",
                    "output": [{ "id": "msg_1", "type": "message", "role": "assistant",
                        "content": [{ "type": "output_text", "text": json }] }],
                    "usage": responses::usage(10, 5) } }));
                named_events(&events)
            }
        }
    }
}

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
/// refuse), checks the refusal is an [`instructor::Error::Config`] and that `server` saw no request, and
/// returns why.
pub async fn refused_json_object_schema(client: &Client, server: &MockServer) -> String {
    let request = client
        .extract::<UserDetails>()
        .mode(Mode::JsonObjectSchema)
        .user("Jason is 20");
    refused(request, server).await
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

/// Reads `stream` to its end: every partial (each `Ok`), then the value and the extraction
/// it ends with.
pub async fn drained<T: Instructor>(
    mut stream: PartialStream<T>,
) -> (Vec<T::Partial>, T, Extraction) {
    let partials = partials_of(&mut stream).await;
    let (value, extraction) = stream.into_final_with_extraction().await.unwrap();
    (partials, value, extraction)
}

/// Every partial `stream` yields, each `Ok`.
async fn partials_of<T: Instructor>(stream: &mut PartialStream<T>) -> Vec<T::Partial> {
    let mut partials = Vec::new();
    while let Some(p) = stream.next().await {
        partials.push(p.unwrap());
    }
    partials
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
    let ask = || client.extract::<UserDetails>().user(user).stream_partial();
    let partials = partials_of(&mut ask()).await;
    assert!(partials.len() >= 2, "{partials:?}");
    let (value, extraction) = ask().into_final_with_extraction().await.unwrap();
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
    /// Where the dialect posts a streamed request for [`MODEL`] (the query `alt=sse` apart).
    pub const STREAM_PATH: &str = "/v1beta/models/gemini-2.5-flash:streamGenerateContent";

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

    /// The input item that sends back the call `call_id` of `UserDetails` with `arguments`
    /// (a re-ask's).
    pub fn echoed_call(call_id: &str, arguments: &str) -> Value {
        json!({ "type": "function_call", "call_id": call_id, "name": "UserDetails",
                "arguments": arguments })
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
