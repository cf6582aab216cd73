//! Anthropic's Message Batches: created with the request file as the body
//! (`POST /v1/messages/batches`, `{"requests":[..]}`), retrieved
//! (`GET /v1/messages/batches/{id}`), cancelled (`POST /v1/messages/batches/{id}/cancel`),
//! and its results (JSONL) downloaded from `results_url`. Paths under the client's base URL
//! (`https://api.anthropic.com`); every call carries `x-api-key` and `anthropic-version`.

use std::path::{Path, PathBuf};

use reqwest::{Method, Url};
use serde_json::Value;

use crate::batch_file::submit::http::{
    self, call, checked_id, str_field, unreadable, FileBody, Payload,
};
use crate::batch_file::submit::status::{BatchState, BatchStatus, RequestCounts};
use crate::client::Client;
use crate::error::Error;

/// Where message batches are, under the base URL.
pub(crate) const BATCHES: &str = "/v1/messages/batches";

/// Creates a batch of the requests in `request_file` (the job's Anthropic file: the create
/// call's body); gives the batch.
pub(crate) async fn create(client: &Client, request_file: &Path) -> Result<BatchStatus, Error> {
    let url = http::url(client.base_url(), BATCHES)?;
    let body = FileBody::json(request_file);
    parse(&call(client, Method::POST, &url, Payload::File(&body)).await?)
}

/// Downloads the results of an ended batch into `dir` as `{batch id}.results.jsonl`: from
/// its `results_url` when that is on the client's own host (the key is sent to no other),
/// else from the documented path under the base URL (`/v1/messages/batches/{id}/results`).
pub(crate) async fn download(
    client: &Client,
    batch: &BatchStatus,
    dir: &Path,
) -> Result<Vec<PathBuf>, Error> {
    let own = http::url(
        client.base_url(),
        &format!("{BATCHES}/{}/results", checked_id(&batch.id)?),
    )?;
    let url = match batch.results_url.as_deref().map(Url::parse) {
        Some(Ok(given)) if given.origin() == own.origin() => given,
        _ => own,
    };
    let to = dir.join(format!("{}.results.jsonl", batch.id));
    http::download(client, &url, &to).await?;
    Ok(vec![to])
}

/// A message batch object (`id`, `processing_status`, `request_counts`,
/// `cancel_initiated_at`, `results_url`).
pub(crate) fn parse(batch: &Value) -> Result<BatchStatus, Error> {
    let id = str_field(batch, "id")?;
    let status = str_field(batch, "processing_status")?;
    let cancelled = !batch["cancel_initiated_at"].is_null();
    let state = match status.as_str() {
        "in_progress" => BatchState::InProgress,
        "canceling" => BatchState::Cancelling,
        "ended" if cancelled => BatchState::Cancelled,
        "ended" => BatchState::Completed,
        other => {
            return Err(unreadable(
                batch,
                format!("message batch {id}: unknown processing_status {other:?}"),
            ))
        }
    };
    let n = |name: &str| batch["request_counts"][name].as_u64().unwrap_or(0);
    let counts = RequestCounts {
        total: ["processing", "succeeded", "errored", "canceled", "expired"]
            .iter()
            .map(|k| n(k))
            .sum(),
        processing: n("processing"),
        succeeded: n("succeeded"),
        errored: n("errored"),
        canceled: n("canceled"),
        expired: n("expired"),
    };
    Ok(BatchStatus {
        id,
        state,
        provider_status: status,
        counts,
        errors: Vec::new(),
        output_file_id: None,
        error_file_id: None,
        results_url: batch["results_url"].as_str().map(str::to_owned),
    })
}
