//! Per-client limits on changes: each client (its bearer token, or its address when it sends
//! none) may send `server.writes_per_minute` writes per minute to this instance, then gets 429
//! with `Retry-After`. Reads are never limited here.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use actix_web::dev::ServiceRequest;
use actix_web::http::Method;
use actix_web::http::header::AUTHORIZATION;
use sha2::{Digest, Sha256};

use crate::error::Error;

#[derive(Debug, Default)]
struct Window {
    minute: u64,
    hits: HashMap<[u8; 16], u32>,
}

/// Counts writes per client in the current minute.
#[derive(Debug, Clone)]
pub struct WriteLimiter {
    per_minute: u32,
    window: Arc<Mutex<Window>>,
}

impl WriteLimiter {
    pub fn new(per_minute: u32) -> Self {
        Self {
            per_minute,
            window: Arc::default(),
        }
    }

    /// Who is asking: a digest of the credentials, else of the peer address. Digests keep
    /// tokens out of memory dumps and bound the key size.
    fn client(req: &ServiceRequest) -> [u8; 16] {
        let mut hasher = Sha256::new();
        match req.headers().get(AUTHORIZATION) {
            Some(value) => hasher.update(value.as_bytes()),
            None => hasher.update(
                req.peer_addr()
                    .map(|a| a.ip().to_string())
                    .unwrap_or_default(),
            ),
        }
        let mut key = [0u8; 16];
        key.copy_from_slice(&hasher.finalize()[..16]);
        key
    }

    /// Admits a request, or says how long to wait.
    pub fn check(&self, req: &ServiceRequest) -> Result<(), Error> {
        if self.per_minute == 0
            || matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        {
            return Ok(());
        }
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        let client = Self::client(req);
        let mut window = self
            .window
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if window.minute != now / 60 {
            window.minute = now / 60;
            window.hits.clear();
        }
        let hits = window.hits.entry(client).or_insert(0);
        if *hits >= self.per_minute {
            return Err(Error::TooManyWrites {
                retry_after_secs: 60 - now % 60,
            });
        }
        *hits += 1;
        Ok(())
    }
}

/// The middleware: refuses a write over the limit before anything else looks at it.
pub async fn middleware(
    state: actix_web::web::Data<crate::http::AppState>,
    req: ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    match state.limiter.check(&req) {
        Ok(()) => Ok(next.call(req).await?.map_into_boxed_body()),
        Err(e) => Ok(req.error_response(e)),
    }
}
