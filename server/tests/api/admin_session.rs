//! Admin sessions: sign-in, the cookie's attributes, expiry, sign-out, cross-site refusals.

use crate::common;

use crate::common::admin::{PASSWORD, client, goes_to_signin, locked, session_cookie, sign_in};
use reqwest::header;
use sqlx::PgPool;

#[sqlx::test(migrations = "../migrations")]
async fn sign_in_issues_a_strict_http_only_session(pool: PgPool) {
    let app = locked(&pool, 60).await;
    let wrong = sign_in(&app, "wrong").await;
    assert_eq!(wrong.status(), 303);
    assert!(session_cookie(&wrong).is_none());
    assert!(
        wrong.headers()[header::LOCATION]
            .to_str()
            .unwrap()
            .starts_with("/signin?error=")
    );

    let right = sign_in(&app, PASSWORD).await;
    assert_eq!(right.status(), 303);
    assert_eq!(right.headers()[header::LOCATION], "/coupons/X?after=1");
    let set = session_cookie(&right).expect("session cookie");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=3600"] {
        assert!(set.contains(attribute), "{attribute} missing: {set}");
    }
    let cookie = set.split(';').next().unwrap().to_owned();
    let http = client();
    let page = http
        .get(format!("{}/", app.base))
        .header(header::COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Sign out"));
    let api = http
        .get(format!("{}/api/coupons/X/claims", app.base))
        .header(header::COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(
        api.status(),
        404,
        "the session opens the admin JSON calls too"
    );

    // A session whose value was changed is not a session.
    let forged = cookie.replace("coupons_admin=", "coupons_admin=A");
    let resp = http
        .get(format!("{}/", app.base))
        .header(header::COOKIE, forged)
        .send()
        .await
        .unwrap();
    assert!(goes_to_signin(&resp));

    let out = http
        .post(format!("{}/signout", app.base))
        .header(header::COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 303);
    assert!(
        session_cookie(&out).unwrap().contains("Max-Age=0"),
        "sign-out drops the cookie"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn an_expired_session_is_refused(pool: PgPool) {
    // A zero lifetime: the signed expiry is already past when the next request arrives.
    let app = locked(&pool, 0).await;
    let set = session_cookie(&sign_in(&app, PASSWORD).await).unwrap();
    let cookie = set.split(';').next().unwrap().to_owned();
    let resp = client()
        .get(format!("{}/", app.base))
        .header(header::COOKIE, cookie)
        .send()
        .await
        .unwrap();
    assert!(goes_to_signin(&resp));
}

#[sqlx::test(migrations = "../migrations")]
async fn cross_site_form_posts_change_nothing(pool: PgPool) {
    for app in [locked(&pool, 60).await, common::admin::open(&pool).await] {
        let cookie = session_cookie(&sign_in(&app, PASSWORD).await)
            .map(|c| c.split(';').next().unwrap().to_owned())
            .unwrap_or_default();
        for (name, value) in [
            ("origin", "https://evil.example"),
            ("sec-fetch-site", "cross-site"),
        ] {
            let resp = client()
                .post(format!("{}/rpc/create_coupon", app.base))
                .header(header::COOKIE, &cookie)
                .header(name, value)
                .form(&[("name", "CSRF"), ("amount", "5")])
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), 403, "{name}");
        }
        let (status, _) = app.get("/api/coupons/CSRF").await;
        assert_eq!(status, 404, "a cross-site post created a coupon");
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn sessions_hold_across_processes_sharing_session_secret(pool: PgPool) {
    let secret = "a shared secret of at least thirty-two bytes";
    let with = |password: &'static str| {
        common::spawn_with(&pool, move |c| {
            c.admin_password = Some(password.into());
            c.session_secret = Some(secret.into());
        })
    };
    let (first, second, new_password) = (
        with(PASSWORD).await,
        with(PASSWORD).await,
        with("changed").await,
    );
    let set = session_cookie(&sign_in(&first, PASSWORD).await).unwrap();
    let cookie = set.split(';').next().unwrap().to_owned();
    let on = |app: &common::TestApp| {
        client()
            .get(format!("{}/", app.base))
            .header(header::COOKIE, cookie.clone())
            .send()
    };
    assert_eq!(
        on(&second).await.unwrap().status(),
        200,
        "another process accepts the session"
    );
    assert!(
        goes_to_signin(&on(&new_password).await.unwrap()),
        "a new password ends old sessions"
    );
}
