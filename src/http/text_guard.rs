//! Text that PostgreSQL cannot store (a NUL character, which JSON escapes as `\u0000` and URLs as
//! `%00`) is refused at the edge, 422 naming where it was, before any handler or statement sees
//! it: an error from the database would have to be classified by its message, which depends on
//! the server's language.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use serde_json::Value;

use crate::error::Error;
use crate::http::problem::Problem;

/// Whether `raw` JSON text holds an escaped NUL (`\u0000`), honouring escaped backslashes.
fn json_has_nul(raw: &[u8]) -> bool {
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'\\' {
            if raw.get(i + 1) == Some(&b'u')
                && raw
                    .get(i + 2..i + 6)
                    .is_some_and(|hex| hex.iter().all(|b| *b == b'0'))
            {
                return true;
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    false
}

/// The path of the first string (key or value) in `value` that holds a NUL, e.g. `points[2].body`.
fn nul_path(value: &Value, at: &str) -> Option<String> {
    match value {
        Value::String(s) if s.contains('\0') => Some(at.to_owned()),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| nul_path(v, &format!("{at}[{i}]"))),
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            let here = if at.is_empty() {
                k.clone()
            } else {
                format!("{at}.{k}")
            };
            if k.contains('\0') {
                Some(here)
            } else {
                nul_path(v, &here)
            }
        }),
        _ => None,
    }
}

fn refuse(req: ServiceRequest, field: &str) -> ServiceResponse<BoxBody> {
    let error = Error::invalid(field, "text must not contain NUL (\\u0000) characters");
    req.into_response(Problem::from(&error).response())
}

/// The middleware; see the module documentation.
pub async fn middleware(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let nul_escape = |s: &str| s.to_ascii_lowercase().contains("%00");
    if nul_escape(req.uri().path()) {
        return Ok(refuse(req, "path"));
    }
    if nul_escape(req.query_string()) {
        return Ok(refuse(req, "query"));
    }
    let has_body = matches!(*req.method(), Method::POST | Method::PUT | Method::PATCH);
    let json = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("json"));
    if !(has_body && json) {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let body = match crate::http::body::read(&mut req).await {
        Ok(body) => body,
        Err(e) => return Ok(req.error_response(e)),
    };
    if json_has_nul(&body)
        && let Ok(value) = serde_json::from_slice::<Value>(&body)
        && let Some(path) = nul_path(&value, "")
    {
        return Ok(refuse(req, &path));
    }
    req.set_payload(Payload::from(body));
    Ok(next.call(req).await?.map_into_boxed_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaped_nul_is_found_but_an_escaped_backslash_is_not_a_nul() {
        assert!(json_has_nul(br#"{"title": "a\u0000b"}"#));
        assert!(!json_has_nul(br#"{"title": "a\\u0000b"}"#));
        assert!(json_has_nul(br#"{"title": "a\\\u0000b"}"#));
        assert!(!json_has_nul(br#"{"title": "a\u0001b"}"#));
    }

    #[test]
    fn the_path_names_the_field() {
        let value: Value =
            serde_json::from_str(r#"{"points": [{"title": "ok"}, {"body": "x\u0000"}]}"#)
                .expect("json");
        assert_eq!(nul_path(&value, "").as_deref(), Some("points[1].body"));
    }
}
