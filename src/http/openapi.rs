//! The OpenAPI document, generated from the handlers' annotations. `recotrack openapi` writes
//! it to `openapi/openapi.json`; a test fails when that file and the code disagree.

use actix_web::App;
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;

/// Title, version and the parts no handler declares.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "recotrack",
        description = "Tracks the recommendations of policy reports: owners, workflow, evidence, \
                       history and digests. Errors are RFC 9457 problem documents.",
        license(name = "MIT", identifier = "MIT")
    ),
    tags(
        (name = "health", description = "Liveness and readiness probes, Prometheus metrics"),
        (name = "auth", description = "Signing in and out; the caller's profile"),
        (name = "users", description = "Accounts (admins)"),
        (name = "teams", description = "Teams and their members"),
        (name = "tokens", description = "API tokens for dashboards and integrations (admins)"),
        (name = "workflow", description = "The response and status state machines"),
        (name = "reports", description = "The source documents"),
        (name = "recommendations", description = "Tracked items: list, read, edit, move through the workflow"),
        (name = "owners", description = "Users and teams owning an item"),
        (name = "evidence", description = "Evidence on items and its review"),
        (name = "comments", description = "Comments on items"),
        (name = "history", description = "The append-only, hash-chained history of each item"),
        (name = "digests", description = "Email digests of stalled and overdue items, and snoozing"),
        (name = "stats", description = "Figures for dashboards: counts, groups, timeline, cycle times"),
    ),
    components(schemas(crate::http::problem::Problem)),
    modifiers(&BearerScheme)
)]
struct BaseDoc;

/// Declares the bearer scheme. Each protected operation lists it with the minimum role as its
/// one "scope" (OpenAPI 3.1 allows role names there for non-OAuth schemes).
struct BearerScheme;

impl utoipa::Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT or rtk_ API token")
                    .description(Some(
                        "An access token from POST /api/v1/auth/login, or an API token. \
                         The scope listed on an operation is the minimum role it requires.",
                    ))
                    .build(),
            ),
        );
    }
}

/// The parts of the document no handler declares.
pub fn base() -> utoipa::openapi::OpenApi {
    BaseDoc::openapi()
}

/// The complete document, as served at `/api-docs/openapi.json`.
pub fn document() -> utoipa::openapi::OpenApi {
    let (_, api) = App::new()
        .into_utoipa_app()
        .openapi(base())
        .configure(super::handlers::routes)
        .split_for_parts();
    api
}

/// The document as committed: pretty JSON with a trailing newline.
pub fn document_json() -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(&document()).map(|json| json + "\n")
}
