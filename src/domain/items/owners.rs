//! Owners of an item: users or teams, as responsible, contributor or observer. Managers
//! assign them; every change is recorded in the item's history.

use diesel::prelude::*;
use serde_json::{Value, json};
use uuid::Uuid;

use super::apply;
use super::lock;
use crate::db::enums::OwnerKind;
use crate::db::schema::{recommendation_owners as owners, teams, users};
use crate::domain::auth::Principal;
use crate::domain::history::{Author, Change};
use crate::domain::policy::{self, Act};
use crate::error::{Error, Result};

/// Who an owner is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnerRef {
    User(Uuid),
    Team(Uuid),
}

impl OwnerRef {
    /// The owner's name now, `None` when there is no such user or team.
    fn name(self, conn: &mut PgConnection) -> Result<Option<String>> {
        Ok(match self {
            OwnerRef::User(id) => users::table
                .find(id)
                .select(users::display_name)
                .first(conn)
                .optional()?,
            OwnerRef::Team(id) => teams::table
                .find(id)
                .select(teams::name)
                .first(conn)
                .optional()?,
        })
    }

    /// The owner as history records it: `{"user_id" | "team_id", "name"}`.
    pub fn recorded(self, name: Option<String>) -> Value {
        match self {
            OwnerRef::User(id) => json!({"user_id": id, "name": name}),
            OwnerRef::Team(id) => json!({"team_id": id, "name": name}),
        }
    }

    /// The owner as history records it, with the name it has now, even if it no longer
    /// exists (its name is then `null`): for describing what was recorded earlier.
    pub fn as_recorded_now(self, conn: &mut PgConnection) -> Result<Value> {
        Ok(self.recorded(self.name(conn)?))
    }

    /// The owner as history records it; refuses (422) an owner that does not exist.
    fn describe(self, conn: &mut PgConnection) -> Result<Value> {
        let name = self.name(conn)?.ok_or_else(|| match self {
            OwnerRef::User(_) => Error::invalid("user_id", "no such user"),
            OwnerRef::Team(_) => Error::invalid("team_id", "no such team"),
        })?;
        Ok(self.recorded(Some(name)))
    }
}

/// Makes `who` an owner of `id` of `kind` (or changes their kind); managers only.
pub fn put_owner(
    conn: &mut PgConnection,
    principal: &Principal,
    id: Uuid,
    who: OwnerRef,
    kind: OwnerKind,
) -> Result<()> {
    lock(conn, id)?;
    policy::item(conn, principal, id, Act::ManageItem)?;
    assign(conn, id, who, kind, Author::from(principal), None)
}

/// Makes `who` an owner of `id` of `kind` as `author`, with `reason`, in the caller's
/// transaction, which holds the item's lock (the seed's demo owners come this way too).
pub fn assign(
    conn: &mut PgConnection,
    id: Uuid,
    who: OwnerRef,
    kind: OwnerKind,
    author: Author,
    reason: Option<String>,
) -> Result<()> {
    let described = who.describe(conn)?;
    let existing = match who {
        OwnerRef::User(user) => owners::table
            .filter(owners::recommendation_id.eq(id))
            .filter(owners::user_id.eq(user))
            .select((owners::id, owners::kind))
            .first::<(Uuid, OwnerKind)>(conn)
            .optional()?,
        OwnerRef::Team(team) => owners::table
            .filter(owners::recommendation_id.eq(id))
            .filter(owners::team_id.eq(team))
            .select((owners::id, owners::kind))
            .first::<(Uuid, OwnerKind)>(conn)
            .optional()?,
    };
    let change = match existing {
        Some((_, old)) if old == kind => return Ok(()),
        Some((row, old)) => {
            diesel::update(owners::table.find(row))
                .set(owners::kind.eq(kind))
                .execute(conn)?;
            Change::owner_changed(described, json!(old), json!(kind))
        }
        None => {
            let (user_id, team_id) = match who {
                OwnerRef::User(user) => (Some(user), None),
                OwnerRef::Team(team) => (None, Some(team)),
            };
            diesel::insert_into(owners::table)
                .values((
                    owners::id.eq(Uuid::new_v4()),
                    owners::recommendation_id.eq(id),
                    owners::user_id.eq(user_id),
                    owners::team_id.eq(team_id),
                    owners::kind.eq(kind),
                ))
                .execute(conn)?;
            Change::owner_added(described, json!(kind))
        }
    };
    apply::record_event(conn, id, author, change.reason(reason))
}

/// Removes `who` from the owners of `id`; 404 when they were not one.
pub fn remove_owner(
    conn: &mut PgConnection,
    principal: &Principal,
    id: Uuid,
    who: OwnerRef,
) -> Result<()> {
    lock(conn, id)?;
    policy::item(conn, principal, id, Act::ManageItem)?;
    // Removing someone who does not exist removes nothing: 404, like an owner who is not one.
    let described = who.describe(conn).map_err(|e| match e {
        Error::Invalid { .. } => Error::NotFound,
        e => e,
    })?;
    let removed = match who {
        OwnerRef::User(user) => diesel::delete(
            owners::table
                .filter(owners::recommendation_id.eq(id))
                .filter(owners::user_id.eq(user)),
        )
        .execute(conn)?,
        OwnerRef::Team(team) => diesel::delete(
            owners::table
                .filter(owners::recommendation_id.eq(id))
                .filter(owners::team_id.eq(team)),
        )
        .execute(conn)?,
    };
    if removed == 0 {
        return Err(Error::NotFound);
    }
    apply::record_event(
        conn,
        id,
        Author::from(principal),
        Change::owner_removed(described),
    )
}
