//! Percent-encoding for URLs this product builds: one escape set for the UI's links, the live
//! client's stream URLs and the API's `Location` headers.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Characters escaped in a path segment or query value: all but RFC 3986 "unreserved" ones
/// (letters, digits, `-`, `_`, `.`, `~`), so a name can never add a path segment or a parameter.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// `value` made safe for one URL path segment or one query value.
pub fn encode(value: &str) -> String {
    utf8_percent_encode(value, UNRESERVED).to_string()
}

/// The UI's link to a coupon's page; the name is percent-encoded as one path segment.
pub fn coupon_href(name: &str) -> String {
    format!("/coupons/{}", encode(name))
}

#[cfg(test)]
mod tests {
    use super::encode;

    #[test]
    fn escapes_all_but_unreserved_characters() {
        assert_eq!(encode("Spring-sale_2.0~x"), "Spring-sale_2.0~x");
        assert_eq!(encode("a/b?c=d&e#f%g h"), "a%2Fb%3Fc%3Dd%26e%23f%25g%20h");
        assert_eq!(encode(".."), "..");
        assert_eq!(encode("café"), "caf%C3%A9");
    }
}
