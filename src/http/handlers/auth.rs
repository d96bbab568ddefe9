//! Signing in and out, and the caller's own profile.

use actix_web::{HttpRequest, HttpResponse, get, post, web};

use crate::db;
use crate::domain::auth::{Actor, sessions};
use crate::domain::{tokens, users};
use crate::error::Error;
use crate::http::AppState;
use crate::http::NO_STORE;
use crate::http::auth::Viewer;
use crate::http::dto::auth::{LoginRequest, RefreshRequest, TokenResponse};
use crate::http::dto::users::MeResponse;
use crate::http::json_object::Object;
use crate::http::problem::{Denied, Problem, Rejected};

/// A 200 answer that carries tokens: never cached, never kept for an `Idempotency-Key` replay.
fn secret_response(body: TokenResponse) -> HttpResponse {
    let mut response = HttpResponse::Ok().insert_header(NO_STORE).json(body);
    response
        .extensions_mut()
        .insert(crate::http::idempotency::CarriesSecret);
    response
}

/// Sign in with email and password.
///
/// Returns a short-lived access token and a single-use refresh token. Failed attempts are
/// limited per account and per client address (429 with `Retry-After`).
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenResponse),
        (status = 401, description = "Wrong email or password", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed attempts", body = Problem, content_type = "application/problem+json"),
        Rejected,
    )
)]
#[post("/auth/login")]
pub async fn create_login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<Object<LoginRequest>>,
) -> Result<HttpResponse, Error> {
    let body = body.into_inner().0;
    let client = req
        .peer_addr()
        .map(|addr| addr.ip().to_string())
        .unwrap_or_default();
    let session = sessions::login(
        &state.pool,
        &state.auth.keys,
        state.auth.limits,
        &state.auth.gate,
        state.auth.refresh_ttl_secs,
        body.email,
        body.password,
        client,
    )
    .await?;
    Ok(secret_response(TokenResponse::from(session)))
}

/// Exchange a refresh token for a new access and refresh token.
///
/// Each refresh token works once; presenting a used one revokes the whole session.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "A new pair", body = TokenResponse),
        (status = 401, description = "Invalid, expired, revoked or reused refresh token", body = Problem, content_type = "application/problem+json"),
        Rejected,
    )
)]
#[post("/auth/refresh")]
pub async fn create_refresh(
    state: web::Data<AppState>,
    body: web::Json<Object<RefreshRequest>>,
) -> Result<HttpResponse, Error> {
    let session = sessions::refresh(
        &state.pool,
        &state.auth.keys,
        &state.auth.callers,
        state.auth.refresh_ttl_secs,
        body.into_inner().0.refresh_token,
    )
    .await?;
    Ok(secret_response(TokenResponse::from(session)))
}

/// Sign out: the session's access and refresh tokens stop working at once.
///
/// Required role: viewer (a signed-in user; API tokens are revoked through /api/v1/tokens).
#[utoipa::path(
    tag = "auth",
    security(("bearer" = ["viewer"])),
    responses((status = 204, description = "Signed out"), Denied)
)]
#[post("/auth/logout")]
pub async fn create_logout(
    state: web::Data<AppState>,
    caller: Viewer,
) -> Result<HttpResponse, Error> {
    sessions::logout(&state.pool, &state.auth.callers, caller.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The caller: role, teams and how many items they own.
///
/// Required role: viewer.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = ["viewer"])),
    responses((status = 200, description = "The caller", body = MeResponse), Denied)
)]
#[get("/me")]
pub async fn get_me(state: web::Data<AppState>, caller: Viewer) -> Result<HttpResponse, Error> {
    let principal = caller.0;
    let me = db::run(&state.pool, move |conn| match principal.actor {
        Actor::User { id, .. } => users::profile(conn, id).map(MeResponse::from),
        Actor::Token { id } => tokens::get(conn, id).map(|token| MeResponse {
            id: token.id,
            kind: crate::http::dto::users::CallerKind::Token,
            role: token.role,
            email: None,
            display_name: token.name,
            teams: Vec::new(),
            owned_items: 0,
        }),
    })
    .await?;
    Ok(HttpResponse::Ok().json(me))
}
