//! Throughput of the incremental JSON parser fed in 4-byte chunks, next to
//! `serde_json::from_slice` of the same document, for documents of 1 KB to 1 MB. The time per
//! byte should be flat across sizes: parsing is linear however the document is chunked.
//!
//! Run: `cargo bench -p instructor-core --bench partial_json -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use instructor_core::partial_json::PartialJson;
use serde_json::{json, Value};

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
    for c in doc.chunks(chunk) {
        parser.push_bytes(c).unwrap();
    }
    parser.finish().unwrap()
}

/// `doc` cut into `&str` chunks of about `chunk` bytes (at character boundaries), as a
/// server-sent-events layer delivers them.
fn str_chunks(doc: &str, chunk: usize) -> Vec<&str> {
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

fn parse_str_chunks(chunks: &[&str]) -> Value {
    let mut parser = PartialJson::new();
    for c in chunks {
        parser.push(c).unwrap();
    }
    parser.finish().unwrap()
}

fn bench(c: &mut Criterion) {
    let sizes = [
        (1usize << 10, "1KB"),
        (10 << 10, "10KB"),
        (100 << 10, "100KB"),
        (1 << 20, "1MB"),
    ];
    let mut group = c.benchmark_group("parse");
    for (size, label) in sizes {
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

    // One snapshot of a parser that has consumed the whole document but for its last byte:
    // the cost is a clone of the value, independent of the chunking that built it.
    let mut group = c.benchmark_group("snapshot");
    for (size, label) in sizes {
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

criterion_group!(benches, bench);
criterion_main!(benches);
