//! Pages for people, under `/app/`: sign-in with a session cookie, "my items", a report's items
//! with the API's filters, an item with everything about it, preferences, and the pages that
//! signed digest links open. Server-rendered HTML (askama templates in `templates/app/`), plain
//! forms, no JavaScript. Every action calls the same domain function as the API, so no rule is
//! written twice; pages only decide which forms to show, by asking the same rules.

mod actions;
mod links;
mod pages;
mod session;

use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE, LOCATION};
use actix_web::{HttpResponse, ResponseError, web};
use askama::Template;

use crate::error::Error;
use crate::http::problem::Problem;

pub use session::SESSION_COOKIE;

/// Every page's headers: nothing personal is cached, nothing loads from elsewhere, no script
/// runs, no other site frames the page or receives its forms.
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
                   frame-ancestors 'none'; base-uri 'none'";

const STYLE: &str = include_str!("../../templates/app/style.css");

/// The routes under `/app/`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/app")
            .route("", web::get().to(pages::home))
            .route("/", web::get().to(pages::home))
            .route("/style.css", web::get().to(style))
            .route("/login", web::get().to(session::login_page))
            .route("/login", web::post().to(session::login))
            .route("/logout", web::post().to(session::logout))
            .route("/my", web::get().to(pages::my_items))
            .route("/preferences", web::get().to(pages::preferences))
            .route("/preferences", web::post().to(actions::save_preferences))
            .route("/preferences/send", web::post().to(actions::send_digest))
            .route("/reports/{key}", web::get().to(pages::report))
            .route("/items/{key:.+}", web::get().to(pages::item))
            .route("/do/{id}/{action}", web::post().to(actions::item_action))
            .route("/act/{token}", web::get().to(links::confirm))
            .route("/act/{token}", web::post().to(links::act))
            .default_service(web::to(not_found)),
    );
}

async fn style() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/css; charset=utf-8"))
        .insert_header((CACHE_CONTROL, "public, max-age=3600"))
        .body(STYLE)
}

async fn not_found() -> HttpResponse {
    PageError::page(StatusCode::NOT_FOUND, "Not found", "There is no page here.").error_response()
}

/// An HTML page with the headers every page carries.
pub(crate) fn html(status: StatusCode, page: &impl Template) -> HttpResponse {
    match page.render() {
        Ok(body) => HttpResponse::build(status)
            .insert_header((CONTENT_TYPE, "text/html; charset=utf-8"))
            .insert_header((CACHE_CONTROL, "no-store"))
            .insert_header(("Content-Security-Policy", CSP))
            .insert_header(("Referrer-Policy", "same-origin"))
            .body(body),
        Err(e) => {
            tracing::error!(error = %e, "page failed to render");
            HttpResponse::InternalServerError()
                .insert_header((CONTENT_TYPE, "text/plain; charset=utf-8"))
                .body("The page could not be shown.")
        }
    }
}

/// After a form: see the result with GET (303), so reloading does not submit again.
pub(crate) fn see_other(path: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((LOCATION, path))
        .insert_header((CACHE_CONTROL, "no-store"))
        .finish()
}

/// A page that says what went wrong.
#[derive(Template)]
#[template(path = "app/message.html")]
pub(crate) struct MessagePage<'a> {
    pub title: &'a str,
    pub message: &'a str,
    pub back: Option<&'a str>,
}

/// Why a page could not be shown: sign in first, or a page that says what went wrong (the
/// problem document's detail, never internals).
#[derive(Debug)]
pub enum PageError {
    SignIn {
        next: String,
    },
    Page {
        status: StatusCode,
        title: String,
        message: String,
        back: Option<String>,
    },
}

impl PageError {
    pub fn page(status: StatusCode, title: &str, message: &str) -> Self {
        Self::Page {
            status,
            title: title.to_owned(),
            message: message.to_owned(),
            back: None,
        }
    }

    /// Adds a link back to where the person came from.
    pub fn back_to(self, path: &str) -> Self {
        match self {
            Self::Page {
                status,
                title,
                message,
                ..
            } => Self::Page {
                status,
                title,
                message,
                back: Some(path.to_owned()),
            },
            other => other,
        }
    }
}

impl From<Error> for PageError {
    fn from(error: Error) -> Self {
        // Logged as the API logs it: causes of 5xx once, refusals at debug.
        let _ = error.error_response();
        let problem = Problem::from(&error);
        let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::BAD_REQUEST);
        let message = problem.detail.clone().unwrap_or_else(|| {
            if status.is_server_error() {
                "Something went wrong on our side; please try again.".to_owned()
            } else {
                problem.title.clone()
            }
        });
        let message = match (&problem.field, &problem.allowed) {
            (Some(field), _) => format!("{message} (field: {field})"),
            (None, Some(allowed)) if !allowed.is_empty() => {
                format!("{message}; possible now: {}", allowed.join(", "))
            }
            _ => message,
        };
        Self::Page {
            status,
            title: problem.title,
            message,
            back: None,
        }
    }
}

impl std::fmt::Display for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::SignIn { .. } => f.write_str("sign in first"),
            Self::Page { title, .. } => f.write_str(title),
        }
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::SignIn { .. } => StatusCode::SEE_OTHER,
            Self::Page { status, .. } => *status,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::SignIn { next } => {
                let target = format!("/app/login?next={}", session::encode_component(next));
                see_other(&target)
            }
            Self::Page {
                status,
                title,
                message,
                back,
            } => html(
                *status,
                &MessagePage {
                    title,
                    message,
                    back: back.as_deref(),
                },
            ),
        }
    }
}

/// A form field from a browser: trimmed, empty as absent, NUL refused (PostgreSQL cannot store
/// it, and no person types it).
pub(crate) fn field(raw: &Option<String>, name: &str) -> Result<Option<String>, PageError> {
    match raw.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(value) if value.contains('\0') => {
            Err(Error::invalid(name, "text must not contain NUL characters").into())
        }
        Some(value) => Ok(Some(value.to_owned())),
    }
}
