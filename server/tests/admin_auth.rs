//! The auth rule of every route, enumerated from the real router: a route nobody listed as public
//! must refuse anonymous callers, so a new admin route without auth fails here.

mod common;

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode, header, redirect::Policy};
use server::auth::policy;
use sqlx::PgPool;

const PASSWORD: &str = "correct horse battery staple";
const TOKEN: &str = "admin-token-for-scripts";

/// The routes anyone may call, as (method, router pattern). Changing this list is a decision.
const EXPECTED_PUBLIC: &[(&str, &str)] = &[
    ("GET", "/api/coupons/claim"),
    ("GET", "/api/coupons/{name}"),
    ("GET", "/health"),
    ("GET", "/signin"),
    ("POST", "/api/coupons/claim"),
    ("POST", "/signin"),
];

const METHODS: [Method; 5] = [
    Method::GET,
    Method::POST,
    Method::PUT,
    Method::PATCH,
    Method::DELETE,
];

/// A concrete path for a router pattern: parameters become a sample value.
fn concrete(pattern: &str) -> String {
    pattern
        .split('/')
        .map(|segment| match segment {
            s if s.starts_with("{*") => "some/tail",
            s if s.starts_with('{') => "SAMPLE",
            s => s,
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap()
}

async fn locked(pool: &PgPool, ttl_minutes: u64) -> common::TestApp {
    common::spawn_with(pool, |c| {
        c.admin_password = Some(PASSWORD.into());
        c.admin_token = Some(TOKEN.into());
        c.session_ttl_minutes = ttl_minutes;
    })
    .await
}

fn goes_to_signin(resp: &reqwest::Response) -> bool {
    resp.status() == StatusCode::SEE_OTHER
        && resp
            .headers()
            .get(header::LOCATION)
            .and_then(|l| l.to_str().ok())
            .is_some_and(|l| l.starts_with("/signin?next="))
}

#[sqlx::test(migrations = "../migrations")]
async fn every_route_follows_the_auth_rule(pool: PgPool) {
    let app = locked(&pool, 60).await;
    let http = client();
    // Sanity: the enumeration really sees the admin routes, page routes and server functions.
    for must in [
        "/api/coupons/{name}/claims",
        "/coupons/{name}",
        "/rpc/create_coupon",
        "/",
    ] {
        assert!(
            app.routes.iter().any(|r| r == must),
            "{must} missing from {:?}",
            app.routes
        );
    }
    let mut public = BTreeSet::new();
    // Every route of the router plus paths only the fallback serves (static files, 404 page).
    let mut paths: Vec<(String, String)> = app
        .routes
        .iter()
        .map(|p| (p.clone(), concrete(p)))
        .collect();
    for extra in [
        "/no/such/page",
        "/api/no/such/call",
        "/pkg/coupons.css",
        "/favicon.ico",
    ] {
        paths.push((extra.to_owned(), extra.to_owned()));
    }
    for (pattern, path) in &paths {
        for method in METHODS {
            let url = format!("{}{path}", app.base);
            let anonymous = http.request(method.clone(), &url).send().await.unwrap();
            let status = anonymous.status();
            assert!(status.as_u16() < 500, "{method} {path}: {status}");
            let is_json = path.starts_with("/api/") || path.starts_with("/rpc/");
            let refused = if is_json {
                status == StatusCode::UNAUTHORIZED
            } else {
                goes_to_signin(&anonymous)
            };
            if policy::is_public(&method, path) {
                assert!(
                    !refused && status != 401,
                    "public {method} {path} refused: {status}"
                );
                if app.routes.contains(pattern) && status != 405 {
                    public.insert((method.to_string(), pattern.clone()));
                }
            } else {
                assert!(refused, "admin {method} {path} not refused: {status}");
                if is_json {
                    let body: serde_json::Value = anonymous.json().await.unwrap();
                    assert_eq!(body["code"], "unauthorized", "{method} {path}");
                }
            }
            // The bearer token opens every admin route; a wrong one opens none.
            let with_token = http
                .request(method.clone(), &url)
                .bearer_auth(TOKEN)
                .send()
                .await
                .unwrap();
            assert!(
                with_token.status() != 401 && !goes_to_signin(&with_token),
                "{method} {path} with token"
            );
            assert!(
                with_token.status().as_u16() < 500,
                "{method} {path} with token: {}",
                with_token.status()
            );
            if !policy::is_public(&method, path) {
                let wrong = http
                    .request(method.clone(), &url)
                    .bearer_auth(PASSWORD.to_owned() + "x")
                    .send()
                    .await
                    .unwrap();
                assert!(
                    wrong.status() == 401 || goes_to_signin(&wrong),
                    "{method} {path} wrong token"
                );
            }
        }
    }
    let expected: BTreeSet<_> = EXPECTED_PUBLIC
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(public, expected, "the public routes changed");
    let (count,): (i64,) = sqlx::query_as("SELECT count(*) FROM coupons")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(count, 0, "an anonymous or malformed request changed state");
}

#[sqlx::test(migrations = "../migrations")]
async fn open_admin_admits_everyone_and_says_so(pool: PgPool) {
    let app = common::spawn(&pool).await;
    let http = client();
    for pattern in &app.routes {
        let resp = http
            .get(format!("{}{}", app.base, concrete(pattern)))
            .send()
            .await
            .unwrap();
        assert!(
            resp.status() != 401 && !goes_to_signin(&resp),
            "{pattern}: {}",
            resp.status()
        );
    }
    let html = http
        .get(format!("{}/", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("No admin password is set"),
        "no open-admin banner"
    );
}

async fn sign_in(app: &common::TestApp, password: &str) -> reqwest::Response {
    client()
        .post(format!("{}/signin", app.base))
        .form(&[("password", password), ("next", "/coupons/X?after=1")])
        .send()
        .await
        .unwrap()
}

fn session_cookie(resp: &reqwest::Response) -> Option<String> {
    resp.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("coupons_admin="))
        .map(str::to_owned)
}

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
    for app in [locked(&pool, 60).await, common::spawn(&pool).await] {
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
