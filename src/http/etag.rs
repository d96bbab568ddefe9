//! Versions on the wire. An item's `ETag` is `"<version>.<digest>"`: the version is what
//! `If-Match` checks, so two writers never silently overwrite each other; the digest covers the
//! whole body, so `If-None-Match` also sees flags that change with time (stalled, overdue).
//! Stats carry a digest of their body alone.

use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, ETAG, HeaderValue, IF_MATCH, IF_NONE_MATCH};
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

fn digest(bytes: &[u8]) -> String {
    hex::encode(&Sha256::digest(bytes)[..8])
}

/// The `ETag` of a resource whose body depends on its version alone (reports).
pub fn etag(version: i32) -> (actix_web::http::header::HeaderName, HeaderValue) {
    let value = HeaderValue::from_str(&format!("\"{version}\""))
        .unwrap_or(HeaderValue::from_static("\"0\""));
    (ETAG, value)
}

/// Whether `If-None-Match` names `tag` (weak comparison, as RFC 9110 asks for GET).
fn none_match(req: &HttpRequest, tag: &str) -> bool {
    let Some(header) = req.headers().get(IF_NONE_MATCH) else {
        return false;
    };
    let raw = header.to_str().unwrap_or_default();
    raw.split(',').map(str::trim).any(|candidate| {
        candidate == "*" || candidate.trim_start_matches("W/") == tag.trim_start_matches("W/")
    })
}

/// A JSON response with an `ETag` (prefixed by `version` when given), or `304 Not Modified`
/// when the client already holds that body.
pub fn conditional_json<T: Serialize>(
    req: &HttpRequest,
    status: StatusCode,
    version: Option<i32>,
    value: &T,
) -> Result<HttpResponse> {
    let body = serde_json::to_vec(value).map_err(Error::internal)?;
    conditional_body(req, status, version, body.into())
}

/// Like [`conditional_json`], for a body already serialized.
pub fn conditional_body(
    req: &HttpRequest,
    status: StatusCode,
    version: Option<i32>,
    body: bytes::Bytes,
) -> Result<HttpResponse> {
    conditional_typed(req, status, version, body, "application/json")
}

/// [`conditional_body`] for a body of another media type.
pub fn conditional_typed(
    req: &HttpRequest,
    status: StatusCode,
    version: Option<i32>,
    body: bytes::Bytes,
    content_type: &str,
) -> Result<HttpResponse> {
    let tag = match version {
        Some(version) => format!("\"{version}.{}\"", digest(&body)),
        None => format!("\"{}\"", digest(&body)),
    };
    let tag_value = HeaderValue::from_str(&tag).map_err(Error::internal)?;
    // Clients may keep the body but must ask again before using it: figures change with time.
    let cache = (CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if status == StatusCode::OK && none_match(req, &tag) {
        return Ok(HttpResponse::NotModified()
            .insert_header((ETAG, tag_value))
            .insert_header(cache)
            .finish());
    }
    Ok(HttpResponse::build(status)
        .insert_header((ETAG, tag_value))
        .insert_header(cache)
        .content_type(content_type)
        .body(body))
}

/// The version named by `If-Match`, if any (`*` names none). Accepts the item's `ETag` as sent
/// (`"3.1a2b..."`) or the bare version (`"3"`).
pub fn if_match(req: &HttpRequest) -> Result<Option<i32>> {
    let Some(header) = req.headers().get(IF_MATCH) else {
        return Ok(None);
    };
    let raw = header.to_str().unwrap_or_default().trim();
    if raw == "*" {
        return Ok(None);
    }
    let tag = raw.trim_start_matches("W/").trim_matches('"');
    let version = tag.split('.').next().unwrap_or_default();
    let bad = || {
        Error::invalid(
            "If-Match",
            "must be an ETag this API sent, e.g. \"3.5f1c0e2a9b7d4c11\", or a version, e.g. \"3\"",
        )
    };
    // Digits only: `+44` or ` 7` is not a version this API sent.
    if version.is_empty() || !version.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    version.parse().map(Some).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn if_match_reads_the_version_of_a_tag() {
        let req = TestRequest::default()
            .insert_header((IF_MATCH, "\"7.00ff00ff00ff00ff\""))
            .to_http_request();
        assert_eq!(if_match(&req).ok().flatten(), Some(7));
        let bare = TestRequest::default()
            .insert_header((IF_MATCH, "W/\"3\""))
            .to_http_request();
        assert_eq!(if_match(&bare).ok().flatten(), Some(3));
        let bad = TestRequest::default()
            .insert_header((IF_MATCH, "\"x\""))
            .to_http_request();
        assert!(if_match(&bad).is_err());
    }

    #[test]
    fn a_matching_if_none_match_gets_304() {
        let first = conditional_json(
            &TestRequest::default().to_http_request(),
            StatusCode::OK,
            Some(2),
            &serde_json::json!({"a": 1}),
        )
        .expect("response");
        let tag = first
            .headers()
            .get(ETAG)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert!(tag.starts_with("\"2."));
        let again = TestRequest::default()
            .insert_header((IF_NONE_MATCH, format!("\"other\", {tag}")))
            .to_http_request();
        let second = conditional_json(
            &again,
            StatusCode::OK,
            Some(2),
            &serde_json::json!({"a": 1}),
        )
        .expect("response");
        assert_eq!(second.status(), StatusCode::NOT_MODIFIED);
        let changed = conditional_json(
            &again,
            StatusCode::OK,
            Some(2),
            &serde_json::json!({"a": 2}),
        )
        .expect("response");
        assert_eq!(changed.status(), StatusCode::OK);
    }
}
