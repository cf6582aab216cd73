//! Reading a batch result file: lines judged per second, and the memory reading takes.
//!
//! ```text
//! cargo bench --bench batch_results                 # the 100,000-line report, then criterion
//! cargo bench --bench batch_results -- report 1000000   # the report alone, for N lines
//! ```
//!
//! The report builds a job of N `UserDetails` inputs (an OpenAI-compatible client, nothing
//! is sent), writes its request file, writes a result file of N answers in reverse order (one
//! in ten invalid, so re-asked), and reads it back with `read_result_files_with` (values
//! counted, not kept). It prints the request file's write rate, the read rate (lines and MB
//! per second) and the peak resident memory (`VmHWM`) before and after the read: what the
//! read adds beyond the job's own state, which holds each input's conversation. The
//! criterion group measures the read of a 10,000-line file.

mod support;

use std::fs::File;
use std::hint::black_box;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use criterion::{BatchSize, Criterion, Throughput};
use instructor::batch_file::BatchJob;
use instructor::Client;
use instructor_testkit::{completion, usage, vm_hwm_kib, UserDetails};
use serde_json::json;

fn job(n: usize) -> BatchJob<UserDetails> {
    let client = Client::openai_compatible("http://127.0.0.1:9/v1", "")
        .unwrap()
        .with_server(instructor::Server::Vllm);
    let template = client
        .extract::<UserDetails>()
        .model("m")
        .system("Extract the person.")
        .max_retries(1);
    let mut job = BatchJob::new(template).unwrap();
    for i in 0..n {
        job.add_user(
            format!("row-{i}"),
            format!("Person number {i} is {} years old.", i % 100),
        )
        .unwrap();
    }
    job
}

/// A result file answering `n` inputs in reverse order; every tenth answer is invalid.
fn results(n: usize, path: &Path) -> u64 {
    let mut out = BufWriter::new(File::create(path).unwrap());
    for i in (0..n).rev() {
        let age = if i % 10 == 0 { 200 } else { i % 100 };
        let answer = format!(r#"{{"name": "Person {i}", "age": {age}}}"#);
        let body = completion(json!(answer), "stop", usage(40, 12));
        let line = json!({"id": format!("batch_req_{i}"), "custom_id": format!("row-{i}"),
            "response": {"status_code": 200, "request_id": format!("req_{i}"), "body": body},
            "error": null});
        serde_json::to_writer(&mut out, &line).unwrap();
        out.write_all(b"\n").unwrap();
    }
    out.flush().unwrap();
    std::fs::metadata(path).unwrap().len()
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
}

fn dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("instructor-bench-batch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn report(n: usize) {
    let dir = dir();
    let (requests, answers) = (dir.join("requests.jsonl"), dir.join("results.jsonl"));
    let bytes = results(n, &answers);
    let start = vm_hwm_kib().unwrap_or(0);
    let t = Instant::now();
    let mut job = job(n);
    let built = t.elapsed();
    let t = Instant::now();
    let written = job.write_requests_to(&requests).unwrap();
    let write = t.elapsed();
    let request_bytes = std::fs::metadata(&requests).unwrap().len();
    let before = vm_hwm_kib().unwrap_or(0);
    let t = Instant::now();
    let mut done = 0usize;
    let report = rt()
        .block_on(job.read_result_files_with(
            [BufReader::new(File::open(&answers).unwrap())],
            |_, r| {
                done += usize::from(black_box(r).is_ok());
            },
        ))
        .unwrap();
    let read = t.elapsed();
    let after = vm_hwm_kib().unwrap_or(0);
    assert_eq!((done, report.reasked.len()), (n - n / 10, n / 10));
    let mb = |b: u64| b as f64 / 1e6;
    println!("batch_results: {n} inputs");
    println!(
        "  job built: {:.2}s; request file: {written} lines, {:.1} MB in {:.2}s ({:.0} lines/s)",
        built.as_secs_f64(),
        mb(request_bytes),
        write.as_secs_f64(),
        written as f64 / write.as_secs_f64()
    );
    println!(
        "  result file: {n} lines, {:.1} MB read in {:.2}s: {:.0} lines/s, {:.1} MB/s",
        mb(bytes),
        read.as_secs_f64(),
        n as f64 / read.as_secs_f64(),
        mb(bytes) / read.as_secs_f64()
    );
    println!(
        "  peak RSS (VmHWM): {:.1} MB at start, {:.1} MB with the job built and written, {:.1} MB after the read (+{:.1} MB for reading a {:.1} MB file)",
        start as f64 / 1024.0,
        before as f64 / 1024.0,
        after as f64 / 1024.0,
        after.saturating_sub(before) as f64 / 1024.0,
        mb(bytes)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

fn criterion_read(c: &mut Criterion) {
    const N: usize = 10_000;
    let dir = dir();
    let answers = dir.join("results.jsonl");
    results(N, &answers);
    let rt = rt();
    let mut g = c.benchmark_group("batch_results");
    g.throughput(Throughput::Elements(N as u64));
    g.sample_size(10);
    g.bench_function("read_10k", |b| {
        b.iter_batched(
            || {
                let mut job = job(N);
                job.write_requests(std::io::sink()).unwrap();
                job
            },
            |mut job| {
                let file = BufReader::new(File::open(&answers).unwrap());
                rt.block_on(job.read_result_files_with([file], |_, r| {
                    black_box(r).ok();
                }))
                .unwrap()
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
    std::fs::remove_dir_all(&dir).unwrap();
}

fn main() {
    let args = support::bench_args();
    if args.first().map(String::as_str) == Some("report") {
        report(args.get(1).and_then(|n| n.parse().ok()).unwrap_or(100_000));
        return;
    }
    report(100_000);
    let mut c = Criterion::default().configure_from_args();
    criterion_read(&mut c);
    c.final_summary();
}
