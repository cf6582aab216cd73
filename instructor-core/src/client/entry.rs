//! The calls that start an extraction on a client: one value ([`Client::extract`]), the
//! calls of a tool set ([`Client::tool_calls`]), many inputs ([`Client::extract_many`]).

#[cfg(doc)]
use crate::batch::DEFAULT_CONCURRENCY;

use super::Client;
use crate::batch::ExtractMany;
use crate::extract::Extract;
use crate::mode::Mode;
use crate::tools::ToolSet;
use crate::Instructor;

impl Client {
    /// Starts an extraction of a `T` from the model's answer.
    ///
    /// ```no_run
    /// # use instructor_core::{Client, Extractable};
    /// # async fn run<UserDetails: Extractable>(client: Client) -> Result<(), instructor_core::Error> {
    /// let user: UserDetails = client
    ///     .extract::<UserDetails>()
    ///     .model("mistralai/Mixtral-8x7B-Instruct-v0.1")
    ///     .system("You are a world class extractor")
    ///     .user(r#"Extract the following entities: "Jason is 20""#)
    ///     .max_retries(2)
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn extract<T: Instructor>(&self) -> Extract<T> {
        Extract::new(self.clone())
    }

    /// A request for every call the model makes to the tools of `E`, one tool per variant,
    /// as many calls as the text needs in one reply: [`extract`](Self::extract)`::<Vec<E>>()`
    /// in [`Mode::ParallelTools`]. `E` derives `Instructor` with `#[instructor(tools)]`; see
    /// [`ToolSet`] and `docs/answers.md`.
    pub fn tool_calls<E: ToolSet>(&self) -> Extract<Vec<E>> {
        self.extract::<Vec<E>>().mode(Mode::ParallelTools)
    }

    /// Extracts a `T` from each input, several at a time: a batch of extractions that share
    /// this client's connection pool.
    ///
    /// By default each input (anything `Into<String>`) is sent as the user message of a
    /// request with the client's default model and mode; [`request`](ExtractMany::request)
    /// builds the request for each input instead. Awaiting the batch gives every input's
    /// result with the input's index, in input order; [`stream`](ExtractMany::stream) gives
    /// them as they finish.
    ///
    /// - at most [`concurrency`](ExtractMany::concurrency) extractions are in flight
    ///   (default [`DEFAULT_CONCURRENCY`]); inputs are read lazily, as slots free up;
    /// - a failed input does not stop the others: its `Err` is in its slot;
    /// - a `429 Too Many Requests` closes a gate shared by the whole batch for the
    ///   `Retry-After` the server asked for (or the backoff delay when it named none): new
    ///   requests, and transport retries, wait for it to open instead of adding to the load;
    /// - [`on_progress`](ExtractMany::on_progress) is called after each input finishes.
    ///
    /// ```no_run
    /// # use instructor_core::{Client, Instructor};
    /// # async fn run<User: Instructor + serde::de::DeserializeOwned + Send + 'static>(client: Client, texts: Vec<String>)
    /// # where User::Context: Default {
    /// let results = client
    ///     .extract_many::<User, _>(texts)
    ///     .request(|req, text| req.system("Extract the person.").user(text).max_retries(1))
    ///     .concurrency(32)
    ///     .on_progress(|p| eprintln!("{}/{:?} done, {} failed", p.completed, p.total, p.failed))
    ///     .await;
    /// for (index, result) in results {
    ///     match result {
    ///         Ok(user) => { /* ... */ }
    ///         Err(e) => eprintln!("input {index}: {e}"),
    ///     }
    /// }
    /// # }
    /// ```
    pub fn extract_many<T, I>(&self, inputs: I) -> ExtractMany<T, I::IntoIter>
    where
        T: Instructor,
        I: IntoIterator,
    {
        ExtractMany::new(self.clone(), inputs.into_iter())
    }
}
