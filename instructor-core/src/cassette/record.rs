//! Recording: each exchange sent over the network, appended to the file as one line when its
//! answer has been read (a stream's when it ends, or when its reader lets it go).

use std::fs::{self, File};
use std::future::Future;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use futures_util::StreamExt;

use crate::cassette::exchange::{response, Call, Exchange};
use crate::client::body::read_limited;
use crate::error::Error;

/// The file a recording cassette writes, behind one lock: a line is written whole, whatever
/// the number of extractions recording at once.
#[derive(Debug)]
pub(crate) struct Writer {
    path: PathBuf,
    file: Mutex<File>,
}

impl Writer {
    /// Starts the file at `path` afresh (and the folders it is in).
    pub(crate) fn create(path: &Path) -> Result<Self, Error> {
        let cannot = |e| cannot_record(path, e);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir).map_err(cannot)?;
        }
        let file = File::create(path).map_err(cannot)?;
        Ok(Self {
            path: path.to_owned(),
            file: Mutex::new(file),
        })
    }

    /// Appends `exchange` as one line.
    pub(crate) fn append(&self, exchange: &Exchange) -> Result<(), Error> {
        let mut line = serde_json::to_string(exchange)
            .map_err(|e| Error::Cassette(format!("cannot write an exchange as JSON: {e}")))?;
        line.push('\n');
        let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        file.write_all(line.as_bytes())
            .map_err(|e| cannot_record(&self.path, e))
    }
}

/// [`Error::Cassette`] for a recording that cannot be written to `path`.
fn cannot_record(path: &Path, e: std::io::Error) -> Error {
    Error::Cassette(format!("cannot record to `{}`: {e}", path.display()))
}

/// Sends `call` with `send`, and records what the server answered. A whole body is read
/// here (within the call's limit) and handed on as it came; a stream's bytes are handed on
/// as they come and recorded when it is over. A failure to connect or to read is not
/// recorded (the transport retries it, and a replay serves what the retry got).
pub(crate) async fn record<F>(
    writer: &Arc<Writer>,
    call: Call<'_>,
    send: F,
) -> Result<reqwest::Response, Error>
where
    F: Future<Output = Result<reqwest::Response, Error>>,
{
    let resp = send.await?;
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    if call.stream && resp.status().is_success() {
        let tape = Tape {
            writer: writer.clone(),
            exchange: Exchange::head(&call, status, &headers),
            key: call.key.map(str::to_owned),
            bytes: Vec::new(),
        };
        let body = futures_util::stream::unfold(
            (resp.bytes_stream(), tape),
            |(mut bytes, mut tape)| async move {
                let next = bytes.next().await?;
                if let Ok(chunk) = &next {
                    tape.bytes.extend_from_slice(chunk);
                }
                Some((next, (bytes, tape)))
            },
        );
        return Ok(response(status, &headers, reqwest::Body::wrap_stream(body)));
    }
    let bytes = read_limited(resp, call.limit).await?;
    writer.append(&Exchange::new(&call, status, &headers, &bytes, false))?;
    Ok(response(status, &headers, reqwest::Body::from(bytes)))
}

/// A stream being recorded: its bytes so far, written as an exchange when the stream is
/// dropped (at its end, or when its reader stops early: then what was read).
struct Tape {
    writer: Arc<Writer>,
    /// The exchange without its body yet.
    exchange: Exchange,
    /// The key, scrubbed out of the body.
    key: Option<String>,
    bytes: Vec<u8>,
}

impl Drop for Tape {
    fn drop(&mut self) {
        self.exchange
            .set_body(&self.bytes, true, self.key.as_deref());
        if let Err(e) = self.writer.append(&self.exchange) {
            tracing::warn!(error = %e, "a streamed exchange was not recorded");
        }
    }
}
