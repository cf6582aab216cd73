//! Tracing: one span per extraction and one per request, with the OpenTelemetry GenAI
//! attribute names, and never the API key.

mod client_support;

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::{Arc, Mutex};

use client_support::*;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

type Spans = Arc<Mutex<Vec<(String, BTreeMap<String, String>)>>>;

/// Records every span's name and fields (as written at creation and by `record`).
struct Recorder {
    spans: Spans,
    events: Arc<Mutex<Vec<String>>>,
}

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

impl Subscriber for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut fields = BTreeMap::new();
        span.record(&mut Fields(&mut fields));
        let mut spans = self.spans.lock().unwrap();
        spans.push((span.metadata().name().to_owned(), fields));
        Id::from_u64(spans.len() as u64)
    }
    fn record(&self, span: &Id, values: &Record<'_>) {
        let mut spans = self.spans.lock().unwrap();
        let entry = &mut spans[span.into_u64() as usize - 1];
        values.record(&mut Fields(&mut entry.1));
    }
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut fields = BTreeMap::new();
        event.record(&mut Fields(&mut fields));
        self.events.lock().unwrap().push(format!("{fields:?}"));
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[tokio::test]
async fn spans_carry_gen_ai_attributes() {
    let spans: Spans = Arc::default();
    let events = Arc::new(Mutex::new(Vec::new()));
    let _guard = tracing::subscriber::set_default(Recorder {
        spans: spans.clone(),
        events: events.clone(),
    });

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(content_reply(r#"{"name": "", "age": 20}"#, usage(100, 7))),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(content_reply(
            r#"{"name": "Jason", "age": 20}"#,
            usage(120, 8),
        )))
        .mount(&server)
        .await;
    client(&server)
        .extract::<UserDetails>()
        .user("Jason is 20")
        .temperature(0.5)
        .max_retries(1)
        .await
        .unwrap();

    let spans = spans.lock().unwrap().clone();
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
    let everything = format!("{spans:?} {:?}", events.lock().unwrap());
    assert!(!everything.contains(KEY));
}
