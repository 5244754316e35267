//! `hmac-sha256-v1`, the ranking of a draw's entries, as anyone can recompute it once the seed is
//! published (docs/draw.md has the same in a few lines of Python):
//!
//! - `commitment = hex(sha256(seed))`, published when the coupon is made, before any entry;
//! - `key = sha256(seed || beacon)`, the beacon taken as its UTF-8 bytes; a draw without a beacon
//!   takes the algorithm's name, `hmac-sha256-v1`, as its beacon (the key cannot be `sha256(seed)`:
//!   that is the published commitment, and anyone could rank their user ids before entering);
//! - each entry's `ticket = HMAC-SHA256(key, user_id)`, the user id as its UTF-8 bytes;
//! - entries ranked by ticket, bytes in ascending order (64 lowercase hex digits sort the same);
//!   the first `amount` win, the others are waitlisted in rank order.
//!
//! No modulo, so no modulo bias, and nothing of the row order or the arrival time goes in.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// The algorithm's name, in the proof and as the beacon of a draw without one.
pub const ALGORITHM: &str = "hmac-sha256-v1";

/// A draw's secret seed, 32 bytes from the operating system's random source.
pub type Seed = [u8; 32];
/// A ticket: HMAC-SHA256 of a user id.
pub type Ticket = [u8; 32];

/// A fresh seed from the operating system's random source.
pub fn new_seed() -> Result<Seed, getrandom::Error> {
    let mut seed = [0; 32];
    getrandom::fill(&mut seed)?;
    Ok(seed)
}

/// `hex(sha256(seed))`: published before the first entry, checked against the seed after the
/// draw.
pub fn commitment(seed: &Seed) -> String {
    hex::encode(Sha256::digest(seed))
}

/// The key the tickets are made with: `sha256(seed || beacon)`, where no beacon means
/// [`ALGORITHM`]. A beacon is never empty (that key would be the commitment).
pub fn key(seed: &Seed, beacon: Option<&str>) -> [u8; 32] {
    let mut hash = Sha256::new();
    hash.update(seed);
    hash.update(beacon.unwrap_or(ALGORITHM).as_bytes());
    hash.finalize().into()
}

/// `HMAC-SHA256(key, user_id)`.
pub fn ticket(key: &[u8; 32], user_id: &str) -> Ticket {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(user_id.as_bytes());
    mac.finalize().into_bytes().into()
}

/// One ranked entry: its place (from 1), its ticket and its index in the slice given to
/// [`rank`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ranked {
    pub rank: u64,
    pub ticket: Ticket,
    pub entry: usize,
}

/// Ranks `user_ids` (each once) by ticket. Two equal tickets would be two equal user ids; the
/// user id's bytes order them anyway, so the order is total and never depends on the slice's.
pub fn rank(key: &[u8; 32], user_ids: &[&str]) -> Vec<Ranked> {
    let mut tickets: Vec<(Ticket, usize)> = user_ids
        .iter()
        .enumerate()
        .map(|(entry, user)| (ticket(key, user), entry))
        .collect();
    tickets.sort_unstable_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| user_ids[a.1].as_bytes().cmp(user_ids[b.1].as_bytes()))
    });
    (1..)
        .zip(tickets)
        .map(|(rank, (ticket, entry))| Ranked {
            rank,
            ticket,
            entry,
        })
        .collect()
}

/// The outcome the draw gave an entry of rank `rank` out of a stock of `amount`.
pub fn outcome(rank: u64, amount: u64) -> &'static str {
    if rank <= amount { "won" } else { "waitlisted" }
}

/// One line of the public ranked tickets: `rank,ticket,outcome` and a newline. The document is
/// these lines in rank order, one per entry, without user ids; its SHA-256 is the proof's
/// `tickets_digest`.
pub fn ticket_line(rank: u64, ticket: &Ticket, amount: u64) -> String {
    format!("{rank},{},{}\n", hex::encode(ticket), outcome(rank, amount))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The golden vector of docs/draw.md, computed by Python's hashlib and hmac, not by this code.
    const SEED_HEX: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    const USERS: [&str; 10] = [
        "user-01", "user-02", "user-03", "user-04", "user-05", "user-06", "user-07", "user-08",
        "user-09", "user-10",
    ];

    fn seed() -> Seed {
        hex::decode(SEED_HEX).unwrap().try_into().unwrap()
    }

    fn ranking(beacon: Option<&str>) -> Vec<(String, &'static str)> {
        rank(&key(&seed(), beacon), &USERS)
            .into_iter()
            .map(|r| (hex::encode(r.ticket), USERS[r.entry]))
            .collect()
    }

    #[test]
    fn the_golden_vector_without_a_beacon() {
        assert_eq!(
            commitment(&seed()),
            "630dcd2966c4336691125448bbb25b4ff412a49c732db2c8abc1b8581bd710dd"
        );
        let users: Vec<&str> = ranking(None).iter().map(|(_, u)| *u).collect();
        assert_eq!(
            users,
            [
                "user-08", "user-03", "user-01", "user-06", "user-07", "user-10", "user-09",
                "user-02", "user-05", "user-04"
            ]
        );
        assert_eq!(
            ranking(None)[0].0,
            "3cd6adc186c86b0cf929310cb2f4a45b4ba98da7814d4dd9813f9f0f8404508a"
        );
        let document: String = rank(&key(&seed(), None), &USERS)
            .iter()
            .map(|r| ticket_line(r.rank, &r.ticket, 3))
            .collect();
        assert_eq!(
            hex::encode(Sha256::digest(document.as_bytes())),
            "75b5e6b34cbbb94147bee63598134e9ccb76c699da2be9095b3b723b3d6a95ce"
        );
    }

    #[test]
    fn the_golden_vector_with_a_beacon() {
        let ranked = ranking(Some("drand 1234567: 0f1e2d3c"));
        let users: Vec<&str> = ranked.iter().map(|(_, u)| *u).collect();
        assert_eq!(
            users,
            [
                "user-10", "user-07", "user-08", "user-09", "user-04", "user-01", "user-03",
                "user-05", "user-02", "user-06"
            ]
        );
        assert_eq!(
            ranked[9].0,
            "b1ada4baf7bc2c2ce722c3ae9363f70fbcc491936b9f40f8ef9e8865ed87cb17"
        );
    }

    #[test]
    fn the_key_is_never_the_published_commitment() {
        // An empty beacon would make it so: the API refuses one.
        assert_ne!(hex::encode(key(&seed(), None)), commitment(&seed()));
    }

    #[test]
    fn the_ranking_does_not_depend_on_the_order_of_entry() {
        let mut reversed = USERS;
        reversed.reverse();
        let k = key(&seed(), None);
        let forward: Vec<Ticket> = rank(&k, &USERS).into_iter().map(|r| r.ticket).collect();
        let backward: Vec<Ticket> = rank(&k, &reversed).into_iter().map(|r| r.ticket).collect();
        assert_eq!(forward, backward);
    }

    #[test]
    fn fresh_seeds_differ() {
        assert_ne!(new_seed().unwrap(), new_seed().unwrap());
    }
}
