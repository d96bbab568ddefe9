//! Targets of items and the progress reported against them.

use actix_web::{HttpResponse, get, patch, post, web};
use uuid::Uuid;

use crate::db;
use crate::domain::targets;
use crate::error::Error;
use crate::http::auth::{Contributor, Manager, Viewer};
use crate::http::dto::targets::{ProgressRequest, TargetRequest, TargetResponse};
use crate::http::problem::{Denied, Missing, Rejected};
use crate::http::{AppState, Body, created, parsed};

/// The measurable commitments of an item, each with its own due date and progress.
///
/// Required role: viewer.
#[utoipa::path(
    tag = "targets",
    security(("bearer" = ["viewer"])),
    params(("id" = Uuid, Path, description = "Recommendation id")),
    responses((status = 200, description = "In order", body = [TargetResponse]), Denied, Missing)
)]
#[get("/recommendations/{id}/targets")]
pub async fn list_targets(
    state: web::Data<AppState>,
    _caller: Viewer,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Error> {
    let item = id.into_inner();
    let rows = db::run(&state.pool, move |conn| targets::list(conn, item)).await?;
    Ok(HttpResponse::Ok().json(
        rows.into_iter()
            .map(TargetResponse::from)
            .collect::<Vec<_>>(),
    ))
}

/// Add a target to an item.
///
/// Required role: manager.
#[utoipa::path(
    tag = "targets",
    security(("bearer" = ["manager"])),
    params(("id" = Uuid, Path, description = "Recommendation id")),
    request_body = TargetRequest,
    responses((status = 201, description = "Added", body = TargetResponse), Denied, Rejected, Missing)
)]
#[post("/recommendations/{id}/targets")]
pub async fn create_target(
    state: web::Data<AppState>,
    caller: Manager,
    id: web::Path<Uuid>,
    body: Body<TargetRequest>,
) -> actix_web::Result<HttpResponse> {
    let input = parsed(body)?.into();
    let item = id.into_inner();
    let principal = caller.0;
    let row = db::transaction(&state.pool, move |conn| {
        targets::create(conn, &principal, item, input)
    })
    .await?;
    Ok(created(format!("/targets/{}", row.id)).json(TargetResponse::from(row)))
}

/// One target with its progress.
///
/// Required role: viewer.
#[utoipa::path(
    tag = "targets",
    security(("bearer" = ["viewer"])),
    params(("id" = Uuid, Path, description = "Target id")),
    responses((status = 200, description = "The target", body = TargetResponse), Denied, Missing)
)]
#[get("/targets/{id}")]
pub async fn get_target(
    state: web::Data<AppState>,
    _caller: Viewer,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let row = db::run(&state.pool, move |conn| targets::get(conn, id)).await?;
    Ok(HttpResponse::Ok().json(TargetResponse::from(row)))
}

/// Report how much of a target is done; recorded in the item's history.
///
/// Required role: contributor (and ownership) or manager.
#[utoipa::path(
    tag = "targets",
    security(("bearer" = ["contributor"])),
    params(("id" = Uuid, Path, description = "Target id")),
    request_body = ProgressRequest,
    responses((status = 200, description = "Updated", body = TargetResponse), Denied, Rejected, Missing)
)]
#[patch("/targets/{id}")]
pub async fn update_target(
    state: web::Data<AppState>,
    caller: Contributor,
    id: web::Path<Uuid>,
    body: Body<ProgressRequest>,
) -> actix_web::Result<HttpResponse> {
    let progress = parsed(body)?.progress;
    let id = id.into_inner();
    let principal = caller.0;
    let row = db::transaction(&state.pool, move |conn| {
        targets::report_progress(conn, &principal, id, progress)
    })
    .await?;
    Ok(HttpResponse::Ok().json(TargetResponse::from(row)))
}
