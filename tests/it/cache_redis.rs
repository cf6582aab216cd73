//! The Redis store against a real `redis-server` each test starts on a free port of
//! 127.0.0.1 (in a temporary folder, `--save '' --appendonly no`): hits, no key in the
//! stored values, the TTL, and the server killed mid-run under both store-error choices.
//! `scripts/test` installs `redis-server` where it is missing.

use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use instructor::cache::{Cache, OnStoreError, RedisStore};
use instructor::ErrorKind;

use crate::cache::{ask, cached, contains, server, TempDir};
use crate::support::*;

/// A `redis-server` of this test's own, killed on drop.
struct Redis {
    child: Child,
    port: u16,
    _dir: TempDir,
}

impl Redis {
    fn start() -> Self {
        let dir = TempDir::new("redis");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server is not installed: scripts/test installs it (apt-get install redis-server)");
        let redis = Redis {
            child,
            port,
            _dir: dir,
        };
        // Up to 10 s for it to listen.
        for _ in 0..400 {
            if redis.cli(&["PING"]).trim() == "PONG" {
                return redis;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        panic!("redis-server did not start on port {port}");
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// `redis-cli --raw` with `args`, its output (empty when the server is not there).
    fn cli(&self, args: &[&str]) -> String {
        if TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            return String::new();
        }
        let out = Command::new("redis-cli")
            .args(["-p", &self.port.to_string(), "--raw"])
            .args(args)
            .output()
            .expect("redis-cli comes with redis-server");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.kill();
    }
}

#[tokio::test]
async fn redis_serves_a_hit_and_holds_no_key() {
    let redis = Redis::start();
    let server = server().await;
    let client = cached(&server, &Cache::redis(&redis.url()).unwrap());
    let (first, e1) = ask(&client, "Jason is 20").await.unwrap();
    // Another client on another store of the same server: another machine, say.
    let other = cached(&server, &Cache::redis(&redis.url()).unwrap());
    let (second, e2) = ask(&other, "Jason is 20").await.unwrap();
    assert_eq!(
        (second, e1.cache_hit(), e2.cache_hit()),
        (first, false, true)
    );
    assert_eq!(server.requests(), 1);
    let keys = redis.cli(&["KEYS", "*"]);
    let keys: Vec<&str> = keys.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert!(keys[0].starts_with("instructor:cache:v1:"), "{keys:?}");
    let value = redis.cli(&["GET", keys[0]]);
    assert!(
        contains(value.as_bytes(), b"Jason"),
        "the reply is stored: {value}"
    );
    assert!(
        !contains(value.as_bytes(), KEY.as_bytes()),
        "the key is not"
    );
    assert!(!contains(keys[0].as_bytes(), KEY.as_bytes()));
    let ttl: i64 = redis.cli(&["PTTL", keys[0]]).trim().parse().unwrap();
    assert!(ttl > 0, "stored with a time to live: {ttl}");
}

#[tokio::test]
async fn redis_entries_expire() {
    let redis = Redis::start();
    let server = server().await;
    let cache = Cache::redis(&redis.url())
        .unwrap()
        .ttl(Duration::from_millis(50));
    let client = cached(&server, &cache);
    ask(&client, "Jason is 20").await.unwrap();
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert!(!ask(&client, "Jason is 20").await.unwrap().1.cache_hit());
    assert_eq!(server.requests(), 2);
}

#[tokio::test]
async fn redis_killed_mid_run_fails_or_misses_as_chosen() {
    let mut redis = Redis::start();
    let server = server().await;
    let store = RedisStore::open(&redis.url()).unwrap();
    let miss = cached(&server, &Cache::new(store.clone()));
    let fail = cached(
        &server,
        &Cache::new(store).on_store_error(OnStoreError::Fail),
    );
    ask(&miss, "Jason is 20").await.unwrap();
    assert!(ask(&fail, "Jason is 20").await.unwrap().1.cache_hit());
    redis.kill();
    let err = ask(&fail, "Jason is 20").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Cache, "{err}");
    assert!(err.to_string().contains("Redis"), "{err}");
    assert_eq!(server.requests(), 1, "Fail: no request sent");
    let (value, e) = ask(&miss, "Jason is 20").await.unwrap();
    assert_eq!((value, e.cache_hit()), (jason(), false));
    assert_eq!(server.requests(), 2, "Miss: sent live, the right answer");
    // Still down: every call finds it, none panics, and answers stay right.
    let (value, _) = ask(&miss, "Jason is 20").await.unwrap();
    assert_eq!(value, jason());
    assert_eq!(server.requests(), 3);
    let err = ask(&fail, "Jason is 20").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Cache, "{err}");
}
