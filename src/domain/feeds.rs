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
    crate::db::serialize_on(conn, &format!("feed-tokens-of:{user}"))?;
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
    let names = crate::domain::users::names_of(conn, events.iter().filter_map(|e| e.actor_id))?;
    Ok((events, names))
}

/// Items whose events a view's feed looks through at most.
pub const MAX_VIEW_ITEMS: i64 = 5000;

/// One event in a view's feed, with the item it belongs to.
#[derive(Debug, Clone)]
pub struct ViewEntry {
    pub key: String,
    pub title: String,
    pub event: HistoryEvent,
}

/// A view's feed: its name, and the newest events of the items it holds now, newest first.
pub struct ViewFeed {
    pub name: String,
    pub updated_at: DateTime<Utc>,
    pub entries: Vec<ViewEntry>,
    pub names: HashMap<Uuid, String>,
}

/// The newest events (at most [`MAX_ENTRIES`]) of the items view `view` holds for `user`, read
/// as a viewer would: a view the person could not use as a viewer is not found, and
/// `owner: "me"` is them. Events are shown in their current shape, as the item's history is.
pub fn view_events(
    conn: &mut PgConnection,
    user: Uuid,
    view: Uuid,
    rules: &crate::config::StallRules,
) -> Result<ViewFeed> {
    use crate::db::enums::Role;
    use crate::db::schema::{history_events as events, recommendations as recs};
    use crate::domain::auth::{Actor, Principal};
    let reader = Principal {
        actor: Actor::User {
            id: user,
            session: Uuid::nil(),
        },
        role: Role::Viewer,
    };
    let view = crate::domain::views::get(conn, &reader, view)?;
    let criteria: crate::domain::items::criteria::Criteria =
        serde_json::from_value(view.criteria.clone())
            .map_err(|e| Error::internal(format!("stored view criteria: {e}")))?;
    // A view naming what is gone since (a deleted report) holds nothing a reader could fix by
    // asking differently: the feed is not found, as the emails of its subscriptions are skipped.
    let (filter, _) = criteria
        .resolve(conn, Some(user))
        .map_err(|_| Error::NotFound)?;
    let items = crate::domain::items::list::matching_ids(conn, &filter, rules, MAX_VIEW_ITEMS)?;
    let newest: Vec<(Uuid, i32)> = events::table
        .filter(events::recommendation_id.eq_any(&items))
        .order((events::at.desc(), events::id.desc()))
        .limit(i64::try_from(MAX_ENTRIES).unwrap_or(i64::MAX))
        .select((events::recommendation_id, events::seq))
        .load(conn)?;
    let mut wanted: HashMap<Uuid, Vec<i32>> = HashMap::new();
    for (item, seq) in &newest {
        wanted.entry(*item).or_default().push(*seq);
    }
    let mut entries = Vec::with_capacity(newest.len());
    for (item, seqs) in wanted {
        let (key, title): (String, String) = recs::table
            .find(item)
            .select((recs::key, recs::title))
            .first(conn)?;
        for shown in crate::domain::history::read(conn, item)? {
            if seqs.contains(&shown.event.seq) {
                entries.push(ViewEntry {
                    key: key.clone(),
                    title: title.clone(),
                    event: shown.event,
                });
            }
        }
    }
    entries.sort_by_key(|e| std::cmp::Reverse((e.event.at, e.event.id)));
    let names =
        crate::domain::users::names_of(conn, entries.iter().filter_map(|e| e.event.actor_id))?;
    Ok(ViewFeed {
        name: view.name,
        updated_at: view.updated_at,
        entries,
        names,
    })
}
