//! The benchmarks' server script: fixed answers chosen by the first segment of the path, so
//! one [`FaultServer`](super::fault::FaultServer) serves every benchmark case at once (also
//! `cargo bench --bench probe -- serve ADDR`, which `examples/batch.rs` can run against).

use std::time::Duration;

use super::fault::{Fault, Request};
use crate::replies::{content_reply, usage};
use crate::types::sample_report;

/// What the SDK's re-ask message starts with; the `reask` route answers it with a valid reply.
pub const REASK_MARKER: &[u8] = b"Your answer has ";

/// A chat completion whose message content is `content`.
fn completion(content: &str) -> Fault {
    Fault::ok(&content_reply(content, usage(90, 12)))
}

/// The handler of the routes, by the path prefix of the base URL (`http://ADDR/<route>/v1`):
///
/// - `small`: the `UserDetails` reply;
/// - `large`: the `Report` reply;
/// - `reask`: an invalid `UserDetails` (age 200), unless the request carries the re-ask
///   message, then a valid one;
/// - `slow`: the `UserDetails` reply after 200 ms (keeps many requests in flight);
/// - `limited`: every 50th request answers 429 with `Retry-After: 0.05`.
pub fn routes() -> impl Fn(&Request, usize) -> Fault + Send + Sync + 'static {
    let small = completion(r#"{"name":"Jason","age":20}"#);
    let invalid = completion(r#"{"name":"Jason","age":200}"#);
    let large = completion(&serde_json::to_string(&sample_report()).unwrap());
    move |req, n| {
        let route = req.path.trim_start_matches('/').split('/').next();
        match route.unwrap_or("") {
            "large" => large.clone(),
            "reask" if contains(&req.body, REASK_MARKER) => small.clone(),
            "reask" => invalid.clone(),
            "slow" => Fault::Delayed(Duration::from_millis(200), Box::new(small.clone())),
            "limited" if n % 50 == 49 => Fault::bytes(
                429,
                r#"{"error":{"message":"slow down","type":"rate_limit"}}"#,
            )
            .header("retry-after", "0.05"),
            _ => small.clone(),
        }
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}
