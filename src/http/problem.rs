//! RFC 9457 problem documents: the one error body of the API, for domain errors and framework
//! rejections alike. Each kind has a stable `type` URI, documented in `docs/API.md`.

use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::http::StatusCode;
use actix_web::http::header::ContentType;
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::Error;

const TYPE_PREFIX: &str = "urn:recotrack:problem:";

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "urn:recotrack:problem:not-found",
    "title": "Not found",
    "status": 404,
    "detail": "No recommendation with that id exists or is visible to you."
}))]
pub struct Problem {
    /// Stable identifier of the kind of problem: `urn:recotrack:problem:<kind>`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Short summary of the kind of problem; the same for every occurrence.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong this time, for a person to read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl Problem {
    /// A problem of kind `slug` (appended to the type prefix).
    pub fn new(status: StatusCode, slug: &str, title: &str) -> Self {
        Self {
            kind: format!("{TYPE_PREFIX}{slug}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail: None,
        }
    }

    /// Adds the occurrence-specific explanation.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// The response carrying this problem.
    pub fn response(&self) -> HttpResponse {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        HttpResponse::build(status)
            .insert_header(ContentType(
                "application/problem+json".parse().unwrap_or(mime_json()),
            ))
            .json(self)
    }
}

fn mime_json() -> actix_web::mime::Mime {
    actix_web::mime::APPLICATION_JSON
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.title, self.status)
    }
}

impl ResponseError for Problem {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        self.response()
    }
}

impl From<&Error> for Problem {
    fn from(error: &Error) -> Self {
        match error {
            Error::Unavailable(_) => Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Service unavailable",
            )
            .with_detail("The database cannot be reached right now; retry shortly."),
            Error::NotMigrated => Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "not-migrated",
                "Service unavailable",
            )
            .with_detail(
                "The database schema is older than this service; run `recotrack migrate`.",
            ),
            Error::NotFound => Problem::new(StatusCode::NOT_FOUND, "not-found", "Not found"),
            Error::Internal(_) => Problem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Internal server error",
            ),
        }
    }
}

impl ResponseError for Error {
    fn status_code(&self) -> StatusCode {
        Problem::from(self).status_code()
    }

    fn error_response(&self) -> HttpResponse {
        // The cause chain is logged once, here, and never sent to the client.
        match self {
            Error::Internal(cause) => {
                tracing::error!(error = %self, cause = %cause, "request failed")
            }
            Error::Unavailable(cause) => {
                tracing::warn!(error = %self, cause = %cause, "request failed")
            }
            _ => {}
        }
        Problem::from(self).response()
    }
}

/// Body of malformed JSON requests.
pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(1 << 20)
        .error_handler(|err, _req: &HttpRequest| {
            let problem = match &err {
                JsonPayloadError::OverflowKnownLength { .. }
                | JsonPayloadError::Overflow { .. } => Problem::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload-too-large",
                    "Payload too large",
                ),
                JsonPayloadError::ContentType => Problem::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported-media-type",
                    "Unsupported media type",
                )
                .with_detail("Send the body as application/json."),
                other => Problem::new(
                    StatusCode::BAD_REQUEST,
                    "invalid-body",
                    "Invalid request body",
                )
                .with_detail(other.to_string()),
            };
            problem.into()
        })
}

/// Body of malformed query strings.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err: QueryPayloadError, _req: &HttpRequest| {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid-query",
            "Invalid query parameters",
        )
        .with_detail(err.to_string())
        .into()
    })
}

/// Body of malformed path segments (a bad id is "not found", not a parse error).
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|_err: PathError, _req: &HttpRequest| {
        Problem::new(StatusCode::NOT_FOUND, "not-found", "Not found").into()
    })
}

/// Answers routes that do not exist.
pub async fn no_route(req: HttpRequest) -> HttpResponse {
    Problem::new(StatusCode::NOT_FOUND, "not-found", "Not found")
        .with_detail(format!("No route for {} {}.", req.method(), req.path()))
        .response()
}
