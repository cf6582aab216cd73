//! An HTTP server that sends one SSE event each time the test asks for one, so the test
//! sees exactly the partial value each event produces.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

pub struct Lockstep {
    url: String,
    events: mpsc::UnboundedSender<Option<Vec<u8>>>,
}

impl Lockstep {
    /// Listens on 127.0.0.1, answers the first request with the head of an event stream,
    /// then waits for [`send`](Self::send).
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/v1", listener.local_addr().unwrap());
        let (tx, mut rx) = mpsc::unbounded_channel::<Option<Vec<u8>>>();
        tokio::spawn(async move {
            let (mut sock, _) = listener.accept().await.unwrap();
            let mut buf = vec![0u8; 65536];
            let mut read = Vec::new();
            // Read the request: headers, then Content-Length bytes.
            loop {
                let n = sock.read(&mut buf).await.unwrap();
                read.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&read).to_string();
                if let Some(end) = text.find("\r\n\r\n") {
                    let len: usize = text
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse().unwrap())
                        })
                        .unwrap_or(0);
                    if read.len() >= end + 4 + len {
                        break;
                    }
                }
            }
            sock.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n")
                .await
                .unwrap();
            while let Some(event) = rx.recv().await {
                match event {
                    Some(e) => {
                        let mut chunk = format!("{:x}\r\n", e.len()).into_bytes();
                        chunk.extend_from_slice(&e);
                        chunk.extend_from_slice(b"\r\n");
                        if sock.write_all(&chunk).await.is_err() {
                            return;
                        }
                    }
                    // `None`: cut the connection here.
                    None => return,
                }
            }
            let _ = sock.write_all(b"0\r\n\r\n").await;
        });
        Lockstep { url, events: tx }
    }

    pub fn base(&self) -> String {
        self.url.clone()
    }

    /// Sends `sse`'s events as one chunk; false once the server's task has ended (the
    /// client went away).
    pub fn send(&self, sse: crate::support::sse::Sse) -> bool {
        self.events.send(Some(sse.body())).is_ok()
    }

    /// Cuts the connection.
    pub fn cut(&self) {
        self.events.send(None).unwrap();
    }

    /// Ends the body cleanly after what was sent.
    pub fn finish(self) {
        drop(self.events);
    }
}
