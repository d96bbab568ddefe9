//! Checking the whole history at once.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// An item whose history fails its check.
#[derive(Debug, Serialize, ToSchema)]
pub struct BrokenHistory {
    pub id: Uuid,
    pub key: String,
    pub first_broken_seq: Option<i32>,
    /// What is wrong, one sentence each.
    pub problems: Vec<String>,
}

/// A daily anchor, recomputed from the chains as they are now.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnchorCheck {
    pub day: NaiveDate,
    /// Midnight UTC of `day`: the anchor covers every event stamped before it.
    pub as_of: DateTime<Utc>,
    pub items: i32,
    pub events: i64,
    /// SHA-256, hex, over `id:seq:hash` of each item's last event before `as_of`, by item id.
    pub digest: String,
    /// Whether the chains still give `digest`.
    pub matches: bool,
}

/// Every item's history and the recorded anchors, checked.
#[derive(Debug, Serialize, ToSchema)]
pub struct IntegrityReport {
    pub items_checked: usize,
    /// True when no item is broken and every anchor matches.
    pub intact: bool,
    pub broken: Vec<BrokenHistory>,
    /// The newest anchors first (at most 31).
    pub anchors: Vec<AnchorCheck>,
}

impl From<crate::domain::history::anchor::Integrity> for IntegrityReport {
    fn from(integrity: crate::domain::history::anchor::Integrity) -> Self {
        Self {
            items_checked: integrity.items_checked,
            intact: integrity.intact(),
            broken: integrity
                .broken
                .iter()
                .map(|(key, id, verdict)| BrokenHistory {
                    id: *id,
                    key: key.clone(),
                    first_broken_seq: verdict.first_broken_seq,
                    problems: verdict.problems.iter().map(ToString::to_string).collect(),
                })
                .collect(),
            anchors: integrity
                .anchors
                .into_iter()
                .map(|(a, matches)| AnchorCheck {
                    day: a.day,
                    as_of: a.as_of,
                    items: a.items,
                    events: a.events,
                    digest: a.digest,
                    matches,
                })
                .collect(),
        }
    }
}
