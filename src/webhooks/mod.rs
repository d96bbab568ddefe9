//! The webhook sender inside `serve`: every `webhooks.poll_ms` it claims due deliveries from
//! the queue in PostgreSQL (`domain::webhooks::outbox`), sends them, and settles each; now and
//! then it announces items that stalled or became overdue. Any number of instances run it on
//! one database: claims are leased rows, so each delivery has one sender at a time.

mod client;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use crate::config::{StallRules, WebhookSettings};
use crate::db::{self, PgPool};
use crate::domain::webhooks::{announce, outbox};
use crate::error::Result;
use crate::metrics::Metrics;

/// Deliveries claimed per round trip; sent concurrently (they are for distinct items).
const BATCH: i64 = 20;
/// Batches one round sends at most.
const ROUND_BATCHES: usize = 10;
/// Settled deliveries and their log are kept this long.
const KEEP_DAYS: i64 = 30;

/// Claims, sends and settles webhook deliveries.
#[derive(Debug, Clone)]
pub struct Dispatcher {
    pool: PgPool,
    settings: WebhookSettings,
    rules: StallRules,
    metrics: Metrics,
    stopping: Arc<Stopping>,
}

#[derive(Debug, Default)]
struct Stopping {
    flag: AtomicBool,
    wake: Notify,
}

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Round {
    pub announced: i64,
    pub delivered: usize,
    pub failed: usize,
}

impl Dispatcher {
    pub fn new(
        pool: PgPool,
        settings: WebhookSettings,
        rules: StallRules,
        metrics: Metrics,
    ) -> Self {
        Self {
            pool,
            settings,
            rules,
            metrics,
            stopping: Arc::default(),
        }
    }

    fn policy(&self) -> outbox::Policy {
        let secs = |s: u64| i64::try_from(s).unwrap_or(i64::MAX / 4);
        outbox::Policy {
            // A lease outlasts one request at its slowest, with room to settle it.
            lease_secs: secs(self.settings.timeout_secs)
                .saturating_mul(2)
                .saturating_add(30),
            retry_base_secs: secs(self.settings.retry_base_secs),
            retry_for_secs: secs(self.settings.retry_for_secs),
            disable_after_secs: secs(self.settings.disable_after_secs),
        }
    }

    /// The HTTP client this dispatcher sends with.
    pub fn client(&self) -> awc::Client {
        client::build(
            self.settings.allow_private_targets,
            Duration::from_secs(self.settings.timeout_secs),
        )
    }

    /// Announces what stalled or became overdue, then delivers everything due.
    pub async fn round(&self, client: &awc::Client) -> Result<Round> {
        let announced = self.announce().await?;
        let (delivered, failed) = self.deliver_due(client).await?;
        Ok(Round {
            announced,
            delivered,
            failed,
        })
    }

    /// Queues `item.stalled` and `item.overdue` events not announced yet.
    pub async fn announce(&self) -> Result<i64> {
        let rules = self.rules;
        db::transaction(&self.pool, move |conn| {
            announce::announce_due(conn, &rules, 500)
        })
        .await
    }

    /// Sends due deliveries, batch by batch, until none is due or [`ROUND_BATCHES`] batches
    /// went out (so under steady load announcing and housekeeping still get their turn).
    pub async fn deliver_due(&self, client: &awc::Client) -> Result<(usize, usize)> {
        let policy = self.policy();
        let (mut delivered, mut failed) = (0, 0);
        for _ in 0..ROUND_BATCHES {
            if self.is_stopping() {
                break;
            }
            let batch =
                db::transaction(&self.pool, move |conn| outbox::claim(conn, BATCH, policy)).await?;
            if batch.is_empty() {
                break;
            }
            let sent =
                futures_util::future::join_all(batch.iter().map(|c| client::send(client, c))).await;
            for (claimed, attempt) in batch.into_iter().zip(sent) {
                let ok = attempt.succeeded();
                let (jitter, error) = (jitter(), attempt.error.clone());
                let settled = db::run(&self.pool, move |conn| {
                    outbox::settle(conn, &claimed, &attempt, policy, jitter)
                })
                .await;
                // One delivery that cannot be recorded must not leave the others of the batch,
                // already sent, unrecorded (they would be sent again after their lease).
                match settled {
                    Ok(settled) if !ok => {
                        tracing::info!(
                            ?settled,
                            error = error.as_deref().unwrap_or(""),
                            "webhook delivery failed"
                        )
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "a webhook attempt could not be recorded"),
                }
                if ok {
                    delivered += 1;
                } else {
                    failed += 1;
                }
                Metrics::count(
                    &self.metrics.webhook_deliveries,
                    if ok { "delivered" } else { "failed" },
                    1,
                );
            }
        }
        Ok((delivered, failed))
    }

    /// Asks [`run_forever`](Self::run_forever) to end after the batch in hand.
    pub fn stop(&self) {
        self.stopping.flag.store(true, Ordering::SeqCst);
        self.stopping.wake.notify_one();
    }

    fn is_stopping(&self) -> bool {
        self.stopping.flag.load(Ordering::SeqCst)
    }

    /// Rounds every `webhooks.poll_ms` until [`stop`](Self::stop); announcements every
    /// `webhooks.announce_secs`, housekeeping hourly.
    pub async fn run_forever(self) {
        let client = self.client();
        let mut interval = tokio::time::interval(Duration::from_millis(self.settings.poll_ms));
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let announce_every = Duration::from_secs(self.settings.announce_secs);
        let (mut announced_at, mut pruned_at): (Option<Instant>, Option<Instant>) = (None, None);
        loop {
            tokio::select! {
                _ = interval.tick() => {}
                () = self.stopping.wake.notified() => break,
            }
            if self.is_stopping() {
                break;
            }
            if announced_at.is_none_or(|at| at.elapsed() >= announce_every) {
                announced_at = Some(Instant::now());
                if let Err(e) = self.announce().await {
                    tracing::warn!(error = %e, "announcing stalled and overdue items failed");
                }
            }
            if pruned_at.is_none_or(|at| at.elapsed() >= Duration::from_secs(3600)) {
                pruned_at = Some(Instant::now());
                if let Err(e) = db::run(&self.pool, |conn| outbox::prune(conn, KEEP_DAYS)).await {
                    tracing::warn!(error = %e, "pruning the webhook log failed");
                }
            }
            if let Err(e) = self.deliver_due(&client).await {
                tracing::warn!(error = %e, "webhook round failed; retrying at the next");
            }
        }
    }
}

/// A number in [0, 1) for the retry jitter.
fn jitter() -> f64 {
    let mut bytes = [0u8; 4];
    match getrandom::getrandom(&mut bytes) {
        Ok(()) => f64::from(u32::from_le_bytes(bytes)) / (f64::from(u32::MAX) + 1.0),
        Err(_) => 0.5,
    }
}
