//! Feed tokens, and the Atom and iCalendar feeds they open.

use actix_web::{HttpResponse, delete, get, post, web};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::db;
use crate::domain::items::due;
use crate::domain::items::list::Filter;
use crate::domain::{feeds, lookup};
use crate::error::Error;
use crate::http::auth::Viewer;
use crate::http::dto::feeds::{
    CreateFeedTokenRequest, CreatedFeedTokenResponse, FeedTokenResponse,
};
use crate::http::feeds::{self as feeds_format, FeedEntry, FeedHead};
use crate::http::problem::{Conflicting, Denied, Missing, Rejected};
use crate::http::{AppState, created};

/// A feed as readers get it: never stored by a cache, since its URL is a credential.
fn feed_response(content_type: &str, body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header(crate::http::NO_STORE)
        .body(body)
}

/// Items a calendar holds at most.
const MAX_CALENDAR_ITEMS: i64 = 2000;

fn person(caller: &Viewer) -> Result<Uuid, Error> {
    caller
        .0
        .user_id()
        .ok_or_else(|| Error::Forbidden("feed tokens belong to people, not API tokens".into()))
}

/// Make a feed token: the secret part of feed URLs for calendar apps and feed readers.
///
/// The answer holds the token and the feed addresses it opens, once. Feeds only read, as a
/// viewer would, whatever your role. At most 10 live tokens per person.
///
/// Required role: viewer (a signed-in user, not an API token).
#[utoipa::path(
    tag = "feeds",
    security(("bearer" = ["viewer"])),
    request_body(content = CreateFeedTokenRequest, description = "Optional"),
    responses((status = 201, description = "Created", body = CreatedFeedTokenResponse), Denied, Rejected, Conflicting)
)]
#[post("/me/feed-tokens")]
pub async fn create_feed_token(
    state: web::Data<AppState>,
    caller: Viewer,
    request: actix_web::HttpRequest,
    body: crate::http::Body<CreateFeedTokenRequest>,
) -> actix_web::Result<HttpResponse> {
    let user = person(&caller)?;
    let name = crate::http::optional(&request, body)?.name;
    let (token, secret) =
        db::transaction(&state.pool, move |conn| feeds::create(conn, user, &name)).await?;
    let base = format!(
        "{}/api/v1/feeds/{secret}",
        state.settings.server.base_url.trim_end_matches('/')
    );
    let mut response = created(format!("/me/feed-tokens/{}", token.id))
        .insert_header(crate::http::NO_STORE)
        .json(CreatedFeedTokenResponse {
            token: token.into(),
            due_dates_url: format!("{base}/due.ics"),
            item_feed_url: format!("{base}/recommendations/{{id}}.atom"),
            view_feed_url: format!("{base}/views/{{id}}.atom"),
            token_secret: secret,
        });
    response
        .extensions_mut()
        .insert(crate::http::idempotency::CarriesSecret);
    Ok(response)
}

/// Your feed tokens (never their secrets).
///
/// Required role: viewer (a signed-in user).
#[utoipa::path(
    tag = "feeds",
    security(("bearer" = ["viewer"])),
    responses((status = 200, description = "Newest first", body = [FeedTokenResponse]), Denied)
)]
#[get("/me/feed-tokens")]
pub async fn list_feed_tokens(
    state: web::Data<AppState>,
    caller: Viewer,
) -> Result<HttpResponse, Error> {
    let user = person(&caller)?;
    let list = db::run(&state.pool, move |conn| feeds::list(conn, user)).await?;
    Ok(HttpResponse::Ok().json(
        list.into_iter()
            .map(FeedTokenResponse::from)
            .collect::<Vec<_>>(),
    ))
}

/// Revoke one of your feed tokens: its feed URLs stop opening at once.
///
/// Required role: viewer (a signed-in user).
#[utoipa::path(
    tag = "feeds",
    security(("bearer" = ["viewer"])),
    params(("id" = Uuid, Path, description = "Feed token id")),
    responses((status = 204, description = "Revoked"), Denied, Missing)
)]
#[delete("/me/feed-tokens/{id}")]
pub async fn delete_feed_token(
    state: web::Data<AppState>,
    caller: Viewer,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Error> {
    let user = person(&caller)?;
    let id = id.into_inner();
    db::transaction(&state.pool, move |conn| feeds::revoke(conn, user, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// An item's changes as an Atom 1.0 feed, newest first (at most 100).
///
/// Opened by the feed token in the URL (no `Authorization` header); 404 for a revoked or
/// unknown token, as for an unknown item.
#[utoipa::path(
    tag = "feeds",
    params(
        ("token" = String, Path, description = "A feed token (rtf_...)"),
        ("id" = Uuid, Path, description = "Recommendation id")
    ),
    responses(
        (status = 200, description = "Atom feed", content_type = "application/atom+xml", body = String),
        Missing
    )
)]
#[get("/feeds/{token}/recommendations/{id}.atom")]
pub async fn get_item_feed(
    state: web::Data<AppState>,
    path: web::Path<(String, Uuid)>,
) -> Result<HttpResponse, Error> {
    let (token, id) = path.into_inner();
    let rules = state.settings.stall;
    let (item, events, names) = db::run(&state.pool, move |conn| {
        feeds::open(conn, &token)?;
        let item = crate::domain::items::get(conn, id, &rules)?;
        let (events, names) = feeds::item_events(conn, id)?;
        Ok((item, events, names))
    })
    .await?;
    let base = &state.settings.server.base_url;
    let page = feeds_format::page_of(base, &item.rec.key);
    let entries: Vec<FeedEntry<'_>> = events
        .iter()
        .map(|event| FeedEntry {
            key: &item.rec.key,
            item_title: None,
            event,
        })
        .collect();
    let body = feeds_format::atom(
        base,
        &FeedHead {
            id: page.clone(),
            title: format!("{} {}", item.rec.key, item.rec.title),
            updated: item.rec.updated_at,
            page: Some(page),
        },
        &entries,
        &names,
    );
    Ok(feed_response("application/atom+xml; charset=utf-8", body))
}

/// A saved view's changes as an Atom 1.0 feed: the newest events (at most 100) of the items
/// the view holds now, newest first, each titled with its item.
///
/// Opened by the feed token in the URL (no `Authorization` header). The view is read as a
/// viewer would read it: yours, or shared with a team you are in; `owner: "me"` in it is you.
/// 404 for a revoked or unknown token, as for a view you may not use.
#[utoipa::path(
    tag = "feeds",
    params(
        ("token" = String, Path, description = "A feed token (rtf_...)"),
        ("id" = Uuid, Path, description = "Saved view id")
    ),
    responses(
        (status = 200, description = "Atom feed", content_type = "application/atom+xml", body = String),
        Missing
    )
)]
#[get("/feeds/{token}/views/{id}.atom")]
pub async fn get_view_feed(
    state: web::Data<AppState>,
    path: web::Path<(String, Uuid)>,
) -> Result<HttpResponse, Error> {
    let (token, id) = path.into_inner();
    let rules = state.settings.stall;
    let feed = db::run(&state.pool, move |conn| {
        let user = feeds::open(conn, &token)?;
        feeds::view_events(conn, user, id, &rules)
    })
    .await?;
    let entries: Vec<FeedEntry<'_>> = feed
        .entries
        .iter()
        .map(|e| FeedEntry {
            key: &e.key,
            item_title: Some(&e.title),
            event: &e.event,
        })
        .collect();
    let body = feeds_format::atom(
        &state.settings.server.base_url,
        &FeedHead {
            id: format!("urn:uuid:{id}"),
            title: format!("recotrack: {}", feed.name),
            updated: feed.updated_at,
            page: None,
        },
        &entries,
        &feed.names,
    );
    Ok(feed_response("application/atom+xml; charset=utf-8", body))
}

/// Which items' due dates a calendar holds.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CalendarQuery {
    /// A report's key or id: its items.
    pub report: Option<String>,
    /// Items owned by this user (an email address, a user id, or `me`); the default when no
    /// filter is given is `me`.
    pub owner: Option<String>,
    /// Items owned by this team: its name or id.
    pub team: Option<String>,
    /// Every item's due dates (no default `owner=me`).
    pub all: Option<bool>,
}

/// Due dates of items and of their targets as an iCalendar (RFC 5545) of all-day events.
///
/// Unfinished items only; by default the ones you own (directly or through a team). Opened by
/// the feed token in the URL, for calendar apps that subscribe to a URL.
#[utoipa::path(
    tag = "feeds",
    params(("token" = String, Path, description = "A feed token (rtf_...)"), CalendarQuery),
    responses(
        (status = 200, description = "iCalendar", content_type = "text/calendar", body = String),
        Rejected, Missing
    )
)]
#[get("/feeds/{token}/due.ics")]
pub async fn get_due_calendar(
    state: web::Data<AppState>,
    token: web::Path<String>,
    query: web::Query<CalendarQuery>,
) -> Result<HttpResponse, Error> {
    let token = token.into_inner();
    let query = query.into_inner();
    let rules = state.settings.stall;
    let dated = db::run(&state.pool, move |conn| {
        let user = feeds::open(conn, &token)?;
        let mut named = lookup::Named {
            report: query.report,
            owner: query.owner,
            team: query.team,
        };
        if named == lookup::Named::default() && query.all != Some(true) {
            named.owner = Some(lookup::ME.into());
        }
        let ids = named.resolve(conn, Some(user))?;
        let filter = Filter {
            report_id: ids.report,
            owner: ids.owner,
            team: ids.team,
            ..Filter::default()
        };
        due::dated(conn, &filter, &rules, MAX_CALENDAR_ITEMS)
    })
    .await?;
    let open: Vec<due::Dated> = dated
        .into_iter()
        .filter(|d| !crate::domain::workflow::is_closed(d.response, d.status))
        .collect();
    let body = crate::http::feeds::calendar(
        &state.settings.server.base_url,
        "recotrack due dates",
        &open,
    );
    Ok(feed_response("text/calendar; charset=utf-8", body))
}
