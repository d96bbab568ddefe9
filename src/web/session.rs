//! Signing in to the pages, the session cookie, and CSRF tokens.
//!
//! The cookie is `HttpOnly`, `SameSite=Lax`, scoped to `/app`, and `Secure` when the base URL is
//! https. Every form of a signed-in page carries the session's CSRF token and every POST checks
//! it; the sign-in form, which has no session yet, uses a double-submit cookie instead.

use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse, dev::Payload, web};
use askama::Template;
use serde::Deserialize;

use super::{PageError, html, see_other};
use crate::db;
use crate::domain::auth::secrets;
use crate::domain::auth::sessions;
use crate::domain::auth::web_sessions::{self, WebSession, same_token};
use crate::error::Error;
use crate::http::AppState;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "recotrack_session";
/// The sign-in form's double-submit cookie.
const LOGIN_COOKIE: &str = "recotrack_login";

fn app_state(req: &HttpRequest) -> Result<web::Data<AppState>, PageError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| Error::internal("application state missing").into())
}

fn secure(state: &AppState) -> bool {
    state.settings.server.base_url.starts_with("https://")
}

fn cookie<'a>(state: &AppState, name: &'a str, value: String) -> Cookie<'a> {
    Cookie::build(name, value)
        .path("/app")
        .http_only(true)
        .secure(secure(state))
        .same_site(SameSite::Lax)
        .finish()
}

/// A signed-in person, from the session cookie; anyone else is sent to sign in and brought
/// back afterwards.
pub struct Signed(pub WebSession);

impl FromRequest for Signed {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, PageError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let next = match req.query_string() {
                "" => req.path().to_owned(),
                query => format!("{}?{query}", req.path()),
            };
            let state = app_state(&req)?;
            let Some(secret) = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned()) else {
                return Err(PageError::SignIn { next });
            };
            let found = db::run(&state.pool, move |conn| web_sessions::find(conn, &secret)).await?;
            found.map(Signed).ok_or(PageError::SignIn { next })
        })
    }
}

/// Refuses a form whose CSRF token is not this session's (403).
pub fn check_csrf(session: &WebSession, sent: &str) -> Result<(), PageError> {
    if same_token(&session.csrf, sent) {
        Ok(())
    } else {
        Err(PageError::page(
            StatusCode::FORBIDDEN,
            "Form expired",
            "This form did not come from your current session. Open the page again and resend.",
        ))
    }
}

/// Only pages of this site, so a crafted sign-in link cannot send anyone elsewhere.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with("/app/")
                && !path.contains("//")
                && !path.contains('\\')
                && !path.chars().any(char::is_control) =>
        {
            path.to_owned()
        }
        _ => "/app/my".to_owned(),
    }
}

/// Percent-encodes a query component.
pub fn encode_component(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for byte in raw.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[derive(Template)]
#[template(path = "app/login.html")]
struct LoginPage<'a> {
    next: &'a str,
    csrf: &'a str,
    error: Option<&'a str>,
    email: &'a str,
}

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

pub async fn login_page(
    req: HttpRequest,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, PageError> {
    let state = app_state(&req)?;
    let token = secrets::generate("")?;
    let next = safe_next(query.next.as_deref());
    let mut response = html(
        StatusCode::OK,
        &LoginPage {
            next: &next,
            csrf: &token,
            error: None,
            email: "",
        },
    );
    response
        .add_cookie(&cookie(&state, LOGIN_COOKIE, token))
        .map_err(Error::internal)?;
    Ok(response)
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    email: Option<String>,
    password: Option<String>,
    next: Option<String>,
    csrf: Option<String>,
}

pub async fn login(
    req: HttpRequest,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, PageError> {
    let state = app_state(&req)?;
    let form = form.into_inner();
    let sent = form.csrf.unwrap_or_default();
    let expected = req.cookie(LOGIN_COOKIE).map(|c| c.value().to_owned());
    if !expected.is_some_and(|e| !sent.is_empty() && same_token(&e, &sent)) {
        return Err(PageError::page(
            StatusCode::FORBIDDEN,
            "Sign-in form expired",
            "Open the sign-in page again and resend.",
        )
        .back_to("/app/login"));
    }
    let next = safe_next(form.next.as_deref());
    let email = super::field(&form.email, "email")?.unwrap_or_default();
    let password = form.password.unwrap_or_default();
    let client = req
        .peer_addr()
        .map(|addr| addr.ip().to_string())
        .unwrap_or_default();
    let checked = sessions::check_password(
        &state.pool,
        state.auth.limits,
        &state.auth.gate,
        email.clone(),
        password,
        client,
    )
    .await;
    let user = match checked {
        Ok(user) => user,
        Err(e @ (Error::Unauthenticated(_) | Error::RateLimited { .. })) => {
            let status = super::PageError::from(e);
            let (status, message) = match status {
                PageError::Page {
                    status, message, ..
                } => (status, message),
                PageError::SignIn { .. } => (StatusCode::UNAUTHORIZED, String::new()),
            };
            return Ok(html(
                status,
                &LoginPage {
                    next: &next,
                    csrf: &sent,
                    error: Some(&message),
                    email: &email,
                },
            ));
        }
        Err(e) => return Err(e.into()),
    };
    let ttl = state.auth.refresh_ttl_secs;
    let secret = db::transaction(&state.pool, move |conn| {
        web_sessions::start(conn, user.id, ttl)
    })
    .await?;
    let mut response = see_other(&next);
    response
        .add_cookie(&cookie(&state, SESSION_COOKIE, secret))
        .map_err(Error::internal)?;
    let mut spent = cookie(&state, LOGIN_COOKIE, String::new());
    spent.make_removal();
    response.add_cookie(&spent).map_err(Error::internal)?;
    Ok(response)
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    pub csrf: Option<String>,
}

pub async fn logout(
    req: HttpRequest,
    signed: Signed,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PageError> {
    check_csrf(&signed.0, form.csrf.as_deref().unwrap_or_default())?;
    let state = app_state(&req)?;
    let id = signed.0.id;
    db::run(&state.pool, move |conn| web_sessions::end(conn, id)).await?;
    let mut response = see_other("/app/login");
    let mut gone = cookie(&state, SESSION_COOKIE, String::new());
    gone.make_removal();
    response.add_cookie(&gone).map_err(Error::internal)?;
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_sites_pages_are_returned_to_after_sign_in() {
        assert_eq!(safe_next(Some("/app/items/dg/01")), "/app/items/dg/01");
        for bad in [
            "https://evil.example/app/",
            "//evil.example/app/",
            "/app//evil.example",
            "/app/\\evil",
            "/api/v1/users",
            "",
        ] {
            assert_eq!(safe_next(Some(bad)), "/app/my", "{bad}");
        }
        assert_eq!(safe_next(None), "/app/my");
    }
}
