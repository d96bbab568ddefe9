//! Probes for orchestrators: `/healthz` says the process serves HTTP, `/readyz` that it can do
//! its work (database reachable and migrated).

use actix_web::{HttpResponse, get, web};
use secrecy::ExposeSecret;
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain;
use crate::error::Error;
use crate::http::AppState;

/// The body of a successful probe.
#[derive(Debug, Serialize, ToSchema)]
pub struct HealthResponse {
    /// `ok` for liveness, `ready` for readiness.
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// Liveness: the process is up and answering.
#[utoipa::path(
    tag = "health",
    responses((status = 200, description = "The process is alive", body = HealthResponse))
)]
#[get("/healthz")]
pub async fn get_healthz() -> HttpResponse {
    HttpResponse::Ok().json(HealthResponse { status: "ok" })
}

/// Readiness: the database answers and has every migration of this binary.
#[utoipa::path(
    tag = "health",
    responses(
        (status = 200, description = "Ready to serve", body = HealthResponse),
        (status = 503, description = "Database unreachable or not migrated",
         body = crate::http::problem::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/readyz")]
pub async fn get_readyz(state: web::Data<AppState>) -> Result<HttpResponse, Error> {
    domain::health::readiness(&state.pool).await?;
    Ok(HttpResponse::Ok().json(HealthResponse { status: "ready" }))
}

/// Prometheus metrics: requests by route and status, latency histograms, database statements
/// and pool use, digest runs and deliveries by outcome, scheduler lag.
///
/// Open unless `metrics.token` is set; then only `Authorization: Bearer <that token>` reads it.
#[utoipa::path(
    tag = "health",
    responses(
        (status = 200, description = "Prometheus text exposition format",
         body = String, content_type = "text/plain; version=0.0.4"),
        (status = 401, description = "`metrics.token` is set and was not sent",
         body = crate::http::problem::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/metrics")]
pub async fn get_metrics(
    state: web::Data<AppState>,
    req: actix_web::HttpRequest,
) -> Result<HttpResponse, Error> {
    let expected = state.settings.metrics.token.expose_secret();
    if !expected.is_empty() {
        let sent = req
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        // Compared as digests, so the time taken says nothing about the token.
        if crate::domain::auth::secrets::digest(sent)
            != crate::domain::auth::secrets::digest(expected)
        {
            return Err(Error::Unauthenticated("/metrics needs the metrics token"));
        }
    }
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.metrics.render(&state.pool)))
}
