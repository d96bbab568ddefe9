//! Recommendations as tracked items: reading them with their owners and assessment, the
//! ownership rule for changing them, and the bookkeeping every change shares.

pub mod acknowledge;
pub mod apply;
mod count;
pub mod criteria;
pub mod draft;
pub mod due;
pub mod edit;
mod export;
pub mod fields;
pub mod list;
pub mod owners;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Json, Text};
use uuid::Uuid;

use crate::config::StallRules;
use crate::db::enums::OwnerKind;
use crate::db::fragment::fragment;
use crate::db::models::Recommendation;
use crate::db::schema::{recommendation_owners as owner_rows, recommendations, teams, users};
use crate::domain::stall::{self, Assessment, Facts};
use crate::error::{Error, Result};

/// An owner of an item: a user or a team.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct Owner {
    pub kind: OwnerKind,
    pub user_id: Option<Uuid>,
    pub team_id: Option<Uuid>,
    pub name: String,
}

/// An item as the API shows it.
#[derive(Debug, Clone)]
pub struct Item {
    pub rec: Recommendation,
    pub report_key: String,
    pub owners: Vec<Owner>,
    pub assessment: Assessment,
    /// What the evidence on it shows, in words (see [`SQL_SOURCE_ASSESSMENT`]).
    pub source_assessment: String,
}

/// The id of the item with `key` (404 when none has it).
pub fn id_by_key(conn: &mut PgConnection, key: &str) -> Result<Uuid> {
    Ok(recommendations::table
        .filter(recommendations::key.eq(key))
        .select(recommendations::id)
        .first(conn)?)
}

/// Refuses (404) unless `id` is an item.
pub fn must_exist(conn: &mut PgConnection, id: Uuid) -> Result<()> {
    recommendations::table
        .find(id)
        .select(recommendations::id)
        .first::<Uuid>(conn)?;
    Ok(())
}

/// Locks the item's row for the rest of the transaction, so changes to one item serialise.
pub fn lock(conn: &mut PgConnection, id: Uuid) -> Result<Recommendation> {
    Ok(recommendations::table
        .find(id)
        .select(Recommendation::as_select())
        .for_update()
        .first(conn)?)
}

/// [`lock`], reading in the same statement what the item shows besides its row.
pub fn lock_shown(conn: &mut PgConnection, id: Uuid) -> Result<ItemRow> {
    Ok(recommendations::table
        .find(id)
        .select((Recommendation::as_select(), shown()))
        .for_update()
        .first(conn)?)
}

/// Refuses when `If-Match` named another version.
pub fn check_version(expected: Option<i32>, current: i32) -> Result<()> {
    match expected {
        Some(expected) if expected != current => {
            Err(Error::PreconditionFailed { expected, current })
        }
        _ => Ok(()),
    }
}

/// item, kind, user, team, user's name, team's name
type OwnerRow = (
    Uuid,
    OwnerKind,
    Option<Uuid>,
    Option<Uuid>,
    Option<String>,
    Option<String>,
);

/// The owners of each of `ids`, in one query.
pub fn owners_of(conn: &mut PgConnection, ids: &[Uuid]) -> Result<HashMap<Uuid, Vec<Owner>>> {
    let rows: Vec<OwnerRow> = owner_rows::table
        .left_join(users::table.on(owner_rows::user_id.eq(users::id.nullable())))
        .left_join(teams::table.on(owner_rows::team_id.eq(teams::id.nullable())))
        .filter(owner_rows::recommendation_id.eq_any(ids))
        .order((
            owner_rows::recommendation_id,
            owner_rows::created_at,
            owner_rows::id,
        ))
        .select((
            owner_rows::recommendation_id,
            owner_rows::kind,
            owner_rows::user_id,
            owner_rows::team_id,
            users::display_name.nullable(),
            teams::name.nullable(),
        ))
        .load(conn)?;
    let mut map: HashMap<Uuid, Vec<Owner>> = HashMap::new();
    for (item, kind, user_id, team_id, user_name, team_name) in rows {
        map.entry(item).or_default().push(Owner {
            kind,
            user_id,
            team_id,
            name: user_name.or(team_name).unwrap_or_default(),
        });
    }
    Ok(map)
}

/// What the evidence on an item shows, in words, derived in the item's own statement: the
/// product states what its sources support, never more (see `docs/SOURCES.md`).
pub const SQL_SOURCE_ASSESSMENT: &str = "(SELECT CASE \
     WHEN bool_or(e.verification = 'accepted' AND e.relevance = 'shows_implementation') \
       THEN 'implementation shown by evidence a reviewer accepted' \
     WHEN bool_or(e.verification = 'accepted' AND e.relevance = 'shows_progress') \
       THEN 'progress shown by evidence a reviewer accepted' \
     WHEN bool_or(e.verification = 'pending' AND e.relevance <> 'context') \
       THEN 'progress reported by ' || string_agg(DISTINCT e.source, '; ') FILTER \
            (WHERE e.verification = 'pending' AND e.relevance <> 'context') \
            || ', not independently verified' \
     WHEN count(*) > 0 THEN 'only background: no linked source shows it being done' \
     ELSE 'no evidence linked' END \
   FROM evidence e WHERE e.recommendation_id = recommendations.id)";

/// The owners of the item the statement reads, oldest first, as a JSON array of [`Owner`]s:
/// an item and its owners come back in one statement.
pub const SQL_OWNERS: &str = "(SELECT coalesce(json_agg(json_build_object(\
       'kind', o.kind, 'user_id', o.user_id, 'team_id', o.team_id, \
       'name', coalesce(u.display_name, t.name, '')) ORDER BY o.created_at, o.id), '[]'::json) \
   FROM recommendation_owners o \
   LEFT JOIN users u ON u.id = o.user_id LEFT JOIN teams t ON t.id = o.team_id \
   WHERE o.recommendation_id = recommendations.id)";

/// The report key of the item the statement reads, without joining reports (a join would
/// also lock the report's row in a `FOR UPDATE`).
pub const SQL_REPORT_KEY: &str =
    "(SELECT reports.key FROM reports WHERE reports.id = recommendations.report_id)";

fragment!(
    /// [`SQL_REPORT_KEY`], keeping the statement prepared.
    pub ReportKey: Text = SQL_REPORT_KEY
);
fragment!(
    /// [`SQL_SOURCE_ASSESSMENT`], keeping the statement prepared.
    pub SourceAssessment: Text = SQL_SOURCE_ASSESSMENT
);
fragment!(
    /// [`SQL_OWNERS`], keeping the statement prepared.
    pub Owners: Json = SQL_OWNERS
);

/// What a statement reads beside an item's row so the API can show it: its report's key, its
/// source assessment and its owners. One statement reads an item, or a page of them, whole.
pub type Shown = (ReportKey, SourceAssessment, Owners);

/// See [`Shown`].
pub fn shown() -> Shown {
    (ReportKey, SourceAssessment, Owners)
}

/// A row as items are read: the item, its report's key, its source assessment, its owners.
pub type ItemRow = (Recommendation, (String, String, serde_json::Value));

/// Builds an API item from its row.
pub fn assemble(row: ItemRow, rules: &StallRules, now: DateTime<Utc>) -> Result<Item> {
    let (rec, (report_key, source_assessment, owners)) = row;
    let owners: Vec<Owner> = serde_json::from_value(owners).map_err(Error::internal)?;
    let assessment = stall::assess(rules, Facts::of(&rec), now);
    Ok(Item {
        owners,
        rec,
        report_key,
        assessment,
        source_assessment,
    })
}

/// One item, in one statement.
pub fn get(conn: &mut PgConnection, id: Uuid, rules: &StallRules) -> Result<Item> {
    let row: ItemRow = recommendations::table
        .filter(recommendations::id.eq(id))
        .select((Recommendation::as_select(), shown()))
        .first(conn)?;
    assemble(row, rules, Utc::now())
}

/// Commits `change` (one change to one item, which answers the item's id) in a transaction of
/// its own, then reads the item back on the same connection, as it stands after the commit.
pub fn commit_then_get(
    conn: &mut PgConnection,
    change: impl FnOnce(&mut PgConnection) -> Result<Uuid>,
    rules: &StallRules,
) -> Result<Item> {
    let id = conn.transaction(change)?;
    get(conn, id, rules)
}
