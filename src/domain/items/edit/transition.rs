//! Moving an item along one axis of the workflow.

use chrono::Utc;
use diesel::PgConnection;
use serde_json::json;
use uuid::Uuid;

use crate::db::enums::EvidenceStage;
use crate::domain::auth::Principal;
use crate::domain::history::{Author, Change};
use crate::domain::items::apply::{self, Activity, Write};
use crate::domain::items::fields;
use crate::domain::items::{ItemRow, check_version, lock_shown};
use crate::domain::policy::{self, Act};
use crate::domain::workflow::{Axis, Destination, ItemState};
use crate::error::{Error, Result};

/// Moves item `id` to `to`: owners move the status, managers the response too. Answers the
/// item's row as the move left it, with what it shows besides (see [`super::super::assemble`]), from the statements that made the move: the lock (which reads
/// what the item shows besides its row, none of which a move changes), the update (which
/// answers the new row and the history head) and the append. A contributor's ownership is
/// one statement more.
pub fn transition(
    conn: &mut PgConnection,
    principal: &Principal,
    id: Uuid,
    to: Destination,
    reason: Option<String>,
    expected_version: Option<i32>,
) -> Result<ItemRow> {
    let (rec, shown): ItemRow = lock_shown(conn, id)?;
    let scope = match to {
        Destination::Response(_) => Act::ManageItem,
        Destination::Status(_) => Act::WorkOnItem,
    };
    policy::item(conn, principal, id, scope)?;
    check_version(expected_version, rec.version)?;
    let state = ItemState {
        response: rec.response,
        status: rec.status,
        has_verified_evidence: rec.evidence_stage == EvidenceStage::Verified,
    };
    let reason = fields::reason("reason", reason)?;
    to.check(state, reason.as_deref())?;
    let now = Utc::now();
    let (write, event) = match to {
        Destination::Response(to) => (
            Write {
                response: Some(to),
                response_reason: Some(reason.clone()),
                response_changed_at: Some(Some(now)),
                ..Write::default()
            },
            Change::transition(Axis::Response, json!(rec.response), json!(to)),
        ),
        Destination::Status(to) => (
            Write {
                status: Some(to),
                status_reason: Some(reason.clone()),
                status_changed_at: Some(now),
                ..Write::default()
            },
            Change::transition(Axis::Status, json!(rec.status), json!(to)),
        ),
    };
    let moved = apply::record_returning(
        conn,
        id,
        Author::from(principal),
        Activity::Work,
        write,
        vec![event.reason(reason)],
    )?
    .ok_or_else(|| Error::internal("a transition recorded nothing"))?;
    Ok((moved, shown))
}
