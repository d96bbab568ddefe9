//! Due dates of items and of their targets, for calendars: the items a list filter matches
//! that have a due date or a dated target, soonest first.

use chrono::NaiveDate;
use diesel::prelude::*;
use uuid::Uuid;

use super::list::Filter;
use crate::config::StallRules;
use crate::db::enums::{Response, Status};
use crate::db::schema::{recommendations as recs, reports, targets};
use crate::error::Result;

/// One dated thing: an item's own due date, or one of its targets'.
#[derive(Debug, Clone)]
pub struct Dated {
    pub item: Uuid,
    pub key: String,
    pub title: String,
    pub report: String,
    pub response: Response,
    pub status: Status,
    pub due: NaiveDate,
    /// The target this date is of, with its text; `None` for the item's own due date.
    pub target: Option<(Uuid, String)>,
}

/// id, key, title, response, status, due date, report.
type Row = (
    Uuid,
    String,
    String,
    Response,
    Status,
    Option<NaiveDate>,
    Uuid,
);

/// Every due date of the items `filter` matches, at most `limit` items' worth.
pub fn dated(
    conn: &mut PgConnection,
    filter: &Filter,
    rules: &StallRules,
    limit: i64,
) -> Result<Vec<Dated>> {
    let with_targets = targets::table
        .filter(targets::due_date.is_not_null())
        .select(targets::recommendation_id);
    let rows: Vec<Row> = super::list::filtered(filter, rules)
        .filter(
            recs::due_date
                .is_not_null()
                .or(recs::id.eq_any(with_targets)),
        )
        .order((recs::due_date.asc().nulls_last(), recs::id))
        .limit(limit)
        .select((
            recs::id,
            recs::key,
            recs::title,
            recs::response,
            recs::status,
            recs::due_date,
            recs::report_id,
        ))
        .load(conn)?;
    let report_ids: Vec<Uuid> = rows.iter().map(|r| r.6).collect();
    let report_keys: std::collections::HashMap<Uuid, String> = reports::table
        .filter(reports::id.eq_any(&report_ids))
        .select((reports::id, reports::key))
        .load::<(Uuid, String)>(conn)?
        .into_iter()
        .collect();
    let ids: Vec<Uuid> = rows.iter().map(|r| r.0).collect();
    let dated_targets: Vec<(Uuid, Uuid, String, Option<NaiveDate>)> = targets::table
        .filter(targets::recommendation_id.eq_any(&ids))
        .filter(targets::due_date.is_not_null())
        .order((targets::recommendation_id, targets::ordinal))
        .select((
            targets::id,
            targets::recommendation_id,
            targets::text,
            targets::due_date,
        ))
        .load(conn)?;
    let mut out = Vec::new();
    for (id, key, title, response, status, due, report) in rows {
        let item = |due: NaiveDate, target: Option<(Uuid, String)>| Dated {
            item: id,
            key: key.clone(),
            title: title.clone(),
            report: report_keys.get(&report).cloned().unwrap_or_default(),
            response,
            status,
            due,
            target,
        };
        if let Some(due) = due {
            out.push(item(due, None));
        }
        for (target, _, text, due) in dated_targets.iter().filter(|t| t.1 == id) {
            if let Some(due) = due {
                out.push(item(*due, Some((*target, text.clone()))));
            }
        }
    }
    Ok(out)
}
