//! Batching: concurrent claims of one coupon are gathered by a per-coupon worker and settled in
//! one transaction that takes the coupon row lock once.
//!
//! A claim joins its coupon's queue and waits for its answer. The worker takes everything queued
//! (up to `max_batch`; a lone claim waits only for one scheduler yield), settles it, replies to
//! each waiter only after its synchronous COMMIT (flushed to disk), and goes again. Claims
//! arriving while a batch is in the database form the next batch, so the batch size follows the
//! load. Correctness still lives in PostgreSQL: each batch holds the row lock, so any number of
//! processes stay exactly right.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use sqlx::PgPool;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use super::{ClaimError, Taken};

/// A worker with nothing to do for this long stops (and is restarted by the next claim).
const IDLE: Duration = Duration::from_secs(10);
/// Queued claims per coupon before senders wait (backpressure, bounded memory).
const QUEUE_CAPACITY: usize = 8192;
/// Beyond this many coupons with a live worker, claims go the per-request way.
const MAX_QUEUES: usize = 10_000;

type Reply = oneshot::Sender<Result<Taken, ClaimError>>;

struct Waiter {
    user_id: String,
    reply: Reply,
}

/// The per-coupon queues of one process.
pub(super) struct Batcher {
    pool: PgPool,
    max_batch: usize,
    queues: Mutex<HashMap<String, mpsc::Sender<Waiter>>>,
    /// Cancelled at shutdown: workers settle what is queued and stop (releasing the pool).
    stop: CancellationToken,
}

impl Batcher {
    pub(super) fn new(pool: PgPool, max_batch: usize, stop: CancellationToken) -> Arc<Self> {
        Arc::new(Self {
            pool,
            max_batch: max_batch.max(1),
            queues: Mutex::new(HashMap::new()),
            stop,
        })
    }

    /// Queues one claim and waits for its batch to commit.
    pub(super) async fn claim(
        self: &Arc<Self>,
        user_id: &str,
        coupon_name: &str,
    ) -> Result<Taken, ClaimError> {
        let (reply, answer) = oneshot::channel();
        let mut waiter = Waiter {
            user_id: user_id.to_owned(),
            reply,
        };
        loop {
            let Some(queue) = self.queue_for(coupon_name) else {
                let draws = super::per_request::KnownDraws::default();
                return super::per_request::claim(&self.pool, &draws, user_id, coupon_name).await;
            };
            match queue.send(waiter).await {
                Ok(()) => break,
                // The worker stopped between lookup and send: start another and retry.
                Err(mpsc::error::SendError(back)) => waiter = back,
            }
        }
        // A dropped reply means the worker died without answering: nothing was promised.
        answer.await.unwrap_or(Err(ClaimError::Unavailable))
    }

    fn queue_for(self: &Arc<Self>, coupon_name: &str) -> Option<mpsc::Sender<Waiter>> {
        let mut queues = self.queues.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(queue) = queues.get(coupon_name).filter(|q| !q.is_closed()) {
            return Some(queue.clone());
        }
        if queues.len() >= MAX_QUEUES {
            queues.retain(|_, q| !q.is_closed());
            if queues.len() >= MAX_QUEUES {
                return None;
            }
        }
        let (sender, receiver) = mpsc::channel(QUEUE_CAPACITY);
        queues.insert(coupon_name.to_owned(), sender.clone());
        tokio::spawn(Arc::clone(self).run(coupon_name.to_owned(), sender.downgrade(), receiver));
        Some(sender)
    }

    /// The worker of one coupon.
    async fn run(
        self: Arc<Self>,
        coupon: String,
        me: mpsc::WeakSender<Waiter>,
        mut queue: mpsc::Receiver<Waiter>,
    ) {
        // A draw coupon's claims are entries; learnt from the first batch (see settle::settle).
        let mut draw = false;
        loop {
            let first = tokio::select! {
                biased;
                next = tokio::time::timeout(IDLE, queue.recv()) => match next {
                    Ok(Some(waiter)) => waiter,
                    Ok(None) => return,
                    Err(_idle) => break,
                },
                () = self.stop.cancelled() => break,
            };
            let mut batch = vec![first];
            self.fill(&mut queue, &mut batch);
            if batch.len() < self.max_batch {
                // Let handlers already running on other threads enqueue before we go.
                tokio::task::yield_now().await;
                self.fill(&mut queue, &mut batch);
            }
            if !self.settle(&coupon, batch, &mut draw).await {
                // No such coupon: a worker would only hold memory and a place in the map.
                break;
            }
        }
        // Idle, stopping or no such coupon: leave the map first so no new claim finds this queue, then settle stragglers.
        {
            let mut queues = self.queues.lock().unwrap_or_else(|p| p.into_inner());
            let mine = |q: &mpsc::Sender<Waiter>| me.upgrade().is_some_and(|s| s.same_channel(q));
            if queues.get(&coupon).is_some_and(mine) {
                queues.remove(&coupon);
            }
        }
        queue.close();
        let mut rest = Vec::new();
        while let Some(waiter) = queue.recv().await {
            rest.push(waiter);
        }
        while !rest.is_empty() {
            let batch: Vec<Waiter> = rest.drain(..rest.len().min(self.max_batch)).collect();
            let _exists = self.settle(&coupon, batch, &mut draw).await;
        }
    }

    fn fill(&self, queue: &mut mpsc::Receiver<Waiter>, batch: &mut Vec<Waiter>) {
        while batch.len() < self.max_batch {
            match queue.try_recv() {
                Ok(waiter) => batch.push(waiter),
                Err(_) => break,
            }
        }
    }

    /// Settles one batch on one connection and answers every waiter. The statement's COMMIT is
    /// synchronous, so the outcome is durable when it returns (`db::batches::settle_batch`);
    /// claims arriving meanwhile gather into the next batch (group commit). A failed batch fails
    /// only its own waiters, with 503: `unavailable` when nothing can have committed,
    /// `claim_outcome_unknown` when it may have.
    ///
    /// Returns false when the coupon does not exist.
    async fn settle(&self, coupon: &str, batch: Vec<Waiter>, draw: &mut bool) -> bool {
        let started = Instant::now();
        let waiting = crate::telemetry::metrics::PoolWait::start();
        let acquired = super::outcome::connection(&self.pool).await;
        drop(waiting);
        let mut conn = match acquired {
            Ok(conn) => conn,
            Err(unavailable) => {
                answer_all(batch, unavailable);
                return true;
            }
        };
        let users: Vec<String> = batch.iter().map(|w| w.user_id.clone()).collect();
        let settled = super::settle::settle(&mut conn, coupon, &users, draw).await;
        drop(conn);
        match settled {
            Ok(outcomes) => {
                crate::telemetry::metrics::batch_settled(outcomes.len(), started);
                let exists = !outcomes
                    .iter()
                    .all(|o| matches!(o, Err(ClaimError::NotFound)));
                for (waiter, outcome) in batch.into_iter().zip(outcomes) {
                    let _ = waiter.reply.send(outcome);
                }
                exists
            }
            Err(error) => {
                let answer = ClaimError::classify(error);
                if let ClaimError::Database(error) = &answer {
                    let size = batch.len();
                    tracing::error!(%error, coupon, size, "claim batch failed; answered 503");
                }
                answer_all(batch, answer);
                true
            }
        }
    }

    /// Coupons with a live worker in this process.
    pub(super) fn workers(&self) -> usize {
        let queues = self.queues.lock().unwrap_or_else(|p| p.into_inner());
        queues.values().filter(|q| !q.is_closed()).count()
    }
}

/// Gives every waiter of a failed batch the same refusal (`Unavailable` or `OutcomeUnknown`).
fn answer_all(batch: Vec<Waiter>, error: ClaimError) {
    let refusal = || match &error {
        ClaimError::OutcomeUnknown => ClaimError::OutcomeUnknown,
        _ => ClaimError::Unavailable,
    };
    for waiter in batch {
        let _ = waiter.reply.send(Err(refusal()));
    }
}
