//! A draw over real HTTP (docs/draw.md): asked for too early it is refused; drawn once, by the
//! admin's "Draw now" or by itself at draw_at, across processes; its proof and ranked tickets
//! check out with the documented verifier, and no user id leaks to the public.

use std::collections::BTreeSet;

use chrono::{Duration, Utc};
use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use sqlx::PgPool;

use crate::common::{self, Wait, admin, creds, docs, spawn};

fn code(body: &Value) -> &str {
    body["code"].as_str().unwrap_or_default()
}

/// Draw coupon `name` of `amount` units with `entrants` entered through the API.
async fn entered(app: &common::TestApp, name: &str, amount: i64, entrants: usize) -> Vec<String> {
    let body = json!({"name": name, "amount": amount, "allocation": "draw",
                      "ends_at": (Utc::now() + Duration::hours(1)).to_rfc3339()});
    let (status, created) = app.post("/api/coupons", &body).await;
    assert_eq!(status, 201, "{created}");
    let users: Vec<String> = (0..entrants)
        .map(|i| format!("{name}-user-{i:02}"))
        .collect();
    for user in &users {
        let (status, entry) = app.claim(user, name).await;
        assert_eq!(status, 202, "{entry}");
    }
    users
}

/// Closes the window of `name` now (and makes the draw due), as if its end had come.
async fn close(pool: &PgPool, name: &str) {
    sqlx::query("UPDATE coupons SET ends_at = now(), draw_at = now() WHERE name = $1")
        .bind(name)
        .execute(pool)
        .await
        .unwrap();
}

/// The audit entries of the draws of `coupon`: who drew, and what the entry says.
async fn draw_runs(pool: &PgPool, coupon: &str) -> Vec<(String, Value)> {
    sqlx::query_as(
        "SELECT actor, after FROM audit_log WHERE action = 'draw.run' AND coupon_name = $1",
    )
    .bind(coupon)
    .fetch_all(pool)
    .await
    .unwrap()
}

async fn text(app: &common::TestApp, path: &str) -> (u16, String) {
    let resp = app.fetch(path).await;
    (resp.status().as_u16(), resp.text().await.unwrap())
}

async fn holders(pool: &PgPool, coupon: &str) -> BTreeSet<String> {
    creds::holders(pool, coupon).await.into_iter().collect()
}

#[sqlx::test(migrations = "../migrations")]
async fn a_draw_is_made_once_and_its_proof_checks_out(pool: PgPool) {
    let app = spawn(&pool).await;
    let users = entered(&app, "D", 3, 10).await;
    let (status, early) = app.post("/api/coupons/D/draw", &json!({})).await;
    assert_eq!((status, code(&early)), (409, "entries_open"), "{early}");
    let (status, none) = app.get("/api/coupons/D/draw").await;
    assert_eq!((status, code(&none)), (409, "not_drawn"), "{none}");
    let (_, coupon) = app.get("/api/coupons/D").await;
    let commitment = coupon["draw"]["commitment"].clone();
    sqlx::query("UPDATE coupons SET ends_at = now() WHERE name = 'D'")
        .execute(&pool)
        .await
        .unwrap();

    // "Draw now" once the window closed, before draw_at.
    let (status, proof) = app.post("/api/coupons/D/draw", &json!({})).await;
    assert_eq!(status, 200, "{proof}");
    assert_eq!(
        (proof["entries"].as_u64(), proof["winners"].as_u64()),
        (Some(10), Some(3))
    );
    assert_eq!(
        proof["commitment"], commitment,
        "the commitment published before the entries"
    );
    assert_eq!(proof["algorithm"], "hmac-sha256-v1");
    let (status, again) = app.post("/api/coupons/D/draw", &json!({})).await;
    assert_eq!(
        (status, &again),
        (200, &proof),
        "drawn once: the same proof again"
    );
    let (status, read) = app.get("/api/coupons/D/draw").await;
    assert_eq!((status, &read), (200, &proof));
    // Audited once, as the admin's (open here): the figures of the proof.
    let runs = draw_runs(&pool, "D").await;
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0].0, "open");
    assert_eq!(
        (&runs[0].1["entries"], &runs[0].1["winners"]),
        (&json!(10), &json!(3))
    );
    assert_eq!(runs[0].1["tickets_digest"], proof["tickets_digest"]);

    let (status, tickets) = text(&app, proof["tickets"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(
        hex::encode(Sha256::digest(tickets.as_bytes())),
        proof["tickets_digest"]
    );
    for user in &users {
        assert!(
            !tickets.contains(user.as_str()),
            "a user id in the public tickets"
        );
    }
    // The documented verifier: accepts the draw and finds each entrant's rank; refuses a
    // changed seed and a reordered list.
    let verifier = format!(
        "{}\nimport json, sys\nwrong, rank = verify(json.loads(sys.argv[1]), sys.argv[2], sys.argv[3] or None)\n\
         print(json.dumps({{'wrong': wrong, 'rank': rank}}))\n",
        docs::python_block("draw.md")
    );
    let verify = |proof: &Value, tickets: &str, user: &str| -> Value {
        let out = docs::run_python(&verifier, &[&proof.to_string(), tickets, user]);
        serde_json::from_str(&out).unwrap()
    };
    let mut ranks = Vec::new();
    for user in &users {
        let checked = verify(&proof, &tickets, user);
        assert_eq!(checked["wrong"], json!([]), "{user}: {checked}");
        ranks.push(checked["rank"].as_u64().unwrap());
    }
    ranks.sort();
    assert_eq!(
        ranks,
        (1..=10).collect::<Vec<u64>>(),
        "each entrant finds a rank of their own"
    );
    let mut forged = proof.clone();
    forged["seed"] = json!("00".repeat(32));
    assert_ne!(verify(&forged, &tickets, "")["wrong"], json!([]));
    let mut lines: Vec<&str> = tickets.lines().collect();
    lines.swap(0, 9);
    let reordered = lines.join("\n") + "\n";
    assert_ne!(verify(&proof, &reordered, "")["wrong"], json!([]));

    // The winners are the first three ranks, and they hold the coupon's three units.
    let (status, csv) = text(&app, "/api/coupons/D/draw/tickets.csv").await;
    assert_eq!(status, 200, "{csv}");
    let rows: Vec<Vec<&str>> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    assert_eq!(rows.len(), 10);
    let won: BTreeSet<String> = rows
        .iter()
        .filter(|r| r[2] == "won")
        .map(|r| r[3].to_owned())
        .collect();
    assert_eq!(won.len(), 3);
    assert_eq!(holders(&pool, "D").await, won, "the winners hold the units");
    let (_, coupon) = app.get("/api/coupons/D").await;
    assert_eq!(coupon["draw"]["state"], "drawn", "{coupon}");
    assert_eq!(coupon["remaining_amount"], 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_due_draw_runs_by_itself(pool: PgPool) {
    let app = spawn(&pool).await;
    entered(&app, "AUTO", 2, 5).await;
    close(&pool, "AUTO").await;
    let wait = Wait::new("the draw of AUTO to run by itself after draw_at");
    loop {
        let (status, proof) = app.get("/api/coupons/AUTO/draw").await;
        if status == 200 {
            assert_eq!(proof["winners"], 2, "{proof}");
            break;
        }
        assert_eq!(code(&proof), "not_drawn", "{proof}");
        wait.again().await;
    }
    assert_eq!(holders(&pool, "AUTO").await.len(), 2);
    let actors: Vec<String> = draw_runs(&pool, "AUTO")
        .await
        .into_iter()
        .map(|r| r.0)
        .collect();
    assert_eq!(
        actors,
        ["system"],
        "a draw that ran by itself is the system's"
    );
}

/// Two server processes on one database, each asked to draw many times at once while their own
/// schedules look for due draws: one draw, exactly min(amount, entries) claims.
#[sqlx::test(migrations = "../migrations")]
async fn processes_racing_to_draw_make_one_draw(pool: PgPool) {
    let first = spawn(&pool).await;
    let second = spawn(&pool).await;
    entered(&first, "RACE", 4, 12).await;
    close(&pool, "RACE").await;
    let empty = json!({});
    let asks = (0..20).map(|i| {
        let app = if i % 2 == 0 { &first } else { &second };
        app.post("/api/coupons/RACE/draw", &empty)
    });
    let answers = futures::future::join_all(asks).await;
    let proofs: BTreeSet<String> = answers
        .iter()
        .map(|(status, proof)| {
            assert_eq!(*status, 200, "{proof}");
            proof.to_string()
        })
        .collect();
    assert_eq!(proofs.len(), 1, "one draw, one proof: {proofs:?}");
    assert_eq!(holders(&pool, "RACE").await.len(), 4);
    let tickets: i64 = sqlx::query_scalar("SELECT count(*) FROM draw_tickets")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(tickets, 12);
    assert_eq!(draw_runs(&pool, "RACE").await.len(), 1, "one draw audited");
}

/// The ranked tickets with user ids are for the admin and `read` keys only; the public gets
/// the proof and the tickets without them, and no one gets a seed before the draw.
#[sqlx::test(migrations = "../migrations")]
async fn user_ids_and_the_seed_stay_private(pool: PgPool) {
    let app = admin::locked(&pool, 60).await;
    let body = json!({"name": "P", "amount": 1, "allocation": "draw",
                      "ends_at": (Utc::now() + Duration::hours(1)).to_rfc3339()});
    let (status, _) = creds::call(
        &app,
        Method::POST,
        "/api/coupons",
        admin::TOKEN,
        Some(&body),
    )
    .await;
    assert_eq!(status, 201);
    for user in ["secret-alice", "secret-bob"] {
        assert_eq!(app.claim(user, "P").await.0, 202);
    }
    let (status, early) = creds::call(
        &app,
        Method::POST,
        "/api/coupons/P/draw",
        admin::TOKEN,
        None,
    )
    .await;
    assert_eq!((status, code(&early)), (409, "entries_open"));
    close(&pool, "P").await;
    let (status, _) = app.post("/api/coupons/P/draw", &json!({})).await;
    assert!(
        status == 401 || status == 403,
        "the public may not draw: {status}"
    );
    let (status, proof) = creds::call(
        &app,
        Method::POST,
        "/api/coupons/P/draw",
        admin::TOKEN,
        None,
    )
    .await;
    assert_eq!(status, 200, "{proof}");

    let public = admin::client();
    let get = |path: &str, bearer: Option<&str>| {
        let mut request = public.get(format!("{}{path}", app.base));
        if let Some(bearer) = bearer {
            request = request.bearer_auth(bearer);
        }
        async move {
            let resp = request.send().await.unwrap();
            (resp.status().as_u16(), resp.text().await.unwrap())
        }
    };
    for path in ["/api/coupons/P/draw", "/api/coupons/P/draw/tickets"] {
        let (status, text) = get(path, None).await;
        assert_eq!(status, 200, "{path}: {text}");
        assert!(!text.contains("secret-"), "{path} leaks a user id: {text}");
    }
    let (status, refused) = get("/api/coupons/P/draw/tickets.csv", None).await;
    assert_eq!(status, 401, "{refused}");
    assert!(!refused.contains("secret-"));
    let (_, claim_key) = creds::create_key(&app, Some(admin::TOKEN), &["claim"]).await;
    let (status, refused) = get("/api/coupons/P/draw/tickets.csv", Some(&claim_key)).await;
    assert_eq!(status, 403, "{refused}");
    let (_, read_key) = creds::create_key(&app, Some(admin::TOKEN), &["read"]).await;
    let (status, csv) = get("/api/coupons/P/draw/tickets.csv", Some(&read_key)).await;
    assert_eq!(status, 200, "{csv}");
    assert!(
        csv.contains("secret-alice") && csv.contains("secret-bob"),
        "{csv}"
    );
}
