//! Ports for the processes the crash and HA tiers start (PostgreSQL, the server, etcd, Patroni,
//! HAProxy), picked below Linux's ephemeral range (32768-60999 by default). A port in that range
//! may become the local end of any outgoing connection (the load's clients, the server's pool,
//! Patroni's checks) while its own process is down, between a crash and its restart on the same
//! port. `scripts/free-port.sh` picks from the same range.

use std::{
    collections::hash_map::RandomState,
    hash::{BuildHasher, Hasher},
    net::TcpListener,
};

/// The ports handed out: `FIRST..FIRST + COUNT` (20000-31999).
const FIRST: u16 = 20_000;
const COUNT: u16 = 12_000;

/// The first of `len` consecutive ports nobody listens on right now, from a random start (two
/// test processes rarely probe the same ports), trying every candidate in turn.
pub fn free_block(len: u16) -> u16 {
    let candidates = u64::from(COUNT - len);
    let start = RandomState::new().build_hasher().finish() % candidates;
    for i in 0..candidates {
        let first = FIRST + ((start + i) % candidates) as u16;
        if (first..first + len).all(|p| TcpListener::bind(("127.0.0.1", p)).is_ok()) {
            return first;
        }
    }
    panic!(
        "no {len} free port(s) in a row in {FIRST}-{}",
        FIRST + COUNT - 1
    );
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    free_block(1)
}
