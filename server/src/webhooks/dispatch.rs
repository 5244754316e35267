//! The dispatcher of one process: woken by NOTIFY (with polling as the fallback), it fans the
//! outbox out into deliveries, leases as many due deliveries as it has free senders, sends each
//! in its own task, and records outcomes in batches.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use sqlx::PgPool;
use tokio::sync::{Notify, Semaphore, mpsc};
use tokio_util::sync::CancellationToken;

use super::{Settings, Webhooks, send};
use crate::db::{self, deliveries::Outcome};

/// Starts this process's dispatcher (unless WEBHOOK_DELIVERIES is off); it stops with
/// `shutdown`.
pub fn start(webhooks: &Webhooks, shutdown: &CancellationToken) {
    if !webhooks.0.settings.deliveries {
        tracing::info!("WEBHOOK_DELIVERIES=false: this process sends no webhooks");
        return;
    }
    tokio::spawn(run(webhooks.clone(), shutdown.clone()));
}

/// Outbox rows moved per statement.
const FAN_OUT_ROWS: i64 = 200;
/// Most outcomes recorded per statement.
const RECORD_BATCH: usize = 500;
/// The pause after a database error before the next round.
const ERROR_PAUSE: Duration = Duration::from_secs(1);
/// A claim this recent means a sale is running here: deliveries yield to it.
const CLAIMS_WINDOW: Duration = Duration::from_millis(250);
/// How often the outbox is looked at while this process takes claims (their rows send no
/// NOTIFY, see the migration).
const CLAIMS_POLL: Duration = Duration::from_millis(50);
/// How often the lag gauge is measured and old log rows purged.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);
const PURGE_EVERY_ROUNDS: u32 = 720;

/// Runs until `shutdown`.
pub async fn run(webhooks: Webhooks, shutdown: CancellationToken) {
    let wake = Arc::new(Notify::new());
    let (done, outcomes) = mpsc::unbounded_channel();
    tokio::spawn(listen(
        webhooks.0.pool.clone(),
        wake.clone(),
        shutdown.clone(),
    ));
    tokio::spawn(record(webhooks.clone(), outcomes, shutdown.clone()));
    tokio::spawn(upkeep(webhooks.clone(), shutdown.clone()));
    let senders = Arc::new(Semaphore::new(webhooks.0.settings.concurrency));
    let mut throttle = Throttle::full(&webhooks.0.settings);
    loop {
        let pause = match round(&webhooks, &senders, &done, &wake, &mut throttle).await {
            Ok(Next::Now) => continue,
            Ok(Next::Wait) => webhooks.0.settings.poll,
            Ok(Next::After(wait)) => wait.min(webhooks.0.settings.poll),
            Err(error) => {
                tracing::warn!(%error, "webhook dispatcher round failed; retrying");
                webhooks.0.settings.poll
            }
        };
        let pause = if webhooks.0.claims.within(CLAIMS_WINDOW) {
            pause.min(CLAIMS_POLL)
        } else {
            pause
        };
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = wake.notified() => {}
            _ = tokio::time::sleep(pause) => {}
        }
    }
}

/// What follows a round.
enum Next {
    /// There may be more work right away.
    Now,
    /// Until a wake-up (a NOTIFY, a finished send) or the poll.
    Wait,
    /// The claims' share of the cores: until the throttle allows the next chunk.
    After(Duration),
}

/// The budget of attempts while claims run: `WEBHOOK_RATE_DURING_CLAIMS` per second, in chunks.
struct Throttle {
    tokens: f64,
    at: Instant,
    rate: f64,
    /// Attempts leased at once under the throttle (and the most that can accumulate).
    chunk: f64,
}

impl Throttle {
    fn full(settings: &Settings) -> Self {
        let rate = f64::from(settings.rate_during_claims);
        let chunk = (settings.concurrency.div_ceil(4) as f64)
            .min(rate / 10.0)
            .max(1.0);
        Self {
            tokens: chunk,
            at: Instant::now(),
            rate,
            chunk,
        }
    }

    /// How many of `free` senders may start now, or how long until a chunk may.
    fn allow(&mut self, free: usize) -> Result<usize, Duration> {
        let now = Instant::now();
        let earned = now.duration_since(self.at).as_secs_f64() * self.rate;
        self.tokens = (self.tokens + earned).min(self.chunk);
        self.at = now;
        if self.tokens < self.chunk {
            return Err(Duration::from_secs_f64(
                (self.chunk - self.tokens) / self.rate,
            ));
        }
        Ok(free.min(self.tokens as usize))
    }
}

/// One round: fan out, then lease what the free senders (and, during claims, the throttle)
/// allow and start sending it.
async fn round(
    webhooks: &Webhooks,
    senders: &Arc<Semaphore>,
    done: &mpsc::UnboundedSender<Outcome>,
    wake: &Arc<Notify>,
    throttle: &mut Throttle,
) -> Result<Next, sqlx::Error> {
    let inner = &webhooks.0;
    let claiming = inner.settings.rate_during_claims > 0 && inner.claims.within(CLAIMS_WINDOW);
    // While claims run, the outbox is fanned out only as fast as deliveries go (below): a
    // delivery row costs PostgreSQL more than the claim did.
    if !claiming {
        while db::deliveries::fan_out(&inner.pool, FAN_OUT_ROWS).await? == FAN_OUT_ROWS {}
    }
    let mut free = senders.available_permits();
    let concurrency = inner.settings.concurrency;
    // Lease in chunks (a quarter of the senders at least, unless all are idle): one statement
    // per chunk, not per finished send. A finishing send wakes the loop.
    if free == 0 || (free < concurrency.div_ceil(4) && free < concurrency) {
        return Ok(Next::Wait);
    }
    if claiming {
        match throttle.allow(free) {
            Ok(allowed) => free = allowed,
            Err(wait) => return Ok(Next::After(wait)),
        }
    }
    let lease = inner.settings.lease().as_secs_f64();
    let leased = db::deliveries::lease(&inner.pool, free as i64, lease).await?;
    let mut more = leased.len() == free;
    if claiming {
        throttle.tokens -= leased.len() as f64;
        // Nothing more is due: turn one more outbox row into deliveries for the next round.
        if !more && db::deliveries::fan_out(&inner.pool, 1).await? > 0 {
            more = true;
        }
    }
    send_each(webhooks, senders, done, wake, leased);
    Ok(if more { Next::Now } else { Next::Wait })
}

/// Sends each leased delivery in a task of its own, holding one sender's permit.
fn send_each(
    webhooks: &Webhooks,
    senders: &Arc<Semaphore>,
    done: &mpsc::UnboundedSender<Outcome>,
    wake: &Arc<Notify>,
    leased: Vec<db::deliveries::Leased>,
) {
    for delivery in leased {
        let Ok(permit) = senders.clone().try_acquire_owned() else {
            break;
        };
        let (webhooks, done, wake) = (webhooks.clone(), done.clone(), wake.clone());
        tokio::spawn(async move {
            let inner = &webhooks.0;
            let outcome = send::attempt(&inner.client, &inner.settings, &delivery).await;
            let _ = done.send(outcome);
            drop(permit);
            wake.notify_one();
        });
    }
}

/// Records outcomes as they come, many per statement. An outcome that cannot be recorded is
/// dropped after a few tries: its lease ends and the delivery is sent again (at least once).
async fn record(
    webhooks: Webhooks,
    mut outcomes: mpsc::UnboundedReceiver<Outcome>,
    shutdown: CancellationToken,
) {
    let inner = &webhooks.0;
    let disable_after = inner.settings.disable_after;
    let mut batch = Vec::with_capacity(RECORD_BATCH);
    loop {
        let got = tokio::select! {
            _ = shutdown.cancelled() => return,
            got = outcomes.recv_many(&mut batch, RECORD_BATCH) => got,
        };
        if got == 0 {
            return;
        }
        for _ in 0..3 {
            match db::deliveries::record(&inner.pool, &batch, disable_after, chrono::Utc::now())
                .await
            {
                Ok(()) => break,
                Err(error) => {
                    tracing::warn!(%error, outcomes = batch.len(), "cannot record webhook outcomes");
                    tokio::time::sleep(ERROR_PAUSE).await;
                }
            }
        }
        batch.clear();
    }
}

/// Wakes the loop on every NOTIFY of the channel; reconnects when the connection drops.
async fn listen(pool: PgPool, wake: Arc<Notify>, shutdown: CancellationToken) {
    loop {
        let mut listener = match db::listen(&pool, db::webhooks::CHANNEL).await {
            Ok(listener) => listener,
            Err(error) => {
                tracing::warn!(%error, "webhook listener cannot connect; polling meanwhile");
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = tokio::time::sleep(ERROR_PAUSE) => continue,
                }
            }
        };
        wake.notify_one();
        loop {
            let next = tokio::select! {
                _ = shutdown.cancelled() => return,
                next = listener.try_recv() => next,
            };
            match next {
                Ok(Some(_)) | Ok(None) => wake.notify_one(),
                Err(error) => {
                    tracing::warn!(%error, "webhook listener failed; reconnecting");
                    break;
                }
            }
        }
    }
}

/// Measures the lag gauge and purges old finished deliveries now and then.
async fn upkeep(webhooks: Webhooks, shutdown: CancellationToken) {
    let inner = &webhooks.0;
    let mut rounds = 0u32;
    loop {
        match db::deliveries::oldest_pending_age(&inner.pool).await {
            Ok(age) => crate::telemetry::metrics::webhook_lag(age),
            Err(error) => tracing::debug!(%error, "webhook lag not measured"),
        }
        rounds += 1;
        if rounds.is_multiple_of(PURGE_EVERY_ROUNDS) {
            let keep = inner.settings.retention.as_secs_f64();
            if let Err(error) = db::deliveries::purge(&inner.pool, keep).await {
                tracing::warn!(%error, "cannot purge the webhook delivery log");
            }
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(UPKEEP_EVERY) => {}
        }
    }
}
