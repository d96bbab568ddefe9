//! Comments and the append-only history of an item.

use actix_web::{HttpResponse, get, post, web};
use uuid::Uuid;

use crate::db;
use crate::domain::{comments, history, items};
use crate::error::Error;
use crate::http::auth::{Admin, Contributor, Viewer};
use crate::http::dto::integrity::IntegrityReport;
use crate::http::dto::items::{
    CommentRequest, CommentResponse, HistoryEventResponse, HistoryVerification,
};
use crate::http::problem::{Denied, Missing, Rejected};
use crate::http::{AppState, Body, created, parsed};

/// Comment on an item.
///
/// Required role: contributor (and ownership) or manager.
#[utoipa::path(
    tag = "comments",
    security(("bearer" = ["contributor"])),
    params(("id" = Uuid, Path, description = "Recommendation id")),
    request_body = CommentRequest,
    responses((status = 201, description = "Added", body = CommentResponse), Denied, Rejected, Missing)
)]
#[post("/recommendations/{id}/comments")]
pub async fn create_comment(
    state: web::Data<AppState>,
    caller: Contributor,
    id: web::Path<Uuid>,
    body: Body<CommentRequest>,
) -> actix_web::Result<HttpResponse> {
    let text = parsed(body)?.body;
    let item = id.into_inner();
    let principal = caller.0;
    let comment = db::transaction(&state.pool, move |conn| {
        comments::add(conn, &principal, item, &text)
    })
    .await?;
    Ok(created(format!("/comments/{}", comment.id)).json(CommentResponse::from(comment)))
}

/// One comment.
///
/// Required role: viewer.
#[utoipa::path(
    tag = "comments",
    security(("bearer" = ["viewer"])),
    params(("id" = Uuid, Path, description = "Comment id")),
    responses((status = 200, description = "The comment", body = CommentResponse), Denied, Missing)
)]
#[get("/comments/{id}")]
pub async fn get_comment(
    state: web::Data<AppState>,
    _caller: Viewer,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let row = db::run(&state.pool, move |conn| comments::get(conn, id)).await?;
    Ok(HttpResponse::Ok().json(CommentResponse::from(row)))
}

/// The comments on an item.
///
/// Required role: viewer.
#[utoipa::path(
    tag = "comments",
    security(("bearer" = ["viewer"])),
    params(("id" = Uuid, Path, description = "Recommendation id")),
    responses((status = 200, description = "Oldest first", body = [CommentResponse]), Denied, Missing)
)]
#[get("/recommendations/{id}/comments")]
pub async fn list_comments(
    state: web::Data<AppState>,
    _caller: Viewer,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Error> {
    let item = id.into_inner();
    let rows = db::run(&state.pool, move |conn| comments::list(conn, item)).await?;
    Ok(HttpResponse::Ok().json(
        rows.into_iter()
            .map(CommentResponse::from)
            .collect::<Vec<_>>(),
    ))
}

/// Every change to an item, oldest first: actor, time, reason, before and after.
///
/// Required role: viewer.
#[utoipa::path(
    tag = "history",
    security(("bearer" = ["viewer"])),
    params(("id" = Uuid, Path, description = "Recommendation id")),
    responses((status = 200, description = "The history", body = [HistoryEventResponse]), Denied, Missing)
)]
#[get("/recommendations/{id}/history")]
pub async fn list_history(
    state: web::Data<AppState>,
    _caller: Viewer,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Error> {
    let item = id.into_inner();
    let events = db::run(&state.pool, move |conn| history::read(conn, item)).await?;
    Ok(HttpResponse::Ok().json(
        events
            .into_iter()
            .map(HistoryEventResponse::from)
            .collect::<Vec<_>>(),
    ))
}

/// Check an item's history: its keyed hash chain, the head the item records, and a replay of
/// its events against the item's response, status and due date.
///
/// Required role: viewer.
#[utoipa::path(
    tag = "history",
    security(("bearer" = ["viewer"])),
    params(("id" = Uuid, Path, description = "Recommendation id")),
    responses((status = 200, description = "The verdict", body = HistoryVerification), Denied, Missing)
)]
#[get("/recommendations/{id}/history/verify")]
pub async fn get_history_verification(
    state: web::Data<AppState>,
    _caller: Viewer,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Error> {
    let item = id.into_inner();
    let verdict = db::run(&state.pool, move |conn| {
        items::must_exist(conn, item)?;
        history::verify(conn, item)
    })
    .await?;
    Ok(HttpResponse::Ok().json(HistoryVerification::from(verdict)))
}

/// Check the history of every item and the recorded daily anchors.
///
/// For each item: its keyed hash chain, the head it records, and a replay against its
/// response, status and due date. For each of the newest 31 anchors: whether the chains still
/// give its digest. Reads every event: meant for audits, not for polling.
///
/// Required role: admin.
#[utoipa::path(
    tag = "history",
    security(("bearer" = ["admin"])),
    responses((status = 200, description = "The report", body = IntegrityReport), Denied)
)]
#[get("/history/verify")]
pub async fn get_integrity(
    state: web::Data<AppState>,
    _caller: Admin,
) -> Result<HttpResponse, Error> {
    let integrity = db::run(&state.pool, |conn| {
        history::anchor::check_everything(conn, 31)
    })
    .await?;
    Ok(HttpResponse::Ok().json(IntegrityReport::from(integrity)))
}
