//! The UI's server functions judge their input like the JSON API: a NUL or other control
//! character in a name is a 400, never a 500 from PostgreSQL, and changes nothing.

use crate::common;

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
    let paths = [
        ("/rpc/find_coupon", ""),
        ("/rpc/claimers_page", ""),
        (live.as_str(), ""),
        ("/rpc/set_paused", "&paused=true"),
        ("/rpc/set_amount", "&amount=5"),
        ("/rpc/set_window", "&starts_at=&ends_at="),
        ("/rpc/release_claim", "&user_id=u1"),
    ];
    for (path, rest) in paths {
        for name in ["%00", "a%00b", "%0A", "REAL%07"] {
            let response = app
                .http
                .post(format!("{}{path}", app.base))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!("name={name}{rest}"))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 400, "{path} name={name}");
        }
    }
    // A control character in the released user id is refused the same way.
    app.claim("u1", "REAL").await;
    let response = app
        .http
        .post(format!("{}/rpc/release_claim", app.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("name=REAL&user_id=u1%00")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let (status, coupon) = app.get("/api/coupons/REAL").await;
    assert_eq!(
        (
            status,
            coupon["remaining_amount"].as_i64(),
            coupon["paused"].as_bool()
        ),
        (200, Some(2), Some(false))
    );
}
