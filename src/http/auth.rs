//! Authentication as extractors, and roles as types: a handler's signature says who may call it.
//! `Viewer` admits every authenticated caller; `Contributor`, `Manager` and `Admin` admit that
//! role and the ones above it. Anonymous callers get 401, callers below the role 403.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use actix_web::http::header::AUTHORIZATION;
use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, web};

use crate::domain::auth::callers::Callers;
use crate::domain::auth::jwt::TokenKeys;
use crate::domain::auth::sessions::{self, LoginLimits};
use crate::domain::auth::{Principal, Role};
use crate::error::Error;
use crate::http::AppState;

/// What authentication needs, built once at start.
#[derive(Debug, Clone)]
pub struct AuthState {
    pub keys: TokenKeys,
    pub limits: LoginLimits,
    /// Bounds the password checks of sign-ins.
    pub gate: crate::domain::auth::passwords::HashGate,
    pub refresh_ttl_secs: u64,
    /// Who recent callers are, so most requests need not ask the database.
    pub callers: Arc<Callers>,
}

/// Shared handle to [`AuthState`].
pub type Auth = Arc<AuthState>;

fn bearer(req: &HttpRequest) -> Result<String, Error> {
    let header = req
        .headers()
        .get(AUTHORIZATION)
        .ok_or(Error::NoCredentials)?;
    let value = header
        .to_str()
        .map_err(|_| Error::Unauthenticated("the Authorization header is malformed"))?;
    let (scheme, token) = value.split_once(' ').ok_or(Error::Unauthenticated(
        "the Authorization header is malformed",
    ))?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(Error::Unauthenticated("only Bearer tokens are accepted"));
    }
    Ok(token.trim().to_owned())
}

/// The caller of this request, looked up once: a middleware that already authenticated it
/// (the `Idempotency-Key` one) leaves it in the request's extensions.
pub(crate) async fn caller(req: &HttpRequest) -> Result<Principal, Error> {
    if let Some(known) = req.extensions().get::<Principal>() {
        return Ok(*known);
    }
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| Error::internal("application state missing"))?
        .clone();
    let token = bearer(req)?;
    let principal =
        sessions::authenticate(&state.pool, &state.auth.keys, &state.auth.callers, token).await?;
    req.extensions_mut().insert(principal);
    Ok(principal)
}

async fn principal(req: HttpRequest, required: Role) -> Result<Principal, Error> {
    let principal = caller(&req).await?;
    principal.require(required)?;
    Ok(principal)
}

macro_rules! role_extractor {
    ($(#[$doc:meta])* $name:ident, $role:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy)]
        pub struct $name(pub Principal);

        impl FromRequest for $name {
            type Error = Error;
            type Future = Pin<Box<dyn Future<Output = Result<Self, Error>>>>;

            fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
                let req = req.clone();
                Box::pin(async move { principal(req, $role).await.map($name) })
            }
        }
    };
}

role_extractor!(
    /// Any authenticated caller (viewer or above).
    Viewer,
    Role::Viewer
);
role_extractor!(
    /// A contributor or above.
    Contributor,
    Role::Contributor
);
role_extractor!(
    /// A manager or admin.
    Manager,
    Role::Manager
);
role_extractor!(
    /// An admin.
    Admin,
    Role::Admin
);
