//! Responses and statuses are recorded by people. Earlier seeds set some from their own reading
//! of the evidence (`seeded_state`); no source records such a response, so where no person has
//! moved the item since, that state is withdrawn, in the open, by a system event.

use chrono::Utc;
use diesel::prelude::*;
use serde_json::json;
use uuid::Uuid;

use crate::db::enums::{ActorKind, Response, Status};
use crate::db::schema::{history_events as events, recommendations};
use crate::domain::history::{Author, Change, EventKind};
use crate::domain::items::apply::{self, Activity, Write};
use crate::error::Result;

/// Puts `item` back to `pending`/`not_started` if only a seed ever set its state.
pub fn withdraw_seeded_state(conn: &mut PgConnection, item: Uuid) -> Result<()> {
    let (response, status): (Response, Status) = recommendations::table
        .find(item)
        .select((recommendations::response, recommendations::status))
        .first(conn)?;
    if response == Response::Pending && status == Status::NotStarted {
        return Ok(());
    }
    let seeded: bool = diesel::select(diesel::dsl::exists(
        events::table
            .filter(events::recommendation_id.eq(item))
            .filter(events::kind.eq(EventKind::SeededState.as_str())),
    ))
    .get_result(conn)?;
    let moved_by_a_person: bool = diesel::select(diesel::dsl::exists(
        events::table
            .filter(events::recommendation_id.eq(item))
            .filter(events::actor_kind.ne(ActorKind::System))
            .filter(events::field.eq_any(["response", "status"])),
    ))
    .get_result(conn)?;
    if !seeded || moved_by_a_person {
        return Ok(());
    }
    crate::domain::items::lock(conn, item)?;
    let now = Utc::now();
    let write = Write {
        response: Some(Response::Pending),
        response_reason: Some(None),
        response_changed_at: Some(Some(now)),
        status: Some(Status::NotStarted),
        status_reason: Some(None),
        status_changed_at: Some(now),
        ..Write::default()
    };
    let event = Change::seeded_state(
        json!({"response": response, "status": status}),
        json!({"response": Response::Pending, "status": Status::NotStarted}),
    )
    .reason(Some(
        "no source records a response: the state an earlier seed set is withdrawn".into(),
    ));
    apply::record(
        conn,
        item,
        Author::SYSTEM,
        Activity::Work,
        write,
        vec![event],
    )
}
