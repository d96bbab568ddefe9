//! Wire types of evidence, comments and history.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::db::enums::{ActorKind, EvidenceKind, Relevance, Verification};
use crate::db::models::{Comment, Evidence};
use crate::domain::history::ShownEvent;
use crate::domain::provenance::Provenance;

/// A piece of evidence.
#[derive(Debug, Serialize, ToSchema)]
pub struct EvidenceResponse {
    pub id: Uuid,
    pub recommendation_id: Uuid,
    pub kind: EvidenceKind,
    pub title: String,
    pub url: Option<String>,
    pub excerpt: String,
    pub source: String,
    pub observed_on: Option<NaiveDate>,
    /// Why this evidence supports the item.
    pub rationale: String,
    pub submitted_by: Option<Uuid>,
    pub submitted_at: DateTime<Utc>,
    pub verification: Verification,
    pub reviewed_by: Option<Uuid>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub review_note: Option<String>,
    /// This version of the evidence; every edit and review makes a new one. Send it as
    /// `If-Match` when reviewing: a verdict covers exactly the version it names.
    pub version: i32,
    /// Everyone who submitted or edited any version; none of them may review it.
    pub editors: Vec<Uuid>,
    /// What it shows: `shows_implementation`, `shows_progress`, or `context` (background, which
    /// never makes the item's evidence `verified`).
    pub relevance: Relevance,
    /// For seeded evidence, exactly where the excerpt is in its source.
    pub provenance: Option<Provenance>,
}

impl From<Evidence> for EvidenceResponse {
    fn from(e: Evidence) -> Self {
        Self {
            id: e.id,
            recommendation_id: e.recommendation_id,
            kind: e.kind,
            title: e.title,
            url: e.url,
            excerpt: e.excerpt,
            source: e.source,
            observed_on: e.observed_on,
            rationale: e.rationale,
            submitted_by: e.submitted_by,
            submitted_at: e.submitted_at,
            verification: e.verification,
            reviewed_by: e.reviewed_by,
            reviewed_at: e.reviewed_at,
            review_note: e.review_note,
            version: e.version,
            editors: e.editors,
            relevance: e.relevance,
            provenance: Provenance::from_json(e.provenance.as_ref()),
        }
    }
}

/// Evidence as its submitter describes it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kind": "statement", "title": "Forum held",
    "excerpt": "In May 2017, the first Belt and Road Forum ...", "source": "Belt and Road Portal",
    "observed_on": "2019-04-22", "rationale": "Shows the annual forum the item asks for"}))]
pub struct EvidenceRequest {
    pub kind: EvidenceKind,
    pub title: String,
    pub url: Option<String>,
    #[serde(default)]
    pub excerpt: String,
    #[serde(default)]
    pub source: String,
    pub observed_on: Option<NaiveDate>,
    #[serde(default)]
    pub rationale: String,
    /// What it shows (default `shows_progress`); `context` never verifies the item.
    #[serde(default)]
    pub relevance: Relevance,
}

/// A reviewer's verdict.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"decision": "accepted", "note": "Checked against the source"}))]
pub struct ReviewRequest {
    /// `accepted` or `rejected`.
    pub decision: Verification,
    /// Required when rejecting.
    pub note: Option<String>,
}

/// A comment.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommentResponse {
    pub id: Uuid,
    pub recommendation_id: Uuid,
    pub author_id: Option<Uuid>,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

impl From<Comment> for CommentResponse {
    fn from(c: Comment) -> Self {
        Self {
            id: c.id,
            recommendation_id: c.recommendation_id,
            author_id: c.author_id,
            body: c.body,
            created_at: c.created_at,
        }
    }
}

/// A new comment.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"body": "Site visit planned for March."}))]
pub struct CommentRequest {
    pub body: String,
}

/// One recorded change.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryEventResponse {
    pub seq: i32,
    /// `created`, `field_changed`, `transition`, `deadline_set`, `deadline_revised`,
    /// `owner_added`, `owner_changed`, `owner_removed`, `evidence_added`, `evidence_updated`,
    /// `evidence_reviewed`, `evidence_removed`, `comment_added`, ...
    pub kind: String,
    pub actor_kind: ActorKind,
    pub actor_id: Option<Uuid>,
    pub at: DateTime<Utc>,
    pub reason: Option<String>,
    pub field: Option<String>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    /// HMAC-SHA-256, under the service's history key, over this event as recorded and
    /// `prev_hash`.
    pub hash: String,
    pub prev_hash: String,
    /// Set when this event was recorded in an older shape of its kind: the `seq` of the
    /// `history_reshaped` event that gives `field`, `before` and `after` in the current shape
    /// (the hash covers the event as recorded, which that event keeps too).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reshaped_by: Option<i32>,
}

impl From<ShownEvent> for HistoryEventResponse {
    fn from(shown: ShownEvent) -> Self {
        let e = shown.event;
        Self {
            reshaped_by: shown.reshaped_by,
            seq: e.seq,
            kind: e.kind,
            actor_kind: e.actor_kind,
            actor_id: e.actor_id,
            at: e.at,
            reason: e.reason,
            field: e.field,
            before: e.before,
            after: e.after,
            hash: e.hash,
            prev_hash: e.prev_hash,
        }
    }
}

/// The result of checking an item's history.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryVerification {
    pub events: usize,
    /// True when every event matches its keyed hash and links to its predecessor, the chain
    /// ends at the head the item records, and replaying it gives the item's current response,
    /// status and due date.
    pub intact: bool,
    /// The first event that is broken or missing, if any.
    pub first_broken_seq: Option<i32>,
    /// What is wrong, one sentence each; empty when intact.
    pub problems: Vec<String>,
}

impl From<crate::domain::history::Verdict> for HistoryVerification {
    fn from(verdict: crate::domain::history::Verdict) -> Self {
        Self {
            events: verdict.events,
            intact: verdict.intact(),
            first_broken_seq: verdict.first_broken_seq,
            problems: verdict.problems.iter().map(ToString::to_string).collect(),
        }
    }
}
