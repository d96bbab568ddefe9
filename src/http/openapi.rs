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
        (name = "health", description = "Liveness and readiness probes"),
    ),
    components(schemas(crate::http::problem::Problem))
)]
struct BaseDoc;

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
