//! The UI's server functions judge their input like the JSON API: a NUL or other control
//! character in a name is a 400, never a 500 from PostgreSQL, and changes nothing.

mod common;

use sqlx::PgPool;

#[sqlx::test(migrations = "../migrations")]
async fn control_characters_in_rpc_names_are_a_400(pool: PgPool) {
    let app = common::admin::open(&pool).await;
    app.create("REAL", 3).await;
    let live = app
        .routes
        .iter()
        .find(|r| r.starts_with("/rpc/live_coupons"))
        .expect("the live_coupons server function is routed")
        .clone();
    for path in ["/rpc/find_coupon", "/rpc/claimers_page", live.as_str()] {
        for name in ["%00", "a%00b", "%0A", "REAL%07"] {
            let response = app
                .http
                .post(format!("{}{path}", app.base))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!("name={name}"))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 400, "{path} name={name}");
        }
    }
    let (status, coupon) = app.get("/api/coupons/REAL").await;
    assert_eq!(
        (status, coupon["remaining_amount"].as_i64()),
        (200, Some(3))
    );
}
