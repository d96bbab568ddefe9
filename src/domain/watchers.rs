//! Watching an item: its changes by others reach the watcher in their digest ("Watched
//! items"). Anyone who may read an item may watch it; observers watch by default until they
//! say otherwise. Who watches is written once, as the `item_watchers` view in SQL.

use diesel::prelude::*;
use diesel::sql_types::{Bool, Uuid as SqlUuid};
use uuid::Uuid;

use crate::db::enums::DigestFrequency;
use crate::db::schema::{item_watches as watches, recommendations};
use crate::domain::auth::Principal;
use crate::domain::users;
use crate::error::{Error, Result};

/// Whether a person watches an item, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WatchState {
    pub watching: bool,
    /// Watching because they observe the item (directly or through a team), not by choice.
    pub by_default: bool,
    /// The digest the changes arrive in; `off` means they reach no one until it is turned on.
    pub digest: DigestFrequency,
}

/// The person behind `who`; watching is a person's, never an API token's.
pub fn person(who: &Principal) -> Result<Uuid> {
    who.user_id()
        .ok_or_else(|| Error::Forbidden("watching is for people, not API tokens".into()))
}

fn require_item(conn: &mut PgConnection, item: Uuid) -> Result<()> {
    let found: i64 = recommendations::table.find(item).count().get_result(conn)?;
    if found == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

/// Whether `user` watches `item`.
pub fn state(conn: &mut PgConnection, user: Uuid, item: Uuid) -> Result<WatchState> {
    require_item(conn, item)?;
    state_of_existing(conn, user, item)
}

fn state_of_existing(conn: &mut PgConnection, user: Uuid, item: Uuid) -> Result<WatchState> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Bool)]
        by_default: bool,
    }
    let row: Option<Row> = diesel::sql_query(
        "SELECT by_default FROM item_watchers WHERE user_id = $1 AND recommendation_id = $2 LIMIT 1",
    )
    .bind::<SqlUuid, _>(user)
    .bind::<SqlUuid, _>(item)
    .get_result(conn)
    .optional()?;
    let (_, digest) = users::digest_preference(conn, user)?;
    Ok(WatchState {
        watching: row.is_some(),
        by_default: row.is_some_and(|r| r.by_default),
        digest,
    })
}

/// Records `user`'s choice to watch `item` or not; choosing what already holds changes
/// nothing but the time of the choice.
pub fn choose(
    conn: &mut PgConnection,
    user: Uuid,
    item: Uuid,
    watching: bool,
) -> Result<WatchState> {
    require_item(conn, item)?;
    diesel::insert_into(watches::table)
        .values((
            watches::user_id.eq(user),
            watches::recommendation_id.eq(item),
            watches::watching.eq(watching),
        ))
        .on_conflict((watches::user_id, watches::recommendation_id))
        .do_update()
        .set((
            watches::watching.eq(watching),
            watches::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)?;
    state_of_existing(conn, user, item)
}

/// An item someone watches.
#[derive(Debug, Clone, QueryableByName)]
pub struct Watched {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub key: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub title: String,
    #[diesel(sql_type = Bool)]
    pub by_default: bool,
}

/// The items `user` watches, by key.
pub fn list(conn: &mut PgConnection, user: Uuid) -> Result<Vec<Watched>> {
    Ok(diesel::sql_query(
        "SELECT DISTINCT ON (r.key) r.id, r.key, r.title, w.by_default \
         FROM item_watchers w JOIN recommendations r ON r.id = w.recommendation_id \
         WHERE w.user_id = $1 ORDER BY r.key, w.by_default",
    )
    .bind::<SqlUuid, _>(user)
    .load(conn)?)
}
