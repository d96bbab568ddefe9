//! Versions on the wire: an item's `ETag` is its version, and `If-Match` names the version a
//! change was based on, so two writers never silently overwrite each other.

use actix_web::HttpRequest;
use actix_web::http::header::{ETAG, HeaderValue, IF_MATCH};

use crate::error::{Error, Result};

/// The `ETag` of `version`.
pub fn etag(version: i32) -> (actix_web::http::header::HeaderName, HeaderValue) {
    let value = HeaderValue::from_str(&format!("\"{version}\""))
        .unwrap_or(HeaderValue::from_static("\"0\""));
    (ETAG, value)
}

/// The version named by `If-Match`, if any (`*` names none).
pub fn if_match(req: &HttpRequest) -> Result<Option<i32>> {
    let Some(header) = req.headers().get(IF_MATCH) else {
        return Ok(None);
    };
    let raw = header.to_str().unwrap_or_default().trim();
    if raw == "*" {
        return Ok(None);
    }
    raw.trim_start_matches("W/")
        .trim_matches('"')
        .parse()
        .map(Some)
        .map_err(|_| Error::invalid("If-Match", "must be an ETag this API sent, e.g. \"3\""))
}
