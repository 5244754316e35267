//! A draw coupon's live reads (`/stock`, `/stock/events`, `GET /api/events`): the entry count and
//! the draw's state, across two processes, without a user id; the count on the coupon row always
//! equals the entries' rows, under concurrent entries of both engines.

use chrono::{Duration, Utc};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::common::{self, PATIENCE, TestApp, Wait, attack, sse::SseReader};

fn draw_body(name: &str, amount: i64) -> Value {
    json!({"name": name, "amount": amount, "allocation": "draw",
           "ends_at": (Utc::now() + Duration::hours(1)).to_rfc3339()})
}

async fn stock(app: &TestApp, name: &str) -> Value {
    let (status, body) = app.get(&format!("/api/coupons/{name}/stock")).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// The entry count on the coupon row and the rows of its entries.
async fn counts(pool: &PgPool, name: &str) -> (i64, i64) {
    sqlx::query_as(
        "SELECT entry_count, (SELECT count(*) FROM entries WHERE coupon_name = $1) \
         FROM coupons WHERE name = $1",
    )
    .bind(name)
    .fetch_one(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn the_stock_read_and_stream_follow_entries_and_the_draw(pool: PgPool) {
    let entrant = common::spawn(&pool).await;
    let reader = common::spawn(&pool).await;
    let (status, _) = entrant.post("/api/coupons", &draw_body("LIVE", 2)).await;
    assert_eq!(status, 201);
    entrant.create("PLAIN", 2).await;
    let first = stock(&reader, "LIVE").await;
    assert_eq!(first["draw"]["entries"], 0, "{first}");
    assert_eq!(first["draw"]["state"], "open", "{first}");
    assert!(
        stock(&reader, "PLAIN").await.get("draw").is_none(),
        "a first_come coupon's stock has no draw"
    );
    let url = format!("{}/api/coupons/LIVE/stock/events", reader.base);
    let mut stream = SseReader::connect(&url, None).await;
    let mut board = SseReader::connect(&format!("{}/api/events", reader.base), None).await;
    assert_eq!(
        stream.next_within(PATIENCE).await.data["draw"]["entries"],
        0
    );
    for i in 0..5 {
        let (status, entry) = entrant.claim(&format!("secret-user-{i}"), "LIVE").await;
        assert_eq!(status, 202, "{entry}");
    }
    let mut last = stream.next_within(PATIENCE).await;
    while last.data["draw"]["entries"] != 5 {
        assert!(
            !last.data.to_string().contains("secret-user"),
            "{:?}",
            last.data
        );
        last = stream.next_within(PATIENCE).await;
    }
    assert_eq!(last.id, Some(last.data["version"].to_string()));
    assert_eq!(last.data["claimed"], 0, "entries are not claims");
    assert_eq!(stock(&reader, "LIVE").await["draw"]["entries"], 5);
    // The admin's board carries the same count.
    let mut entries_on_board = Value::Null;
    while entries_on_board != 5 {
        let event = board.next_within(PATIENCE).await;
        entries_on_board = match event.event.as_str() {
            "snapshot" => event.data["coupons"]
                .as_array()
                .and_then(|all| all.iter().find(|c| c["name"] == "LIVE"))
                .map_or(Value::Null, |c| c["draw"]["entries"].clone()),
            "stock" if event.data["name"] == "LIVE" => event.data["draw"]["entries"].clone(),
            _ => entries_on_board,
        };
    }
    // The window closes by the clock: a process that reads the coupon then says so.
    sqlx::query("UPDATE coupons SET ends_at = now(), draw_at = now() + interval '1 hour' WHERE name = 'LIVE'")
        .execute(&pool)
        .await
        .unwrap();
    let late = common::spawn(&pool).await;
    assert_eq!(stock(&late, "LIVE").await["draw"]["state"], "closed");
    let (status, proof) = entrant.post("/api/coupons/LIVE/draw", &json!({})).await;
    assert_eq!(status, 200, "{proof}");
    while !(last.data["draw"]["state"] == "drawn" && last.data["claimed"] == 2) {
        last = stream.next_within(PATIENCE).await;
    }
    // The sale's status is the window's: its entries ended.
    assert_eq!(last.data["remaining_amount"], 0, "{:?}", last.data);
    assert_eq!(last.data["status"], "ended", "{:?}", last.data);
    let wait = Wait::new("the other process's stock read to show the draw");
    while stock(&reader, "LIVE").await["draw"]["state"] != "drawn" {
        wait.again().await;
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn the_entry_count_is_the_entries_under_concurrent_entries(pool: PgPool) {
    let apps = [common::spawn(&pool).await, common::spawn(&pool).await];
    let (status, _) = apps[0].post("/api/coupons", &draw_body("MANY", 10)).await;
    assert_eq!(status, 201);
    // 100 users, each three times, half through each process (and so two engines' batches).
    let bodies: Vec<Value> = (0..300)
        .map(|i| json!({"user_id": format!("u{}", i % 100), "coupon_name": "MANY"}))
        .collect();
    let (left, right) = bodies.split_at(150);
    let (a, b) = tokio::join!(
        attack::burst(apps[0].addr, "/api/coupons/claim", left),
        attack::burst(apps[1].addr, "/api/coupons/claim", right)
    );
    let tally = common::tally(&[a, b].concat());
    assert_eq!(tally.get("202").copied(), Some(100), "{tally:?}");
    assert_eq!(counts(&pool, "MANY").await, (100, 100));
    // The per-request engine counts the same way.
    let engine = common::engine(&pool, server::config::EngineMode::PerRequest);
    engine.claim("one-more", "MANY").await.unwrap();
    assert!(engine.claim("one-more", "MANY").await.is_err());
    assert_eq!(counts(&pool, "MANY").await, (101, 101));
}
