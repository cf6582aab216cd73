//! The kit's own checks of what it added for its other users: the fault server on a thread of
//! its own (the benchmarks' server), a delayed answer and the in-flight counters, and the
//! wiremock replay (the evals').

use std::collections::HashMap;
use std::future::IntoFuture;
use std::sync::atomic::Ordering;
use std::time::Duration;

use instructor_testkit::servers::fault::{ok_reply, Fault, FaultServer};
use instructor_testkit::servers::mock::{answer_always, MockServer, Replay, ReplayKey};
use instructor_testkit::servers::routes;
use instructor_testkit::*;

/// An `Endpoint` for a bare address.
struct At(std::net::SocketAddr);

impl Endpoint for At {
    fn base(&self) -> String {
        format!("http://{}/v1", self.0)
    }
}

#[tokio::test]
async fn a_server_on_its_own_thread_answers_and_counts() {
    let (addr, stats) = FaultServer::on_own_thread(|_, _| ok_reply());
    let user = ask::<UserDetails>(&At(addr), "Jason is 20", 0)
        .await
        .unwrap();
    assert_eq!(user, jason());
    assert_eq!(stats.requests.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_delayed_answer_comes_and_the_in_flight_count_goes_back_to_zero() {
    let server =
        FaultServer::start(|_, _| Fault::Delayed(Duration::from_millis(20), Box::new(ok_reply())))
            .await;
    let asks = (0..4).map(|_| ask::<UserDetails>(&server, "Jason is 20", 0).into_future());
    for user in futures_util::future::join_all(asks).await {
        assert_eq!(user.unwrap(), jason());
    }
    assert_eq!(server.requests(), 4);
    assert_eq!(server.stats.in_flight.load(Ordering::SeqCst), 0);
    let most = server.stats.max_in_flight.load(Ordering::SeqCst);
    assert!((1..=4).contains(&most), "{most}");
}

#[tokio::test]
async fn the_replay_answers_a_recorded_request_and_404s_any_other() {
    let key = ReplayKey {
        user: "Jason is 20".into(),
        mode: "json_schema".into(),
        attempt: 1,
    };
    let answer = content_reply(JASON, usage(1, 1));
    let server = MockServer::start().await;
    answer_always(&server, Replay(HashMap::from([(key, (200, answer))]))).await;
    let user = ask::<UserDetails>(&server, "Jason is 20", 0)
        .mode(instructor::Mode::JsonSchema)
        .await;
    assert_eq!(user.unwrap(), jason());
    let err = ask::<UserDetails>(&server, "Ada is 36", 0)
        .mode(instructor::Mode::JsonSchema)
        .await
        .unwrap_err();
    assert_eq!(kind(&err), "Api 404");
}

/// The benchmarks' routes at `addr`.
struct Route(std::net::SocketAddr, &'static str);

impl Endpoint for Route {
    fn base(&self) -> String {
        format!("http://{}/{}/v1", self.0, self.1)
    }
}

#[tokio::test]
async fn the_benchmark_routes_answer_as_documented() {
    let (addr, stats) = FaultServer::on_own_thread(routes::routes());
    let small = ask::<UserDetails>(&Route(addr, "small"), "Jason is 20", 0).await;
    assert_eq!(small.unwrap(), jason());
    let large = ask::<Report>(&Route(addr, "large"), "the report", 0).await;
    // The whole report (its prices are floats: compared as far as they survive JSON).
    let (large, sample) = (large.unwrap(), sample_report());
    assert_eq!(
        (&large.title, &large.customer),
        (&sample.title, &sample.customer)
    );
    assert_eq!((large.line_items.len(), &large.tags), (100, &sample.tags));
    let slow = ask::<UserDetails>(&Route(addr, "slow"), "Jason is 20", 0).await;
    assert_eq!(slow.unwrap(), jason());
    // `reask`: age 200 first; the re-ask message gets the valid answer.
    let once = ask::<UserDetails>(&Route(addr, "reask"), "Jason is 20", 0).await;
    assert_eq!(kind(&once.unwrap_err()), "RetriesExhausted");
    let twice = ask::<UserDetails>(&Route(addr, "reask"), "Jason is 20", 1).await;
    assert_eq!(twice.unwrap(), jason());
    assert_eq!(stats.requests.load(Ordering::SeqCst), 6);
}

#[tokio::test]
async fn the_limited_route_answers_every_fiftieth_request_429_and_the_client_retries_it() {
    let (addr, stats) = FaultServer::on_own_thread(routes::routes());
    for _ in 0..50 {
        let user = ask::<UserDetails>(&Route(addr, "limited"), "Jason is 20", 0).await;
        assert_eq!(user.unwrap(), jason());
    }
    // The 50th request was answered 429 and sent again.
    assert_eq!(stats.requests.load(Ordering::SeqCst), 51);
}
