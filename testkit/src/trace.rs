//! One tracing recorder: every span (with its fields as created and as later recorded) and
//! every event. Installed for one thread ([`Recorder::scoped`]) to read a test's spans, and
//! for the whole test binary ([`Recorder::global`]) to check that no line ever carries a
//! secret.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::{Arc, Mutex, OnceLock};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::DefaultGuard;
use tracing::{Event, Metadata, Subscriber};

/// A span's fields by name, each value as `Debug` writes it.
pub type Fields = BTreeMap<String, String>;

#[derive(Default)]
struct Recorded {
    /// Each span's name and fields; a later `record` overwrites a field.
    spans: Vec<(String, Fields)>,
    /// Every span, record and event as it was written (nothing overwritten).
    lines: Vec<String>,
}

/// The recorder: a shared log of spans and lines, and the subscriber that fills it.
#[derive(Clone, Default)]
pub struct Recorder(Arc<Mutex<Recorded>>);

struct Visitor<'a>(&'a mut Fields);

impl Visit for Visitor<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.0
            .insert(field.name().to_owned(), format!("{value} {value:?}"));
    }
}

impl Recorder {
    /// Records what this thread traces until the guard is dropped.
    ///
    /// Installs the [`global`](Self::global) recorder first: tracing-core caches whether a
    /// callsite is enabled when a thread first reaches it, and while only one dispatcher
    /// exists it asks that thread's default, which on another test's thread is none. With
    /// the global recorder enabling everything, no callsite is ever cached as disabled, and
    /// this thread's spans all reach this recorder.
    pub fn scoped() -> (Self, DefaultGuard) {
        Self::global();
        let recorder = Self::default();
        let guard = tracing::subscriber::set_default(recorder.clone());
        (recorder, guard)
    }

    /// The recorder of the whole binary, installed by the first call.
    pub fn global() -> &'static Self {
        static GLOBAL: OnceLock<Recorder> = OnceLock::new();
        GLOBAL.get_or_init(|| {
            let recorder = Self::default();
            tracing::subscriber::set_global_default(recorder.clone())
                .expect("no other global subscriber in this binary");
            recorder
        })
    }

    /// Every span so far, with its fields as last recorded.
    pub fn spans(&self) -> Vec<(String, Fields)> {
        self.0.lock().unwrap().spans.clone()
    }

    /// Something was recorded, and `secret` is in no line of it.
    pub fn assert_never_shows(&self, secret: &str) {
        let recorded = self.0.lock().unwrap();
        assert!(!recorded.lines.is_empty(), "nothing was traced");
        for line in &recorded.lines {
            assert!(!line.contains(secret), "the secret in a trace line: {line}");
        }
    }
}

impl Subscriber for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut fields = Fields::new();
        span.record(&mut Visitor(&mut fields));
        let name = span.metadata().name().to_owned();
        let mut recorded = self.0.lock().unwrap();
        recorded.lines.push(format!("span {name} {fields:?}"));
        recorded.spans.push((name, fields));
        Id::from_u64(recorded.spans.len() as u64)
    }
    fn record(&self, span: &Id, values: &Record<'_>) {
        let mut fields = Fields::new();
        values.record(&mut Visitor(&mut fields));
        let mut recorded = self.0.lock().unwrap();
        recorded.lines.push(format!("record {fields:?}"));
        recorded.spans[span.into_u64() as usize - 1]
            .1
            .extend(fields);
    }
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut fields = Fields::new();
        event.record(&mut Visitor(&mut fields));
        self.0
            .lock()
            .unwrap()
            .lines
            .push(format!("event {} {fields:?}", event.metadata().target()));
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}
