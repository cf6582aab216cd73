//! OpenAI's Batch API: the request file uploaded to the Files API (`POST /files`, multipart,
//! `purpose=batch`), the batch created (`POST /batches` with `input_file_id`, `endpoint`,
//! `completion_window: "24h"`), retrieved (`GET /batches/{id}`), cancelled
//! (`POST /batches/{id}/cancel`), and its output and error files downloaded
//! (`GET /files/{id}/content`). Paths under the client's base URL
//! (`https://api.openai.com/v1`).

use std::path::{Path, PathBuf};

use reqwest::Method;
use serde_json::{json, Value};

use crate::batch_file::submit::http::{
    self, call, checked_id, str_field, unreadable, FileBody, Payload,
};
use crate::batch_file::submit::status::{BatchState, BatchStatus, RequestCounts};
use crate::client::Client;
use crate::error::Error;

/// Where batches are, under the base URL.
pub(crate) const BATCHES: &str = "/batches";

/// Uploads `request_file` and creates a batch of it for `endpoint`; gives the batch.
pub(crate) async fn create(
    client: &Client,
    request_file: &Path,
    endpoint: &str,
) -> Result<BatchStatus, Error> {
    let form = FileBody::multipart(&[("purpose", "batch")], "file", request_file);
    let files = http::url(client.base_url(), "/files")?;
    let file = call(client, Method::POST, &files, Payload::File(&form)).await?;
    let input_file_id = str_field(&file, "id")?;
    let body = json!({
        "input_file_id": input_file_id,
        "endpoint": endpoint,
        "completion_window": "24h",
    });
    let batches = http::url(client.base_url(), BATCHES)?;
    parse(&call(client, Method::POST, &batches, Payload::Json(&body)).await?)
}

/// Downloads the output file, then the error file, of those the batch has, into `dir` as
/// `{batch id}.output.jsonl` and `{batch id}.errors.jsonl`.
pub(crate) async fn download(
    client: &Client,
    batch: &BatchStatus,
    dir: &Path,
) -> Result<Vec<PathBuf>, Error> {
    let mut written = Vec::new();
    let files = [
        (&batch.output_file_id, "output"),
        (&batch.error_file_id, "errors"),
    ];
    for (file_id, name) in files {
        let Some(file_id) = file_id else { continue };
        let path = format!("/files/{}/content", checked_id(file_id)?);
        let url = http::url(client.base_url(), &path)?;
        let to = dir.join(format!("{}.{name}.jsonl", batch.id));
        http::download(client, &url, &to).await?;
        written.push(to);
    }
    Ok(written)
}

/// A batch object (`id`, `status`, `request_counts`, `errors`, `output_file_id`,
/// `error_file_id`).
pub(crate) fn parse(batch: &Value) -> Result<BatchStatus, Error> {
    let id = str_field(batch, "id")?;
    let status = str_field(batch, "status")?;
    let state = match status.as_str() {
        "validating" => BatchState::Validating,
        "in_progress" => BatchState::InProgress,
        "finalizing" => BatchState::Finalizing,
        "cancelling" => BatchState::Cancelling,
        "completed" => BatchState::Completed,
        "failed" => BatchState::Failed,
        "expired" => BatchState::Expired,
        "cancelled" => BatchState::Cancelled,
        other => {
            return Err(unreadable(
                batch,
                format!("batch {id}: unknown status {other:?}"),
            ))
        }
    };
    let n = |name: &str| batch["request_counts"][name].as_u64().unwrap_or(0);
    let (total, succeeded, errored) = (n("total"), n("completed"), n("failed"));
    let counts = RequestCounts {
        total,
        processing: total.saturating_sub(succeeded + errored),
        succeeded,
        errored,
        canceled: 0,
        expired: 0,
    };
    let errors = batch["errors"]["data"]
        .as_array()
        .map(|list| list.iter().map(batch_error).collect())
        .unwrap_or_default();
    let file = |name: &str| batch[name].as_str().map(str::to_owned);
    Ok(BatchStatus {
        id,
        state,
        provider_status: status,
        counts,
        errors,
        output_file_id: file("output_file_id"),
        error_file_id: file("error_file_id"),
        results_url: None,
    })
}

/// One of `errors.data[]`: `code: message (line n)`.
fn batch_error(e: &Value) -> String {
    let mut text = String::new();
    if let Some(code) = e["code"].as_str() {
        text.push_str(code);
        text.push_str(": ");
    }
    text.push_str(e["message"].as_str().unwrap_or("(no message)"));
    if let Some(line) = e["line"].as_u64() {
        text.push_str(&format!(" (line {line})"));
    }
    text
}
