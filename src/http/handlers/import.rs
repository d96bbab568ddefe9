//! Importing a report's recommendations from its text.

use actix_web::{HttpResponse, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::db;
use crate::domain::extract::{self, Point};
use crate::domain::history::Author;
use crate::domain::{import, reports};
use crate::error::Error;
use crate::http::auth::Manager;
use crate::http::problem::{Conflicting, Denied, Missing, Rejected};
use crate::http::{AppState, Body, parsed};

/// Either the text to preview, or the points (as previewed, possibly edited) to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"text": "1) Build joint laboratories\n\nChina should build joint laboratories with all parties."}))]
pub struct ImportRequest {
    /// The report's plain text: answered with a preview, nothing is created.
    pub text: Option<String>,
    /// Points to create as items, in one transaction.
    pub points: Option<Vec<Point>>,
}

/// A preview, or what was created.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportResponse {
    /// What the text contains (preview), or what was created.
    pub points: Vec<Point>,
    /// Keys of the items created; empty for a preview.
    pub created: Vec<String>,
}

/// Find the recommendations in a report's text (preview), or create the previewed points.
///
/// Request bodies are limited to 1 MiB (413 beyond). Send `{"text": ...}` for a preview of numbered lists, bullets and ordinal paragraphs
/// ("The first is ...", "First, ..."), nested, with titles and verbatim bodies. Send
/// `{"points": [...]}` (the preview, edited as needed) to create them all in one transaction.
/// Required role: manager.
#[utoipa::path(
    tag = "reports",
    security(("bearer" = ["manager"])),
    params(("id" = Uuid, Path, description = "Report id")),
    request_body = ImportRequest,
    responses(
        (status = 200, description = "A preview; nothing created", body = ImportResponse),
        (status = 201, description = "Created", body = ImportResponse),
        Denied, Rejected, Missing, Conflicting,
    )
)]
#[post("/reports/{id}/import")]
pub async fn create_import(
    state: web::Data<AppState>,
    caller: Manager,
    id: web::Path<Uuid>,
    body: Body<ImportRequest>,
) -> actix_web::Result<HttpResponse> {
    let body = parsed(body)?;
    let report = id.into_inner();
    match (body.text, body.points) {
        (Some(text), None) => {
            db::run(&state.pool, move |conn| reports::get(conn, report)).await?;
            Ok(HttpResponse::Ok().json(ImportResponse {
                points: extract::extract(&text),
                created: Vec::new(),
            }))
        }
        (None, Some(points)) => {
            let author = Author::from(&caller.0);
            let to_create = points.clone();
            let created = db::transaction(&state.pool, move |conn| {
                reports::get(conn, report)?;
                import::create(conn, report, &to_create, author)
            })
            .await?;
            Ok(
                crate::http::created(format!("/reports/{report}/recommendations"))
                    .json(ImportResponse { points, created }),
            )
        }
        _ => {
            Err(Error::invalid("text", "send either `text` (preview) or `points` (create)").into())
        }
    }
}
