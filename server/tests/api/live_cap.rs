//! The SSE subscriber cap: a full server answers 503 with Retry-After, and a closed stream frees
//! its place.

use crate::common;

use sqlx::PgPool;

#[sqlx::test(migrations = "../migrations")]
async fn streams_beyond_the_cap_get_503_until_one_closes(pool: PgPool) {
    let app = common::spawn_with(&pool, |c| c.live_max_subscribers = 3).await;
    app.create("CAPPED", 5).await;
    let open = |path: &'static str| {
        let http = app.http.clone();
        let url = format!("{}{path}", app.base);
        async move { http.get(url).send().await.unwrap() }
    };
    let mut streams = vec![
        open("/api/coupons/CAPPED/events").await,
        open("/api/events").await,
        open("/api/coupons/CAPPED/events").await,
    ];
    assert!(streams.iter().all(|s| s.status() == 200));
    for path in ["/api/coupons/CAPPED/events", "/api/events"] {
        let full = open(path).await;
        assert_eq!(full.status(), 503, "{path}");
        assert_eq!(full.headers()["retry-after"], "1");
        let body: serde_json::Value = full.json().await.unwrap();
        assert_eq!(body["code"], "too_many_subscribers", "{body}");
    }
    // A client that leaves gives its place back.
    drop(streams.pop());
    let wait = common::Wait::new("the place of the closed stream to be given back");
    while open("/api/events").await.status() != 200 {
        wait.again().await;
    }
}
