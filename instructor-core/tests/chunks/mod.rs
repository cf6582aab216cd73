//! Cutting a document into `&str` chunks, shared by the parser's unit tests and its bench
//! (`benches/partial_json.rs`, which takes this file by path).

/// `doc` cut into `&str` chunks of about `chunk` bytes (at character boundaries), as a
/// server-sent-events layer delivers them.
pub fn str_chunks(doc: &str, chunk: usize) -> Vec<&str> {
    let mut chunks = Vec::new();
    let mut start = 0;
    while start < doc.len() {
        let mut end = (start + chunk).min(doc.len());
        while !doc.is_char_boundary(end) {
            end += 1;
        }
        chunks.push(&doc[start..end]);
        start = end;
    }
    chunks
}
