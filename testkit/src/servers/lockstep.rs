//! An HTTP server that sends one SSE event each time the test asks for one, so the test
//! sees exactly the partial value each event produces.

use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use super::http::{chunk, read_request, SSE_HEAD};
use crate::sse::Sse;

/// The server's URL and the line to its one connection's writer: `Some(event)` writes it,
/// `None` cuts the connection, and dropping the sender ends the body.
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
            let mut buf = Vec::new();
            read_request(&mut sock, &mut buf).await.unwrap();
            sock.write_all(SSE_HEAD).await.unwrap();
            while let Some(event) = rx.recv().await {
                match event {
                    Some(e) => {
                        if sock.write_all(&chunk(&e)).await.is_err() {
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

    /// The `/v1` base URL.
    pub fn base(&self) -> String {
        self.url.clone()
    }

    /// Sends `sse`'s events as one chunk; false once the server's task has ended (the
    /// client went away).
    pub fn send(&self, sse: Sse) -> bool {
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
