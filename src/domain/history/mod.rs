//! The append-only history of an item. Each event's hash is an HMAC, under a server key kept
//! out of the database, over its content and the previous event's hash; the item row carries
//! the chain's head. Editing, deleting or rewriting events is detected by [`verify`], and the
//! daily [`anchor`] proves to an outside copy what the chains held.

pub mod anchor;
mod chain;
mod evidence_check;
pub mod keys;
mod kinds;
mod legacy;
mod reshape;
mod verify;

use chrono::{SubsecRound, Utc};
use diesel::prelude::*;
use serde_json::Value;
use uuid::Uuid;

use crate::db::enums::ActorKind;
use crate::db::fragment::fragment;
use crate::db::models::{HistoryEvent, NewHistoryEvent};
use crate::db::schema::{history_events as events, history_heads as heads};
use crate::domain::auth::{Actor, Principal};
use crate::error::Result;
use chain::Content;
pub use kinds::{EventKind, Field};
pub use legacy::{has_unkeyed_events, rekey_legacy, unsealed_legacy};
pub use reshape::{ShownEvent, reshape_legacy};
pub use verify::{Problem, Verdict, verify, verify_all};

/// The `prev_hash` of every chain's first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who made a change, as history records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Author {
    pub kind: ActorKind,
    pub id: Option<Uuid>,
}

impl Author {
    /// The service itself (seeding, imports, the scheduler). Its changes never reset the stall
    /// clock.
    pub const SYSTEM: Author = Author {
        kind: ActorKind::System,
        id: None,
    };

    /// Whether a person (or their integration) made the change.
    pub fn is_person(&self) -> bool {
        self.kind != ActorKind::System
    }
}

impl From<&Principal> for Author {
    fn from(principal: &Principal) -> Self {
        match principal.actor {
            Actor::User { id, .. } => Author {
                kind: ActorKind::User,
                id: Some(id),
            },
            Actor::Token { id } => Author {
                kind: ActorKind::Token,
                id: Some(id),
            },
        }
    }
}

/// One change to record, made by one of the constructors in `events` (one shape per kind).
#[derive(Debug, Clone)]
pub struct Change {
    kind: EventKind,
    field: Option<&'static str>,
    before: Option<Value>,
    after: Option<Value>,
    reason: Option<String>,
}

impl Change {
    fn new(kind: EventKind) -> Self {
        Self {
            kind,
            field: None,
            before: None,
            after: None,
            reason: None,
        }
    }

    fn field(mut self, field: &'static str, before: Value, after: Value) -> Self {
        self.field = Some(field);
        self.before = Some(before);
        self.after = Some(after);
        self
    }

    fn after(mut self, after: Value) -> Self {
        self.after = Some(after);
        self
    }

    fn before(mut self, before: Value) -> Self {
        self.before = Some(before);
        self
    }

    /// Why the change was made; blank reasons are not kept.
    pub fn reason(mut self, reason: Option<String>) -> Self {
        self.reason = reason.filter(|r| !r.trim().is_empty());
        self
    }
}

/// Appends `changes` to the history of `item`; the item's head follows the last of them (a
/// trigger moves it in the same statement). The caller holds the item's row lock, so appends
/// to one item never interleave.
pub fn append(
    conn: &mut PgConnection,
    item: Uuid,
    author: Author,
    changes: Vec<Change>,
) -> Result<()> {
    if changes.is_empty() {
        return Ok(());
    }
    let head = head(conn, item)?;
    append_after(conn, item, head, author, changes)
}

/// Like [`append`], after `head`, which the caller read while holding the item's lock (in the
/// statement that locked or changed the row, saving a statement).
pub fn append_after(
    conn: &mut PgConnection,
    item: Uuid,
    head: (i32, String),
    author: Author,
    changes: Vec<Change>,
) -> Result<()> {
    if changes.is_empty() {
        return Ok(());
    }
    let keys = keys::current()?;
    let (mut seq, mut prev) = head;
    // PostgreSQL keeps microseconds; hash what will be read back.
    let at = Utc::now().trunc_subsecs(6);
    let mut rows = Vec::with_capacity(changes.len());
    for change in changes {
        seq += 1;
        let content = Content {
            item,
            seq,
            kind: change.kind.as_str(),
            author,
            at,
            reason: change.reason.as_deref(),
            field: change.field,
            before: change.before.as_ref(),
            after: change.after.as_ref(),
            prev_hash: &prev,
        };
        let hash = keys.current.seal(&content);
        rows.push(NewHistoryEvent {
            recommendation_id: item,
            seq,
            kind: change.kind.as_str().to_owned(),
            actor_kind: author.kind,
            actor_id: author.id,
            at,
            reason: change.reason,
            field: change.field.map(str::to_owned),
            before: change.before,
            after: change.after,
            prev_hash: prev.clone(),
            hash: hash.clone(),
            key_id: Some(keys.current.id().to_owned()),
        });
        prev = hash;
    }
    diesel::insert_into(events::table)
        .values(&rows)
        .execute(conn)?;
    Ok(())
}

/// The head of the item whose row a statement reads, as SQL: `(seq, hash)` in the statement
/// that locks or changes the row, so the append needs no read of its own.
pub const SQL_HEAD_SEQ: &str = "coalesce((SELECT history_heads.seq FROM history_heads \
     WHERE history_heads.recommendation_id = recommendations.id), 0)";
fragment!(
    /// [`SQL_HEAD_SEQ`], keeping the statement prepared.
    pub HeadSeq: diesel::sql_types::Integer = SQL_HEAD_SEQ
);
fragment!(
    /// [`SQL_HEAD_HASH`], keeping the statement prepared.
    pub HeadHash: diesel::sql_types::Text = SQL_HEAD_HASH
);

/// See [`SQL_HEAD_SEQ`].
pub const SQL_HEAD_HASH: &str = "coalesce((SELECT history_heads.hash FROM history_heads \
     WHERE history_heads.recommendation_id = recommendations.id), \
     '0000000000000000000000000000000000000000000000000000000000000000')";

/// The head `item` records: its last event's number and hash (0 and [`GENESIS`] before any).
pub fn head(conn: &mut PgConnection, item: Uuid) -> Result<(i32, String)> {
    Ok(heads::table
        .find(item)
        .select((heads::seq, heads::hash))
        .first(conn)
        .optional()?
        .unwrap_or((0, GENESIS.to_owned())))
}

/// The history of `item` as readers see it (404 when there is no such item): oldest first,
/// each event in the current shape of its kind (see [`reshape`]).
pub fn read(conn: &mut PgConnection, item: Uuid) -> Result<Vec<ShownEvent>> {
    crate::domain::items::must_exist(conn, item)?;
    reshape::shown(stored(conn, item)?)
}

/// Every event of `item` as stored, oldest first: what the hashes cover.
pub fn stored(conn: &mut PgConnection, item: Uuid) -> Result<Vec<HistoryEvent>> {
    Ok(events::table
        .filter(events::recommendation_id.eq(item))
        .order(events::seq.asc())
        .select(HistoryEvent::as_select())
        .load(conn)?)
}

#[cfg(test)]
mod head_tests {
    /// The head an item without events reads in SQL is the chain's genesis, as in Rust.
    #[test]
    fn the_sql_head_of_an_item_without_events_is_the_genesis_hash() {
        assert!(super::SQL_HEAD_HASH.contains(super::GENESIS));
        assert!(super::SQL_HEAD_SEQ.ends_with(", 0)"));
    }
}
