//! The HTTP calls of the batch APIs, each through the client's retry loop
//! (`Client::with_retries`: connection errors, timeouts, 408/409/429/5xx, `Retry-After`):
//! JSON answers read within the client's size limit, a request file sent as the body or as
//! a multipart form streamed from disk, a result file streamed to disk.

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use futures_util::stream::{self, StreamExt};
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE};
use reqwest::{Body, Method, Url};
use serde_json::Value;

use crate::batch_file::job::io_error;
use crate::client::body::transport_error;
use crate::client::transport::{Json, Reader, Received};
use crate::client::Client;
use crate::error::Error;
use crate::wire::Usage;

/// How much of a file one piece of an upload holds.
const PIECE: usize = 64 * 1024;

/// The URL `path` under `base` (the client's base URL).
pub(crate) fn url(base: &str, path: &str) -> Result<Url, Error> {
    let text = format!("{}{path}", base.trim_end_matches('/'));
    Url::parse(&text).map_err(|e| Error::Config(format!("the batch API URL {text:?}: {e}")))
}

/// `id` if it can name a batch or file in a URL path: letters, digits, `_` and `-` (what
/// OpenAI's and Anthropic's ids are made of), so a saved id cannot point elsewhere.
pub(crate) fn checked_id(id: &str) -> Result<&str, Error> {
    let ok = !id.is_empty()
        && id.len() <= 256
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(id)
    } else {
        Err(Error::Config(format!(
            "{id:?} is not a batch or file id (letters, digits, `_` and `-`)"
        )))
    }
}

/// A request body read from a file on each try (a retry sends it again from the start),
/// between bytes written before and after it: a JSON document as it is, or a multipart form.
pub(crate) struct FileBody {
    path: PathBuf,
    content_type: String,
    prefix: Vec<u8>,
    suffix: Vec<u8>,
}

impl FileBody {
    /// The file itself, as `application/json`.
    pub(crate) fn json(path: &Path) -> Self {
        Self {
            path: path.to_owned(),
            content_type: "application/json".to_owned(),
            prefix: Vec::new(),
            suffix: Vec::new(),
        }
    }

    /// A `multipart/form-data` form (RFC 7578) of the text `fields`, then the file as the
    /// field `file_field`, named by its file name.
    pub(crate) fn multipart(fields: &[(&str, &str)], file_field: &str, path: &Path) -> Self {
        let boundary = format!(
            "instructor-batch-{:016x}{:016x}",
            fastrand::u64(..),
            fastrand::u64(..)
        );
        let mut prefix = String::new();
        for (name, value) in fields {
            prefix.push_str(&format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            ));
        }
        let file_name: String = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "requests.jsonl".to_owned())
            .chars()
            .map(|c| {
                if c == '"' || c == '\\' || c.is_control() {
                    '_'
                } else {
                    c
                }
            })
            .collect();
        prefix.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{file_field}\"; \
             filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        ));
        Self {
            path: path.to_owned(),
            content_type: format!("multipart/form-data; boundary={boundary}"),
            prefix: prefix.into_bytes(),
            suffix: format!("\r\n--{boundary}--\r\n").into_bytes(),
        }
    }

    /// The body for one try, streamed from the file in 64 KiB pieces, and its length.
    fn open(&self) -> Result<(Body, u64), Error> {
        let (pieces, len) = self.pieces()?;
        Ok((Body::wrap_stream(pieces), len))
    }

    /// The bytes of the body for one try: the prefix, the file read from the start in
    /// 64 KiB pieces, the suffix; and their length.
    fn pieces(
        &self,
    ) -> Result<
        (
            impl futures_util::Stream<Item = std::io::Result<Vec<u8>>> + Send + 'static,
            u64,
        ),
        Error,
    > {
        let io = |e| io_error(&format!("reading {}", self.path.display()), e);
        let file = File::open(&self.path).map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        let file_pieces = stream::unfold(Some(file), |file| async move {
            let mut file = file?;
            let mut buf = vec![0u8; PIECE];
            match file.read(&mut buf) {
                Ok(0) => None,
                Ok(n) => {
                    buf.truncate(n);
                    Some((Ok(buf), Some(file)))
                }
                Err(e) => Some((Err(e), None)),
            }
        });
        let total = len + (self.prefix.len() + self.suffix.len()) as u64;
        let pieces = stream::iter([Ok::<_, std::io::Error>(self.prefix.clone())])
            .chain(file_pieces)
            .chain(stream::iter([Ok(self.suffix.clone())]));
        Ok((pieces, total))
    }
}

#[cfg(test)]
impl FileBody {
    /// The form's boundary.
    pub(crate) fn boundary(&self) -> &str {
        self.content_type
            .split_once("boundary=")
            .map_or("", |(_, b)| b)
    }

    /// The whole body one try sends, and the length it announces (the pieces are read
    /// without waiting: the file is read as each is asked for).
    pub(crate) fn read_whole(&self) -> (Vec<u8>, u64) {
        use futures_util::FutureExt;
        let (pieces, len) = self.pieces().unwrap();
        let pieces: Vec<std::io::Result<Vec<u8>>> = pieces.collect().now_or_never().unwrap();
        let bytes = pieces.into_iter().flat_map(Result::unwrap).collect();
        (bytes, len)
    }
}

/// What a call sends.
pub(crate) enum Payload<'a> {
    /// No body.
    Empty,
    /// A JSON body.
    Json(&'a Value),
    /// A body read from a file.
    File(&'a FileBody),
}

/// Sends `payload` to `url` with the client's headers, key and retry policy; gives the JSON
/// answer. The client's request timeout bounds each try.
pub(crate) async fn call(
    client: &Client,
    method: Method,
    url: &Url,
    payload: Payload<'_>,
) -> Result<Value, Error> {
    let json = match payload {
        Payload::Json(v) => Some(serde_json::to_vec(v).map_err(|e| Error::Config(e.to_string()))?),
        _ => None,
    };
    client
        .with_retries(0, &Json, |_| {
            let mut req = client.authorized(method.clone(), url.clone());
            if let Some(t) = client.request_timeout() {
                req = req.timeout(t);
            }
            Ok(match (&payload, &json) {
                (Payload::Json(_), Some(bytes)) => req
                    .header(CONTENT_TYPE, "application/json")
                    .body(bytes.clone()),
                (Payload::File(file), _) => {
                    let (body, len) = file.open()?;
                    req.header(CONTENT_TYPE, &file.content_type)
                        .header(CONTENT_LENGTH, len)
                        .body(body)
                }
                _ => req,
            })
        })
        .await
}

/// Streams a 2xx body to a file, piece by piece as it arrives: `Err` if no piece comes
/// within the client's request timeout.
struct ToFile<'a> {
    path: &'a Path,
}

impl Reader for ToFile<'_> {
    type Output = u64;
    const STREAM: bool = true;

    async fn read(&self, got: Received<'_>) -> Result<u64, Error> {
        let Received {
            client,
            mut response,
            ..
        } = got;
        let io = |e| io_error(&format!("writing {}", self.path.display()), e);
        let mut out = BufWriter::new(File::create(self.path).map_err(io)?);
        let mut written = 0u64;
        loop {
            let piece = match client.request_timeout() {
                None => response.chunk().await,
                Some(t) => match tokio::time::timeout(t, response.chunk()).await {
                    Ok(piece) => piece,
                    Err(_) => return Err(stalled(self.path, t)),
                },
            };
            match piece.map_err(transport_error)? {
                Some(bytes) => {
                    out.write_all(&bytes).map_err(io)?;
                    written += bytes.len() as u64;
                }
                None => break,
            }
        }
        out.flush().map_err(io)?;
        Ok(written)
    }
}

fn stalled(path: &Path, t: Duration) -> Error {
    Error::BatchFile(format!(
        "downloading {}: no data for {}s (the client's request timeout)",
        path.display(),
        t.as_secs()
    ))
}

/// Downloads `url` to `path`: written to `path` + `.part` as it arrives (never held in
/// memory), renamed when whole, so `path` is a whole file or absent. A failed try starts
/// the file again; a download that fails for good leaves no `.part`. Gives its size in
/// bytes.
pub(crate) async fn download(client: &Client, url: &Url, path: &Path) -> Result<u64, Error> {
    let mut part = path.as_os_str().to_owned();
    part.push(".part");
    let part = PathBuf::from(part);
    let size = client
        .with_retries(0, &ToFile { path: &part }, |_| {
            Ok(client.authorized(Method::GET, url.clone()))
        })
        .await
        .inspect_err(|_| {
            let _ = std::fs::remove_file(&part);
        })?;
    std::fs::rename(&part, path).map_err(|e| {
        io_error(
            &format!("renaming {} to {}", part.display(), path.display()),
            e,
        )
    })?;
    Ok(size)
}

/// The string field `name` of a batch API answer.
pub(crate) fn str_field(answer: &Value, name: &str) -> Result<String, Error> {
    answer[name].as_str().map(str::to_owned).ok_or_else(|| {
        unreadable(
            answer,
            format!("the batch API's answer has no string `{name}`"),
        )
    })
}

/// [`Error::Decode`] for a batch API answer the SDK cannot read: why, and the answer.
pub(crate) fn unreadable(answer: &Value, message: String) -> Error {
    Error::Decode {
        message,
        body: answer.to_string(),
        usage: Usage::default(),
    }
}
