//! Claims and their refusals, races across the two processes, and the sale's lifecycle.

use futures::future::join_all;
use serde_json::json;
use sqlx::PgPool;

use super::Sale;

impl Sale {
    pub(super) async fn claims_and_refusals(&mut self) {
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
    pub(super) async fn races(&mut self, db: &PgPool) {
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

    pub(super) async fn lifecycle_and_release(&mut self) {
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
}
