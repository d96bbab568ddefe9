//! Saved views: named list filters, used as `?view=<id>` on the list and its CSV export.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use uuid::Uuid;

use crate::db;
use crate::domain::views;
use crate::error::Error;
use crate::http::auth::Viewer;
use crate::http::dto::views::{CreateViewRequest, UpdateViewRequest, ViewResponse};
use crate::http::handlers::lists::criteria_of;
use crate::http::problem::{Conflicting, Denied, Missing, Rejected};
use crate::http::{AppState, Body, created, parsed};

/// Save a view: a named list filter, optionally shared with a team.
///
/// Use it as `GET /recommendations?view=<id>` (and on the CSV export); filters given there as
/// well take the view's place. The criteria are checked now: every filter must parse and every
/// report, person or team named must exist.
///
/// Required role: viewer (a signed-in user).
#[utoipa::path(
    tag = "views",
    security(("bearer" = ["viewer"])),
    request_body = CreateViewRequest,
    responses((status = 201, description = "Saved", body = ViewResponse), Denied, Rejected, Conflicting)
)]
#[post("/views")]
pub async fn create_view(
    state: web::Data<AppState>,
    caller: Viewer,
    body: Body<CreateViewRequest>,
) -> actix_web::Result<HttpResponse> {
    let who = caller.0;
    if who.user_id().is_none() {
        return Err(Error::Forbidden("views belong to people, not API tokens".into()).into());
    }
    let body = parsed(body)?;
    let view = db::transaction(&state.pool, move |conn| {
        criteria_of(conn, &body.criteria, who.user_id())?;
        views::create(conn, &who, &body.name, body.team_id, body.criteria)
    })
    .await?;
    Ok(created(format!("/views/{}", view.id)).json(ViewResponse::from(view)))
}

/// The views you may use: yours, your teams', and (for managers and admins) everyone's.
///
/// Required role: viewer.
#[utoipa::path(
    tag = "views",
    security(("bearer" = ["viewer"])),
    responses((status = 200, description = "By name", body = [ViewResponse]), Denied)
)]
#[get("/views")]
pub async fn list_views(state: web::Data<AppState>, caller: Viewer) -> Result<HttpResponse, Error> {
    let who = caller.0;
    let list = db::run(&state.pool, move |conn| views::list(conn, &who)).await?;
    Ok(HttpResponse::Ok().json(list.into_iter().map(ViewResponse::from).collect::<Vec<_>>()))
}

/// One view.
///
/// Required role: viewer (one who may use it).
#[utoipa::path(
    tag = "views",
    security(("bearer" = ["viewer"])),
    params(("id" = Uuid, Path, description = "View id")),
    responses((status = 200, description = "The view", body = ViewResponse), Denied, Missing)
)]
#[get("/views/{id}")]
pub async fn get_view(
    state: web::Data<AppState>,
    caller: Viewer,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Error> {
    let (who, id) = (caller.0, id.into_inner());
    let view = db::run(&state.pool, move |conn| views::get(conn, &who, id)).await?;
    Ok(HttpResponse::Ok().json(ViewResponse::from(view)))
}

/// Change a view's name, criteria or sharing.
///
/// Required role: viewer (its owner) or admin.
#[utoipa::path(
    tag = "views",
    security(("bearer" = ["viewer"])),
    params(("id" = Uuid, Path, description = "View id")),
    request_body = UpdateViewRequest,
    responses((status = 200, description = "Changed", body = ViewResponse), Denied, Rejected, Missing)
)]
#[patch("/views/{id}")]
pub async fn update_view(
    state: web::Data<AppState>,
    caller: Viewer,
    id: web::Path<Uuid>,
    body: Body<UpdateViewRequest>,
) -> actix_web::Result<HttpResponse> {
    let body = parsed(body)?;
    let (who, id) = (caller.0, id.into_inner());
    let view = db::transaction(&state.pool, move |conn| {
        if let Some(criteria) = &body.criteria {
            criteria_of(conn, criteria, who.user_id())?;
        }
        views::update(
            conn,
            &who,
            id,
            views::Patch {
                name: body.name,
                team: body.team_id,
                criteria: body.criteria,
            },
        )
    })
    .await?;
    Ok(HttpResponse::Ok().json(ViewResponse::from(view)))
}

/// Delete a view.
///
/// Required role: viewer (its owner) or admin.
#[utoipa::path(
    tag = "views",
    security(("bearer" = ["viewer"])),
    params(("id" = Uuid, Path, description = "View id")),
    responses((status = 204, description = "Deleted"), Denied, Missing)
)]
#[delete("/views/{id}")]
pub async fn delete_view(
    state: web::Data<AppState>,
    caller: Viewer,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Error> {
    let (who, id) = (caller.0, id.into_inner());
    db::transaction(&state.pool, move |conn| views::delete(conn, &who, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}
