//! What a shop's backend does: idempotent claims, API keys, redemption.

use serde_json::{Value, json};

use super::Sale;

impl Sale {
    pub(super) async fn idempotency(&mut self) {
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

    pub(super) async fn keys(&mut self) {
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

    pub(super) async fn redemption(&mut self) {
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
}
