//! Digest runs as the API shows them: each run with its deliveries.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::enums::DeliveryStatus;
use crate::db::schema::{digest_deliveries as deliveries, digest_runs as runs};
use crate::error::Result;

/// A run with its deliveries, for the history endpoint.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct RunView {
    pub id: Uuid,
    pub period: String,
    pub trigger: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub deliveries: Vec<DeliveryView>,
}

/// One delivery's state.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema, Queryable)]
pub struct DeliveryView {
    pub id: Uuid,
    pub run_id: Uuid,
    pub recipient_id: Uuid,
    pub status: DeliveryStatus,
    pub subject: String,
    pub stalled_count: i32,
    pub overdue_count: i32,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub next_attempt_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    /// Sent again after its first sender died between handing it to the SMTP server and
    /// recording that: the recipient may have two copies.
    pub possible_duplicate: bool,
    /// Given up after `digest.max_attempts` failed attempts.
    pub gave_up_at: Option<DateTime<Utc>>,
}

/// id, period, trigger, started, finished
type RunHead = (Uuid, String, String, DateTime<Utc>, Option<DateTime<Utc>>);

/// The latest `limit` runs with their deliveries; only `recipient`'s when given.
pub fn list_runs(
    conn: &mut PgConnection,
    limit: i64,
    recipient: Option<Uuid>,
) -> Result<Vec<RunView>> {
    let heads: Vec<RunHead> = runs::table
        .order(runs::started_at.desc())
        .limit(limit)
        .select((
            runs::id,
            runs::period,
            runs::trigger,
            runs::started_at,
            runs::finished_at,
        ))
        .load(conn)?;
    let ids: Vec<Uuid> = heads.iter().map(|h| h.0).collect();
    let mut query = deliveries::table
        .filter(deliveries::run_id.eq_any(&ids))
        .into_boxed();
    if let Some(user) = recipient {
        query = query.filter(deliveries::recipient_id.eq(user));
    }
    let all: Vec<DeliveryView> = query
        .order(deliveries::created_at.asc())
        .select((
            deliveries::id,
            deliveries::run_id,
            deliveries::recipient_id,
            deliveries::status,
            deliveries::subject,
            deliveries::stalled_count,
            deliveries::overdue_count,
            deliveries::attempts,
            deliveries::last_error,
            deliveries::next_attempt_at,
            deliveries::sent_at,
            deliveries::possible_duplicate,
            deliveries::gave_up_at,
        ))
        .load(conn)?;
    Ok(heads
        .into_iter()
        .map(|(id, period, trigger, started_at, finished_at)| RunView {
            deliveries: all.iter().filter(|d| d.run_id == id).cloned().collect(),
            id,
            period,
            trigger,
            started_at,
            finished_at,
        })
        .collect())
}
