//! Filters name reports, people and teams the way users know them: a report by its key, a
//! person by email address (or `me`), a team by name; ids work too. A value that names nothing
//! is refused, naming the parameter, rather than answered with an empty list that looks like
//! "nothing matches".

use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::{reports, teams, users};
use crate::domain::users::Email;
use crate::error::{Error, Result};

/// The filter values as sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Named {
    /// A report id or key, e.g. `ccg-2017`.
    pub report: Option<String>,
    /// A user id, an email address, or `me`.
    pub owner: Option<String>,
    /// A team id or name.
    pub team: Option<String>,
}

/// The ids the filter values name.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Resolved {
    pub report: Option<Uuid>,
    pub owner: Option<Uuid>,
    pub team: Option<Uuid>,
}

/// What `owner=me` means for a caller: the person signed in; an API token is nobody's.
pub const ME: &str = "me";

impl Named {
    /// Whether the answer depends on who asks (`owner=me`), so a cache must not share it.
    pub fn depends_on_caller(&self) -> bool {
        self.owner.as_deref().map(str::trim) == Some(ME)
    }

    /// The ids named. Ids are taken as they are (no statement); keys, emails and names are
    /// looked up, one statement each. `caller` is the person asking, if a person is.
    pub fn resolve(&self, conn: &mut PgConnection, caller: Option<Uuid>) -> Result<Resolved> {
        Ok(Resolved {
            report: given(&self.report)
                .map(|raw| report(conn, raw))
                .transpose()?,
            owner: given(&self.owner)
                .map(|raw| owner(conn, raw, caller))
                .transpose()?,
            team: given(&self.team).map(|raw| team(conn, raw)).transpose()?,
        })
    }
}

fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

fn report(conn: &mut PgConnection, raw: &str) -> Result<Uuid> {
    if let Ok(id) = Uuid::parse_str(raw) {
        return Ok(id);
    }
    reports::table
        .filter(reports::key.eq(raw.to_lowercase()))
        .select(reports::id)
        .first(conn)
        .optional()?
        .ok_or_else(|| {
            Error::invalid(
                "report",
                format!("no report has the key `{raw}`; give a report's key or id"),
            )
        })
}

fn owner(conn: &mut PgConnection, raw: &str, caller: Option<Uuid>) -> Result<Uuid> {
    if raw == ME {
        return caller.ok_or_else(|| {
            Error::invalid(
                "owner",
                "`me` means the person signed in, and an API token is not a person",
            )
        });
    }
    if let Ok(id) = Uuid::parse_str(raw) {
        return Ok(id);
    }
    let unknown = || {
        Error::invalid(
            "owner",
            format!("no user has the address `{raw}`; give `me`, an email address or a user id"),
        )
    };
    let email = Email::parse(raw).map_err(|_| unknown())?;
    users::table
        // Addresses are stored normalised, but rows older than that rule may not be.
        .filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("lower(users.email) = ")
                .bind::<diesel::sql_types::Text, _>(email.as_str().to_owned()),
        )
        .select(users::id)
        .first(conn)
        .optional()?
        .ok_or_else(unknown)
}

fn team(conn: &mut PgConnection, raw: &str) -> Result<Uuid> {
    if let Ok(id) = Uuid::parse_str(raw) {
        return Ok(id);
    }
    teams::table
        .filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("lower(teams.name) = ")
                .bind::<diesel::sql_types::Text, _>(raw.to_lowercase()),
        )
        .select(teams::id)
        .first(conn)
        .optional()?
        .ok_or_else(|| {
            Error::invalid(
                "team",
                format!("no team is named `{raw}`; give a team's name or id"),
            )
        })
}
