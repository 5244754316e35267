//! Applying events in order, out of order, and after a restock or a release.

use super::*;

fn at(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(1_800_000_000_000 + ms).unwrap()
}

fn claimer(user: &str, ms: i64) -> Claimer {
    Claimer {
        user_id: user.into(),
        claimed_at: at(ms),
    }
}

fn fresh(amount: i32) -> LiveCoupon {
    LiveCoupon {
        name: "C".into(),
        amount,
        remaining_amount: amount,
        claimed: 0,
        version: 0,
        paused: false,
        starts_at: None,
        ends_at: None,
        now: at(0),
        first_claim_at: None,
        last_claim_at: None,
        newest_claimers: vec![],
        draw: None,
    }
}

/// The `stock` event of `C` with `amount` after `claimed` claims, at `version`.
fn stock(name: &str, amount: i32, claimed: i64, version: i64) -> StockEvent {
    StockEvent {
        name: name.into(),
        amount,
        remaining_amount: amount - claimed as i32,
        claimed,
        version,
        ..StockEvent::from(&fresh(amount))
    }
}

#[test]
fn events_applied_in_order_reach_the_sold_out_state() {
    let mut c = fresh(3);
    c.apply_stock(&stock("C", 3, 2, 2));
    c.apply_claims(
        &ClaimsEvent {
            name: "C".into(),
            claimers: vec![claimer("b", 20), claimer("a", 10)],
        },
        2,
    );
    assert_eq!(c.remaining_amount, 1);
    assert_eq!(c.first_claim_at, Some(at(10)));
    c.apply_claims(
        &ClaimsEvent {
            name: "C".into(),
            claimers: vec![claimer("c", 1510), claimer("b", 20)],
        },
        2,
    );
    let users: Vec<_> = c
        .newest_claimers
        .iter()
        .map(|x| x.user_id.as_str())
        .collect();
    assert_eq!(
        users,
        ["c", "b"],
        "newest first, no repeats, at most `keep`"
    );
    c.apply_sold_out(&SoldOutEvent {
        name: "C".into(),
        version: 3,
        first_claim_at: at(10),
        sold_out_at: at(1510),
        sell_out_ms: 1500,
    });
    assert!(c.sold_out());
    assert_eq!((c.claimed, c.sell_out_ms()), (3, Some(1500)));
    assert_eq!(SoldOutEvent::of(&c).map(|s| s.sell_out_ms), Some(1500));
    assert_eq!(c.status(at(0)), SaleStatus::SoldOut);
}

#[test]
fn an_older_or_foreign_stock_event_is_ignored() {
    let mut c = fresh(10);
    c.apply_stock(&stock("C", 10, 5, 5));
    c.apply_stock(&stock("C", 10, 4, 4));
    c.apply_stock(&stock("OTHER", 10, 9, 9));
    assert_eq!((c.claimed, c.remaining_amount), (5, 5));
    assert_eq!(c.sell_out_ms(), None);
}

#[test]
fn a_restock_or_release_moves_stock_back_up_by_version() {
    let mut c = fresh(2);
    c.apply_stock(&stock("C", 2, 2, 2));
    assert_eq!(c.status(at(0)), SaleStatus::SoldOut);
    // A release: fewer claims, yet newer.
    c.apply_stock(&stock("C", 2, 1, 3));
    assert_eq!((c.claimed, c.remaining_amount), (1, 1));
    // A restock and a pause in one change.
    c.apply_stock(&StockEvent {
        paused: true,
        ..stock("C", 5, 1, 4)
    });
    assert_eq!((c.amount, c.remaining_amount), (5, 4));
    assert_eq!(c.status(at(0)), SaleStatus::Paused);
    // A sold-out event of an older state changes nothing.
    c.apply_sold_out(&SoldOutEvent {
        name: "C".into(),
        version: 2,
        first_claim_at: at(0),
        sold_out_at: at(1),
        sell_out_ms: 1,
    });
    assert_eq!(c.remaining_amount, 4);
}

#[test]
fn a_draws_entries_follow_the_stock_events_and_its_state_follows_the_clock() {
    use crate::contract::draw::{DrawProgress, DrawState};
    let progress = |entries, drawn_at| DrawProgress {
        entries,
        state: DrawState::Open,
        draw_at: at(2_000),
        drawn_at,
    };
    let mut c = LiveCoupon {
        ends_at: Some(at(1_000)),
        draw: Some(progress(0, None)),
        ..fresh(2)
    };
    c.apply_stock(&StockEvent {
        ends_at: Some(at(1_000)),
        draw: Some(progress(7, None)),
        ..stock("C", 2, 0, 1)
    });
    assert_eq!(c.draw.as_ref().map(|d| d.entries), Some(7));
    // An older event (fewer entries, older version) changes nothing.
    c.apply_stock(&StockEvent {
        ends_at: Some(at(1_000)),
        draw: Some(progress(3, None)),
        ..stock("C", 2, 0, 0)
    });
    assert_eq!(c.draw.as_ref().map(|d| d.entries), Some(7));
    let state = |c: &LiveCoupon| c.draw.as_ref().map(|d| d.state);
    assert_eq!(state(&c.stamped(at(999))), Some(DrawState::Open));
    assert_eq!(state(&c.stamped(at(1_000))), Some(DrawState::Closed));
    c.apply_stock(&StockEvent {
        ends_at: Some(at(1_000)),
        draw: Some(progress(7, Some(at(2_000)))),
        ..stock("C", 2, 2, 2)
    });
    assert_eq!(state(&c.stamped(at(2_001))), Some(DrawState::Drawn));
}
