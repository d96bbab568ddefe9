//! Events recorded in an older shape of their kind, given in the shape this version records.
//!
//! History is append-only (a trigger refuses edits) and every anchor covers the stored events,
//! so old events are never rewritten. Instead one `history_reshaped` event, chained and keyed
//! like any other, records for each old event its payload in the current shape; readers show
//! that shape, and say which event gave it. The chain, the anchors and the original payloads
//! stay exactly as they were, and the correction itself cannot be forged or removed unseen.
//!
//! The older shapes, from before every writer went through `kinds`:
//! - `owner_added` by the demo seed: `{user_id, team_id, kind}` instead of `{owner, kind}`;
//! - `field_changed` of `target` by the seed: one event holding `[text, year]` where an edit
//!   recorded `target` and `target_year` as two events;
//! - seeded `evidence_added` / `evidence_updated`: the seed's `key` where evidence records
//!   `seed_key`, and a seeded update's verdict in `field` where an update records it in the
//!   versions it compares.

use std::collections::HashMap;

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::chain::Content;
use super::keys::{self, Keyring};
use super::verify::check_chain;
use super::{Author, Change, EventKind, append, head, stored};
use crate::db::enums::ActorKind;
use crate::db::models::HistoryEvent;
use crate::db::schema::history_events as events;
use crate::domain::items::owners::OwnerRef;
use crate::error::Result;

/// One event's payload in the current shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Shape {
    pub field: Option<String>,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// The current shape of an event recorded as `seq`: usually one event, two where an old event
/// held what is now recorded as two.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Correction {
    seq: i32,
    events: Vec<Shape>,
}

/// Finds the old-shape events in SQL (the rule `old_shape` states in Rust). It reads the whole
/// table once per start; fine at the sizes seen so far, a partial index if it ever is not.
const SQL_OLD_SHAPES: &str = "(kind = 'owner_added' AND NOT (after ? 'owner')) \
     OR (kind = 'field_changed' AND field = 'target' AND jsonb_typeof(after) = 'array') \
     OR (kind IN ('evidence_added', 'evidence_updated') AND after ? 'key')";

fn renamed_key(value: &Value) -> Value {
    let mut map: Map<String, Value> = value.as_object().cloned().unwrap_or_default();
    if let Some(key) = map.remove("key") {
        map.insert("seed_key".into(), key);
    }
    Value::Object(map)
}

fn uuid_at(value: Option<&Value>, key: &str) -> Option<Uuid> {
    value?.get(key)?.as_str()?.parse().ok()
}

/// Whether `event` is in one of the older shapes (the rule `SQL_OLD_SHAPES` states in SQL).
fn old_shape(event: &HistoryEvent) -> bool {
    let after = event.after.as_ref();
    let has = |key: &str| after.is_some_and(|a| a.get(key).is_some());
    match (EventKind::parse(&event.kind), event.field.as_deref()) {
        (Some(EventKind::OwnerAdded), _) => after.is_some() && !has("owner"),
        (Some(EventKind::FieldChanged), Some("target")) => after.is_some_and(Value::is_array),
        (Some(EventKind::EvidenceAdded | EventKind::EvidenceUpdated), _) => has("key"),
        _ => false,
    }
}

/// The current shape of `event`, or `None` when it already has it.
fn current_shape(conn: &mut PgConnection, event: &HistoryEvent) -> Result<Option<Vec<Shape>>> {
    if !old_shape(event) {
        return Ok(None);
    }
    let after = event.after.as_ref();
    let shape = match EventKind::parse(&event.kind) {
        Some(EventKind::OwnerAdded) => {
            let who = match (uuid_at(after, "user_id"), uuid_at(after, "team_id")) {
                (Some(user), _) => Some(OwnerRef::User(user)),
                (None, Some(team)) => Some(OwnerRef::Team(team)),
                (None, None) => None,
            };
            let owner = match who {
                Some(who) => who.as_recorded_now(conn)?,
                None => Value::Null,
            };
            let kind = after.and_then(|a| a.get("kind")).cloned();
            vec![Shape {
                field: None,
                before: None,
                after: Some(json!({"owner": owner, "kind": kind})),
            }]
        }
        Some(EventKind::FieldChanged) => {
            let part = |v: Option<&Value>, i: usize| {
                v.and_then(|v| v.get(i)).cloned().unwrap_or(Value::Null)
            };
            let before = event.before.as_ref();
            vec![
                Shape {
                    field: Some("target".into()),
                    before: Some(part(before, 0)),
                    after: Some(part(after, 0)),
                },
                Shape {
                    field: Some("target_year".into()),
                    before: Some(part(before, 1)),
                    after: Some(part(after, 1)),
                },
            ]
        }
        Some(EventKind::EvidenceUpdated) => {
            let mut now = after.map(renamed_key).unwrap_or(Value::Null);
            let mut was = json!({"evidence_id": after.and_then(|a| a.get("evidence_id"))});
            if event.field.as_deref() == Some("verification") {
                was["verification"] = event.before.clone().unwrap_or(Value::Null);
                // The seed's update always left the new version awaiting review.
                now["verification"] = json!("pending");
            }
            vec![Shape {
                field: None,
                before: Some(was),
                after: Some(now),
            }]
        }
        // `EvidenceAdded`, the only other kind `old_shape` admits.
        _ => vec![Shape {
            field: None,
            before: None,
            after: after.map(renamed_key),
        }],
    };
    Ok(Some(shape))
}

/// Whether `event` is what the service recorded: made by the system and sealed under a key it
/// holds. A correction someone wrote into the database without the key changes nothing shown.
fn genuine(event: &HistoryEvent, keyring: &Keyring) -> bool {
    event.actor_kind == ActorKind::System
        && event
            .key_id
            .as_deref()
            .and_then(|id| keyring.by_id(id))
            .is_some_and(|key| key.seal(&Content::of(event)) == event.hash)
}

/// The corrections recorded for an item's events so far, by the seq they correct, and the seq
/// of the event that recorded each. Only genuine corrections count, each only for an earlier
/// event that is in an older shape, and never one that would hide it.
fn recorded(all: &[HistoryEvent], keyring: &Keyring) -> HashMap<i32, (i32, Vec<Shape>)> {
    let by_seq: HashMap<i32, &HistoryEvent> = all.iter().map(|e| (e.seq, e)).collect();
    let mut found = HashMap::new();
    for event in all
        .iter()
        .filter(|e| e.kind == EventKind::HistoryReshaped.as_str())
        .filter(|e| genuine(e, keyring))
    {
        let corrections: Vec<Correction> = event
            .after
            .as_ref()
            .and_then(|a| a.get("events"))
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or_default();
        for c in corrections {
            let reshapable = by_seq.get(&c.seq).is_some_and(|e| old_shape(e));
            if c.seq < event.seq && reshapable && !c.events.is_empty() {
                found.insert(c.seq, (event.seq, c.events));
            }
        }
    }
    found
}

/// Records the current shape of every old-shape event not yet corrected, one
/// `history_reshaped` event per item, each item in its own transaction. Returns how many items
/// it recorded corrections for.
pub fn reshape_legacy(conn: &mut PgConnection) -> Result<usize> {
    use diesel::dsl::sql;
    use diesel::sql_types::Bool;
    // An item reshaped once is done for good: nothing writes the old shapes any more.
    let pending: Vec<Uuid> = events::table
        .filter(sql::<Bool>(SQL_OLD_SHAPES))
        .filter(sql::<Bool>(
            "NOT EXISTS (SELECT 1 FROM history_events r WHERE r.kind = 'history_reshaped' \
             AND r.recommendation_id = history_events.recommendation_id)",
        ))
        .select(events::recommendation_id)
        .distinct()
        .load(conn)?;
    if pending.is_empty() {
        return Ok(0);
    }
    let keyring = keys::current()?;
    let mut reshaped = 0;
    for item in pending {
        let outcome = conn.transaction(|conn| {
            crate::domain::items::lock(conn, item)?;
            let all = stored(conn, item)?;
            // Only an intact, keyed chain gets a keyed event: appending one to a broken chain
            // or to one still ending in plain hashes would seal what nobody checked (sealing
            // legacy chains is an operator's act, `recotrack history seal-legacy`).
            let (problems, reached) = check_chain(&all, &keyring);
            let (_, recorded_head) = head(conn, item)?;
            if !problems.is_empty() || reached != recorded_head {
                tracing::warn!(%item, ?problems, "history in an older shape left as it is: its chain does not check out");
                return Ok::<_, crate::error::Error>(0);
            }
            let done = recorded(&all, &keyring);
            let mut corrections = Vec::new();
            for event in all.iter().filter(|e| !done.contains_key(&e.seq)) {
                if let Some(events) = current_shape(conn, event)? {
                    corrections.push(Correction {
                        seq: event.seq,
                        events,
                    });
                }
            }
            if corrections.is_empty() {
                return Ok(0);
            }
            let seqs: Vec<i32> = corrections.iter().map(|c| c.seq).collect();
            let change = Change::history_reshaped(json!(corrections)).reason(Some(format!(
                "events {seqs:?} were recorded in an older shape of their kind; this gives them in the current one (the events themselves are unchanged)"
            )));
            append(conn, item, Author::SYSTEM, vec![change])?;
            Ok(1)
        });
        match outcome {
            Ok(n) => reshaped += n,
            // One item must not keep the service from starting: it stays as it is, and says so.
            Err(error) => {
                tracing::error!(%item, %error, "could not record the current shape of its history");
            }
        }
    }
    Ok(reshaped)
}

/// An event as readers see it: in the current shape of its kind, with the event that gave
/// that shape when it is not the one recorded.
#[derive(Debug, Clone)]
pub struct ShownEvent {
    pub event: HistoryEvent,
    pub reshaped_by: Option<i32>,
}

/// `all` (one item's stored events, oldest first) in the current shapes.
pub fn shown(all: Vec<HistoryEvent>) -> Result<Vec<ShownEvent>> {
    let keyring = keys::current()?;
    let corrections = recorded(&all, &keyring);
    let mut out = Vec::with_capacity(all.len());
    for event in all {
        match corrections.get(&event.seq) {
            Some((by, shapes)) => {
                for shape in shapes {
                    let mut shown = event.clone();
                    shown.field = shape.field.clone();
                    shown.before = shape.before.clone();
                    shown.after = shape.after.clone();
                    out.push(ShownEvent {
                        event: shown,
                        reshaped_by: Some(*by),
                    });
                }
            }
            None => out.push(ShownEvent {
                event,
                reshaped_by: None,
            }),
        }
    }
    Ok(out)
}
