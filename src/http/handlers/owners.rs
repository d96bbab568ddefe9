//! Owners of an item: users or teams, as responsible, contributor or observer.

use actix_web::{HttpResponse, delete, put, web};
use uuid::Uuid;

use crate::db;
use crate::domain::items::owners::{self, OwnerRef};
use crate::error::Error;
use crate::http::auth::Manager;
use crate::http::dto::items::PutOwnerRequest;
use crate::http::problem::{Denied, Missing, Rejected};
use crate::http::{AppState, Body, parsed};

async fn put(
    state: &AppState,
    caller: Manager,
    item: Uuid,
    who: OwnerRef,
    body: Body<PutOwnerRequest>,
) -> actix_web::Result<HttpResponse> {
    let kind = parsed(body)?.kind;
    let principal = caller.0;
    db::transaction(&state.pool, move |conn| {
        owners::put_owner(conn, &principal, item, who, kind)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn remove(
    state: &AppState,
    caller: Manager,
    item: Uuid,
    who: OwnerRef,
) -> Result<HttpResponse, Error> {
    let principal = caller.0;
    db::transaction(&state.pool, move |conn| {
        owners::remove_owner(conn, &principal, item, who)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Make a user an owner of an item (or change their kind of ownership).
///
/// Required role: manager.
#[utoipa::path(
    tag = "owners",
    security(("bearer" = ["manager"])),
    params(("id" = Uuid, Path, description = "Recommendation id"), ("user_id" = Uuid, Path, description = "User id")),
    request_body = PutOwnerRequest,
    responses((status = 204, description = "Owner set"), Denied, Rejected, Missing)
)]
#[put("/recommendations/{id}/owners/users/{user_id}")]
pub async fn put_user_owner(
    state: web::Data<AppState>,
    caller: Manager,
    path: web::Path<(Uuid, Uuid)>,
    body: Body<PutOwnerRequest>,
) -> actix_web::Result<HttpResponse> {
    let (item, user) = path.into_inner();
    put(&state, caller, item, OwnerRef::User(user), body).await
}

/// Remove a user from an item's owners.
///
/// Required role: manager.
#[utoipa::path(
    tag = "owners",
    security(("bearer" = ["manager"])),
    params(("id" = Uuid, Path, description = "Recommendation id"), ("user_id" = Uuid, Path, description = "User id")),
    responses((status = 204, description = "Removed"), Denied, Missing)
)]
#[delete("/recommendations/{id}/owners/users/{user_id}")]
pub async fn delete_user_owner(
    state: web::Data<AppState>,
    caller: Manager,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, Error> {
    let (item, user) = path.into_inner();
    remove(&state, caller, item, OwnerRef::User(user)).await
}

/// Make a team an owner of an item (or change its kind of ownership).
///
/// Required role: manager.
#[utoipa::path(
    tag = "owners",
    security(("bearer" = ["manager"])),
    params(("id" = Uuid, Path, description = "Recommendation id"), ("team_id" = Uuid, Path, description = "Team id")),
    request_body = PutOwnerRequest,
    responses((status = 204, description = "Owner set"), Denied, Rejected, Missing)
)]
#[put("/recommendations/{id}/owners/teams/{team_id}")]
pub async fn put_team_owner(
    state: web::Data<AppState>,
    caller: Manager,
    path: web::Path<(Uuid, Uuid)>,
    body: Body<PutOwnerRequest>,
) -> actix_web::Result<HttpResponse> {
    let (item, team) = path.into_inner();
    put(&state, caller, item, OwnerRef::Team(team), body).await
}

/// Remove a team from an item's owners.
///
/// Required role: manager.
#[utoipa::path(
    tag = "owners",
    security(("bearer" = ["manager"])),
    params(("id" = Uuid, Path, description = "Recommendation id"), ("team_id" = Uuid, Path, description = "Team id")),
    responses((status = 204, description = "Removed"), Denied, Missing)
)]
#[delete("/recommendations/{id}/owners/teams/{team_id}")]
pub async fn delete_team_owner(
    state: web::Data<AppState>,
    caller: Manager,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, Error> {
    let (item, team) = path.into_inner();
    remove(&state, caller, item, OwnerRef::Team(team)).await
}
