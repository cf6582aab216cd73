//! The response cache against a real HTTP server on 127.0.0.1 that counts requests: hits,
//! single flight, what changes the key, hits judged again, TTL, the size bound, the SQLite
//! store (a corrupt file under both store-error choices, no key in the file). The Redis
//! store: `cache_redis.rs`.

use std::time::Duration;

use instructor::cache::{Cache, MemoryStore};
use instructor::{Client, Error, ErrorKind, Extract, Extraction, Instructor};
use serde::Deserialize;

use crate::support::servers::extracted;
use crate::support::servers::fault::{Fault, FaultServer, Request};
use crate::support::servers::routes::REASK_MARKER;
use crate::support::*;

/// A second type, of another schema, asked with the same words.
#[derive(Debug, Clone, PartialEq, Deserialize, Instructor, garde::Validate)]
pub(crate) struct Person {
    #[garde(length(min = 1))]
    pub name: String,
    #[garde(skip)]
    pub age: u32,
}

/// The server: `JASON` (age 20), or age 30 to a re-ask; after 100 ms when the user text
/// says "slowly" (keeps concurrent misses in flight together).
pub(crate) async fn server() -> FaultServer {
    FaultServer::start(|req: &Request, _| {
        let reask = req
            .body
            .windows(REASK_MARKER.len())
            .any(|w| w == REASK_MARKER);
        let answer = if reask {
            r#"{"name":"Jason","age":30}"#
        } else {
            JASON
        };
        let reply = Fault::ok(&content_reply(answer, usage(90, 12)));
        if req.first_user().contains("slowly") {
            Fault::Delayed(Duration::from_millis(100), Box::new(reply))
        } else {
            reply
        }
    })
    .await
}

/// The tests' client with `cache`.
pub(crate) fn cached(server: &FaultServer, cache: &Cache) -> Client {
    builder(server).cache(cache.clone()).build().unwrap()
}

pub(crate) async fn ask(client: &Client, text: &str) -> Result<(UserDetails, Extraction), Error> {
    extracted(client, text).await
}

/// A client with `cache` at a new [`server`], which it has asked "Jason is 20" once (a
/// miss, now stored).
async fn asked_once(cache: &Cache) -> (FaultServer, Client) {
    let server = server().await;
    let client = cached(&server, cache);
    ask(&client, "Jason is 20").await.unwrap();
    (server, client)
}

fn saved_tokens(e: &Extraction) -> (u64, u64) {
    (e.saved.prompt_tokens, e.saved.completion_tokens)
}

fn spent_tokens(e: &Extraction) -> (u64, u64) {
    (e.usage.prompt_tokens, e.usage.completion_tokens)
}

#[tokio::test]
async fn the_same_extraction_twice_sends_one_request() {
    let server = server().await;
    let client = cached(&server, &Cache::memory());
    let (first, e1) = ask(&client, "Jason is 20").await.unwrap();
    let (second, e2) = ask(&client, "Jason is 20").await.unwrap();
    assert_eq!(server.requests(), 1);
    assert_eq!(first, jason());
    assert_eq!(second, first);
    assert!(!e1.cache_hit() && !e1.attempts[0].cached);
    assert!(e2.cache_hit() && e2.attempts[0].cached);
    assert_eq!(e2.raw(), e1.raw());
    // The hit spent nothing and saved what the live reply used.
    assert_eq!(spent_tokens(&e1), (90, 12));
    assert_eq!(saved_tokens(&e1), (0, 0));
    assert_eq!(spent_tokens(&e2), (0, 0));
    assert_eq!(saved_tokens(&e2), (90, 12));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_misses_of_one_key_send_one_request() {
    let server = server().await;
    let client = cached(&server, &Cache::memory());
    let tasks: Vec<_> = (0..64)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { ask(&client, "slowly: Jason is 20").await })
        })
        .collect();
    let mut hits = 0;
    for t in tasks {
        let (value, e) = t.await.unwrap().unwrap();
        assert_eq!(value, jason());
        hits += usize::from(e.cache_hit());
    }
    assert_eq!(server.requests(), 1);
    assert_eq!(hits, 63, "one task asked, the others read its reply");
}

#[tokio::test]
async fn another_type_text_account_or_option_is_a_miss() {
    let cache = Cache::memory();
    let (server, client) = asked_once(&cache).await;
    // Another schema (a second type), the same words.
    let (p, e) = extracted::<Person>(&client, "Jason is 20").await.unwrap();
    assert_eq!(
        (p.name.as_str(), p.age, e.cache_hit()),
        ("Jason", 20, false)
    );
    assert_eq!(server.requests(), 2);
    // Other words, another sampling option, another account (key): each a miss.
    assert!(!ask(&client, "Jason is twenty").await.unwrap().1.cache_hit());
    let warm = client
        .extract::<UserDetails>()
        .user("Jason is 20")
        .temperature(0.5);
    assert!(!warm.send_with_extraction().await.unwrap().1.cache_hit());
    let other = builder(&server)
        .api_key("sk-other-account")
        .cache(cache.clone());
    let other = other.build().unwrap();
    assert!(!ask(&other, "Jason is 20").await.unwrap().1.cache_hit());
    assert_eq!(server.requests(), 5);
    // And each of them is a hit the second time.
    let (_, e) = extracted::<Person>(&client, "Jason is 20").await.unwrap();
    assert!(e.cache_hit());
    assert!(ask(&other, "Jason is 20").await.unwrap().1.cache_hit());
    assert_eq!(server.requests(), 5);
}

#[tokio::test]
async fn a_stricter_rule_on_a_hit_is_enforced_and_reasked_live() {
    let (server, client) = asked_once(&Cache::memory()).await;
    let strict = || -> Extract<UserDetails> {
        client
            .extract::<UserDetails>()
            .user("Jason is 20")
            .validator(|u: &UserDetails| {
                let age = u.age;
                async move {
                    if age >= 21 {
                        Ok(())
                    } else {
                        Err(format!("{age} is under 21"))
                    }
                }
            })
            .max_retries(1)
    };
    let (value, e) = strict().send_with_extraction().await.unwrap();
    assert_eq!(value.age, 30, "the re-ask's live answer");
    assert_eq!(server.requests(), 2);
    assert_eq!(e.attempts.len(), 2);
    assert!(e.attempts[0].cached, "the stored answer was read...");
    assert!(
        e.attempts[0].error.is_some(),
        "...and judged again under the new rule"
    );
    assert!(!e.attempts[1].cached && e.attempts[1].error.is_none());
    assert_eq!((spent_tokens(&e), saved_tokens(&e)), ((90, 12), (90, 12)));
    // Without re-asks left, the stored answer fails the rule: never accepted.
    let err = strict().max_retries(0).send().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RetriesExhausted, "{err}");
    // The whole re-ask round is now in the cache.
    let (again, e) = strict().send_with_extraction().await.unwrap();
    assert_eq!((again.age, e.attempts.len(), e.cache_hit()), (30, 2, true));
    assert_eq!(server.requests(), 2);
}

#[tokio::test]
async fn a_request_chooses_its_cache_or_none() {
    let cache = Cache::memory();
    let (server, with) = asked_once(&cache).await;
    let live = with.extract::<UserDetails>().user("Jason is 20").no_cache();
    assert!(!live.send_with_extraction().await.unwrap().1.cache_hit());
    assert_eq!(server.requests(), 2);
    // A client without a cache, given one for one request.
    let without = client(&server);
    let (_, e) = without
        .extract::<UserDetails>()
        .user("Jason is 20")
        .cache(cache.clone())
        .send_with_extraction()
        .await
        .unwrap();
    assert!(e.cache_hit());
    assert!(!ask(&without, "Jason is 20").await.unwrap().1.cache_hit());
    assert_eq!(server.requests(), 3);
}

/// A TTL that passes while the test sleeps: the entry is gone (a miss), whatever the store.
async fn expiry(cache: Cache) {
    let (server, client) = asked_once(&cache.ttl(Duration::from_millis(50))).await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert!(!ask(&client, "Jason is 20").await.unwrap().1.cache_hit());
    assert_eq!(server.requests(), 2);
}

/// A bound of two entries: the oldest written is evicted first.
async fn eviction(cache: Cache) {
    let server = server().await;
    let client = cached(&server, &cache);
    for text in ["one", "two", "three"] {
        ask(&client, text).await.unwrap();
    }
    assert!(ask(&client, "three").await.unwrap().1.cache_hit());
    assert!(ask(&client, "two").await.unwrap().1.cache_hit());
    assert_eq!(server.requests(), 3);
    assert!(!ask(&client, "one").await.unwrap().1.cache_hit(), "evicted");
    assert_eq!(server.requests(), 4);
}

#[tokio::test]
async fn memory_entries_expire() {
    expiry(Cache::memory()).await;
}

#[tokio::test]
async fn memory_evicts_the_oldest_past_its_bound() {
    eviction(Cache::new(MemoryStore::new(2))).await;
}

/// A folder of its own under the system's temporary folder, removed on drop.
#[cfg(any(feature = "sqlite", feature = "redis"))]
pub(crate) struct TempDir(pub std::path::PathBuf);

#[cfg(any(feature = "sqlite", feature = "redis"))]
impl TempDir {
    pub(crate) fn new(name: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir = std::env::temp_dir().join(format!(
            "instructor-it-{name}-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    pub(crate) fn path(&self) -> &std::path::Path {
        &self.0
    }
}

#[cfg(any(feature = "sqlite", feature = "redis"))]
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Whether `needle` appears in `hay`.
#[cfg(any(feature = "sqlite", feature = "redis"))]
pub(crate) fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[cfg(feature = "sqlite")]
mod sqlite {
    use super::*;
    use instructor::cache::{OnStoreError, SqliteStore};

    #[tokio::test]
    async fn a_hit_survives_the_process_and_the_file_holds_no_key() {
        let dir = TempDir::new("sqlite-hit");
        let db = dir.path().join("cache.sqlite");
        let server = server().await;
        let client = cached(&server, &Cache::sqlite(&db).unwrap());
        let (first, _) = ask(&client, "Jason is 20").await.unwrap();
        drop(client);
        // A new store on the same file, as another process would open it.
        let client = cached(&server, &Cache::sqlite(&db).unwrap());
        let (second, e) = ask(&client, "Jason is 20").await.unwrap();
        assert_eq!((second, e.cache_hit()), (first, true));
        assert_eq!(server.requests(), 1);
        let mut bytes = Vec::new();
        for entry in std::fs::read_dir(dir.path()).unwrap() {
            bytes.extend(std::fs::read(entry.unwrap().path()).unwrap());
        }
        assert!(contains(&bytes, b"Jason"), "the reply is stored");
        assert!(!contains(&bytes, KEY.as_bytes()), "the key is not");
        assert!(!contains(&bytes, b"SECRET"));
    }

    #[tokio::test]
    async fn sqlite_entries_expire() {
        let dir = TempDir::new("sqlite-ttl");
        expiry(Cache::sqlite(dir.path().join("c.sqlite")).unwrap()).await;
    }

    #[tokio::test]
    async fn sqlite_evicts_the_oldest_past_its_bound() {
        let dir = TempDir::new("sqlite-bound");
        let store = SqliteStore::open_with(dir.path().join("c.sqlite"), 2).unwrap();
        eviction(Cache::new(store)).await;
    }

    #[tokio::test]
    async fn a_file_that_is_not_a_database_is_a_clear_error_when_opened() {
        let dir = TempDir::new("sqlite-garbage");
        let db = dir.path().join("c.sqlite");
        std::fs::write(&db, vec![0x5a; 8192]).unwrap();
        let err = Cache::sqlite(&db).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Cache, "{err}");
        assert!(err.to_string().contains("not a database"), "{err}");
    }

    #[tokio::test]
    async fn a_file_corrupted_while_in_use_fails_or_misses_as_chosen() {
        let dir = TempDir::new("sqlite-corrupt");
        let db = dir.path().join("c.sqlite");
        let store = SqliteStore::open(&db).unwrap();
        let server = server().await;
        let miss = cached(&server, &Cache::new(store.clone()));
        let fail = Cache::new(store).on_store_error(OnStoreError::Fail);
        let fail = cached(&server, &fail);
        ask(&miss, "Jason is 20").await.unwrap();
        assert!(ask(&fail, "Jason is 20").await.unwrap().1.cache_hit());
        // Garbage over the whole file, under the open connection.
        std::fs::write(&db, vec![0x5a; 64 * 1024]).unwrap();
        let err = ask(&fail, "Jason is 20").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Cache, "{err}");
        assert!(
            err.to_string().contains("c.sqlite"),
            "names the file: {err}"
        );
        assert_eq!(server.requests(), 1, "Fail: no request sent");
        let (value, e) = ask(&miss, "Jason is 20").await.unwrap();
        assert_eq!((value, e.cache_hit()), (jason(), false));
        assert_eq!(server.requests(), 2, "Miss: sent live, the right answer");
        assert_eq!(
            std::fs::read(&db).unwrap(),
            vec![0x5a; 64 * 1024],
            "file left as it was"
        );
    }
}
