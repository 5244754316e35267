//! Real concurrent HTTP load: workers claim coupons with fresh user ids and record every answer.

use std::{
    sync::{
        Arc, Mutex, RwLock,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use serde_json::{Value, json};
use sqlx::{PgPool, postgres::PgPoolOptions};
use tokio::task::JoinHandle;

/// How long a client waits for an answer. The server answers every request within its
/// REQUEST_TIMEOUT (`process::REQUEST_TIMEOUT`, 6 s), so waiting this long is a hang.
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(60);

/// How long a tier waits for the load to get claims answered `200` (before a fault, and after
/// the recovery) before it goes on; the report judges what came.
pub const PATIENCE: Duration = Duration::from_secs(120);

/// One claim and what the server answered.
#[derive(Debug, Clone)]
pub struct Answer {
    pub user: String,
    pub coupon: String,
    /// `None` when no HTTP answer came (connection refused or reset, timeout).
    pub status: Option<u16>,
    pub code: Option<String>,
    pub sent: Instant,
    pub took: Duration,
}

/// A running load; `stop` ends it and returns every answer.
pub struct Load {
    running: Arc<AtomicBool>,
    workers: Vec<JoinHandle<()>>,
    answers: Arc<Mutex<Vec<Answer>>>,
}

/// Claims once; never panics.
pub async fn claim(http: &reqwest::Client, base: &str, user: &str, coupon: &str) -> Answer {
    let sent = Instant::now();
    let response = http
        .post(format!("{base}/api/coupons/claim"))
        .json(&json!({"user_id": user, "coupon_name": coupon}))
        .send()
        .await;
    answer(user, coupon, sent, response).await
}

/// The status and error code of `response`, sent at `sent`.
pub async fn answer(
    user: &str,
    coupon: &str,
    sent: Instant,
    response: reqwest::Result<reqwest::Response>,
) -> Answer {
    let (status, code) = match response {
        Ok(r) => {
            let status = r.status().as_u16();
            let body: Option<Value> = r.json().await.ok();
            let code = body.and_then(|b| b.get("code").and_then(Value::as_str).map(String::from));
            (Some(status), code)
        }
        Err(_) => (None, None),
    };
    Answer {
        user: user.to_owned(),
        coupon: coupon.to_owned(),
        status,
        code,
        sent,
        took: sent.elapsed(),
    }
}

impl Load {
    /// `workers` tasks, each claiming `coupons` in turn with fresh users named `{tag}-{w}-{n}`,
    /// against whatever `base` holds at the moment (a restarted server may move it).
    pub fn start(base: Arc<RwLock<String>>, coupons: &[String], workers: usize, tag: &str) -> Self {
        let running = Arc::new(AtomicBool::new(true));
        let answers = Arc::new(Mutex::new(Vec::new()));
        // A client that neither pools across a dead server nor waits forever.
        let http = reqwest::Client::builder()
            .timeout(CLIENT_TIMEOUT)
            .pool_max_idle_per_host(workers)
            .build()
            .expect("client");
        let workers = (0..workers)
            .map(|w| {
                let (running, answers, http, base) =
                    (running.clone(), answers.clone(), http.clone(), base.clone());
                let coupons = coupons.to_vec();
                let tag = tag.to_owned();
                tokio::spawn(async move {
                    let mut n = 0usize;
                    while running.load(Ordering::Relaxed) {
                        let coupon = &coupons[(w + n) % coupons.len()];
                        let user = format!("{tag}-{w}-{n}");
                        let url = base.read().unwrap().clone();
                        let answer = claim(&http, &url, &user, coupon).await;
                        match answer.status {
                            // Nobody answers: do not spin on a refused port.
                            None => tokio::time::sleep(Duration::from_millis(20)).await,
                            // Busy or away: back off as a client should (a failover refuses
                            // thousands a second otherwise, each one to retry afterwards).
                            Some(503) => tokio::time::sleep(Duration::from_millis(200)).await,
                            Some(_) => {}
                        }
                        answers.lock().unwrap().push(answer);
                        n += 1;
                    }
                })
            })
            .collect();
        Self {
            running,
            workers,
            answers,
        }
    }

    /// Waits until `n` claims sent at or after `since` have been answered `200`, or `limit`
    /// has passed; returns whether they were.
    pub async fn oks_since(&self, since: Instant, n: usize, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        loop {
            let oks = self
                .answers
                .lock()
                .unwrap()
                .iter()
                .filter(|a| a.status == Some(200) && a.sent >= since)
                .count();
            if oks >= n {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Stops the workers (each finishes its request in flight) and returns all answers.
    pub async fn stop(self) -> Vec<Answer> {
        self.running.store(false, Ordering::Relaxed);
        for worker in self.workers {
            let _ = worker.await;
        }
        std::mem::take(&mut *self.answers.lock().unwrap())
    }
}

/// A small pool on the database of the tier, patient enough for a cluster coming back.
pub async fn connect(url: &str) -> PgPool {
    PgPoolOptions::new()
        .max_connections(4)
        .acquire_timeout(Duration::from_secs(30))
        .connect(url)
        .await
        .expect("connect to the tier's database")
}

/// Creates a coupon through the API (an open admin: the tiers' servers set no password).
pub async fn create_coupon(base: &str, name: &str, amount: i32) {
    create(base, &json!({"name": name, "amount": amount})).await;
}

/// A draw coupon whose entry window stays open through the tier: its claims are entries (`202`).
pub async fn create_draw_coupon(base: &str, name: &str, amount: i32) {
    let ends_at = chrono::Utc::now() + chrono::Duration::days(1);
    create(
        base,
        &json!({"name": name, "amount": amount, "allocation": "draw", "ends_at": ends_at}),
    )
    .await;
}

async fn create(base: &str, body: &Value) {
    let status = reqwest::Client::new()
        .post(format!("{base}/api/coupons"))
        .json(body)
        .send()
        .await
        .expect("create coupon")
        .status();
    assert_eq!(status, 201, "create {body}");
}
