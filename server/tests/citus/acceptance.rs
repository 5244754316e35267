//! A sale's promises through HTTP, on Citus: claims and refusals, races across two server
//! processes, the sale's lifecycle, idempotency, API keys, redemption and webhook events, each
//! checked by its answers and by the rows the coordinator reads afterwards.

use std::collections::BTreeMap;

use futures::future::join_all;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::webhooks::{Behaviour, Receiver};

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

    async fn claims_and_refusals(&mut self) {
        let c = self.coupon("CLAIMS");
        self.create(&c, 2).await;
        let answer = self
            .send(
                reqwest::Method::POST,
                "/api/coupons",
                Some(json!({"name": c, "amount": 2})),
            )
            .await;
        self.expect(
            "a second coupon of one name",
            &answer,
            409,
            Some("coupon_exists"),
        );
        let base = self.base.clone();
        let first = self.claim_at(&base, "u1", &c, None).await;
        self.expect("a first claim", &first, 200, None);
        if first.1["remaining_amount"] != json!(1) {
            self.problems
                .push(format!("a first claim of 2 left {}", first.1));
        }
        let again = self.claim_at(&base, "u1", &c, None).await;
        self.expect("the same user again", &again, 409, Some("already_claimed"));
        let second = self.claim_at(&base, "u2", &c, None).await;
        self.expect("the last unit", &second, 200, None);
        let none = self.claim_at(&base, "u3", &c, None).await;
        self.expect("a claim of a sold-out coupon", &none, 409, Some("sold_out"));
        let ghost = self
            .claim_at(&base, "u1", &self.coupon("GHOST"), None)
            .await;
        self.expect(
            "a claim of no coupon",
            &ghost,
            404,
            Some("coupon_not_found"),
        );
    }

    /// Many users against little stock, and one user many times, from both processes at once.
    async fn races(&mut self, db: &PgPool) {
        let (many, one) = (self.coupon("RACE"), self.coupon("ONE-USER"));
        self.create(&many, 50).await;
        self.create(&one, 10).await;
        let bases = [self.base.clone(), self.other.clone()];
        let claims = (0..300).map(|i| {
            let base = bases[i % 2].clone();
            let (this, many) = (&*self, many.clone());
            async move {
                this.claim_at(&base, &format!("racer-{i}"), &many, None)
                    .await
                    .0
            }
        });
        let oks = join_all(claims).await.iter().filter(|s| **s == 200).count();
        let same = (0..100).map(|i| {
            let base = bases[i % 2].clone();
            let (this, one) = (&*self, one.clone());
            async move { this.claim_at(&base, "the-same-user", &one, None).await.0 }
        });
        let same_oks = join_all(same).await.iter().filter(|s| **s == 200).count();
        for (coupon, answered, amount, rows_expected) in
            [(&many, oks, 50, 50), (&one, same_oks, 10, 1)]
        {
            let (rows, distinct, remaining): (i64, i64, i32) = sqlx::query_as(
                "SELECT (SELECT count(*) FROM claims WHERE coupon_name = $1),
                        (SELECT count(DISTINCT user_id) FROM claims WHERE coupon_name = $1),
                        (SELECT remaining_amount FROM coupons WHERE name = $1)",
            )
            .bind(coupon)
            .fetch_one(db)
            .await
            .expect("count a race");
            if (answered as i64, rows, distinct, remaining)
                != (
                    rows_expected,
                    rows_expected,
                    rows_expected,
                    amount - rows_expected as i32,
                )
            {
                self.problems.push(format!(
                    "{coupon}: {answered} answered 200, {rows} rows of {distinct} users, {remaining} left of {amount}"
                ));
            }
        }
    }

    async fn lifecycle_and_release(&mut self) {
        let c = self.coupon("LIFE");
        self.create(&c, 5).await;
        let base = self.base.clone();
        self.patch(&c, json!({"paused": true}), 200, None).await;
        let paused = self.claim_at(&base, "l1", &c, None).await;
        self.expect("a claim while paused", &paused, 409, Some("paused"));
        self.patch(
            &c,
            json!({"paused": false, "starts_at": "2999-01-01T00:00:00Z"}),
            200,
            None,
        )
        .await;
        let early = self.claim_at(&base, "l1", &c, None).await;
        self.expect(
            "a claim before the window",
            &early,
            409,
            Some("not_started"),
        );
        self.patch(
            &c,
            json!({"starts_at": null, "ends_at": "2001-01-01T00:00:00Z"}),
            200,
            None,
        )
        .await;
        let late = self.claim_at(&base, "l1", &c, None).await;
        self.expect("a claim after the window", &late, 409, Some("ended"));
        self.patch(&c, json!({"ends_at": null}), 200, None).await;
        for user in ["l1", "l2"] {
            let ok = self.claim_at(&base, user, &c, None).await;
            self.expect("a claim in an open sale", &ok, 200, None);
        }
        self.patch(&c, json!({"amount": 1}), 409, None).await;
        self.patch(&c, json!({"amount": 3}), 200, None).await;
        let released = self
            .send(
                reqwest::Method::DELETE,
                &format!("/api/coupons/{c}/claims/l1"),
                None,
            )
            .await;
        self.expect("a release", &released, 200, None);
        if released.1["remaining_amount"] != json!(2) {
            self.problems.push(format!(
                "a release of 1 of 3 with 2 claimed left {}",
                released.1
            ));
        }
        let back = self.claim_at(&base, "l1", &c, None).await;
        self.expect("a claim after the release", &back, 200, None);
    }

    async fn idempotency(&mut self) {
        let c = self.coupon("IDEM");
        self.create(&c, 5).await;
        let send = |user: &str| {
            self.http
                .post(format!("{}/api/coupons/claim", self.base))
                .header("Idempotency-Key", format!("{}-key", self.tag))
                .json(&json!({"user_id": user, "coupon_name": c}))
                .send()
        };
        let first = send("i1").await.expect("a keyed claim");
        let first = (
            first.status().as_u16(),
            first.json::<Value>().await.unwrap_or_default(),
        );
        let replay = send("i1").await.expect("a replay");
        let replay = (
            replay.status().as_u16(),
            replay.json::<Value>().await.unwrap_or_default(),
        );
        let reused = send("i2").await.expect("a reused key");
        let reused = (
            reused.status().as_u16(),
            reused.json::<Value>().await.unwrap_or_default(),
        );
        self.expect("a keyed claim", &first, 200, None);
        if replay != first {
            self.problems
                .push(format!("a replay answered {replay:?}, the first {first:?}"));
        }
        self.expect(
            "a key reused for another body",
            &reused,
            422,
            Some("idempotency_key_reused"),
        );
    }

    async fn keys(&mut self) {
        let c = self.coupon("KEYS");
        self.create(&c, 5).await;
        let body = json!({"name": format!("{} shop", self.tag), "scopes": ["claim"]});
        let created = self
            .send(reqwest::Method::POST, "/api/keys", Some(body))
            .await;
        self.expect("a claim key", &created, 201, None);
        let (id, key) = (
            created.1["id"].clone(),
            created.1["key"].as_str().unwrap_or_default().to_owned(),
        );
        let base = self.base.clone();
        let with_key = self.claim_at(&base, "k1", &c, Some(&key)).await;
        self.expect("a claim with the key", &with_key, 200, None);
        let revoked = self
            .send(reqwest::Method::DELETE, &format!("/api/keys/{id}"), None)
            .await;
        self.expect("a revocation", &revoked, 200, None);
        let refused = self.claim_at(&base, "k2", &c, Some(&key)).await;
        self.expect(
            "a claim with the revoked key",
            &refused,
            401,
            Some("invalid_key"),
        );
    }

    async fn redemption(&mut self) {
        let c = self.coupon("REDEEM");
        self.create(&c, 5).await;
        let base = self.base.clone();
        let claimed = self.claim_at(&base, "r1", &c, None).await;
        self.expect("a claim to redeem", &claimed, 200, None);
        let path = format!("/api/coupons/{c}/claims/r1/redeem");
        let redeemed = self.send(reqwest::Method::POST, &path, None).await;
        self.expect("a redemption", &redeemed, 200, None);
        let again = self.send(reqwest::Method::POST, &path, None).await;
        self.expect("a second redemption", &again, 409, Some("already_redeemed"));
        let release = self
            .send(
                reqwest::Method::DELETE,
                &format!("/api/coupons/{c}/claims/r1"),
                None,
            )
            .await;
        self.expect(
            "a release of a redeemed claim",
            &release,
            409,
            Some("redeemed"),
        );
    }

    /// The events the checks above made, each heard (at least once) by the receiver.
    async fn events_heard(&mut self, receiver: &Receiver) {
        let expected: BTreeMap<(&str, String, &str), usize> = [
            (("claim.created", self.coupon("CLAIMS"), "u1"), 1),
            (("claim.created", self.coupon("CLAIMS"), "u2"), 1),
            (("coupon.sold_out", self.coupon("CLAIMS"), ""), 1),
            (("coupon.updated", self.coupon("LIFE"), ""), 5),
            (("claim.released", self.coupon("LIFE"), "l1"), 1),
            (("claim.redeemed", self.coupon("REDEEM"), "r1"), 1),
        ]
        .into_iter()
        .collect();
        let heard = |receiver: &Receiver| {
            let mut heard: BTreeMap<(String, String, String), usize> = BTreeMap::new();
            let mut ids = std::collections::HashSet::new();
            for r in receiver.received() {
                if !ids.insert(r.id.clone()) {
                    continue;
                }
                let data = r.json()["data"].clone();
                let user = data["user_id"].as_str().unwrap_or_default().to_owned();
                let coupon = data["coupon_name"].as_str().unwrap_or_default().to_owned();
                *heard.entry((r.event_type(), coupon, user)).or_default() += 1;
            }
            heard
        };
        let all_heard = |h: &BTreeMap<(String, String, String), usize>| {
            expected.iter().all(|((kind, coupon, user), n)| {
                h.get(&(kind.to_string(), coupon.clone(), user.to_string()))
                    .copied()
                    .unwrap_or(0)
                    >= *n
            })
        };
        let wait = std::time::Instant::now();
        // A bound on a lost event, not a speed gate: deliveries come within a second here.
        while !all_heard(&heard(receiver)) && wait.elapsed() < std::time::Duration::from_secs(60) {
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        let heard = heard(receiver);
        for ((kind, coupon, user), n) in &expected {
            let got = heard
                .get(&(kind.to_string(), coupon.clone(), user.to_string()))
                .copied()
                .unwrap_or(0);
            if got < *n {
                self.problems.push(format!(
                    "webhooks: {kind} of {coupon} {user}: heard {got}, expected {n} within a minute"
                ));
            }
        }
    }
}
