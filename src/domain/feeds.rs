//! Feeds for readers and calendars that cannot send an `Authorization` header: a per-user
//! token in the URL, read-only (whatever the user's role, a feed only reads what a viewer may),
//! stored as SHA-256 and revocable. A token of a deactivated user opens nothing.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::models::HistoryEvent;
use crate::db::schema::{feed_tokens as tokens, users};
use crate::domain::auth::secrets;
use crate::error::{Error, Result};

/// Prefix of feed tokens.
pub const FEED_TOKEN_PREFIX: &str = "rtf_";
/// Live tokens one person may hold.
pub const MAX_TOKENS: i64 = 10;
/// Events in an item's feed (the newest).
pub const MAX_ENTRIES: usize = 100;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = tokens)]
pub struct FeedToken {
    pub id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Makes a token for `user`; the secret exists outside the caller's hands only in the answer.
pub fn create(conn: &mut PgConnection, user: Uuid, name: &str) -> Result<(FeedToken, String)> {
    let name = name.trim();
    if name.chars().count() > 200 {
        return Err(Error::invalid("name", "must be at most 200 characters"));
    }
    let live: i64 = tokens::table
        .filter(tokens::user_id.eq(user))
        .filter(tokens::revoked_at.is_null())
        .count()
        .get_result(conn)?;
    if live >= MAX_TOKENS {
        return Err(Error::Conflict(format!(
            "at most {MAX_TOKENS} live feed tokens; revoke one first"
        )));
    }
    let secret = secrets::generate(FEED_TOKEN_PREFIX)?;
    let token = diesel::insert_into(tokens::table)
        .values((
            tokens::id.eq(Uuid::new_v4()),
            tokens::user_id.eq(user),
            tokens::name.eq(if name.is_empty() { "feeds" } else { name }),
            tokens::token_hash.eq(secrets::digest(&secret)),
        ))
        .returning(FeedToken::as_returning())
        .get_result(conn)?;
    Ok((token, secret))
}

/// `user`'s tokens, newest first (never their secrets).
pub fn list(conn: &mut PgConnection, user: Uuid) -> Result<Vec<FeedToken>> {
    Ok(tokens::table
        .filter(tokens::user_id.eq(user))
        .order((tokens::created_at.desc(), tokens::id))
        .select(FeedToken::as_select())
        .load(conn)?)
}

/// Revokes one of `user`'s tokens (another person's is not found).
pub fn revoke(conn: &mut PgConnection, user: Uuid, id: Uuid) -> Result<()> {
    let done = diesel::update(
        tokens::table
            .find(id)
            .filter(tokens::user_id.eq(user))
            .filter(tokens::revoked_at.is_null()),
    )
    .set(tokens::revoked_at.eq(Utc::now()))
    .execute(conn)?;
    if done == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

/// The user a feed URL's token stands for: live token, active user. Anything else is
/// `NotFound`, so a URL reveals nothing about why it does not open.
pub fn open(conn: &mut PgConnection, secret: &str) -> Result<Uuid> {
    if !secret.starts_with(FEED_TOKEN_PREFIX) || secret.len() > 100 {
        return Err(Error::NotFound);
    }
    let user: Uuid = tokens::table
        .inner_join(users::table)
        .filter(tokens::token_hash.eq(secrets::digest(secret)))
        .filter(tokens::revoked_at.is_null())
        .filter(users::active.eq(true))
        .select(tokens::user_id)
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound)?;
    diesel::update(tokens::table.filter(tokens::token_hash.eq(secrets::digest(secret))))
        .set(tokens::last_used_at.eq(Utc::now()))
        .execute(conn)?;
    Ok(user)
}

/// An item's newest events for its feed, newest first, with the names of the people behind
/// them.
pub fn item_events(
    conn: &mut PgConnection,
    item: Uuid,
) -> Result<(Vec<HistoryEvent>, HashMap<Uuid, String>)> {
    let mut events: Vec<HistoryEvent> = crate::domain::history::read(conn, item)?
        .into_iter()
        .map(|shown| shown.event)
        .collect();
    events.reverse();
    events.truncate(MAX_ENTRIES);
    let mut people: Vec<Uuid> = events.iter().filter_map(|e| e.actor_id).collect();
    people.sort();
    people.dedup();
    let names = users::table
        .filter(users::id.eq_any(&people))
        .select((users::id, users::display_name))
        .load::<(Uuid, String)>(conn)?
        .into_iter()
        .collect();
    Ok((events, names))
}
