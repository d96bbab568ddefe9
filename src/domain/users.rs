//! People: creating and changing accounts, and what a user sees of themselves.

use chrono::Utc;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use uuid::Uuid;

use super::auth::passwords;
use crate::db::enums::{DigestFrequency, Role, TeamRole};
use crate::db::models::{NewUser, Team, User, UserChangeset};
use crate::db::schema::{recommendation_owners, refresh_tokens, team_memberships, teams, users};
use crate::error::{Error, Result};

/// An email address, trimmed and lowercased so uniqueness is case-insensitive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// How addresses are compared and stored: trimmed and lowercased. Signing in looks an
    /// address up this way without refusing a malformed one (it simply matches nobody).
    pub fn normalised(raw: &str) -> String {
        raw.trim().to_lowercase()
    }

    /// Accepts `local@domain.tld` shapes of at most 254 characters, without spaces.
    pub fn parse(raw: &str) -> Result<Self> {
        let email = Self::normalised(raw);
        let bad = || Error::invalid("email", "must be an address like name@example.org");
        if email.len() > 254 || email.chars().any(char::is_whitespace) {
            return Err(bad());
        }
        let (local, domain) = email.split_once('@').ok_or_else(bad)?;
        if local.is_empty()
            || domain.contains('@')
            || !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
        {
            return Err(bad());
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A display name: 1 to 200 characters after trimming.
pub fn display_name(raw: &str) -> Result<String> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(Error::invalid(
            "display_name",
            "must be 1 to 200 characters",
        ));
    }
    Ok(name.to_owned())
}

/// What creating a user takes.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub email: Email,
    pub display_name: String,
    pub role: Role,
    pub password: Option<String>,
    pub is_demo: bool,
}

/// Creates a user (hashing the password: call on the blocking pool).
pub fn create(conn: &mut PgConnection, account: &NewAccount) -> Result<User> {
    let email = &account.email;
    let name = display_name(&account.display_name)?;
    let hash = account
        .password
        .as_deref()
        .map(passwords::hash)
        .transpose()?;
    diesel::insert_into(users::table)
        .values(NewUser {
            id: Uuid::new_v4(),
            email: email.as_str(),
            display_name: &name,
            role: account.role,
            password_hash: hash.as_deref(),
            is_demo: account.is_demo,
        })
        .returning(User::as_returning())
        .get_result(conn)
        .map_err(|e| match e {
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                Error::Conflict(format!("a user with email {} exists", email.as_str()))
            }
            other => other.into(),
        })
}

/// One user.
pub fn get(conn: &mut PgConnection, id: Uuid) -> Result<User> {
    Ok(users::table
        .find(id)
        .select(User::as_select())
        .first(conn)?)
}

/// Every user, by email.
pub fn list(conn: &mut PgConnection) -> Result<Vec<User>> {
    Ok(users::table
        .order(users::email.asc())
        .select(User::as_select())
        .load(conn)?)
}

/// What an admin may change about a user.
#[derive(Debug, Clone, Default)]
pub struct AccountChanges {
    pub display_name: Option<String>,
    pub role: Option<Role>,
    pub active: Option<bool>,
    pub password: Option<String>,
}

/// Applies `changes`. Deactivating a user signs out every session at once. A change that would
/// leave no active admin is refused (409): nobody could manage users or tokens any more.
pub fn update(conn: &mut PgConnection, id: Uuid, changes: &AccountChanges) -> Result<User> {
    let now = Utc::now();
    // Lock the active admins first, so two admins demoting each other at once serialise and
    // the second sees the first's change.
    let admins: Vec<Uuid> = users::table
        .filter(users::role.eq(Role::Admin))
        .filter(users::active.eq(true))
        .select(users::id)
        .for_update()
        .load(conn)?;
    let mut set = UserChangeset {
        updated_at: Some(now),
        role: changes.role,
        ..UserChangeset::default()
    };
    if let Some(name) = &changes.display_name {
        set.display_name = Some(display_name(name)?);
    }
    if let Some(active) = changes.active {
        set.active = Some(active);
        set.deactivated_at = Some((!active).then_some(now));
    }
    if let Some(password) = &changes.password {
        set.password_hash = Some(Some(passwords::hash(password)?));
    }
    let user = diesel::update(users::table.find(id))
        .set(&set)
        .returning(User::as_returning())
        .get_result(conn)?;
    let still_admin = user.role == Role::Admin && user.active;
    if admins.contains(&id) && !still_admin && admins.len() == 1 {
        return Err(Error::Conflict(
            "this is the last active admin; make someone else an admin first".into(),
        ));
    }
    if changes.active == Some(false) || changes.password.is_some() {
        diesel::update(
            refresh_tokens::table
                .filter(refresh_tokens::user_id.eq(id))
                .filter(refresh_tokens::revoked_at.is_null()),
        )
        .set(refresh_tokens::revoked_at.eq(now))
        .execute(conn)?;
        // The web pages' sessions end with the API's.
        diesel::update(
            crate::db::schema::web_sessions::table
                .filter(crate::db::schema::web_sessions::user_id.eq(id))
                .filter(crate::db::schema::web_sessions::revoked_at.is_null()),
        )
        .set(crate::db::schema::web_sessions::revoked_at.eq(now))
        .execute(conn)?;
    }
    if changes.active == Some(false) {
        // Feed URLs are credentials too: reactivating an account must not bring back URLs
        // that were copied into calendars while it was off.
        use crate::db::schema::feed_tokens;
        diesel::update(
            feed_tokens::table
                .filter(feed_tokens::user_id.eq(id))
                .filter(feed_tokens::revoked_at.is_null()),
        )
        .set(feed_tokens::revoked_at.eq(now))
        .execute(conn)?;
    }
    Ok(user)
}

/// A user as they see themselves.
#[derive(Debug, Clone)]
pub struct Profile {
    pub user: User,
    pub teams: Vec<(Team, TeamRole)>,
    /// Items owned by the user directly or through one of their teams.
    pub owned_items: i64,
}

/// The caller's profile.
pub fn profile(conn: &mut PgConnection, id: Uuid) -> Result<Profile> {
    let user = users::table
        .find(id)
        .select(User::as_select())
        .first(conn)?;
    let teams: Vec<(Team, TeamRole)> = team_memberships::table
        .inner_join(teams::table)
        .filter(team_memberships::user_id.eq(id))
        .order(teams::name.asc())
        .select((Team::as_select(), team_memberships::role))
        .load(conn)?;
    let team_ids: Vec<Uuid> = teams.iter().map(|(team, _)| team.id).collect();
    let owned_items = recommendation_owners::table
        .filter(
            recommendation_owners::user_id
                .eq(id)
                .or(recommendation_owners::team_id.eq_any(team_ids)),
        )
        .select(diesel::dsl::count(recommendation_owners::recommendation_id).aggregate_distinct())
        .first(conn)?;
    Ok(Profile {
        user,
        teams,
        owned_items,
    })
}

/// A user's digest frequency: chosen, and in effect (weekly for managers and admins, off for
/// everyone else, unless chosen).
pub fn digest_preference(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<(Option<DigestFrequency>, DigestFrequency)> {
    let (chosen, role): (Option<DigestFrequency>, Role) = users::table
        .find(id)
        .select((users::digest_frequency, users::role))
        .first(conn)?;
    Ok((chosen, effective_frequency(chosen, role)))
}

/// The frequency in effect for `role` when `chosen` is the user's choice.
pub fn effective_frequency(chosen: Option<DigestFrequency>, role: Role) -> DigestFrequency {
    chosen.unwrap_or(match role {
        Role::Admin | Role::Manager => DigestFrequency::Weekly,
        Role::Contributor | Role::Viewer => DigestFrequency::Off,
    })
}

/// [`effective_frequency`] in SQL, over a row of `users` (unqualified columns), for the
/// statements that choose digest recipients; a test keeps the two in agreement.
pub const SQL_EFFECTIVE_FREQUENCY: &str = "coalesce(digest_frequency::text, \
     CASE WHEN role IN ('admin', 'manager') THEN 'weekly' ELSE 'off' END)";

/// Sets (or with `None`, resets to the role's default) a user's digest frequency.
pub fn set_digest_preference(
    conn: &mut PgConnection,
    id: Uuid,
    chosen: Option<DigestFrequency>,
) -> Result<()> {
    diesel::update(users::table.find(id))
        .set((
            users::digest_frequency.eq(chosen),
            users::updated_at.eq(Utc::now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// The display names of `ids` (those that still exist).
pub fn names_of(
    conn: &mut PgConnection,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<std::collections::HashMap<Uuid, String>> {
    let mut ids: Vec<Uuid> = ids.into_iter().collect();
    ids.sort();
    ids.dedup();
    Ok(users::table
        .filter(users::id.eq_any(&ids))
        .select((users::id, users::display_name))
        .load::<(Uuid, String)>(conn)?
        .into_iter()
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised() {
        assert_eq!(
            Email::parse("  Ada@Example.ORG ").expect("valid").as_str(),
            "ada@example.org"
        );
    }

    #[test]
    fn malformed_emails_are_refused() {
        for bad in [
            "",
            "ada",
            "@example.org",
            "ada@",
            "ada@example",
            "a da@example.org",
            "a@b@c.org",
            "ada@.org",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn display_names_are_bounded() {
        assert!(display_name("  ").is_err());
        assert!(display_name(&"x".repeat(201)).is_err());
        assert_eq!(display_name(" Ada ").expect("valid"), "Ada");
    }

    #[test]
    fn the_sql_default_frequency_is_the_rust_one() {
        // The roles the SQL sends weekly digests by default, and its fallback.
        let sql = SQL_EFFECTIVE_FREQUENCY;
        let listed = sql
            .split("role IN (")
            .nth(1)
            .and_then(|rest| rest.split(')').next())
            .unwrap_or_default();
        for role in [Role::Admin, Role::Manager, Role::Contributor, Role::Viewer] {
            let weekly_in_sql = listed.contains(&format!("'{}'", role.as_str()));
            let weekly_in_rust = effective_frequency(None, role) == DigestFrequency::Weekly;
            assert_eq!(weekly_in_sql, weekly_in_rust, "{role:?}");
        }
        assert!(sql.contains("THEN 'weekly' ELSE 'off' END"));
        assert_eq!(
            effective_frequency(None, Role::Viewer),
            DigestFrequency::Off
        );
        assert_eq!(
            effective_frequency(Some(DigestFrequency::Daily), Role::Viewer),
            DigestFrequency::Daily
        );
    }
}
