//! The append-only history of an item. Each event's hash covers its content and the previous
//! event's hash, so editing or deleting a row breaks the chain where it happened.

use chrono::{DateTime, SubsecRound, Utc};
use diesel::prelude::*;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::db::enums::ActorKind;
use crate::db::models::{HistoryEvent, NewHistoryEvent};
use crate::db::schema::history_events as events;
use crate::domain::auth::{Actor, Principal};
use crate::error::Result;

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

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

/// One change to record.
#[derive(Debug, Clone, Default)]
pub struct Change {
    pub kind: &'static str,
    pub field: Option<&'static str>,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub reason: Option<String>,
}

impl Change {
    pub fn new(kind: &'static str) -> Self {
        Self {
            kind,
            ..Self::default()
        }
    }

    pub fn field(mut self, field: &'static str, before: Value, after: Value) -> Self {
        self.field = Some(field);
        self.before = Some(before);
        self.after = Some(after);
        self
    }

    pub fn after(mut self, after: Value) -> Self {
        self.after = Some(after);
        self
    }

    pub fn before(mut self, before: Value) -> Self {
        self.before = Some(before);
        self
    }

    pub fn reason(mut self, reason: Option<String>) -> Self {
        self.reason = reason.filter(|r| !r.trim().is_empty());
        self
    }
}

#[expect(
    clippy::too_many_arguments,
    reason = "the hash covers every column of the row"
)]
fn digest(
    item: Uuid,
    seq: i32,
    kind: &str,
    author: Author,
    at: DateTime<Utc>,
    reason: Option<&str>,
    field: Option<&str>,
    before: Option<&Value>,
    after: Option<&Value>,
    prev_hash: &str,
) -> String {
    let canonical = json!({
        "item": item, "seq": seq, "kind": kind,
        "actor_kind": crate::db::enums::wire_name(author.kind), "actor_id": author.id,
        "at": at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        "reason": reason, "field": field, "before": before, "after": after, "prev": prev_hash,
    });
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}

/// Appends `changes` to the history of `item`. The caller holds the item's row lock, so
/// appends to one item never interleave.
pub fn append(
    conn: &mut PgConnection,
    item: Uuid,
    author: Author,
    changes: Vec<Change>,
) -> Result<()> {
    if changes.is_empty() {
        return Ok(());
    }
    let last: Option<(i32, String)> = events::table
        .filter(events::recommendation_id.eq(item))
        .order(events::seq.desc())
        .select((events::seq, events::hash))
        .first(conn)
        .optional()?;
    let (mut seq, mut prev) = last.unwrap_or((0, GENESIS.to_owned()));
    // PostgreSQL keeps microseconds; hash what will be read back.
    let at = Utc::now().trunc_subsecs(6);
    let mut rows = Vec::with_capacity(changes.len());
    for change in changes {
        seq += 1;
        let hash = digest(
            item,
            seq,
            change.kind,
            author,
            at,
            change.reason.as_deref(),
            change.field,
            change.before.as_ref(),
            change.after.as_ref(),
            &prev,
        );
        rows.push(NewHistoryEvent {
            recommendation_id: item,
            seq,
            kind: change.kind.to_owned(),
            actor_kind: author.kind,
            actor_id: author.id,
            at,
            reason: change.reason,
            field: change.field.map(str::to_owned),
            before: change.before,
            after: change.after,
            prev_hash: prev.clone(),
            hash: hash.clone(),
        });
        prev = hash;
    }
    diesel::insert_into(events::table)
        .values(&rows)
        .execute(conn)?;
    Ok(())
}

/// Every event of `item`, oldest first.
pub fn list(conn: &mut PgConnection, item: Uuid) -> Result<Vec<HistoryEvent>> {
    Ok(events::table
        .filter(events::recommendation_id.eq(item))
        .order(events::seq.asc())
        .select(HistoryEvent::as_select())
        .load(conn)?)
}

/// The outcome of recomputing a chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub events: usize,
    /// The first event whose stored hash or link does not match its content.
    pub first_broken_seq: Option<i32>,
}

/// Recomputes the chain of `item`.
pub fn verify(conn: &mut PgConnection, item: Uuid) -> Result<Verdict> {
    let all = list(conn, item)?;
    let mut prev = GENESIS.to_owned();
    for (index, event) in all.iter().enumerate() {
        let author = Author {
            kind: event.actor_kind,
            id: event.actor_id,
        };
        let expected = digest(
            item,
            event.seq,
            &event.kind,
            author,
            event.at,
            event.reason.as_deref(),
            event.field.as_deref(),
            event.before.as_ref(),
            event.after.as_ref(),
            &prev,
        );
        let in_sequence = i32::try_from(index + 1).is_ok_and(|n| n == event.seq);
        if event.prev_hash != prev || event.hash != expected || !in_sequence {
            return Ok(Verdict {
                events: all.len(),
                first_broken_seq: Some(event.seq),
            });
        }
        prev = event.hash.clone();
    }
    Ok(Verdict {
        events: all.len(),
        first_broken_seq: None,
    })
}
