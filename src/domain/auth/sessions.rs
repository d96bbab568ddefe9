//! Signing in and out, rotating refresh tokens, and turning a bearer value into a [`Principal`].

use std::sync::Arc;

use chrono::{Duration, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::callers::{Callers, Change, Entry, Key};
use super::jwt::TokenKeys;
use super::passwords::HashGate;
use super::rate_limit::{self, Limit};
use super::secrets::{self, API_TOKEN_PREFIX, REFRESH_TOKEN_PREFIX};
use super::{Actor, Principal};
use crate::config::AuthSettings;
use crate::db::enums::Role;
use crate::db::models::{NewRefreshToken, RefreshToken, User};
use crate::db::schema::{api_tokens, refresh_tokens, users};
use crate::db::{self, PgPool};
use crate::error::{Error, Result};

/// What a successful sign-in or refresh hands out.
#[derive(Debug, Clone)]
pub struct Session {
    pub access_token: String,
    pub expires_in: i64,
    pub refresh_token: String,
}

/// Login limits, as configured.
#[derive(Debug, Clone, Copy)]
pub struct LoginLimits {
    pub per_account: Limit,
    pub per_client: Limit,
}

impl LoginLimits {
    pub fn from_settings(auth: &AuthSettings) -> Self {
        Self {
            per_account: Limit {
                max: auth.login_max_failures_per_account,
                window_secs: auth.login_window_secs,
            },
            per_client: Limit {
                max: auth.login_max_failures_per_client,
                window_secs: auth.login_window_secs,
            },
        }
    }
}

const BAD_LOGIN: &str = "the email or password is wrong";

/// Signs a user in with email and password. Each attempt is counted against the account and
/// the client address before the password is checked (and given back when it succeeds), so
/// parallel guesses cannot exceed the limits; past them the answer is 429 whether or not the
/// account exists. The password is checked through `gate`, holding no database connection, and
/// against a dummy hash for unknown accounts, so timing does not tell them apart.
#[expect(clippy::too_many_arguments, reason = "a sign-in needs each of these")]
pub async fn login(
    pool: &PgPool,
    keys: &TokenKeys,
    limits: LoginLimits,
    gate: &HashGate,
    refresh_ttl_secs: u64,
    email: String,
    password: String,
    client: String,
) -> Result<Session> {
    let user = check_password(pool, limits, gate, email, password, client).await?;
    let keys = keys.clone();
    db::transaction(pool, move |conn| {
        start_session(conn, &keys, user.id, Uuid::new_v4(), refresh_ttl_secs)
    })
    .await
}

/// The account behind `email` and `password`, under the sign-in limits (see [`login`]);
/// records the sign-in. The API and the web pages both sign in through this.
pub async fn check_password(
    pool: &PgPool,
    limits: LoginLimits,
    gate: &HashGate,
    email: String,
    password: String,
    client: String,
) -> Result<User> {
    let email = crate::domain::users::Email::normalised(&email);
    let account_key = format!("login:account:{email}");
    let client_key = format!("login:client:{client}");
    let admission = gate.admit()?;
    let user: Option<User> = {
        let (account_key, client_key) = (account_key.clone(), client_key.clone());
        db::transaction(pool, move |conn| {
            rate_limit::reserve(conn, &account_key, limits.per_account)?;
            rate_limit::reserve(conn, &client_key, limits.per_client)?;
            Ok(users::table
                .filter(users::email.eq(&email))
                .select(User::as_select())
                .first(conn)
                .optional()?)
        })
        .await?
    };
    let stored = user.as_ref().and_then(|u| u.password_hash.clone());
    let password_ok = admission.verify(password, stored).await?;
    let user = match user {
        Some(user) if password_ok && user.active => user,
        _ => return Err(Error::Unauthenticated(BAD_LOGIN)),
    };
    db::transaction(pool, move |conn| {
        rate_limit::refund(conn, &account_key, limits.per_account.window_secs)?;
        rate_limit::refund(conn, &client_key, limits.per_client.window_secs)?;
        diesel::update(users::table.find(user.id))
            .set(users::last_login_at.eq(Utc::now()))
            .execute(conn)?;
        Ok(user)
    })
    .await
}

fn start_session(
    conn: &mut PgConnection,
    keys: &TokenKeys,
    user_id: Uuid,
    family_id: Uuid,
    refresh_ttl_secs: u64,
) -> Result<Session> {
    let refresh_token = secrets::generate(REFRESH_TOKEN_PREFIX)?;
    let ttl = Duration::seconds(i64::try_from(refresh_ttl_secs).unwrap_or(i64::MAX / 2));
    diesel::insert_into(refresh_tokens::table)
        .values(NewRefreshToken {
            id: Uuid::new_v4(),
            user_id,
            family_id,
            token_hash: &secrets::digest(&refresh_token),
            expires_at: Utc::now() + ttl,
        })
        .execute(conn)?;
    Ok(Session {
        access_token: keys.issue(user_id, family_id)?,
        expires_in: keys.ttl_secs(),
        refresh_token,
    })
}

enum Rotation {
    Rotated(Session),
    /// The token was used before: its session (family) is now revoked.
    Reused(Uuid),
    Refused(&'static str),
}

/// Exchanges a refresh token for a new pair. A token can be used once: presenting it again
/// revokes its whole family (every session token derived from the same sign-in).
pub async fn refresh(
    pool: &PgPool,
    keys: &TokenKeys,
    callers: &Callers,
    refresh_ttl_secs: u64,
    token: String,
) -> Result<Session> {
    let keys = keys.clone();
    let outcome = db::run(pool, move |conn| {
        conn.transaction(|conn| {
            let row: Option<RefreshToken> = refresh_tokens::table
                .filter(refresh_tokens::token_hash.eq(secrets::digest(&token)))
                .select(RefreshToken::as_select())
                .for_update()
                .first(conn)
                .optional()?;
            let Some(row) = row else {
                return Ok(Rotation::Refused("the refresh token is not valid"));
            };
            if row.revoked_at.is_some() {
                return Ok(Rotation::Refused("the refresh token was revoked"));
            }
            if row.used_at.is_some() {
                diesel::update(
                    refresh_tokens::table.filter(refresh_tokens::family_id.eq(row.family_id)),
                )
                .set(refresh_tokens::revoked_at.eq(Utc::now()))
                .execute(conn)?;
                return Ok(Rotation::Reused(row.family_id));
            }
            if row.expires_at <= Utc::now() {
                return Ok(Rotation::Refused("the refresh token has expired"));
            }
            let active: bool = users::table
                .find(row.user_id)
                .select(users::active)
                .first(conn)?;
            if !active {
                return Ok(Rotation::Refused("the account is deactivated"));
            }
            diesel::update(refresh_tokens::table.find(row.id))
                .set(refresh_tokens::used_at.eq(Utc::now()))
                .execute(conn)?;
            start_session(conn, &keys, row.user_id, row.family_id, refresh_ttl_secs)
                .map(Rotation::Rotated)
        })
    })
    .await?;
    match outcome {
        Rotation::Rotated(session) => Ok(session),
        Rotation::Reused(session) => {
            // Its access tokens stop working here at once, elsewhere when notified.
            callers.forget(Change::Session(session));
            Err(Error::Unauthenticated(
                "the refresh token was already used; the session is revoked",
            ))
        }
        Rotation::Refused(why) => Err(Error::Unauthenticated(why)),
    }
}

/// Ends the caller's session: its refresh tokens and every access token issued in it stop
/// working at once.
pub async fn logout(pool: &PgPool, callers: &Callers, principal: Principal) -> Result<()> {
    let Actor::User { session, .. } = principal.actor else {
        return Err(Error::Forbidden(
            "API tokens are revoked through /api/v1/tokens".into(),
        ));
    };
    db::run(pool, move |conn| {
        diesel::update(
            refresh_tokens::table
                .filter(refresh_tokens::family_id.eq(session))
                .filter(refresh_tokens::revoked_at.is_null()),
        )
        .set(refresh_tokens::revoked_at.eq(Utc::now()))
        .execute(conn)?;
        Ok(())
    })
    .await?;
    callers.forget(Change::Session(session));
    Ok(())
}

/// Turns an `Authorization: Bearer` value into the caller: the token's signature and expiry
/// checked in process, the account's role and active flag and the session's revocation from
/// `callers` when it holds them (see [`callers`](super::callers) for how long), else from the
/// database.
pub async fn authenticate(
    pool: &PgPool,
    keys: &TokenKeys,
    callers: &Arc<Callers>,
    bearer: String,
) -> Result<Principal> {
    let (key, subject) = if bearer.starts_with(API_TOKEN_PREFIX) {
        (Key::Token(secrets::digest(&bearer)), None)
    } else {
        let claims = keys.verify(&bearer)?;
        (Key::Session(claims.sid), Some(claims.sub))
    };
    if let Some(outcome) = callers.get(&key, subject) {
        return outcome.map_err(Error::Unauthenticated);
    }
    let generation = callers.generation();
    let entry = db::run(pool, move |conn| match key {
        Key::Token(digest) => api_token_principal(conn, digest),
        Key::Session(sid) => session_principal(conn, sid, subject.unwrap_or_default()),
    })
    .await?;
    let outcome = entry.1.outcome;
    if let Some(key) = entry.0 {
        callers.keep(key, entry.1, generation);
    }
    outcome.map_err(Error::Unauthenticated)
}

/// The caller behind session `sid` of user `user`, as the database has it now.
fn session_principal(
    conn: &mut PgConnection,
    sid: Uuid,
    user: Uuid,
) -> Result<(Option<Key>, Entry)> {
    let revoked = diesel::dsl::exists(
        refresh_tokens::table
            .filter(refresh_tokens::family_id.eq(sid))
            .filter(refresh_tokens::revoked_at.is_not_null()),
    );
    let found: Option<(Role, bool, bool)> = users::table
        .find(user)
        .select((users::role, users::active, revoked))
        .first(conn)
        .optional()?;
    let outcome = match found {
        Some((role, true, false)) => Ok(Principal {
            actor: Actor::User {
                id: user,
                session: sid,
            },
            role,
        }),
        Some((_, false, _)) => Err("the account is deactivated"),
        Some((_, _, true)) => Err("the session was signed out"),
        // Not kept: only answers about accounts that exist are worth holding.
        None => {
            return Ok((
                None,
                Entry {
                    outcome: Err("the access token is invalid"),
                    subject: user,
                    until: None,
                },
            ));
        }
    };
    Ok((
        Some(Key::Session(sid)),
        Entry {
            outcome,
            subject: user,
            until: None,
        },
    ))
}

/// The caller behind the API token with `digest`, as the database has it now. Unknown,
/// expired and revoked tokens are not kept (a flood of made-up tokens must not fill the cache).
fn api_token_principal(conn: &mut PgConnection, digest: String) -> Result<(Option<Key>, Entry)> {
    let now = Utc::now();
    let found: Option<(Uuid, Role, Option<chrono::DateTime<Utc>>)> = api_tokens::table
        .filter(api_tokens::token_hash.eq(&digest))
        .filter(api_tokens::revoked_at.is_null())
        .filter(
            api_tokens::expires_at
                .is_null()
                .or(api_tokens::expires_at.gt(now)),
        )
        .select((api_tokens::id, api_tokens::role, api_tokens::expires_at))
        .first(conn)
        .optional()?;
    let Some((id, role, expires_at)) = found else {
        let refused = Entry {
            outcome: Err("the API token is invalid, expired or revoked"),
            subject: Uuid::nil(),
            until: None,
        };
        return Ok((None, refused));
    };
    // Recorded at most once a minute, so a busy dashboard does not write on every request;
    // a cached token is looked up again within the cache's few seconds, so this stays true.
    diesel::update(
        api_tokens::table.find(id).filter(
            api_tokens::last_used_at
                .is_null()
                .or(api_tokens::last_used_at.lt(now - Duration::minutes(1))),
        ),
    )
    .set(api_tokens::last_used_at.eq(now))
    .execute(conn)?;
    let entry = Entry {
        outcome: Ok(Principal {
            actor: Actor::Token { id },
            role,
        }),
        subject: id,
        until: expires_at,
    };
    Ok((Some(Key::Token(digest)), entry))
}
