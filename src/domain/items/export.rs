//! Exporting every item a list filter matches (the CSV export), streamed from one statement.

use chrono::Utc;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::Text;

use super::SQL_REPORT_KEY;
use super::list::{Filter, Sort, filtered, ordered};
use crate::config::StallRules;
use crate::db::models::Recommendation;
use crate::domain::stall;
use crate::error::Result;

/// One item of an export: its row, report key, owners' names joined by `; `, and assessment.
#[derive(Debug, Clone)]
pub struct ExportRow {
    pub rec: Recommendation,
    pub report_key: String,
    pub owners: String,
    /// Its targets, `text (due YYYY-MM-DD)`, joined by `; `.
    pub targets: String,
    pub assessment: stall::Assessment,
}

const OWNER_NAMES: &str = "(SELECT coalesce(string_agg(coalesce(u.display_name, t.name), '; ' \
     ORDER BY o.kind, coalesce(u.display_name, t.name)), '') \
     FROM recommendation_owners o LEFT JOIN users u ON u.id = o.user_id \
     LEFT JOIN teams t ON t.id = o.team_id WHERE o.recommendation_id = recommendations.id)";

const TARGET_TEXTS: &str = "(SELECT coalesce(string_agg(t.text \
     || coalesce(' (due ' || t.due_date::text || ')', ''), '; ' ORDER BY t.ordinal), '') \
     FROM targets t WHERE t.recommendation_id = recommendations.id)";

/// Every item matching `filter`, in `sort` order, handed to `each` as PostgreSQL sends it: one
/// statement whatever the size, and never more than one row in memory. Stops early when
/// `each` answers `false` (the client went away).
pub fn export(
    conn: &mut PgConnection,
    filter: &Filter,
    sort: Sort,
    rules: &StallRules,
    mut each: impl FnMut(ExportRow) -> bool,
) -> Result<()> {
    let now = Utc::now();
    let rows = ordered(filtered(filter, rules), sort)
        .select((
            Recommendation::as_select(),
            sql::<Text>(SQL_REPORT_KEY),
            sql::<Text>(OWNER_NAMES),
            sql::<Text>(TARGET_TEXTS),
        ))
        .load_iter::<(Recommendation, String, String, String), diesel::pg::PgRowByRowLoadingMode>(
            conn,
        )?;
    for row in rows {
        let (rec, report_key, owners, targets) = row?;
        let assessment = stall::assess(rules, stall::Facts::of(&rec), now);
        let more = each(ExportRow {
            rec,
            report_key,
            owners,
            targets,
            assessment,
        });
        if !more {
            break;
        }
    }
    Ok(())
}
