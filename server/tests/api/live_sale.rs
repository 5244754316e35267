//! The live streams follow a sale's whole life, not only claims: a restock or a release moves
//! stock back up (by the row's version, never backwards), a pause or a window shows at once,
//! and a coupon that sells out again says so again.

use std::time::Duration;

use crate::common::{
    PATIENCE, spawn,
    sse::{SseEvent, SseReader},
};
use serde_json::{Value, json};
use sqlx::PgPool;

/// The longest a test waits for an event that must come.
const WAIT: Duration = PATIENCE;

/// The sale fields of a stock event.
fn sale(e: &SseEvent) -> Value {
    let d = &e.data;
    json!([
        d["amount"],
        d["remaining_amount"],
        d["claimed"],
        d["paused"]
    ])
}

#[sqlx::test(migrations = "../migrations")]
async fn restock_pause_release_and_window_reach_the_streams(pool: PgPool) {
    let app = spawn(&pool).await;
    app.create("RUN", 1).await;
    let mut sse = SseReader::connect(&format!("{}/api/coupons/RUN/events", app.base), None).await;
    assert_eq!(sse.next_within(WAIT).await.event, "snapshot");
    let mut board = SseReader::connect(&format!("{}/api/events", app.base), None).await;
    assert_eq!(board.next_within(WAIT).await.event, "snapshot");

    assert_eq!(app.claim("u1", "RUN").await.0, 200);
    let seen = sse.until("sold_out", WAIT).await;
    let mut version = seen.last().unwrap().data["version"].as_i64().unwrap();

    // Restock the sold-out coupon: live again.
    assert_eq!(app.patch("RUN", &json!({"amount": 2})).await.0, 200);
    assert_eq!(
        sale(&next_stock(&mut sse, &mut version).await),
        json!([2, 1, 1, false])
    );
    // Pause: the stream says so, and claims are refused.
    assert_eq!(app.patch("RUN", &json!({"paused": true})).await.0, 200);
    assert_eq!(
        sale(&next_stock(&mut sse, &mut version).await),
        json!([2, 1, 1, true])
    );
    assert_eq!(app.claim("u2", "RUN").await.1["code"], "paused");
    // Resume and sell out again: a second sold_out.
    app.patch("RUN", &json!({"paused": false})).await;
    assert_eq!(app.claim("u2", "RUN").await.0, 200);
    let seen = sse.until("sold_out", WAIT).await;
    assert_eq!(
        seen.last().unwrap().data["version"].as_i64(),
        Some(version + 2)
    );
    let stock: Vec<&SseEvent> = seen.iter().filter(|e| e.event == "stock").collect();
    assert_eq!(sale(stock.last().unwrap()), json!([2, 0, 2, false]));
    version += 2;
    // Release: fewer claims, newer state.
    assert_eq!(app.release("RUN", "u1").await.0, 200);
    assert_eq!(
        sale(&next_stock(&mut sse, &mut version).await),
        json!([2, 1, 1, false])
    );
    // A window: its bounds reach the board.
    app.patch("RUN", &json!({"starts_at": "2999-01-01T00:00:00Z"}))
        .await;
    loop {
        let event = board.until("stock", WAIT).await.pop().unwrap();
        if event.data["starts_at"].is_string() {
            assert_eq!(event.data["starts_at"], "2999-01-01T00:00:00Z");
            assert_eq!(event.data["remaining_amount"], 1);
            break;
        }
    }
}

/// The next `stock` event, checking that its version is newer than `version` (then updated).
async fn next_stock(sse: &mut SseReader, version: &mut i64) -> SseEvent {
    let event = sse.until("stock", WAIT).await.pop().unwrap();
    let v = event.data["version"].as_i64().unwrap();
    assert!(v > *version, "versions only grow: {v} after {version}");
    *version = v;
    event
}
