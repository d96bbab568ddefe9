//! Checking an item's history: the chain's links and keyed hashes, its head against the item
//! row (so a deleted tail shows), and a replay of the events against the item's current
//! response, status and due date (so a rolled-back row shows too).

use diesel::prelude::*;
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::chain::Content;
use super::keys::{self, Keyring};
use super::{EventKind, GENESIS, head, stored as list};
use crate::db::enums::{Response, Status};
use crate::db::models::HistoryEvent;
use crate::db::schema::recommendations;
use crate::error::Result;

/// One way a history fails its check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum Problem {
    /// The event's hash or its link to the previous one does not match its content, or its
    /// sequence number is out of place.
    Broken { seq: i32 },
    /// The event names a key this service does not hold.
    UnknownKey { seq: i32, key_id: String },
    /// An event without a keyed hash where only keyed events may be: after a keyed event, or
    /// at the end of the chain (anyone can compute a plain SHA-256).
    Unkeyed { seq: i32 },
    /// The item's recorded head does not match the last event: events were deleted or added.
    Head { recorded_seq: i32, found_seq: i32 },
    /// Replaying the events does not give the item's current value of `field`.
    Replay {
        field: &'static str,
        history: Value,
        item: Value,
    },
    /// The item has no history at all, though every item's begins with `created`.
    Empty,
    /// A piece of evidence does not match what its history says (`what`).
    Evidence { evidence_id: Uuid, what: String },
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::Broken { seq } => write!(
                f,
                "event {seq}: its hash or its link to the previous event does not match its content"
            ),
            Problem::UnknownKey { seq, key_id } => {
                write!(
                    f,
                    "event {seq}: hashed with key {key_id}, which this service does not hold"
                )
            }
            Problem::Unkeyed { seq } => {
                write!(
                    f,
                    "event {seq}: a plain SHA-256 where only keyed hashes are valid"
                )
            }
            Problem::Head {
                recorded_seq,
                found_seq,
            } => write!(
                f,
                "the item records {recorded_seq} events and its head, but the history ends at event {found_seq} or with another hash"
            ),
            Problem::Replay {
                field,
                history,
                item,
            } => write!(
                f,
                "replaying the history gives {field} {history}, but the item has {item}"
            ),
            Problem::Empty => write!(f, "the item has no history, not even its creation"),
            Problem::Evidence { evidence_id, what } => write!(f, "evidence {evidence_id}: {what}"),
        }
    }
}

/// The outcome of checking one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub events: usize,
    /// The first event that is broken or missing, if any.
    pub first_broken_seq: Option<i32>,
    pub problems: Vec<Problem>,
}

impl Verdict {
    pub fn intact(&self) -> bool {
        self.problems.is_empty()
    }
}

/// What the item row says about itself.
pub(super) struct Row {
    pub history_seq: i32,
    pub history_head: String,
    response: Response,
    status: Status,
    due_date: Option<chrono::NaiveDate>,
}

pub(super) fn row(conn: &mut PgConnection, item: Uuid) -> Result<Row> {
    let (response, status, due_date) = recommendations::table
        .find(item)
        .select((
            recommendations::response,
            recommendations::status,
            recommendations::due_date,
        ))
        .first(conn)?;
    let (history_seq, history_head) = head(conn, item)?;
    Ok(Row {
        history_seq,
        history_head,
        response,
        status,
        due_date,
    })
}

/// Checks every link and hash; returns the problems and the head reached.
pub(super) fn check_chain(all: &[HistoryEvent], keyring: &Keyring) -> (Vec<Problem>, String) {
    let mut problems = Vec::new();
    let mut prev = GENESIS.to_owned();
    let mut keyed_seen = false;
    for (index, event) in all.iter().enumerate() {
        let content = Content::of(event);
        let in_sequence = i32::try_from(index + 1).is_ok_and(|n| n == event.seq);
        let hash_ok = match &event.key_id {
            Some(id) => {
                keyed_seen = true;
                match keyring.by_id(id) {
                    Some(key) => key.seal(&content) == event.hash,
                    None => {
                        problems.push(Problem::UnknownKey {
                            seq: event.seq,
                            key_id: id.clone(),
                        });
                        true
                    }
                }
            }
            None => {
                if keyed_seen {
                    problems.push(Problem::Unkeyed { seq: event.seq });
                }
                content.legacy_hash() == event.hash
            }
        };
        if !in_sequence || event.prev_hash != prev || !hash_ok {
            problems.push(Problem::Broken { seq: event.seq });
        }
        prev = event.hash.clone();
    }
    if let Some(last) = all.last()
        && last.key_id.is_none()
    {
        problems.push(Problem::Unkeyed { seq: last.seq });
    }
    (problems, prev)
}

/// The response, status and due date the events say the item has.
fn replay(all: &[HistoryEvent]) -> (Value, Value, Value) {
    let mut response = json!(Response::Pending);
    let mut status = json!(Status::NotStarted);
    let mut due = Value::Null;
    for event in all {
        let after = event.after.clone().unwrap_or(Value::Null);
        match (EventKind::parse(&event.kind), event.field.as_deref()) {
            (Some(EventKind::Created), _) => {
                due = after.get("due_date").cloned().unwrap_or(Value::Null);
            }
            (Some(EventKind::SeededState), _) => {
                response = after.get("response").cloned().unwrap_or(response);
                status = after.get("status").cloned().unwrap_or(status);
            }
            (_, Some("response")) => response = after,
            (_, Some("status")) => status = after,
            (_, Some("due_date")) => due = after,
            _ => {}
        }
    }
    (response, status, due)
}

/// Checks the history of `item`.
pub fn verify(conn: &mut PgConnection, item: Uuid) -> Result<Verdict> {
    let keyring = keys::current()?;
    let row = row(conn, item)?;
    let all = list(conn, item)?;
    let (mut problems, head) = check_chain(&all, &keyring);
    let found_seq = all.last().map_or(0, |e| e.seq);
    if found_seq != row.history_seq || head != row.history_head {
        problems.push(Problem::Head {
            recorded_seq: row.history_seq,
            found_seq,
        });
    }
    let (response, status, due) = replay(&all);
    for (field, history, current) in [
        ("response", response, json!(row.response)),
        ("status", status, json!(row.status)),
        ("due_date", due, json!(row.due_date)),
    ] {
        if history != current {
            problems.push(Problem::Replay {
                field,
                history,
                item: current,
            });
        }
    }
    if all.is_empty() {
        problems.push(Problem::Empty);
    }
    problems.extend(super::evidence_check::check(conn, item, &all)?);
    let first_broken_seq = problems
        .iter()
        .map(|p| match p {
            Problem::Broken { seq }
            | Problem::UnknownKey { seq, .. }
            | Problem::Unkeyed { seq } => *seq,
            Problem::Head {
                recorded_seq,
                found_seq,
            } => (*recorded_seq).min(*found_seq) + 1,
            Problem::Replay { .. } | Problem::Empty | Problem::Evidence { .. } => found_seq + 1,
        })
        .min();
    Ok(Verdict {
        events: all.len(),
        first_broken_seq,
        problems,
    })
}

/// An item that failed its check: key, id and verdict.
pub type Broken = (String, Uuid, Verdict);

/// Checks every item; returns how many were checked and each one that fails.
pub fn verify_all(conn: &mut PgConnection) -> Result<(usize, Vec<Broken>)> {
    let items: Vec<(Uuid, String)> = recommendations::table
        .order(recommendations::key)
        .select((recommendations::id, recommendations::key))
        .load(conn)?;
    let mut broken = Vec::new();
    for (id, key) in &items {
        let verdict = verify(conn, *id)?;
        if !verdict.intact() {
            broken.push((key.clone(), *id, verdict));
        }
    }
    Ok((items.len(), broken))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::enums::ActorKind;
    use crate::domain::history::keys::HistoryKey;

    /// A chain of `n` events of one item, each sealed with `key`.
    fn chain(key: &HistoryKey, n: i32) -> Vec<HistoryEvent> {
        let item = Uuid::nil();
        let at = chrono::DateTime::from_timestamp(1_700_000_000, 0).expect("time");
        let mut prev = GENESIS.to_owned();
        (1..=n)
            .map(|seq| {
                let mut event = HistoryEvent {
                    id: i64::from(seq),
                    recommendation_id: item,
                    seq,
                    kind: "comment_added".into(),
                    actor_kind: ActorKind::System,
                    actor_id: None,
                    at,
                    reason: None,
                    field: None,
                    before: None,
                    after: Some(json!({"n": seq})),
                    prev_hash: prev.clone(),
                    hash: String::new(),
                    key_id: Some(key.id().to_owned()),
                };
                event.hash = key.seal(&Content::of(&event));
                prev = event.hash.clone();
                event
            })
            .collect()
    }

    #[test]
    fn after_a_rotation_old_events_verify_with_the_previous_key_and_not_without_it() {
        let old = HistoryKey::new(b"the key before the rotation, 32+ bytes").expect("key");
        let new = HistoryKey::new(b"the key after the rotation, 32 or more").expect("key");
        let events = chain(&old, 3);
        let rotated = Keyring {
            current: new.clone(),
            previous: vec![old.clone()],
        };
        let (problems, _) = check_chain(&events, &rotated);
        assert_eq!(problems, []);
        let forgotten = Keyring {
            current: new,
            previous: Vec::new(),
        };
        let (problems, _) = check_chain(&events, &forgotten);
        assert_eq!(
            problems[0],
            Problem::UnknownKey {
                seq: 1,
                key_id: old.id().to_owned()
            }
        );
    }

    #[test]
    fn a_chain_sealed_with_a_guessed_key_does_not_verify() {
        let real = HistoryKey::new(b"the service's real history key, 32+ b").expect("key");
        let guessed = HistoryKey::new(b"an attacker's guess at the key, 32+ by").expect("key");
        let mut events = chain(&guessed, 2);
        // The attacker claims the real key's id for the forged hashes.
        for event in &mut events {
            event.key_id = Some(real.id().to_owned());
        }
        let keyring = Keyring {
            current: real,
            previous: Vec::new(),
        };
        let (problems, _) = check_chain(&events, &keyring);
        assert_eq!(
            problems,
            [Problem::Broken { seq: 1 }, Problem::Broken { seq: 2 }]
        );
    }
}
