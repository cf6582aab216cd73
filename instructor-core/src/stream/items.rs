//! The list a [`stream_iter`](crate::Extract::stream_iter) answer is asked for:
//! `{"items": [T, ...]}`, as Python instructor's `Iterable[T]`.

use std::borrow::Cow;
use std::marker::PhantomData;

use serde_json::{json, Value};

use crate::schema::SchemaGenerator;
use crate::Instructor;

/// `{"items": [T, ...]}`: only its schema is used; the elements are read one by one.
pub(crate) struct Items<T>(PhantomData<fn() -> T>);

impl<T: Instructor> Instructor for Items<T> {
    type Partial = ();
    type Context = ();

    fn schema_name() -> Cow<'static, str> {
        Cow::Owned(format!("{}List", T::schema_name()))
    }

    fn description() -> Option<&'static str> {
        Some("Every item found, in order.")
    }

    fn schema(gen: &mut SchemaGenerator) -> Value {
        let items = T::schema(gen);
        json!({
            "type": "object",
            "title": Self::schema_name(),
            "description": "Every item found, in order.",
            "properties": { "items": { "type": "array", "items": items } },
            "required": ["items"],
        })
    }

    fn partial_from_value(_: Value) -> Option<()> {
        None
    }
}
