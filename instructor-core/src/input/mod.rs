//! Inputs beyond text: a user message made of parts, each text, an [`Image`], a [`Pdf`] or
//! [`Audio`], sent as the content parts of OpenAI's chat-completions API. See
//! `docs/inputs.md` for which server reads which part.
//!
//! ```no_run
//! # async fn run(client: instructor_core::Client) -> Result<(), instructor_core::Error> {
//! use instructor_core::Image;
//! let total: f64 = client
//!     .extract::<f64>()
//!     .user_parts(("What is the total of this receipt?", Image::from_path("receipt.png")?))
//!     .await?;
//! # Ok(()) }
//! ```

mod audio;
mod image;
mod media;
mod part;
mod pdf;

pub use self::audio::{Audio, AudioFormat};
pub use self::image::{Detail, Image};
pub use self::part::{Content, IntoParts, Part};
pub use self::pdf::Pdf;
