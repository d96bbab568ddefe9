//! "Still on track": an owner or manager says the item is moving although nothing was recorded
//! lately. It is a person's act on the item, so it resets the stall clock, and it is recorded
//! in the item's history with its note, like every other change.

use diesel::PgConnection;
use uuid::Uuid;

use super::{Scope, authorize, lock, touch};
use crate::domain::auth::Principal;
use crate::domain::history::{self, Author, Change};
use crate::error::{Error, Result};

/// The longest note an acknowledgement keeps.
const MAX_NOTE: usize = 5000;

/// Records that `principal` confirms the item is on track.
pub fn acknowledge(
    conn: &mut PgConnection,
    principal: &Principal,
    id: Uuid,
    note: Option<String>,
) -> Result<()> {
    lock(conn, id)?;
    authorize(conn, principal, id, Scope::Work)?;
    let note = note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    if note.as_ref().is_some_and(|n| n.chars().count() > MAX_NOTE) {
        return Err(Error::invalid("note", "must be at most 5000 characters"));
    }
    let author = Author::from(principal);
    history::append(
        conn,
        id,
        author,
        vec![Change::new("acknowledged").reason(note)],
    )?;
    touch(conn, id, author)
}
