//! The REST API: routes, problem+json errors, and the OpenAPI document generated from the
//! handlers. Handlers stay thin: extract, call one domain function, map the answer.

pub mod auth;
pub mod body;
pub mod cache;
pub mod dto;
pub mod etag;
pub mod export;
pub mod feeds;
pub mod figures_csv;
pub mod handlers;
pub mod head;
pub mod idempotency;
pub mod json_object;
pub mod limits;
pub mod methods;
pub mod openapi;
pub mod problem;
pub mod responses;
pub mod text_guard;
pub mod view_param;

use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::dev::Server;
use actix_web::dev::Service;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpMessage, HttpServer, web};
use tracing_actix_web::TracingLogger;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::config::Settings;
use crate::db::PgPool;

/// For responses that carry a token or secret: no cache may keep them.
pub const NO_STORE: (actix_web::http::header::HeaderName, &str) =
    (actix_web::http::header::CACHE_CONTROL, "no-store");

/// A 201 whose `Location` names where the created resource is read, `path` being relative to
/// `/api/v1` (RFC 9110 §15.3.2); every create answers through this.
pub fn created(path: impl std::fmt::Display) -> actix_web::HttpResponseBuilder {
    let mut response = actix_web::HttpResponse::Created();
    response.insert_header((actix_web::http::header::LOCATION, api_path(path)));
    response
}

/// `path` under the API's prefix, as the server answers it.
pub fn api_path(path: impl std::fmt::Display) -> String {
    format!("/api/v1{path}")
}

/// The largest request body accepted (413 beyond), JSON or not.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// A JSON body whose parse error is held back until the caller is authorised, so that an
/// unauthorised request is refused (401/403) before its body is judged (400).
pub type Body<T> = Result<web::Json<json_object::Object<T>>, actix_web::Error>;

/// Unwraps a [`Body`] inside a handler, after the role extractor has admitted the caller.
pub fn parsed<T>(body: Body<T>) -> Result<T, actix_web::Error> {
    body.map(|json| json.into_inner().0)
}

/// An optional JSON body: absent means `T::default()`; one that does not parse is refused,
/// never read as absent (a caller must not get defaults they did not ask for).
pub fn optional<T: Default>(
    request: &actix_web::HttpRequest,
    body: Body<T>,
) -> Result<T, actix_web::Error> {
    let empty = request
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .is_none_or(|length| length.as_bytes() == b"0");
    match body {
        Ok(body) => Ok(body.into_inner().0),
        Err(_) if empty => Ok(T::default()),
        Err(e) => Err(e),
    }
}

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub settings: Arc<Settings>,
    pub auth: auth::Auth,
    /// The digest runner (the scheduler in `serve`).
    pub digests: std::sync::Arc<dyn crate::domain::digest::desk::DigestDesk>,
    pub metrics: crate::metrics::Metrics,
    pub limiter: limits::WriteLimiter,
    pub figures: cache::FiguresCache,
}

/// `/docs` is where people type; Swagger UI lives under `/docs/`.
async fn docs_redirect() -> actix_web::HttpResponse {
    actix_web::HttpResponse::PermanentRedirect()
        .insert_header((actix_web::http::header::LOCATION, "/docs/"))
        .finish()
}

/// Builds the HTTP server on an already bound listener (tests bind port 0).
pub fn server(state: AppState, listener: TcpListener) -> std::io::Result<Server> {
    let workers = match state.settings.server.workers {
        0 => std::thread::available_parallelism().map_or(2, usize::from),
        n => n,
    };
    let shutdown = state.settings.server.shutdown_timeout_secs;
    let metrics = state.metrics.clone();
    let state = web::Data::new(state);
    // Built once: every worker serves the same document and answers 405s from it.
    let document = openapi::document(&state.settings.server.base_url);
    let methods = web::Data::new(methods::MethodTable::from_document(&document));
    let server = HttpServer::new(move || {
        let (app, _) = App::new()
            .into_utoipa_app()
            .openapi(openapi::base())
            .app_data(state.clone())
            .app_data(methods.clone())
            .app_data(problem::json_config())
            .app_data(problem::query_config())
            .app_data(problem::path_config())
            .configure(handlers::routes)
            .split_for_parts();
        app.configure(crate::web::routes)
            .route("/docs", web::get().to(docs_redirect))
            .service(SwaggerUi::new("/docs/{_:.*}").url("/api-docs/openapi.json", document.clone()))
            .default_service(web::to(problem::no_route))
            .wrap(from_fn(idempotency::middleware))
            // Before routing: every route, the 405 fallback included, sees HEAD as GET.
            .wrap(from_fn(head::middleware))
            .wrap(from_fn(limits::middleware))
            // Outside the idempotency middleware, so no key is claimed for a refused body.
            .wrap(from_fn(text_guard::middleware))
            // Inside the logger, so the id it assigned is there to echo.
            .wrap_fn(|req, srv| {
                let id = req
                    .extensions()
                    .get::<tracing_actix_web::RequestId>()
                    .copied();
                let response = srv.call(req);
                async move {
                    let mut response = response.await?;
                    let headers = response.headers_mut();
                    if let Some(value) =
                        id.and_then(|id| HeaderValue::from_str(&id.to_string()).ok())
                    {
                        headers.insert(HeaderName::from_static("x-request-id"), value);
                    }
                    // No response of this service is meant to be sniffed into another type.
                    headers.insert(
                        HeaderName::from_static("x-content-type-options"),
                        HeaderValue::from_static("nosniff"),
                    );
                    Ok(response)
                }
            })
            .wrap(TracingLogger::default())
            .wrap_fn({
                let metrics = metrics.clone();
                move |req, srv| {
                    let started = Instant::now();
                    let method = req.method().as_str().to_owned();
                    let route = req
                        .match_pattern()
                        .unwrap_or_else(|| "unmatched".to_owned());
                    let response = srv.call(req);
                    let metrics = metrics.clone();
                    async move {
                        let response = response.await?;
                        metrics.observe_request(
                            &method,
                            &route,
                            response.status().as_u16(),
                            started.elapsed().as_secs_f64(),
                        );
                        Ok(response)
                    }
                }
            })
    })
    .workers(workers)
    .shutdown_timeout(shutdown)
    .client_request_timeout(Duration::from_secs(30))
    .listen(listener)?
    .run();
    Ok(server)
}
