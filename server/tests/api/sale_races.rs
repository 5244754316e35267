//! Attack tests of the sale lifecycle: claims racing restocks, releases, pause/resume and the
//! end of the window, on one and on two server processes, in the engine mode of CLAIM_ENGINE.
//!
//! Stock is no longer monotonic: a batch that compared stock (not the version counter) to detect
//! changes between its snapshot and its lock would be fooled by claim + release (A-B-A) and
//! insert a claim twice (a 5xx) or answer from stale holders. Afterwards, from the database:
//! never more live claims than `amount`, one live claim per user, `remaining == amount - live
//! claims`; and no claim sent after a pause (or the end of the window) was acknowledged and
//! answered before the resume answered `200`.

use crate::common;

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use futures::{StreamExt, stream};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::common::{TestApp, assert_invariants, spawn, tally};

const COUPON: &str = "RACE";
/// Distinct users; they come back again and again.
const USERS: usize = 750;
const CONCURRENCY: usize = 48;
/// How long the claims run at least.
const RUN: Duration = Duration::from_secs(4);
/// The claims run on until the admin has closed and reopened the sale this often (a slow box
/// makes the admin's rounds slow too: a fixed run once saw only two closes, a 40 s cap was still
/// a bet on the machine); `RUN_MAX` only ends a run whose admin is stuck.
const CLOSES: usize = 4;
const RUN_MAX: Duration = Duration::from_secs(120);

/// One claim as the client saw it.
struct Answer {
    status: u16,
    code: String,
    sent: Instant,
    answered: Instant,
}

/// A span in which claims must be refused: from the admin's acknowledged pause (or end) to the
/// moment the resume was sent.
type Closed = (Instant, Instant);

async fn claim(app: &TestApp, user: String) -> Answer {
    let sent = Instant::now();
    let (status, body) = app.claim(&user, COUPON).await;
    Answer {
        status,
        code: body["code"].as_str().unwrap_or_default().to_owned(),
        sent,
        answered: Instant::now(),
    }
}

/// Releases, restocks, pauses and closes the window over and over until `done`.
async fn admin(
    apps: Arc<Vec<TestApp>>,
    pool: PgPool,
    done: Arc<Mutex<bool>>,
    closes: Arc<AtomicUsize>,
) -> Vec<Closed> {
    let mut closed = Vec::new();
    let mut round = 0usize;
    while !*done.lock().unwrap() {
        round += 1;
        let app = &apps[round % apps.len()];
        let holder: Option<String> = sqlx::query_scalar(
            "SELECT user_id FROM claims WHERE coupon_name = $1 ORDER BY random() LIMIT 1",
        )
        .bind(COUPON)
        .fetch_optional(&pool)
        .await
        .unwrap();
        if let Some(user) = holder {
            let (status, body) = app.release(COUPON, &user).await;
            assert!(status == 200 || status == 404, "release: {status} {body}");
        }
        if round.is_multiple_of(7) {
            let (_, coupon) = app.get(&format!("/api/coupons/{COUPON}")).await;
            let amount = coupon["amount"].as_i64().unwrap();
            let (status, body) = app.patch(COUPON, &json!({"amount": amount + 3})).await;
            assert_eq!(status, 200, "restock: {body}");
        }
        if round.is_multiple_of(5) {
            let (stop, resume) = if round.is_multiple_of(10) {
                let ended = chrono::Utc::now() - chrono::Duration::seconds(1);
                (
                    json!({"ends_at": ended.to_rfc3339()}),
                    json!({"ends_at": null}),
                )
            } else {
                (json!({"paused": true}), json!({"paused": false}))
            };
            let (status, body) = app.patch(COUPON, &stop).await;
            assert_eq!(status, 200, "close: {body}");
            let from = Instant::now();
            tokio::time::sleep(Duration::from_millis(30)).await;
            let to = Instant::now();
            let (status, body) = app.patch(COUPON, &resume).await;
            assert_eq!(status, 200, "reopen: {body}");
            closed.push((from, to));
            closes.fetch_add(1, Ordering::Relaxed);
        }
    }
    closed
}

async fn race(apps: Vec<TestApp>, pool: &PgPool) {
    apps[0].create(COUPON, 200).await;
    let apps = Arc::new(apps);
    let done = Arc::new(Mutex::new(false));
    let closes = Arc::new(AtomicUsize::new(0));
    let admin = tokio::spawn(admin(
        Arc::clone(&apps),
        pool.clone(),
        Arc::clone(&done),
        Arc::clone(&closes),
    ));
    // Every user claims once per process at about the same moment, so the processes' batches
    // hold the same users; a user may come back after a release.
    let processes = apps.len();
    let started = Instant::now();
    let requests = (0..).flat_map(|i| (0..processes).map(move |p| (i, p)));
    let answers: Vec<Answer> = stream::iter(requests)
        .take_while(|_| {
            let elapsed = started.elapsed();
            let enough = elapsed >= RUN && closes.load(Ordering::Relaxed) >= CLOSES;
            std::future::ready(!enough && elapsed < RUN_MAX)
        })
        .map(|(i, p)| {
            let apps = Arc::clone(&apps);
            async move { claim(&apps[p], format!("u{}", i % USERS)).await }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    *done.lock().unwrap() = true;
    let closed = admin.await.unwrap();

    let summary: Vec<(u16, Value)> = answers
        .iter()
        .map(|a| (a.status, json!({"code": a.code})))
        .collect();
    let counts = tally(&summary);
    eprintln!("answers: {counts:?}; closed spans: {}", closed.len());
    assert!(
        answers.iter().all(|a| a.status < 500),
        "no claim may fail with a 5xx: {counts:?}"
    );
    assert!(
        closed.len() >= CLOSES,
        "waited {RUN_MAX:?} for the admin to close the sale {CLOSES} times: only {}",
        closed.len()
    );
    assert!(answers.iter().any(|a| a.status == 200), "{counts:?}");
    for a in &answers {
        for (from, to) in &closed {
            if a.sent > *from && a.answered < *to {
                assert_ne!(
                    a.status, 200,
                    "a claim sent and answered while closed was granted"
                );
            }
        }
    }
    let (amount, remaining, claims) = assert_invariants(pool, COUPON).await;
    eprintln!("amount {amount}, remaining {remaining}, live claims {claims}");
    // The API reads the same truth.
    let (_, coupon) = apps[0].get(&format!("/api/coupons/{COUPON}")).await;
    assert_eq!(coupon["claimed"], json!(claims));
    assert_eq!(
        coupon["claimed_by"].as_array().unwrap().len() as i64,
        claims
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn claims_race_restocks_releases_and_pauses(pool: PgPool) {
    race(vec![spawn(&pool).await], &pool).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn two_processes_race_restocks_releases_and_pauses(pool: PgPool) {
    race(vec![spawn(&pool).await, spawn(&pool).await], &pool).await;
}

/// The A-B-A of stock, made on purpose: while a claim of `y` waits for the row lock, another
/// transaction claims for `y` (stock - 1) and releases `z` (stock + 1), so the stock is back where
/// the waiting claim's snapshot saw it, but `y` holds the coupon now. An engine that compared
/// stock would insert `y` twice (a unique violation: a 5xx); the claim must answer
/// `already_claimed`, and the second unit stays for others.
#[sqlx::test(migrations = "../migrations")]
async fn stock_that_comes_back_does_not_fool_a_waiting_claim(pool: PgPool) {
    // The waiting claim must outwait the steps below however slow the machine: no lock or
    // statement timeout ends its wait first.
    let app = common::spawn_with(&pool, |c| {
        c.db_lock_timeout_ms = 120_000;
        c.db_statement_timeout_ms = 120_000;
    })
    .await;
    app.create("ABA", 2).await;
    assert_eq!(app.claim("z", "ABA").await.0, 200);
    let mut other = common::hold_row_lock(&pool, "ABA").await;
    let waiting = {
        let (base, http) = (app.base.clone(), app.http.clone());
        tokio::spawn(async move {
            let resp = http
                .post(format!("{base}/api/coupons/claim"))
                .json(&json!({"user_id": "y", "coupon_name": "ABA"}))
                .send()
                .await
                .unwrap();
            (resp.status().as_u16(), resp.json::<Value>().await.unwrap())
        })
    };
    // The claim has taken its snapshot once it queues on the lock.
    common::until_lock_waiters(&pool, 1).await;
    // The engine's own statements, as another process and an admin would run them.
    let claimed = server::db::batches::settle_batch(&mut other, "ABA", &["y".to_owned()])
        .await
        .unwrap();
    assert_eq!(claimed.granted, ["y"]);
    let released = server::db::claims::release(&mut *other, "z", "ABA", "admin", "claim.release")
        .await
        .unwrap();
    assert!(released.claim_id.is_some());
    other.commit().await.unwrap();
    let (status, body) = waiting.await.unwrap();
    assert_eq!(
        (status, body["code"].clone()),
        (409, json!("already_claimed")),
        "{body}"
    );
    let (_, remaining, claims) = assert_invariants(&pool, "ABA").await;
    assert_eq!((remaining, claims), (1, 1));
    assert_eq!(app.claim("w", "ABA").await.0, 200);
}
