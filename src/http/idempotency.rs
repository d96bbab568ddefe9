//! The `Idempotency-Key` middleware for `POST`: the first request with a key runs and its answer
//! is kept; a retry with the same key and body gets that answer again (with
//! `Idempotent-Replayed: true`) and changes nothing; the same key with another body is refused.
//! Requests without the header, or without valid credentials, pass straight through.

use actix_web::HttpMessage;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, web};
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::db;
use crate::domain::auth::Actor;
use crate::domain::idempotency::{self, Claim, Stored};
use crate::error::Error;
use crate::http::AppState;

pub const HEADER: &str = "idempotency-key";
/// Headers a replay repeats; the rest (date, request id) belong to the new exchange.
const KEPT: [&str; 3] = ["content-type", "etag", "location"];

async fn body_of(req: &mut ServiceRequest) -> Result<Bytes, actix_web::Error> {
    let mut payload = req.take_payload();
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk?;
        if body.len() + chunk.len() > crate::http::MAX_BODY_BYTES {
            return Err(actix_web::error::ErrorPayloadTooLarge("body too large"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

fn fingerprint(req: &ServiceRequest, body: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(req.method().as_str());
    hasher.update(b" ");
    hasher.update(req.path());
    hasher.update(b"?");
    hasher.update(req.query_string());
    hasher.update(b"\n");
    hasher.update(body);
    hex::encode(hasher.finalize())
}

fn replay(stored: Stored) -> HttpResponse {
    let mut response =
        HttpResponse::build(StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK));
    for (name, value) in stored.headers {
        response.insert_header((name, value));
    }
    response.insert_header(("idempotent-replayed", "true"));
    response.body(stored.body)
}

/// The middleware; see the module documentation.
pub async fn middleware(
    state: web::Data<AppState>,
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let key = match req.headers().get(HEADER) {
        Some(value) if req.method() == Method::POST => value.to_str().unwrap_or("\u{0}").to_owned(),
        _ => return Ok(next.call(req).await?.map_into_boxed_body()),
    };
    // Without valid credentials the handler answers 401 as usual; with them, it reuses this
    // lookup rather than making its own.
    let Ok(principal) = crate::http::auth::caller(req.request()).await else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let actor: Uuid = match principal.actor {
        Actor::User { id, .. } | Actor::Token { id } => id,
    };
    let body = match body_of(&mut req).await {
        Ok(body) => body,
        Err(e) => return Ok(req.error_response(e)),
    };
    let hash = fingerprint(&req, &body);
    let claimed = {
        let key = key.clone();
        db::run(&state.pool, move |conn| {
            idempotency::claim(conn, actor, &key, &hash)
        })
        .await
    };
    match claimed {
        Err(e) => Ok(req.error_response(e)),
        Ok(Claim::Replay(stored)) => Ok(req.into_response(replay(stored))),
        Ok(Claim::Fresh) => {
            req.set_payload(Payload::from(body));
            let response = next.call(req).await?;
            let (req, response) = response.into_parts();
            let status = response.status();
            let headers: Vec<(String, String)> = KEPT
                .iter()
                .filter_map(|name| {
                    response
                        .headers()
                        .get(HeaderName::from_static(name))
                        .and_then(|v| v.to_str().ok())
                        .map(|v| ((*name).to_owned(), v.to_owned()))
                })
                .collect();
            let (response, body) = response.into_parts();
            let bytes = actix_web::body::to_bytes(body)
                .await
                .map_err(|_| Error::internal("response body could not be read"))?;
            let kept = if status.is_server_error() {
                db::run(&state.pool, move |conn| {
                    idempotency::release(conn, actor, &key)
                })
                .await
            } else {
                let stored = Stored {
                    status: status.as_u16(),
                    headers,
                    body: bytes.to_vec(),
                };
                db::run(&state.pool, move |conn| {
                    idempotency::record(conn, actor, &key, &stored)
                })
                .await
            };
            if let Err(e) = kept {
                // The work is done and answered; only a retry's replay is at stake.
                tracing::warn!(error = %e, "idempotency key not recorded");
            }
            let mut response = response.set_body(bytes).map_into_boxed_body();
            response.headers_mut().insert(
                HeaderName::from_static("idempotent-replayed"),
                HeaderValue::from_static("false"),
            );
            Ok(ServiceResponse::new(req, response))
        }
    }
}
