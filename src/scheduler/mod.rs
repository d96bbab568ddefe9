//! The tick that runs inside `serve`: plan the due digest periods (once, whichever instance gets
//! the lock), then send what is due. Safe with any number of instances, and after a crash: work
//! lives in PostgreSQL, not in this process.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::Utc;
use tokio::sync::Notify;

use crate::config::Settings;
use crate::db::{self, PgPool};
use crate::domain::digest::deliveries::{self, Settings as DigestContext, Trigger};
use crate::domain::digest::desk::{DigestDesk, Pending, TickSummary};
use crate::domain::digest::queue;
use crate::domain::digest::schedule::Schedules;
use crate::domain::email_links::{LinkKey, Signer};
use crate::domain::subscriptions;
use crate::error::Result;
use crate::mailer::Mailer;
use crate::mailer::digest::{DigestRenderer, host_of, message_id};
use crate::metrics::Metrics;

/// Digests one person may ask for per hour (`POST /api/v1/me/digest/send`, the preferences
/// page).
pub const SENDS_PER_HOUR: u32 = 3;

/// Deliveries claimed per round trip: few, so a slow SMTP server holds few of them back.
const BATCH: i64 = 5;

/// Plans and sends digests.
#[derive(Debug, Clone)]
pub struct Scheduler {
    pool: PgPool,
    settings: Arc<Settings>,
    mailer: Mailer,
    schedules: Arc<Schedules>,
    metrics: Metrics,
    stopping: Arc<Stopping>,
    links: LinkKey,
    /// The base URL's host, for Message-IDs.
    host: String,
}

/// Set once `serve` is shutting down: the loop ends after the delivery in hand.
#[derive(Debug, Default)]
struct Stopping {
    flag: AtomicBool,
    wake: Notify,
}

impl Scheduler {
    pub fn new(
        pool: PgPool,
        settings: Arc<Settings>,
        mailer: Mailer,
        metrics: Metrics,
    ) -> Result<Self> {
        let schedules = Schedules::new(&settings.digest);
        let host = host_of(&settings.server.base_url);
        Ok(Self {
            links: LinkKey::installed()?,
            host,
            pool,
            settings,
            mailer,
            schedules: Arc::new(schedules),
            metrics,
            stopping: Arc::default(),
        })
    }

    /// The digest renderer.
    pub fn renderer(&self) -> DigestRenderer {
        DigestRenderer
    }

    /// Plans due periods, then sends everything due.
    pub async fn tick(&self, trigger: Trigger) -> Result<TickSummary> {
        let this = self.clone();
        let planned = db::run(&self.pool, move |conn| {
            this.composing(|context, now| {
                deliveries::plan(
                    conn,
                    context,
                    &this.schedules,
                    &DigestRenderer,
                    now,
                    trigger,
                )
            })
        })
        .await?;
        for run_trigger in &planned.triggers {
            self.metrics.count_run(run_trigger);
        }
        let this = self.clone();
        let subscribed = db::run(&self.pool, move |conn| {
            this.composing(|context, now| {
                let settings = subscriptions::plan::Settings {
                    rules: context.rules,
                    base_url: context.base_url,
                    signer: context.signer,
                };
                subscriptions::plan::plan(conn, &settings, &DigestRenderer, now)
            })
        })
        .await?;
        for _ in &subscribed.periods {
            self.metrics.count_run("subscription");
        }
        let (sent, failed) = self.deliver_due().await?;
        // Housekeeping rides along: old login rate-limit windows are of no further use.
        db::run(&self.pool, crate::domain::auth::rate_limit::prune).await?;
        db::run(&self.pool, crate::domain::idempotency::prune).await?;
        // Once a day, the digest over every history head that admins keep outside the database.
        db::run(&self.pool, |conn| {
            crate::domain::history::anchor::record_due(conn, Utc::now())
        })
        .await?;
        Ok(TickSummary {
            planned,
            sent,
            failed,
        })
    }

    /// The key digest links are signed with.
    pub fn links(&self) -> &LinkKey {
        &self.links
    }

    /// What a tick now would send: (recipient, subject), nothing kept (see
    /// `deliveries::rehearse`).
    pub async fn rehearse(&self) -> Result<Vec<(String, String)>> {
        let this = self.clone();
        db::run(&self.pool, move |conn| this.rehearse_on(conn)).await
    }

    /// [`rehearse`](Self::rehearse) on a connection of the caller's (the CLI's dry run).
    pub fn rehearse_on(&self, conn: &mut diesel::PgConnection) -> Result<Vec<(String, String)>> {
        let claimed = self.composing(|context, now| {
            deliveries::rehearse(
                conn,
                context,
                &self.schedules,
                &DigestRenderer,
                now,
                self.timing(),
            )
        })?;
        Ok(claimed.into_iter().map(|c| (c.email, c.subject)).collect())
    }

    /// Runs `work` with what composing a digest now needs: the settings and a signer for its
    /// links, made once here for the schedule, the dry run and send-now alike.
    fn composing<T>(&self, work: impl FnOnce(&DigestContext<'_>, chrono::DateTime<Utc>) -> T) -> T {
        let settings = &self.settings;
        let now = Utc::now();
        let signer = Signer {
            key: &self.links,
            base_url: &settings.server.base_url,
            now,
        };
        let context = DigestContext {
            rules: &settings.stall,
            digest: &settings.digest,
            base_url: &settings.server.base_url,
            signer: Some(&signer),
        };
        work(&context, now)
    }

    /// Sends `user` their digest as it stands now, outside the schedule; false when nothing
    /// qualifies. Whatever else is due goes out with it. At most [`SENDS_PER_HOUR`] an hour
    /// (429 beyond), counted in a transaction of its own so a failed send still counts.
    pub async fn send_on_request(&self, user: uuid::Uuid) -> Result<bool> {
        db::transaction(&self.pool, move |conn| {
            crate::domain::auth::rate_limit::reserve(
                conn,
                &format!("digest-send:{user}"),
                crate::domain::auth::rate_limit::Limit {
                    max: SENDS_PER_HOUR,
                    window_secs: 3600,
                },
            )
        })
        .await?;
        let this = self.clone();
        let planned = db::run(&self.pool, move |conn| {
            this.composing(|context, now| {
                deliveries::plan_on_request(conn, context, &DigestRenderer, user, now)
            })
        })
        .await?;
        if planned.is_none() {
            return Ok(false);
        }
        self.deliver_due().await?;
        Ok(true)
    }

    /// The queue's timing: a lease outlasts one SMTP exchange at its slowest (each reply may take
    /// `email.smtp_timeout_secs`, and a message takes a handful of replies).
    fn timing(&self) -> queue::Timing {
        let smtp = i64::try_from(self.settings.email.smtp_timeout_secs).unwrap_or(60);
        queue::Timing {
            lease_secs: smtp.saturating_mul(6).saturating_add(30),
            resend_after_secs: i64::try_from(self.settings.digest.resend_after_secs)
                .unwrap_or(i64::MAX / 4),
        }
    }

    /// Sends every due delivery; each is marked sent only once the SMTP server accepted it, and
    /// only by the sender that still holds its claim (see `domain::digest::queue`).
    pub async fn deliver_due(&self) -> Result<(usize, usize)> {
        let (mut sent, mut failed) = (0, 0);
        let timing = self.timing();
        loop {
            let batch = db::run(&self.pool, move |conn| queue::claim(conn, BATCH, timing)).await?;
            if batch.is_empty() {
                return Ok((sent, failed));
            }
            for delivery in batch {
                if self.is_stopping() {
                    // Claimed but unsent deliveries go back to whoever ticks next, after the lease.
                    return Ok((sent, failed));
                }
                let delivery = std::sync::Arc::new(delivery);
                let ours = {
                    let delivery = delivery.clone();
                    db::run(&self.pool, move |conn| {
                        queue::begin_sending(conn, &delivery, timing)
                    })
                    .await?
                };
                if !ours {
                    tracing::info!(delivery = %delivery.id, "lease lost before sending; another sender has it");
                    continue;
                }
                let outcome = match self.mailer.digest_message(&delivery, &self.host) {
                    Ok(message) => self.mailer.send(message).await,
                    Err(e) => Err(e),
                };
                let id = delivery.id;
                match outcome {
                    Ok(()) => {
                        let message_id = message_id(&delivery, &self.host);
                        let delivery = delivery.clone();
                        let marked = db::run(&self.pool, move |conn| {
                            queue::mark_sent(conn, &delivery, &message_id)
                        })
                        .await?;
                        if !marked {
                            tracing::warn!(delivery = %id, "sent, but the claim was lost meanwhile; not recorded by this sender");
                        }
                        Metrics::count(&self.metrics.digest_deliveries, "sent", 1);
                        sent += 1;
                    }
                    Err(e) => {
                        let (error, base, max) = (
                            e.to_string(),
                            self.settings.digest.retry_base_secs,
                            self.settings.digest.max_attempts,
                        );
                        let attempt = delivery.attempts;
                        let claimed = delivery.clone();
                        let failure = db::run(&self.pool, move |conn| {
                            queue::mark_failed(conn, &claimed, &error, base, max)
                        })
                        .await?;
                        match failure {
                            queue::Failure::GaveUp => {
                                tracing::error!(delivery = %id, attempt, error = %e, "digest not delivered; given up")
                            }
                            _ => {
                                tracing::warn!(delivery = %id, attempt, error = %e, "digest not delivered; will retry")
                            }
                        }
                        Metrics::count(&self.metrics.digest_deliveries, "failed", 1);
                        failed += 1;
                    }
                }
            }
            // A failed delivery's retry is in the future, so the loop ends when nothing is due.
        }
    }

    /// Asks the loop to end once the delivery in hand is done.
    pub fn stop(&self) {
        self.stopping.flag.store(true, Ordering::SeqCst);
        self.stopping.wake.notify_one();
    }

    fn is_stopping(&self) -> bool {
        self.stopping.flag.load(Ordering::SeqCst)
    }

    /// Ticks every `digest.tick_secs` until [`stop`](Self::stop) is called.
    pub async fn run_forever(self) {
        let mut interval =
            tokio::time::interval(Duration::from_secs(self.settings.digest.tick_secs));
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let due = tokio::select! {
                due = interval.tick() => due,
                () = self.stopping.wake.notified() => break,
            };
            if self.is_stopping() {
                break;
            }
            self.metrics.scheduler_lag.set(due.elapsed().as_secs_f64());
            let outcome = self.tick(Trigger::Schedule).await;
            Metrics::count(
                &self.metrics.scheduler_ticks,
                if outcome.is_ok() { "ok" } else { "error" },
                1,
            );
            match outcome {
                Ok(summary) if summary != TickSummary::default() => {
                    tracing::info!(periods = ?summary.planned.periods, deliveries = summary.planned.deliveries,
                        escalations = summary.planned.escalations, sent = summary.sent, failed = summary.failed, "digest tick");
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "digest tick failed; retrying at the next tick")
                }
            }
        }
    }
}

impl DigestDesk for Scheduler {
    fn tick(&self, trigger: Trigger) -> Pending<'_, TickSummary> {
        Box::pin(Scheduler::tick(self, trigger))
    }

    fn send_on_request(&self, user: uuid::Uuid) -> Pending<'_, bool> {
        Box::pin(Scheduler::send_on_request(self, user))
    }

    fn render(
        &self,
        digest: &crate::domain::digest::compose::Digest,
    ) -> Result<deliveries::Rendered> {
        use crate::domain::digest::deliveries::Renderer;
        self.renderer().render(digest)
    }

    fn links(&self) -> &LinkKey {
        Scheduler::links(self)
    }
}
