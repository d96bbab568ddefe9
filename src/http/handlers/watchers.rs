//! Watching items: their changes by others in your digest.

use actix_web::{HttpResponse, delete, get, put, web};
use uuid::Uuid;

use crate::db;
use crate::domain::watchers;
use crate::error::Error;
use crate::http::AppState;
use crate::http::auth::Viewer;
use crate::http::dto::watchers::{WatchResponse, WatchedItemResponse};
use crate::http::problem::{Denied, Missing};

/// Whether you watch an item.
///
/// Observers of an item (owner kind `observer`, directly or through a team) watch it until
/// they stop.
///
/// Required role: viewer (a signed-in user; not an API token).
#[utoipa::path(
    tag = "watchers",
    security(("bearer" = ["viewer"])),
    params(("id" = Uuid, Path, description = "Recommendation id")),
    responses((status = 200, description = "Whether you watch it", body = WatchResponse), Denied, Missing)
)]
#[get("/recommendations/{id}/watch")]
pub async fn get_watch(
    state: web::Data<AppState>,
    caller: Viewer,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Error> {
    let (me, item) = (watchers::person(&caller.0)?, id.into_inner());
    let watch = db::run(&state.pool, move |conn| watchers::state(conn, me, item)).await?;
    Ok(HttpResponse::Ok().json(WatchResponse::new(item, watch)))
}

/// Records the caller's choice and answers how it leaves them.
async fn choose(
    state: &AppState,
    caller: &Viewer,
    item: Uuid,
    watching: bool,
) -> Result<HttpResponse, Error> {
    let me = watchers::person(&caller.0)?;
    let watch = db::transaction(&state.pool, move |conn| {
        watchers::choose(conn, me, item, watching)
    })
    .await?;
    Ok(HttpResponse::Ok().json(WatchResponse::new(item, watch)))
}

/// Watch an item: what others change on it appears under "Watched items" in your digest.
///
/// Idempotent. Anyone who may read the item may watch it. Your own changes are left out.
///
/// Required role: viewer (a signed-in user; not an API token).
#[utoipa::path(
    tag = "watchers",
    security(("bearer" = ["viewer"])),
    params(("id" = Uuid, Path, description = "Recommendation id")),
    responses((status = 200, description = "Watching", body = WatchResponse), Denied, Missing)
)]
#[put("/recommendations/{id}/watch")]
pub async fn put_watch(
    state: web::Data<AppState>,
    caller: Viewer,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Error> {
    choose(&state, &caller, id.into_inner(), true).await
}

/// Stop watching an item, also one you observe (it stays stopped until you watch it again).
///
/// Idempotent. The same as the "Stop watching" link in a digest.
///
/// Required role: viewer (a signed-in user; not an API token).
#[utoipa::path(
    tag = "watchers",
    security(("bearer" = ["viewer"])),
    params(("id" = Uuid, Path, description = "Recommendation id")),
    responses((status = 200, description = "Not watching", body = WatchResponse), Denied, Missing)
)]
#[delete("/recommendations/{id}/watch")]
pub async fn delete_watch(
    state: web::Data<AppState>,
    caller: Viewer,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Error> {
    choose(&state, &caller, id.into_inner(), false).await
}

/// The items you watch, by key (by choice or as an observer).
///
/// Required role: viewer (a signed-in user; not an API token).
#[utoipa::path(
    tag = "watchers",
    security(("bearer" = ["viewer"])),
    responses((status = 200, description = "By key", body = [WatchedItemResponse]), Denied)
)]
#[get("/me/watching")]
pub async fn list_watching(
    state: web::Data<AppState>,
    caller: Viewer,
) -> Result<HttpResponse, Error> {
    let me = watchers::person(&caller.0)?;
    let items = db::run(&state.pool, move |conn| watchers::list(conn, me)).await?;
    Ok(HttpResponse::Ok().json(
        items
            .into_iter()
            .map(WatchedItemResponse::from)
            .collect::<Vec<_>>(),
    ))
}
