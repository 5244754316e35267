//! The UI's built files under `/pkg` (JS, WASM, CSS): a plain file service, so no `/pkg` path can
//! reach the app's renderer, that sends the `.br` or `.gz` copy `cargo leptos build --release
//! --precompress` wrote beside a file when the browser accepts it, and says how long to keep it.
//!
//! With hashed file names (`hash-files` in Cargo.toml's leptos metadata: a release build writes
//! `hash.txt` beside the binary) a name never changes content, so a file may be kept a year and
//! never revalidated. Without (debug builds, tests) the names are fixed, so browsers must ask
//! again each time (`no-cache`; `Last-Modified` makes that a cheap `304`).

use std::path::Path;

use axum::{
    http::{HeaderValue, Response, header},
    routing::MethodRouter,
};
use tower::ServiceBuilder;
use tower_http::{
    services::{ServeDir, fs::ServeFileSystemResponseBody},
    set_header::SetResponseHeaderLayer,
};

/// The `Cache-Control` of a served file.
pub fn cache_control(hashed_names: bool) -> HeaderValue {
    HeaderValue::from_static(if hashed_names {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    })
}

/// The service for `/pkg`, serving the files in `dir`.
pub fn service(dir: &Path, hashed_names: bool) -> MethodRouter {
    let cache = cache_control(hashed_names);
    // Only found files are cacheable: a 404 must not be kept for a year.
    let cache_found = move |response: &Response<ServeFileSystemResponseBody>| {
        response.status().is_success().then(|| cache.clone())
    };
    let files = ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            cache_found,
        ))
        .service(ServeDir::new(dir).precompressed_br().precompressed_gzip());
    axum::routing::get_service(files)
}
