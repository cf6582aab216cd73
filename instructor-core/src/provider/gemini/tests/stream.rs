//! Tests of stream frames and error bodies: deltas of each frame, errors in a stream, error
//! fields and retryable statuses.

use crate::provider::gemini::Gemini;
use crate::provider::test_support::assert_not_an_event;
use crate::provider::{Delta, Dialect, ErrorFields};

fn frames(data: &str) -> Result<Vec<Delta>, String> {
    let mut out = Vec::new();
    Gemini.decode_event("", data, &mut out).map(|()| out)
}

#[test]
fn stream_frames_become_deltas() {
    let d = frames(
        r#"{"candidates":[{"content":{"role":"model","parts":[{"text":"hm","thought":true},{"text":"{\"a\""}]}}],"usageMetadata":{"promptTokenCount":3,"totalTokenCount":3},"modelVersion":"gemini-2.5-flash","responseId":"r"}"#,
    )
    .unwrap();
    assert_eq!(d[0], Delta::Id("r".into()));
    assert_eq!(d[1], Delta::Model("gemini-2.5-flash".into()));
    assert!(matches!(d[2], Delta::Usage(u) if u.prompt_tokens == 3));
    assert_eq!(d[3], Delta::Thinking("hm".into()));
    assert_eq!(d[4], Delta::Text("{\"a\"".into()));
    assert_eq!(d.len(), 5);
    let d = frames(
        r#"{"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","args":{"x":1}},"thoughtSignature":"S"}]},"finishReason":"STOP"}]}"#,
    )
    .unwrap();
    assert_eq!(
        d,
        [
            Delta::WholeCall {
                tag: ";sig=S".into(),
                name: "f".into(),
                arguments: r#"{"x":1}"#.into()
            },
            Delta::Finish("stop".into()),
        ]
    );
    let d = frames(r#"{"promptFeedback":{"blockReason":"PROHIBITED_CONTENT"}}"#).unwrap();
    assert_eq!(
        d,
        [
            Delta::Text("prompt blocked: PROHIBITED_CONTENT".into()),
            Delta::Finish("content_filter".into())
        ]
    );
    assert_eq!(
        frames(r#"{"candidates":[{"finishReason":"MAX_TOKENS"}]}"#).unwrap(),
        [Delta::Finish("length".into())]
    );
}

#[test]
fn errors_in_a_stream_and_error_bodies() {
    assert_eq!(
        frames(r#"{"error":{"code":503,"message":"overloaded","status":"UNAVAILABLE"}}"#)
            .unwrap_err(),
        "UNAVAILABLE: overloaded"
    );
    assert_not_an_event(&Gemini, "a GenerateContentResponse");
    let fields = Gemini.error_fields(
        r#"{"error":{"code":429,"message":"Resource has been exhausted","status":"RESOURCE_EXHAUSTED",
            "details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"19s"}]}}"#,
    );
    assert_eq!(
        fields,
        ErrorFields {
            message: Some("Resource has been exhausted".into()),
            kind: Some("RESOURCE_EXHAUSTED".into()),
            code: Some("429".into()),
        }
    );
    assert_eq!(Gemini.error_fields("<html>"), ErrorFields::default());
    for status in [429, 500, 503, 504] {
        assert!(Gemini.retryable(status, ""), "{status}");
    }
    assert!(!Gemini.retryable(400, "") && !Gemini.retryable(403, ""));
}
