//! The pages people read: my items, a report's items, an item, preferences.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;
use uuid::Uuid;

use super::session::Signed;
use super::{PageError, html, see_other};
use crate::db;
use crate::db::enums::{ActorKind, DigestFrequency, EvidenceStage, Response, Status, Verification};
use crate::db::schema::users;
use crate::domain::digest::Audience;
use crate::domain::digest::compose::Digest;
use crate::domain::digest::deliveries::{self, Settings as DigestContext};
use crate::domain::items;
use crate::domain::items::list::{self, Count, Sort};
use crate::domain::policy::{self, Act};
use crate::domain::workflow::{self, Axis, ItemState};
use crate::domain::{comments, evidence, history, labels, reports, users as accounts};
use crate::http::AppState;
use crate::http::dto::items::ListQuery;

/// The top bar of every signed-in page.
pub(crate) struct Chrome {
    pub user: String,
    pub csrf: String,
}

impl Chrome {
    fn of(signed: &Signed) -> Self {
        Self {
            user: signed.0.display_name.clone(),
            csrf: signed.0.csrf.clone(),
        }
    }
}

pub async fn home(signed: Option<Signed>) -> HttpResponse {
    see_other(if signed.is_some() {
        "/app/my"
    } else {
        "/app/login"
    })
}

/// A row of a list of items.
pub(crate) struct Row {
    pub key: String,
    pub title: String,
    pub status: &'static str,
    pub response: &'static str,
    pub owners: String,
    pub due: String,
    pub idle_days: i64,
    pub stalled: bool,
    pub overdue: bool,
}

impl From<items::Item> for Row {
    fn from(item: items::Item) -> Self {
        Self {
            status: labels::status(item.rec.status),
            response: labels::response(item.rec.response),
            owners: join_owners(&item.owners),
            due: item.rec.due_date.map(|d| d.to_string()).unwrap_or_default(),
            idle_days: item.assessment.idle_days.max(0),
            stalled: item.assessment.stalled,
            overdue: item.assessment.overdue,
            key: item.rec.key,
            title: item.rec.title,
        }
    }
}

fn join_owners(owners: &[items::Owner]) -> String {
    if owners.is_empty() {
        return "none".to_owned();
    }
    owners
        .iter()
        .map(|o| o.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(Template)]
#[template(path = "app/my.html")]
struct MyPage {
    chrome: Chrome,
    show: String,
    digest: Option<Digest>,
    owned: Vec<Row>,
}

#[derive(Debug, Deserialize)]
pub struct MyQuery {
    show: Option<String>,
}

impl MyPage {
    fn rows_of(&self) -> &[Row] {
        &self.owned
    }
}

impl ReportPage {
    fn rows_of(&self) -> &[Row] {
        &self.rows
    }
}

/// What needs me (exactly what my digest would list now) and everything I own.
pub async fn my_items(
    state: web::Data<AppState>,
    signed: Signed,
    query: web::Query<MyQuery>,
) -> Result<HttpResponse, PageError> {
    let show = match query.show.as_deref() {
        Some("stalled") => "stalled",
        Some("overdue") => "overdue",
        _ => "all",
    };
    let me = signed.0.user;
    let settings = state.settings.clone();
    let (mut digest, owned) = db::run(&state.pool, move |conn| {
        let context = DigestContext {
            rules: &settings.stall,
            digest: &settings.digest,
            base_url: "",
            signer: None,
        };
        let now = Utc::now();
        let digest = deliveries::compose_for(conn, &context, Audience::User(me), "now", now)?.pop();
        let filter = list::Filter {
            owner: Some(me),
            ..list::Filter::default()
        };
        let page = list::list(
            conn,
            &filter,
            Sort::parse("-last_activity")?,
            *list::LIMITS.end(),
            None,
            Count::None,
            &settings.stall,
        )?;
        Ok((digest, page.items))
    })
    .await?;
    if let Some(digest) = &mut digest {
        for group in &mut digest.groups {
            group.items.retain(|i| match show {
                "stalled" => i.stalled,
                "overdue" => i.overdue,
                _ => true,
            });
        }
        digest.groups.retain(|g| !g.items.is_empty());
    }
    Ok(html(
        StatusCode::OK,
        &MyPage {
            chrome: Chrome::of(&signed),
            show: show.to_owned(),
            digest,
            owned: owned.into_iter().map(Row::from).collect(),
        },
    ))
}

/// The report page's filters, as a form sends them (empty fields mean "any").
#[derive(Debug, Default, Deserialize)]
pub struct ReportFilters {
    status: Option<String>,
    response: Option<String>,
    owner: Option<String>,
    team: Option<String>,
    theme: Option<String>,
    stalled: Option<String>,
    overdue: Option<String>,
    q: Option<String>,
    sort: Option<String>,
    cursor: Option<String>,
}

impl ReportFilters {
    fn value(raw: &Option<String>) -> Option<String> {
        raw.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    }

    /// The same query the list API takes.
    fn to_list_query(&self, report: &str) -> ListQuery {
        let flag = |raw: &Option<String>| Self::value(raw).map(|v| v == "true" || v == "on");
        ListQuery {
            status: Self::value(&self.status),
            response: Self::value(&self.response),
            report: Some(report.to_owned()),
            owner: Self::value(&self.owner),
            team: Self::value(&self.team),
            theme: Self::value(&self.theme),
            priority: None,
            due_before: None,
            due_after: None,
            stalled: flag(&self.stalled).filter(|on| *on),
            overdue: flag(&self.overdue).filter(|on| *on),
            q: Self::value(&self.q),
            sort: Self::value(&self.sort),
            limit: Some(list::DEFAULT_LIMIT),
            cursor: Self::value(&self.cursor),
        }
    }

    /// This query string with another cursor, for the "next page" link.
    fn with_cursor(&self, cursor: &str) -> String {
        let pairs = [
            ("status", &self.status),
            ("response", &self.response),
            ("owner", &self.owner),
            ("team", &self.team),
            ("theme", &self.theme),
            ("stalled", &self.stalled),
            ("overdue", &self.overdue),
            ("q", &self.q),
            ("sort", &self.sort),
        ];
        let mut out: Vec<String> = pairs
            .iter()
            .filter_map(|(k, v)| {
                Self::value(v).map(|v| format!("{k}={}", super::session::encode_component(&v)))
            })
            .collect();
        out.push(format!(
            "cursor={}",
            super::session::encode_component(cursor)
        ));
        out.join("&")
    }
}

/// An option of a select box.
pub(crate) struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

fn choices<T: Copy + serde::Serialize>(
    all: &[T],
    label: fn(T) -> &'static str,
    chosen: Option<&str>,
) -> Vec<Choice> {
    all.iter()
        .map(|v| {
            let value = crate::db::enums::wire_name(*v);
            Choice {
                selected: chosen == Some(value.as_str()),
                label: label(*v).to_owned(),
                value,
            }
        })
        .collect()
}

const STATUSES: [Status; 7] = [
    Status::NotStarted,
    Status::InProgress,
    Status::PartiallyImplemented,
    Status::Implemented,
    Status::Blocked,
    Status::NotImplemented,
    Status::Superseded,
];
const RESPONSES: [Response; 5] = [
    Response::Pending,
    Response::Accepted,
    Response::AcceptedInPrinciple,
    Response::Noted,
    Response::Rejected,
];

#[derive(Template)]
#[template(path = "app/report.html")]
struct ReportPage {
    chrome: Chrome,
    key: String,
    title: String,
    rows: Vec<Row>,
    total: Option<i64>,
    next: Option<String>,
    statuses: Vec<Choice>,
    responses: Vec<Choice>,
    sorts: Vec<Choice>,
    owner: String,
    team: String,
    theme: String,
    q: String,
    stalled: bool,
    overdue: bool,
}

/// A report's items, filtered as the list API filters them.
pub async fn report(
    state: web::Data<AppState>,
    signed: Signed,
    key: web::Path<String>,
    filters: web::Query<ReportFilters>,
) -> Result<HttpResponse, PageError> {
    let key = key.into_inner();
    let filters = filters.into_inner();
    let query = filters.to_list_query(&key);
    let filter = crate::http::handlers::lists::filter_of(&query)?;
    let named = crate::http::handlers::lists::named_of(&query);
    let sort = Sort::parse(query.sort.as_deref().unwrap_or("ordinal"))?;
    let rules = state.settings.stall;
    let me = signed.0.user;
    let cursor = query.cursor.clone();
    let (report, page) = db::run(&state.pool, move |conn| {
        let report = reports::by_key(conn, &key)?;
        let filter = crate::http::handlers::lists::resolved(conn, filter, &named, None, Some(me))?;
        let page = list::list(
            conn,
            &filter,
            sort,
            list::DEFAULT_LIMIT,
            cursor.as_deref(),
            Count::Exact,
            &rules,
        )?;
        Ok((report, page))
    })
    .await?;
    let sort_names = [
        ("ordinal", "Position in the report"),
        ("-last_activity", "Longest without activity first"),
        ("due_date", "Soonest due first"),
    ];
    let chosen_sort = query.sort.clone().unwrap_or_else(|| "ordinal".to_owned());
    Ok(html(
        StatusCode::OK,
        &ReportPage {
            chrome: Chrome::of(&signed),
            next: page.next_cursor.as_deref().map(|c| filters.with_cursor(c)),
            rows: page.items.into_iter().map(Row::from).collect(),
            total: page.total,
            statuses: choices(&STATUSES, labels::status, query.status.as_deref()),
            responses: choices(&RESPONSES, labels::response, query.response.as_deref()),
            sorts: sort_names
                .iter()
                .map(|(value, label)| Choice {
                    value: (*value).to_owned(),
                    label: (*label).to_owned(),
                    selected: chosen_sort == *value,
                })
                .collect(),
            owner: query.owner.unwrap_or_default(),
            team: query.team.unwrap_or_default(),
            theme: query.theme.unwrap_or_default(),
            q: query.q.unwrap_or_default(),
            stalled: query.stalled == Some(true),
            overdue: query.overdue == Some(true),
            key: report.key,
            title: report.title,
        },
    ))
}

/// One event of an item's history, as a person reads it.
pub(crate) struct EventRow {
    pub at: String,
    pub who: String,
    pub what: String,
    pub change: String,
    pub reason: String,
}

/// A piece of evidence and what the viewer may do with it.
pub(crate) struct EvidenceRow {
    pub id: Uuid,
    pub version: i32,
    pub title: String,
    pub url: Option<String>,
    pub excerpt: String,
    pub source: String,
    pub state: &'static str,
    pub submitted: String,
    pub review: String,
    pub reviewable: bool,
}

pub(crate) struct CommentRow {
    pub who: String,
    pub at: String,
    pub body: String,
}

#[derive(Template)]
#[template(path = "app/item.html")]
struct ItemPage {
    chrome: Chrome,
    id: Uuid,
    version: i32,
    key: String,
    title: String,
    body: String,
    source_ref: String,
    report_key: String,
    status: &'static str,
    status_reason: String,
    response: &'static str,
    response_reason: String,
    evidence_stage: &'static str,
    owners: String,
    due: String,
    original_due: String,
    snoozed: String,
    stalled: bool,
    overdue: bool,
    idle_days: i64,
    rule: String,
    history: Vec<EventRow>,
    due_revisions: Vec<EventRow>,
    evidence: Vec<EvidenceRow>,
    comments: Vec<CommentRow>,
    may_work: bool,
    may_manage: bool,
    status_moves: Vec<Choice>,
    response_moves: Vec<Choice>,
    today_plus_30: String,
}

fn stage_label(stage: EvidenceStage) -> &'static str {
    match stage {
        EvidenceStage::Verified => "Verified by someone other than its submitter",
        _ => "No accepted evidence yet",
    }
}

fn verification_label(v: Verification) -> &'static str {
    match v {
        Verification::Pending => "Awaiting review",
        Verification::Accepted => "Accepted",
        Verification::Rejected => "Rejected",
    }
}

fn moves(state: ItemState, axis: Axis) -> Vec<Choice> {
    workflow::allowed(state, axis)
        .into_iter()
        .map(|value| Choice {
            label: labels::of_wire(&value),
            value,
            selected: false,
        })
        .collect()
}

fn shown(value: &Option<serde_json::Value>) -> String {
    match value {
        None | Some(serde_json::Value::Null) => "none".to_owned(),
        Some(serde_json::Value::String(s)) => labels::of_wire(s),
        Some(other) => other.to_string(),
    }
}

/// Everything about one item, and the forms of the actions the viewer may take.
pub async fn item(
    state: web::Data<AppState>,
    signed: Signed,
    key: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let key = key.into_inner();
    let rules = state.settings.stall;
    let principal = signed.0.principal();
    let page = db::run(&state.pool, move |conn| {
        let id = items::id_by_key(conn, &key)?;
        let item = items::get(conn, id, &rules)?;
        let events: Vec<_> = history::read(conn, id)?
            .into_iter()
            .map(|shown| shown.event)
            .collect();
        let evidence = evidence::list(conn, id)?;
        let comments = comments::list(conn, id)?;
        let may_work = policy::item(conn, &principal, id, Act::WorkOnItem).is_ok();
        let may_manage = policy::item(conn, &principal, id, Act::ManageItem).is_ok();
        let mut people: Vec<Uuid> = events.iter().filter_map(|e| e.actor_id).collect();
        people.extend(evidence.iter().filter_map(|e| e.submitted_by));
        people.extend(evidence.iter().filter_map(|e| e.reviewed_by));
        people.extend(comments.iter().filter_map(|c| c.author_id));
        people.sort();
        people.dedup();
        let names: HashMap<Uuid, String> = {
            use diesel::prelude::*;
            users::table
                .filter(users::id.eq_any(&people))
                .select((users::id, users::display_name))
                .load::<(Uuid, String)>(conn)?
                .into_iter()
                .collect()
        };
        Ok((
            item, events, evidence, comments, may_work, may_manage, names,
        ))
    })
    .await?;
    let (item, events, evidence, comments, may_work, may_manage, names) = page;
    let name_of = |id: Option<Uuid>| {
        id.and_then(|id| names.get(&id).cloned())
            .unwrap_or_else(|| "someone no longer here".to_owned())
    };
    let history: Vec<EventRow> = events
        .iter()
        .rev()
        .map(|e| EventRow {
            at: e.at.format("%Y-%m-%d %H:%M UTC").to_string(),
            who: match e.actor_kind {
                ActorKind::System => "recotrack".to_owned(),
                ActorKind::Token => "an API token".to_owned(),
                _ => name_of(e.actor_id),
            },
            what: labels::of_wire(&e.kind),
            change: e
                .field
                .as_ref()
                .map(|f| {
                    format!(
                        "{}: {} → {}",
                        f.replace('_', " "),
                        shown(&e.before),
                        shown(&e.after)
                    )
                })
                .unwrap_or_default(),
            reason: e.reason.clone().unwrap_or_default(),
        })
        .collect();
    let due_revisions = events
        .iter()
        .filter(|e| e.field.as_deref() == Some("due_date"))
        .map(|e| EventRow {
            at: e.at.format("%Y-%m-%d").to_string(),
            who: name_of(e.actor_id),
            what: String::new(),
            change: format!("{} → {}", shown(&e.before), shown(&e.after)),
            reason: e.reason.clone().unwrap_or_default(),
        })
        .collect();
    let evidence = evidence
        .into_iter()
        .map(|e| EvidenceRow {
            reviewable: e.verification == Verification::Pending
                && policy::review_evidence(&principal, &e).is_ok(),
            submitted: format!(
                "{} on {}",
                name_of(e.submitted_by),
                e.submitted_at.date_naive()
            ),
            review: match (e.reviewed_by, e.reviewed_at) {
                (Some(by), Some(at)) => format!(
                    "by {} on {}{}",
                    name_of(Some(by)),
                    at.date_naive(),
                    e.review_note
                        .as_deref()
                        .map(|n| format!(": {n}"))
                        .unwrap_or_default()
                ),
                _ => String::new(),
            },
            state: verification_label(e.verification),
            id: e.id,
            version: e.version,
            title: e.title,
            url: e.url,
            excerpt: e.excerpt,
            source: e.source,
        })
        .collect();
    let comments = comments
        .into_iter()
        .map(|c| CommentRow {
            who: name_of(c.author_id),
            at: c.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            body: c.body,
        })
        .collect();
    let state_now = ItemState {
        response: item.rec.response,
        status: item.rec.status,
        has_verified_evidence: item.rec.evidence_stage == EvidenceStage::Verified,
    };
    let rec = item.rec;
    Ok(html(
        StatusCode::OK,
        &ItemPage {
            chrome: Chrome::of(&signed),
            id: rec.id,
            version: rec.version,
            title: rec.title,
            body: rec.body,
            source_ref: rec.source_ref.unwrap_or_default(),
            report_key: item.report_key,
            status: labels::status(rec.status),
            status_reason: rec.status_reason.unwrap_or_default(),
            response: labels::response(rec.response),
            response_reason: rec.response_reason.unwrap_or_default(),
            evidence_stage: stage_label(rec.evidence_stage),
            owners: join_owners(&item.owners),
            due: rec.due_date.map(|d| d.to_string()).unwrap_or_default(),
            original_due: rec
                .original_due_date
                .filter(|o| Some(*o) != rec.due_date)
                .map(|d| d.to_string())
                .unwrap_or_default(),
            snoozed: rec
                .snoozed_until
                .map(|d| {
                    format!(
                        "{d}{}",
                        rec.snooze_reason
                            .as_deref()
                            .map(|r| format!(": {r}"))
                            .unwrap_or_default()
                    )
                })
                .unwrap_or_default(),
            stalled: item.assessment.stalled,
            overdue: item.assessment.overdue,
            idle_days: item.assessment.idle_days.max(0),
            rule: format!(
                "the rule for items {} allows {} days",
                labels::stall_rule(item.assessment.rule),
                item.assessment.threshold_days
            ),
            history,
            due_revisions,
            evidence,
            comments,
            may_work,
            may_manage,
            status_moves: if may_work {
                moves(state_now, Axis::Status)
            } else {
                Vec::new()
            },
            response_moves: if may_manage {
                moves(state_now, Axis::Response)
            } else {
                Vec::new()
            },
            today_plus_30: (Utc::now().date_naive() + chrono::Duration::days(30)).to_string(),
            key: rec.key,
        },
    ))
}

#[derive(Template)]
#[template(path = "app/preferences.html")]
struct PreferencesPage {
    chrome: Chrome,
    chosen: String,
    effective: &'static str,
    email: String,
    saved: bool,
    sent: Option<bool>,
}

#[derive(Debug, Deserialize)]
pub struct PreferencesQuery {
    saved: Option<String>,
    sent: Option<String>,
}

fn frequency_label(f: DigestFrequency) -> &'static str {
    match f {
        DigestFrequency::Daily => "daily",
        DigestFrequency::Weekly => "weekly",
        DigestFrequency::Off => "off",
    }
}

pub async fn preferences(
    state: web::Data<AppState>,
    signed: Signed,
    query: web::Query<PreferencesQuery>,
    _req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let me = signed.0.user;
    let (profile, (chosen, effective)) = db::run(&state.pool, move |conn| {
        Ok((
            accounts::get(conn, me)?,
            accounts::digest_preference(conn, me)?,
        ))
    })
    .await?;
    Ok(html(
        StatusCode::OK,
        &PreferencesPage {
            chrome: Chrome::of(&signed),
            chosen: chosen.map_or_else(|| "default".to_owned(), |f| frequency_label(f).to_owned()),
            effective: frequency_label(effective),
            email: profile.email,
            saved: query.saved.is_some(),
            sent: query.sent.as_deref().map(|s| s == "true"),
        },
    ))
}
