//! The UI is rendered on the server: the HTML already holds the data.

mod common;

use sqlx::PgPool;

#[sqlx::test(migrations = "../migrations")]
async fn home_page_is_server_rendered_with_the_coupons(pool: PgPool) {
    let app = common::spawn(&pool).await;
    app.create("SSR_VISIBLE", 7).await;
    let resp = app.http.get(format!("{}/", app.base)).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let html = resp.text().await.unwrap();
    assert!(html.contains("SSR_VISIBLE"), "coupon missing from the HTML");
    assert!(
        html.contains("/pkg/coupons.js") || html.contains("coupons.js"),
        "no hydration script"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn unknown_page_is_a_404_page(pool: PgPool) {
    let app = common::spawn(&pool).await;
    let resp = app
        .http
        .get(format!("{}/no/such/page", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    assert!(resp.text().await.unwrap().contains("Page not found"));
}
