//! The kinds of webhook event and which history kinds each one carries. The migration's
//! `webhook_event_type` maps history kinds the same way (a test compares them).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::history::EventKind;

/// What a webhook event announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub enum EventType {
    #[serde(rename = "item.created")]
    ItemCreated,
    /// Any other change to the item: a field, its due date, a snooze, a target, an owner's
    /// kind, an escalation. Every new version of an item is announced by some event.
    #[serde(rename = "item.changed")]
    ItemChanged,
    #[serde(rename = "item.transitioned")]
    ItemTransitioned,
    #[serde(rename = "item.owner_added")]
    ItemOwnerAdded,
    #[serde(rename = "item.owner_removed")]
    ItemOwnerRemoved,
    /// A piece of evidence or a new version of one.
    #[serde(rename = "evidence.submitted")]
    EvidenceSubmitted,
    #[serde(rename = "evidence.reviewed")]
    EvidenceReviewed,
    #[serde(rename = "evidence.withdrawn")]
    EvidenceWithdrawn,
    #[serde(rename = "comment.added")]
    CommentAdded,
    /// The item went without a person's activity past its stall threshold (once per spell).
    #[serde(rename = "item.stalled")]
    ItemStalled,
    /// The item passed its due date unfinished (once per due date).
    #[serde(rename = "item.overdue")]
    ItemOverdue,
    /// A digest email was accepted by the SMTP server.
    #[serde(rename = "digest.sent")]
    DigestSent,
}

impl EventType {
    pub const ALL: [EventType; 12] = [
        Self::ItemCreated,
        Self::ItemChanged,
        Self::ItemTransitioned,
        Self::ItemOwnerAdded,
        Self::ItemOwnerRemoved,
        Self::EvidenceSubmitted,
        Self::EvidenceReviewed,
        Self::EvidenceWithdrawn,
        Self::CommentAdded,
        Self::ItemStalled,
        Self::ItemOverdue,
        Self::DigestSent,
    ];

    /// The wire name, as in the payload's `type` and an endpoint's `events`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ItemCreated => "item.created",
            Self::ItemChanged => "item.changed",
            Self::ItemTransitioned => "item.transitioned",
            Self::ItemOwnerAdded => "item.owner_added",
            Self::ItemOwnerRemoved => "item.owner_removed",
            Self::EvidenceSubmitted => "evidence.submitted",
            Self::EvidenceReviewed => "evidence.reviewed",
            Self::EvidenceWithdrawn => "evidence.withdrawn",
            Self::CommentAdded => "comment.added",
            Self::ItemStalled => "item.stalled",
            Self::ItemOverdue => "item.overdue",
            Self::DigestSent => "digest.sent",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == name)
    }

    /// What the event is about, for the OpenAPI document.
    pub fn summary(self) -> &'static str {
        match self {
            Self::ItemCreated => "An item was created",
            Self::ItemChanged => {
                "An item changed (fields, due date, snooze, targets, owners' kinds, escalation)"
            }
            Self::ItemTransitioned => "An item moved along its response or status workflow",
            Self::ItemOwnerAdded => "An owner was added to an item",
            Self::ItemOwnerRemoved => "An owner was removed from an item",
            Self::EvidenceSubmitted => "Evidence (or a new version of it) was submitted",
            Self::EvidenceReviewed => "Evidence was accepted or rejected by a reviewer",
            Self::EvidenceWithdrawn => "Evidence was withdrawn",
            Self::CommentAdded => "A comment was added to an item",
            Self::ItemStalled => "An item stalled: no activity by a person past its threshold",
            Self::ItemOverdue => "An item passed its due date unfinished",
            Self::DigestSent => "A digest email was accepted by the mail server",
        }
    }

    /// The event a history event of `kind` is announced as.
    pub fn of_history(kind: EventKind) -> Self {
        match kind {
            EventKind::Created => Self::ItemCreated,
            EventKind::Transition => Self::ItemTransitioned,
            EventKind::OwnerAdded => Self::ItemOwnerAdded,
            EventKind::OwnerRemoved => Self::ItemOwnerRemoved,
            EventKind::CommentAdded => Self::CommentAdded,
            EventKind::EvidenceAdded | EventKind::EvidenceUpdated => Self::EvidenceSubmitted,
            EventKind::EvidenceReviewed => Self::EvidenceReviewed,
            EventKind::EvidenceRemoved => Self::EvidenceWithdrawn,
            _ => Self::ItemChanged,
        }
    }

    /// Whether the event is about one item (all but `digest.sent`).
    pub fn is_about_an_item(self) -> bool {
        self != Self::DigestSent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_parses_back_and_serialises_as_its_wire_name() {
        for t in EventType::ALL {
            assert_eq!(EventType::parse(t.as_str()), Some(t));
            assert_eq!(
                serde_json::to_value(t).ok(),
                Some(serde_json::json!(t.as_str()))
            );
        }
        assert_eq!(EventType::parse("item.deleted"), None);
    }

    /// The migration's SQL map from history kinds names the same events as `of_history`.
    #[test]
    fn the_sql_map_of_history_kinds_is_the_rust_one() {
        let sql = include_str!("../../../migrations/2026-12-03-000014_webhooks/up.sql");
        let start = sql.find("SELECT CASE kind").expect("the CASE");
        let case = &sql[start..sql[start..].find("END").map_or(sql.len(), |e| start + e)];
        let mut named = 0;
        for line in case
            .lines()
            .filter(|l| l.trim_start().starts_with("WHEN '"))
        {
            let mut parts = line.split('\'');
            let (kind, event) = (parts.nth(1), parts.nth(1));
            let kind = kind.and_then(EventKind::parse).expect("a history kind");
            assert_eq!(Some(EventType::of_history(kind).as_str()), event, "{line}");
            named += 1;
        }
        assert_eq!(named, 9);
        assert!(case.contains("ELSE 'item.changed'"));
        assert_eq!(
            EventType::of_history(EventKind::DeadlineRevised),
            EventType::ItemChanged
        );
    }
}
