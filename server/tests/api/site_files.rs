//! `/pkg`: the precompressed copy a release build writes is sent to a browser that accepts it,
//! the plain file to one that does not, and the cache header follows the naming: a year and
//! immutable for hashed names, `no-cache` for fixed ones, nothing for a file that is not there.

use std::path::PathBuf;

use axum::Router;
use reqwest::{StatusCode, header};

/// A `pkg/` directory with one file and its brotli and gzip copies (distinct bytes, so the test
/// sees which one was sent).
fn pkg_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("coupons-pkg-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("app.abc123.js"), "plain").unwrap();
    std::fs::write(dir.join("app.abc123.js.br"), "brotli").unwrap();
    std::fs::write(dir.join("app.abc123.js.gz"), "gzip").unwrap();
    dir
}

/// Serves `/pkg` from `dir` on a real listener; returns its base URL.
async fn serve(dir: PathBuf, hashed: bool) -> String {
    let app = Router::new().nest_service("/pkg", server::http::site_files::service(&dir, hashed));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/pkg")
}

/// A client that decodes nothing, so the bytes on the wire are what the test reads.
fn raw_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_gzip()
        .no_brotli()
        .build()
        .unwrap()
}

async fn get(
    base: &str,
    file: &str,
    accept: Option<&str>,
) -> (StatusCode, Option<String>, Option<String>, String) {
    let mut request = raw_client().get(format!("{base}/{file}"));
    if let Some(accept) = accept {
        request = request.header(header::ACCEPT_ENCODING, accept);
    }
    let r = request.send().await.unwrap();
    let h = |name: header::HeaderName| {
        r.headers()
            .get(name)
            .map(|v: &header::HeaderValue| v.to_str().unwrap().to_owned())
    };
    let (encoding, cache) = (h(header::CONTENT_ENCODING), h(header::CACHE_CONTROL));
    (r.status(), encoding, cache, r.text().await.unwrap())
}

#[tokio::test]
async fn hashed_names_are_sent_compressed_and_kept_a_year() {
    let dir = pkg_dir("hashed");
    let base = serve(dir.clone(), true).await;
    let year = Some("public, max-age=31536000, immutable".to_owned());

    let (status, encoding, cache, body) = get(&base, "app.abc123.js", Some("gzip, br")).await;
    assert_eq!(
        (status, encoding.as_deref(), body.as_str()),
        (StatusCode::OK, Some("br"), "brotli")
    );
    assert_eq!(cache, year);

    let (status, encoding, _, body) = get(&base, "app.abc123.js", Some("gzip")).await;
    assert_eq!(
        (status, encoding.as_deref(), body.as_str()),
        (StatusCode::OK, Some("gzip"), "gzip")
    );

    let (status, encoding, cache, body) = get(&base, "app.abc123.js", None).await;
    assert_eq!(
        (status, encoding, body.as_str()),
        (StatusCode::OK, None, "plain")
    );
    assert_eq!(cache, year);

    // A missing file is a 404 that no cache may keep.
    let (status, _, cache, _) = get(&base, "app.other.js", Some("br")).await;
    assert_eq!((status, cache), (StatusCode::NOT_FOUND, None));
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn fixed_names_are_revalidated() {
    let dir = pkg_dir("fixed");
    let base = serve(dir.clone(), false).await;
    let (status, encoding, cache, _) = get(&base, "app.abc123.js", Some("br")).await;
    assert_eq!((status, encoding.as_deref()), (StatusCode::OK, Some("br")));
    assert_eq!(cache.as_deref(), Some("no-cache"));
    std::fs::remove_dir_all(dir).ok();
}
