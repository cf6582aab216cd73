//! One request's reply through the cache: looked up by its key; on a miss, posted by one
//! task of the process while the others that miss the same key wait, then stored. A hit is
//! the stored body decoded by the client's dialect, as a live reply would be, and judged by
//! the caller like any other.

use crate::cache::{Cache, CacheKey, Entry, KeyHasher};
use crate::client::transport::{Post, Whole};
use crate::client::Client;
use crate::error::Error;
use crate::request::Request;
use crate::wire::{ChatCompletion, Usage};

/// A reply, live or cached.
pub(crate) struct Answer {
    /// The reply, decoded.
    pub completion: ChatCompletion,
    /// Its body.
    pub raw: String,
    /// Read from the cache: the tokens it saved. `None`: sent live.
    pub saved: Option<Usage>,
}

/// The reply to `post`, from `request`'s cache when it has one and the entry is there, else
/// live. `prior`: the usage of the extraction so far, for a cache error.
pub(crate) async fn post(request: &Request, post: Post<'_>, prior: Usage) -> Result<Answer, Error> {
    let client = &request.client;
    let Some(cache) = request.cache() else {
        return live(client, post).await;
    };
    let key = key(client, &post)?;
    if let Some(hit) = read(cache, client, &key, prior).await? {
        return Ok(hit);
    }
    let _fetching = cache.fetching(&key).await;
    // Another task may have stored it while this one waited.
    if let Some(hit) = read(cache, client, &key, prior).await? {
        return Ok(hit);
    }
    tracing::debug!(key = %key, "response cache miss");
    let answer = live(client, post).await?;
    let usage = answer.completion.usage.unwrap_or_default();
    let entry = Entry::new(answer.raw.clone(), usage);
    cache.put(&key, &entry, prior + usage).await?;
    Ok(answer)
}

async fn live(client: &Client, post: Post<'_>) -> Result<Answer, Error> {
    let (completion, raw) = client.post(post, Whole).await?;
    Ok(Answer {
        completion,
        raw,
        saved: None,
    })
}

/// The stored reply under `key`, decoded; a body the dialect cannot read is a store error.
async fn read(
    cache: &Cache,
    client: &Client,
    key: &CacheKey,
    prior: Usage,
) -> Result<Option<Answer>, Error> {
    let Some(entry) = cache.get(key, prior).await? else {
        return Ok(None);
    };
    match client.dialect().decode(&entry.raw) {
        Ok(completion) => {
            tracing::debug!(key = %key, "response cache hit");
            Ok(Some(Answer {
                completion,
                raw: entry.raw,
                saved: Some(entry.usage),
            }))
        }
        Err(why) => {
            let why = format!("a stored reply is not one the client can read: {why}");
            cache.failed(&why, prior).map(|()| None)
        }
    }
}

/// The key of `post` on `client`: its provider, endpoint, model, body, extra headers and
/// the account of its key.
fn key(client: &Client, post: &Post<'_>) -> Result<CacheKey, Error> {
    let url = client.endpoint(post.model, false)?;
    let mut h = KeyHasher::new();
    h.part("provider", format!("{:?}", client.provider()).as_bytes())
        .part("endpoint", url.as_str().as_bytes())
        .part("model", post.model.as_bytes())
        .part("body", post.body);
    for (name, value) in &client.inner.headers {
        h.part("header", name.as_str().as_bytes())
            .part("value", value.as_bytes());
    }
    h.account(client.api_key());
    Ok(h.finish())
}
