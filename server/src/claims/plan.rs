//! The pure decision of a batch: who gets a unit, in arrival order, exactly as if each claim
//! had arrived alone in that order.

use std::collections::{HashMap, HashSet};

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
                return Decision::AlreadyClaimed;
            }
            match first.get(user.as_str()) {
                Some(Decision::Grant { .. } | Decision::AlreadyClaimed) => Decision::AlreadyClaimed,
                Some(Decision::SoldOut) => Decision::SoldOut,
                None => {
                    let decision = if left > 0 {
                        left -= 1;
                        Decision::Grant {
                            remaining_after: left,
                        }
                    } else {
                        Decision::SoldOut
                    };
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
    fn granted_keeps_order() {
        let users = names(&["a", "b", "a", "c"]);
        let d = plan(&users, &HashSet::new(), 10);
        assert_eq!(granted(&users, &d), names(&["a", "b", "c"]));
    }
}
