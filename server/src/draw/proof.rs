//! A draw's proof: the public ranked tickets (no user ids) and their digest, and the
//! [`DrawProof`] that names them.

use app::contract::draw::DrawProof;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::ticket::{self, Ranked, Seed};

/// The ranked tickets' text: one `rank,ticket,outcome` line per entry, in rank order.
pub fn tickets_text(ranked: &[Ranked], amount: u64) -> String {
    ranked
        .iter()
        .map(|r| ticket::ticket_line(r.rank, &r.ticket, amount))
        .collect()
}

/// The proof's `tickets_digest` of the ranked tickets' text: its SHA-256, in hex.
pub fn digest(tickets: &str) -> String {
    hex::encode(Sha256::digest(tickets.as_bytes()))
}

/// What the proof states of a draw of `seed` (and `beacon`), as kept once settled.
pub struct Published<'a> {
    pub coupon: &'a str,
    pub seed: &'a Seed,
    pub beacon: Option<&'a str>,
    pub entries: u64,
    pub winners: u64,
    pub drawn_at: DateTime<Utc>,
    pub tickets_digest: &'a str,
}

impl Published<'_> {
    pub fn proof(&self) -> DrawProof {
        DrawProof {
            algorithm: ticket::ALGORITHM.to_owned(),
            commitment: ticket::commitment(self.seed),
            seed: hex::encode(self.seed),
            beacon: self.beacon.map(str::to_owned),
            entries: self.entries,
            winners: self.winners,
            drawn_at: self.drawn_at,
            tickets_digest: self.tickets_digest.to_owned(),
            tickets: format!(
                "/api/coupons/{}/draw/tickets",
                percent_encoding::utf8_percent_encode(
                    self.coupon,
                    percent_encoding::NON_ALPHANUMERIC
                )
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const USERS: [&str; 10] = [
        "user-01", "user-02", "user-03", "user-04", "user-05", "user-06", "user-07", "user-08",
        "user-09", "user-10",
    ];

    /// Runs docs/draw.md's Python `verify` on a proof and tickets; prints its answer as JSON.
    fn verify(proof: &DrawProof, tickets: &str, user: Option<&str>) -> serde_json::Value {
        let docs = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/draw.md"))
            .expect("docs/draw.md");
        let code = docs
            .split("```python\n")
            .nth(1)
            .and_then(|rest| rest.split("```").next())
            .expect("a python block in docs/draw.md");
        let harness = format!(
            "{code}\nimport json, sys\n\
             wrong, rank = verify(json.loads(sys.argv[1]), sys.argv[2], sys.argv[3] or None)\n\
             print(json.dumps({{'wrong': wrong, 'rank': rank}}))\n"
        );
        let out = std::process::Command::new("python3")
            .args([
                "-c",
                &harness,
                &serde_json::to_string(proof).unwrap(),
                tickets,
                user.unwrap_or(""),
            ])
            .output()
            .expect("python3");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("the verifier's JSON")
    }

    fn golden() -> (Seed, Vec<Ranked>, String) {
        let seed: Seed = core::array::from_fn(|i| u8::try_from(i).unwrap());
        let ranked = ticket::rank(&ticket::key(&seed, None), &USERS);
        let text = tickets_text(&ranked, 3);
        (seed, ranked, text)
    }

    fn proof_of(seed: &Seed, text: &str) -> DrawProof {
        Published {
            coupon: "GOLDEN",
            seed,
            beacon: None,
            entries: 10,
            winners: 3,
            drawn_at: Utc::now(),
            tickets_digest: &digest(text),
        }
        .proof()
    }

    #[test]
    fn the_documented_checker_accepts_a_true_draw_and_finds_an_entrants_rank() {
        let (seed, _, text) = golden();
        let proof = proof_of(&seed, &text);
        assert_eq!(
            proof.tickets_digest,
            "75b5e6b34cbbb94147bee63598134e9ccb76c699da2be9095b3b723b3d6a95ce"
        );
        let answer = verify(&proof, &text, Some("user-01"));
        assert_eq!(answer["wrong"], serde_json::json!([]), "{answer}");
        assert_eq!(answer["rank"], 3, "user-01 is third in the golden vector");
    }

    #[test]
    fn the_documented_checker_refuses_a_changed_seed() {
        let (seed, _, text) = golden();
        let mut proof = proof_of(&seed, &text);
        let mut other = seed;
        other[0] ^= 1;
        proof.seed = hex::encode(other);
        let answer = verify(&proof, &text, None);
        assert!(
            answer["wrong"].to_string().contains("commitment"),
            "{answer}"
        );
    }

    #[test]
    fn the_documented_checker_refuses_a_reordered_list() {
        let (seed, ranked, _) = golden();
        // Swap two tickets but keep the ranks, the outcomes and a digest of the changed text.
        let mut lines: Vec<String> = ranked.iter().map(|r| hex::encode(r.ticket)).collect();
        lines.swap(0, 5);
        let text: String = lines
            .iter()
            .zip(1u64..)
            .map(|(t, rank)| format!("{rank},{t},{}\n", ticket::outcome(rank, 3)))
            .collect();
        let proof = proof_of(&seed, &text);
        let answer = verify(&proof, &text, None);
        assert!(
            answer["wrong"].to_string().contains("ascending"),
            "{answer}"
        );
    }
}
