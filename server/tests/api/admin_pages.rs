//! The admin pages as the server renders them, and the "New coupon" form's server function as a
//! browser without JavaScript and the hydrated page call it.

use crate::common;

use reqwest::{StatusCode, header, redirect::Policy};
use sqlx::PgPool;

async fn html(app: &common::TestApp, path: &str) -> (StatusCode, String) {
    app.page(path).await
}

/// Number of coupon rows in the coupons page's table (each row links to its coupon page).
fn coupon_rows(html: &str) -> usize {
    html.matches("<tr class=\"hover:bg-slate-50\"").count()
}

#[sqlx::test(migrations = "../migrations")]
async fn coupons_page_lists_newest_first_fifty_a_page(pool: PgPool) {
    let app = common::admin::open(&pool).await;
    let (status, empty) = html(&app, "/").await;
    assert_eq!(status, 200);
    assert!(empty.contains("No coupons yet"), "no empty state");
    for i in 0..51 {
        app.create(&format!("C{i:02}"), 10).await;
    }
    let (_, first) = html(&app, "/").await;
    assert_eq!(coupon_rows(&first), 50);
    assert!(
        first.contains(">C50<") && !first.contains(">C00<"),
        "newest first"
    );
    assert!(first.contains("Page 1 of 2") && first.contains("href=\"/?page=2\""));
    let (_, second) = html(&app, "/?page=2").await;
    assert_eq!(coupon_rows(&second), 1);
    assert!(second.contains(">C00<"));
    let (status, _) = html(&app, "/?page=99").await;
    assert_eq!(status, 200, "a page past the end shows the last page");
}

#[sqlx::test(migrations = "../migrations")]
async fn coupon_page_shows_stock_and_claimers(pool: PgPool) {
    let app = common::admin::open(&pool).await;
    app.create("🎉 SALE/1", 4).await;
    for user in ["ann", "bob", "cat"] {
        assert_eq!(app.claim(user, "🎉 SALE/1").await.0, 200);
    }
    let (status, page) = html(&app, "/coupons/%F0%9F%8E%89%20SALE%2F1").await;
    assert_eq!(status, 200);
    assert!(page.contains("🎉 SALE/1</h1>"));
    assert!(
        page.contains("role=\"progressbar\"")
            && page.contains("aria-valuenow=\"3\"")
            && page.contains("aria-valuemax=\"4\"")
    );
    // The claimers table (the live panel above it lists the newest first).
    let table = &page[page.find("id=\"claimers\"").expect("claimers section")..];
    let (ann, bob, cat) = (
        table.find(">ann<").unwrap(),
        table.find(">bob<").unwrap(),
        table.find(">cat<").unwrap(),
    );
    assert!(ann < bob && bob < cat, "claim order");
    assert!(
        page.contains("/api/coupons/%F0%9F%8E%89%20SALE%2F1/claims.csv"),
        "CSV link"
    );

    let (_, searched) = html(&app, "/coupons/%F0%9F%8E%89%20SALE%2F1?prefix=b").await;
    let table = &searched[searched.find("id=\"claimers\"").expect("claimers section")..];
    assert!(table.contains(">bob<") && !table.contains(">ann<"));

    let (status, missing) = html(&app, "/coupons/NOPE").await;
    assert_eq!(status, 404);
    assert!(missing.contains("Page not found"));
}

#[sqlx::test(migrations = "../migrations")]
async fn new_coupon_form_without_javascript(pool: PgPool) {
    let app = common::admin::open(&pool).await;
    let browser = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap();
    let post = |name: &'static str, amount: &'static str| {
        browser
            .post(format!("{}/rpc/create_coupon", app.base))
            .header(header::ACCEPT, "text/html")
            .header(header::REFERER, format!("{}/", app.base))
            .form(&[("name", name), ("amount", amount)])
            .send()
    };
    // Success: back to the page, which now lists the coupon.
    let ok = post("FORM", "5").await.unwrap();
    assert_eq!(ok.status(), StatusCode::FOUND);
    let back = ok.headers()[header::LOCATION].to_str().unwrap();
    assert!(
        back.starts_with(&format!("{}/", app.base)) && !back.contains("__err"),
        "{back}"
    );
    assert!(html(&app, "/").await.1.contains(">FORM<"));

    // Refusals: back to the page with the error in the URL, rendered next to its field.
    for (name, amount, field, message) in [
        ("FORM", "5", "coupon-name-error", "already exists"),
        ("OK", "0", "coupon-amount-error", "from 1 to 2147483647"),
        ("OK", "many", "coupon-amount-error", "must be an integer"),
        (
            "bad\u{7}name",
            "5",
            "coupon-name-error",
            "control characters",
        ),
    ] {
        let resp = post(name, amount).await.unwrap();
        assert_eq!(resp.status(), StatusCode::FOUND);
        let location = resp.headers()[header::LOCATION]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(location.contains("__err="), "{location}");
        let path = location.trim_start_matches(&app.base);
        let (_, page) = html(&app, path).await;
        let at = page.find(&format!("id=\"{field}\"")).expect(field);
        let shown = &page[at..at + 300];
        assert!(shown.contains(message), "{name:?}/{amount:?}: {shown}");
    }
    let (count,): (i64,) = sqlx::query_as("SELECT count(*) FROM coupons")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(count, 1, "refused input changed nothing");
}

#[sqlx::test(migrations = "../migrations")]
async fn new_coupon_call_from_the_hydrated_page(pool: PgPool) {
    let app = common::admin::open(&pool).await;
    let call = |name: &'static str, amount: &'static str| {
        app.http
            .post(format!("{}/rpc/create_coupon", app.base))
            .form(&[("name", name), ("amount", amount)])
            .send()
    };
    let ok = call("JS", "7").await.unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.text().await.unwrap(), "\"JS\"");
    assert_eq!(call("JS", "7").await.unwrap().status(), 409);
    assert_eq!(call("", "7").await.unwrap().status(), 400);
    let (status, coupon) = app.get("/api/coupons/JS").await;
    assert_eq!((status, coupon["amount"].as_i64()), (200, Some(7)));
}

#[sqlx::test(migrations = "../migrations")]
async fn a_failing_database_shows_an_error_page_without_internals(pool: PgPool) {
    let app = common::admin::open(&pool).await;
    app.create("GONE", 3).await;
    // Break the schema under the running server: every read of coupons now fails.
    sqlx::query("ALTER TABLE coupons RENAME TO coupons_moved_away")
        .execute(&pool)
        .await
        .unwrap();
    for path in ["/", "/coupons/GONE"] {
        let (status, page) = html(&app, path).await;
        assert_eq!(status, 500, "{path}");
        assert!(
            page.contains("could not be loaded"),
            "{path}: no error notice"
        );
        for internal in ["coupons_moved_away", "relation", "sqlx", "does not exist"] {
            assert!(
                !page.contains(internal),
                "{path} shows internals: {internal}"
            );
        }
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn a_busy_database_is_a_503_for_pages_server_functions_and_the_api_alike(pool: PgPool) {
    let app = common::spawn_with(&pool, |c| c.db_lock_timeout_ms = 200).await;
    app.create("BUSY", 3).await;
    // Another session holds the coupons table: every read of it waits for the lock, then gives
    // up (lock_timeout), which is a passing refusal: 503, never 500.
    let mut holder = pool.begin().await.unwrap();
    sqlx::query("LOCK TABLE coupons IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *holder)
        .await
        .unwrap();
    for path in ["/", "/coupons/BUSY"] {
        let (status, page) = html(&app, path).await;
        assert_eq!(status, 503, "{path}");
        assert!(page.contains("could not be loaded"), "{path}");
    }
    let rpc = app
        .http
        .post(format!("{}/rpc/find_coupon", app.base))
        .form(&[("name", "BUSY")])
        .send()
        .await
        .unwrap();
    assert_eq!(rpc.status(), 503);
    assert!(rpc.text().await.unwrap().contains("Busy"));
    let (status, body) = app.get("/api/coupons/BUSY").await;
    assert_eq!((status, body["code"].as_str()), (503, Some("unavailable")));
    holder.rollback().await.unwrap();
    assert_eq!(html(&app, "/coupons/BUSY").await.0, 200);
}
