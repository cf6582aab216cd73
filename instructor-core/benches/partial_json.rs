//! Throughput of the incremental JSON parser, next to `serde_json::from_slice` of the same
//! document, for documents of 1 KB to 1 MB, and the cost of a snapshot as the value grows.
//!
//! Two ways to run it:
//!
//! ```text
//! # criterion (wall clock; noisy on a shared machine)
//! cargo bench -p instructor-core --bench partial_json -- --warm-up-time 1 --measurement-time 3
//! # one measured workload, for callgrind (see benches/support/partial_json_callgrind.sh)
//! partial_json-HASH probe parse str|bytes|serde SIZE CHUNK REPS [records|pretty|text]
//! partial_json-HASH probe snapshot SIZE K none|owned|ref|ref+clone [DELTA]
//! partial_json-HASH probe len SIZE [records|pretty|text]
//! ```
//!
//! `probe parse` parses the document of at least `SIZE` bytes `REPS` times (in `CHUNK`-byte
//! chunks, 0 for one chunk; `str` pushes `&str` chunks cut at character boundaries, `bytes`
//! pushes byte chunks, `serde` is one `serde_json::from_slice::<Value>`), dropping each value.
//! The difference between two `REPS` counts under callgrind is the cost of the parses alone.
//!
//! `probe snapshot` feeds the first `SIZE` bytes of a larger document in 4-byte chunks, then
//! `K` times pushes the next `DELTA` bytes (4 by default) and takes a snapshot (`owned`: `snapshot()`, a `Value`;
//! `ref`: `snapshot_ref()` and `snapshot_version()`; `ref+clone`: `snapshot_ref().cloned()`;
//! `none`: no snapshot, the baseline to subtract).

#[path = "../tests/chunks/mod.rs"]
mod chunks;

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput};
use instructor_core::partial_json::PartialJson;
use serde_json::{json, Value};

use chunks::str_chunks;

/// A realistic "many records" reply of at least `size` bytes.
fn document(size: usize) -> String {
    let mut items = Vec::new();
    let mut len = 20;
    let mut i: u64 = 0;
    while len < size {
        let item = json!({
            "id": i,
            "name": format!("Customer {i}"),
            "email": format!("customer{i}@example.com"),
            "score": (i as f64) * 1.25 - 40.5,
            "balance": -(i as i64) * 1000,
            "active": !i.is_multiple_of(3),
            "tags": ["priority", "eu-west", "renewal"],
            "note": "Called about the \"late\" invoice; prefers e-mail \u{e9}\u{20ac}.\nFollow up.",
            "address": {"city": "Z\u{fc}rich", "zip": "8001", "country": null},
        });
        len += item.to_string().len() + 1;
        items.push(item);
        i += 1;
    }
    serde_json::to_string(&json!({ "items": items, "total": i })).unwrap()
}

fn parse_chunked(doc: &[u8], chunk: usize) -> Value {
    let mut parser = PartialJson::new();
    for c in doc.chunks(chunk.max(1)) {
        parser.push_bytes(c).unwrap();
    }
    parser.finish().unwrap()
}

fn parse_str_chunks(chunks: &[&str]) -> Value {
    let mut parser = PartialJson::new();
    for c in chunks {
        parser.push(c).unwrap();
    }
    parser.finish().unwrap()
}

const SIZES: [(usize, &str); 4] = [
    (1 << 10, "1KB"),
    (10 << 10, "10KB"),
    (100 << 10, "100KB"),
    (1 << 20, "1MB"),
];

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse");
    for (size, label) in SIZES {
        let doc = document(size);
        let bytes = doc.as_bytes();
        assert_eq!(
            parse_chunked(bytes, 4),
            serde_json::from_slice::<Value>(bytes).unwrap()
        );
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        let chunks = str_chunks(&doc, 4);
        assert_eq!(
            parse_str_chunks(&chunks),
            serde_json::from_slice::<Value>(bytes).unwrap()
        );
        group.bench_with_input(
            BenchmarkId::new("partial_json_4B_str_chunks", label),
            &chunks,
            |b, c| b.iter(|| parse_str_chunks(black_box(c))),
        );
        group.bench_with_input(
            BenchmarkId::new("partial_json_4B_byte_chunks", label),
            bytes,
            |b, d| b.iter(|| parse_chunked(black_box(d), 4)),
        );
        group.bench_with_input(
            BenchmarkId::new("partial_json_one_chunk", label),
            bytes,
            |b, d| b.iter(|| parse_chunked(black_box(d), d.len())),
        );
        group.bench_with_input(
            BenchmarkId::new("serde_json_from_slice", label),
            bytes,
            |b, d| b.iter(|| serde_json::from_slice::<Value>(black_box(d)).unwrap()),
        );
    }
    group.finish();

    // One snapshot of a parser that has consumed the whole document but for its last byte.
    let mut group = c.benchmark_group("snapshot");
    for (size, label) in SIZES {
        let doc = document(size);
        let bytes = doc.as_bytes();
        let mut parser = PartialJson::new();
        for c in bytes[..bytes.len() - 1].chunks(4) {
            parser.push_bytes(c).unwrap();
        }
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_with_input(BenchmarkId::new("snapshot", label), &parser, |b, p| {
            b.iter(|| black_box(p.snapshot()))
        });
    }
    group.finish();
}

/// The document of kind `kind` of at least `size` bytes: `records` ([`document`]), `pretty`
/// (the same, pretty-printed: indentation and newlines, as models often write), `text` (one
/// long string, as in a summary field).
fn document_of(kind: &str, size: usize) -> String {
    match kind {
        "records" => document(size),
        "pretty" => {
            let compact: Value = serde_json::from_str(&document(size * 2 / 3)).unwrap();
            serde_json::to_string_pretty(&compact).unwrap()
        }
        "text" => {
            let words =
                "The quick brown fox jumps over the lazy dog; \"quoted\" text, caf\u{e9}.\n";
            let mut text = String::new();
            while text.len() < size {
                text.push_str(words);
            }
            serde_json::to_string(&json!({ "summary": text })).unwrap()
        }
        "plain" => {
            let text = "The quick brown fox jumps over the lazy dog. ".repeat(size / 45 + 1);
            serde_json::to_string(&json!({ "summary": text })).unwrap()
        }
        other => panic!("unknown document kind {other}"),
    }
}

/// `probe parse IMPL SIZE CHUNK REPS [KIND]`.
fn probe_parse(imp: &str, size: usize, chunk: usize, reps: usize, kind: &str) {
    let doc = document_of(kind, size);
    let whole = if chunk == 0 { doc.len() } else { chunk };
    match imp {
        "serde" => {
            for _ in 0..reps {
                black_box(serde_json::from_slice::<Value>(black_box(doc.as_bytes())).unwrap());
            }
        }
        "bytes" => {
            for _ in 0..reps {
                black_box(parse_chunked(black_box(doc.as_bytes()), whole));
            }
        }
        "str" => {
            let chunks = str_chunks(&doc, whole);
            for _ in 0..reps {
                black_box(parse_str_chunks(black_box(&chunks)));
            }
        }
        other => panic!("unknown parser {other}"),
    }
}

/// `probe snapshot SIZE K API [DELTA]`: `DELTA` bytes (4 by default, in 4-byte chunks) between
/// snapshots.
fn probe_snapshot(size: usize, k: usize, api: &str, delta: usize) {
    let doc = document(size + delta * k + 1024);
    let bytes = doc.as_bytes();
    let mut parser = PartialJson::new();
    for c in bytes[..size].chunks(4) {
        parser.push_bytes(c).unwrap();
    }
    for step in bytes[size..size + delta * k].chunks(delta) {
        for c in step.chunks(4) {
            parser.push_bytes(c).unwrap();
        }
        match api {
            "none" => {}
            "owned" => {
                black_box(parser.snapshot());
            }
            "ref" => {
                black_box(parser.snapshot_ref());
                black_box(parser.snapshot_version());
            }
            "ref+clone" => {
                // What the stream driver pays when the value changed: an owned copy for
                // `T::partial_from_value`.
                black_box(parser.snapshot_ref().cloned());
            }
            other => panic!("unknown snapshot api {other}"),
        }
    }
    black_box(&parser);
}

fn probe(args: &[String]) {
    let num = |i: usize| -> usize {
        args.get(i)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("argument {i}: a number"))
    };
    match args.first().map(String::as_str) {
        Some("parse") => probe_parse(
            &args[1],
            num(2),
            num(3),
            num(4),
            args.get(5).map_or("records", String::as_str),
        ),
        Some("snapshot") => probe_snapshot(
            num(1),
            num(2),
            &args[3],
            args.get(4).and_then(|d| d.parse().ok()).unwrap_or(4),
        ),
        Some("len") => println!(
            "{}",
            document_of(args.get(2).map_or("records", String::as_str), num(1)).len()
        ),
        _ => panic!("probe parse|snapshot|len ..."),
    }
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    if args.first().map(String::as_str) == Some("probe") {
        probe(&args[1..]);
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();
}
