//! Subscriptions to saved views: the view's items by email, daily or weekly.

use actix_web::{HttpResponse, delete, get, post, web};
use uuid::Uuid;

use crate::db;
use crate::domain::subscriptions::{self, Cadence, For, New};
use crate::error::Error;
use crate::http::auth::Viewer;
use crate::http::dto::subscriptions::{CreateSubscriptionRequest, SubscriptionResponse};
use crate::http::problem::{Conflicting, Denied, Missing, Rejected};
use crate::http::{AppState, Body, created, parsed};

/// The hour a subscription sends at when none is given.
const DEFAULT_HOUR: u32 = 8;

/// Subscribe to a view: its items by email, daily or weekly at an hour in a time zone, or only
/// in periods when it holds any.
///
/// The first email goes out at the first such hour after subscribing; each subscriber gets
/// each period's email once, whichever instance sends it. Each email has a link that stops the
/// subscription reaching its reader (a team's subscription then still reaches the others).
///
/// Required role: viewer (a signed-in user who may use the view) for yourself; manager to
/// subscribe a team, to a view shared with that team.
#[utoipa::path(
    tag = "views",
    security(("bearer" = ["viewer"])),
    params(("id" = Uuid, Path, description = "View id")),
    request_body = CreateSubscriptionRequest,
    responses((status = 201, description = "Subscribed", body = SubscriptionResponse), Denied, Missing, Rejected, Conflicting)
)]
#[post("/views/{id}/subscriptions")]
pub async fn create_subscription(
    state: web::Data<AppState>,
    caller: Viewer,
    id: web::Path<Uuid>,
    body: Body<CreateSubscriptionRequest>,
) -> actix_web::Result<HttpResponse> {
    let (who, view) = (caller.0, id.into_inner());
    let body = parsed(body)?;
    let zone = body
        .time_zone
        .clone()
        .unwrap_or_else(|| state.settings.digest.timezone.name().to_owned());
    let cadence = Cadence::new(
        body.frequency,
        body.weekday,
        body.hour.unwrap_or(DEFAULT_HOUR),
        &zone,
    )?;
    let new = New {
        target: body.team_id.map_or(For::Me, For::Team),
        cadence,
        only_when_non_empty: body.only_when_non_empty.unwrap_or(false),
    };
    let sub = db::transaction(&state.pool, move |conn| {
        subscriptions::create(conn, &who, view, new)
    })
    .await?;
    Ok(
        created(format!("/views/{view}/subscriptions/{}", sub.row.id))
            .json(SubscriptionResponse::from(sub)),
    )
}

/// A view's subscriptions that you may see: yours and your teams' (managers and admins: all).
///
/// Required role: viewer (who may use the view).
#[utoipa::path(
    tag = "views",
    security(("bearer" = ["viewer"])),
    params(("id" = Uuid, Path, description = "View id")),
    responses((status = 200, description = "Oldest first", body = [SubscriptionResponse]), Denied, Missing)
)]
#[get("/views/{id}/subscriptions")]
pub async fn list_subscriptions(
    state: web::Data<AppState>,
    caller: Viewer,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Error> {
    let (who, view) = (caller.0, id.into_inner());
    let list = db::run(&state.pool, move |conn| {
        subscriptions::list(conn, &who, view)
    })
    .await?;
    Ok(HttpResponse::Ok().json(
        list.into_iter()
            .map(SubscriptionResponse::from)
            .collect::<Vec<_>>(),
    ))
}

/// One subscription.
///
/// Required role: viewer (its subscriber, or a member of its team); managers see all.
#[utoipa::path(
    tag = "views",
    security(("bearer" = ["viewer"])),
    params(
        ("id" = Uuid, Path, description = "View id"),
        ("sid" = Uuid, Path, description = "Subscription id")
    ),
    responses((status = 200, description = "The subscription", body = SubscriptionResponse), Denied, Missing)
)]
#[get("/views/{id}/subscriptions/{sid}")]
pub async fn get_subscription(
    state: web::Data<AppState>,
    caller: Viewer,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, Error> {
    let (who, (view, sid)) = (caller.0, path.into_inner());
    let sub = db::run(&state.pool, move |conn| {
        subscriptions::get(conn, &who, view, sid)
    })
    .await?;
    Ok(HttpResponse::Ok().json(SubscriptionResponse::from(sub)))
}

/// End a subscription.
///
/// Required role: viewer (its subscriber); manager for a team's.
#[utoipa::path(
    tag = "views",
    security(("bearer" = ["viewer"])),
    params(
        ("id" = Uuid, Path, description = "View id"),
        ("sid" = Uuid, Path, description = "Subscription id")
    ),
    responses((status = 204, description = "Ended"), Denied, Missing)
)]
#[delete("/views/{id}/subscriptions/{sid}")]
pub async fn delete_subscription(
    state: web::Data<AppState>,
    caller: Viewer,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, Error> {
    let (who, (view, sid)) = (caller.0, path.into_inner());
    db::transaction(&state.pool, move |conn| {
        subscriptions::delete(conn, &who, view, sid)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
