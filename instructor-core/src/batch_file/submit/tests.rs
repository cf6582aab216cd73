//! The batch objects read (every documented status of both providers), the multipart form's
//! framing and the id rule.

use std::io::Write;

use serde_json::json;

use crate::batch_file::submit::http::{checked_id, FileBody};
use crate::batch_file::submit::status::{BatchState, RequestCounts};
use crate::batch_file::submit::{anthropic, openai};

#[test]
fn every_openai_status_is_read() {
    let states = [
        ("validating", BatchState::Validating),
        ("in_progress", BatchState::InProgress),
        ("finalizing", BatchState::Finalizing),
        ("cancelling", BatchState::Cancelling),
        ("completed", BatchState::Completed),
        ("failed", BatchState::Failed),
        ("expired", BatchState::Expired),
        ("cancelled", BatchState::Cancelled),
    ];
    for (word, state) in states {
        let batch = json!({"id": "batch_1", "object": "batch", "status": word,
            "request_counts": {"total": 10, "completed": 6, "failed": 1}});
        let s = openai::parse(&batch).unwrap();
        assert_eq!((s.state, s.provider_status.as_str()), (state, word));
        assert_eq!(
            state.is_terminal(),
            ["completed", "failed", "expired", "cancelled"].contains(&word)
        );
        assert_eq!(
            s.counts,
            RequestCounts {
                total: 10,
                processing: 3,
                succeeded: 6,
                errored: 1,
                canceled: 0,
                expired: 0
            }
        );
    }
    let unknown = openai::parse(&json!({"id": "batch_1", "status": "paused"})).unwrap_err();
    assert!(
        unknown.to_string().contains("unknown status \"paused\""),
        "{unknown}"
    );
    assert!(openai::parse(&json!({"status": "completed"})).is_err());
}

#[test]
fn openai_errors_and_files_are_read() {
    let batch = json!({"id": "batch_1", "status": "failed", "output_file_id": null,
        "errors": {"object": "list", "data": [
            {"code": "invalid_json_line", "message": "This line is not parseable as valid JSON.", "param": null, "line": 3},
            {"message": "too many requests in the file"}]}});
    let s = openai::parse(&batch).unwrap();
    assert_eq!(
        s.errors,
        [
            "invalid_json_line: This line is not parseable as valid JSON. (line 3)",
            "too many requests in the file"
        ]
    );
    let e = s.ended_error();
    assert_eq!(
        e.to_string(),
        "batch batch_1 failed: invalid_json_line: This line is not parseable as valid JSON. \
         (line 3); too many requests in the file"
    );
    let done = json!({"id": "batch_2", "status": "completed",
        "output_file_id": "file-out", "error_file_id": "file-err"});
    let s = openai::parse(&done).unwrap();
    assert_eq!(
        (s.output_file_id.as_deref(), s.error_file_id.as_deref()),
        (Some("file-out"), Some("file-err"))
    );
}

#[test]
fn every_anthropic_status_is_read() {
    let counts =
        json!({"processing": 0, "succeeded": 5, "errored": 1, "canceled": 3, "expired": 1});
    let cases = [
        ("in_progress", None, BatchState::InProgress),
        (
            "canceling",
            Some("2026-01-01T00:00:00Z"),
            BatchState::Cancelling,
        ),
        ("ended", None, BatchState::Completed),
        ("ended", Some("2026-01-01T00:00:00Z"), BatchState::Cancelled),
    ];
    for (word, cancel, state) in cases {
        let batch = json!({"id": "msgbatch_1", "type": "message_batch", "processing_status": word,
            "request_counts": counts, "cancel_initiated_at": cancel,
            "results_url": "https://api.anthropic.com/v1/messages/batches/msgbatch_1/results"});
        let s = anthropic::parse(&batch).unwrap();
        assert_eq!(s.state, state, "{word} {cancel:?}");
        assert_eq!(
            s.counts,
            RequestCounts {
                total: 10,
                processing: 0,
                succeeded: 5,
                errored: 1,
                canceled: 3,
                expired: 1
            }
        );
        assert!(s.results_url.is_some());
    }
    assert!(anthropic::parse(&json!({"id": "msgbatch_1", "processing_status": "done"})).is_err());
}

#[test]
fn the_multipart_form_frames_the_file() {
    let dir = std::env::temp_dir().join(format!("instructor-multipart-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("my \"requests\".jsonl");
    std::fs::File::create(&path)
        .unwrap()
        .write_all(b"{\"a\":1}\n")
        .unwrap();
    let form = FileBody::multipart(&[("purpose", "batch")], "file", &path);
    let (bytes, len) = form.read_whole();
    assert_eq!(bytes.len() as u64, len);
    let boundary = form.boundary();
    let want = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; \
         filename=\"my _requests_.jsonl\"\r\nContent-Type: application/octet-stream\r\n\r\n\
         {{\"a\":1}}\n\r\n--{boundary}--\r\n"
    );
    assert_eq!(String::from_utf8(bytes).unwrap(), want);
    assert!(!want[2 + boundary.len()..].contains(&format!("{boundary}\r\nbatch")));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn ids_that_could_leave_the_path_are_refused() {
    for good in [
        "batch_abc123",
        "msgbatch_013Zva2CMHLNnXjNJJKqJ2EF",
        "file-XYZ",
    ] {
        assert_eq!(checked_id(good).unwrap(), good);
    }
    for bad in ["", "../x", "a/b", "a?b", "a b", "a%2F", "é"] {
        assert!(checked_id(bad).is_err(), "{bad:?}");
    }
}
