//! One module per resource; `routes` registers them all so utoipa collects every operation.

pub mod health;

use utoipa_actix_web::service_config::ServiceConfig;

/// Registers every route of the API.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(health::get_healthz).service(health::get_readyz);
}
