//! The one step every change to an item ends in: the item row's new values, its version and
//! activity clock, and the history events that describe the change, written together. Nothing
//! else updates an item row, so no change goes unrecorded and none forgets the version.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde_json::Value;
use uuid::Uuid;

use crate::db::enums::{EvidenceStage, Priority, Response, Status};
use crate::db::models::Recommendation;
use crate::db::schema::recommendations;
use crate::domain::history::{self, Author, Change};
use crate::error::{Error, Result};

/// The columns of an item a change sets; `None` leaves a column alone, `Some(None)` clears it.
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = recommendations)]
pub struct Write {
    pub title: Option<String>,
    pub body: Option<String>,
    pub themes: Option<Vec<String>>,
    pub priority: Option<Priority>,
    pub due_date: Option<Option<NaiveDate>>,
    pub original_due_date: Option<Option<NaiveDate>>,
    pub progress_percent: Option<i16>,
    pub progress_note: Option<String>,
    pub source_ref: Option<Option<String>>,
    pub web_title: Option<Option<String>>,
    pub provenance: Option<Option<Value>>,
    pub response: Option<Response>,
    pub response_reason: Option<Option<String>>,
    pub response_changed_at: Option<Option<DateTime<Utc>>>,
    pub status: Option<Status>,
    pub status_reason: Option<Option<String>>,
    pub status_changed_at: Option<DateTime<Utc>>,
    pub evidence_stage: Option<EvidenceStage>,
    pub evidence_as_of: Option<Option<NaiveDate>>,
    pub snoozed_until: Option<Option<NaiveDate>>,
    pub snooze_reason: Option<Option<String>>,
    pub last_activity_at: Option<DateTime<Utc>>,
}

/// What a change is to the stall clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activity {
    /// Work on the item: made by a person, it restarts the stall clock.
    Work,
    /// Bookkeeping around it (a snooze, an escalation, the demo's clock): the clock keeps
    /// running, so such changes can never make a stalled item look fresh.
    Bookkeeping,
}

/// Writes `write` to item `id`, bumps its version, moves its activity clock as `activity` says,
/// and appends `events` to its history, in the caller's transaction (which holds the item's
/// lock). A change with no events writes nothing: every change is recorded.
pub fn record(
    conn: &mut PgConnection,
    id: Uuid,
    author: Author,
    activity: Activity,
    write: Write,
    events: Vec<Change>,
) -> Result<()> {
    record_returning(conn, id, author, activity, write, events).map(|_| ())
}

/// [`record`], answering the item's row as the change left it (`None` when there was nothing
/// to record): two statements, the update (which also reads the history head) and the append.
pub fn record_returning(
    conn: &mut PgConnection,
    id: Uuid,
    author: Author,
    activity: Activity,
    mut write: Write,
    events: Vec<Change>,
) -> Result<Option<Recommendation>> {
    if events.is_empty() {
        return Ok(None);
    }
    // A person's change moves the clock to now, through `Activity::Work`, and never to a time
    // of its own choosing: only the system sets it explicitly (the demo's idleness).
    if author.is_person() && write.last_activity_at.is_some() {
        return Err(Error::internal(
            "a person's change cannot set the activity clock",
        ));
    }
    let now = Utc::now();
    if activity == Activity::Work && author.is_person() && write.last_activity_at.is_none() {
        write.last_activity_at = Some(now);
    }
    let (row, seq, hash): (Recommendation, i32, String) =
        diesel::update(recommendations::table.find(id))
            .set((
                write,
                recommendations::version.eq(recommendations::version + 1),
                recommendations::updated_at.eq(now),
            ))
            .returning((
                Recommendation::as_returning(),
                history::HeadSeq,
                history::HeadHash,
            ))
            .get_result(conn)?;
    history::append_after(conn, id, (seq, hash), author, events)?;
    Ok(Some(row))
}

/// Records `event`, a change to something of the item's own (an owner, a comment, a target, a
/// piece of evidence) rather than its columns, as work by `author`.
pub fn record_event(
    conn: &mut PgConnection,
    id: Uuid,
    author: Author,
    event: Change,
) -> Result<()> {
    record(
        conn,
        id,
        author,
        Activity::Work,
        Write::default(),
        vec![event],
    )
}
