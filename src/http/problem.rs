//! RFC 9457 problem documents: the one error body of the API, for domain errors and framework
//! rejections alike. Each kind has a stable `type` URI, documented in `docs/API.md`.

use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::http::StatusCode;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::Error;

pub use super::responses::{Conflicting, Denied, Missing, Rejected, Required, Stale};

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
    /// For `validation`: the request field that broke a rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// For `invalid-transition`: the states the item may move to from where it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed: Option<Vec<String>>,
    /// For `rate-limited`: seconds until a retry may succeed (also in `Retry-After`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
}

impl Problem {
    /// A problem of kind `slug` (appended to the type prefix).
    pub fn new(status: StatusCode, slug: &str, title: &str) -> Self {
        Self {
            kind: format!("{TYPE_PREFIX}{slug}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail: None,
            field: None,
            allowed: None,
            retry_after: None,
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
            .insert_header((CONTENT_TYPE, "application/problem+json"))
            .json(self)
    }
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
            Error::NoCredentials => Problem::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "Authentication required",
            )
            .with_detail("send Authorization: Bearer <token>"),
            Error::Unauthenticated(why) => Problem::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "Authentication required",
            )
            .with_detail(*why),
            Error::Forbidden(why) => Problem::new(StatusCode::FORBIDDEN, "forbidden", "Forbidden")
                .with_detail(why.clone()),
            Error::Invalid { field, message } => {
                let mut problem = Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "validation",
                    "Invalid input",
                )
                .with_detail(format!("{field}: {message}"));
                problem.field = Some(field.clone());
                problem
            }
            Error::Conflict(why) => {
                Problem::new(StatusCode::CONFLICT, "conflict", "Conflict").with_detail(why.clone())
            }
            Error::PreconditionFailed { .. } => Problem::new(
                StatusCode::PRECONDITION_FAILED,
                "precondition-failed",
                "Precondition failed",
            )
            .with_detail(format!("{error}; fetch it again and retry")),
            Error::PreconditionRequired(why) => Problem::new(
                StatusCode::PRECONDITION_REQUIRED,
                "precondition-required",
                "Precondition required",
            )
            .with_detail(*why),
            Error::Transition { detail, allowed } => {
                let mut problem = Problem::new(
                    StatusCode::CONFLICT,
                    "invalid-transition",
                    "Transition not allowed",
                )
                .with_detail(detail.clone());
                problem.allowed = Some(allowed.clone());
                problem
            }
            Error::RateLimited { retry_after_secs } => {
                let mut problem = Problem::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate-limited",
                    "Too many attempts",
                )
                .with_detail("Too many failed attempts; wait before trying again.");
                problem.retry_after = Some(*retry_after_secs);
                problem
            }
            Error::SecretShownOnce => Problem::new(
                StatusCode::CONFLICT,
                "secret-shown-once",
                "Secret shown once",
            )
            .with_detail(
                "the request with this Idempotency-Key was carried out; its answer held a secret, \
                 which is never stored. Revoke it if it was lost, and create a new one",
            ),
            Error::IdempotencyKeyReused => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency-key-reused",
                "Idempotency key reused",
            )
            .with_detail(
                "This Idempotency-Key was first sent with a different request; use a new key.",
            ),
            Error::TooManyWrites { retry_after_secs } => {
                let mut problem = Problem::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate-limited",
                    "Too many requests",
                )
                .with_detail("Too many changes from this client; wait before sending more.");
                problem.retry_after = Some(*retry_after_secs);
                problem
            }
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
            // Refusals are the client's business: a flood of them must not flood the log.
            _ => tracing::debug!(error = %self, "request refused"),
        }
        let mut response = Problem::from(self).response();
        let headers = response.headers_mut();
        match self {
            // RFC 6750 section 3.1: a request without credentials gets no error code.
            Error::NoCredentials => {
                headers.insert(
                    actix_web::http::header::WWW_AUTHENTICATE,
                    actix_web::http::header::HeaderValue::from_static("Bearer realm=\"recotrack\""),
                );
            }
            Error::Unauthenticated(_) => {
                headers.insert(
                    actix_web::http::header::WWW_AUTHENTICATE,
                    actix_web::http::header::HeaderValue::from_static(
                        "Bearer realm=\"recotrack\", error=\"invalid_token\"",
                    ),
                );
            }
            Error::RateLimited { retry_after_secs } | Error::TooManyWrites { retry_after_secs } => {
                if let Ok(value) = retry_after_secs.to_string().parse() {
                    headers.insert(actix_web::http::header::RETRY_AFTER, value);
                }
            }
            _ => {}
        }
        response
    }
}

/// Body of malformed JSON requests.
pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(crate::http::MAX_BODY_BYTES)
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

/// The path as an answer may repeat it: a feed token in it is a credential, so it is masked
/// (answers end up in proxies' and clients' logs).
fn shown_path(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            if segment.starts_with(crate::domain::feeds::FEED_TOKEN_PREFIX) {
                "{token}"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Answers routes that do not exist: 405 with `Allow` for a known path, 404 otherwise.
pub async fn no_route(req: HttpRequest) -> HttpResponse {
    let allowed = req
        .app_data::<web::Data<crate::http::methods::MethodTable>>()
        .and_then(|table| table.allowed(req.path()));
    if let Some(methods) = allowed {
        let allow: Vec<&str> = methods
            .iter()
            .map(actix_web::http::Method::as_str)
            .collect();
        let mut response = Problem::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method-not-allowed",
            "Method not allowed",
        )
        .with_detail(format!(
            "{} {} is not an operation; this path answers {}.",
            req.method(),
            shown_path(req.path()),
            allow.join(", ")
        ))
        .response();
        if let Ok(value) = allow.join(", ").parse() {
            response
                .headers_mut()
                .insert(actix_web::http::header::ALLOW, value);
        }
        return response;
    }
    Problem::new(StatusCode::NOT_FOUND, "not-found", "Not found")
        .with_detail(format!(
            "No route for {} {}.",
            req.method(),
            shown_path(req.path())
        ))
        .response()
}
