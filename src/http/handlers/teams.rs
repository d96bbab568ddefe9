//! Teams and memberships. Everyone may read them; admins change them.

use actix_web::{HttpResponse, delete, get, post, put, web};
use uuid::Uuid;

use crate::db;
use crate::domain::teams;
use crate::error::Error;
use crate::http::auth::{Admin, Viewer};
use crate::http::dto::teams::{
    CreateTeamRequest, PutMemberRequest, TeamDetailResponse, TeamResponse,
};
use crate::http::problem::{Conflicting, Denied, Missing, Rejected};
use crate::http::{AppState, Body, created, parsed};

/// List teams.
///
/// Required role: viewer.
#[utoipa::path(
    tag = "teams",
    security(("bearer" = ["viewer"])),
    responses((status = 200, description = "Every team, by name", body = [TeamResponse]), Denied)
)]
#[get("/teams")]
pub async fn list_teams(
    state: web::Data<AppState>,
    _caller: Viewer,
) -> Result<HttpResponse, Error> {
    let teams = db::run(&state.pool, teams::list).await?;
    Ok(HttpResponse::Ok().json(
        teams
            .into_iter()
            .map(TeamResponse::from)
            .collect::<Vec<_>>(),
    ))
}

/// Create a team.
///
/// Required role: admin.
#[utoipa::path(
    tag = "teams",
    security(("bearer" = ["admin"])),
    request_body = CreateTeamRequest,
    responses((status = 201, description = "Created", body = TeamResponse), Denied, Rejected, Conflicting)
)]
#[post("/teams")]
pub async fn create_team(
    state: web::Data<AppState>,
    _caller: Admin,
    body: Body<CreateTeamRequest>,
) -> actix_web::Result<HttpResponse> {
    let body = parsed(body)?;
    let team = db::transaction(&state.pool, move |conn| {
        teams::create(conn, &body.name, &body.description, false)
    })
    .await?;
    Ok(created(format!("/teams/{}", team.id)).json(TeamResponse::from(team)))
}

/// One team with its members (their email addresses only for managers and admins).
///
/// Required role: viewer.
#[utoipa::path(
    tag = "teams",
    security(("bearer" = ["viewer"])),
    params(("id" = Uuid, Path, description = "Team id")),
    responses((status = 200, description = "The team", body = TeamDetailResponse), Denied, Missing)
)]
#[get("/teams/{id}")]
pub async fn get_team(
    state: web::Data<AppState>,
    caller: Viewer,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let team = db::run(&state.pool, move |conn| teams::get(conn, id)).await?;
    Ok(HttpResponse::Ok().json(TeamDetailResponse::for_caller(team, &caller.0)))
}

/// Add a member to a team, or change their role in it.
///
/// Required role: admin.
#[utoipa::path(
    tag = "teams",
    security(("bearer" = ["admin"])),
    params(
        ("id" = Uuid, Path, description = "Team id"),
        ("user_id" = Uuid, Path, description = "User id"),
    ),
    request_body = PutMemberRequest,
    responses((status = 200, description = "The team", body = TeamDetailResponse), Denied, Rejected, Missing)
)]
#[put("/teams/{id}/members/{user_id}")]
pub async fn put_team_member(
    state: web::Data<AppState>,
    caller: Admin,
    path: web::Path<(Uuid, Uuid)>,
    body: Body<PutMemberRequest>,
) -> actix_web::Result<HttpResponse> {
    let (team, user) = path.into_inner();
    let role = parsed(body)?.role;
    let team = db::transaction(&state.pool, move |conn| {
        teams::put_member(conn, team, user, role)
    })
    .await?;
    Ok(HttpResponse::Ok().json(TeamDetailResponse::for_caller(team, &caller.0)))
}

/// Remove a member from a team.
///
/// Required role: admin.
#[utoipa::path(
    tag = "teams",
    security(("bearer" = ["admin"])),
    params(
        ("id" = Uuid, Path, description = "Team id"),
        ("user_id" = Uuid, Path, description = "User id"),
    ),
    responses((status = 204, description = "Removed"), Denied, Missing)
)]
#[delete("/teams/{id}/members/{user_id}")]
pub async fn delete_team_member(
    state: web::Data<AppState>,
    _caller: Admin,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, Error> {
    let (team, user) = path.into_inner();
    db::transaction(&state.pool, move |conn| {
        teams::remove_member(conn, team, user)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
