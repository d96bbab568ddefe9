//! Every kind of history event and the one shape each is recorded in. A change is described
//! only through the constructors here, so one kind never holds two shapes; the database's check
//! on `history_events.kind` lists the same kinds (a test compares them).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use super::Change;
use crate::domain::workflow::Axis;

/// What happened to an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Created,
    FieldChanged,
    DeadlineSet,
    DeadlineRevised,
    Transition,
    Snoozed,
    Unsnoozed,
    Acknowledged,
    OwnerAdded,
    OwnerChanged,
    OwnerRemoved,
    CommentAdded,
    EvidenceAdded,
    EvidenceUpdated,
    EvidenceReviewed,
    EvidenceRemoved,
    EvidenceLapsed,
    TargetAdded,
    TargetChanged,
    TargetProgress,
    Escalated,
    SeededState,
    HistoryRekeyed,
    HistoryReshaped,
    DemoClockSetBack,
}

impl EventKind {
    pub const ALL: [EventKind; 25] = [
        Self::Created,
        Self::FieldChanged,
        Self::DeadlineSet,
        Self::DeadlineRevised,
        Self::Transition,
        Self::Snoozed,
        Self::Unsnoozed,
        Self::Acknowledged,
        Self::OwnerAdded,
        Self::OwnerChanged,
        Self::OwnerRemoved,
        Self::CommentAdded,
        Self::EvidenceAdded,
        Self::EvidenceUpdated,
        Self::EvidenceReviewed,
        Self::EvidenceRemoved,
        Self::EvidenceLapsed,
        Self::TargetAdded,
        Self::TargetChanged,
        Self::TargetProgress,
        Self::Escalated,
        Self::SeededState,
        Self::HistoryRekeyed,
        Self::HistoryReshaped,
        Self::DemoClockSetBack,
    ];

    /// The name stored in `history_events.kind` and covered by the event's hash.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::FieldChanged => "field_changed",
            Self::DeadlineSet => "deadline_set",
            Self::DeadlineRevised => "deadline_revised",
            Self::Transition => "transition",
            Self::Snoozed => "snoozed",
            Self::Unsnoozed => "unsnoozed",
            Self::Acknowledged => "acknowledged",
            Self::OwnerAdded => "owner_added",
            Self::OwnerChanged => "owner_changed",
            Self::OwnerRemoved => "owner_removed",
            Self::CommentAdded => "comment_added",
            Self::EvidenceAdded => "evidence_added",
            Self::EvidenceUpdated => "evidence_updated",
            Self::EvidenceReviewed => "evidence_reviewed",
            Self::EvidenceRemoved => "evidence_removed",
            Self::EvidenceLapsed => "evidence_lapsed",
            Self::TargetAdded => "target_added",
            Self::TargetChanged => "target_changed",
            Self::TargetProgress => "target_progress",
            Self::Escalated => "escalated",
            Self::SeededState => "seeded_state",
            Self::HistoryRekeyed => "history_rekeyed",
            Self::HistoryReshaped => "history_reshaped",
            Self::DemoClockSetBack => "demo_clock_set_back",
        }
    }

    /// The kind a stored name stands for.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

/// The fields of an item whose edits are recorded as `field_changed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Title,
    Body,
    Themes,
    Priority,
    ProgressPercent,
    ProgressNote,
    SourceRef,
    WebTitle,
    Provenance,
}

impl Field {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Title => "title",
            Self::Body => "body",
            Self::Themes => "themes",
            Self::Priority => "priority",
            Self::ProgressPercent => "progress_percent",
            Self::ProgressNote => "progress_note",
            Self::SourceRef => "source_ref",
            Self::WebTitle => "web_title",
            Self::Provenance => "provenance",
        }
    }
}

impl Change {
    /// The item's first event: what it was created as.
    pub fn created(key: &str, title: &str, ordinal: i32, due_date: Option<NaiveDate>) -> Self {
        Self::new(EventKind::Created).after(json!({
            "key": key, "title": title, "ordinal": ordinal, "due_date": due_date,
        }))
    }

    pub fn field_changed(field: Field, before: Value, after: Value) -> Self {
        Self::new(EventKind::FieldChanged).field(field.as_str(), before, after)
    }

    /// The first due date: the baseline later revisions are measured against.
    pub fn deadline_set(due: Option<NaiveDate>) -> Self {
        Self::new(EventKind::DeadlineSet).field("due_date", Value::Null, json!(due))
    }

    pub fn deadline_revised(before: Option<NaiveDate>, after: Option<NaiveDate>) -> Self {
        Self::new(EventKind::DeadlineRevised).field("due_date", json!(before), json!(after))
    }

    /// A move along one axis; `from` and `to` are the states' wire names.
    pub fn transition(axis: Axis, from: Value, to: Value) -> Self {
        let field = match axis {
            Axis::Response => "response",
            Axis::Status => "status",
        };
        Self::new(EventKind::Transition).field(field, from, to)
    }

    pub fn snoozed(before: Option<NaiveDate>, until: NaiveDate) -> Self {
        Self::new(EventKind::Snoozed).field("snoozed_until", json!(before), json!(until))
    }

    pub fn unsnoozed(before: Option<NaiveDate>) -> Self {
        Self::new(EventKind::Unsnoozed).field("snoozed_until", json!(before), Value::Null)
    }

    /// "Still on track", with the person's note as the reason.
    pub fn acknowledged() -> Self {
        Self::new(EventKind::Acknowledged)
    }

    /// `owner` is `{"user_id", "name"}` or `{"team_id", "name"}` (see `items::owners`).
    pub fn owner_added(owner: Value, kind: Value) -> Self {
        Self::new(EventKind::OwnerAdded).after(json!({"owner": owner, "kind": kind}))
    }

    pub fn owner_changed(owner: Value, old: Value, kind: Value) -> Self {
        Self::new(EventKind::OwnerChanged)
            .before(json!({"kind": old}))
            .after(json!({"owner": owner, "kind": kind}))
    }

    pub fn owner_removed(owner: Value) -> Self {
        Self::new(EventKind::OwnerRemoved).before(json!({"owner": owner}))
    }

    pub fn comment_added(id: Uuid, body: &str) -> Self {
        Self::new(EventKind::CommentAdded).after(json!({"comment_id": id, "body": body}))
    }

    /// `snapshot` is a whole version of the evidence (see `domain::evidence`).
    pub fn evidence_added(snapshot: Value) -> Self {
        Self::new(EventKind::EvidenceAdded).after(snapshot)
    }

    pub fn evidence_updated(before: Value, after: Value) -> Self {
        Self::new(EventKind::EvidenceUpdated)
            .before(before)
            .after(after)
    }

    pub fn evidence_reviewed(from: Value, to: Value, snapshot: Value) -> Self {
        Self::new(EventKind::EvidenceReviewed)
            .field("verification", from, to)
            .after(snapshot)
    }

    pub fn evidence_removed(snapshot: Value) -> Self {
        Self::new(EventKind::EvidenceRemoved).before(snapshot)
    }

    /// An implemented item lost the accepted evidence behind it.
    pub fn evidence_lapsed(before: Value, after: Value) -> Self {
        Self::new(EventKind::EvidenceLapsed).field("evidence_stage", before, after)
    }

    /// `snapshot` is the whole target (see `domain::targets`).
    pub fn target_added(snapshot: Value) -> Self {
        Self::new(EventKind::TargetAdded).after(snapshot)
    }

    pub fn target_changed(before: Value, after: Value) -> Self {
        Self::new(EventKind::TargetChanged)
            .before(before)
            .after(after)
    }

    pub fn target_progress(target: Uuid, before: i64, after: i64) -> Self {
        Self::new(EventKind::TargetProgress)
            .before(json!({"target_id": target, "progress": before}))
            .after(json!({"target_id": target, "progress": after}))
    }

    /// `to` is `managers` or `admins`.
    pub fn escalated(to: &str, step: i32, recipients: &[Uuid]) -> Self {
        Self::new(EventKind::Escalated)
            .after(json!({"to": to, "step": step, "recipients": recipients}))
    }

    /// A response and status a seed set (or withdrew), each `{"response", "status"}`.
    pub fn seeded_state(before: Value, after: Value) -> Self {
        Self::new(EventKind::SeededState)
            .before(before)
            .after(after)
    }

    pub fn history_rekeyed(legacy_events: usize, key_id: &str) -> Self {
        Self::new(EventKind::HistoryRekeyed)
            .after(json!({"legacy_events": legacy_events, "key_id": key_id}))
    }

    /// `corrections` gives, for earlier events recorded in an older shape of their kind, their
    /// payload in the current one: `[{"seq", "events": [{"field", "before", "after"}]}]`.
    pub fn history_reshaped(corrections: Value) -> Self {
        Self::new(EventKind::HistoryReshaped).after(json!({"events": corrections}))
    }

    pub fn demo_clock_set_back() -> Self {
        Self::new(EventKind::DemoClockSetBack)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_own_stored_name_and_parses_back() {
        let names: Vec<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
        let mut unique = names.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), 25);
        for kind in EventKind::ALL {
            assert_eq!(EventKind::parse(kind.as_str()), Some(kind));
            assert_eq!(serde_json::to_value(kind).ok(), Some(json!(kind.as_str())));
        }
        assert_eq!(EventKind::parse("owner_added"), Some(EventKind::OwnerAdded));
        assert_eq!(EventKind::parse("target"), None);
    }

    /// SQL names kinds as string literals; each one it names must be a kind the service writes,
    /// so renaming a kind cannot leave a statistic silently counting nothing.
    #[test]
    fn every_kind_named_in_sql_is_a_kind() {
        let sources = [
            include_str!("../stats/cycle.rs"),
            include_str!("../stats/mod.rs"),
            include_str!("reshape.rs"),
            include_str!("../../../migrations/2026-12-03-000012_event_kinds/up.sql"),
        ];
        let mut named = 0;
        for source in sources {
            for (i, _) in source.match_indices("kind = '") {
                let rest = &source[i + "kind = '".len()..];
                let name = rest.split('\'').next().unwrap_or_default();
                assert!(
                    EventKind::parse(name).is_some(),
                    "`{name}` is not an EventKind"
                );
                named += 1;
            }
            for line in source.lines().filter(|l| l.trim_start().starts_with("'")) {
                let name = line.trim().trim_end_matches(',').trim_matches('\'');
                assert!(
                    EventKind::parse(name).is_some(),
                    "`{name}` is not an EventKind"
                );
                named += 1;
            }
        }
        // 8 mentions in the statistics, 3 in the old shapes, 25 in the database's check.
        assert_eq!(named, 36);
    }
}
