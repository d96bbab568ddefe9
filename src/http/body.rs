//! Reading a request body whole, within the one body limit, for the middlewares that need to see
//! it before the handler does.

use actix_web::HttpMessage;
use actix_web::dev::ServiceRequest;
use actix_web::http::StatusCode;
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;

use crate::http::problem::Problem;

/// The whole body of `req`, or 413 past [`crate::http::MAX_BODY_BYTES`]. The caller puts it back
/// with `req.set_payload` for the handler.
pub async fn read(req: &mut ServiceRequest) -> Result<Bytes, actix_web::Error> {
    let mut payload = req.take_payload();
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk?;
        if body.len() + chunk.len() > crate::http::MAX_BODY_BYTES {
            return Err(Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload-too-large",
                "Payload too large",
            )
            .with_detail("the body is over 1 MiB")
            .into());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}
