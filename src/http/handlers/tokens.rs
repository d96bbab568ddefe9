//! API tokens for dashboards and integrations, administered by admins.

use actix_web::{HttpResponse, delete, get, post, web};
use uuid::Uuid;

use crate::db;
use crate::domain::tokens;
use crate::error::Error;
use crate::http::auth::Admin;
use crate::http::dto::tokens::{ApiTokenResponse, CreateApiTokenRequest, CreatedApiTokenResponse};
use crate::http::problem::{Denied, Missing, Rejected};
use crate::http::{AppState, Body, created, parsed};

/// List API tokens (never their secrets).
///
/// Required role: admin.
#[utoipa::path(
    tag = "tokens",
    security(("bearer" = ["admin"])),
    responses((status = 200, description = "Every token, newest first", body = [ApiTokenResponse]), Denied)
)]
#[get("/tokens")]
pub async fn list_tokens(
    state: web::Data<AppState>,
    _caller: Admin,
) -> Result<HttpResponse, Error> {
    let list = db::run(&state.pool, tokens::list).await?;
    Ok(HttpResponse::Ok().json(
        list.into_iter()
            .map(ApiTokenResponse::from)
            .collect::<Vec<_>>(),
    ))
}

/// Create an API token; its secret is in this response only.
///
/// Required role: admin.
#[utoipa::path(
    tag = "tokens",
    security(("bearer" = ["admin"])),
    request_body = CreateApiTokenRequest,
    responses((status = 201, description = "Created", body = CreatedApiTokenResponse), Denied, Rejected)
)]
#[post("/tokens")]
pub async fn create_token(
    state: web::Data<AppState>,
    caller: Admin,
    body: Body<CreateApiTokenRequest>,
) -> actix_web::Result<HttpResponse> {
    let body = parsed(body)?;
    let creator = caller.0.user_id();
    let new = db::transaction(&state.pool, move |conn| {
        tokens::create(conn, &body.name, body.role, body.expires_at, creator)
    })
    .await?;
    let mut response = created(format!("/tokens/{}", new.token.id))
        .insert_header(crate::http::NO_STORE)
        .json(CreatedApiTokenResponse {
            token: new.token.into(),
            token_secret: new.secret,
        });
    response
        .extensions_mut()
        .insert(crate::http::idempotency::CarriesSecret);
    Ok(response)
}

/// One API token (never its secret).
///
/// Required role: admin.
#[utoipa::path(
    tag = "tokens",
    security(("bearer" = ["admin"])),
    params(("id" = Uuid, Path, description = "Token id")),
    responses((status = 200, description = "The token", body = ApiTokenResponse), Denied, Missing)
)]
#[get("/tokens/{id}")]
pub async fn get_token(
    state: web::Data<AppState>,
    _caller: Admin,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let token = db::run(&state.pool, move |conn| tokens::get(conn, id)).await?;
    Ok(HttpResponse::Ok().json(ApiTokenResponse::from(token)))
}

/// Revoke an API token; it stops working at once.
///
/// Required role: admin.
#[utoipa::path(
    tag = "tokens",
    security(("bearer" = ["admin"])),
    params(("id" = Uuid, Path, description = "Token id")),
    responses((status = 204, description = "Revoked"), Denied, Missing)
)]
#[delete("/tokens/{id}")]
pub async fn delete_token(
    state: web::Data<AppState>,
    _caller: Admin,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    db::transaction(&state.pool, move |conn| tokens::revoke(conn, id)).await?;
    state
        .auth
        .callers
        .forget(crate::domain::auth::callers::Change::Token(id));
    Ok(HttpResponse::NoContent().finish())
}
