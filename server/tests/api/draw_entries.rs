//! A draw coupon over real HTTP (docs/draw.md): created with a commitment to a secret seed, its
//! claims taken as entries (202), one per user, only in its window, never as claims; both engines.

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};
use server::{config::EngineMode, draw::ticket};
use sqlx::PgPool;

use crate::common::{self, attack, spawn};

fn code(body: &Value) -> &str {
    body["code"].as_str().unwrap_or_default()
}

fn at(v: &Value) -> DateTime<Utc> {
    v.as_str().unwrap().parse().unwrap()
}

/// The body that creates draw coupon `name` of `amount` whose window ends in an hour.
fn draw_body(name: &str, amount: i64) -> Value {
    json!({"name": name, "amount": amount, "allocation": "draw",
           "ends_at": (Utc::now() + Duration::hours(1)).to_rfc3339()})
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn a_draw_coupon_commits_to_a_seed_it_keeps_secret(pool: PgPool) {
    let app = spawn(&pool).await;
    let (status, created) = app.post("/api/coupons", &draw_body("D", 3)).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["allocation"], "draw");
    let draw = &created["draw"];
    assert_eq!(draw["state"], "open", "{created}");
    assert_eq!(draw["beacon_required"], false);
    assert_eq!(
        at(&draw["draw_at"]),
        at(&created["ends_at"]),
        "draw_at defaults to ends_at"
    );
    let seed: Vec<u8> = sqlx::query_scalar("SELECT seed FROM draws WHERE coupon_name = 'D'")
        .fetch_one(&pool)
        .await
        .unwrap();
    let seed: ticket::Seed = seed.try_into().unwrap();
    assert_eq!(
        draw["commitment"],
        ticket::commitment(&seed),
        "sha256 of the kept seed"
    );
    let (status, read) = app.get("/api/coupons/D").await;
    assert_eq!(status, 200);
    assert_eq!(read["draw"], created["draw"]);
    let secret = hex::encode(seed);
    for text in [created.to_string(), read.to_string()] {
        assert!(
            !text.contains(&secret),
            "the seed leaked before the draw: {text}"
        );
    }
    let (_, first_come) = {
        app.create("F", 2).await;
        app.get("/api/coupons/F").await
    };
    assert_eq!(first_come["allocation"], "first_come");
    assert!(first_come.get("draw").is_none(), "{first_come}");
    let seeds = count(&pool, "SELECT count(*) FROM draws").await;
    assert_eq!(seeds, 1, "a first_come coupon has no seed");
}

#[sqlx::test(migrations = "../migrations")]
async fn draw_settings_are_checked_and_a_refusal_creates_nothing(pool: PgPool) {
    let app = spawn(&pool).await;
    let ends = Utc::now() + Duration::hours(1);
    let refused = [
        json!({"name": "N1", "amount": 1, "allocation": "draw"}),
        json!({"name": "N2", "amount": 1, "allocation": "draw", "ends_at": ends.to_rfc3339(),
               "draw_at": (ends - Duration::seconds(1)).to_rfc3339()}),
        json!({"name": "N3", "amount": 1, "draw_at": ends.to_rfc3339()}),
        json!({"name": "N4", "amount": 1, "beacon_required": true}),
        json!({"name": "N5", "amount": 1, "allocation": "lottery", "ends_at": ends.to_rfc3339()}),
        json!({"name": "N6", "amount": 1, "allocation": null}),
    ];
    for body in refused {
        let (status, answer) = app.post("/api/coupons", &body).await;
        assert_eq!(
            (status, code(&answer)),
            (400, "invalid_request"),
            "{body}: {answer}"
        );
    }
    assert_eq!(count(&pool, "SELECT count(*) FROM coupons").await, 0);
    let later = json!({"name": "OK", "amount": 1, "allocation": "draw", "ends_at": ends.to_rfc3339(),
                       "draw_at": (ends + Duration::hours(1)).to_rfc3339(), "beacon_required": true});
    let (status, created) = app.post("/api/coupons", &later).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["draw"]["beacon_required"], true);
    // A patch may not move the window's end past the draw, nor clear it.
    for patch in [
        json!({"ends_at": (ends + Duration::hours(2)).to_rfc3339()}),
        json!({"ends_at": null}),
    ] {
        let (status, answer) = app.patch("OK", &patch).await;
        assert_eq!(
            (status, code(&answer)),
            (400, "invalid_request"),
            "{patch}: {answer}"
        );
    }
    let (_, read) = app.get("/api/coupons/OK").await;
    assert_eq!(
        at(&read["ends_at"]).timestamp_micros(),
        ends.timestamp_micros()
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_claim_of_a_draw_coupon_is_an_entry(pool: PgPool) {
    let app = spawn(&pool).await;
    let (status, created) = app.post("/api/coupons", &draw_body("D", 1)).await;
    assert_eq!(status, 201, "{created}");
    let (status, entry) = app.claim("ann", "D").await;
    assert_eq!(status, 202, "{entry}");
    assert_eq!(
        (&entry["user_id"], &entry["coupon_name"], &entry["state"]),
        (&json!("ann"), &json!("D"), &json!("entered"))
    );
    assert_eq!(at(&entry["draw_at"]), at(&created["draw"]["draw_at"]));
    let (status, again) = app.claim("ann", "D").await;
    assert_eq!((status, code(&again)), (409, "already_entered"), "{again}");
    let (status, other) = app.claim("bob", "D").await;
    assert_eq!(status, 202, "a draw takes more entries than units: {other}");
    assert_eq!(count(&pool, "SELECT count(*) FROM entries").await, 2);
    assert_eq!(
        count(&pool, "SELECT count(*) FROM claims").await,
        0,
        "no claim before the draw"
    );
    let (_, read) = app.get("/api/coupons/D").await;
    assert_eq!(read["remaining_amount"], 1, "{read}");
}

/// Both engines, called directly: a draw coupon's claims are entries, and no path of either
/// makes a claim of it.
#[sqlx::test(migrations = "../migrations")]
async fn both_engines_take_entries_and_never_claims(pool: PgPool) {
    let app = spawn(&pool).await;
    for (mode, coupon) in [(EngineMode::Batched, "DB"), (EngineMode::PerRequest, "DP")] {
        let (status, _) = app.post("/api/coupons", &draw_body(coupon, 2)).await;
        assert_eq!(status, 201);
        let engine = common::engine(&pool, mode);
        let taken = engine.claim("u1", coupon).await.unwrap();
        assert!(taken.claim().is_none(), "{mode:?}: an entry, not a claim");
        assert!(
            matches!(
                engine.claim("u1", coupon).await,
                Err(server::claims::ClaimError::AlreadyEntered)
            ),
            "{mode:?}"
        );
    }
    assert_eq!(count(&pool, "SELECT count(*) FROM entries").await, 2);
    assert_eq!(count(&pool, "SELECT count(*) FROM claims").await, 0);
    // The claim functions themselves refuse a draw coupon and take nothing.
    let refusal: Option<String> =
        sqlx::query_scalar("SELECT refusal FROM claim_batch('DB', ARRAY['x'])")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(refusal.as_deref(), Some("draw"));
    let refusal: Option<String> = sqlx::query_scalar("SELECT refusal FROM claim_one('DB', 'x')")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(refusal.as_deref(), Some("draw"));
    assert_eq!(count(&pool, "SELECT count(*) FROM claims").await, 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn two_hundred_concurrent_entries_by_one_user_make_one(pool: PgPool) {
    let app = spawn(&pool).await;
    let (status, _) = app.post("/api/coupons", &draw_body("D", 5)).await;
    assert_eq!(status, 201);
    let bodies = vec![json!({"user_id": "same", "coupon_name": "D"}); 200];
    let answers = attack::burst(app.addr, "/api/coupons/claim", &bodies).await;
    let tally = common::tally(&answers);
    assert_eq!(tally.get("202").copied(), Some(1), "{tally:?}");
    assert_eq!(
        tally.get("409 already_entered").copied(),
        Some(199),
        "{tally:?}"
    );
    assert_eq!(count(&pool, "SELECT count(*) FROM entries").await, 1);
}

#[sqlx::test(migrations = "../migrations")]
async fn entries_only_in_the_window_and_not_while_paused(pool: PgPool) {
    let app = spawn(&pool).await;
    let starts = Utc::now() + Duration::hours(1);
    let body = json!({"name": "LATER", "amount": 1, "allocation": "draw",
                      "starts_at": starts.to_rfc3339(),
                      "ends_at": (starts + Duration::hours(1)).to_rfc3339()});
    let (status, _) = app.post("/api/coupons", &body).await;
    assert_eq!(status, 201);
    let (status, early) = app.claim("u", "LATER").await;
    assert_eq!((status, code(&early)), (409, "not_started"), "{early}");

    let (status, _) = app.post("/api/coupons", &draw_body("D", 1)).await;
    assert_eq!(status, 201);
    let (status, _) = app.patch("D", &json!({"paused": true})).await;
    assert_eq!(status, 200);
    let (status, paused) = app.claim("u", "D").await;
    assert_eq!((status, code(&paused)), (409, "paused"), "{paused}");
    let (status, _) = app.patch("D", &json!({"paused": false})).await;
    assert_eq!(status, 200);
    // The window's end, judged by the database's clock: moved to now, entries are closed.
    sqlx::query("UPDATE coupons SET ends_at = now() WHERE name = 'D'")
        .execute(&pool)
        .await
        .unwrap();
    let (status, late) = app.claim("u", "D").await;
    assert_eq!((status, code(&late)), (409, "entries_closed"), "{late}");
    assert_eq!(count(&pool, "SELECT count(*) FROM entries").await, 0);
    let (_, read) = app.get("/api/coupons/D").await;
    assert_eq!(read["draw"]["state"], "closed", "{read}");
}
