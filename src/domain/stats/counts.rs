//! Counts of items as they stand now, overall or per group, with the item stalled longest.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamptz};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Condition, STATUSES, Scope};
use crate::config::StallRules;
use crate::domain::stall;
use crate::error::Result;

/// Items per status.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct StatusCounts {
    pub not_started: i64,
    pub in_progress: i64,
    pub partially_implemented: i64,
    pub implemented: i64,
    pub blocked: i64,
    pub not_implemented: i64,
    pub superseded: i64,
}

/// The item that has waited longest among a group's stalled ones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct OldestStalled {
    pub id: Uuid,
    pub key: String,
    pub title: String,
    pub last_activity_at: DateTime<Utc>,
}

/// The figures of a set of items.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(example = json!({
    "total": 55, "by_status": {"not_started": 31, "in_progress": 20, "partially_implemented": 4,
    "implemented": 0, "blocked": 0, "not_implemented": 0, "superseded": 0},
    "awaiting_response": 31, "stalled": 12, "overdue": 1, "implemented_share": 0.0,
    "evidence_pending_review": 2, "targets_overdue": 1,
    "oldest_stalled": {"id": "0b7f1e0e-5f7a-4c53-9d8e-3f1f4a0c2b11", "key": "ccg-2017/03",
    "title": "Forming a B&R agency affiliated to UN to strengthen the coordination with existing UN organizations", "last_activity_at": "2026-08-01T09:00:00Z"}
}))]
pub struct Counts {
    pub total: i64,
    pub by_status: StatusCounts,
    /// Items whose response is still `pending`.
    pub awaiting_response: i64,
    pub stalled: i64,
    pub overdue: i64,
    /// Implemented items as a share of all items, 0 to 1 (0 when there are none).
    pub implemented_share: f64,
    /// Evidence on these items that nobody has reviewed yet.
    pub evidence_pending_review: i64,
    /// Targets of these items past their due date with their figure not reached.
    pub targets_overdue: i64,
    pub oldest_stalled: Option<OldestStalled>,
}

/// One group's figures: a report, a theme, or an owner (user or team).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(example = json!({
    "key": "ccg-2017", "label": "Solutions and Approaches to Int'l Win-Win Cooperation on B&R Initiative",
    "id": "f2bee099-b39a-44a5-9d7f-c0dba7b30021", "kind": "report", "total": 20,
    "by_status": {"not_started": 10, "in_progress": 7, "partially_implemented": 3,
    "implemented": 0, "blocked": 0, "not_implemented": 0, "superseded": 0},
    "awaiting_response": 10, "stalled": 2, "overdue": 0, "implemented_share": 0.0,
    "evidence_pending_review": 1, "targets_overdue": 0,
    "oldest_stalled": {"id": "0b7f1e0e-5f7a-4c53-9d8e-3f1f4a0c2b11", "key": "ccg-2017/03",
    "title": "Forming a B&R agency affiliated to UN to strengthen the coordination with existing UN organizations", "last_activity_at": "2026-08-01T09:00:00Z"}
}))]
pub struct Group {
    /// Report key, theme, or `user:<id>` / `team:<id>`; empty for items with no theme, and
    /// `unowned` for items with no owner.
    pub key: String,
    /// Report title, theme, or the user's or team's name.
    pub label: String,
    /// The report's, user's or team's id.
    pub id: Option<Uuid>,
    /// `report`, `theme`, `user`, `team` or `unowned`.
    #[schema(schema_with = group_kind_schema)]
    pub kind: String,
    #[serde(flatten)]
    pub counts: Counts,
}

/// The kinds the grouping queries below write into `group_kind`.
fn group_kind_schema() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::String)
        .enum_values(Some(["report", "theme", "user", "team", "unowned"]))
        .build()
}

/// How to split items into groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grouping {
    Report,
    Theme,
    /// An item with several owners counts once for each of them.
    Owner,
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Text)]
    group_key: String,
    #[diesel(sql_type = Text)]
    label: String,
    #[diesel(sql_type = Nullable<diesel::sql_types::Uuid>)]
    group_id: Option<Uuid>,
    #[diesel(sql_type = Text)]
    group_kind: String,
    #[diesel(sql_type = BigInt)]
    total: i64,
    #[diesel(sql_type = BigInt)]
    not_started: i64,
    #[diesel(sql_type = BigInt)]
    in_progress: i64,
    #[diesel(sql_type = BigInt)]
    partially_implemented: i64,
    #[diesel(sql_type = BigInt)]
    implemented: i64,
    #[diesel(sql_type = BigInt)]
    blocked: i64,
    #[diesel(sql_type = BigInt)]
    not_implemented: i64,
    #[diesel(sql_type = BigInt)]
    superseded: i64,
    #[diesel(sql_type = BigInt)]
    awaiting_response: i64,
    #[diesel(sql_type = BigInt)]
    stalled: i64,
    #[diesel(sql_type = BigInt)]
    overdue: i64,
    #[diesel(sql_type = BigInt)]
    evidence_pending: i64,
    #[diesel(sql_type = BigInt)]
    targets_overdue: i64,
    #[diesel(sql_type = Nullable<diesel::sql_types::Uuid>)]
    oldest_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Text>)]
    oldest_key: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    oldest_title: Option<String>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    oldest_last_activity_at: Option<DateTime<Utc>>,
}

impl From<Row> for Group {
    fn from(r: Row) -> Self {
        let oldest_stalled = match (r.oldest_id, r.oldest_key, r.oldest_title) {
            (Some(id), Some(key), Some(title)) => {
                r.oldest_last_activity_at.map(|at| OldestStalled {
                    id,
                    key,
                    title,
                    last_activity_at: at,
                })
            }
            _ => None,
        };
        #[allow(clippy::cast_precision_loss)]
        let implemented_share = if r.total > 0 {
            r.implemented as f64 / r.total as f64
        } else {
            0.0
        };
        Group {
            key: r.group_key,
            label: r.label,
            id: r.group_id,
            kind: r.group_kind,
            counts: Counts {
                total: r.total,
                by_status: StatusCounts {
                    not_started: r.not_started,
                    in_progress: r.in_progress,
                    partially_implemented: r.partially_implemented,
                    implemented: r.implemented,
                    blocked: r.blocked,
                    not_implemented: r.not_implemented,
                    superseded: r.superseded,
                },
                awaiting_response: r.awaiting_response,
                stalled: r.stalled,
                overdue: r.overdue,
                implemented_share,
                evidence_pending_review: r.evidence_pending,
                targets_overdue: r.targets_overdue,
                oldest_stalled,
            },
        }
    }
}

/// The aggregate columns, over rows whose status, response and stall flags are named as given.
fn aggregates(prefix: &str, stalled: &str, overdue: &str) -> String {
    let mut columns = vec!["count(*) AS total".to_owned()];
    for status in STATUSES {
        columns.push(format!(
            "count(*) FILTER (WHERE {prefix}status = '{status}') AS {status}"
        ));
    }
    columns.push(format!(
        "count(*) FILTER (WHERE {prefix}response = 'pending') AS awaiting_response"
    ));
    columns.push(format!("count(*) FILTER (WHERE {stalled}) AS stalled"));
    columns.push(format!("count(*) FILTER (WHERE {overdue}) AS overdue"));
    columns.join(", ")
}

/// The figures of every item in `scope`.
pub fn summary(conn: &mut PgConnection, scope: &Scope, rules: &StallRules) -> Result<Counts> {
    let condition = Condition::of(scope);
    let cond = &condition.sql;
    let stalled = stall::sql_stalled(rules);
    // Unscoped, the pending evidence is counted from its partial index alone.
    let evidence_scope = if condition.len() == 0 {
        String::new()
    } else {
        format!(
            "AND evidence.recommendation_id IN (SELECT recommendations.id FROM recommendations \
             WHERE {cond})"
        )
    };
    let sql = format!(
        "SELECT ''::text AS group_key, ''::text AS label, NULL::uuid AS group_id, \
           'all'::text AS group_kind, c.*, \
           (SELECT count(*) FROM evidence WHERE evidence.verification = 'pending' \
              {evidence_scope}) AS evidence_pending, \
           (SELECT count(*) FROM targets t WHERE {late} AND t.recommendation_id IN \
              (SELECT recommendations.id FROM recommendations WHERE {cond})) AS targets_overdue, \
           o.id AS oldest_id, o.key AS oldest_key, o.title AS oldest_title, \
           o.last_activity_at AS oldest_last_activity_at \
         FROM (SELECT {aggregates} FROM recommendations WHERE {cond}) c \
         LEFT JOIN LATERAL (SELECT id, key, title, last_activity_at FROM recommendations \
           WHERE {cond} AND {stalled} ORDER BY last_activity_at, id LIMIT 1) o ON TRUE",
        aggregates = aggregates("recommendations.", &stalled, &stall::sql_overdue()),
        late = stall::sql_target_late(),
    );
    let row: Row = condition.query(sql).get_result(conn)?;
    Ok(Group::from(row).counts)
}

/// The reports in scope with no item in it, as rows of zeros to add to the groups: a dashboard
/// lists every report, also one whose items are still to be imported.
fn empty_reports(condition: &Condition) -> String {
    let zeros = vec!["0::bigint"; 3 + STATUSES.len() + 3].join(", ");
    let only = condition
        .report_param()
        .map_or_else(String::new, |p| format!("AND reports.id = {p}"));
    format!(
        "UNION ALL SELECT reports.key, reports.title, reports.id, 'report', {zeros}, \
           NULL::uuid, NULL::text, NULL::text, NULL::timestamptz \
         FROM reports WHERE NOT EXISTS (SELECT 1 FROM counts WHERE counts.group_id = reports.id) \
           {only}"
    )
}

/// The figures of the items in `scope`, per group, ordered by label (per report: every report,
/// those without items in scope with zeros).
pub fn grouped(
    conn: &mut PgConnection,
    scope: &Scope,
    grouping: Grouping,
    rules: &StallRules,
) -> Result<Vec<Group>> {
    let (key, label, id, kind, joins) = match grouping {
        Grouping::Report => (
            "reports.key",
            "reports.title",
            "reports.id",
            "'report'",
            "JOIN reports ON reports.id = recommendations.report_id",
        ),
        Grouping::Theme => (
            "coalesce(theme.name, '')",
            "coalesce(theme.name, '(no theme)')",
            "NULL::uuid",
            "'theme'",
            "CROSS JOIN LATERAL unnest(CASE WHEN cardinality(recommendations.themes) = 0 \
             THEN ARRAY[NULL::text] ELSE recommendations.themes END) AS theme(name)",
        ),
        Grouping::Owner => (
            "CASE WHEN o.user_id IS NOT NULL THEN 'user:' || o.user_id \
                  WHEN o.team_id IS NOT NULL THEN 'team:' || o.team_id ELSE 'unowned' END",
            "coalesce(ou.display_name, ot.name, '(no owner)')",
            "coalesce(o.user_id, o.team_id)",
            "CASE WHEN o.user_id IS NOT NULL THEN 'user' \
                  WHEN o.team_id IS NOT NULL THEN 'team' ELSE 'unowned' END",
            "LEFT JOIN recommendation_owners o ON o.recommendation_id = recommendations.id \
             LEFT JOIN users ou ON ou.id = o.user_id LEFT JOIN teams ot ON ot.id = o.team_id",
        ),
    };
    let condition = Condition::of(scope);
    let sql = format!(
        "WITH g AS ( \
           SELECT {key} AS group_key, {label} AS label, {id} AS group_id, {kind} AS group_kind, \
             recommendations.id, recommendations.key, recommendations.title, \
             recommendations.status, recommendations.response, recommendations.last_activity_at, \
             {stalled} AS is_stalled, coalesce({overdue}, false) AS is_overdue \
           FROM recommendations {joins} WHERE {cond}), \
         counts AS ( \
           SELECT group_key, min(label) AS label, (array_agg(group_id))[1] AS group_id, \
             min(group_kind) AS group_kind, {aggregates} FROM g GROUP BY group_key), \
         oldest AS ( \
           SELECT DISTINCT ON (group_key) group_key, id, key, title, last_activity_at \
           FROM g WHERE is_stalled ORDER BY group_key, last_activity_at, id), \
         pending AS ( \
           SELECT g.group_key, count(*) AS n FROM g JOIN evidence \
             ON evidence.recommendation_id = g.id AND evidence.verification = 'pending' \
           GROUP BY g.group_key), \
         late AS ( \
           SELECT g.group_key, count(*) AS n FROM g JOIN targets t \
             ON t.recommendation_id = g.id AND {late} GROUP BY g.group_key) \
         SELECT * FROM ( \
           SELECT counts.*, coalesce(pending.n, 0) AS evidence_pending, \
             coalesce(late.n, 0) AS targets_overdue, \
             oldest.id AS oldest_id, oldest.key AS oldest_key, oldest.title AS oldest_title, \
             oldest.last_activity_at AS oldest_last_activity_at \
           FROM counts LEFT JOIN oldest USING (group_key) LEFT JOIN pending USING (group_key) \
             LEFT JOIN late USING (group_key) {empty}) groups \
         ORDER BY label, group_key",
        stalled = stall::sql_stalled(rules),
        overdue = stall::sql_overdue(),
        cond = condition.sql,
        aggregates = aggregates("", "is_stalled", "is_overdue"),
        late = stall::sql_target_late(),
        empty = if grouping == Grouping::Report {
            empty_reports(&condition)
        } else {
            String::new()
        },
    );
    let rows: Vec<Row> = condition.query(sql).load(conn)?;
    Ok(rows.into_iter().map(Group::from).collect())
}
