//! Tracing: one span per extraction and one per request, with the OpenTelemetry GenAI
//! attribute names, and never the API key.

use crate::support::servers::mock::{answer, answer_always, json_ok};
use crate::support::trace::Recorder;
use crate::support::*;

#[tokio::test]
async fn spans_carry_gen_ai_attributes() {
    // This thread's own recorder: the runtime of `#[tokio::test]` runs on this thread only.
    let (recorder, _guard) = Recorder::scoped();

    let server = wiremock::MockServer::start().await;
    answer(
        &server,
        json_ok(content_reply(r#"{"name": "", "age": 20}"#, usage(100, 7))),
        1,
    )
    .await;
    answer_always(&server, json_ok(content_reply(JASON, usage(120, 8)))).await;
    client(&server)
        .extract::<UserDetails>()
        .user("Jason is 20")
        .temperature(0.5)
        .max_retries(1)
        .await
        .unwrap();

    let spans = recorder.spans();
    let ours: Vec<_> = spans
        .iter()
        .filter(|(name, _)| name == "instructor.extract" || name == "gen_ai.chat")
        .collect();
    assert_eq!(ours.len(), 3, "{spans:#?}");
    let (name, extract) = ours[0];
    assert_eq!(name, "instructor.extract");
    assert_eq!(extract["gen_ai.request.model"], "test-model");
    assert_eq!(extract["gen_ai.operation.name"], "\"chat\"");
    assert_eq!(extract["instructor.type"], "UserDetails");
    assert_eq!(extract["instructor.attempts"], "2");
    assert_eq!(extract["gen_ai.usage.input_tokens"], "220");
    assert_eq!(extract["gen_ai.usage.output_tokens"], "15");
    for (i, (name, attempt)) in ours[1..].iter().enumerate() {
        assert_eq!(name, "gen_ai.chat");
        assert_eq!(attempt["otel.name"], "chat test-model");
        assert_eq!(attempt["instructor.attempt"], (i + 1).to_string());
        assert_eq!(attempt["gen_ai.request.temperature"], "0.5");
        assert_eq!(attempt["gen_ai.response.id"], "\"chatcmpl-1\"");
        assert_eq!(attempt["gen_ai.response.finish_reasons"], "[\"stop\"]");
    }
    assert_eq!(ours[1].1["gen_ai.usage.input_tokens"], "100");
    assert_eq!(ours[2].1["gen_ai.usage.output_tokens"], "8");
    recorder.assert_never_shows(KEY);
}
