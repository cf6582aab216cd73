//! The pieces of batch files on their own: the custom_id rule, the request envelopes, each
//! provider's result lines, the line reader, and an input's state line written and read
//! back. The whole job, against captured live bodies, is `tests/it/batch_file.rs`.

use serde_json::{json, Value};

use crate::attempt::Carried;
use crate::batch_file::entry::{Entry, Pending, State};
use crate::batch_file::format::{Envelope, RequestWriter};
use crate::batch_file::read::{parse_line, Lines, Outcome};
use crate::batch_file::state::{restore, saved};
use crate::error::{AttemptError, Error};
use crate::provider::{Options, Provider};
use crate::validation::{ValidationError, ValidationErrors};
use crate::wire::{FunctionCall, Message, ToolCall, Usage};
use crate::Image;

const CHAT: Envelope = Envelope::OpenAi {
    url: "/v1/chat/completions",
};

#[test]
fn anthropic_ids_follow_the_message_batches_rule() {
    let a = Envelope::of(Provider::Anthropic);
    for ok in ["a", "row_1-B", &"x".repeat(64)] {
        assert!(a.check_id(ok).is_ok(), "{ok}");
    }
    for bad in ["", "row 1", "row.1", "é", &"x".repeat(65)] {
        let e = a.check_id(bad).unwrap_err();
        assert!(e.contains(&format!("{bad:?}")), "{e}");
    }
    // OpenAI and Gemini take any id but the empty one.
    assert!(CHAT.check_id("row 1/é").is_ok());
    assert!(Envelope::of(Provider::Gemini).check_id("").is_err());
}

#[test]
fn each_envelope_wraps_the_body_unchanged() {
    let body = br#"{"model":"m","messages":[{"role":"user","content":"a \"q\""}]}"#;
    let write = |envelope| {
        let mut out = Vec::new();
        let mut w = RequestWriter::new(&mut out, envelope).unwrap();
        w.request("id \"1\"", body).unwrap();
        w.request("id-2", body).unwrap();
        assert_eq!(w.finish().unwrap(), 2);
        String::from_utf8(out).unwrap()
    };
    let chat = write(CHAT);
    let first: Value = serde_json::from_str(chat.lines().next().unwrap()).unwrap();
    assert_eq!(first["custom_id"], "id \"1\"");
    assert!(chat.lines().all(|l| l.ends_with(&format!(
        "\"body\":{}}}",
        std::str::from_utf8(body).unwrap()
    ))));
    let responses = write(Envelope::of(Provider::OpenAiResponses));
    assert!(responses.contains(r#""url":"/v1/responses""#));
    let doc: Value = serde_json::from_str(&write(Envelope::Anthropic)).unwrap();
    assert_eq!(
        doc["requests"][1],
        json!({"custom_id": "id-2", "params": serde_json::from_slice::<Value>(body).unwrap()})
    );
    let gemini = write(Envelope::Gemini);
    assert!(gemini.starts_with(r#"{"key":"id \"1\"","request":{"model""#));
    // No request at all: still a valid Anthropic document.
    let mut out = Vec::new();
    RequestWriter::new(&mut out, Envelope::Anthropic)
        .unwrap()
        .finish()
        .unwrap();
    assert_eq!(
        serde_json::from_slice::<Value>(&out).unwrap(),
        json!({"requests": []})
    );
}

fn chat_reply() -> Value {
    json!({"id": "c1", "choices": [{"index": 0, "message": {"role": "assistant", "content": "{}"}, "finish_reason": "stop"}],
           "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}})
}

fn parse(envelope: Envelope, provider: Provider, line: Value) -> (String, Outcome) {
    let r = parse_line(envelope, provider.dialect(), &line.to_string()).unwrap();
    (r.custom_id, r.outcome)
}

#[test]
fn openai_result_lines_of_each_kind() {
    let p = Provider::OpenAiChat;
    let ok = json!({"id": "b1", "custom_id": "a", "response": {"status_code": 200, "request_id": "r", "body": chat_reply()}, "error": null});
    match parse(CHAT, p, ok) {
        (id, Outcome::Answer(c, raw)) => {
            assert_eq!((id.as_str(), c.usage.unwrap().total_tokens), ("a", 4));
            assert_eq!(serde_json::from_str::<Value>(&raw).unwrap(), chat_reply());
        }
        other => panic!("{other:?}"),
    }
    let status = json!({"custom_id": "b", "response": {"status_code": 429, "body": {"error": {"message": "slow down", "code": "rate_limit_exceeded"}}}});
    match parse(CHAT, p, status).1 {
        Outcome::Failed(e @ Error::Api { status: 429, .. }) => assert!(e.is_transient()),
        other => panic!("{other:?}"),
    }
    for code in ["batch_expired", "batch_cancelled"] {
        let line =
            json!({"custom_id": "c", "response": null, "error": {"code": code, "message": "m"}});
        assert!(matches!(parse(CHAT, p, line).1, Outcome::NotRun(why) if why.starts_with(code)));
    }
    let other = json!({"custom_id": "d", "error": {"code": "invalid_request", "message": "no"}});
    match parse(CHAT, p, other).1 {
        Outcome::Failed(Error::BatchInput {
            custom_id,
            code,
            message,
            ..
        }) => {
            assert_eq!(
                (custom_id.as_str(), code.as_deref(), message.as_str()),
                ("d", Some("invalid_request"), "no")
            );
        }
        other => panic!("{other:?}"),
    }
    // Not a reply: the decode error a live reply would get.
    let odd = json!({"custom_id": "e", "response": {"status_code": 200, "body": {"choices": "x"}}});
    assert!(matches!(
        parse(CHAT, p, odd).1,
        Outcome::Failed(Error::Decode { .. })
    ));
}

#[test]
fn malformed_result_lines_say_why() {
    let d = Provider::OpenAiChat.dialect();
    let cut = parse_line(
        CHAT,
        d,
        r#"{"custom_id":"a","response":{"status_code":200,"bo"#,
    )
    .unwrap_err();
    assert!(cut.starts_with("the line is cut off"), "{cut}");
    let junk = parse_line(CHAT, d, "[1,2]").unwrap_err();
    assert!(junk.starts_with("not a result line"), "{junk}");
    let empty = parse_line(CHAT, d, r#"{"custom_id":"a"}"#).unwrap_err();
    assert!(empty.contains("neither"), "{empty}");
    let a = Provider::Anthropic.dialect();
    let unknown = parse_line(
        Envelope::Anthropic,
        a,
        r#"{"custom_id":"a","result":{"type":"weird"}}"#,
    )
    .unwrap_err();
    assert!(unknown.contains("`weird`"), "{unknown}");
    let g = Provider::Gemini.dialect();
    assert!(parse_line(Envelope::Gemini, g, r#"{"response":{}}"#)
        .unwrap_err()
        .contains("key"));
}

#[test]
fn anthropic_and_gemini_errors_get_their_http_status() {
    let a = Provider::Anthropic;
    for (kind, status) in [
        ("overloaded_error", 529),
        ("rate_limit_error", 429),
        ("not_found_error", 404),
    ] {
        let line = json!({"custom_id": "x", "result": {"type": "errored", "error": {"type": "error", "error": {"type": kind, "message": "m"}}}});
        match parse(Envelope::Anthropic, a, line).1 {
            Outcome::Failed(Error::Api {
                status: s, kind: k, ..
            }) => assert_eq!((s, k.as_deref()), (status, Some(kind))),
            other => panic!("{other:?}"),
        }
    }
    // The older form: the error object itself.
    let line = json!({"custom_id": "x", "result": {"type": "errored", "error": {"type": "invalid_request_error", "message": "m"}}});
    assert!(matches!(
        parse(Envelope::Anthropic, a, line).1,
        Outcome::Failed(Error::Api { status: 400, .. })
    ));
    let g = Provider::Gemini;
    for (code, status) in [
        (json!(8), 429),
        (json!(14), 503),
        (json!(400), 400),
        (json!(5), 404),
    ] {
        let line = json!({"key": "k", "status": {"code": code, "message": "m"}});
        assert!(
            matches!(parse(Envelope::Gemini, g, line).1, Outcome::Failed(Error::Api { status: s, .. }) if s == status)
        );
    }
}

#[test]
fn the_reader_numbers_lines_skips_blank_ones_and_reports_bad_utf8() {
    let text: &[u8] = b"one\r\n\n  \ntwo\n\xff\xfe\nlast without newline";
    let mut lines = Lines::new(text);
    let mut seen = Vec::new();
    while let Some((n, t)) = lines.next_line().unwrap() {
        seen.push((
            n,
            t.map(str::to_owned).map_err(|e| e.starts_with("not UTF-8")),
        ));
    }
    assert_eq!(
        seen,
        [
            (1, Ok("one".into())),
            (4, Ok("two".into())),
            (5, Err(true)),
            (6, Ok("last without newline".into()))
        ]
    );
}

#[test]
fn an_input_state_line_round_trips_parts_tool_errors_and_attempt_errors() {
    let call = ToolCall {
        id: "toolu_1".into(),
        kind: "function".into(),
        function: FunctionCall {
            name: "UserDetails".into(),
            arguments: r#"{"age":200}"#.into(),
        },
    };
    let conversation = vec![
        Message::system("sys"),
        Message::user_parts((
            "look",
            Image::from_url("https://example.com/a.png").unwrap(),
        )),
        Message::assistant_tool_calls(vec![call]),
        Message::tool_error("toolu_1", "age: too large"),
    ];
    let mut errors = ValidationErrors::new();
    errors.push(ValidationError::new("age", "greater than 120"));
    let mut options = Options {
        temperature: Some(0.0),
        seed: Some(7),
        ..Options::default()
    };
    options.extra.insert("top_k".into(), json!(20));
    let entry = Entry {
        custom_id: "row-1".into(),
        model: "m".into(),
        options,
        carried: Carried {
            started: 1,
            usage: Usage {
                prompt_tokens: 9,
                ..Usage::default()
            },
            errors: vec![AttemptError::Validation(errors), AttemptError::EmptyContent],
            last_reply: Some(r#"{"age":200}"#.into()),
        },
        state: State::Pending(Pending {
            conversation: conversation.clone(),
            ground: (1, 2),
            sent_round: Some(1),
        }),
    };
    let line = serde_json::to_string(&saved(&entry)).unwrap();
    let back = restore(serde_json::from_str(&line).unwrap()).unwrap();
    let State::Pending(p) = &back.state else {
        panic!()
    };
    assert_eq!(p.conversation, conversation);
    assert!(
        p.conversation[3].is_error,
        "the tool result still reports an error"
    );
    assert_eq!((p.ground, p.sent_round), ((1, 2), Some(1)));
    assert_eq!(back.carried.errors, entry.carried.errors);
    assert_eq!(
        (back.carried.started, back.carried.usage),
        (1, entry.carried.usage)
    );
    assert_eq!(back.options.extra["top_k"], 20);
    assert_eq!(
        (back.options.temperature, back.options.seed),
        (Some(0.0), Some(7))
    );
}
