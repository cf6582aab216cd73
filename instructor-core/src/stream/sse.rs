//! Server-sent events: bytes in, events out.
//!
//! The events are decoded here rather than by `eventsource-stream`: that crate re-scans the
//! pending line from its start on every chunk (quadratic for one large event arriving in
//! small pieces) and copies its buffer for every line; this decoder is linear and stops at
//! the client's [`max_response_bytes`](crate::ClientBuilder::max_response_bytes).

/// One event: its `event:` name (empty for the default) and its `data:` lines joined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SseEvent {
    pub event: String,
    pub data: String,
}

/// Why the event stream cannot be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SseError {
    /// More bytes than the limit.
    TooLarge,
    /// A line that is not UTF-8.
    InvalidUtf8,
}

/// A server-sent events decoder: bytes in, events out, linear in the input and bounded by
/// `limit` bytes in all.
#[derive(Debug)]
pub(crate) struct SseDecoder {
    buf: Vec<u8>,
    /// How much of `buf` has been searched for a line end already.
    scanned: usize,
    /// Nothing has been decoded yet: a byte-order mark may still come first.
    at_start: bool,
    /// The last line ended with `\r`: a `\n` right after it belongs to it.
    skip_lf: bool,
    event: String,
    data: String,
    has_data: bool,
    total: usize,
    limit: usize,
}

impl SseDecoder {
    pub(crate) fn new(limit: usize) -> Self {
        Self {
            buf: Vec::new(),
            scanned: 0,
            at_start: true,
            skip_lf: false,
            event: String::new(),
            data: String::new(),
            has_data: false,
            total: 0,
            limit,
        }
    }

    /// Decodes `chunk`, appending the events it completes to `out`.
    pub(crate) fn push(&mut self, chunk: &[u8], out: &mut Vec<SseEvent>) -> Result<(), SseError> {
        self.total = self.total.saturating_add(chunk.len());
        if self.total > self.limit {
            return Err(SseError::TooLarge);
        }
        self.buf.extend_from_slice(chunk);
        if self.at_start {
            // The standard: one leading U+FEFF must be ignored. Wait until it is whole.
            const BOM: &[u8] = b"\xEF\xBB\xBF";
            if self.buf.len() < BOM.len() && BOM.starts_with(&self.buf) {
                return Ok(());
            }
            if self.buf.starts_with(BOM) {
                self.buf.drain(..BOM.len());
            }
            self.at_start = false;
        }
        let mut start = 0;
        let mut i = self.scanned;
        while i < self.buf.len() {
            let b = self.buf[i];
            if self.skip_lf && i == start {
                self.skip_lf = false;
                if b == b'\n' {
                    start += 1;
                    i += 1;
                    continue;
                }
            }
            if b == b'\n' || b == b'\r' {
                let line =
                    std::str::from_utf8(&self.buf[start..i]).map_err(|_| SseError::InvalidUtf8)?;
                Self::line(
                    line,
                    &mut self.event,
                    &mut self.data,
                    &mut self.has_data,
                    out,
                );
                self.skip_lf = b == b'\r';
                start = i + 1;
            }
            i += 1;
        }
        self.buf.drain(..start);
        self.scanned = self.buf.len();
        Ok(())
    }

    fn line(
        line: &str,
        event: &mut String,
        data: &mut String,
        has_data: &mut bool,
        out: &mut Vec<SseEvent>,
    ) {
        if line.is_empty() {
            if *has_data {
                out.push(SseEvent {
                    event: std::mem::take(event),
                    data: std::mem::take(data),
                });
            }
            event.clear();
            *has_data = false;
            return;
        }
        if line.starts_with(':') {
            return;
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        match field {
            "data" => {
                if *has_data {
                    data.push('\n');
                }
                data.push_str(value);
                *has_data = true;
            }
            "event" => {
                event.clear();
                event.push_str(value);
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(chunks: &[&[u8]]) -> Vec<SseEvent> {
        let mut d = SseDecoder::new(usize::MAX);
        let mut out = Vec::new();
        for c in chunks {
            d.push(c, &mut out).unwrap();
        }
        out
    }

    fn ev(event: &str, data: &str) -> SseEvent {
        SseEvent {
            event: event.into(),
            data: data.into(),
        }
    }

    #[test]
    fn sse_lines_comments_and_multiline_data() {
        let text = b": keep-alive\n\ndata: {\"a\":1}\n\nevent: error\ndata: line one\ndata: line two\n\ndata:[DONE]\n\n";
        assert_eq!(
            decode(&[text]),
            vec![
                ev("", "{\"a\":1}"),
                ev("error", "line one\nline two"),
                ev("", "[DONE]"),
            ]
        );
    }

    #[test]
    fn sse_split_at_every_byte_and_every_line_ending() {
        for ending in ["\n", "\r\n", "\r"] {
            let text = format!("data: x{ending}data: y{ending}{ending}data: z{ending}{ending}");
            let bytes = text.as_bytes();
            let one: Vec<&[u8]> = bytes.chunks(1).collect();
            assert_eq!(
                decode(&one),
                vec![ev("", "x\ny"), ev("", "z")],
                "{ending:?}"
            );
            for cut in 0..bytes.len() {
                let (a, b) = bytes.split_at(cut);
                assert_eq!(
                    decode(&[a, b]),
                    vec![ev("", "x\ny"), ev("", "z")],
                    "{ending:?} {cut}"
                );
            }
        }
    }

    #[test]
    fn sse_unfinished_event_is_not_dispatched_and_limit_holds() {
        assert_eq!(decode(&[b"data: partial"]), vec![]);
        let mut d = SseDecoder::new(10);
        let mut out = Vec::new();
        assert_eq!(d.push(b"data: 12345", &mut out), Err(SseError::TooLarge));
        let mut d = SseDecoder::new(100);
        assert_eq!(
            d.push(b"data: \xff\n", &mut out),
            Err(SseError::InvalidUtf8)
        );
    }

    #[test]
    fn a_leading_byte_order_mark_is_dropped_however_it_is_split() {
        // The SSE standard: "One leading U+FEFF BYTE ORDER MARK character must be ignored
        // if any are present." Only at the start of the stream.
        let text = b"\xEF\xBB\xBFdata: x\n\ndata: \xEF\xBB\xBFy\n\n";
        let want = vec![ev("", "x"), ev("", "\u{feff}y")];
        for cut in 0..text.len() {
            let (a, b) = text.split_at(cut);
            assert_eq!(decode(&[a, b]), want, "cut at {cut}");
        }
        let one: Vec<&[u8]> = text.chunks(1).collect();
        assert_eq!(decode(&one), want);
    }

    #[test]
    fn sse_one_large_event_in_small_chunks_is_decoded_once() {
        let data = "x".repeat(200_000);
        let text = format!("data: {data}\n\n");
        let chunks: Vec<&[u8]> = text.as_bytes().chunks(7).collect();
        let events = decode(&chunks);
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].data.len(), 200_000);
    }
}
