//! A response body read within a size limit, and a reqwest failure as an [`Error`]: shared
//! by the transport and the cassette's recorder, which both read bodies off the wire.

use std::sync::Arc;

use crate::error::Error;
use crate::wire::Usage;

/// A reqwest failure as [`Error::Timeout`] or [`Error::Transport`].
pub(crate) fn transport_error(e: reqwest::Error) -> Error {
    if e.is_timeout() {
        Error::Timeout {
            source: Arc::new(e),
            usage: Usage::default(),
        }
    } else {
        Error::Transport {
            source: Arc::new(e),
            usage: Usage::default(),
        }
    }
}

/// The whole body of `resp`, or [`Error::ResponseTooLarge`] past `limit` bytes.
pub(crate) async fn read_limited(
    mut resp: reqwest::Response,
    limit: usize,
) -> Result<Vec<u8>, Error> {
    if resp.content_length().is_some_and(|n| n > limit as u64) {
        return Err(Error::ResponseTooLarge {
            limit,
            usage: Usage::default(),
        });
    }
    let mut buf = Vec::with_capacity(resp.content_length().unwrap_or(0) as usize);
    while let Some(chunk) = resp.chunk().await.map_err(transport_error)? {
        if buf.len() + chunk.len() > limit {
            return Err(Error::ResponseTooLarge {
                limit,
                usage: Usage::default(),
            });
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf)
}
