//! Reports: the source documents.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, put, web};
use uuid::Uuid;

use crate::db;
use crate::domain::reports;
use crate::error::Error;
use crate::http::auth::{Manager, Viewer};
use crate::http::dto::reports::{ReportRequest, ReportResponse};
use crate::http::etag::{etag, if_match};
use crate::http::problem::{Conflicting, Denied, Missing, Rejected, Stale};
use crate::http::{AppState, Body, created, parsed};

/// List reports.
///
/// Required role: viewer.
#[utoipa::path(
    tag = "reports",
    security(("bearer" = ["viewer"])),
    responses((status = 200, description = "Every report, newest first", body = [ReportResponse]), Denied)
)]
#[get("/reports")]
pub async fn list_reports(
    state: web::Data<AppState>,
    _caller: Viewer,
) -> Result<HttpResponse, Error> {
    let list = db::run(&state.pool, reports::list).await?;
    Ok(HttpResponse::Ok().json(
        list.into_iter()
            .map(ReportResponse::from)
            .collect::<Vec<_>>(),
    ))
}

/// Create a report.
///
/// Required role: manager.
#[utoipa::path(
    tag = "reports",
    security(("bearer" = ["manager"])),
    request_body = ReportRequest,
    responses((status = 201, description = "Created", body = ReportResponse), Denied, Rejected, Conflicting)
)]
#[post("/reports")]
pub async fn create_report(
    state: web::Data<AppState>,
    caller: Manager,
    body: Body<ReportRequest>,
) -> actix_web::Result<HttpResponse> {
    let mut body = parsed(body)?;
    let key = body
        .key
        .take()
        .ok_or_else(|| Error::invalid("key", "is required"))?;
    let creator = caller.0.user_id();
    let report = db::transaction(&state.pool, move |conn| {
        reports::create(conn, &key, body.into(), creator)
    })
    .await?;
    Ok(created(format!("/reports/{}", report.id))
        .insert_header(etag(report.version))
        .json(ReportResponse::from(report)))
}

/// One report.
///
/// Required role: viewer.
#[utoipa::path(
    tag = "reports",
    security(("bearer" = ["viewer"])),
    params(("id" = Uuid, Path, description = "Report id")),
    responses((status = 200, description = "The report", body = ReportResponse), Denied, Missing)
)]
#[get("/reports/{id}")]
pub async fn get_report(
    state: web::Data<AppState>,
    _caller: Viewer,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let report = db::run(&state.pool, move |conn| reports::get(conn, id)).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(report.version))
        .json(ReportResponse::from(report)))
}

/// Replace a report's description (its key stays).
///
/// Accepts `If-Match`. Required role: manager.
#[utoipa::path(
    tag = "reports",
    security(("bearer" = ["manager"])),
    params(("id" = Uuid, Path, description = "Report id")),
    request_body = ReportRequest,
    responses((status = 200, description = "Updated", body = ReportResponse), Denied, Rejected, Missing, Stale)
)]
#[patch("/reports/{id}")]
pub async fn update_report(
    state: web::Data<AppState>,
    _caller: Manager,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: Body<ReportRequest>,
) -> actix_web::Result<HttpResponse> {
    let body = parsed(body)?;
    let expected = if_match(&req)?;
    let id = id.into_inner();
    let report = db::transaction(&state.pool, move |conn| {
        reports::update(conn, id, body.into(), expected)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(report.version))
        .json(ReportResponse::from(report)))
}

/// Delete a report that has no recommendations (409 otherwise).
///
/// Required role: manager.
#[utoipa::path(
    tag = "reports",
    security(("bearer" = ["manager"])),
    params(("id" = Uuid, Path, description = "Report id")),
    responses((status = 204, description = "Deleted"), Denied, Missing, Conflicting)
)]
#[delete("/reports/{id}")]
pub async fn delete_report(
    state: web::Data<AppState>,
    _caller: Manager,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    db::transaction(&state.pool, move |conn| reports::delete(conn, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The managers of a report (they receive digests about its items).
///
/// Required role: viewer.
#[utoipa::path(
    tag = "reports",
    security(("bearer" = ["viewer"])),
    params(("id" = Uuid, Path, description = "Report id")),
    responses((status = 200, description = "User ids of its managers", body = [Uuid]), Denied, Missing)
)]
#[get("/reports/{id}/managers")]
pub async fn list_report_managers(
    state: web::Data<AppState>,
    _caller: Viewer,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let managers = db::run(&state.pool, move |conn| reports::managers(conn, id)).await?;
    Ok(HttpResponse::Ok().json(managers))
}

/// Name a manager (or admin) a manager of the report.
///
/// Required role: manager.
#[utoipa::path(
    tag = "reports",
    security(("bearer" = ["manager"])),
    params(("id" = Uuid, Path, description = "Report id"), ("user_id" = Uuid, Path, description = "User id")),
    responses((status = 204, description = "Named"), Denied, Rejected, Missing)
)]
#[put("/reports/{id}/managers/{user_id}")]
pub async fn put_report_manager(
    state: web::Data<AppState>,
    _caller: Manager,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, Error> {
    let (report, user) = path.into_inner();
    db::transaction(&state.pool, move |conn| {
        reports::put_manager(conn, report, user)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Remove a manager from the report.
///
/// Required role: manager.
#[utoipa::path(
    tag = "reports",
    security(("bearer" = ["manager"])),
    params(("id" = Uuid, Path, description = "Report id"), ("user_id" = Uuid, Path, description = "User id")),
    responses((status = 204, description = "Removed"), Denied, Missing)
)]
#[delete("/reports/{id}/managers/{user_id}")]
pub async fn delete_report_manager(
    state: web::Data<AppState>,
    _caller: Manager,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, Error> {
    let (report, user) = path.into_inner();
    db::transaction(&state.pool, move |conn| {
        reports::remove_manager(conn, report, user)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
