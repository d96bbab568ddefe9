//! "Still on track": an owner or manager says the item is moving although nothing was recorded
//! lately. It is a person's act on the item, so it resets the stall clock, and it is recorded
//! in the item's history with its note, like every other change.

use diesel::PgConnection;
use uuid::Uuid;

use super::apply;
use super::{fields, lock};
use crate::domain::auth::Principal;
use crate::domain::history::{Author, Change};
use crate::domain::policy::{self, Act};
use crate::error::Result;

/// Records that `principal` confirms the item is on track.
pub fn acknowledge(
    conn: &mut PgConnection,
    principal: &Principal,
    id: Uuid,
    note: Option<String>,
) -> Result<()> {
    lock(conn, id)?;
    policy::item(conn, principal, id, Act::WorkOnItem)?;
    let note = fields::reason("note", note)?;
    apply::record_event(
        conn,
        id,
        Author::from(principal),
        Change::acknowledged().reason(note),
    )
}
