//! The UI is rendered on the server: the HTML already holds the data.

use crate::common;

use sqlx::PgPool;

#[sqlx::test(migrations = "../migrations")]
async fn home_page_is_server_rendered_with_the_coupons(pool: PgPool) {
    let app = common::spawn(&pool).await;
    app.create("SSR_VISIBLE", 7).await;
    let resp = app.fetch("/").await;
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
    let resp = app.fetch("/no/such/page").await;
    assert_eq!(resp.status(), 404);
    assert!(resp.text().await.unwrap().contains("Page not found"));
}

#[sqlx::test(migrations = "../migrations")]
async fn pages_carry_a_nonce_csp_that_every_inline_script_obeys(pool: PgPool) {
    let app = common::spawn(&pool).await;
    app.create("CSP", 3).await;
    for path in ["/", "/coupons/CSP", "/live", "/no/such/page"] {
        let resp = app.fetch(path).await;
        let headers = resp.headers().clone();
        let csp = headers["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        let nonce = csp
            .split("'nonce-")
            .nth(1)
            .and_then(|rest| rest.split('\'').next())
            .unwrap_or_else(|| panic!("{path}: no nonce in {csp}"));
        for must in [
            "frame-ancestors 'none'",
            "'wasm-unsafe-eval'",
            "connect-src 'self'",
        ] {
            assert!(csp.contains(must), "{path}: {csp}");
        }
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        assert_eq!(headers["referrer-policy"], "same-origin", "{path}");
        let html = resp.text().await.unwrap();
        let scripts = html.matches("<script").count();
        let with_nonce = html.matches(&format!("<script nonce=\"{nonce}\"")).count()
            + html
                .matches(&format!("<script type=\"module\" nonce=\"{nonce}\""))
                .count();
        assert!(scripts > 0, "{path}: no scripts");
        assert_eq!(scripts, with_nonce, "{path}: a script without the nonce");
    }
    // Everything else gets the headers too, with a CSP that allows nothing.
    let resp = app.fetch("/health").await;
    let headers = resp.headers();
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(
        headers["content-security-policy"]
            .to_str()
            .unwrap()
            .starts_with("default-src 'none'")
    );
}
