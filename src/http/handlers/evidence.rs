//! Evidence on items and its review.

use actix_web::http::header::ETAG;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use uuid::Uuid;

use crate::db;
use crate::domain::evidence::{self, EvidenceInput};
use crate::error::Error;
use crate::http::auth::{Contributor, Manager, Viewer};
use crate::http::dto::items::{EvidenceRequest, EvidenceResponse, ReviewRequest};
use crate::http::etag::if_match;
use crate::http::problem::{Conflicting, Denied, Missing, Rejected, Required, Stale};
use crate::http::{AppState, Body, created, parsed};

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
            relevance: r.relevance,
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
    Ok(created(format!("/evidence/{}", row.id))
        .insert_header((ETAG, format!("\"{}\"", row.version)))
        .json(EvidenceResponse::from(row)))
}

/// One piece of evidence with its review state; the `ETag` is its version (send it as
/// `If-Match` when changing it).
///
/// Required role: viewer.
#[utoipa::path(
    tag = "evidence",
    security(("bearer" = ["viewer"])),
    params(("id" = Uuid, Path, description = "Evidence id")),
    responses(
        (status = 200, description = "The evidence", body = EvidenceResponse,
         headers(("ETag" = String, description = "`\"<version>\"`"))),
        Denied, Missing,
    )
)]
#[get("/evidence/{id}")]
pub async fn get_evidence(
    state: web::Data<AppState>,
    _caller: Viewer,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let row = db::run(&state.pool, move |conn| evidence::get(conn, id)).await?;
    Ok(HttpResponse::Ok()
        .insert_header((ETAG, format!("\"{}\"", row.version)))
        .json(EvidenceResponse::from(row)))
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

/// Change a piece of evidence (its submitter, or a manager).
///
/// The change is a new version: it awaits review again whatever the previous version's verdict
/// was, and whoever makes it may never review it. Send the version you edited as `If-Match` to
/// be sure nobody changed it meanwhile (412 otherwise).
///
/// Required role: contributor or manager.
#[utoipa::path(
    tag = "evidence",
    security(("bearer" = ["contributor"])),
    params(
        ("id" = Uuid, Path, description = "Evidence id"),
        ("If-Match" = Option<String>, Header, description = "The evidence version this change is based on, e.g. `\"2\"`"),
    ),
    request_body = EvidenceRequest,
    responses((status = 200, description = "Updated; the new version awaits review", body = EvidenceResponse), Denied, Rejected, Missing, Conflicting, Stale)
)]
#[patch("/evidence/{id}")]
pub async fn update_evidence(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Contributor,
    id: web::Path<Uuid>,
    body: Body<EvidenceRequest>,
) -> actix_web::Result<HttpResponse> {
    let input: EvidenceInput = parsed(body)?.into();
    let expected = if_match(&req)?;
    let id = id.into_inner();
    let principal = caller.0;
    let row = db::transaction(&state.pool, move |conn| {
        evidence::update(conn, &principal, id, input, expected)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((ETAG, format!("\"{}\"", row.version)))
        .json(EvidenceResponse::from(row)))
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

/// Accept or reject one version of a piece of evidence.
///
/// `If-Match` is required and names the version you read (its `version`, e.g. `"2"`): a
/// verdict covers exactly that content, so if the evidence changed since, nothing is recorded
/// and the answer is 412. Nobody who submitted or edited any version may review it.
///
/// Required role: manager.
#[utoipa::path(
    tag = "evidence",
    security(("bearer" = ["manager"])),
    params(
        ("id" = Uuid, Path, description = "Evidence id"),
        ("If-Match" = String, Header, description = "The evidence version you reviewed, e.g. `\"2\"`"),
    ),
    request_body = ReviewRequest,
    responses((status = 200, description = "Reviewed", body = EvidenceResponse), Denied, Rejected, Missing, Stale, Required)
)]
#[post("/evidence/{id}/review")]
pub async fn create_evidence_review(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Manager,
    id: web::Path<Uuid>,
    body: Body<ReviewRequest>,
) -> actix_web::Result<HttpResponse> {
    let body = parsed(body)?;
    let expected = if_match(&req)?.ok_or(Error::PreconditionRequired(
        "send the evidence version you reviewed as If-Match, e.g. If-Match: \"2\"",
    ))?;
    let id = id.into_inner();
    let principal = caller.0;
    let row = db::transaction(&state.pool, move |conn| {
        evidence::review(conn, &principal, id, expected, body.decision, body.note)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((ETAG, format!("\"{}\"", row.version)))
        .json(EvidenceResponse::from(row)))
}
