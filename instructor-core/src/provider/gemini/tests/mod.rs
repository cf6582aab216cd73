//! The Gemini dialect's unit tests: each mode's exact body, the URL, re-ask turns, each kind
//! of reply, stream frames and error bodies.

mod decode;
mod encode;
mod schema;
mod stream;
