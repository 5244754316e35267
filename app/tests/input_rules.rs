//! The input rules of the API's request types, as a client meets them (app::contract::validation
//! through app::contract::api_types). Outside the crate, so the rules module needs no test-only
//! import of the types.

use app::contract::api_types::{ClaimRequest, NewCoupon};
use app::contract::validation::{check_name, describe};
use validator::Validate;

fn coupon(name: &str, amount: i64) -> Result<(), String> {
    let c = NewCoupon {
        name: name.to_owned(),
        amount,
        starts_at: None,
        ends_at: None,
        allocation: Default::default(),
        draw_at: None,
        beacon_required: false,
        redeem_within: None,
    };
    c.validate().map_err(|e| describe(&e))
}

#[test]
fn accepts_unicode_and_punctuation() {
    for name in [
        "PROMO_SUPER",
        "🎉 SALE",
        "春节优惠",
        "a-b.c/d?e",
        "x",
        "a\u{200B}b",
        "👨\u{200D}👩",
    ] {
        assert_eq!(coupon(name, 1), Ok(()), "{name}");
    }
    assert_eq!(coupon(&"é".repeat(255), i32::MAX as i64), Ok(()));
}

#[test]
fn refuses_broken_names() {
    let long = "a".repeat(256);
    for name in [
        "",
        "   ",
        "a\nb",
        "tab\t",
        "\u{7f}",
        long.as_str(),
        "\u{200B}",
        "\u{200B}\u{200C}\u{200D}\u{2060}\u{FEFF}",
        " \u{00AD}\u{3164} ",
    ] {
        let err = coupon(name, 1).unwrap_err();
        assert!(err.starts_with("name "), "{name:?}: {err}");
    }
}

#[test]
fn refuses_amounts_out_of_range() {
    for amount in [0, -1, i32::MAX as i64 + 1] {
        let err = coupon("ok", amount).unwrap_err();
        assert!(err.contains("amount must be an integer"), "{amount}: {err}");
    }
}

#[test]
fn claim_names_every_broken_field() {
    let c = ClaimRequest {
        user_id: Some(" ".into()),
        coupon_name: "".into(),
    };
    let err = c
        .validate()
        .map(|_| ())
        .map_err(|e| describe(&e))
        .unwrap_err();
    assert!(
        err.contains("coupon_name") && err.contains("user_id"),
        "{err}"
    );
}

#[test]
fn unknown_fields_are_refused_by_name() {
    let err = serde_json::from_str::<NewCoupon>(r#"{"name":"a","amount":1,"quantity":5}"#)
        .unwrap_err()
        .to_string();
    assert!(err.contains("quantity"), "{err}");
}

#[test]
fn check_name_matches_struct_rules() {
    assert!(check_name("ok").is_ok());
    assert!(check_name("").is_err());
    assert!(check_name("a\u{0}").is_err());
}
