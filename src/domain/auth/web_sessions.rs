//! Sign-ins to the web pages. The browser holds a random secret in an `HttpOnly` cookie; the
//! database holds only its SHA-256, the user, the expiry and the session's CSRF token. Every
//! request reads the session with the user's current role and active flag, so a deactivated
//! account or a role change applies at once, as it does for API tokens.

use chrono::{Duration, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::secrets;
use super::{Actor, Principal, Role};
use crate::db::schema::{users, web_sessions};
use crate::error::Result;

/// The prefix of a web session's secret, so a leaked one is recognisable.
const PREFIX: &str = "rtw_";

/// A signed-in browser.
#[derive(Debug, Clone)]
pub struct WebSession {
    pub id: Uuid,
    pub user: Uuid,
    pub role: Role,
    pub display_name: String,
    /// Every form of this session carries it; a POST without it is refused.
    pub csrf: String,
}

impl WebSession {
    /// The caller the domain sees: the same as an API sign-in of this user.
    pub fn principal(&self) -> Principal {
        Principal {
            actor: Actor::User {
                id: self.user,
                session: self.id,
            },
            role: self.role,
        }
    }
}

/// Starts a session for `user`; returns the cookie's secret.
pub fn start(conn: &mut PgConnection, user: Uuid, ttl_secs: u64) -> Result<String> {
    let secret = secrets::generate(PREFIX)?;
    let ttl = Duration::seconds(i64::try_from(ttl_secs).unwrap_or(i64::MAX / 2));
    diesel::insert_into(web_sessions::table)
        .values((
            web_sessions::id.eq(Uuid::new_v4()),
            web_sessions::user_id.eq(user),
            web_sessions::secret_hash.eq(secrets::digest(&secret)),
            web_sessions::csrf_token.eq(secrets::generate("")?),
            web_sessions::expires_at.eq(Utc::now() + ttl),
        ))
        .execute(conn)?;
    Ok(secret)
}

/// The live session behind a cookie's secret: not expired, not signed out, its user active.
pub fn find(conn: &mut PgConnection, secret: &str) -> Result<Option<WebSession>> {
    let found: Option<(Uuid, Uuid, String, Role, String)> = web_sessions::table
        .inner_join(users::table)
        .filter(web_sessions::secret_hash.eq(secrets::digest(secret)))
        .filter(web_sessions::revoked_at.is_null())
        .filter(web_sessions::expires_at.gt(Utc::now()))
        .filter(users::active.eq(true))
        .select((
            web_sessions::id,
            users::id,
            web_sessions::csrf_token,
            users::role,
            users::display_name,
        ))
        .first(conn)
        .optional()?;
    Ok(
        found.map(|(id, user, csrf, role, display_name)| WebSession {
            id,
            user,
            role,
            display_name,
            csrf,
        }),
    )
}

/// Signs a session out.
pub fn end(conn: &mut PgConnection, id: Uuid) -> Result<()> {
    diesel::update(web_sessions::table.find(id))
        .set(web_sessions::revoked_at.eq(Utc::now()))
        .execute(conn)?;
    Ok(())
}

/// Whether two tokens are equal, in time that does not depend on where they differ.
pub fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}
