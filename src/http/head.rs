//! `HEAD` wherever `GET` is served (RFC 9110 section 9.3.2): the request is routed as a `GET`,
//! so it gets the same status and headers (`ETag`, `Content-Length`, `X-Total-Count`, ...).
//! The body is never written: actix's HTTP/1 codec remembers that the request on the wire was a
//! `HEAD` and sends no payload, whatever the handler returns.

use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;

/// Routes `HEAD` as `GET`; see the module documentation.
pub async fn middleware(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
    next.call(req).await
}
