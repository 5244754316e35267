//! Refusing paths that different parts of the stack could read differently.
//!
//! The guard judges the raw path, axum routes on the raw path, but a fallback that parses the
//! URL the way browsers do (WHATWG) turns `%2e%2e` into `..`, a backslash into a slash, and
//! resolves dot segments: `/pkg/%2e%2e/coupons/X` would be judged as a public static file and
//! rendered as an admin page. Instead of teaching the guard every reading, we refuse every path
//! on which the readings could differ, before anything else runs.

use percent_encoding::percent_decode_str;

/// Why a path is ambiguous; `None` when it reads the same everywhere.
pub fn ambiguity(raw_path: &str) -> Option<&'static str> {
    if !raw_path.starts_with('/') {
        return Some("the path must start with /");
    }
    if raw_path == "/" {
        return None;
    }
    // A trailing slash is plain; an empty segment inside is not.
    let inner = raw_path[1..].strip_suffix('/').unwrap_or(&raw_path[1..]);
    for segment in inner.split('/') {
        if segment.is_empty() {
            return Some("the path has an empty segment (//)");
        }
        // Decoded on the fly: this runs on every request, claims included.
        let (mut len, mut all_dots) = (0, true);
        for byte in percent_decode_str(segment) {
            if byte == b'\\' {
                return Some("the path has a backslash (also percent-encoded)");
            }
            if byte.is_ascii_control() {
                return Some("the path has a control character (also percent-encoded)");
            }
            len += 1;
            all_dots &= byte == b'.';
        }
        if all_dots && len <= 2 {
            return Some("the path has a dot segment (. or .., also percent-encoded)");
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::ambiguity;

    #[test]
    fn plain_paths_pass() {
        for path in [
            "/",
            "/coupons/PROMO",
            "/api/coupons/%F0%9F%8E%89%20SALE%2F1",
            "/api/coupons/a;b",
            "/api/coupons/...",
            "/pkg/coupons.wasm",
            "/coupons/x.y",
            "/pkg/",
        ] {
            assert_eq!(ambiguity(path), None, "{path}");
        }
    }

    #[test]
    fn every_reading_that_could_differ_is_refused() {
        for path in [
            "/pkg/../coupons/X",
            "/pkg/%2e%2e/coupons/X",
            "/pkg/%2E%2E/coupons/X",
            "/pkg/.%2e/live",
            "/pkg/%2e./live",
            "/pkg/%2e/coupons",
            "/pkg/./coupons",
            "/pkg//coupons",
            "//coupons",
            "/pkg/..%5ccoupons",
            "/pkg\\..\\coupons",
            "/pkg/%5C",
            "/coupons/%00",
            "/coupons/a%0Ab",
        ] {
            assert!(ambiguity(path).is_some(), "{path}");
        }
        assert!(ambiguity("pkg").is_some());
    }
}
