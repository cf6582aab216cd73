//! Streaming extraction: typed partial values while the model writes
//! ([`Extract::stream_partial`]) and the elements of a list one by one
//! ([`Extract::stream_iter`]).
//!
//! The answer arrives as server-sent events (`sse.rs`); one streamed answer is gathered and
//! parsed as it arrives by a session (`session.rs`, with `fence.rs` for
//! [`Mode::MdJson`](crate::Mode::MdJson)); the driver (`driver.rs`) runs the attempts. When
//! the consumer is slower than the network, every chunk that has arrived is parsed but only
//! one snapshot is built per poll.

mod driver;
mod fence;
mod items;
mod session;
mod sse;

use std::pin::Pin;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_util::stream::{self, BoxStream};
use futures_util::{Stream, StreamExt};
use serde::de::DeserializeOwned;

use self::driver::{Driver, Step};
use self::session::Shape;
use crate::attempt::Extraction;
use crate::error::Error;
use crate::extract::Extract;
use crate::validation::context::ValidationContext;
use crate::Instructor;

/// What the driver of a [`PartialStream`] emits.
enum Emit<T: Instructor> {
    Partial(T::Partial),
    Done(T, Extraction),
    Failed(Error),
}

/// Typed partial values of a `T` as the model writes it, from
/// [`Extract::stream_partial`].
///
/// Each item is the value so far, yielded when it changed; fields fill in as they arrive
/// (strings as they are written, numbers once complete). When the answer ends, it is parsed
/// as a `T` and validated like a non-streamed one; if it fails and re-asks are left
/// ([`max_retries`](Extract::max_retries)), the model is asked again and **the partials start
/// over from the new attempt** ([`attempt`](Self::attempt) says which one is streaming). A
/// failure ends the stream with one `Err` item.
///
/// Get the validated value with [`into_final`](Self::into_final). Dropping the stream
/// closes the connection.
#[must_use = "a stream does nothing unless polled"]
pub struct PartialStream<T: Instructor> {
    events: BoxStream<'static, Emit<T>>,
    attempt: Arc<AtomicU32>,
    outcome: Option<Result<(T, Extraction), Error>>,
}

impl<T: Instructor> Stream for PartialStream<T> {
    type Item = Result<T::Partial, Error>;
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        Poll::Ready(match std::task::ready!(this.events.poll_next_unpin(cx)) {
            Some(Emit::Partial(p)) => Some(Ok(p)),
            Some(Emit::Done(value, extraction)) => {
                this.outcome = Some(Ok((value, extraction)));
                None
            }
            Some(Emit::Failed(e)) => {
                this.outcome = Some(Err(e.clone()));
                Some(Err(e))
            }
            None => None,
        })
    }
}

// The value is only ever moved out, never pinned.
impl<T: Instructor> Unpin for PartialStream<T> {}

impl<T: Instructor> PartialStream<T> {
    /// Which attempt is streaming: 1 for the first request, 2 after the first re-ask, ...
    /// (0 before the first request is sent).
    pub fn attempt(&self) -> u32 {
        self.attempt.load(Ordering::Relaxed)
    }

    /// Reads the rest of the stream and returns the validated value.
    pub async fn into_final(self) -> Result<T, Error> {
        self.into_final_with_extraction().await.map(|(v, _)| v)
    }

    /// [`into_final`](Self::into_final), also returning every attempt and the usage summed
    /// over them.
    pub async fn into_final_with_extraction(mut self) -> Result<(T, Extraction), Error> {
        while self.next().await.is_some() {}
        self.outcome.take().unwrap_or_else(|| {
            Err(Error::Config(
                "the stream's outcome was already taken by into_final".into(),
            ))
        })
    }
}

impl<T: Instructor> std::fmt::Debug for PartialStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PartialStream")
            .field("type", &std::any::type_name::<T>())
            .field("attempt", &self.attempt())
            .finish_non_exhaustive()
    }
}

/// The elements of a list, each as soon as its closing brace arrives, from
/// [`Extract::stream_iter`].
///
/// The model is asked for `{"items": [T, ...]}`. Each element is parsed and validated on
/// its own: a valid one is yielded as `Ok(T)`, an invalid one as
/// `Err(Error::InvalidItem { index, .. })`, and the others still flow. There is no re-ask.
/// A failure of the whole answer (cut off, refused, not a list) ends the stream with one
/// `Err` item. Dropping the stream closes the connection.
#[must_use = "a stream does nothing unless polled"]
pub struct ItemStream<T> {
    items: BoxStream<'static, Result<T, Error>>,
}

impl<T> Stream for ItemStream<T> {
    type Item = Result<T, Error>;
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().items.poll_next_unpin(cx)
    }
}

impl<T> std::fmt::Debug for ItemStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ItemStream")
            .field("type", &std::any::type_name::<T>())
            .finish_non_exhaustive()
    }
}

impl<T, C> Extract<T, C>
where
    T: Instructor + DeserializeOwned + Send + 'static,
    T::Partial: Send,
    C: ValidationContext<T>,
{
    /// Streams typed partial values of `T` as the model writes them; see [`PartialStream`].
    ///
    /// ```no_run
    /// # use futures_util::StreamExt;
    /// # #[derive(serde::Deserialize)] struct Report { title: String }
    /// # impl instructor_core::Instructor for Report {
    /// #     type Partial = Option<String>; type Context = ();
    /// #     fn schema_name() -> std::borrow::Cow<'static, str> { "Report".into() }
    /// #     fn schema(_: &mut instructor_core::schema::SchemaGenerator) -> serde_json::Value { serde_json::json!({"type": "object"}) }
    /// #     fn partial_from_value(v: serde_json::Value) -> Option<Self::Partial> { Some(v["title"].as_str().map(str::to_owned)) }
    /// # }
    /// # async fn run(client: instructor_core::Client) -> Result<(), instructor_core::Error> {
    /// let mut partials = client.extract::<Report>().model("m").user("...").stream_partial();
    /// while let Some(partial) = partials.next().await {
    ///     println!("{:?}", partial?);
    /// }
    /// let report: Report = partials.into_final().await?;
    /// # Ok(()) }
    /// ```
    pub fn stream_partial(self) -> PartialStream<T> {
        let driver = match Driver::new(self, Shape::Value) {
            Ok(d) => d,
            Err(e) => {
                return PartialStream {
                    events: stream::once(async { Emit::Failed(e) }).boxed(),
                    attempt: Arc::default(),
                    outcome: None,
                }
            }
        };
        let attempt = driver.attempt.clone();
        // Fused: `into_final` reads on after the end.
        let events = stream::unfold(Some(driver), |driver| async move {
            let mut d = driver?;
            loop {
                match d.step_partial().await {
                    Ok(Step::Continue) => {}
                    Ok(Step::Yield(p)) => return Some((Emit::Partial(p), Some(d))),
                    Ok(Step::Done((value, extraction))) => {
                        return Some((Emit::Done(value, extraction), None))
                    }
                    Err(e) => return Some((Emit::Failed(d.fail(e)), None)),
                }
            }
        });
        PartialStream {
            events: events.fuse().boxed(),
            attempt,
            outcome: None,
        }
    }

    /// Streams the elements of a list of `T`, each validated as soon as it is complete; see
    /// [`ItemStream`].
    pub fn stream_iter(self) -> ItemStream<T> {
        let driver = match Driver::new(self, Shape::Items) {
            Ok(d) => d,
            Err(e) => {
                return ItemStream {
                    items: stream::once(async { Err(e) }).boxed(),
                }
            }
        };
        let items = stream::unfold(Some(driver), |driver| async move {
            let mut d = driver?;
            loop {
                match d.step_item().await {
                    Ok(Step::Continue) => {}
                    Ok(Step::Yield(item)) => return Some((item, Some(d))),
                    Ok(Step::Done(())) => return None,
                    Err(e) => return Some((Err(d.fail(e)), None)),
                }
            }
        });
        ItemStream {
            items: items.fuse().boxed(),
        }
    }
}
