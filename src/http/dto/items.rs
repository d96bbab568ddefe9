use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::double_option;
pub use super::records::{
    CommentRequest, CommentResponse, EvidenceRequest, EvidenceResponse, HistoryEventResponse,
    HistoryVerification, ReviewRequest,
};
use crate::db::enums::{EvidenceStage, OwnerKind, Priority, Response, Status};
use crate::domain::items::{Item, Owner, list};
use crate::domain::provenance::Provenance;
use crate::domain::workflow::Axis;

/// An owner of an item: a user or a team.
#[derive(Debug, Serialize, ToSchema)]
pub struct OwnerResponse {
    pub kind: OwnerKind,
    pub user_id: Option<Uuid>,
    pub team_id: Option<Uuid>,
    /// The user's display name or the team's name.
    pub name: String,
}

impl From<Owner> for OwnerResponse {
    fn from(o: Owner) -> Self {
        Self {
            kind: o.kind,
            user_id: o.user_id,
            team_id: o.team_id,
            name: o.name,
        }
    }
}

/// A tracked recommendation.
#[derive(Debug, Serialize, ToSchema)]
// A real answer: the seeded item ccg-2017/10 as `cargo run -- serve` returns it.
#[schema(example = json!({
    "id": "4af1b6a9-b549-4ba8-93d4-bf6d3f0ed0bd",
    "key": "ccg-2017/10",
    "report_id": "4c187015-d1ca-4508-b630-d71b565adf40",
    "report_key": "ccg-2017",
    "ordinal": 10,
    "parent_id": null,
    "title": "Pushing forward green development on the route of B&R",
    "web_title": "Pushing forward B&R green development",
    "body": "Sustainable development and revival of the country is impossible using the conventional will of encouraging national growth at the expense of the environment. Therefore, participants of the initiative should champion and expand the Belt and Road spirit by supporting green and low carbon development. China ought to establish projects such as Green Industrial Park and Green Factory for the Belt and Road countries.",
    "source_ref": "001_12b2e1b71ed96538.txt 10)",
    "provenance": {
        "file": "001_12b2e1b71ed96538.txt",
        "start": 5449,
        "end": 5865,
        "sha256": "7a8f4fa1ab3609417e3a122c379ccc641fbbd08a0b964bcf09eafd47bcb157ce"
    },
    "source_assessment": "progress reported by Wenyang, High-quality Joint Construction of the Belt and Road (4), Party School of the CPC Central Committee [004_28d6732cc8b35764.txt], not independently verified",
    "themes": [
        "green"
    ],
    "priority": "medium",
    "progress_percent": 0,
    "progress_note": "",
    "due_date": null,
    "original_due_date": null,
    "response": "pending",
    "response_reason": null,
    "response_changed_at": null,
    "status": "not_started",
    "status_reason": null,
    "status_changed_at": "2026-12-03T06:59:33.103111Z",
    "evidence_stage": "claimed",
    "evidence_as_of": null,
    "owners": [
        {
            "kind": "responsible",
            "user_id": null,
            "team_id": "55420541-9eff-49b1-b021-d03ae11c5109",
            "name": "Green finance desk"
        }
    ],
    "stalled": false,
    "overdue": false,
    "idle_days": 0,
    "stall_rule": "pending",
    "stall_threshold_days": 30,
    "snoozed_until": null,
    "last_activity_at": "2026-12-03T06:59:33.103111Z",
    "created_at": "2026-12-03T06:59:33.103111Z",
    "updated_at": "2026-12-03T06:59:33.647833Z",
    "version": 3
}))]
pub struct RecommendationResponse {
    pub id: Uuid,
    /// Stable key, e.g. `ccg-2017/07`; sub-points add `.n`.
    pub key: String,
    pub report_id: Uuid,
    pub report_key: String,
    pub ordinal: i32,
    pub parent_id: Option<Uuid>,
    pub title: String,
    /// The same point's wording in another edition of the source, if there is one (e.g. the
    /// web summary of a report).
    pub web_title: Option<String>,
    /// The verbatim source text.
    pub body: String,
    /// Where in the source document the text comes from.
    pub source_ref: Option<String>,
    /// For seeded text, exactly where: the passage's character range and SHA-256.
    pub provenance: Option<Provenance>,
    /// What the evidence on it shows, in words, e.g. "progress reported by ..., not
    /// independently verified": derived, never more than the evidence supports.
    pub source_assessment: String,
    pub themes: Vec<String>,
    pub priority: Priority,
    pub progress_percent: i16,
    pub progress_note: String,
    pub due_date: Option<NaiveDate>,
    /// The first due date ever set: lateness can be shown against it and the revised one.
    pub original_due_date: Option<NaiveDate>,
    pub response: Response,
    pub response_reason: Option<String>,
    pub response_changed_at: Option<DateTime<Utc>>,
    pub status: Status,
    pub status_reason: Option<String>,
    pub status_changed_at: DateTime<Utc>,
    /// Derived from evidence, never set by hand.
    pub evidence_stage: EvidenceStage,
    /// Date of the newest accepted evidence.
    pub evidence_as_of: Option<NaiveDate>,
    pub owners: Vec<OwnerResponse>,
    /// No activity by a person for longer than the rule of its state allows.
    pub stalled: bool,
    /// Past its due date and not closed.
    pub overdue: bool,
    /// Whole days since the last activity by a person.
    pub idle_days: i64,
    /// The stall rule that applies where the item stands, and its threshold.
    pub stall_rule: String,
    pub stall_threshold_days: u32,
    pub snoozed_until: Option<NaiveDate>,
    pub last_activity_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The item's version; also its `ETag`. Send it as `If-Match` when changing the item.
    pub version: i32,
}

impl From<Item> for RecommendationResponse {
    fn from(item: Item) -> Self {
        let r = item.rec;
        Self {
            id: r.id,
            key: r.key,
            report_id: r.report_id,
            report_key: item.report_key,
            ordinal: r.ordinal,
            parent_id: r.parent_id,
            title: r.title,
            body: r.body,
            source_ref: r.source_ref,
            provenance: Provenance::from_json(r.provenance.as_ref()),
            source_assessment: item.source_assessment,
            web_title: r.web_title,
            themes: r.themes,
            priority: r.priority,
            progress_percent: r.progress_percent,
            progress_note: r.progress_note,
            due_date: r.due_date,
            original_due_date: r.original_due_date,
            response: r.response,
            response_reason: r.response_reason,
            response_changed_at: r.response_changed_at,
            status: r.status,
            status_reason: r.status_reason,
            status_changed_at: r.status_changed_at,
            evidence_stage: r.evidence_stage,
            evidence_as_of: r.evidence_as_of,
            owners: item.owners.into_iter().map(OwnerResponse::from).collect(),
            stalled: item.assessment.stalled,
            overdue: item.assessment.overdue,
            idle_days: item.assessment.idle_days,
            stall_rule: item.assessment.rule.to_owned(),
            stall_threshold_days: item.assessment.threshold_days,
            snoozed_until: r.snoozed_until,
            last_activity_at: r.last_activity_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
            version: r.version,
        }
    }
}

/// A page of items. The `Link` header carries the next page's URL; `X-Total-Count` and
/// `X-Total-Count-Kind` repeat `total` and `total_kind`.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecommendationPage {
    pub items: Vec<RecommendationResponse>,
    /// How many items match the filters, across all pages, counted as `total_kind` says;
    /// `null` when not counted.
    pub total: Option<i64>,
    pub total_kind: list::Count,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// Filters, order and page of an item list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Comma-separated statuses, e.g. `in_progress,blocked`.
    pub status: Option<String>,
    /// Comma-separated responses.
    pub response: Option<String>,
    /// A report's key (e.g. `ccg-2017`) or id.
    pub report: Option<String>,
    /// Items owned by this user, directly or through a team: `me`, an email address or a
    /// user id.
    pub owner: Option<String>,
    /// Items owned by this team: its name or id.
    pub team: Option<String>,
    pub theme: Option<String>,
    pub priority: Option<Priority>,
    /// Due strictly before this date.
    pub due_before: Option<NaiveDate>,
    /// Due strictly after this date.
    pub due_after: Option<NaiveDate>,
    pub stalled: Option<bool>,
    pub overdue: Option<bool>,
    /// Full-text search over title and body (web-search syntax: words, "phrases", -not).
    pub q: Option<String>,
    /// `ordinal` (default), `due_date` or `last_activity`; prefix `-` for descending.
    #[param(schema_with = crate::http::dto::sort_schema)]
    pub sort: Option<String>,
    /// Page size, 1-200 (default 50).
    #[param(schema_with = crate::http::dto::limit_schema)]
    pub limit: Option<i64>,
    /// From `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// A saved view's id: its filters apply, and any given here as well take their place.
    pub view: Option<Uuid>,
}

impl ListQuery {
    /// The filters and sort, without the page.
    pub fn criteria(&self) -> crate::domain::items::criteria::Criteria {
        crate::domain::items::criteria::Criteria {
            status: self.status.clone(),
            response: self.response.clone(),
            report: self.report.clone(),
            owner: self.owner.clone(),
            team: self.team.clone(),
            theme: self.theme.clone(),
            priority: self.priority,
            due_before: self.due_before,
            due_after: self.due_after,
            stalled: self.stalled,
            overdue: self.overdue,
            q: self.q.clone(),
            sort: self.sort.clone(),
        }
    }

    /// These parameters over a saved view's: each one given here wins.
    pub fn over(self, saved: ListQuery) -> ListQuery {
        ListQuery {
            status: self.status.or(saved.status),
            response: self.response.or(saved.response),
            report: self.report.or(saved.report),
            owner: self.owner.or(saved.owner),
            team: self.team.or(saved.team),
            theme: self.theme.or(saved.theme),
            priority: self.priority.or(saved.priority),
            due_before: self.due_before.or(saved.due_before),
            due_after: self.due_after.or(saved.due_after),
            stalled: self.stalled.or(saved.stalled),
            overdue: self.overdue.or(saved.overdue),
            q: self.q.or(saved.q),
            sort: self.sort.or(saved.sort),
            limit: self.limit,
            cursor: self.cursor,
            view: None,
        }
    }
}

/// How the caller wants a list counted (RFC 7240 `Prefer`; read by the handler, which ignores
/// other preferences and unknown values).
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Header)]
pub struct PreferCount {
    /// `count=exact` (every match counted), `count=planned` (the planner's estimate; the
    /// default) or `count=none`.
    #[param(rename = "Prefer")]
    pub prefer: Option<String>,
}

/// A new item.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"report_id": "4c187015-d1ca-4508-b630-d71b565adf40", "title": "Build joint laboratories",
                          "body": "Set up joint laboratories with partner universities.",
                          "themes": ["science"], "due_date": "2027-06-30"}))]
pub struct CreateRecommendationRequest {
    pub report_id: Uuid,
    /// Defaults to `<report key>/<ordinal>` (or `<parent key>.<ordinal>`).
    pub key: Option<String>,
    /// Defaults to the next free position among its siblings.
    pub ordinal: Option<i32>,
    pub parent_id: Option<Uuid>,
    pub title: String,
    #[serde(default)]
    pub body: String,
    /// Where in the source document the text comes from.
    pub source_ref: Option<String>,
    #[serde(default)]
    pub themes: Vec<String>,
    #[serde(default)]
    pub priority: Priority,
    pub due_date: Option<NaiveDate>,
}

/// Changes to an item. Absent fields stay; `null` clears. Contributors who own the item may
/// send only `progress_percent` and `progress_note`; managers anything.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"progress_percent": 40, "progress_note": "Two of five sites chosen"}))]
pub struct UpdateRecommendationRequest {
    pub title: Option<String>,
    pub body: Option<String>,
    pub themes: Option<Vec<String>>,
    pub priority: Option<Priority>,
    /// Setting the first due date needs no reason; moving or clearing it does.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<NaiveDate>)]
    pub due_date: Option<Option<NaiveDate>>,
    pub due_date_reason: Option<String>,
    #[schema(minimum = 0, maximum = 100)]
    pub progress_percent: Option<i16>,
    pub progress_note: Option<String>,
}

/// A move along one axis of the workflow.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"axis": "status", "to": "blocked", "reason": "Waiting for the budget"}))]
pub struct TransitionRequest {
    pub axis: Axis,
    /// A state of that axis (see `GET /api/v1/workflow`).
    pub to: String,
    /// Required for `noted`, `rejected`, `blocked`, `not_implemented` and `superseded`; at
    /// most 5,000 characters.
    #[schema(max_length = 5000)]
    pub reason: Option<String>,
}

/// How an owner relates to the item.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kind": "responsible"}))]
pub struct PutOwnerRequest {
    pub kind: OwnerKind,
}
