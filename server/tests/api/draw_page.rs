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
        7,
        "a bar per decile (seven entries: seven tenths hold one each)"
    );
    let tenths: Vec<usize> = (1..=10)
        .map(|i| {
            let label = format!("aria-label=\"Tenth {i} of the entry time: ");
            let at = page.find(&label).map(|at| at + label.len());
            at.and_then(|at| page[at..].split(' ').next()?.parse().ok())
                .unwrap_or(usize::MAX)
        })
        .collect();
    assert_eq!(
        tenths.iter().sum::<usize>(),
        7,
        "entries over time, ten parts holding the seven entries: {tenths:?}"
    );
    assert_eq!(
        common::creds::holders(&pool, "S").await.len(),
        2,
        "two winners hold units"
    );
}

/// The "New coupon" form makes a draw coupon: allocation and the entries' close as the form
/// posts them; a draw without a close is refused and makes nothing.
#[sqlx::test(migrations = "../migrations")]
async fn the_new_coupon_form_makes_a_draw(pool: PgPool) {
    let app = common::admin::open(&pool).await;
    let post = |fields: Vec<(&'static str, String)>| {
        let request = admin::client()
            .post(format!("{}/rpc/create_coupon", app.base))
            .form(&fields);
        async move { request.send().await.unwrap().status().as_u16() }
    };
    let close = (Utc::now() + Duration::hours(2))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let fields = |name: &str, allocation: &str, ends_at: &str| {
        vec![
            ("name", name.to_owned()),
            ("amount", "5".to_owned()),
            ("allocation", allocation.to_owned()),
            ("ends_at", ends_at.to_owned()),
        ]
    };
    assert_eq!(post(fields("NODATE", "draw", "")).await, 400);
    assert_eq!(post(fields("BADDATE", "draw", "soon")).await, 400);
    assert_eq!(post(fields("ODD", "lottery", &close)).await, 400);
    let (_, none) = app.get("/api/coupons/NODATE").await;
    assert_eq!(none["code"], "coupon_not_found");
    assert_eq!(post(fields("FORMDRAW", "draw", &close)).await, 200);
    let (_, coupon) = app.get("/api/coupons/FORMDRAW").await;
    assert_eq!(coupon["allocation"], "draw", "{coupon}");
    assert_eq!(coupon["draw"]["state"], "open");
    assert_eq!(post(fields("FORMRACE", "first_come", "")).await, 200);
    let (_, coupon) = app.get("/api/coupons/FORMRACE").await;
    assert_eq!(coupon["allocation"], "first_come", "{coupon}");
}
