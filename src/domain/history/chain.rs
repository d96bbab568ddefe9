//! What an event's hash covers, and how it is computed.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::Author;
use super::keys::HistoryKey;
use crate::db::models::HistoryEvent;

/// Every column of an event that its hash covers.
pub struct Content<'a> {
    pub item: Uuid,
    pub seq: i32,
    pub kind: &'a str,
    pub author: Author,
    pub at: DateTime<Utc>,
    pub reason: Option<&'a str>,
    pub field: Option<&'a str>,
    pub before: Option<&'a Value>,
    pub after: Option<&'a Value>,
    pub prev_hash: &'a str,
}

impl<'a> Content<'a> {
    /// The content of a stored event.
    pub fn of(event: &'a HistoryEvent) -> Self {
        Self {
            item: event.recommendation_id,
            seq: event.seq,
            kind: &event.kind,
            author: Author {
                kind: event.actor_kind,
                id: event.actor_id,
            },
            at: event.at,
            reason: event.reason.as_deref(),
            field: event.field.as_deref(),
            before: event.before.as_ref(),
            after: event.after.as_ref(),
            prev_hash: &event.prev_hash,
        }
    }

    fn canonical(&self) -> String {
        json!({
            "item": self.item, "seq": self.seq, "kind": self.kind,
            "actor_kind": crate::db::enums::wire_name(self.author.kind),
            "actor_id": self.author.id,
            "at": self.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            "reason": self.reason, "field": self.field, "before": self.before,
            "after": self.after, "prev": self.prev_hash,
        })
        .to_string()
    }

    /// The plain SHA-256 used before hashes were keyed; only ever checked, never written.
    pub fn legacy_hash(&self) -> String {
        hex::encode(Sha256::digest(self.canonical().as_bytes()))
    }
}

impl HistoryKey {
    /// The keyed hash of an event.
    pub fn seal(&self, content: &Content<'_>) -> String {
        self.mac(content.canonical().as_bytes())
    }
}
