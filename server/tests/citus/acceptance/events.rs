//! The webhook events of the checks, each heard by the receiver.

use std::collections::BTreeMap;

use super::Sale;
use crate::webhooks::Receiver;

impl Sale {
    /// The events the checks made, each heard (at least once) by the receiver.
    pub(super) async fn events_heard(&mut self, receiver: &Receiver) {
        let expected: BTreeMap<(&str, String, &str), usize> = [
            (("claim.created", self.coupon("CLAIMS"), "u1"), 1),
            (("claim.created", self.coupon("CLAIMS"), "u2"), 1),
            (("coupon.sold_out", self.coupon("CLAIMS"), ""), 1),
            (("coupon.updated", self.coupon("LIFE"), ""), 5),
            (("claim.released", self.coupon("LIFE"), "l1"), 1),
            (("claim.redeemed", self.coupon("REDEEM"), "r1"), 1),
        ]
        .into_iter()
        .collect();
        let heard = |receiver: &Receiver| {
            let mut heard: BTreeMap<(String, String, String), usize> = BTreeMap::new();
            let mut ids = std::collections::HashSet::new();
            for r in receiver.received() {
                if !ids.insert(r.id.clone()) {
                    continue;
                }
                let data = r.json()["data"].clone();
                let user = data["user_id"].as_str().unwrap_or_default().to_owned();
                let coupon = data["coupon_name"].as_str().unwrap_or_default().to_owned();
                *heard.entry((r.event_type(), coupon, user)).or_default() += 1;
            }
            heard
        };
        let all_heard = |h: &BTreeMap<(String, String, String), usize>| {
            expected.iter().all(|((kind, coupon, user), n)| {
                h.get(&(kind.to_string(), coupon.clone(), user.to_string()))
                    .copied()
                    .unwrap_or(0)
                    >= *n
            })
        };
        let wait = std::time::Instant::now();
        // A bound on a lost event, not a speed gate: deliveries come within a second here.
        while !all_heard(&heard(receiver)) && wait.elapsed() < std::time::Duration::from_secs(60) {
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        let heard = heard(receiver);
        for ((kind, coupon, user), n) in &expected {
            let got = heard
                .get(&(kind.to_string(), coupon.clone(), user.to_string()))
                .copied()
                .unwrap_or(0);
            if got < *n {
                self.problems.push(format!(
                    "webhooks: {kind} of {coupon} {user}: heard {got}, expected {n} within a minute"
                ));
            }
        }
    }
}
