//! Counting one fault cycle from the database, and what it printed (the crash tier's and the
//! HA tier's). A draw coupon's claims are entries: answered `202`, counted from `entries`.

use std::{
    collections::{HashMap, HashSet},
    fmt,
    time::{Duration, Instant},
};

use sqlx::PgPool;

use super::{load, load::Answer};

/// The figures and problems of one cycle.
pub struct Cycle {
    engine: String,
    fault: String,
    requests: usize,
    acknowledged: usize,
    rows: usize,
    lost: usize,
    unknown: usize,
    retried: usize,
    slowest: Duration,
    oks_after_recovery: usize,
    first_ok_after_recovery: Option<Duration>,
    pub problems: Vec<String>,
}

struct CouponRow {
    amount: i32,
    remaining: i32,
    /// A draw coupon: `users` are its entries.
    draw: bool,
    /// The claimers, or a draw coupon's entrants.
    users: Vec<String>,
    claims: usize,
}

async fn read_coupon(db: &PgPool, name: &str) -> CouponRow {
    let (amount, remaining, draw): (i32, i32, bool) = sqlx::query_as(
        "SELECT amount, remaining_amount, allocation = 'draw' FROM coupons WHERE name = $1",
    )
    .bind(name)
    .fetch_one(db)
    .await
    .expect("coupon row");
    let users = |table: &str| {
        let sql = format!("SELECT user_id FROM {table} WHERE coupon_name = $1 ORDER BY id");
        sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql))
            .bind(name)
            .fetch_all(db)
    };
    let claimers = users("claims").await.expect("claim rows");
    let (users, claims) = if draw {
        let entrants = users("entries").await.expect("entry rows");
        (entrants, claimers.len())
    } else {
        let claims = claimers.len();
        (claimers, claims)
    };
    CouponRow {
        amount,
        remaining,
        draw,
        users,
        claims,
    }
}

/// A claim answered `200`, or an entry `202`: durable, so its row must be there.
fn is_ok(a: &Answer) -> bool {
    matches!(a.status, Some(200 | 202))
}

/// No answer, or an answer that does not settle the claim (5xx): a retry must tell the truth.
fn is_unsettled(a: &Answer) -> bool {
    a.status.is_none_or(|s| s >= 500)
}

impl Cycle {
    /// Retries every unsettled claim once, then counts everything from the database. An answer
    /// that took `hang_after` or longer is a hang (the slowest answer is printed either way: how
    /// slow is a measurement of the machine too, not a verdict).
    ///
    /// `recovered_at`: when the database (or the server) was back; some claim sent after it
    /// must have been answered `200`.
    #[allow(clippy::too_many_arguments)]
    pub async fn check(
        engine: &str,
        fault: &str,
        coupons: &[String],
        answers: Vec<Answer>,
        (fault_at, recovered_at): (Instant, Instant),
        hang_after: Duration,
        base: &str,
        db: &PgPool,
    ) -> Self {
        let mut problems = Vec::new();
        let http = reqwest::Client::new();
        let unsettled: Vec<&Answer> = answers.iter().filter(|a| is_unsettled(a)).collect();
        let unknown = answers
            .iter()
            .filter(|a| a.code.as_deref() == Some("claim_outcome_unknown"))
            .count();
        let mut retries = Vec::new();
        for a in &unsettled {
            retries.push(load::claim(&http, base, &a.user, &a.coupon).await);
        }
        let mut acknowledged: HashMap<&str, HashSet<&str>> = HashMap::new();
        for a in answers.iter().chain(&retries).filter(|a| is_ok(a)) {
            acknowledged.entry(&a.coupon).or_default().insert(&a.user);
        }
        let (mut rows, mut lost) = (0, 0);
        for coupon in coupons {
            let row = read_coupon(db, coupon).await;
            let held: HashSet<&str> = row.users.iter().map(String::as_str).collect();
            rows += row.users.len();
            let acked = acknowledged.remove(coupon.as_str()).unwrap_or_default();
            let missing: Vec<&&str> = acked.iter().filter(|u| !held.contains(**u)).collect();
            lost += missing.len();
            if !missing.is_empty() {
                problems.push(format!(
                    "{coupon}: {} user(s) answered 200 or 202 have no row: {:?}",
                    missing.len(),
                    missing.iter().take(5).collect::<Vec<_>>()
                ));
            }
            if held.len() != row.users.len() {
                problems.push(format!("{coupon}: a user holds it (or entered) twice"));
            }
            if row.draw && row.claims > 0 {
                problems.push(format!(
                    "{coupon}: {} claim(s) of an undrawn draw",
                    row.claims
                ));
            }
            if row.claims > row.amount as usize {
                problems.push(format!("{coupon}: oversold, {} rows", row.claims));
            }
            if row.remaining != row.amount - row.claims as i32 {
                problems.push(format!("{coupon}: remaining != amount - claims"));
            }
            for r in retries.iter().filter(|r| &r.coupon == coupon) {
                let truthful = match (r.status, r.code.as_deref()) {
                    (Some(200 | 202), _)
                    | (Some(409), Some("already_claimed" | "already_entered")) => {
                        held.contains(&*r.user)
                    }
                    (Some(409), Some("sold_out")) => !held.contains(&*r.user),
                    _ => false,
                };
                if !truthful {
                    problems.push(format!(
                        "{coupon}: retry of {} answered {:?} {:?}, row present: {}",
                        r.user,
                        r.status,
                        r.code,
                        held.contains(&*r.user)
                    ));
                }
            }
        }
        let slowest = answers.iter().map(|a| a.took).max().unwrap_or_default();
        let hung = answers.iter().filter(|a| a.took >= hang_after).count();
        if hung > 0 {
            problems.push(format!(
                "{hung} request(s) hung: no answer within {hang_after:?} (slowest {slowest:?})"
            ));
        }
        let after: Vec<&Answer> = answers
            .iter()
            .filter(|a| is_ok(a) && a.sent >= recovered_at)
            .collect();
        if after.is_empty() {
            problems.push("no 200 after the database or server came back".into());
        }
        let first_ok_after_recovery = after.iter().map(|a| a.sent + a.took - fault_at).min();
        Self {
            engine: engine.to_owned(),
            fault: fault.to_owned(),
            requests: answers.len(),
            acknowledged: answers.iter().filter(|a| is_ok(a)).count(),
            rows,
            lost,
            unknown,
            retried: retries.len(),
            slowest,
            oks_after_recovery: after.len(),
            first_ok_after_recovery,
            problems,
        }
    }
}

impl fmt::Display for Cycle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cycle: engine={} fault={} requests={} answered_200={} rows={} lost={} \
             outcome_unknown={} retried={} slowest_answer={:.0?} 200s_after_recovery={} \
             first_200_after_fault={:.0?} problems={}",
            self.engine,
            self.fault,
            self.requests,
            self.acknowledged,
            self.rows,
            self.lost,
            self.unknown,
            self.retried,
            self.slowest,
            self.oks_after_recovery,
            self.first_ok_after_recovery,
            self.problems.len()
        )
    }
}
