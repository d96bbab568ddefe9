//! The events no single change makes: an item that stalls (no activity by a person past its
//! threshold) and one that passes its due date unfinished. Each stall spell (named by the
//! item's last activity) and each due date is announced once, whichever instance looks first:
//! `webhook_announcements` remembers what was, under the item's row lock of an upsert.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use crate::config::StallRules;
use crate::domain::stall;
use crate::error::Result;

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Queues up to `limit` of each kind not announced yet; how many were. Costs one cheap
/// statement when no enabled endpoint asks for either kind.
pub fn announce_due(conn: &mut PgConnection, rules: &StallRules, limit: i64) -> Result<i64> {
    #[derive(QueryableByName)]
    struct Wanted {
        #[diesel(sql_type = diesel::sql_types::Array<Text>)]
        types: Vec<String>,
    }
    let wanted: Wanted = diesel::sql_query(
        "SELECT ARRAY(SELECT DISTINCT t FROM webhook_endpoints e, unnest(e.event_types) t \
          WHERE e.enabled AND t IN ('item.stalled', 'item.overdue')) AS types",
    )
    .get_result(conn)?;
    let mut announced = 0;
    for kind in wanted.types {
        let (condition, marker, detail) = if kind == "item.stalled" {
            (
                stall::sql_stalled(rules),
                "extract(epoch FROM recommendations.last_activity_at)::text",
                format!(
                    "jsonb_build_object('last_activity_at', recommendations.last_activity_at, \
                     'threshold_days', {})",
                    stall::sql_threshold(rules)
                ),
            )
        } else {
            (
                stall::sql_overdue(),
                "(recommendations.due_date - DATE '2000-01-01')::text",
                "jsonb_build_object('due_date', recommendations.due_date)".to_owned(),
            )
        };
        let detail_key = if kind == "item.stalled" {
            "stall"
        } else {
            "overdue"
        };
        let sql = format!(
            "WITH due AS ( \
               SELECT recommendations.id, {marker} AS marker, {detail} AS detail \
                 FROM recommendations \
                WHERE {condition} AND NOT EXISTS ( \
                  SELECT 1 FROM webhook_announcements a \
                   WHERE a.recommendation_id = recommendations.id AND a.event_type = $1 \
                     AND a.marker = {marker}) \
                ORDER BY recommendations.id LIMIT $2 \
                FOR NO KEY UPDATE OF recommendations SKIP LOCKED), \
             marked AS ( \
               INSERT INTO webhook_announcements (recommendation_id, event_type, marker) \
               SELECT id, $1, marker FROM due \
               ON CONFLICT (recommendation_id, event_type) DO UPDATE SET marker = EXCLUDED.marker \
                 WHERE webhook_announcements.marker <> EXCLUDED.marker \
               RETURNING recommendation_id) \
             SELECT (count(*) FILTER (WHERE webhook_enqueue($1, due.id, jsonb_build_object( \
                      'type', $1, 'timestamp', now(), \
                      'data', jsonb_build_object('item', webhook_item(due.id), \
                                                 '{detail_key}', due.detail)))))::bigint AS n \
               FROM due JOIN marked ON marked.recommendation_id = due.id"
        );
        let count: Count = diesel::sql_query(sql)
            .bind::<Text, _>(&kind)
            .bind::<BigInt, _>(limit)
            .get_result(conn)?;
        announced += count.n;
    }
    Ok(announced)
}
