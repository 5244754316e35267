//! A sale's promises through HTTP, on Citus: claims and refusals, races across two server
//! processes, the sale's lifecycle, idempotency, API keys, redemption and webhook events, each
//! checked by its answers and by the rows the coordinator reads afterwards.

use serde_json::{Value, json};
use sqlx::PgPool;

use crate::webhooks::{Behaviour, Receiver};

mod events;
mod sale;
mod shop;

/// Every event type the server sends.
const EVENTS: [&str; 5] = [
    "claim.created",
    "claim.released",
    "claim.redeemed",
    "coupon.updated",
    "coupon.sold_out",
];

/// One server's HTTP face; `other` is the second server process on the same database.
pub struct Sale {
    http: reqwest::Client,
    base: String,
    other: String,
    /// The coupon names of this run start with it (one run per engine).
    tag: String,
    problems: Vec<String>,
}

impl Sale {
    pub fn new(base: &str, other: &str, tag: &str) -> Self {
        Self {
            http: reqwest::Client::new(),
            base: base.to_owned(),
            other: other.to_owned(),
            tag: tag.to_owned(),
            problems: Vec::new(),
        }
    }

    fn coupon(&self, name: &str) -> String {
        format!("{}-{name}", self.tag)
    }

    async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("a request to the server");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn claim_at(
        &self,
        base: &str,
        user: &str,
        coupon: &str,
        key: Option<&str>,
    ) -> (u16, Value) {
        let mut request = self
            .http
            .post(format!("{base}/api/coupons/claim"))
            .json(&json!({"user_id": user, "coupon_name": coupon}));
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        let response = request.send().await.expect("a claim");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Records a problem unless `status` and the body's `code` (for a 4xx) are as expected.
    fn expect(&mut self, what: &str, (status, body): &(u16, Value), want: u16, code: Option<&str>) {
        let got = body["code"].as_str();
        if *status != want || (code.is_some() && got != code) {
            self.problems.push(format!(
                "{what}: answered {status} {body}, expected {want} {code:?}"
            ));
        }
    }

    async fn create(&mut self, name: &str, amount: i64) {
        let answer = self
            .send(
                reqwest::Method::POST,
                "/api/coupons",
                Some(json!({"name": name, "amount": amount})),
            )
            .await;
        self.expect(&format!("create {name}"), &answer, 201, None);
    }

    async fn patch(&mut self, name: &str, body: Value, want: u16, code: Option<&str>) {
        let answer = self
            .send(
                reqwest::Method::PATCH,
                &format!("/api/coupons/{name}"),
                Some(body.clone()),
            )
            .await;
        self.expect(&format!("PATCH {name} {body}"), &answer, want, code);
    }

    /// Runs every check; returns the problems and the number of checks made.
    pub async fn check(mut self, db: &PgPool) -> Vec<String> {
        let receiver = self.subscribe_to_everything().await;
        self.claims_and_refusals().await;
        self.races(db).await;
        self.lifecycle_and_release().await;
        self.idempotency().await;
        self.keys().await;
        self.redemption().await;
        self.events_heard(&receiver).await;
        self.problems
    }

    async fn subscribe_to_everything(&mut self) -> Receiver {
        let receiver = Receiver::start(Behaviour::Ok).await;
        let body = json!({"url": receiver.url, "events": EVENTS});
        let answer = self
            .send(reqwest::Method::POST, "/api/webhooks", Some(body))
            .await;
        self.expect("register a webhook for every event", &answer, 201, None);
        receiver
    }
}
