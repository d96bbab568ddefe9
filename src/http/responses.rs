//! The problem responses operations share, as the OpenAPI document lists them.

use super::problem::Problem;

/// 401 and 403, documented once for every protected operation.
#[derive(utoipa::IntoResponses)]
pub enum Denied {
    #[response(
        status = 401,
        description = "No valid bearer token (see `WWW-Authenticate`)",
        content_type = "application/problem+json"
    )]
    Unauthenticated(Problem),
    #[response(
        status = 403,
        description = "Authenticated, but the role or ownership does not allow this",
        content_type = "application/problem+json"
    )]
    Forbidden(Problem),
}

/// 400 and 422: a malformed request, or one that breaks a rule.
#[derive(utoipa::IntoResponses)]
pub enum Rejected {
    #[response(
        status = 400,
        description = "Malformed JSON or parameters, or unknown fields",
        content_type = "application/problem+json"
    )]
    Malformed(Problem),
    #[response(
        status = 422,
        description = "Well-formed but invalid; `field` names the culprit",
        content_type = "application/problem+json"
    )]
    Invalid(Problem),
}

/// 404: no such resource, or not visible to the caller.
#[derive(utoipa::IntoResponses)]
pub enum Missing {
    #[response(
        status = 404,
        description = "No such resource, or not visible to the caller",
        content_type = "application/problem+json"
    )]
    NotFound(Problem),
}

/// 409: the request contradicts the current state.
#[derive(utoipa::IntoResponses)]
pub enum Conflicting {
    #[response(
        status = 409,
        description = "The request contradicts the current state",
        content_type = "application/problem+json"
    )]
    Conflict(Problem),
}

/// 412: `If-Match` named a stale version.
#[derive(utoipa::IntoResponses)]
pub enum Stale {
    #[response(
        status = 412,
        description = "`If-Match` named a version that is no longer current",
        content_type = "application/problem+json"
    )]
    PreconditionFailed(Problem),
}

/// 428: the change must name the version it is based on.
#[derive(utoipa::IntoResponses)]
pub enum Required {
    #[response(
        status = 428,
        description = "`If-Match` is required and was not sent",
        content_type = "application/problem+json"
    )]
    PreconditionRequired(Problem),
}
