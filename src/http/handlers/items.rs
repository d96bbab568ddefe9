//! Recommendations one at a time: reading, creating, editing and moving them through the
//! workflow (lists and exports are in `lists`).

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use uuid::Uuid;

use crate::db;
use crate::domain::history::Author;
use crate::domain::items;
use crate::domain::items::edit::{self, ItemChanges, NewItem};
use crate::domain::workflow::Destination;
use crate::error::Result;
use crate::http::auth::{Contributor, Manager, Viewer};
use crate::http::dto::items::{
    CreateRecommendationRequest, RecommendationResponse, TransitionRequest,
    UpdateRecommendationRequest,
};
use crate::http::etag::{conditional_json, if_match};
use crate::http::problem::{Conflicting, Denied, Missing, Problem, Rejected, Stale};
use crate::http::{AppState, Body, parsed};

async fn respond(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    id: Uuid,
    status: actix_web::http::StatusCode,
) -> Result<HttpResponse> {
    let rules = state.settings.stall;
    let item = db::run(&state.pool, move |conn| items::get(conn, id, &rules)).await?;
    let version = item.rec.version;
    conditional_json(
        req,
        status,
        Some(version),
        &RecommendationResponse::from(item),
    )
}

/// Commits `change` in one transaction, then reads the item it names back on the same
/// connection: one trip to the pool for the whole request.
async fn change_and_respond<F>(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    status: actix_web::http::StatusCode,
    change: F,
) -> Result<HttpResponse>
where
    F: FnOnce(&mut diesel::PgConnection) -> Result<Uuid> + Send + 'static,
{
    let rules = state.settings.stall;
    let item = db::run(&state.pool, move |conn| {
        items::commit_then_get(conn, change, &rules)
    })
    .await?;
    item_response(req, status, item)
}

/// The item as a change or a read answers it, with its version as `ETag` (and, when created,
/// its `Location`).
fn item_response(
    req: &HttpRequest,
    status: actix_web::http::StatusCode,
    item: items::Item,
) -> Result<HttpResponse> {
    let version = item.rec.version;
    let id = item.rec.id;
    let mut response = conditional_json(
        req,
        status,
        Some(version),
        &RecommendationResponse::from(item),
    )?;
    if status == actix_web::http::StatusCode::CREATED {
        let location = crate::http::api_path(format_args!("/recommendations/{id}"));
        if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&location) {
            response
                .headers_mut()
                .insert(actix_web::http::header::LOCATION, value);
        }
    }
    Ok(response)
}

/// One recommendation, with its owners and computed stalled/overdue flags.
///
/// The `ETag` starts with the item's version (send it as `If-Match` when changing the item);
/// `If-None-Match` with it answers 304 while nothing in the body changed.
///
/// Required role: viewer.
#[utoipa::path(
    tag = "recommendations",
    security(("bearer" = ["viewer"])),
    params(
        ("id" = Uuid, Path, description = "Recommendation id"),
        ("If-None-Match" = Option<String>, Header, description = "An `ETag` you hold; 304 if it is still current"),
    ),
    responses(
        (status = 200, description = "The item", body = RecommendationResponse,
         headers(("ETag" = String, description = "`\"<version>.<digest>\"`"))),
        (status = 304, description = "Unchanged since the `ETag` in `If-None-Match`"),
        Denied, Missing,
    )
)]
#[get("/recommendations/{id}")]
pub async fn get_recommendation(
    state: web::Data<AppState>,
    _caller: Viewer,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> Result<HttpResponse> {
    respond(
        &state,
        &req,
        id.into_inner(),
        actix_web::http::StatusCode::OK,
    )
    .await
}

/// Create a recommendation.
///
/// Required role: manager.
#[utoipa::path(
    tag = "recommendations",
    security(("bearer" = ["manager"])),
    request_body = CreateRecommendationRequest,
    responses((status = 201, description = "Created", body = RecommendationResponse), Denied, Rejected, Conflicting)
)]
#[post("/recommendations")]
pub async fn create_recommendation(
    state: web::Data<AppState>,
    caller: Manager,
    req: HttpRequest,
    body: Body<CreateRecommendationRequest>,
) -> actix_web::Result<HttpResponse> {
    let body = parsed(body)?;
    let author = Author::from(&caller.0);
    let item = NewItem {
        web_title: None,
        provenance: None,
        report_id: body.report_id,
        key: body.key,
        ordinal: body.ordinal,
        parent_id: body.parent_id,
        title: body.title,
        body: body.body,
        source_ref: body.source_ref,
        themes: body.themes,
        priority: body.priority,
        due_date: body.due_date,
    };
    Ok(change_and_respond(
        &state,
        &req,
        actix_web::http::StatusCode::CREATED,
        move |conn| edit::create(conn, item, author),
    )
    .await?)
}

/// Change a recommendation's fields.
///
/// Managers may change everything; contributors who own the item only `progress_percent` and
/// `progress_note`. Moving or clearing a due date needs `due_date_reason`. Accepts `If-Match`
/// (412 when stale). Required role: contributor (and ownership) or manager.
#[utoipa::path(
    tag = "recommendations",
    security(("bearer" = ["contributor"])),
    params(
        ("id" = Uuid, Path, description = "Recommendation id"),
        ("If-Match" = Option<String>, Header, description = "The ETag the change is based on"),
    ),
    request_body = UpdateRecommendationRequest,
    responses((status = 200, description = "Updated", body = RecommendationResponse), Denied, Rejected, Missing, Stale)
)]
#[patch("/recommendations/{id}")]
pub async fn update_recommendation(
    state: web::Data<AppState>,
    caller: Contributor,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: Body<UpdateRecommendationRequest>,
) -> actix_web::Result<HttpResponse> {
    let body = parsed(body)?;
    let expected = if_match(&req)?;
    let id = id.into_inner();
    let changes = ItemChanges {
        title: body.title,
        body: body.body,
        themes: body.themes,
        priority: body.priority,
        due_date: body.due_date,
        due_date_reason: body.due_date_reason,
        progress_percent: body.progress_percent,
        progress_note: body.progress_note,
    };
    let principal = caller.0;
    Ok(
        change_and_respond(&state, &req, actix_web::http::StatusCode::OK, move |conn| {
            edit::update(conn, &principal, id, changes, expected).map(|()| id)
        })
        .await?,
    )
}

/// Move a recommendation along the response or status axis.
///
/// Forbidden moves get 409 with `allowed` listing where the item may go. Responses are
/// recorded by managers; status moves by managers or the item's owners. Accepts `If-Match`.
/// Required role: contributor (and ownership) or manager.
#[utoipa::path(
    tag = "recommendations",
    security(("bearer" = ["contributor"])),
    params(
        ("id" = Uuid, Path, description = "Recommendation id"),
        ("If-Match" = Option<String>, Header, description = "The ETag the change is based on"),
    ),
    request_body = TransitionRequest,
    responses(
        (status = 200, description = "Moved", body = RecommendationResponse),
        (status = 409, description = "Not allowed from here; `allowed` lists the targets", body = Problem,
         content_type = "application/problem+json"),
        Denied, Rejected, Missing, Stale,
    )
)]
#[post("/recommendations/{id}/transitions")]
pub async fn create_transition(
    state: web::Data<AppState>,
    caller: Contributor,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: Body<TransitionRequest>,
) -> actix_web::Result<HttpResponse> {
    let body = parsed(body)?;
    let to = Destination::parse(body.axis, &body.to)?;
    let expected = if_match(&req)?;
    let id = id.into_inner();
    let principal = caller.0;
    let rules = state.settings.stall;
    // The move answers the item itself: no statement to read it back.
    let row = db::transaction(&state.pool, move |conn| {
        edit::transition(conn, &principal, id, to, body.reason, expected)
    })
    .await?;
    let item = items::assemble(row, &rules, chrono::Utc::now())?;
    Ok(item_response(&req, actix_web::http::StatusCode::OK, item)?)
}
