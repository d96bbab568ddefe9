//! Webhooks: endpoints admins register to be told of changes instead of polling. Events are
//! queued by triggers in the transaction of each change (migration `000014`); `outbox` claims
//! and settles deliveries for the sender in `crate::webhooks`; `announce` queues the events no
//! single change makes (an item stalled, an item overdue).

pub mod announce;
pub mod events;
pub mod outbox;
pub mod signing;
pub mod targets;

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::{
    reports, teams, webhook_deliveries as deliveries, webhook_endpoints as endpoints,
    webhook_secrets as secrets,
};
use crate::error::{Error, Result};
pub use events::EventType;
pub use targets::TargetUrl;

/// At most this many endpoints: each event is one delivery per endpoint.
pub const MAX_ENDPOINTS: i64 = 100;
/// Secrets signing at once, at most (each adds a signature to every request).
pub const MAX_LIVE_SECRETS: i64 = 3;
/// The longest a rotated-out secret keeps signing.
pub const MAX_OVERLAP_SECS: i64 = 7 * 24 * 3600;

/// A registered endpoint (its secrets are never read back out).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = endpoints)]
pub struct Endpoint {
    pub id: Uuid,
    pub url: String,
    pub description: String,
    pub event_types: Vec<String>,
    pub report_id: Option<Uuid>,
    pub team_id: Option<Uuid>,
    pub enabled: bool,
    pub failing_since: Option<DateTime<Utc>>,
    pub disabled_at: Option<DateTime<Utc>>,
    pub disabled_reason: Option<String>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What registering asks for, parsed.
#[derive(Debug, Clone)]
pub struct Registration {
    pub url: TargetUrl,
    pub description: String,
    pub events: Vec<EventType>,
    pub report_id: Option<Uuid>,
    pub team_id: Option<Uuid>,
}

/// A change to an endpoint; `None` leaves a field alone.
#[derive(Debug, Clone, Default)]
pub struct Patch {
    pub url: Option<TargetUrl>,
    pub description: Option<String>,
    pub events: Option<Vec<EventType>>,
    pub enabled: Option<bool>,
}

/// An endpoint with its secret, the only time the secret leaves the service.
#[derive(Debug, Clone)]
pub struct WithSecret {
    pub endpoint: Endpoint,
    pub secret: String,
}

fn description(raw: &str) -> Result<String> {
    if raw.chars().count() > 500 {
        return Err(Error::invalid(
            "description",
            "must be at most 500 characters",
        ));
    }
    Ok(raw.trim().to_owned())
}

/// The event types as stored: each once, in the order of [`EventType::ALL`].
fn event_names(events: &[EventType], scoped: bool) -> Result<Vec<String>> {
    if events.is_empty() {
        return Err(Error::invalid(
            "events",
            "must name at least one event type",
        ));
    }
    if scoped && events.contains(&EventType::DigestSent) {
        return Err(Error::invalid(
            "events",
            "digest.sent is not about one item, so an endpoint scoped to a report or team \
             cannot receive it",
        ));
    }
    Ok(EventType::ALL
        .into_iter()
        .filter(|t| events.contains(t))
        .map(|t| t.as_str().to_owned())
        .collect())
}

/// Registers an endpoint with a new secret.
pub fn register(
    conn: &mut PgConnection,
    new: &Registration,
    created_by: Option<Uuid>,
) -> Result<WithSecret> {
    let scoped = new.report_id.is_some() || new.team_id.is_some();
    let names = event_names(&new.events, scoped)?;
    let description = description(&new.description)?;
    if let Some(report) = new.report_id {
        let found: i64 = reports::table.find(report).count().get_result(conn)?;
        if found == 0 {
            return Err(Error::invalid("report_id", "names no report"));
        }
    }
    if let Some(team) = new.team_id {
        let found: i64 = teams::table.find(team).count().get_result(conn)?;
        if found == 0 {
            return Err(Error::invalid("team_id", "names no team"));
        }
    }
    crate::db::serialize_on(conn, "webhook-endpoints")?;
    let existing: i64 = endpoints::table.count().get_result(conn)?;
    if existing >= MAX_ENDPOINTS {
        return Err(Error::Conflict(format!(
            "at most {MAX_ENDPOINTS} webhook endpoints; delete one first"
        )));
    }
    let id = Uuid::new_v4();
    let endpoint = diesel::insert_into(endpoints::table)
        .values((
            endpoints::id.eq(id),
            endpoints::url.eq(new.url.as_str()),
            endpoints::description.eq(&description),
            endpoints::event_types.eq(&names),
            endpoints::report_id.eq(new.report_id),
            endpoints::team_id.eq(new.team_id),
            endpoints::created_by.eq(created_by),
        ))
        .returning(Endpoint::as_returning())
        .get_result(conn)?;
    let secret = add_secret(conn, id)?;
    Ok(WithSecret { endpoint, secret })
}

fn add_secret(conn: &mut PgConnection, endpoint: Uuid) -> Result<String> {
    let secret = signing::new_secret()?;
    diesel::insert_into(secrets::table)
        .values((
            secrets::id.eq(Uuid::new_v4()),
            secrets::endpoint_id.eq(endpoint),
            secrets::secret.eq(&secret),
        ))
        .execute(conn)?;
    Ok(secret)
}

/// Every endpoint, newest first.
pub fn list(conn: &mut PgConnection) -> Result<Vec<Endpoint>> {
    Ok(endpoints::table
        .order((endpoints::created_at.desc(), endpoints::id))
        .select(Endpoint::as_select())
        .load(conn)?)
}

pub fn get(conn: &mut PgConnection, id: Uuid) -> Result<Endpoint> {
    Ok(endpoints::table
        .find(id)
        .select(Endpoint::as_select())
        .first(conn)?)
}

/// Changes an endpoint. Enabling one (also one that was disabled after a day of failures)
/// forgets its failures; what it missed while disabled was never queued for it.
pub fn update(conn: &mut PgConnection, id: Uuid, patch: &Patch) -> Result<Endpoint> {
    let current = endpoints::table
        .find(id)
        .select(Endpoint::as_select())
        .for_no_key_update()
        .first(conn)?;
    let scoped = current.report_id.is_some() || current.team_id.is_some();
    let names = patch
        .events
        .as_deref()
        .map(|events| event_names(events, scoped))
        .transpose()?;
    let description = patch.description.as_deref().map(description).transpose()?;
    let now = Utc::now();
    let enabling = patch.enabled == Some(true) && !current.enabled;
    let disabling = patch.enabled == Some(false) && current.enabled;
    let row = diesel::update(endpoints::table.find(id))
        .set((
            endpoints::url.eq(patch
                .url
                .as_ref()
                .map_or(current.url.as_str(), TargetUrl::as_str)),
            endpoints::description.eq(description.unwrap_or(current.description.clone())),
            endpoints::event_types.eq(names.unwrap_or(current.event_types.clone())),
            endpoints::enabled.eq(patch.enabled.unwrap_or(current.enabled)),
            endpoints::failing_since.eq(if enabling {
                None
            } else {
                current.failing_since
            }),
            endpoints::disabled_at.eq(match (enabling, disabling) {
                (true, _) => None,
                (_, true) => Some(now),
                _ => current.disabled_at,
            }),
            endpoints::disabled_reason.eq(match (enabling, disabling) {
                (true, _) => None,
                (_, true) => Some("disabled by an admin".to_owned()),
                _ => current.disabled_reason.clone(),
            }),
            endpoints::updated_at.eq(now),
        ))
        .returning(Endpoint::as_returning())
        .get_result(conn)?;
    if enabling {
        // What waited while it was disabled gets a fresh window of retries, not abandonment at
        // its first failure.
        diesel::update(
            deliveries::table
                .filter(deliveries::endpoint_id.eq(id))
                .filter(deliveries::state.eq("pending")),
        )
        .set((
            deliveries::retry_from.eq(now),
            deliveries::next_attempt_at.eq(now),
            deliveries::attempts.eq(0),
        ))
        .execute(conn)?;
    }
    Ok(row)
}

/// Deletes an endpoint with its secrets, deliveries and their log.
pub fn delete(conn: &mut PgConnection, id: Uuid) -> Result<()> {
    let gone = diesel::delete(endpoints::table.find(id)).execute(conn)?;
    if gone == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

/// A new secret for endpoint `id`. The ones it replaces keep signing for `overlap_secs` (so a
/// receiver can switch without missing a request), then stop.
pub fn rotate(
    conn: &mut PgConnection,
    id: Uuid,
    overlap_secs: i64,
) -> Result<(String, DateTime<Utc>)> {
    if !(0..=MAX_OVERLAP_SECS).contains(&overlap_secs) {
        return Err(Error::invalid(
            "overlap_secs",
            format!("must be from 0 to {MAX_OVERLAP_SECS}"),
        ));
    }
    // Locked, so two rotations at once cannot each miss the other's new secret.
    endpoints::table
        .find(id)
        .select(endpoints::id)
        .for_no_key_update()
        .first::<Uuid>(conn)?;
    let until = Utc::now() + Duration::seconds(overlap_secs);
    let live: i64 = secrets::table
        .filter(secrets::endpoint_id.eq(id))
        .filter(
            secrets::expires_at
                .is_null()
                .or(secrets::expires_at.gt(Utc::now())),
        )
        .count()
        .get_result(conn)?;
    if live >= MAX_LIVE_SECRETS && overlap_secs > 0 {
        return Err(Error::Conflict(format!(
            "{live} secrets already sign each request; wait for an overlap to end, or rotate \
             with overlap_secs 0"
        )));
    }
    diesel::update(
        secrets::table.filter(secrets::endpoint_id.eq(id)).filter(
            secrets::expires_at
                .is_null()
                .or(secrets::expires_at.gt(until)),
        ),
    )
    .set(secrets::expires_at.eq(until))
    .execute(conn)?;
    diesel::delete(
        secrets::table
            .filter(secrets::endpoint_id.eq(id))
            .filter(secrets::expires_at.le(Utc::now())),
    )
    .execute(conn)?;
    let secret = add_secret(conn, id)?;
    Ok((secret, until))
}
