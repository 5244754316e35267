//! A draw coupon's page as the server renders it (docs/draw.md): the commitment and the draw
//! time from the start, the Draw button only once the window has closed, "Draw now" as a plain
//! form post, and after the draw the winners, the waitlist, the deciles and the proof's links.

use chrono::{Duration, Utc};
use reqwest::header;
use serde_json::json;
use sqlx::PgPool;

use crate::common::{self, admin};

/// The `<button ...>` tag that holds `label`.
fn button<'a>(html: &'a str, label: &str) -> &'a str {
    let end = html.find(label).expect(label);
    let start = html[..end].rfind("<button").expect("a button");
    &html[start..end]
}

#[sqlx::test(migrations = "../migrations")]
async fn the_coupon_page_runs_the_draw(pool: PgPool) {
    let app = common::admin::open(&pool).await;
    let body = json!({"name": "S", "amount": 2, "allocation": "draw",
                      "ends_at": (Utc::now() + Duration::hours(1)).to_rfc3339()});
    let (status, created) = app.post("/api/coupons", &body).await;
    assert_eq!(status, 201);
    for i in 0..7 {
        assert_eq!(app.claim(&format!("u{i}"), "S").await.0, 202);
    }
    let (status, open) = app.page("/coupons/S").await;
    assert_eq!(status, 200);
    let commitment = created["draw"]["commitment"].as_str().unwrap();
    assert!(open.contains(commitment), "the commitment is on the page");
    assert!(open.contains("Entries are open."));
    assert!(
        button(&open, "Draw now").contains("disabled"),
        "no draw while entries are open"
    );
    assert!(open.contains(">7<"), "entries so far");

    sqlx::query("UPDATE coupons SET ends_at = now() WHERE name = 'S'")
        .execute(&pool)
        .await
        .unwrap();
    let (_, closed) = app.page("/coupons/S").await;
    assert!(
        !button(&closed, "Draw now").contains("disabled"),
        "the Draw button is enabled"
    );
    let drawn = admin::client()
        .post(format!("{}/rpc/draw_now", app.base))
        .header(header::ACCEPT, "text/html")
        .header(header::REFERER, format!("{}/coupons/S", app.base))
        .form(&[("name", "S")])
        .send()
        .await
        .unwrap();
    assert!(drawn.status().is_redirection(), "{}", drawn.status());
    let (_, page) = app.page("/coupons/S").await;
    assert!(page.contains("Drawn."));
    assert!(
        page.contains("/api/coupons/S/draw/tickets"),
        "the proof's links"
    );
    assert_eq!(
        page.matches("Decile ").count() / 2,
        7.min(10),
        "a bar per decile"
    );
    assert_eq!(
        common::creds::holders(&pool, "S").await.len(),
        2,
        "two winners hold units"
    );
}
