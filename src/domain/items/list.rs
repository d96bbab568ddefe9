//! Listing items for dashboards: filters, sorting, keyset pagination with an opaque cursor, and
//! the total counted as the caller chooses ([`Count`]). At most two statements whatever the
//! page size: the page with its owners, and the count (none when the page holds the whole list).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, NaiveDate, Utc};
use diesel::dsl::sql;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Date, Text, Timestamptz};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use super::count::Count;
pub use super::export::{ExportRow, export};
use super::{Item, assemble};
use crate::config::StallRules;
use crate::db::enums::{Priority, Response, Status};
use crate::db::models::Recommendation;
use crate::db::schema::{
    recommendation_owners as owners, recommendations as recs, team_memberships,
};
use crate::domain::stall;
use crate::error::{Error, Result};

/// Which items to list. Empty vectors and `None`s do not filter.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub statuses: Vec<Status>,
    pub responses: Vec<Response>,
    pub report_id: Option<Uuid>,
    /// Items owned by this user, directly or through a team.
    pub owner: Option<Uuid>,
    /// Items owned by this team.
    pub team: Option<Uuid>,
    pub theme: Option<String>,
    pub priority: Option<Priority>,
    pub due_before: Option<NaiveDate>,
    pub due_after: Option<NaiveDate>,
    pub stalled: Option<bool>,
    pub overdue: Option<bool>,
    /// Full-text search over title and body (web search syntax).
    pub q: Option<String>,
}

/// The orders a list can come in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    /// By key, i.e. by report and position in it.
    Ordinal,
    /// Soonest due first; items without a due date last.
    DueDate,
    LastActivity,
}

/// A sort key and direction, written `key` or `-key` on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub key: SortKey,
    pub descending: bool,
}

impl SortKey {
    pub const ALL: [Self; 3] = [Self::Ordinal, Self::DueDate, Self::LastActivity];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ordinal => "ordinal",
            Self::DueDate => "due_date",
            Self::LastActivity => "last_activity",
        }
    }
}

impl Sort {
    /// Parses `ordinal`, `due_date`, `last_activity`, each optionally prefixed with `-`.
    pub fn parse(raw: &str) -> Result<Self> {
        let (descending, name) = match raw.strip_prefix('-') {
            Some(name) => (true, name),
            None => (false, raw),
        };
        let key = SortKey::ALL
            .into_iter()
            .find(|key| key.as_str() == name)
            .ok_or_else(|| {
                Error::invalid(
                    "sort",
                    "use ordinal, due_date or last_activity, optionally with a leading -",
                )
            })?;
        Ok(Self { key, descending })
    }

    /// Every way `sort` may be written, as the API documents them.
    pub fn spellings() -> Vec<String> {
        SortKey::ALL
            .into_iter()
            .flat_map(|key| [false, true].map(|descending| Self { key, descending }.name()))
            .collect()
    }

    fn name(self) -> String {
        let key = self.key.as_str();
        if self.descending {
            format!("-{key}")
        } else {
            key.to_owned()
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Cursor {
    s: String,
    v: String,
    i: Uuid,
}

impl Cursor {
    fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    fn decode(raw: &str, sort: Sort) -> Result<Self> {
        let bad = || {
            Error::invalid(
                "cursor",
                "not a cursor from this list; start again without it",
            )
        };
        let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| bad())?;
        let cursor: Cursor = serde_json::from_slice(&bytes).map_err(|_| bad())?;
        // A NUL cannot reach PostgreSQL; a forged cursor is refused like any other bad one.
        if cursor.s != sort.name() || cursor.v.contains('\0') {
            return Err(bad());
        }
        Ok(cursor)
    }
}

/// One page of a list.
#[derive(Debug, Clone)]
pub struct Page {
    pub items: Vec<Item>,
    /// Matches, counted as `total_kind` says; absent when not counted.
    pub total: Option<i64>,
    /// How `total` was reached: a page that holds the whole list is counted exactly for free.
    pub total_kind: Count,
    pub next_cursor: Option<String>,
}

type Query<'a> = diesel::dsl::IntoBoxed<'a, recs::table, Pg>;

/// The ids of the items `filter` matches, at most `limit` (in no particular order).
pub fn matching_ids(
    conn: &mut PgConnection,
    filter: &Filter,
    rules: &StallRules,
    limit: i64,
) -> Result<Vec<Uuid>> {
    Ok(filtered(filter, rules)
        .select(recs::id)
        .limit(limit)
        .load(conn)?)
}

const DUE_KEY: &str = "coalesce(recommendations.due_date, DATE '9999-12-31')";

pub(super) fn filtered(filter: &Filter, rules: &StallRules) -> Query<'static> {
    let mut query: Query<'static> = recs::table.into_boxed();
    if !filter.statuses.is_empty() {
        query = query.filter(recs::status.eq_any(filter.statuses.clone()));
    }
    if !filter.responses.is_empty() {
        query = query.filter(recs::response.eq_any(filter.responses.clone()));
    }
    if let Some(report) = filter.report_id {
        query = query.filter(recs::report_id.eq(report));
    }
    if let Some(user) = filter.owner {
        let teams = team_memberships::table
            .filter(team_memberships::user_id.eq(user))
            .select(team_memberships::team_id.nullable());
        let owned = owners::table
            .filter(owners::user_id.eq(user).or(owners::team_id.eq_any(teams)))
            .select(owners::recommendation_id);
        query = query.filter(recs::id.eq_any(owned));
    }
    if let Some(team) = filter.team {
        let owned = owners::table
            .filter(owners::team_id.eq(team))
            .select(owners::recommendation_id);
        query = query.filter(recs::id.eq_any(owned));
    }
    if let Some(theme) = &filter.theme {
        query = query.filter(recs::themes.contains(vec![theme.trim().to_lowercase()]));
    }
    if let Some(priority) = filter.priority {
        query = query.filter(recs::priority.eq(priority));
    }
    if let Some(before) = filter.due_before {
        query = query.filter(recs::due_date.lt(before));
    }
    if let Some(after) = filter.due_after {
        query = query.filter(recs::due_date.gt(after));
    }
    if let Some(stalled) = filter.stalled {
        let expr = stall::sql_stalled(rules);
        query = query.filter(sql::<Bool>(&if stalled {
            expr
        } else {
            format!("NOT {expr}")
        }));
    }
    if let Some(overdue) = filter.overdue {
        let expr = stall::sql_overdue();
        // `NOT (x)` is NULL when there is no due date; such items are simply not overdue.
        query = query.filter(sql::<Bool>(&if overdue {
            expr
        } else {
            format!("({expr}) IS NOT TRUE")
        }));
    }
    if let Some(q) = filter.q.as_ref().filter(|q| !q.trim().is_empty()) {
        query = query.filter(
            sql::<Bool>("recommendations.search @@ websearch_to_tsquery('english', ")
                .bind::<Text, _>(q.trim().to_owned())
                .sql(")"),
        );
    }
    query
}

fn after_cursor(query: Query<'static>, sort: Sort, cursor: Cursor) -> Result<Query<'static>> {
    let op = if sort.descending { "<" } else { ">" };
    let bad = || {
        Error::invalid(
            "cursor",
            "not a cursor from this list; start again without it",
        )
    };
    Ok(match sort.key {
        SortKey::Ordinal => {
            if sort.descending {
                query.filter(recs::key.lt(cursor.v))
            } else {
                query.filter(recs::key.gt(cursor.v))
            }
        }
        SortKey::DueDate => {
            let date: NaiveDate = cursor.v.parse().map_err(|_| bad())?;
            crate::domain::dates::date("cursor", date)?;
            query.filter(
                sql::<Bool>(&format!("({DUE_KEY}, recommendations.id) {op} ("))
                    .bind::<Date, _>(date)
                    .sql(", ")
                    .bind::<diesel::sql_types::Uuid, _>(cursor.i)
                    .sql(")"),
            )
        }
        SortKey::LastActivity => {
            let at: DateTime<Utc> = cursor.v.parse().map_err(|_| bad())?;
            crate::domain::dates::time("cursor", at)?;
            query.filter(
                sql::<Bool>(&format!(
                    "(recommendations.last_activity_at, recommendations.id) {op} ("
                ))
                .bind::<Timestamptz, _>(at)
                .sql(", ")
                .bind::<diesel::sql_types::Uuid, _>(cursor.i)
                .sql(")"),
            )
        }
    })
}

pub(super) fn ordered(query: Query<'static>, sort: Sort) -> Query<'static> {
    match (sort.key, sort.descending) {
        (SortKey::Ordinal, false) => query.order(recs::key.asc()),
        (SortKey::Ordinal, true) => query.order(recs::key.desc()),
        (SortKey::DueDate, false) => query.order((sql::<Date>(DUE_KEY).asc(), recs::id.asc())),
        (SortKey::DueDate, true) => query.order((sql::<Date>(DUE_KEY).desc(), recs::id.desc())),
        (SortKey::LastActivity, false) => {
            query.order((recs::last_activity_at.asc(), recs::id.asc()))
        }
        (SortKey::LastActivity, true) => {
            query.order((recs::last_activity_at.desc(), recs::id.desc()))
        }
    }
}

fn cursor_after(item: &Recommendation, sort: Sort) -> Cursor {
    let v = match sort.key {
        SortKey::Ordinal => item.key.clone(),
        SortKey::DueDate => item
            .due_date
            .map_or_else(|| "9999-12-31".to_owned(), |d| d.to_string()),
        SortKey::LastActivity => item
            .last_activity_at
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
    };
    Cursor {
        s: sort.name(),
        v,
        i: item.id,
    }
}

/// The page size a caller may ask for.
pub const LIMITS: std::ops::RangeInclusive<i64> = 1..=200;
/// The page size when none is asked for.
pub const DEFAULT_LIMIT: i64 = 50;

/// Refuses a page size outside [`LIMITS`], also where no page is made (an export), so that the
/// same request is refused the same way everywhere.
pub fn check_limit(limit: i64) -> Result<()> {
    if LIMITS.contains(&limit) {
        Ok(())
    } else {
        Err(Error::invalid("limit", "must be between 1 and 200"))
    }
}

/// A page of at most `limit` items matching `filter`, after `cursor`, with the total counted as
/// `count` says.
pub fn list(
    conn: &mut PgConnection,
    filter: &Filter,
    sort: Sort,
    limit: i64,
    cursor: Option<&str>,
    count: Count,
    rules: &StallRules,
) -> Result<Page> {
    check_limit(limit)?;
    let cursor = cursor.map(|raw| Cursor::decode(raw, sort)).transpose()?;
    let from_start = cursor.is_none();
    let mut query = filtered(filter, rules);
    if let Some(cursor) = cursor {
        query = after_cursor(query, sort, cursor)?;
    }
    let mut rows: Vec<super::ItemRow> = ordered(query, sort)
        .select((Recommendation::as_select(), super::shown()))
        .limit(limit + 1)
        .load(conn)?;
    let more = rows.len() > usize::try_from(limit).unwrap_or(usize::MAX);
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let seen = i64::try_from(rows.len()).unwrap_or(i64::MAX) + i64::from(more);
    let (total, total_kind) = match count {
        Count::None => (None, Count::None),
        _ if from_start && !more => (Some(seen), Count::Exact),
        Count::Exact => (
            Some(filtered(filter, rules).count().get_result::<i64>(conn)?),
            Count::Exact,
        ),
        Count::Planned => {
            let matches = filtered(filter, rules).select(sql::<diesel::sql_types::Integer>("1"));
            let estimate = crate::db::explain::estimated_rows(conn, matches)?;
            // A first page has seen some matches for certain; no estimate may be below them.
            let floor = if from_start { seen } else { 0 };
            (Some(estimate.max(floor)), Count::Planned)
        }
    };
    let next_cursor = more
        .then(|| rows.last().map(|(rec, _)| cursor_after(rec, sort).encode()))
        .flatten();
    Ok(Page {
        items: {
            let now = chrono::Utc::now();
            rows.into_iter()
                .map(|row| assemble(row, rules, now))
                .collect::<Result<_>>()?
        },
        total,
        total_kind,
        next_cursor,
    })
}
