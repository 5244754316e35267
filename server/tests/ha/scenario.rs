//! The faults of the HA tier, what each must leave true, and the figures each prints.

use std::{
    fmt,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use sqlx::{Connection, PgConnection, PgPool};
use tokio::task::JoinHandle;

use super::{cluster::HaCluster, load::Answer, process::REQUEST_TIMEOUT, report::Cycle};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    Switchover,
    PrimaryPostgresKilled,
    PrimaryNodeLost,
    StandbyLostThenPrimary,
    CancelDuringSyncWait,
}

/// When the fault struck, when a primary answered again, and when no standby could confirm.
pub struct Window {
    /// Just before the fault's command ran.
    fault_at: Instant,
    /// Once the fault's command had returned (the kill done; `ha.sh` first finds the node,
    /// which takes a moment on a slow machine).
    struck_at: Instant,
    pub recovered_at: Instant,
    /// From just after the standby died to when it was started again: no commit can be
    /// confirmed, so no claim sent in it may be answered `200` before its end.
    no_standby: Option<(Instant, Instant)>,
    /// Backends whose wait for the standby was cancelled (`CancelDuringSyncWait`).
    cancelled: i64,
}

/// A promotion waits for the leader key to expire (ttl 20 s) plus a Patroni loop; this bound only
/// ends a cluster that never recovers (a loaded machine takes longer).
const FAILOVER_LIMIT: Duration = Duration::from_secs(120);

impl Scenario {
    pub const ALL: [Self; 5] = [
        Self::Switchover,
        Self::PrimaryPostgresKilled,
        Self::PrimaryNodeLost,
        Self::StandbyLostThenPrimary,
        Self::CancelDuringSyncWait,
    ];

    /// How long the sale should stand still at most (no claim answered `200`), measured from the
    /// fault (scenario 4: from the primary's loss, after the standby's absence): printed beside
    /// the measured time, not a gate (a failover's time moves with the machine).
    fn still_target(self) -> Duration {
        match self {
            Self::Switchover | Self::PrimaryPostgresKilled => Duration::from_secs(20),
            Self::PrimaryNodeLost | Self::StandbyLostThenPrimary => Duration::from_secs(40),
            Self::CancelDuringSyncWait => Duration::from_secs(60),
        }
    }

    /// Strikes, and waits until the cluster is whole again.
    pub async fn run(self, cluster: &HaCluster) -> Window {
        let mut no_standby = None;
        let mut cancelled = 0;
        let mut struck_at = None;
        let fault_at = match self {
            Self::Switchover => {
                let at = Instant::now();
                cluster.run(&["failover"]);
                at
            }
            Self::PrimaryPostgresKilled | Self::PrimaryNodeLost => {
                let at = Instant::now();
                let what = if self == Self::PrimaryNodeLost {
                    "kill-primary"
                } else {
                    "kill-primary-postgres"
                };
                cluster.run(&[what]);
                at
            }
            Self::StandbyLostThenPrimary => {
                let lost = standby_lost(cluster).await;
                no_standby = Some((lost, Instant::now()));
                cluster.heal();
                tokio::time::sleep(Duration::from_secs(1)).await;
                let at = Instant::now();
                cluster.run(&["kill-primary"]);
                at
            }
            Self::CancelDuringSyncWait => {
                let at = Instant::now();
                cluster.run(&["kill-replica"]);
                // From just after the kill (not after `at`: ha.sh may take a while to find the
                // standby, which confirms commits until it is killed).
                let killed = Instant::now();
                struck_at = Some(killed);
                cancelled = cancel_waits(cluster, Duration::from_secs(6)).await;
                no_standby = Some((killed + Duration::from_millis(500), Instant::now()));
                at
            }
        };
        let struck_at = struck_at.unwrap_or_else(Instant::now);
        let recovered_at = cluster.wait_primary(FAILOVER_LIMIT).await;
        cluster.heal();
        Window {
            fault_at,
            struck_at,
            recovered_at,
            no_standby,
            cancelled,
        }
    }
}

/// Kills the standby and lets claims wait for it for a while; returns from when none could be
/// confirmed.
async fn standby_lost(cluster: &HaCluster) -> Instant {
    cluster.run(&["kill-replica"]);
    let from = Instant::now() + Duration::from_millis(500);
    tokio::time::sleep(REQUEST_TIMEOUT + Duration::from_secs(2)).await;
    from
}

/// Cancels, on the primary, every backend waiting for a synchronous standby, for `period`.
async fn cancel_waits(cluster: &HaCluster, period: Duration) -> i64 {
    let until = Instant::now() + period;
    let mut cancelled = 0;
    let mut conn = PgConnection::connect(&cluster.url("postgres"))
        .await
        .expect("connect to the primary");
    while Instant::now() < until {
        cancelled += sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FILTER (WHERE pg_cancel_backend(pid))
               FROM pg_stat_activity WHERE wait_event = 'SyncRep'",
        )
        .fetch_one(&mut conn)
        .await
        .expect("cancel the waits");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = conn.close().await;
    cancelled
}

/// `/health/ready` asked every 100 ms while a scenario runs.
pub struct Readiness {
    running: Arc<AtomicBool>,
    task: JoinHandle<()>,
    seen: Arc<Mutex<Vec<(Instant, u16)>>>,
}

impl Readiness {
    pub fn watch(base: &str) -> Self {
        let running = Arc::new(AtomicBool::new(true));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (url, r, s) = (
            format!("{base}/health/ready"),
            running.clone(),
            seen.clone(),
        );
        let task = tokio::spawn(async move {
            // A bound on a hang: the server answers within its acquire timeout (1 s).
            let http = reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .expect("client");
            while r.load(Ordering::Relaxed) {
                let sent = Instant::now();
                let status = match http.get(&url).send().await {
                    Ok(response) => response.status().as_u16(),
                    Err(_) => 0,
                };
                s.lock().unwrap().push((sent, status));
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        });
        Self {
            running,
            task,
            seen,
        }
    }

    pub async fn stop(self) -> Vec<(Instant, u16)> {
        self.running.store(false, Ordering::Relaxed);
        let _ = self.task.await;
        std::mem::take(&mut *self.seen.lock().unwrap())
    }
}

/// One scenario's figures and problems.
pub struct Outcome {
    cycle: Cycle,
    answered_503: usize,
    outcome_unknown: usize,
    still_for: Duration,
    still_target: Duration,
    ready_503: usize,
    cancelled: i64,
    pub problems: Vec<String>,
}

fn is_ok(a: &Answer) -> bool {
    a.status == Some(200)
}

/// The longest stretch after `from` in which no claim was answered `200`.
fn longest_still(answers: &[Answer], from: Instant) -> Duration {
    let mut oks: Vec<Instant> = answers
        .iter()
        .filter(|a| is_ok(a))
        .map(|a| a.sent + a.took)
        .filter(|&at| at >= from)
        .collect();
    oks.sort();
    let mut previous = from;
    let mut longest = Duration::ZERO;
    for at in oks {
        longest = longest.max(at - previous);
        previous = at;
    }
    longest
}

impl Outcome {
    #[allow(clippy::too_many_arguments)]
    pub async fn check(
        engine: &str,
        scenario: Scenario,
        coupons: &[String],
        answers: Vec<Answer>,
        window: &Window,
        readiness: &[(Instant, u16)],
        base: &str,
        db: &PgPool,
    ) -> Self {
        let mut problems = Vec::new();
        if let Some((from, to)) = window.no_standby {
            let confirmed: Vec<&Answer> = answers
                .iter()
                .filter(|a| is_ok(a) && a.sent >= from && a.sent + a.took < to)
                .collect();
            if !confirmed.is_empty() {
                problems.push(format!(
                    "{scenario:?}: {} claim(s) answered 200 while no standby could confirm, e.g. {}",
                    confirmed.len(),
                    confirmed[0].user
                ));
            }
        }
        let still_for = longest_still(&answers, window.fault_at);
        // Losing the node leaves no primary until the leader key expires: readiness says so. From
        // a moment after the kill to a while before the test's probe (every 100 ms, up to 5 s
        // each) found the new primary.
        let outage = (
            window.struck_at + Duration::from_secs(3),
            window.recovered_at - Duration::from_secs(6),
        );
        let ready_503 = readiness.iter().filter(|(_, s)| *s == 503).count();
        if scenario == Scenario::PrimaryNodeLost {
            // Any answer but 503 is a lie; no answer (0: the client gave up) claims nothing.
            let lies: Vec<_> = readiness
                .iter()
                .filter(|(at, s)| *at >= outage.0 && *at <= outage.1 && *s != 503 && *s != 0)
                .collect();
            if ready_503 == 0 || !lies.is_empty() {
                problems.push(format!(
                    "{scenario:?}: /health/ready answered {ready_503} 503s, and {} others while no primary answered",
                    lies.len()
                ));
            }
        }
        let answered_503 = answers.iter().filter(|a| a.status == Some(503)).count();
        let outcome_unknown = answers
            .iter()
            .filter(|a| a.code.as_deref() == Some("claim_outcome_unknown"))
            .count();
        let cycle = Cycle::check(
            engine,
            &format!("{scenario:?}"),
            coupons,
            answers,
            (window.fault_at, window.recovered_at),
            REQUEST_TIMEOUT + Duration::from_secs(30),
            base,
            db,
        )
        .await;
        problems.extend(cycle.problems.iter().cloned());
        Self {
            cycle,
            answered_503,
            outcome_unknown,
            still_for,
            still_target: scenario.still_target(),
            ready_503,
            cancelled: window.cancelled,
            problems,
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}\n  ha: answered_503={} claim_outcome_unknown={} longest_without_200={:.1?} \
             (target {:?}{}) ready_503={} waits_cancelled={}",
            self.cycle,
            self.answered_503,
            self.outcome_unknown,
            self.still_for,
            self.still_target,
            if self.still_for > self.still_target {
                ", above it"
            } else {
                ""
            },
            self.ready_503,
            self.cancelled
        )
    }
}
