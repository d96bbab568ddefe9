//! One module per resource; `routes` registers them all so utoipa collects every operation.

pub mod auth;
pub mod health;
pub mod teams;
pub mod tokens;
pub mod users;

use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;

/// Registers every route of the API.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(health::get_healthz)
        .service(health::get_readyz)
        .service(
            scope::scope("/api/v1")
                .service(auth::create_login)
                .service(auth::create_refresh)
                .service(auth::create_logout)
                .service(auth::get_me)
                .service(users::list_users)
                .service(users::create_user)
                .service(users::update_user)
                .service(teams::list_teams)
                .service(teams::create_team)
                .service(teams::get_team)
                .service(teams::put_team_member)
                .service(teams::delete_team_member)
                .service(tokens::list_tokens)
                .service(tokens::create_token)
                .service(tokens::delete_token),
        );
}
