//! The demo accounts, teams and owners of `seeds/demo.toml`, loaded only into the private local
//! cluster.

use diesel::prelude::*;
use serde::Deserialize;
use uuid::Uuid;

use super::{Summary, item_id};
use crate::db::enums::{DigestFrequency, OwnerKind, Role, TeamRole};
use crate::db::schema::{recommendation_owners as owners, report_managers, reports, teams, users};
use crate::domain::history::Author;
use crate::domain::items::owners::OwnerRef;
use crate::domain::{items, teams as team_rules, users as user_rules};
use crate::error::{Error, Result};

/// `seeds/demo.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoFile {
    pub password: String,
    pub users: Vec<DemoUser>,
    #[serde(default)]
    pub teams: Vec<DemoTeam>,
    #[serde(default)]
    pub owners: Vec<DemoOwner>,
    /// Invented activity, played once on the first load (see `activity`).
    #[serde(default)]
    pub activity: Vec<super::activity::DemoActivity>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoUser {
    pub email: String,
    pub name: String,
    pub role: Role,
    #[serde(default)]
    pub manages_reports: Vec<String>,
    pub digest: Option<DigestFrequency>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoTeam {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub members: Vec<DemoMember>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoMember {
    pub email: String,
    pub role: TeamRole,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoOwner {
    pub recommendation: String,
    pub user: Option<String>,
    pub team: Option<String>,
    pub kind: OwnerKind,
}

/// Demo accounts, teams and owners are set up once: a user's preferences and managed reports when
/// the user is created, teams and owners on the first load. Later loads only add accounts that
/// are missing, so nothing a person changed since (a digest frequency, a team role, an owner
/// removed) is put back.
pub fn load(conn: &mut PgConnection, demo: &DemoFile, summary: &mut Summary) -> Result<()> {
    let first_load = !diesel::select(diesel::dsl::exists(
        users::table.filter(users::is_demo.eq(true)),
    ))
    .get_result::<bool>(conn)?;
    for user in &demo.users {
        let email = user_rules::Email::parse(&user.email)?;
        let id = match users::table
            .filter(users::email.eq(email.as_str()))
            .select(users::id)
            .first::<Uuid>(conn)
            .optional()?
        {
            Some(_) => continue,
            None => {
                summary.demo_users_created += 1;
                user_rules::create(
                    conn,
                    &user_rules::NewAccount {
                        email: email.clone(),
                        display_name: user.name.clone(),
                        role: user.role,
                        password: Some(demo.password.clone()),
                        is_demo: true,
                    },
                )?
                .id
            }
        };
        if user.digest.is_some() {
            diesel::update(users::table.find(id))
                .set(users::digest_frequency.eq(user.digest))
                .execute(conn)?;
        }
        for key in &user.manages_reports {
            let report: Uuid = reports::table
                .filter(reports::key.eq(key))
                .select(reports::id)
                .first(conn)?;
            diesel::insert_into(report_managers::table)
                .values((
                    report_managers::report_id.eq(report),
                    report_managers::user_id.eq(id),
                ))
                .on_conflict_do_nothing()
                .execute(conn)?;
        }
    }
    if !first_load {
        return Ok(());
    }
    for team in &demo.teams {
        let id = match teams::table
            .filter(teams::name.eq(&team.name))
            .select(teams::id)
            .first::<Uuid>(conn)
            .optional()?
        {
            Some(id) => id,
            None => team_rules::create(conn, &team.name, &team.description, true)?.id,
        };
        for member in &team.members {
            let user: Uuid = users::table
                .filter(users::email.eq(user_rules::Email::parse(&member.email)?.as_str()))
                .select(users::id)
                .first(conn)?;
            team_rules::put_member(conn, id, user, member.role)?;
        }
    }
    for owner in &demo.owners {
        let Some(item) = item_id(conn, &owner.recommendation)? else {
            continue;
        };
        let who = match (&owner.user, &owner.team) {
            (Some(email), None) => OwnerRef::User(
                users::table
                    .filter(users::email.eq(user_rules::Email::parse(email)?.as_str()))
                    .select(users::id)
                    .first::<Uuid>(conn)?,
            ),
            (None, Some(name)) => OwnerRef::Team(
                teams::table
                    .filter(teams::name.eq(name))
                    .select(teams::id)
                    .first::<Uuid>(conn)?,
            ),
            _ => {
                return Err(Error::invalid(
                    "owners",
                    "name exactly one of user and team",
                ));
            }
        };
        let (user, team) = match who {
            OwnerRef::User(user) => (Some(user), None),
            OwnerRef::Team(team) => (None, Some(team)),
        };
        let exists: bool = diesel::select(diesel::dsl::exists(
            owners::table
                .filter(owners::recommendation_id.eq(item))
                .filter(owners::user_id.is_not_distinct_from(user))
                .filter(owners::team_id.is_not_distinct_from(team)),
        ))
        .get_result(conn)?;
        if !exists {
            items::lock(conn, item)?;
            items::owners::assign(
                conn,
                item,
                who,
                owner.kind,
                Author::SYSTEM,
                Some("demo data".into()),
            )?;
        }
    }
    super::activity::invent(conn, &demo.activity)?;
    Ok(())
}
