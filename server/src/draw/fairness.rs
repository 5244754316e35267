//! The draw's fairness, proven by statistics: thousands of simulated draws of 20 entrants for 5
//! units, each with its own seed, and chi-square tests that no entrant's win rate departs from
//! 25 % and that the win rate does not depend on the order of entry. The same tests fail for
//! biased rankings (the mutation checks below), so they can tell.
//!
//! The seeds are derived from the draw's number, so every run computes the same p-values: the
//! tests are exact, never lucky.

use super::ticket::{self, Seed};
use sha2::{Digest, Sha256};
use statrs::distribution::{ChiSquared, ContinuousCDF};

const DRAWS: u64 = 4_000;
const ENTRANTS: usize = 20;
const UNITS: usize = 5;
/// A fair ranking must look fair: its p-values stay above this.
const FAIR_ABOVE: f64 = 0.01;
/// A biased ranking must be caught: its smallest p-value falls below this.
const BIASED_BELOW: f64 = 1e-6;

/// A ranking: the entries' indices (0 entered first) in rank order.
type Ranking = fn(&[u8; 32], &[&str]) -> Vec<usize>;

fn fair(key: &[u8; 32], users: &[&str]) -> Vec<usize> {
    ticket::rank(key, users)
        .into_iter()
        .map(|r| r.entry)
        .collect()
}

/// A mutation: tickets compared by their first 4 bits only, ties in the order of entry.
fn coarse_then_arrival(key: &[u8; 32], users: &[&str]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..users.len()).collect();
    order.sort_by_key(|&i| (ticket::ticket(key, users[i])[0] >> 4, i));
    order
}

/// A mutation: the first entrant always wins, the rest ranked fairly.
fn first_entrant_wins(key: &[u8; 32], users: &[&str]) -> Vec<usize> {
    let mut order = fair(key, users);
    order.retain(|&i| i != 0);
    order.insert(0, 0);
    order
}

/// Wins per entrant (by order of entry) over [`DRAWS`] draws.
fn wins(ranking: Ranking) -> Vec<u64> {
    let names: Vec<String> = (0..ENTRANTS).map(|i| format!("entrant-{i}")).collect();
    let users: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut wins = vec![0; ENTRANTS];
    for draw in 0..DRAWS {
        let seed: Seed = Sha256::digest(format!("fairness draw {draw}")).into();
        for &entry in ranking(&ticket::key(&seed, None), &users)
            .iter()
            .take(UNITS)
        {
            wins[entry] += 1;
        }
    }
    wins
}

/// p-value that `counts`, wins of groups of `size` entrants each, come from a fair draw.
///
/// Each draw has exactly [`UNITS`] winners, so the counts are not independent: a group's count
/// has variance `D p (1-p) m (N-m)/(N-1)` (draws D, win rate p, group size m, entrants N), any
/// two groups the same negative covariance, and their sum is fixed. Then
/// `(G-1)/G * sum((count - D p m)^2 / variance)` over the G groups is chi-square with G-1 degrees
/// of freedom.
fn p_value(counts: &[u64], size: usize) -> f64 {
    let (d, n, m, g) = (
        DRAWS as f64,
        ENTRANTS as f64,
        size as f64,
        counts.len() as f64,
    );
    let p = UNITS as f64 / n;
    let mean = d * p * m;
    let variance = d * p * (1.0 - p) * m * (n - m) / (n - 1.0);
    let statistic = (g - 1.0) / g
        * counts
            .iter()
            .map(|&c| (c as f64 - mean).powi(2) / variance)
            .sum::<f64>();
    ChiSquared::new(g - 1.0).unwrap().sf(statistic)
}

/// The two p-values of a ranking: per entrant, and per tenth of the order of entry.
fn p_values(ranking: Ranking) -> (f64, f64) {
    let wins = wins(ranking);
    let tenths: Vec<u64> = wins.chunks(ENTRANTS / 10).map(|c| c.iter().sum()).collect();
    (p_value(&wins, 1), p_value(&tenths, ENTRANTS / 10))
}

#[test]
fn no_entrant_and_no_time_of_entry_is_favoured() {
    let (per_entrant, per_tenth) = p_values(fair);
    println!("fair ranking: p = {per_entrant:.4} per entrant, {per_tenth:.4} per tenth of entry");
    assert!(per_entrant > FAIR_ABOVE, "per entrant: p = {per_entrant}");
    assert!(
        per_tenth > FAIR_ABOVE,
        "per tenth of entry: p = {per_tenth}"
    );
}

#[test]
fn the_tests_catch_a_ranking_that_favours_early_entries() {
    for (name, ranking) in [
        (
            "coarse tickets, ties by arrival",
            coarse_then_arrival as Ranking,
        ),
        ("the first entrant always wins", first_entrant_wins),
    ] {
        let (per_entrant, per_tenth) = p_values(ranking);
        println!("{name}: p = {per_entrant:.3e} per entrant, {per_tenth:.3e} per tenth of entry");
        assert!(
            per_entrant.min(per_tenth) < BIASED_BELOW,
            "{name} passed as fair: p = {per_entrant}, {per_tenth}"
        );
    }
}
