//! Rate limits answer 429 with Retry-After and the error JSON, change nothing, and key on the
//! right thing: the client IP (the peer, or the last X-Forwarded-For hop when trusted), the
//! user id, and failed credentials per IP.

use crate::common;

use crate::common::admin::{PASSWORD, TOKEN, client};
use serde_json::{Value, json};
use sqlx::PgPool;

async fn claim_as(app: &common::TestApp, user: &str, forwarded: Option<&str>) -> (u16, Value) {
    let mut request = app
        .http
        .post(format!("{}/api/coupons/claim", app.base))
        .json(&json!({"user_id": user, "coupon_name": "LIMITED"}));
    if let Some(ip) = forwarded {
        request = request.header("x-forwarded-for", format!("203.0.113.9, {ip}"));
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    if status == 429 {
        let wait: u64 = response.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(wait >= 1);
    }
    (status, response.json().await.unwrap())
}

#[sqlx::test(migrations = "../migrations")]
async fn claims_per_ip_are_limited_and_refusals_claim_nothing(pool: PgPool) {
    let app = common::spawn_with(&pool, |c| {
        c.rate_limits = true;
        c.claims_per_ip_per_sec = 1;
        c.claims_per_ip_burst = 5;
    })
    .await;
    app.create("LIMITED", 1000).await;
    // Faster than 1 a second, beyond the burst of 5: claims are refused. Sent until 5 are (a slow
    // machine sees more tokens come back meanwhile, so it sends more).
    let mut refused = Vec::new();
    let mut sent = 0;
    while refused.len() < 5 {
        assert!(
            sent < 1000,
            "only {} of {sent} claims refused at 1 a second",
            refused.len()
        );
        let user = format!("u{sent}");
        sent += 1;
        let (status, body) = claim_as(&app, &user, None).await;
        if status == 429 {
            assert_eq!(body["code"], "rate_limited", "{body}");
            refused.push(user);
        }
    }
    let held: Vec<String> = sqlx::query_scalar("SELECT user_id FROM claims")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert!(
        refused.iter().all(|u| !held.contains(u)),
        "a refused claim was recorded"
    );
    assert_eq!(held.len() + refused.len(), sent);
}

#[sqlx::test(migrations = "../migrations")]
async fn the_client_ip_comes_from_x_forwarded_for_only_when_trusted(pool: PgPool) {
    for trusted in [false, true] {
        let app = common::spawn_with(&pool, |c| {
            c.rate_limits = true;
            c.trust_forwarded_for = trusted;
            c.claims_per_ip_per_sec = 1;
            c.claims_per_ip_burst = 2;
        })
        .await;
        if !trusted {
            app.create("LIMITED", 100).await;
        }
        // Trusted: four clients, one claim each. Not trusted: one address, claiming faster than
        // 1 a second until refused (a slow machine may see a token come back meanwhile).
        let mut statuses = Vec::new();
        let claims = if trusted { 4 } else { 1000 };
        for i in 0..claims {
            // A new address every time: were the header believed, nothing would be refused.
            let ip = format!("198.51.{}.{}", 100 + i / 250, i % 250);
            let status = claim_as(&app, &format!("t{trusted}-{i}"), Some(&ip))
                .await
                .0;
            statuses.push(status);
            if !trusted && status == 429 {
                break;
            }
        }
        if trusted {
            assert_eq!(
                statuses,
                [200, 200, 200, 200],
                "each proxy-reported client has its own budget"
            );
        } else {
            assert_eq!(&statuses[..2], [200, 200]);
            assert_eq!(
                statuses.last(),
                Some(&429),
                "a spoofed header escaped the limit: {statuses:?}"
            );
        }
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn claims_per_user_are_limited(pool: PgPool) {
    let app = common::spawn_with(&pool, |c| {
        c.rate_limits = true;
        c.claims_per_user_per_sec = 1;
        c.claims_per_user_burst = 2;
    })
    .await;
    app.create("LIMITED", 100).await;
    let mut statuses = Vec::new();
    for _ in 0..2 {
        statuses.push(claim_as(&app, "eager", None).await.0);
    }
    assert_eq!(statuses, [200, 409], "{statuses:?}");
    // Then refused: claimed again until a 429 (a slow machine may see a token come back
    // meanwhile, answered already_claimed: never a second grant).
    loop {
        let status = claim_as(&app, "eager", None).await.0;
        statuses.push(status);
        if status == 429 {
            break;
        }
        assert!(status == 409 && statuses.len() < 1000, "{statuses:?}");
    }
    // Other users are not affected.
    assert_eq!(claim_as(&app, "calm", None).await.0, 200);
}

#[sqlx::test(migrations = "../migrations")]
async fn failed_credentials_lock_an_address_out(pool: PgPool) {
    let app = common::spawn_with(&pool, |c| {
        c.rate_limits = true;
        c.admin_password = Some(PASSWORD.into());
        c.admin_token = Some(TOKEN.into());
        c.auth_failures_per_minute = 3;
    })
    .await;
    let http = client();
    let token = |t: &str| {
        http.get(format!("{}/api/coupons/X/claims", app.base))
            .bearer_auth(t)
            .send()
    };
    for _ in 0..3 {
        assert_eq!(token("wrong").await.unwrap().status(), 401);
    }
    let locked = token("wrong").await.unwrap();
    assert_eq!(locked.status(), 429);
    assert!(locked.headers().contains_key("retry-after"));
    // Locked out: even the right token gets no answer about itself, nor does the password.
    assert_eq!(token(TOKEN).await.unwrap().status(), 429);
    let sign_in = http
        .post(format!("{}/signin", app.base))
        .form(&[("password", PASSWORD), ("next", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(sign_in.status(), 429);
    // Public routes stay open to that address.
    assert_eq!(
        http.get(format!("{}/health", app.base))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}
