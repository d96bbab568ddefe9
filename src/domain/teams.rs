//! Teams and their members. Items can be owned by a team; team managers get its digests.

use chrono::Utc;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use uuid::Uuid;

use crate::db::enums::TeamRole;
use crate::db::models::{NewTeam, Team, TeamMembership, User};
use crate::db::schema::{team_memberships, teams, users};
use crate::error::{Error, Result};

/// A team with its members.
#[derive(Debug, Clone)]
pub struct TeamDetail {
    pub team: Team,
    pub members: Vec<(User, TeamRole)>,
}

fn team_name(raw: &str) -> Result<String> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(Error::invalid("name", "must be 1 to 200 characters"));
    }
    Ok(name.to_owned())
}

/// Creates a team; names are unique regardless of case.
pub fn create(
    conn: &mut PgConnection,
    name: &str,
    description: &str,
    is_demo: bool,
) -> Result<Team> {
    let name = team_name(name)?;
    if description.chars().count() > 2000 {
        return Err(Error::invalid(
            "description",
            "must be at most 2000 characters",
        ));
    }
    diesel::insert_into(teams::table)
        .values(NewTeam {
            id: Uuid::new_v4(),
            name: &name,
            description: description.trim(),
            is_demo,
        })
        .returning(Team::as_returning())
        .get_result(conn)
        .map_err(|e| match e {
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                Error::Conflict(format!("a team named {name} exists"))
            }
            other => other.into(),
        })
}

/// Every team, by name.
pub fn list(conn: &mut PgConnection) -> Result<Vec<Team>> {
    Ok(teams::table
        .order(teams::name.asc())
        .select(Team::as_select())
        .load(conn)?)
}

/// One team and its members.
pub fn get(conn: &mut PgConnection, id: Uuid) -> Result<TeamDetail> {
    let team = teams::table
        .find(id)
        .select(Team::as_select())
        .first(conn)?;
    let members = team_memberships::table
        .inner_join(users::table)
        .filter(team_memberships::team_id.eq(id))
        .order(users::email.asc())
        .select((User::as_select(), team_memberships::role))
        .load(conn)?;
    Ok(TeamDetail { team, members })
}

/// Adds `user` to `team`, or changes their role in it.
pub fn put_member(
    conn: &mut PgConnection,
    team: Uuid,
    user: Uuid,
    role: TeamRole,
) -> Result<TeamDetail> {
    teams::table
        .find(team)
        .select(teams::id)
        .first::<Uuid>(conn)?;
    let user_exists = users::table
        .find(user)
        .select(users::id)
        .first::<Uuid>(conn)
        .optional()?;
    if user_exists.is_none() {
        return Err(Error::invalid("user_id", "no such user"));
    }
    diesel::insert_into(team_memberships::table)
        .values(TeamMembership {
            team_id: team,
            user_id: user,
            role,
            created_at: Utc::now(),
        })
        .on_conflict((team_memberships::team_id, team_memberships::user_id))
        .do_update()
        .set(team_memberships::role.eq(role))
        .execute(conn)?;
    get(conn, team)
}

/// Removes `user` from `team`; 404 when they were not a member.
pub fn remove_member(conn: &mut PgConnection, team: Uuid, user: Uuid) -> Result<()> {
    let removed = diesel::delete(team_memberships::table.find((team, user))).execute(conn)?;
    if removed == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

/// Whether `user` is a member of `team`.
pub fn is_member(conn: &mut PgConnection, team: Uuid, user: Uuid) -> Result<bool> {
    Ok(team_memberships::table
        .find((team, user))
        .count()
        .get_result::<i64>(conn)?
        > 0)
}
