//! How long items take: from agreeing to an item to implementing it, and how long items stay
//! in each status (a stay still going counts up to now).

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Nullable, Text};
use serde::Serialize;
use utoipa::ToSchema;

use super::{Condition, STATUS_CHANGES_CTE, STATUSES, Scope, scoped_cte};
use crate::error::Result;

/// The distribution of a duration, in days.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Durations {
    /// How many durations were measured.
    pub count: i64,
    pub median_days: Option<f64>,
    pub p90_days: Option<f64>,
    pub mean_days: Option<f64>,
}

/// Time spent in one status.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct StatusDurations {
    pub status: String,
    #[serde(flatten)]
    pub durations: Durations,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(example = json!({
    "accepted_to_implemented": {"count": 4, "median_days": 212.5, "p90_days": 380.1, "mean_days": 240.0},
    "time_in_status": [{"status": "in_progress", "count": 20, "median_days": 35.0, "p90_days": 90.2,
      "mean_days": 41.3}]
}))]
pub struct CycleTimes {
    /// From the first time the response became accepted (or accepted in principle) to the
    /// first time the status became implemented, over the items that got there.
    pub accepted_to_implemented: Durations,
    /// Every stay in each status, in workflow order.
    pub time_in_status: Vec<StatusDurations>,
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
    #[diesel(sql_type = Nullable<Double>)]
    median: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    p90: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    mean: Option<f64>,
}

/// Cycle times of the items in `scope`.
pub fn cycle_times(conn: &mut PgConnection, scope: &Scope) -> Result<CycleTimes> {
    let condition = Condition::of(scope);
    let sql = format!(
        "WITH {scoped}, \
         events AS (SELECT h.* FROM history_events h JOIN scoped s ON s.id = h.recommendation_id \
           WHERE (h.kind = 'transition' AND h.field IN ('status', 'response')) \
              OR h.kind = 'seeded_state'), \
         accepted AS (SELECT recommendation_id AS id, min(at) AS at FROM events \
           WHERE (field = 'response' AND after #>> '{{}}' IN ('accepted', 'accepted_in_principle')) \
              OR (kind = 'seeded_state' AND after ->> 'response' IN ('accepted', 'accepted_in_principle')) \
           GROUP BY 1), \
         implemented AS (SELECT recommendation_id AS id, min(at) AS at FROM events \
           WHERE (field = 'status' AND after #>> '{{}}' = 'implemented') \
              OR (kind = 'seeded_state' AND after ->> 'status' = 'implemented') \
           GROUP BY 1), \
         cycle AS (SELECT extract(epoch FROM i.at - a.at)::float8 / 86400 AS days \
           FROM accepted a JOIN implemented i USING (id) WHERE i.at >= a.at), \
         {STATUS_CHANGES_CTE}, \
         stays AS (SELECT status, extract(epoch FROM \
             coalesce(lead(at) OVER (PARTITION BY id ORDER BY at, seq), now()) - at)::float8 / 86400 \
             AS days FROM changes) \
         SELECT ''::text AS status, count(*) AS n, \
           percentile_cont(0.5) WITHIN GROUP (ORDER BY days) AS median, \
           percentile_cont(0.9) WITHIN GROUP (ORDER BY days) AS p90, avg(days) AS mean FROM cycle \
         UNION ALL \
         SELECT status, count(*), percentile_cont(0.5) WITHIN GROUP (ORDER BY days), \
           percentile_cont(0.9) WITHIN GROUP (ORDER BY days), avg(days) \
         FROM stays GROUP BY status",
        scoped = scoped_cte(&condition.sql),
    );
    let rows: Vec<Row> = condition.query(sql).load(conn)?;
    let durations = |row: Option<&Row>| Durations {
        count: row.map_or(0, |r| r.n),
        median_days: row.and_then(|r| r.median).map(round),
        p90_days: row.and_then(|r| r.p90).map(round),
        mean_days: row.and_then(|r| r.mean).map(round),
    };
    Ok(CycleTimes {
        accepted_to_implemented: durations(rows.iter().find(|r| r.status.is_empty())),
        time_in_status: STATUSES
            .iter()
            .map(|status| StatusDurations {
                status: (*status).to_owned(),
                durations: durations(rows.iter().find(|r| r.status == *status)),
            })
            .collect(),
    })
}

/// Days to a tenth: finer figures are noise on a dashboard.
fn round(days: f64) -> f64 {
    (days * 10.0).round() / 10.0
}
