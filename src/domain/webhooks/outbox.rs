//! The queue of webhook deliveries: one per (endpoint, event), claimed with a lease under
//! `FOR UPDATE SKIP LOCKED` so any number of instances share the work, sent at least once
//! under the event's stable id, in order per item and endpoint (a delivery waits while an
//! earlier one for the same item is pending), retried with exponential backoff and jitter
//! until `retry_for_secs` have passed, and an endpoint that has failed for
//! `disable_after_secs` is disabled until an admin enables it.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Double, Integer, Jsonb, Nullable, Text, Uuid as SqlUuid};
use serde_json::Value;
use uuid::Uuid;

use crate::db::schema::{
    webhook_attempts as attempts, webhook_deliveries as deliveries, webhook_events as events,
};
use crate::error::{Error, Result};

/// How the queue retries and gives up (from `[webhooks]`).
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub lease_secs: i64,
    pub retry_base_secs: i64,
    pub retry_for_secs: i64,
    pub disable_after_secs: i64,
}

/// A delivery claimed for sending: what the request needs.
#[derive(Debug, Clone, QueryableByName)]
pub struct Claimed {
    #[diesel(sql_type = SqlUuid)]
    pub endpoint_id: Uuid,
    #[diesel(sql_type = BigInt)]
    pub event_seq: i64,
    #[diesel(sql_type = SqlUuid)]
    pub event_id: Uuid,
    #[diesel(sql_type = Text)]
    pub url: String,
    #[diesel(sql_type = Jsonb)]
    pub payload: Value,
    #[diesel(sql_type = Array<Text>)]
    pub secrets: Vec<String>,
    #[diesel(sql_type = SqlUuid)]
    pub lease_token: Uuid,
}

impl Claimed {
    /// The `webhook-id` header: the same for every attempt at this event, on every endpoint.
    pub fn message_id(&self) -> String {
        message_id(self.event_id)
    }
}

/// `msg_` and the event's id.
pub fn message_id(event: Uuid) -> String {
    format!("msg_{}", event.simple())
}

/// The event id a `webhook-id` names.
pub fn parse_message_id(raw: &str) -> Option<Uuid> {
    raw.strip_prefix("msg_")
        .and_then(|hex| Uuid::try_parse(hex).ok())
}

/// Claims up to `limit` due deliveries of enabled endpoints, at most one per item and endpoint
/// (the earliest pending one), leased for `policy.lease_secs`.
pub fn claim(conn: &mut PgConnection, limit: i64, policy: Policy) -> Result<Vec<Claimed>> {
    let token = Uuid::new_v4();
    Ok(diesel::sql_query(
        "WITH due AS ( \
           SELECT d.endpoint_id, d.event_seq FROM webhook_deliveries d \
             JOIN webhook_endpoints e ON e.id = d.endpoint_id AND e.enabled \
            WHERE d.state = 'pending' AND d.next_attempt_at <= now() \
              AND (d.lease_until IS NULL OR d.lease_until < now()) \
              AND NOT EXISTS ( \
                SELECT 1 FROM webhook_deliveries p \
                 WHERE p.endpoint_id = d.endpoint_id AND p.recommendation_id = d.recommendation_id \
                   AND p.state = 'pending' AND p.event_seq < d.event_seq) \
            ORDER BY d.next_attempt_at, d.event_seq \
            LIMIT $1 \
            FOR UPDATE OF d SKIP LOCKED) \
         UPDATE webhook_deliveries d \
            SET lease_token = $2, lease_until = now() + make_interval(secs => $3) \
           FROM due, webhook_events ev, webhook_endpoints e \
          WHERE d.endpoint_id = due.endpoint_id AND d.event_seq = due.event_seq \
            AND ev.seq = d.event_seq AND e.id = d.endpoint_id \
         RETURNING d.endpoint_id, d.event_seq, ev.id AS event_id, e.url, ev.payload, \
           ARRAY(SELECT s.secret FROM webhook_secrets s WHERE s.endpoint_id = e.id \
                  AND (s.expires_at IS NULL OR s.expires_at > now()) \
                  ORDER BY s.created_at, s.id) AS secrets, \
           d.lease_token AS lease_token",
    )
    .bind::<BigInt, _>(limit)
    .bind::<SqlUuid, _>(token)
    .bind::<Double, _>(policy.lease_secs as f64)
    .load(conn)?)
}

/// What one attempt came to.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// The HTTP status, when a response arrived.
    pub status: Option<u16>,
    pub latency_ms: i32,
    /// Why it failed before a response (or the non-2xx status, in words).
    pub error: Option<String>,
}

impl Attempt {
    pub fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// Where a delivery stands after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    Delivered,
    Retrying,
    Abandoned,
    /// Our lease had expired and another sender holds it: the attempt is logged, nothing else.
    LeaseLost,
}

/// Logs `attempt` and moves the delivery on, in one transaction. `jitter` (in [0, 1)) spreads
/// retries so a recovering receiver is not met by every retry at once.
pub fn settle(
    conn: &mut PgConnection,
    claimed: &Claimed,
    attempt: &Attempt,
    policy: Policy,
    jitter: f64,
) -> Result<Settled> {
    conn.transaction(|conn| {
        let found = deliveries::table
            .find((claimed.endpoint_id, claimed.event_seq))
            .select((
                deliveries::attempts,
                deliveries::retry_from,
                deliveries::lease_token,
                deliveries::state,
            ))
            .for_update()
            .first::<(i32, DateTime<Utc>, Option<Uuid>, String)>(conn)
            .optional()?;
        // The endpoint was deleted while the request was out: nothing is left to record.
        let Some((count, retry_from, lease, state)) = found else {
            return Ok(Settled::LeaseLost);
        };
        diesel::insert_into(attempts::table)
            .values((
                attempts::endpoint_id.eq(claimed.endpoint_id),
                attempts::event_seq.eq(claimed.event_seq),
                attempts::status_code.eq(attempt.status.map(i32::from)),
                attempts::latency_ms.eq(attempt.latency_ms),
                attempts::error.eq(attempt.error.as_deref().map(truncate)),
            ))
            .execute(conn)?;
        if lease != Some(claimed.lease_token) || state != "pending" {
            return Ok(Settled::LeaseLost);
        }
        let mine = deliveries::table.find((claimed.endpoint_id, claimed.event_seq));
        let now = Utc::now();
        let status = attempt.status.map(i32::from);
        if attempt.succeeded() {
            diesel::update(mine)
                .set((
                    deliveries::state.eq("delivered"),
                    deliveries::attempts.eq(count + 1),
                    deliveries::delivered_at.eq(now),
                    deliveries::last_status.eq(status),
                    deliveries::last_error.eq(None::<String>),
                    deliveries::lease_token.eq(None::<Uuid>),
                    deliveries::lease_until.eq(None::<DateTime<Utc>>),
                ))
                .execute(conn)?;
            diesel::sql_query(
                "UPDATE webhook_endpoints SET failing_since = NULL \
                  WHERE id = $1 AND failing_since IS NOT NULL",
            )
            .bind::<SqlUuid, _>(claimed.endpoint_id)
            .execute(conn)?;
            return Ok(Settled::Delivered);
        }
        let give_up = now - retry_from >= Duration::seconds(policy.retry_for_secs);
        let delay = backoff(policy.retry_base_secs, count, jitter);
        diesel::update(mine)
            .set((
                deliveries::state.eq(if give_up { "abandoned" } else { "pending" }),
                deliveries::attempts.eq(count + 1),
                deliveries::next_attempt_at.eq(now + delay),
                deliveries::last_status.eq(status),
                deliveries::last_error.eq(attempt.error.as_deref().map(truncate)),
                deliveries::lease_token.eq(None::<Uuid>),
                deliveries::lease_until.eq(None::<DateTime<Utc>>),
            ))
            .execute(conn)?;
        // The endpoint's run of failures starts at its first; a day of them disables it.
        diesel::sql_query(
            "UPDATE webhook_endpoints SET failing_since = coalesce(failing_since, now()), \
               enabled = enabled AND coalesce(failing_since, now()) > now() - make_interval(secs => $2), \
               disabled_at = CASE WHEN enabled AND coalesce(failing_since, now()) \
                                  <= now() - make_interval(secs => $2) THEN now() ELSE disabled_at END, \
               disabled_reason = CASE WHEN enabled AND coalesce(failing_since, now()) \
                                  <= now() - make_interval(secs => $2) \
                                  THEN 'every delivery failed since ' || coalesce(failing_since, now())::text \
                                  ELSE disabled_reason END \
             WHERE id = $1",
        )
        .bind::<SqlUuid, _>(claimed.endpoint_id)
        .bind::<Double, _>(policy.disable_after_secs as f64)
        .execute(conn)?;
        Ok(if give_up {
            Settled::Abandoned
        } else {
            Settled::Retrying
        })
    })
}

/// The wait before the next attempt after `attempts` earlier ones: base, doubled each time, at
/// most an hour, then between half and all of that (the jitter).
pub fn backoff(base_secs: i64, attempts: i32, jitter: f64) -> Duration {
    let doubled = base_secs
        .max(1)
        .saturating_mul(1_i64 << attempts.clamp(0, 20));
    let capped = doubled.min(3600) as f64;
    let millis = capped * 1000.0 * (0.5 + 0.5 * jitter.clamp(0.0, 1.0));
    Duration::milliseconds(millis as i64)
}

fn truncate(text: &str) -> String {
    text.chars().take(500).collect()
}

/// One delivery as the log shows it.
#[derive(Debug, Clone, QueryableByName)]
pub struct DeliveryView {
    #[diesel(sql_type = SqlUuid)]
    pub event_id: Uuid,
    #[diesel(sql_type = Text)]
    pub event_type: String,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub recommendation_id: Option<Uuid>,
    #[diesel(sql_type = Text)]
    pub state: String,
    #[diesel(sql_type = Integer)]
    pub attempts: i32,
    #[diesel(sql_type = Nullable<Integer>)]
    pub last_status: Option<i32>,
    #[diesel(sql_type = Nullable<Text>)]
    pub last_error: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    pub next_attempt_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<diesel::sql_types::Timestamptz>)]
    pub delivered_at: Option<DateTime<Utc>>,
    /// Every attempt: `[{"at", "status", "latency_ms", "error"}]`, oldest first.
    #[diesel(sql_type = Jsonb)]
    pub log: Value,
}

/// The latest `limit` deliveries to endpoint `id`, newest first, each with its attempts.
pub fn log(conn: &mut PgConnection, id: Uuid, limit: i64) -> Result<Vec<DeliveryView>> {
    super::get(conn, id)?;
    Ok(diesel::sql_query(
        "SELECT ev.id AS event_id, ev.event_type, d.recommendation_id, d.state, d.attempts, \
                d.last_status, d.last_error, d.created_at, d.next_attempt_at, d.delivered_at, \
                coalesce((SELECT jsonb_agg(jsonb_build_object('at', a.attempted_at, \
                            'status', a.status_code, 'latency_ms', a.latency_ms, 'error', a.error) \
                            ORDER BY a.id) \
                     FROM webhook_attempts a \
                    WHERE a.endpoint_id = d.endpoint_id AND a.event_seq = d.event_seq), \
                  '[]'::jsonb) AS log \
           FROM webhook_deliveries d JOIN webhook_events ev ON ev.seq = d.event_seq \
          WHERE d.endpoint_id = $1 ORDER BY d.event_seq DESC LIMIT $2",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<BigInt, _>(limit)
    .load(conn)?)
}

/// Queues delivery of event `event` to endpoint `id` again, now, with a fresh retry window
/// and the same `webhook-id`. Refused while it is pending (it is already queued).
pub fn redeliver(conn: &mut PgConnection, id: Uuid, event: Uuid) -> Result<()> {
    super::get(conn, id)?;
    let seq: i64 = events::table
        .filter(events::id.eq(event))
        .select(events::seq)
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound)?;
    let state: String = deliveries::table
        .find((id, seq))
        .select(deliveries::state)
        .for_update()
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound)?;
    if state == "pending" {
        return Err(Error::Conflict(
            "this delivery is still pending; it will be attempted again".into(),
        ));
    }
    if !super::get(conn, id)?.enabled {
        return Err(Error::Conflict(
            "the endpoint is disabled; enable it first".into(),
        ));
    }
    // Sent again now, it must not overtake a later event of the same item still on its way.
    let item: Option<Uuid> = deliveries::table
        .find((id, seq))
        .select(deliveries::recommendation_id)
        .first(conn)?;
    if let Some(item) = item {
        let later: i64 = deliveries::table
            .filter(deliveries::endpoint_id.eq(id))
            .filter(deliveries::recommendation_id.eq(item))
            .filter(deliveries::state.eq("pending"))
            .filter(deliveries::event_seq.gt(seq))
            .count()
            .get_result(conn)?;
        if later > 0 {
            return Err(Error::Conflict(
                "a later event of the same item is still pending for this endpoint; \
                 redeliver once it is settled"
                    .into(),
            ));
        }
    }
    let now = Utc::now();
    diesel::update(deliveries::table.find((id, seq)))
        .set((
            deliveries::state.eq("pending"),
            deliveries::attempts.eq(0),
            deliveries::next_attempt_at.eq(now),
            deliveries::retry_from.eq(now),
            deliveries::delivered_at.eq(None::<DateTime<Utc>>),
            deliveries::last_error.eq(None::<String>),
        ))
        .execute(conn)?;
    Ok(())
}

/// Forgets settled deliveries older than `days`, and events nobody still waits for.
pub fn prune(conn: &mut PgConnection, days: i64) -> Result<()> {
    let before = Utc::now() - Duration::days(days);
    diesel::delete(
        deliveries::table
            .filter(deliveries::state.ne("pending"))
            .filter(deliveries::created_at.lt(before)),
    )
    .execute(conn)?;
    diesel::sql_query(
        "DELETE FROM webhook_events ev WHERE ev.created_at < $1 \
          AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_seq = ev.seq)",
    )
    .bind::<diesel::sql_types::Timestamptz, _>(before)
    .execute(conn)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_an_hour_and_jitters_down_to_half() {
        assert_eq!(backoff(5, 0, 1.0), Duration::seconds(5));
        assert_eq!(backoff(5, 1, 1.0), Duration::seconds(10));
        assert_eq!(backoff(5, 3, 1.0), Duration::seconds(40));
        assert_eq!(backoff(5, 3, 0.0), Duration::seconds(20));
        assert_eq!(backoff(5, 12, 1.0), Duration::seconds(3600));
        assert_eq!(backoff(5, 400, 0.5), Duration::seconds(2700));
        assert_eq!(backoff(0, 0, 1.0), Duration::seconds(1));
    }

    #[test]
    fn message_ids_name_their_event() {
        let id = Uuid::nil();
        assert_eq!(message_id(id), "msg_00000000000000000000000000000000");
        assert_eq!(parse_message_id(&message_id(id)), Some(id));
        assert_eq!(parse_message_id("evt_1"), None);
    }
}
