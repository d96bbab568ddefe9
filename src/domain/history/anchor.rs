//! The daily anchor: one HMAC-SHA-256 (under the history key) over every item's chain head as
//! of midnight UTC. Keyed hashes stop anyone without the key from forging events, and the head
//! beside the item shows a deleted tail; but someone who can write the database could still
//! delete an item's newest events and move its head back. Recorded anchors catch that for every
//! event before their midnight (and, being keyed, cannot be recomputed to match by someone
//! without the key); the copy mailed to admins and printed by `recotrack history anchor` also
//! survives someone deleting the recorded anchors.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use diesel::connection::DefaultLoadingMode;
use diesel::prelude::*;
use hmac::Mac;
use uuid::Uuid;

use super::keys::{self, HistoryKey};

use crate::db::schema::{history_anchors as anchors, history_events as events};
use crate::error::{Error, Result};

/// How long after midnight an anchor is computed: a transaction that stamped its events just
/// before midnight has committed by then (statements time out long before).
pub const SETTLE_MINUTES: i64 = 5;

/// A recorded anchor.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = anchors, check_for_backend(diesel::pg::Pg))]
pub struct Anchor {
    pub day: NaiveDate,
    pub as_of: DateTime<Utc>,
    pub items: i32,
    pub events: i64,
    pub digest: String,
}

/// The digests of every chain as of `as_of`, one per key in `keys` (in order): for each item
/// (by id), the last event stamped before `as_of`, as `id:seq:hash` lines, under HMAC-SHA-256.
fn compute_with(
    conn: &mut PgConnection,
    as_of: DateTime<Utc>,
    keys: &[&HistoryKey],
) -> Result<(i32, i64, Vec<String>)> {
    let heads = events::table
        .filter(events::at.lt(as_of))
        .distinct_on(events::recommendation_id)
        .order((events::recommendation_id, events::seq.desc()))
        .select((events::recommendation_id, events::seq, events::hash))
        .load_iter::<(Uuid, i32, String), DefaultLoadingMode>(conn)?;
    let mut macs = keys
        .iter()
        .map(|k| {
            k.mac_stream()
                .ok_or_else(|| Error::internal("history key unusable"))
        })
        .collect::<Result<Vec<_>>>()?;
    let (mut items, mut total) = (0i32, 0i64);
    for head in heads {
        let (item, seq, hash) = head?;
        let line = format!("{item}:{seq}:{hash}\n");
        for mac in &mut macs {
            mac.update(line.as_bytes());
        }
        items += 1;
        total += i64::from(seq);
    }
    let digests = macs
        .into_iter()
        .map(|m| hex::encode(m.finalize().into_bytes()))
        .collect();
    Ok((items, total, digests))
}

/// The digest of every chain as of `as_of` under the current key, with how many items and
/// events it covers.
pub fn compute(conn: &mut PgConnection, as_of: DateTime<Utc>) -> Result<(i32, i64, String)> {
    let keyring = keys::current()?;
    let (items, total, mut digests) = compute_with(conn, as_of, &[&keyring.current])?;
    Ok((items, total, digests.pop().unwrap_or_default()))
}

/// Whether the chains as of `as_of` give `digest` under any key this service holds.
fn matches(conn: &mut PgConnection, as_of: DateTime<Utc>, digest: &str) -> Result<bool> {
    let keyring = keys::current()?;
    let all: Vec<&HistoryKey> = keyring.all().collect();
    let (_, _, digests) = compute_with(conn, as_of, &all)?;
    Ok(digests.iter().any(|d| d.eq_ignore_ascii_case(digest)))
}

fn midnight(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(NaiveTime::MIN).and_utc()
}

/// Records today's anchor if it is due and nobody recorded it yet. Safe with several instances:
/// the first to take the advisory lock records it, the others find it there.
pub fn record_due(conn: &mut PgConnection, now: DateTime<Utc>) -> Result<Option<Anchor>> {
    let day = now.date_naive();
    if now < midnight(day) + Duration::minutes(SETTLE_MINUTES) {
        return Ok(None);
    }
    conn.transaction(|conn| {
        let locked: bool = diesel::select(diesel::dsl::sql::<diesel::sql_types::Bool>(
            "pg_try_advisory_xact_lock(7262001)",
        ))
        .get_result(conn)?;
        if !locked {
            return Ok(None);
        }
        let exists: Option<NaiveDate> = anchors::table
            .find(day)
            .select(anchors::day)
            .first(conn)
            .optional()?;
        if exists.is_some() {
            return Ok(None);
        }
        let as_of = midnight(day);
        let (items, total, digest) = compute(conn, as_of)?;
        let anchor = Anchor {
            day,
            as_of,
            items,
            events: total,
            digest,
        };
        diesel::insert_into(anchors::table)
            .values((
                anchors::day.eq(anchor.day),
                anchors::as_of.eq(anchor.as_of),
                anchors::items.eq(anchor.items),
                anchors::events.eq(anchor.events),
                anchors::digest.eq(&anchor.digest),
            ))
            .execute(conn)?;
        tracing::info!(day = %anchor.day, digest = %anchor.digest, items, "history anchor recorded");
        Ok(Some(anchor))
    })
}

/// The newest `limit` anchors, newest first.
pub fn latest(conn: &mut PgConnection, limit: i64) -> Result<Vec<Anchor>> {
    Ok(anchors::table
        .order(anchors::day.desc())
        .limit(limit)
        .select(Anchor::as_select())
        .load(conn)?)
}

/// Whether the chains still give `anchor`'s digest.
pub fn recheck(conn: &mut PgConnection, anchor: &Anchor) -> Result<bool> {
    matches(conn, anchor.as_of, &anchor.digest)
}

/// Checks a digest someone kept outside the database against the chains as of its day.
pub fn check_outside_copy(conn: &mut PgConnection, day: NaiveDate, digest: &str) -> Result<bool> {
    if digest.len() != 64 || !digest.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Error::invalid("digest", "must be 64 hex digits"));
    }
    matches(conn, midnight(day), digest)
}

/// Every item's history and the newest anchors, checked.
#[derive(Debug, Clone)]
pub struct Integrity {
    pub items_checked: usize,
    pub broken: Vec<super::verify::Broken>,
    /// Each anchor with whether the chains still give its digest.
    pub anchors: Vec<(Anchor, bool)>,
}

impl Integrity {
    pub fn intact(&self) -> bool {
        self.broken.is_empty() && self.anchors.iter().all(|(_, matches)| *matches)
    }
}

/// Checks every item (chain, head, replay) and recomputes the newest `anchors` anchors. Reads
/// every event once per item and once per anchor: an offline check, not a request path.
pub fn check_everything(conn: &mut PgConnection, anchors: i64) -> Result<Integrity> {
    let (items_checked, broken) = super::verify_all(conn)?;
    let mut checked = Vec::new();
    for recorded in latest(conn, anchors)? {
        let matches = recheck(conn, &recorded)?;
        checked.push((recorded, matches));
    }
    Ok(Integrity {
        items_checked,
        broken,
        anchors: checked,
    })
}
