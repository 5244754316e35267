//! The claimers CSV cannot carry a formula into a spreadsheet (OWASP CSV injection).

mod common;

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
        .http
        .get(format!("{}/api/coupons/SHEET/claims.csv", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let cells: Vec<String> = csv
        .lines()
        .skip(1)
        .map(|line| {
            line.rsplit_once(',')
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
