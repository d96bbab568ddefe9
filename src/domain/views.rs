//! Saved views: a named list filter (any filter the list accepts, kept as its parameters), its
//! owner's, optionally shared with a team. Usable as `?view=<id>` wherever the list's filters
//! are. The criteria are checked by the caller before saving (the HTTP layer parses them as it
//! parses a list's query), so a stored view always applies.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde_json::Value;
use uuid::Uuid;

use crate::db::enums::Role;
use crate::db::schema::{saved_views as views, teams};
use crate::domain::auth::Principal;
use crate::domain::policy;
use crate::error::{Error, Result};

/// Views one person may own.
pub const MAX_VIEWS: i64 = 100;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = views)]
pub struct View {
    pub id: Uuid,
    pub name: String,
    pub owner_id: Uuid,
    pub team_id: Option<Uuid>,
    pub criteria: Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn may_read(conn: &mut PgConnection, who: &Principal, view: &View) -> Result<bool> {
    policy::may_use_view(conn, who, view.owner_id, view.team_id)
}

fn may_change(who: &Principal, view: &View) -> bool {
    policy::may_change_view(who, view.owner_id)
}

fn name(raw: &str) -> Result<String> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(Error::invalid("name", "must be 1 to 200 characters"));
    }
    Ok(name.to_owned())
}

/// A view may be shared with a team its owner belongs to (or any team, by a manager).
fn check_team(conn: &mut PgConnection, who: &Principal, team: Option<Uuid>) -> Result<()> {
    let (Some(team), Some(user)) = (team, who.user_id()) else {
        return Ok(());
    };
    let exists: i64 = teams::table.find(team).count().get_result(conn)?;
    if exists == 0 {
        return Err(Error::invalid("team_id", "names no team"));
    }
    if !who.role.at_least(Role::Manager) && !crate::domain::teams::is_member(conn, team, user)? {
        return Err(Error::Forbidden(
            "only members of a team (or managers) may share a view with it".into(),
        ));
    }
    Ok(())
}

/// Saves a view for the person `who`; `criteria` already checked.
pub fn create(
    conn: &mut PgConnection,
    who: &Principal,
    raw_name: &str,
    team: Option<Uuid>,
    criteria: Value,
) -> Result<View> {
    let owner = who
        .user_id()
        .ok_or_else(|| Error::Forbidden("views belong to people, not API tokens".into()))?;
    let name = name(raw_name)?;
    check_team(conn, who, team)?;
    crate::db::serialize_on(conn, &format!("views-of:{owner}"))?;
    let owned: i64 = views::table
        .filter(views::owner_id.eq(owner))
        .count()
        .get_result(conn)?;
    if owned >= MAX_VIEWS {
        return Err(Error::Conflict(format!(
            "at most {MAX_VIEWS} views per person; delete one first"
        )));
    }
    Ok(diesel::insert_into(views::table)
        .values((
            views::id.eq(Uuid::new_v4()),
            views::name.eq(&name),
            views::owner_id.eq(owner),
            views::team_id.eq(team),
            views::criteria.eq(criteria),
        ))
        .returning(View::as_returning())
        .get_result(conn)?)
}

/// The view `id` if `who` may use it; otherwise, as when there is none, `NotFound`.
pub fn get(conn: &mut PgConnection, who: &Principal, id: Uuid) -> Result<View> {
    let view: View = views::table
        .find(id)
        .select(View::as_select())
        .first(conn)?;
    if !may_read(conn, who, &view)? {
        return Err(Error::NotFound);
    }
    Ok(view)
}

/// The views `who` may use, by name.
pub fn list(conn: &mut PgConnection, who: &Principal) -> Result<Vec<View>> {
    let all: Vec<View> = views::table
        .order((views::name, views::id))
        .select(View::as_select())
        .load(conn)?;
    let mut out = Vec::new();
    for view in all {
        if may_read(conn, who, &view)? {
            out.push(view);
        }
    }
    Ok(out)
}

/// A change to a view; `None` leaves a field alone, `team: Some(None)` stops sharing it.
#[derive(Debug, Clone, Default)]
pub struct Patch {
    pub name: Option<String>,
    pub team: Option<Option<Uuid>>,
    pub criteria: Option<Value>,
}

pub fn update(conn: &mut PgConnection, who: &Principal, id: Uuid, patch: Patch) -> Result<View> {
    let view = get(conn, who, id)?;
    if !may_change(who, &view) {
        return Err(Error::Forbidden(
            "only its owner or an admin may change a view".into(),
        ));
    }
    let name = patch.name.as_deref().map(name).transpose()?;
    if let Some(team) = patch.team {
        check_team(conn, who, team)?;
    }
    Ok(diesel::update(views::table.find(id))
        .set((
            views::name.eq(name.unwrap_or(view.name)),
            views::team_id.eq(patch.team.unwrap_or(view.team_id)),
            views::criteria.eq(patch.criteria.unwrap_or(view.criteria)),
            views::updated_at.eq(Utc::now()),
        ))
        .returning(View::as_returning())
        .get_result(conn)?)
}

pub fn delete(conn: &mut PgConnection, who: &Principal, id: Uuid) -> Result<()> {
    let view = get(conn, who, id)?;
    if !may_change(who, &view) {
        return Err(Error::Forbidden(
            "only its owner or an admin may delete a view".into(),
        ));
    }
    diesel::delete(views::table.find(id)).execute(conn)?;
    Ok(())
}
