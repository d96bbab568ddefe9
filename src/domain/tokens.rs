//! API tokens for dashboards and integrations: named, read-only or contributor, optionally
//! expiring, shown once and stored hashed, revocable.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::auth::secrets::{self, API_TOKEN_PREFIX};
use crate::db::enums::Role;
use crate::db::models::{ApiToken, NewApiToken};
use crate::db::schema::api_tokens;
use crate::error::{Error, Result};

/// A freshly created token: the only time its secret exists outside the caller's hands.
#[derive(Debug, Clone)]
pub struct CreatedToken {
    pub token: ApiToken,
    pub secret: String,
}

/// Creates a token with `role` (viewer or contributor only).
pub fn create(
    conn: &mut PgConnection,
    name: &str,
    role: Role,
    expires_at: Option<DateTime<Utc>>,
    created_by: Option<Uuid>,
) -> Result<CreatedToken> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(Error::invalid("name", "must be 1 to 200 characters"));
    }
    if !matches!(role, Role::Viewer | Role::Contributor) {
        return Err(Error::invalid(
            "role",
            "API tokens may only be viewer or contributor",
        ));
    }
    if let Some(at) = expires_at {
        crate::domain::dates::time("expires_at", at)?;
    }
    if expires_at.is_some_and(|at| at <= Utc::now()) {
        return Err(Error::invalid("expires_at", "must be in the future"));
    }
    let secret = secrets::generate(API_TOKEN_PREFIX)?;
    let token = diesel::insert_into(api_tokens::table)
        .values(NewApiToken {
            id: Uuid::new_v4(),
            name,
            role,
            token_hash: &secrets::digest(&secret),
            created_by,
            expires_at,
        })
        .returning(ApiToken::as_returning())
        .get_result(conn)?;
    Ok(CreatedToken { token, secret })
}

/// Every token, newest first (without secrets, which are not stored).
pub fn list(conn: &mut PgConnection) -> Result<Vec<ApiToken>> {
    Ok(api_tokens::table
        .order(api_tokens::created_at.desc())
        .select(ApiToken::as_select())
        .load(conn)?)
}

/// Revokes a token; it stops working at once. Revoking twice is harmless.
pub fn revoke(conn: &mut PgConnection, id: Uuid) -> Result<()> {
    let found = diesel::update(api_tokens::table.find(id))
        .set(api_tokens::revoked_at.eq(Utc::now()))
        .execute(conn)?;
    if found == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

/// One token.
pub fn get(conn: &mut PgConnection, id: Uuid) -> Result<ApiToken> {
    Ok(api_tokens::table
        .find(id)
        .select(ApiToken::as_select())
        .first(conn)?)
}
