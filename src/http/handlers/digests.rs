//! Digest preferences, previews, run history, on-demand runs, and snoozing items out of digests.

use actix_web::{HttpResponse, delete, get, post, put, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::db;
use crate::db::enums::DigestFrequency;
use crate::domain::digest::Audience;
use crate::domain::digest::compose::Digest;
use crate::domain::digest::deliveries::{self, RunView, Settings as DigestContext, Trigger};
use crate::domain::digest::desk::TickSummary;
use crate::domain::items::edit;
use crate::domain::policy;
use crate::domain::users;
use crate::error::Error;
use crate::http::auth::{Admin, Contributor, Manager, Viewer};
use crate::http::problem::{Denied, Missing, Rejected};
use crate::http::{AppState, Body, parsed};

/// A user's digest frequency.
#[derive(Debug, Serialize, ToSchema)]
pub struct DigestPreferencesResponse {
    /// What the user chose; `null` means the role's default.
    pub frequency: Option<DigestFrequency>,
    /// What applies: the choice, or weekly for managers and admins and off for others.
    pub effective: DigestFrequency,
}

/// A new digest frequency.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"frequency": "daily"}))]
pub struct DigestPreferencesRequest {
    /// `weekly`, `daily`, `off`, or `null` for the role's default.
    pub frequency: Option<DigestFrequency>,
}

fn user_of(caller: &crate::domain::auth::Principal) -> Result<Uuid, Error> {
    caller
        .user_id()
        .ok_or_else(|| Error::Forbidden("API tokens receive no digests".into()))
}

/// The caller's digest frequency.
///
/// Required role: viewer (a signed-in user).
#[utoipa::path(
    tag = "digests",
    security(("bearer" = ["viewer"])),
    responses((status = 200, description = "The preference", body = DigestPreferencesResponse), Denied)
)]
#[get("/me/digest-preferences")]
pub async fn get_digest_preferences(
    state: web::Data<AppState>,
    caller: Viewer,
) -> Result<HttpResponse, Error> {
    let id = user_of(&caller.0)?;
    let (frequency, effective) =
        db::run(&state.pool, move |conn| users::digest_preference(conn, id)).await?;
    Ok(HttpResponse::Ok().json(DigestPreferencesResponse {
        frequency,
        effective,
    }))
}

/// Choose how often to receive the digest: weekly, daily or off (contributors opt in here).
///
/// Required role: viewer (a signed-in user).
#[utoipa::path(
    tag = "digests",
    security(("bearer" = ["viewer"])),
    request_body = DigestPreferencesRequest,
    responses((status = 200, description = "Saved", body = DigestPreferencesResponse), Denied, Rejected)
)]
#[put("/me/digest-preferences")]
pub async fn put_digest_preferences(
    state: web::Data<AppState>,
    caller: Viewer,
    body: Body<DigestPreferencesRequest>,
) -> actix_web::Result<HttpResponse> {
    let id = user_of(&caller.0)?;
    let chosen = parsed(body)?.frequency;
    let (frequency, effective) = db::transaction(&state.pool, move |conn| {
        users::set_digest_preference(conn, id, chosen)?;
        users::digest_preference(conn, id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(DigestPreferencesResponse {
        frequency,
        effective,
    }))
}

/// Whose digest to preview.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PreviewQuery {
    /// A user id; the caller by default. Managers may preview only their own.
    pub user: Option<Uuid>,
}

/// What would be sent.
#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewResponse {
    /// `null` when nothing qualifies: no digest would be sent.
    pub digest: Option<Digest>,
    pub text: Option<String>,
    pub html: Option<String>,
}

/// Render exactly what the user's digest would say now, with each item's reason.
///
/// Required role: manager (for themselves); admins for anyone.
#[utoipa::path(
    tag = "digests",
    security(("bearer" = ["manager"])),
    params(PreviewQuery),
    responses((status = 200, description = "The digest, or null fields when nothing qualifies", body = PreviewResponse), Denied, Rejected, Missing)
)]
#[get("/digests/preview")]
pub async fn get_digest_preview(
    state: web::Data<AppState>,
    caller: Manager,
    query: web::Query<PreviewQuery>,
) -> Result<HttpResponse, Error> {
    let me = user_of(&caller.0)?;
    let user = query.user.unwrap_or(me);
    policy::digests_of(&caller.0, user)?;
    let settings = state.settings.clone();
    let digest = db::run(&state.pool, move |conn| {
        let (_, effective) = users::digest_preference(conn, user)?;
        // Previews carry no signed links: an admin previewing someone's digest must not hold
        // links that act as them.
        let context = DigestContext {
            rules: &settings.stall,
            digest: &settings.digest,
            base_url: &settings.server.base_url,
            signer: None,
        };
        let now = chrono::Utc::now();
        let period = format!(
            "{} digest {}",
            crate::db::enums::wire_name(effective),
            now.date_naive()
        );
        Ok(deliveries::compose_for(conn, &context, Audience::User(user), &period, now)?.pop())
    })
    .await?;
    let rendered = digest
        .as_ref()
        .map(|d| state.digests.render(d))
        .transpose()?;
    Ok(HttpResponse::Ok().json(PreviewResponse {
        text: rendered.as_ref().map(|r| r.text.clone()),
        html: rendered.map(|r| r.html),
        digest,
    }))
}

/// Whether a digest went out.
#[derive(Debug, Serialize, ToSchema)]
pub struct SendNowResponse {
    /// False when nothing stalls or is overdue for the caller: no email is sent.
    pub sent: bool,
}

/// Send me my digest now: the current preview, to the caller's address, without using up the
/// scheduled period (the next scheduled digest still comes, and counts what is new against the
/// last scheduled one). At most 3 an hour.
///
/// Required role: viewer (a signed-in user).
#[utoipa::path(
    tag = "digests",
    security(("bearer" = ["viewer"])),
    responses((status = 200, description = "Sent, or nothing to send", body = SendNowResponse), Denied)
)]
#[post("/me/digest/send")]
pub async fn create_digest_send(
    state: web::Data<AppState>,
    caller: Viewer,
) -> Result<HttpResponse, Error> {
    let me = user_of(&caller.0)?;
    let sent = state.digests.send_on_request(me).await?;
    Ok(HttpResponse::Ok().json(SendNowResponse { sent }))
}

/// Digest runs and their deliveries, newest first (managers see their own deliveries).
///
/// Required role: manager.
#[utoipa::path(
    tag = "digests",
    security(("bearer" = ["manager"])),
    responses((status = 200, description = "Runs with deliveries", body = [RunView]), Denied)
)]
#[get("/digests")]
pub async fn list_digests(
    state: web::Data<AppState>,
    caller: Manager,
) -> Result<HttpResponse, Error> {
    let Some(only) = policy::digest_runs_visible_to(&caller.0) else {
        return Err(Error::Forbidden("API tokens receive no digests".into()));
    };
    let runs = db::run(&state.pool, move |conn| {
        deliveries::list_runs(conn, 50, only)
    })
    .await?;
    Ok(HttpResponse::Ok().json(runs))
}

/// Plan the due digest periods now (each period is planned once, whoever asks) and send what is
/// due.
///
/// Required role: admin.
#[utoipa::path(
    tag = "digests",
    security(("bearer" = ["admin"])),
    responses((status = 200, description = "What was planned and sent", body = TickSummary), Denied)
)]
#[post("/digests/run")]
pub async fn create_digest_run(
    state: web::Data<AppState>,
    _caller: Admin,
) -> Result<HttpResponse, Error> {
    let summary = state.digests.tick(Trigger::Manual).await?;
    Ok(HttpResponse::Ok().json(summary))
}

/// Leave an item out of digests until a date.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"until": "2027-01-31", "reason": "Waiting for the new budget year"}))]
pub struct SnoozeRequest {
    pub until: NaiveDate,
    /// Why; at most 5,000 characters.
    #[schema(max_length = 5000)]
    pub reason: String,
}

/// Snooze an item: it stays out of digests until the date (recorded in its history).
///
/// Required role: manager.
#[utoipa::path(
    tag = "digests",
    security(("bearer" = ["manager"])),
    params(("id" = Uuid, Path, description = "Recommendation id")),
    request_body = SnoozeRequest,
    responses((status = 204, description = "Snoozed"), Denied, Rejected, Missing)
)]
#[post("/recommendations/{id}/snooze")]
pub async fn create_snooze(
    state: web::Data<AppState>,
    caller: Manager,
    id: web::Path<Uuid>,
    body: Body<SnoozeRequest>,
) -> actix_web::Result<HttpResponse> {
    let body = parsed(body)?;
    let id = id.into_inner();
    let principal = caller.0;
    db::transaction(&state.pool, move |conn| {
        edit::snooze(conn, &principal, id, Some(body.until), Some(body.reason))
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// End an item's snooze.
///
/// Required role: manager.
#[utoipa::path(
    tag = "digests",
    security(("bearer" = ["manager"])),
    params(("id" = Uuid, Path, description = "Recommendation id")),
    responses((status = 204, description = "No longer snoozed"), Denied, Missing)
)]
#[delete("/recommendations/{id}/snooze")]
pub async fn delete_snooze(
    state: web::Data<AppState>,
    caller: Manager,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let principal = caller.0;
    db::transaction(&state.pool, move |conn| {
        edit::snooze(conn, &principal, id, None, None)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A note that an item is still on track.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"note": "Procurement signed; work starts in January"}))]
pub struct AcknowledgementRequest {
    /// Why it is on track although nothing was recorded lately (optional; at most 5,000
    /// characters).
    #[serde(default)]
    #[schema(max_length = 5000)]
    pub note: Option<String>,
}

/// Say an item is still on track: recorded in its history with the note, and its stall clock
/// starts again (as from the "still on track" link in a digest).
///
/// Required role: contributor (and ownership) or manager.
#[utoipa::path(
    tag = "digests",
    security(("bearer" = ["contributor"])),
    params(("id" = Uuid, Path, description = "Recommendation id")),
    request_body = AcknowledgementRequest,
    responses((status = 204, description = "Recorded"), Denied, Rejected, Missing)
)]
#[post("/recommendations/{id}/acknowledgements")]
pub async fn create_acknowledgement(
    state: web::Data<AppState>,
    caller: Contributor,
    id: web::Path<Uuid>,
    body: Body<AcknowledgementRequest>,
) -> actix_web::Result<HttpResponse> {
    let note = parsed(body)?.note;
    let id = id.into_inner();
    let principal = caller.0;
    db::transaction(&state.pool, move |conn| {
        crate::domain::items::acknowledge::acknowledge(conn, &principal, id, note)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
