//! The claimers CSV cannot carry a formula into a spreadsheet (OWASP CSV injection).

use crate::common;

use sqlx::PgPool;

#[sqlx::test(migrations = "../migrations")]
async fn cells_that_a_spreadsheet_would_run_are_neutralised(pool: PgPool) {
    let app = common::admin::open(&pool).await;
    app.create("SHEET", 10).await;
    let users = [
        "=HYPERLINK(\"http://evil\",\"x\")",
        "+1+1",
        "-2+3",
        "@SUM(A1)",
        "plain",
    ];
    for user in users {
        assert_eq!(app.claim(user, "SHEET").await.0, 200, "{user}");
    }
    let csv = app
        .fetch("/api/coupons/SHEET/claims.csv")
        .await
        .text()
        .await
        .unwrap();
    let cells: Vec<String> = csv
        .lines()
        .skip(1)
        .map(|line| {
            // The user id, before the claimed_at and (empty) redeemed_at cells.
            let (rest, redeemed) = line.rsplit_once(',').unwrap();
            assert_eq!(redeemed, "", "{line}");
            rest.rsplit_once(',')
                .unwrap()
                .0
                .trim_matches('"')
                .replace("\"\"", "\"")
        })
        .collect();
    assert_eq!(
        cells,
        [
            "'=HYPERLINK(\"http://evil\",\"x\")",
            "'+1+1",
            "'-2+3",
            "'@SUM(A1)",
            "plain"
        ],
        "{csv}"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_stalled_download_holds_no_database_connection(pool: PgPool) {
    // One connection only: if the export held it, nothing else could run. The stall below lasts
    // until the end of the test, so a patient wait for the connection (a page of the export may
    // still be reading when the other requests come) tells the same, however slow the machine.
    let app = common::spawn_with(&pool, |c| {
        c.db_pool_size = 1;
        c.db_acquire_timeout_ms = 20_000;
    })
    .await;
    app.create("HUGE", 1_000_000).await;
    app.create("OTHER", 5).await;
    sqlx::query(
        "INSERT INTO claims (user_id, coupon_name)
         SELECT 'user-number-' || g, 'HUGE' FROM generate_series(1, 200000) AS g",
    )
    .execute(&pool)
    .await
    .unwrap();
    // Headers and a first chunk, then the reader stalls (10 MB do not fit the socket buffers).
    let mut download = app.fetch("/api/coupons/HUGE/claims.csv").await;
    assert_eq!(download.status(), 200);
    let first = download.chunk().await.unwrap().expect("a first chunk");
    let mut rows = first.iter().filter(|b| **b == b'\n').count();
    // A moment for the export to fill the socket buffers and stall (not a condition: the
    // requests below must succeed either way).
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let (status, body) = app.get("/api/coupons/OTHER").await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = app.claim("during-download", "OTHER").await;
    assert_eq!(status, 200);
    // The download still completes, with every row.
    while let Some(chunk) = download.chunk().await.unwrap() {
        rows += chunk.iter().filter(|b| **b == b'\n').count();
    }
    assert_eq!(rows, 200_001, "header plus every claim");
}
