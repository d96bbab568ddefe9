//! Webhook endpoints, their secrets and their delivery log, administered by admins.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::db;
use crate::domain::webhooks::{self, Patch, Registration, TargetUrl, outbox, targets};
use crate::error::Error;
use crate::http::auth::Admin;
use crate::http::dto::webhooks::{
    CreateWebhookRequest, CreatedWebhookResponse, DeliveryResponse, RotateSecretRequest,
    RotatedSecretResponse, UpdateWebhookRequest, WebhookResponse,
};
use crate::http::problem::{Conflicting, Denied, Missing, Rejected};
use crate::http::{AppState, Body, created, parsed};

/// Parses and checks a URL the way every endpoint's is: syntax, then its addresses.
async fn target(state: &AppState, raw: &str) -> Result<TargetUrl, Error> {
    let url = TargetUrl::parse(raw)?;
    targets::check(&url, state.settings.webhooks.allow_private_targets).await?;
    Ok(url)
}

/// Marks a response (sent `no-store`) as holding a secret: never kept for an idempotent replay.
fn secret_response(mut response: HttpResponse) -> HttpResponse {
    response
        .extensions_mut()
        .insert(crate::http::idempotency::CarriesSecret);
    response
}

/// List webhook endpoints (never their secrets).
///
/// Required role: admin.
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = ["admin"])),
    responses((status = 200, description = "Every endpoint, newest first", body = [WebhookResponse]), Denied)
)]
#[get("/webhooks")]
pub async fn list_webhooks(
    state: web::Data<AppState>,
    _caller: Admin,
) -> Result<HttpResponse, Error> {
    let list = db::run(&state.pool, webhooks::list).await?;
    Ok(HttpResponse::Ok().json(
        list.into_iter()
            .map(WebhookResponse::from)
            .collect::<Vec<_>>(),
    ))
}

/// Register a webhook endpoint; its signing secret is in this response only.
///
/// Events are sent as Standard Webhooks requests (`webhook-id`, `webhook-timestamp`,
/// `webhook-signature`); see the document's `webhooks` section for each payload.
///
/// Required role: admin.
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = ["admin"])),
    request_body = CreateWebhookRequest,
    responses((status = 201, description = "Registered", body = CreatedWebhookResponse), Denied, Rejected, Conflicting)
)]
#[post("/webhooks")]
pub async fn create_webhook(
    state: web::Data<AppState>,
    caller: Admin,
    body: Body<CreateWebhookRequest>,
) -> actix_web::Result<HttpResponse> {
    let body = parsed(body)?;
    let registration = Registration {
        url: target(&state, &body.url).await?,
        description: body.description,
        events: body.events,
        report_id: body.report_id,
        team_id: body.team_id,
    };
    let creator = caller.0.user_id();
    let new = db::transaction(&state.pool, move |conn| {
        webhooks::register(conn, &registration, creator)
    })
    .await?;
    Ok(secret_response(
        created(format!("/webhooks/{}", new.endpoint.id))
            .insert_header(crate::http::NO_STORE)
            .json(CreatedWebhookResponse {
                webhook: new.endpoint.into(),
                secret: new.secret,
            }),
    ))
}

/// One webhook endpoint.
///
/// Required role: admin.
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = ["admin"])),
    params(("id" = Uuid, Path, description = "Endpoint id")),
    responses((status = 200, description = "The endpoint", body = WebhookResponse), Denied, Missing)
)]
#[get("/webhooks/{id}")]
pub async fn get_webhook(
    state: web::Data<AppState>,
    _caller: Admin,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let endpoint = db::run(&state.pool, move |conn| webhooks::get(conn, id)).await?;
    Ok(HttpResponse::Ok().json(WebhookResponse::from(endpoint)))
}

/// Change an endpoint: its URL, events, description, or whether it is enabled.
///
/// Enabling an endpoint that was disabled (by an admin, or after a day of failures) forgets
/// its failures; its pending deliveries then go out.
///
/// Required role: admin.
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = ["admin"])),
    params(("id" = Uuid, Path, description = "Endpoint id")),
    request_body = UpdateWebhookRequest,
    responses((status = 200, description = "Changed", body = WebhookResponse), Denied, Rejected, Missing)
)]
#[patch("/webhooks/{id}")]
pub async fn update_webhook(
    state: web::Data<AppState>,
    _caller: Admin,
    id: web::Path<Uuid>,
    body: Body<UpdateWebhookRequest>,
) -> actix_web::Result<HttpResponse> {
    let body = parsed(body)?;
    let url = match body.url.as_deref() {
        Some(raw) => Some(target(&state, raw).await?),
        None => None,
    };
    let patch = Patch {
        url,
        description: body.description,
        events: body.events,
        enabled: body.enabled,
    };
    let id = id.into_inner();
    let endpoint =
        db::transaction(&state.pool, move |conn| webhooks::update(conn, id, &patch)).await?;
    Ok(HttpResponse::Ok().json(WebhookResponse::from(endpoint)))
}

/// Delete an endpoint, with its pending deliveries and its log.
///
/// Required role: admin.
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = ["admin"])),
    params(("id" = Uuid, Path, description = "Endpoint id")),
    responses((status = 204, description = "Deleted"), Denied, Missing)
)]
#[delete("/webhooks/{id}")]
pub async fn delete_webhook(
    state: web::Data<AppState>,
    _caller: Admin,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    db::transaction(&state.pool, move |conn| webhooks::delete(conn, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Rotate an endpoint's signing secret; the new one is in this response only.
///
/// The secrets it replaces keep signing for `overlap_secs` (default a day): meanwhile each
/// request carries one signature per secret, so the receiver can switch at its own pace.
///
/// Required role: admin.
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = ["admin"])),
    params(("id" = Uuid, Path, description = "Endpoint id")),
    request_body(content = RotateSecretRequest, description = "Optional"),
    responses((status = 200, description = "The new secret", body = RotatedSecretResponse), Denied, Rejected, Missing)
)]
#[post("/webhooks/{id}/secret")]
pub async fn rotate_webhook_secret(
    state: web::Data<AppState>,
    _caller: Admin,
    id: web::Path<Uuid>,
    request: actix_web::HttpRequest,
    body: Body<RotateSecretRequest>,
) -> actix_web::Result<HttpResponse> {
    // An admin cutting a leaked secret off must not get a day's overlap from a misspelt body.
    let asked = crate::http::optional(&request, body)?;
    let overlap = asked.overlap_secs.unwrap_or(86_400);
    let id = id.into_inner();
    let (secret, until) =
        db::transaction(&state.pool, move |conn| webhooks::rotate(conn, id, overlap)).await?;
    Ok(secret_response(
        HttpResponse::Ok()
            .insert_header(crate::http::NO_STORE)
            .json(RotatedSecretResponse {
                secret,
                previous_expire_at: until,
            }),
    ))
}

/// How many deliveries the log shows.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LogQuery {
    /// 1-200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

/// The endpoint's latest deliveries, newest first, each with every attempt (status, latency,
/// error).
///
/// Required role: admin.
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = ["admin"])),
    params(("id" = Uuid, Path, description = "Endpoint id"), LogQuery),
    responses((status = 200, description = "Deliveries", body = [DeliveryResponse]), Denied, Rejected, Missing)
)]
#[get("/webhooks/{id}/deliveries")]
pub async fn list_webhook_deliveries(
    state: web::Data<AppState>,
    _caller: Admin,
    id: web::Path<Uuid>,
    query: web::Query<LogQuery>,
) -> Result<HttpResponse, Error> {
    let limit = query.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(Error::invalid("limit", "must be from 1 to 200"));
    }
    let id = id.into_inner();
    let log = db::run(&state.pool, move |conn| outbox::log(conn, id, limit)).await?;
    Ok(HttpResponse::Ok().json(
        log.into_iter()
            .map(DeliveryResponse::from)
            .collect::<Vec<_>>(),
    ))
}

/// Send an event to the endpoint again (after it was delivered or abandoned), under the same
/// `webhook-id`, with a fresh day of retries.
///
/// Required role: admin.
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = ["admin"])),
    params(
        ("id" = Uuid, Path, description = "Endpoint id"),
        ("webhook_id" = String, Path, description = "The delivery's `webhook-id` (msg_...)")
    ),
    responses((status = 202, description = "Queued"), Denied, Missing, Conflicting)
)]
#[post("/webhooks/{id}/deliveries/{webhook_id}/redeliver")]
pub async fn redeliver_webhook(
    state: web::Data<AppState>,
    _caller: Admin,
    path: web::Path<(Uuid, String)>,
) -> Result<HttpResponse, Error> {
    let (id, message) = path.into_inner();
    let event = outbox::parse_message_id(&message).ok_or(Error::NotFound)?;
    db::transaction(&state.pool, move |conn| outbox::redeliver(conn, id, event)).await?;
    Ok(HttpResponse::Accepted().finish())
}
