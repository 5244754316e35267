//! The auth rule of every route, enumerated from the real router: a route nobody listed as public
//! must refuse anonymous callers, so a new admin route without auth fails here.

use crate::common;

use std::collections::BTreeSet;

use crate::common::admin::{PASSWORD, TOKEN, client, goes_to_signin, locked};
use reqwest::{Method, StatusCode};
use server::http::policy;
use sqlx::PgPool;

/// The routes anyone may call, as (method, router pattern). Changing this list is a decision.
const EXPECTED_PUBLIC: &[(&str, &str)] = &[
    ("GET", "/api/coupons/claim"),
    ("GET", "/api/coupons/{name}"),
    // A draw's proof and ranked tickets (no user ids), once drawn.
    ("GET", "/api/coupons/{name}/draw"),
    ("GET", "/api/coupons/{name}/draw/tickets"),
    ("GET", "/api/coupons/{name}/stock"),
    ("GET", "/api/coupons/{name}/stock/events"),
    ("GET", "/api/openapi.json"),
    ("GET", "/favicon.ico"),
    ("GET", "/health"),
    ("GET", "/health/ready"),
    // The static file service of the UI's JS, WASM and CSS (axum names its nest tail so).
    ("GET", "/pkg/"),
    ("GET", "/pkg/{*__private__axum_nest_tail_param}"),
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
            let is_json = policy::is_machine_path(path);
            // No route serves PUT: 405 for everyone, before any credential is judged.
            let refused = if method == Method::PUT {
                status == StatusCode::METHOD_NOT_ALLOWED
            } else if is_json {
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
                    let code = if method == Method::PUT {
                        "method_not_allowed"
                    } else {
                        "unauthorized"
                    };
                    assert_eq!(body["code"], code, "{method} {path}");
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
                    wrong.status() == 401
                        || goes_to_signin(&wrong)
                        || (method == Method::PUT && wrong.status() == 405),
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
    let app = common::admin::open(&pool).await;
    let http = client();
    for pattern in &app.routes {
        let resp = http
            .get(format!("{}{}", app.base, concrete(pattern)))
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {pattern}: {e}"));
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
        .expect("GET / at the end")
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("No admin password is set"),
        "no open-admin banner"
    );
}

/// Admin paths a stranger must not reach; `SECRET` has a claimer, `HIDDEN` is never named.
const ADMIN_TARGETS: &[&str] = &[
    "/",
    "/?page=2",
    "/coupons/SECRET",
    "/coupons/SECRET/claimers",
    "/live",
    "/live?coupon=SECRET",
    "/api/coupons/SECRET/claims",
    "/api/coupons/SECRET/claims.csv",
    "/api/coupons/SECRET/events",
    "/api/events",
    "/rpc/coupon_page",
    "/rpc/find_coupon",
    "/rpc/claimers_page",
    "/rpc/live_coupons",
];

/// Ways to walk from a public prefix into `target`, each read differently by some layer.
fn escapes(target: &str) -> Vec<String> {
    let rest = target.trim_start_matches('/');
    let mut paths = Vec::new();
    for public in [
        "/pkg",
        "/pkg/x",
        "/api/coupons",
        "/signin",
        "/health",
        "/favicon.ico",
    ] {
        for up in [
            "..",
            "%2e%2e",
            "%2E%2E",
            ".%2e",
            "%2e.",
            ".%2E",
            "%2E.",
            "./..",
            "%2e/..",
            "x%2f..",
            "x%2F%2e%2e",
            "%5c..",
            "..%5c",
            "\\..",
            "..\\",
            ";/..",
            "..;",
            "..;x=1",
        ] {
            paths.push(format!("{public}/{up}/{rest}"));
            paths.push(format!("{public}/{up}/{up}/{rest}"));
        }
    }
    for variant in [
        format!("//{rest}"),
        format!("/./{rest}"),
        format!("/%2e/{rest}"),
        format!("/{}", rest.replacen('/', "//", 1)),
        format!("/{}", rest.replacen('/', "/./", 1)),
        format!("/{}", rest.replacen('/', "%2f", 1)),
        format!("/{}", rest.replacen('/', "%5c", 1)),
        format!("/{}", rest.replacen('/', "\\", 1)),
        format!("/{}", rest.replacen('/', ";x=1/", 1)),
        target.to_owned(),
    ] {
        paths.push(variant);
    }
    paths
}

#[sqlx::test(migrations = "../migrations")]
async fn no_encoded_or_odd_path_shows_admin_data_to_a_stranger(pool: PgPool) {
    let app = locked(&pool, 60).await;
    for (name, amount) in [("SECRET", 10), ("HIDDEN-COUPON-71", 10)] {
        let created = client()
            .post(format!("{}/api/coupons", app.base))
            .bearer_auth(TOKEN)
            .json(&serde_json::json!({"name": name, "amount": amount}))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), 201);
    }
    assert_eq!(app.claim("secret-claimer-93", "SECRET").await.0, 200);
    // A complete answer may take a while on a slow machine; a stream never completes.
    let limit = common::PATIENCE;
    let mut tried = 0;
    for target in ADMIN_TARGETS {
        for path in escapes(target) {
            for method in ["GET", "HEAD", "POST", "PURGE"] {
                tried += 1;
                let what = format!("{method} {path}");
                let Some(r) = common::raw::send(app.addr, method, &path, limit).await else {
                    panic!("{what}: no complete answer within {limit:?} (a stream to a stranger?)");
                };
                assert!(r.status < 500, "{what}: {}", r.status);
                for secret in ["secret-claimer-93", "HIDDEN-COUPON-71"] {
                    assert!(
                        !r.body.contains(secret),
                        "{what} leaked {secret}: {}",
                        r.status
                    );
                }
                // The only page a stranger gets is the sign-in page.
                if (200..300).contains(&r.status) && r.headers.contains("content-type: text/html") {
                    assert!(
                        r.body.contains("name=\"password\""),
                        "{what}: a page, {}",
                        r.status
                    );
                }
            }
        }
    }
    assert!(tried > 2000, "corpus too small: {tried}");
    let (count,): (i64,) = sqlx::query_as("SELECT count(*) FROM claims")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(count, 1, "a stranger's request changed state");
}
