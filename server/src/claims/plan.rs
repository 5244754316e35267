//! The decision of a claim, alone ([`decide`], the per-request engine) or in a batch ([`plan`]:
//! who gets a unit, in arrival order, exactly as if each claim had arrived alone in that order),
//! and the answer it makes ([`Decision::receipt`]). Both engines answer through here.

use std::collections::{HashMap, HashSet};

use app::contract::api_types::ClaimReceipt;
use chrono::{DateTime, Utc};

use super::ClaimError;

/// What one claim of a batch gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Granted; the stock after this claim.
    Grant {
        remaining_after: i32,
    },
    AlreadyClaimed,
    SoldOut,
}

impl Decision {
    /// The answer to `user`. A grant needs the time its row committed with: without one the
    /// database did something else than decided, and the outcome is unknown (a retry tells).
    pub fn receipt(
        self,
        user: &str,
        coupon: &str,
        claimed_at: Option<DateTime<Utc>>,
    ) -> Result<ClaimReceipt, ClaimError> {
        match (self, claimed_at) {
            (Self::Grant { remaining_after }, Some(claimed_at)) => Ok(ClaimReceipt {
                user_id: user.to_owned(),
                coupon_name: coupon.to_owned(),
                claimed_at,
                remaining_amount: remaining_after,
            }),
            (Self::Grant { .. }, None) => {
                tracing::error!(
                    coupon,
                    user,
                    "granted claim was not inserted: outcome unknown"
                );
                Err(ClaimError::OutcomeUnknown)
            }
            (Self::AlreadyClaimed, _) => Err(ClaimError::AlreadyClaimed),
            (Self::SoldOut, _) => Err(ClaimError::SoldOut),
        }
    }
}

/// The rule for one claim of an open sale, in the contract's order: a holder hears
/// `AlreadyClaimed` (even when sold out), anyone else gets a unit while one is left.
pub fn decide(holds: bool, remaining: i32) -> Decision {
    if holds {
        Decision::AlreadyClaimed
    } else if remaining > 0 {
        Decision::Grant {
            remaining_after: remaining - 1,
        }
    } else {
        Decision::SoldOut
    }
}

/// Decides each claim of `users` (arrival order) given the users who already hold the coupon
/// and the stock left. A repeat of a user within the batch gets what a repeat would get alone:
/// `AlreadyClaimed` after a grant, `SoldOut` after a sold-out (stock never comes back).
pub fn plan(users: &[String], holders: &HashSet<String>, remaining: i32) -> Vec<Decision> {
    let mut left = remaining;
    let mut first: HashMap<&str, Decision> = HashMap::with_capacity(users.len());
    users
        .iter()
        .map(|user| {
            if holders.contains(user) {
                return decide(true, left);
            }
            match first.get(user.as_str()) {
                Some(Decision::Grant { .. } | Decision::AlreadyClaimed) => Decision::AlreadyClaimed,
                Some(Decision::SoldOut) => Decision::SoldOut,
                None => {
                    let decision = decide(false, left);
                    if let Decision::Grant { remaining_after } = decision {
                        left = remaining_after;
                    }
                    first.insert(user, decision);
                    decision
                }
            }
        })
        .collect()
}

/// The granted users of a plan, in arrival order.
pub fn granted(users: &[String], decisions: &[Decision]) -> Vec<String> {
    users
        .iter()
        .zip(decisions)
        .filter(|(_, d)| matches!(d, Decision::Grant { .. }))
        .map(|(u, _)| u.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{Decision::*, *};

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn grants_in_arrival_order_up_to_the_stock() {
        let d = plan(&names(&["a", "b", "c"]), &HashSet::new(), 2);
        assert_eq!(
            d,
            vec![
                Grant { remaining_after: 1 },
                Grant { remaining_after: 0 },
                SoldOut
            ]
        );
    }

    #[test]
    fn holders_and_repeats_are_already_claimed() {
        let holders = HashSet::from(["h".to_string()]);
        let d = plan(&names(&["h", "a", "a", "b"]), &holders, 5);
        assert_eq!(
            d,
            vec![
                AlreadyClaimed,
                Grant { remaining_after: 4 },
                AlreadyClaimed,
                Grant { remaining_after: 3 }
            ]
        );
    }

    #[test]
    fn a_holder_hears_already_claimed_even_when_sold_out() {
        let holders = HashSet::from(["h".to_string()]);
        assert_eq!(
            plan(&names(&["x", "h"]), &holders, 0),
            vec![SoldOut, AlreadyClaimed]
        );
    }

    #[test]
    fn a_repeat_after_a_sold_out_is_sold_out() {
        assert_eq!(
            plan(&names(&["a", "b", "b"]), &HashSet::new(), 1),
            vec![Grant { remaining_after: 0 }, SoldOut, SoldOut]
        );
    }

    #[test]
    fn one_claim_alone_follows_the_same_rule() {
        assert_eq!(decide(true, 0), AlreadyClaimed);
        assert_eq!(decide(true, 5), AlreadyClaimed);
        assert_eq!(decide(false, 1), Grant { remaining_after: 0 });
        assert_eq!(decide(false, 0), SoldOut);
    }

    #[test]
    fn a_grant_without_its_row_is_an_unknown_outcome() {
        let at = chrono::Utc::now();
        let receipt = Grant { remaining_after: 3 }
            .receipt("u", "C", Some(at))
            .unwrap();
        assert_eq!((receipt.remaining_amount, receipt.claimed_at), (3, at));
        assert!(matches!(
            Grant { remaining_after: 3 }.receipt("u", "C", None),
            Err(ClaimError::OutcomeUnknown)
        ));
        assert!(matches!(
            SoldOut.receipt("u", "C", Some(at)),
            Err(ClaimError::SoldOut)
        ));
    }

    #[test]
    fn granted_keeps_order() {
        let users = names(&["a", "b", "a", "c"]);
        let d = plan(&users, &HashSet::new(), 10);
        assert_eq!(granted(&users, &d), names(&["a", "b", "c"]));
    }
}
