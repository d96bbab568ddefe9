//! The `Idempotency-Key` middleware for `POST`: the first request with a key runs and its answer
//! is kept; a retry with the same key and body gets that answer again (with
//! `Idempotent-Replayed: true`) and changes nothing; the same key with another body is refused.
//! Requests without the header, or without valid credentials, pass straight through.
//!
//! The claim, the handler's work and the kept answer are one transaction (`db::held`): a crash
//! anywhere leaves the key unused and the work undone, and a concurrent retry waits for the first
//! request and then replays it. Answers marked [`CarriesSecret`] are not kept.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, web};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::db::held::Held;
use crate::domain::auth::Actor;
use crate::domain::idempotency::{self, Answer, Claim, Stored};
use crate::error::Error;
use crate::http::AppState;

pub const HEADER: &str = "idempotency-key";
/// Headers a replay repeats; the rest (date, request id) belong to the new exchange.
const KEPT: [&str; 3] = ["content-type", "etag", "location"];

/// Put in a response's extensions by handlers whose answer carries a secret (tokens): such an
/// answer is never stored for replay.
#[derive(Debug, Clone, Copy)]
pub struct CarriesSecret;

fn fingerprint(req: &ServiceRequest, body: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(req.method().as_str());
    hasher.update(b" ");
    hasher.update(req.path());
    hasher.update(b"?");
    hasher.update(req.query_string());
    // The version a change is based on is part of the request: the same body with another
    // If-Match is another request.
    hasher.update(b"\nif-match: ");
    if let Some(tag) = req.headers().get(actix_web::http::header::IF_MATCH) {
        hasher.update(tag.as_bytes());
    }
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
    let body = match crate::http::body::read(&mut req).await {
        Ok(body) => body,
        Err(e) => return Ok(req.error_response(e)),
    };
    let hash = fingerprint(&req, &body);
    let held = match Held::begin(&state.pool).await {
        Ok(held) => held,
        Err(e) => return Ok(req.error_response(e)),
    };
    let claimed = {
        let key = key.clone();
        held.run(move |conn| idempotency::claim(conn, actor, &key, &hash))
            .await
    };
    let early = match claimed {
        Ok(Claim::Fresh) => None,
        Ok(Claim::Replay(stored)) => Some(Ok(replay(stored))),
        Ok(Claim::SecretShown) => Some(Err(Error::SecretShownOnce)),
        Err(e) => Some(Err(e)),
    };
    if let Some(answer) = early {
        // Nothing to keep: give the connection back before answering.
        if let Err(e) = held.finish(false).await {
            tracing::warn!(error = %e, "idempotency claim not rolled back");
        }
        return Ok(match answer {
            Ok(response) => req.into_response(response),
            Err(e) => req.error_response(e),
        });
    }
    req.set_payload(Payload::from(body));
    let outcome = held.scope(next.call(req)).await;
    let response = match outcome {
        Ok(response) => response,
        Err(e) => {
            let _rolled_back = held.finish(false).await;
            return Err(e);
        }
    };
    let (req, response) = response.into_parts();
    let status = response.status();
    let secret = response.extensions().get::<CarriesSecret>().is_some();
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
    let bytes = match actix_web::body::to_bytes(body).await {
        Ok(bytes) => bytes,
        Err(_) => {
            let _rolled_back = held.finish(false).await;
            return Ok(ServiceResponse::new(
                req,
                crate::http::problem::Problem::from(&Error::internal("response body unreadable"))
                    .response(),
            ));
        }
    };
    // A server error undoes everything, the claim too: a retry does the work.
    let kept = if status.is_server_error() {
        held.finish(false).await
    } else {
        let answer = if secret {
            Answer::Secret {
                status: status.as_u16(),
            }
        } else {
            Answer::Keep(Stored {
                status: status.as_u16(),
                headers,
                body: bytes.to_vec(),
            })
        };
        let recorded = held
            .run(move |conn| idempotency::record(conn, actor, &key, &answer))
            .await;
        match recorded {
            Ok(()) => held.finish(true).await,
            Err(e) => {
                let _rolled_back = held.finish(false).await;
                Err(e)
            }
        }
    };
    if let Err(e) = kept {
        // Nothing was committed: the client must not be told that it was.
        return Ok(ServiceResponse::new(
            req,
            crate::http::problem::Problem::from(&e).response(),
        ));
    }
    let mut response = response.set_body(bytes).map_into_boxed_body();
    response.headers_mut().insert(
        HeaderName::from_static("idempotent-replayed"),
        HeaderValue::from_static("false"),
    );
    Ok(ServiceResponse::new(req, response))
}
