//! HTTP/1.1 by hand over tokio sockets, for the servers that must write what they please
//! byte by byte ([`fault`](super::fault), [`lockstep`](super::lockstep)): reading one request,
//! writing a status line and headers, one chunk of a chunked body, a reset.

use std::time::Duration;

use serde_json::Value;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One request as a server read it.
#[derive(Debug, Clone)]
pub struct Request {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path as sent (`/v1/chat/completions`).
    pub path: String,
    /// Names in lower case, values trimmed.
    pub headers: Vec<(String, String)>,
    /// The `Content-Length` bytes after the head.
    pub body: Vec<u8>,
}

impl Request {
    /// The value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON (`null` if it is not).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    /// The text of the first `user` message.
    pub fn first_user(&self) -> String {
        self.json()["messages"]
            .as_array()
            .and_then(|m| m.iter().find(|m| m["role"] == "user"))
            .and_then(|m| m["content"].as_str())
            .unwrap_or_default()
            .to_owned()
    }

    /// The extraction attempt this request belongs to: 1 + the re-asks already made (each
    /// re-ask adds one `assistant` message, or one `tool` message in tools mode).
    pub fn attempt(&self) -> usize {
        let j = self.json();
        let msgs = j["messages"].as_array().cloned().unwrap_or_default();
        let tool = msgs.iter().filter(|m| m["role"] == "tool").count();
        let feedback = msgs
            .iter()
            .filter(|m| m["role"] == "user")
            .count()
            .saturating_sub(1);
        1 + tool.max(feedback)
    }

    /// Whether the body asks for a stream.
    pub fn streaming(&self) -> bool {
        self.json()["stream"] == true
    }
}

/// The head of a `200` event stream (chunked, so events can be written as they come).
pub(crate) const SSE_HEAD: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\
cache-control: no-cache\r\ntransfer-encoding: chunked\r\n\r\n";

/// `bytes` framed as one chunk of a chunked body.
pub(crate) fn chunk(bytes: &[u8]) -> Vec<u8> {
    let mut c = format!("{:x}\r\n", bytes.len()).into_bytes();
    c.extend_from_slice(bytes);
    c.extend_from_slice(b"\r\n");
    c
}

pub(crate) fn json_ct() -> Vec<(String, String)> {
    vec![("content-type".into(), "application/json".into())]
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        408 => "Request Timeout",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

pub(crate) fn head(status: u16, headers: &[(String, String)], len: Option<u64>) -> Vec<u8> {
    let mut h = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    for (n, v) in headers {
        h.push_str(&format!("{n}: {v}\r\n"));
    }
    match len {
        Some(n) => h.push_str(&format!("content-length: {n}\r\n")),
        None => h.push_str("transfer-encoding: chunked\r\n"),
    }
    h.push_str("\r\n");
    h.into_bytes()
}

pub(crate) async fn write(stream: &mut TcpStream, bytes: &[u8]) -> std::io::Result<()> {
    stream.write_all(bytes).await?;
    stream.flush().await
}

#[allow(deprecated)]
pub(crate) fn reset(stream: TcpStream) {
    // SO_LINGER 0: closing sends RST instead of FIN (and does not block).
    let _ = stream.set_linger(Some(Duration::ZERO));
    drop(stream);
}

/// Reads one request (headers, then a `Content-Length` body); `None` when the client closed
/// the connection or sent something unreadable.
pub(crate) async fn read_request(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Request> {
    let mut tmp = [0u8; 16 * 1024];
    let header_end = loop {
        if let Some(p) = find(buf, b"\r\n\r\n") {
            break p;
        }
        if buf.len() > 1 << 20 {
            return None;
        }
        let n = stream.read(&mut tmp).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&tmp[..n]);
    };
    let text = String::from_utf8_lossy(&buf[..header_end]).into_owned();
    let mut lines = text.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_owned();
    let path = first.next()?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let len: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let start = header_end + 4;
    while buf.len() < start + len {
        let n = stream.read(&mut tmp).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&tmp[..n]);
    }
    let body = buf[start..start + len].to_vec();
    buf.drain(..start + len);
    Some(Request {
        method,
        path,
        headers,
        body,
    })
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}
