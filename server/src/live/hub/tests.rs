//! The hub's ordering, refresh and pruning rules.

use super::*;

/// `name` after `claimed` claims, each of which bumped the version.
fn coupon(name: &str, claimed: i64) -> LiveCoupon {
    LiveCoupon {
        name: name.into(),
        amount: 10,
        remaining_amount: 10 - claimed as i32,
        claimed,
        version: claimed,
        paused: false,
        starts_at: None,
        ends_at: None,
        now: chrono::Utc::now(),
        first_claim_at: None,
        last_claim_at: None,
        newest_claimers: vec![],
        draw: None,
    }
}

#[test]
fn an_older_state_never_replaces_a_newer_one() {
    let hub = LiveHub::default();
    let rx = hub.subscribe(coupon("A", 5));
    hub.publish(vec![coupon("A", 3)]);
    assert_eq!(rx.borrow().claimed, 5);
    hub.publish(vec![coupon("A", 7)]);
    assert_eq!(rx.borrow().claimed, 7);
    // A release after that: fewer claims, but a newer version.
    hub.publish(vec![LiveCoupon {
        version: 8,
        ..coupon("A", 6)
    }]);
    assert_eq!(rx.borrow().claimed, 6);
}

#[test]
fn only_watched_coupons_are_refreshed_but_local_claims_are_announced() {
    let hub = LiveHub::default();
    let _rx = hub.subscribe(coupon("A", 0));
    hub.changed("A");
    hub.changed("B");
    hub.changed_elsewhere("C");
    let round = hub.take_round();
    let mut announce = round.announce.clone();
    announce.sort();
    assert_eq!(announce, ["A", "B"]);
    assert_eq!(round.refresh, ["A"]);
    assert!(hub.take_round().announce.is_empty());
}

#[test]
fn a_subscriber_that_never_reads_holds_only_the_newest_state() {
    let hub = LiveHub::default();
    let stuck = hub.subscribe(coupon("A", 0));
    // Publishing never waits for a reader and nothing accumulates: one slot per coupon.
    for claimed in 1..=10_000 {
        hub.publish(vec![coupon("A", claimed)]);
    }
    assert!(stuck.has_changed().unwrap());
    assert_eq!(stuck.borrow().claimed, 10_000);
}

#[test]
fn prune_drops_unwatched_channels() {
    let hub = LiveHub::default();
    let rx = hub.subscribe(coupon("A", 0));
    hub.prune();
    assert_eq!(hub.watched(), 1);
    drop(rx);
    hub.prune();
    assert_eq!(hub.watched(), 0);
}
