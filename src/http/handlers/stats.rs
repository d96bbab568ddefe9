//! Dashboard figures: one call per chart, each answered by one SQL statement, each with an
//! `ETag` so a dashboard polling for changes mostly gets 304; as JSON, or as CSV for a caller
//! that sends `Accept: text/csv`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{NaiveDate, Utc};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::db;
use crate::domain::dates;
use crate::domain::lookup::Named;
use crate::domain::stats::Scope;
use crate::domain::stats::counts::{self, Counts, Group, Grouping};
use crate::domain::stats::cycle::{self, CycleTimes};
use crate::domain::stats::timeline::{self, Interval, Timeline};
use crate::error::Result;
use crate::http::AppState;
use crate::http::auth::Viewer;
use crate::http::cache::Lookup;
use crate::http::etag::{conditional_body, conditional_typed};
use crate::http::export;
use crate::http::figures_csv::{self, Shape};
use crate::http::problem::{Denied, Rejected};

/// Which items the figures cover.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ScopeQuery {
    /// A report's key (e.g. `ccg-2017`) or id.
    pub report: Option<String>,
    /// Theme, e.g. `green`.
    pub theme: Option<String>,
    /// Items owned by this team: its name or id.
    pub team: Option<String>,
    /// Items owned by this user, directly or through a team: `me`, an email address or a
    /// user id.
    pub owner: Option<String>,
    /// A saved view's id: its report, theme, team and owner apply (each given here as well
    /// takes its place); a view that filters by anything else is refused.
    pub view: Option<Uuid>,
}

/// A scope as asked: reports, people and teams still as named, resolved on the connection
/// that computes the figures.
struct AskedScope {
    named: Named,
    theme: Option<String>,
    caller: Option<Uuid>,
}

impl AskedScope {
    fn new(q: ScopeQuery, caller: Option<Uuid>) -> Self {
        Self {
            named: Named {
                report: q.report,
                owner: q.owner,
                team: q.team,
            },
            theme: q.theme.filter(|t| !t.trim().is_empty()),
            caller,
        }
    }

    /// Figures for `owner=me` are the caller's own: they are cached per caller.
    fn personal(&self) -> Option<Uuid> {
        self.named
            .depends_on_caller()
            .then_some(self.caller)
            .flatten()
    }

    fn resolve(self, conn: &mut diesel::PgConnection) -> Result<Scope> {
        let ids = self.named.resolve(conn, self.caller)?;
        Ok(Scope {
            report_id: ids.report,
            theme: self.theme,
            team: ids.team,
            owner: ids.owner,
        })
    }
}

/// The span and period length of a timeline, and which items it covers.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TimelineQuery {
    /// `day`, `week` (default, Monday to Sunday) or `month`.
    #[param(schema_with = crate::http::dto::interval_schema)]
    pub interval: Option<String>,
    /// First day; moved back to the start of its period. Defaults to 30 days, 12 weeks or 12
    /// months before `to`.
    pub from: Option<NaiveDate>,
    /// Last day (default today, UTC).
    pub to: Option<NaiveDate>,
    /// A report's key or id.
    pub report: Option<String>,
    pub theme: Option<String>,
    /// A team's name or id.
    pub team: Option<String>,
    /// `me`, an email address or a user id.
    pub owner: Option<String>,
    /// A saved view's id, as for the other figures.
    pub view: Option<Uuid>,
}

/// Figures for this request: from the cache when fresh, else computed by `work` and kept; as
/// JSON, or laid out as `shape` says for a caller that prefers CSV.
async fn figures<T, F>(
    state: &AppState,
    req: &HttpRequest,
    scope: AskedScope,
    shape: Shape,
    work: F,
) -> Result<HttpResponse>
where
    T: serde::Serialize + Send + 'static,
    F: FnOnce(&mut diesel::PgConnection, Scope) -> Result<T> + Send + 'static,
{
    let csv = export::wants_csv(req);
    let mut key = format!("{}?{}", req.path(), req.query_string());
    if let Some(person) = scope.personal() {
        key.push_str(&format!("#{person}"));
    }
    // Each representation is kept as sent, so a hit renders nothing.
    if csv {
        key.push_str("|csv");
    }
    let pool = state.pool.clone();
    let compute = async move {
        let value = db::run(&pool, move |conn| {
            let scope = scope.resolve(conn)?;
            work(conn, scope)
        })
        .await?;
        if csv {
            figures_csv::render(
                serde_json::to_value(&value).map_err(crate::error::Error::internal)?,
                shape,
            )
        } else {
            Ok(bytes::Bytes::from(
                serde_json::to_vec(&value).map_err(crate::error::Error::internal)?,
            ))
        }
    };
    // On any failure (or if the client leaves and this future is dropped) `refresh` is dropped
    // unused, and the next request recomputes.
    match state.figures.get(&key) {
        Lookup::Hit(body) => answer(req, body, csv),
        Lookup::Compute(refresh) => {
            let body = compute.await?;
            refresh.put(body.clone());
            answer(req, body, csv)
        }
        Lookup::Stale(body, refresh) => {
            actix_web::rt::spawn(async move {
                match compute.await {
                    Ok(fresh) => refresh.put(fresh),
                    Err(e) => tracing::warn!(error = %e, "a figure was not recomputed"),
                }
            });
            answer(req, body, csv)
        }
    }
}

fn answer(req: &HttpRequest, body: bytes::Bytes, csv: bool) -> Result<HttpResponse> {
    let mut response = if csv {
        conditional_typed(req, StatusCode::OK, None, body, export::CSV)?
    } else {
        conditional_body(req, StatusCode::OK, None, body)?
    };
    response.headers_mut().insert(
        actix_web::http::header::VARY,
        actix_web::http::header::HeaderValue::from_static("Accept"),
    );
    Ok(response)
}

/// Answers 200 with the figures and their `ETag`, or 304 when `If-None-Match` already has them.
#[derive(utoipa::IntoResponses)]
pub enum NotModified {
    #[response(
        status = 304,
        description = "Unchanged since the `ETag` in `If-None-Match`"
    )]
    NotModified,
}

/// Counts over all items in scope: per status, awaiting a response, stalled, overdue, the
/// implemented share, evidence awaiting review, and the item stalled longest.
///
/// Required role: viewer.
#[utoipa::path(
    tag = "stats",
    security(("bearer" = ["viewer"])),
    params(ScopeQuery, ("If-None-Match" = Option<String>, Header, description = "An `ETag` you hold")),
    responses((status = 200, description = "The figures", content((Counts = "application/json"), (String = "text/csv; charset=utf-8; header=present"))), NotModified, Denied, Rejected)
)]
#[get("/stats/summary")]
pub async fn get_stats_summary(
    state: web::Data<AppState>,
    caller: Viewer,
    req: HttpRequest,
    query: web::Query<ScopeQuery>,
) -> Result<HttpResponse> {
    let scope = AskedScope::new(
        crate::http::view_param::scope_over(&state, query.into_inner(), &caller.0).await?,
        caller.0.user_id(),
    );
    let rules = state.settings.stall;
    figures(&state, &req, scope, Shape::One, move |conn, scope| {
        counts::summary(conn, &scope, &rules)
    })
    .await
}

async fn groups(
    state: web::Data<AppState>,
    req: HttpRequest,
    scope: AskedScope,
    grouping: Grouping,
) -> Result<HttpResponse> {
    let rules = state.settings.stall;
    figures(&state, &req, scope, Shape::Each, move |conn, scope| {
        counts::grouped(conn, &scope, grouping, &rules)
    })
    .await
}

/// The summary's counts per report, with each report's longest-stalled item.
///
/// Required role: viewer.
#[utoipa::path(
    tag = "stats",
    security(("bearer" = ["viewer"])),
    params(ScopeQuery, ("If-None-Match" = Option<String>, Header, description = "An `ETag` you hold")),
    responses((status = 200, description = "One entry per report, those without items in scope with zeros", content((Vec<Group> = "application/json"), (String = "text/csv; charset=utf-8; header=present"))), NotModified, Denied, Rejected)
)]
#[get("/stats/by-report")]
pub async fn get_stats_by_report(
    state: web::Data<AppState>,
    caller: Viewer,
    req: HttpRequest,
    query: web::Query<ScopeQuery>,
) -> Result<HttpResponse> {
    let scope = AskedScope::new(
        crate::http::view_param::scope_over(&state, query.into_inner(), &caller.0).await?,
        caller.0.user_id(),
    );
    groups(state, req, scope, Grouping::Report).await
}

/// The summary's counts per theme; items without a theme form a group with an empty key.
///
/// Required role: viewer.
#[utoipa::path(
    tag = "stats",
    security(("bearer" = ["viewer"])),
    params(ScopeQuery, ("If-None-Match" = Option<String>, Header, description = "An `ETag` you hold")),
    responses((status = 200, description = "One entry per theme", content((Vec<Group> = "application/json"), (String = "text/csv; charset=utf-8; header=present"))), NotModified, Denied, Rejected)
)]
#[get("/stats/by-theme")]
pub async fn get_stats_by_theme(
    state: web::Data<AppState>,
    caller: Viewer,
    req: HttpRequest,
    query: web::Query<ScopeQuery>,
) -> Result<HttpResponse> {
    let scope = AskedScope::new(
        crate::http::view_param::scope_over(&state, query.into_inner(), &caller.0).await?,
        caller.0.user_id(),
    );
    groups(state, req, scope, Grouping::Theme).await
}

/// The summary's counts per owner (user or team); an item with several owners counts for each,
/// items with none form the `unowned` group.
///
/// Required role: viewer.
#[utoipa::path(
    tag = "stats",
    security(("bearer" = ["viewer"])),
    params(ScopeQuery, ("If-None-Match" = Option<String>, Header, description = "An `ETag` you hold")),
    responses((status = 200, description = "One entry per owner", content((Vec<Group> = "application/json"), (String = "text/csv; charset=utf-8; header=present"))), NotModified, Denied, Rejected)
)]
#[get("/stats/by-owner")]
pub async fn get_stats_by_owner(
    state: web::Data<AppState>,
    caller: Viewer,
    req: HttpRequest,
    query: web::Query<ScopeQuery>,
) -> Result<HttpResponse> {
    let scope = AskedScope::new(
        crate::http::view_param::scope_over(&state, query.into_inner(), &caller.0).await?,
        caller.0.user_id(),
    );
    groups(state, req, scope, Grouping::Owner).await
}

/// Status counts at the end of each period, rebuilt from history (a burn-up chart), and the
/// status changes made in each period.
///
/// Required role: viewer.
#[utoipa::path(
    tag = "stats",
    security(("bearer" = ["viewer"])),
    params(TimelineQuery, ("If-None-Match" = Option<String>, Header, description = "An `ETag` you hold")),
    responses((status = 200, description = "One entry per period, oldest first", content((Timeline = "application/json"), (String = "text/csv; charset=utf-8; header=present"))), NotModified, Denied, Rejected)
)]
#[get("/stats/timeline")]
pub async fn get_stats_timeline(
    state: web::Data<AppState>,
    caller: Viewer,
    req: HttpRequest,
    query: web::Query<TimelineQuery>,
) -> Result<HttpResponse> {
    let query = query.into_inner();
    let interval = query
        .interval
        .as_deref()
        .map(Interval::parse)
        .transpose()?
        .unwrap_or_default();
    let to = dates::date("to", query.to.unwrap_or_else(|| Utc::now().date_naive()))?;
    let asked = ScopeQuery {
        report: query.report,
        theme: query.theme,
        team: query.team,
        owner: query.owner,
        view: query.view,
    };
    let scope = AskedScope::new(
        crate::http::view_param::scope_over(&state, asked, &caller.0).await?,
        caller.0.user_id(),
    );
    let from = dates::optional("from", query.from)?;
    figures(
        &state,
        &req,
        scope,
        Shape::Field("periods"),
        move |conn, scope| timeline::timeline(conn, &scope, interval, from, to),
    )
    .await
}

/// Days from accepted to implemented (median, 90th percentile, mean) and days spent in each
/// status, from history.
///
/// Required role: viewer.
#[utoipa::path(
    tag = "stats",
    security(("bearer" = ["viewer"])),
    params(ScopeQuery, ("If-None-Match" = Option<String>, Header, description = "An `ETag` you hold")),
    responses((status = 200, description = "The durations", content((CycleTimes = "application/json"), (String = "text/csv; charset=utf-8; header=present"))), NotModified, Denied, Rejected)
)]
#[get("/stats/cycle-times")]
pub async fn get_stats_cycle_times(
    state: web::Data<AppState>,
    caller: Viewer,
    req: HttpRequest,
    query: web::Query<ScopeQuery>,
) -> Result<HttpResponse> {
    let scope = AskedScope::new(
        crate::http::view_param::scope_over(&state, query.into_inner(), &caller.0).await?,
        caller.0.user_id(),
    );
    figures(&state, &req, scope, Shape::Measures, move |conn, scope| {
        cycle::cycle_times(conn, &scope)
    })
    .await
}
