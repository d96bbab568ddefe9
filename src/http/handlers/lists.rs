//! Lists of recommendations: filters from the query, pages with cursors and counts, and the
//! CSV exports.

use actix_web::{HttpRequest, HttpResponse, get, web};
use uuid::Uuid;

use crate::db;
use crate::domain::items::criteria::resolved;
use crate::domain::items::list::{self, Filter, Sort};
use crate::domain::lookup::Named;
use crate::error::{Error, Result};
use crate::http::auth::Viewer;
use crate::http::dto::items::{ListQuery, PreferCount, RecommendationPage, RecommendationResponse};
use crate::http::problem::{Denied, Missing, Rejected};
use crate::http::{AppState, export};

pub(crate) fn filter_of(query: &ListQuery) -> Result<Filter> {
    query.criteria().filter()
}

pub(crate) fn named_of(query: &ListQuery) -> Named {
    query.criteria().named()
}

/// The `count` preference of RFC 7240's `Prefer` (`Prefer: count=exact`, possibly among other
/// preferences); the default when absent or not one we know, as the RFC says to ignore those.
fn preferred_count(req: &HttpRequest) -> list::Count {
    req.headers()
        .get_all("prefer")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|preference| {
            let (name, value) = preference.split(';').next()?.split_once('=')?;
            name.trim()
                .eq_ignore_ascii_case("count")
                .then(|| list::Count::parse(value.trim().trim_matches('"')))
                .flatten()
        })
        .next()
        .unwrap_or_default()
}

/// The URL of the next page: this request's, with the cursor replaced.
fn next_link(state: &AppState, req: &HttpRequest, cursor: &str) -> String {
    let kept: Vec<&str> = req
        .query_string()
        .split('&')
        .filter(|pair| !pair.is_empty() && !pair.starts_with("cursor="))
        .collect();
    let mut query = kept.join("&");
    if !query.is_empty() {
        query.push('&');
    }
    format!(
        "<{}{}?{query}cursor={cursor}>; rel=\"next\"",
        state.settings.server.base_url,
        req.path()
    )
}

/// A saved view's criteria as a list query, checked: every filter parses and every name names
/// something (for `who`, since `owner=me` is whoever uses the view).
pub(crate) fn criteria_of(
    conn: &mut diesel::PgConnection,
    criteria: &serde_json::Value,
    who: Option<Uuid>,
) -> Result<ListQuery> {
    let query: ListQuery = serde_json::from_value(criteria.clone())
        .map_err(|e| Error::invalid("criteria", e.to_string()))?;
    if query.limit.is_some() || query.cursor.is_some() || query.view.is_some() {
        return Err(Error::invalid(
            "criteria",
            "a view holds filters and a sort, not `limit`, `cursor` or `view`",
        ));
    }
    query.criteria().resolve(conn, who)?;
    Ok(query)
}

async fn page(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: ListQuery,
    report: Option<Uuid>,
    who: crate::domain::auth::Principal,
) -> Result<HttpResponse> {
    let caller = who.user_id();
    let query = crate::http::view_param::list_over(&state, query, &who).await?;
    let filter = filter_of(&query)?;
    let named = named_of(&query);
    let sort = Sort::parse(query.sort.as_deref().unwrap_or("ordinal"))?;
    let limit = query.limit.unwrap_or(list::DEFAULT_LIMIT);
    list::check_limit(limit)?;
    if export::wants_csv(&req) {
        let filter = db::run(&state.pool, move |conn| {
            resolved(conn, filter, &named, report, caller)
        })
        .await?;
        let rules = state.settings.stall;
        return export::csv_response(
            state.pool.clone(),
            filter,
            sort,
            rules,
            "recommendations.csv",
        )
        .await;
    }
    let cursor = query.cursor.clone();
    let rules = state.settings.stall;
    let count = preferred_count(&req);
    let page = db::run(&state.pool, move |conn| {
        let filter = resolved(conn, filter, &named, report, caller)?;
        list::list(conn, &filter, sort, limit, cursor.as_deref(), count, &rules)
    })
    .await?;
    let mut response = HttpResponse::Ok();
    response.insert_header(("Preference-Applied", format!("count={}", count.as_str())));
    // The same URL answers CSV by Accept, and counts by Prefer.
    response.insert_header((actix_web::http::header::VARY, "Accept, Prefer"));
    if let Some(total) = page.total {
        response.insert_header(("X-Total-Count", total.to_string()));
        response.insert_header(("X-Total-Count-Kind", page.total_kind.as_str()));
    }
    if let Some(next) = &page.next_cursor {
        response.insert_header(("Link", next_link(&state, &req, next)));
    }
    Ok(response.json(RecommendationPage {
        items: page
            .items
            .into_iter()
            .map(RecommendationResponse::from)
            .collect(),
        total: page.total,
        total_kind: page.total_kind,
        next_cursor: page.next_cursor,
    }))
}

/// List recommendations with filters, sorting and cursor pagination.
///
/// With `Accept: text/csv` the whole list (every page; `limit` and `cursor` are ignored) comes
/// as CSV, streamed, like `GET /recommendations.csv`. Required role: viewer.
#[utoipa::path(
    tag = "recommendations",
    security(("bearer" = ["viewer"])),
    params(ListQuery, PreferCount),
    responses(
        (status = 200, description = "A page of items. \
         As `text/csv`: every matching item, one row each, with a header row",
         headers(
             ("X-Total-Count" = i64, description = "`total`, when counted"),
             ("X-Total-Count-Kind" = String, description = "`exact` or `planned`, as `total_kind`"),
             ("Preference-Applied" = String, description = "The count applied, e.g. `count=planned`"),
             ("Link" = String, description = "`<next page URL>; rel=\"next\"` unless this is the last page"),
         ),
         content(
            (RecommendationPage = "application/json"),
            (String = "text/csv; charset=utf-8; header=present", example = "key,report,ordinal,title,...\r\nccg-2017/01,ccg-2017,1,Building up the B&R international community and forging international governance mechanism,...\r\n"),
         )),
        Denied, Rejected,
    )
)]
#[get("/recommendations")]
pub async fn list_recommendations(
    state: web::Data<AppState>,
    caller: Viewer,
    req: HttpRequest,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse> {
    page(state, req, query.into_inner(), None, caller.0).await
}

/// Every recommendation matching the filters as CSV (RFC 4180, UTF-8 with a byte-order mark,
/// a header row), streamed. Same filters and sort as `/recommendations`; no paging.
///
/// Required role: viewer.
#[utoipa::path(
    tag = "recommendations",
    security(("bearer" = ["viewer"])),
    params(ListQuery),
    responses(
        (status = 200, description = "One row per item", content_type = "text/csv; charset=utf-8; header=present", body = String,
         example = "key,report,ordinal,title,...\r\nccg-2017/01,ccg-2017,1,Building up the B&R international community and forging international governance mechanism,...\r\n"),
        Denied, Rejected,
    )
)]
#[get("/recommendations.csv")]
pub async fn export_recommendations(
    state: web::Data<AppState>,
    caller: Viewer,
    req: HttpRequest,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse> {
    page(state, req, query.into_inner(), None, caller.0).await
}

/// The recommendations of one report as CSV, like `/recommendations.csv`.
///
/// Required role: viewer.
#[utoipa::path(
    tag = "recommendations",
    security(("bearer" = ["viewer"])),
    params(("id" = Uuid, Path, description = "Report id"), ListQuery),
    responses(
        (status = 200, description = "One row per item", content_type = "text/csv; charset=utf-8; header=present", body = String),
        Denied, Rejected, Missing,
    )
)]
#[get("/reports/{id}/recommendations.csv")]
pub async fn export_report_recommendations(
    state: web::Data<AppState>,
    caller: Viewer,
    req: HttpRequest,
    id: web::Path<Uuid>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse> {
    page(
        state,
        req,
        query.into_inner(),
        Some(id.into_inner()),
        caller.0,
    )
    .await
}

/// List the recommendations of one report (same filters as `/recommendations`).
///
/// Required role: viewer.
#[utoipa::path(
    tag = "recommendations",
    security(("bearer" = ["viewer"])),
    params(("id" = Uuid, Path, description = "Report id"), ListQuery, PreferCount),
    responses(
        (status = 200, description = "A page of items", body = RecommendationPage,
         headers(
             ("X-Total-Count" = i64, description = "`total`, when counted"),
             ("X-Total-Count-Kind" = String, description = "`exact` or `planned`, as `total_kind`"),
             ("Preference-Applied" = String, description = "The count applied, e.g. `count=planned`"),
             ("Link" = String, description = "`<next page URL>; rel=\"next\"` unless this is the last page"),
         ),),
        Denied, Rejected, Missing,
    )
)]
#[get("/reports/{id}/recommendations")]
pub async fn list_report_recommendations(
    state: web::Data<AppState>,
    caller: Viewer,
    req: HttpRequest,
    id: web::Path<Uuid>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse> {
    page(
        state,
        req,
        query.into_inner(),
        Some(id.into_inner()),
        caller.0,
    )
    .await
}
