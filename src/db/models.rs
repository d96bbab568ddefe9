//! Rows as diesel reads and writes them. Never sent on the wire: `http` has its own types.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::enums::{
    ActorKind, DigestFrequency, EvidenceKind, EvidenceStage, Priority, Relevance, Response, Role,
    Status, TeamRole, Verification,
};
use crate::db::schema::{
    api_tokens, comments, evidence, history_events, recommendations, refresh_tokens, reports,
    targets, team_memberships, teams, users,
};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users, check_for_backend(diesel::pg::Pg))]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub active: bool,
    pub password_hash: Option<String>,
    pub digest_frequency: Option<DigestFrequency>,
    pub is_demo: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
    pub deactivated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub id: Uuid,
    pub email: &'a str,
    pub display_name: &'a str,
    pub role: Role,
    pub password_hash: Option<&'a str>,
    pub is_demo: bool,
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = users)]
pub struct UserChangeset {
    pub display_name: Option<String>,
    pub role: Option<Role>,
    pub active: Option<bool>,
    pub deactivated_at: Option<Option<DateTime<Utc>>>,
    pub password_hash: Option<Option<String>>,
    pub digest_frequency: Option<Option<DigestFrequency>>,
    pub updated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = teams, check_for_backend(diesel::pg::Pg))]
pub struct Team {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub is_demo: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = teams)]
pub struct NewTeam<'a> {
    pub id: Uuid,
    pub name: &'a str,
    pub description: &'a str,
    pub is_demo: bool,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = team_memberships, check_for_backend(diesel::pg::Pg))]
pub struct TeamMembership {
    pub team_id: Uuid,
    pub user_id: Uuid,
    pub role: TeamRole,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = api_tokens, check_for_backend(diesel::pg::Pg))]
pub struct ApiToken {
    pub id: Uuid,
    pub name: String,
    pub role: Role,
    pub token_hash: String,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = api_tokens)]
pub struct NewApiToken<'a> {
    pub id: Uuid,
    pub name: &'a str,
    pub role: Role,
    pub token_hash: &'a str,
    pub created_by: Option<Uuid>,
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = refresh_tokens, check_for_backend(diesel::pg::Pg))]
pub struct RefreshToken {
    pub id: Uuid,
    pub user_id: Uuid,
    pub family_id: Uuid,
    pub token_hash: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = refresh_tokens)]
pub struct NewRefreshToken<'a> {
    pub id: Uuid,
    pub user_id: Uuid,
    pub family_id: Uuid,
    pub token_hash: &'a str,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = reports, check_for_backend(diesel::pg::Pg))]
pub struct Report {
    pub id: Uuid,
    pub key: String,
    pub title: String,
    pub alt_titles: Vec<String>,
    pub publisher: String,
    pub authors: Vec<String>,
    pub published_on: Option<NaiveDate>,
    pub source_url: Option<String>,
    pub source_file: Option<String>,
    pub language: String,
    pub summary: String,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
    /// How much of `published_on` the source gives: `day`, `month` or `year`.
    pub published_precision: Option<String>,
}

#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = reports)]
pub struct ReportFields {
    pub title: String,
    pub alt_titles: Vec<String>,
    pub publisher: String,
    pub authors: Vec<String>,
    pub published_on: Option<NaiveDate>,
    pub published_precision: Option<String>,
    pub source_url: Option<String>,
    pub source_file: Option<String>,
    pub language: String,
    pub summary: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = recommendations, check_for_backend(diesel::pg::Pg))]
pub struct Recommendation {
    pub id: Uuid,
    pub report_id: Uuid,
    pub key: String,
    pub ordinal: i32,
    pub parent_id: Option<Uuid>,
    pub title: String,
    pub body: String,
    pub source_ref: Option<String>,
    pub themes: Vec<String>,
    pub priority: Priority,
    pub progress_percent: i16,
    pub progress_note: String,
    pub due_date: Option<NaiveDate>,
    pub original_due_date: Option<NaiveDate>,
    pub response: Response,
    pub response_reason: Option<String>,
    pub response_changed_at: Option<DateTime<Utc>>,
    pub status: Status,
    pub status_reason: Option<String>,
    pub status_changed_at: DateTime<Utc>,
    pub evidence_stage: EvidenceStage,
    pub evidence_as_of: Option<NaiveDate>,
    pub snoozed_until: Option<NaiveDate>,
    pub snooze_reason: Option<String>,
    pub last_activity_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
    pub web_title: Option<String>,
    /// Where a seeded body is in its source: `{"file", "start", "end", "sha256"}`.
    pub provenance: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = recommendations)]
pub struct NewRecommendation {
    pub id: Uuid,
    pub report_id: Uuid,
    pub key: String,
    pub ordinal: i32,
    pub parent_id: Option<Uuid>,
    pub title: String,
    pub body: String,
    pub source_ref: Option<String>,
    pub themes: Vec<String>,
    pub priority: Priority,
    pub due_date: Option<NaiveDate>,
    pub original_due_date: Option<NaiveDate>,
    pub web_title: Option<String>,
    pub provenance: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = evidence, check_for_backend(diesel::pg::Pg))]
pub struct Evidence {
    pub id: Uuid,
    pub recommendation_id: Uuid,
    pub kind: EvidenceKind,
    pub title: String,
    pub url: Option<String>,
    pub excerpt: String,
    pub source: String,
    pub observed_on: Option<NaiveDate>,
    pub rationale: String,
    pub submitted_by: Option<Uuid>,
    pub submitted_at: DateTime<Utc>,
    pub verification: Verification,
    pub reviewed_by: Option<Uuid>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub review_note: Option<String>,
    pub version: i32,
    /// Everyone who submitted or edited any version; none of them may review it.
    pub editors: Vec<Uuid>,
    pub relevance: Relevance,
    pub seed_key: Option<String>,
    /// Where a seeded excerpt is in its source: `{"file", "start", "end", "sha256"}`.
    pub provenance: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = comments, check_for_backend(diesel::pg::Pg))]
pub struct Comment {
    pub id: Uuid,
    pub recommendation_id: Uuid,
    pub author_id: Option<Uuid>,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = history_events, check_for_backend(diesel::pg::Pg))]
pub struct HistoryEvent {
    pub id: i64,
    pub recommendation_id: Uuid,
    pub seq: i32,
    pub kind: String,
    pub actor_kind: ActorKind,
    pub actor_id: Option<Uuid>,
    pub at: DateTime<Utc>,
    pub reason: Option<String>,
    pub field: Option<String>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub prev_hash: String,
    pub hash: String,
    /// The key the hash was made with; `None` for plain SHA-256 events from before keyed hashes.
    pub key_id: Option<String>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = history_events)]
pub struct NewHistoryEvent {
    pub recommendation_id: Uuid,
    pub seq: i32,
    pub kind: String,
    pub actor_kind: ActorKind,
    pub actor_id: Option<Uuid>,
    pub at: DateTime<Utc>,
    pub reason: Option<String>,
    pub field: Option<String>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub prev_hash: String,
    pub hash: String,
    pub key_id: Option<String>,
}

/// A measurable commitment inside an item.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = targets, check_for_backend(diesel::pg::Pg))]
pub struct Target {
    pub id: Uuid,
    pub recommendation_id: Uuid,
    pub ordinal: i32,
    /// Verbatim from the source, e.g. "100,000 training sessions for partner countries".
    pub text: String,
    pub figure: Option<i64>,
    pub unit: Option<String>,
    pub due_date: Option<NaiveDate>,
    /// How much of `figure` is reported done.
    pub progress: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}
