//! Evidence on items and its review.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use uuid::Uuid;

use crate::db;
use crate::domain::evidence::{self, EvidenceInput};
use crate::error::Error;
use crate::http::auth::{Contributor, Manager, Viewer};
use crate::http::dto::items::{EvidenceRequest, EvidenceResponse, ReviewRequest};
use crate::http::problem::{Conflicting, Denied, Missing, Rejected};
use crate::http::{AppState, Body, parsed};

impl From<EvidenceRequest> for EvidenceInput {
    fn from(r: EvidenceRequest) -> Self {
        Self {
            kind: r.kind,
            title: r.title,
            url: r.url,
            excerpt: r.excerpt,
            source: r.source,
            observed_on: r.observed_on,
            rationale: r.rationale,
        }
    }
}

/// Submit evidence for an item; it awaits a manager's review.
///
/// Required role: contributor (and ownership) or manager.
#[utoipa::path(
    tag = "evidence",
    security(("bearer" = ["contributor"])),
    params(("id" = Uuid, Path, description = "Recommendation id")),
    request_body = EvidenceRequest,
    responses((status = 201, description = "Submitted", body = EvidenceResponse), Denied, Rejected, Missing)
)]
#[post("/recommendations/{id}/evidence")]
pub async fn create_evidence(
    state: web::Data<AppState>,
    caller: Contributor,
    id: web::Path<Uuid>,
    body: Body<EvidenceRequest>,
) -> actix_web::Result<HttpResponse> {
    let input: EvidenceInput = parsed(body)?.into();
    let item = id.into_inner();
    let principal = caller.0;
    let row = db::transaction(&state.pool, move |conn| {
        evidence::add(conn, &principal, item, input)
    })
    .await?;
    Ok(HttpResponse::Created().json(EvidenceResponse::from(row)))
}

/// The evidence of an item.
///
/// Required role: viewer.
#[utoipa::path(
    tag = "evidence",
    security(("bearer" = ["viewer"])),
    params(("id" = Uuid, Path, description = "Recommendation id")),
    responses((status = 200, description = "Oldest first", body = [EvidenceResponse]), Denied, Missing)
)]
#[get("/recommendations/{id}/evidence")]
pub async fn list_evidence(
    state: web::Data<AppState>,
    _caller: Viewer,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Error> {
    let item = id.into_inner();
    let rows = db::run(&state.pool, move |conn| evidence::list(conn, item)).await?;
    Ok(HttpResponse::Ok().json(
        rows.into_iter()
            .map(EvidenceResponse::from)
            .collect::<Vec<_>>(),
    ))
}

/// Change a piece of evidence (its submitter while it awaits review, or a manager).
///
/// Required role: contributor or manager.
#[utoipa::path(
    tag = "evidence",
    security(("bearer" = ["contributor"])),
    params(("id" = Uuid, Path, description = "Evidence id")),
    request_body = EvidenceRequest,
    responses((status = 200, description = "Updated", body = EvidenceResponse), Denied, Rejected, Missing, Conflicting)
)]
#[patch("/evidence/{id}")]
pub async fn update_evidence(
    state: web::Data<AppState>,
    caller: Contributor,
    id: web::Path<Uuid>,
    body: Body<EvidenceRequest>,
) -> actix_web::Result<HttpResponse> {
    let input: EvidenceInput = parsed(body)?.into();
    let id = id.into_inner();
    let principal = caller.0;
    let row = db::transaction(&state.pool, move |conn| {
        evidence::update(conn, &principal, id, input)
    })
    .await?;
    Ok(HttpResponse::Ok().json(EvidenceResponse::from(row)))
}

/// Withdraw a piece of evidence (its submitter while it awaits review, or a manager).
///
/// Required role: contributor or manager.
#[utoipa::path(
    tag = "evidence",
    security(("bearer" = ["contributor"])),
    params(("id" = Uuid, Path, description = "Evidence id")),
    responses((status = 204, description = "Withdrawn"), Denied, Missing, Conflicting)
)]
#[delete("/evidence/{id}")]
pub async fn delete_evidence(
    state: web::Data<AppState>,
    caller: Contributor,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let principal = caller.0;
    db::transaction(&state.pool, move |conn| {
        evidence::delete(conn, &principal, id)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Accept or reject a piece of evidence. Nobody reviews their own submission.
///
/// Required role: manager.
#[utoipa::path(
    tag = "evidence",
    security(("bearer" = ["manager"])),
    params(("id" = Uuid, Path, description = "Evidence id")),
    request_body = ReviewRequest,
    responses((status = 200, description = "Reviewed", body = EvidenceResponse), Denied, Rejected, Missing)
)]
#[post("/evidence/{id}/review")]
pub async fn create_evidence_review(
    state: web::Data<AppState>,
    caller: Manager,
    id: web::Path<Uuid>,
    body: Body<ReviewRequest>,
) -> actix_web::Result<HttpResponse> {
    let body = parsed(body)?;
    let id = id.into_inner();
    let principal = caller.0;
    let row = db::transaction(&state.pool, move |conn| {
        evidence::review(conn, &principal, id, body.decision, body.note)
    })
    .await?;
    Ok(HttpResponse::Ok().json(EvidenceResponse::from(row)))
}
