//! Figures for dashboards, each answered by one SQL statement whatever the data size: counts
//! now (overall and per report, theme or owner), status counts over time rebuilt from history,
//! and how long items take.

pub mod counts;
pub mod cycle;
pub mod timeline;

use diesel::pg::Pg;
use diesel::query_builder::BoxedSqlQuery;
use diesel::sql_types;
use uuid::Uuid;

/// Which items a figure covers. `None` does not filter.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub report_id: Option<Uuid>,
    pub theme: Option<String>,
    /// Items owned by this team.
    pub team: Option<Uuid>,
    /// Items owned by this user, directly or through a team.
    pub owner: Option<Uuid>,
}

enum Bind {
    Uuid(Uuid),
    Text(String),
}

/// A `WHERE` condition over `recommendations` with its parameters, numbered from `$1` so one
/// statement can repeat the condition without binding twice.
pub(crate) struct Condition {
    pub sql: String,
    binds: Vec<Bind>,
    /// The parameter holding the report id, when the scope names one.
    report: Option<String>,
}

impl Condition {
    pub(crate) fn of(scope: &Scope) -> Self {
        let mut parts = vec!["TRUE".to_owned()];
        let mut binds = Vec::new();
        let mut next = |bind: Bind| {
            binds.push(bind);
            format!("${}", binds.len())
        };
        let report = scope.report_id.map(|report| {
            let n = next(Bind::Uuid(report));
            parts.push(format!("recommendations.report_id = {n}"));
            n
        });
        if let Some(theme) = &scope.theme {
            let n = next(Bind::Text(theme.trim().to_lowercase()));
            parts.push(format!("recommendations.themes @> ARRAY[{n}::text]"));
        }
        if let Some(team) = scope.team {
            let n = next(Bind::Uuid(team));
            parts.push(format!(
                "recommendations.id IN (SELECT recommendation_id FROM recommendation_owners \
                 WHERE team_id = {n})"
            ));
        }
        if let Some(user) = scope.owner {
            let n = next(Bind::Uuid(user));
            parts.push(format!(
                "recommendations.id IN (SELECT recommendation_id FROM recommendation_owners \
                 WHERE user_id = {n} OR team_id IN \
                 (SELECT team_id FROM team_memberships WHERE user_id = {n}))"
            ));
        }
        Self {
            sql: parts.join(" AND "),
            binds,
            report,
        }
    }

    /// The placeholder (`$n`) bound to the scope's report id, if it names one.
    pub(crate) fn report_param(&self) -> Option<&str> {
        self.report.as_deref()
    }

    /// How many parameters the condition uses; further ones are numbered after these.
    pub(crate) fn len(&self) -> usize {
        self.binds.len()
    }

    /// `sql` as a statement with this condition's parameters bound.
    pub(crate) fn query(
        self,
        sql: String,
    ) -> BoxedSqlQuery<'static, Pg, diesel::query_builder::SqlQuery> {
        let mut query = diesel::sql_query(sql).into_boxed();
        for bind in self.binds {
            query = match bind {
                Bind::Uuid(id) => query.bind::<sql_types::Uuid, _>(id),
                Bind::Text(text) => query.bind::<sql_types::Text, _>(text),
            };
        }
        query
    }
}

/// The items in scope, as the CTE `scoped(id, created_at)`; `{cond}` is a [`Condition`].
pub(crate) fn scoped_cte(cond: &str) -> String {
    format!(
        "scoped AS (SELECT recommendations.id, recommendations.created_at \
         FROM recommendations WHERE {cond})"
    )
}

/// Each scoped item's status over time, as the CTE `changes(id, at, seq, status,
/// is_transition)`: `not_started` at creation, then every recorded status move or seeded state.
pub(crate) const STATUS_CHANGES_CTE: &str = "changes AS ( \
       SELECT s.id, s.created_at AS at, 0 AS seq, 'not_started'::text AS status, \
         false AS is_transition FROM scoped s \
       UNION ALL \
       SELECT h.recommendation_id, h.at, h.seq, \
         CASE WHEN h.kind = 'seeded_state' THEN h.after ->> 'status' ELSE h.after #>> '{}' END, \
         h.kind = 'transition' \
       FROM history_events h JOIN scoped s ON s.id = h.recommendation_id \
       WHERE (h.kind = 'transition' AND h.field = 'status') OR h.kind = 'seeded_state')";

/// The statuses, in workflow order, as SQL literals and names.
pub(crate) const STATUSES: [&str; 7] = [
    "not_started",
    "in_progress",
    "partially_implemented",
    "implemented",
    "blocked",
    "not_implemented",
    "superseded",
];
