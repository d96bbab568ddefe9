//! What people do on the pages. Each form names its action and carries the session's CSRF
//! token; each action is one transaction through the same domain function the API calls, so
//! a contributor's forged POST for a manager's action is refused by the same rule (403).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Deserialize;
use uuid::Uuid;

use super::session::{CsrfForm, Signed, check_csrf};
use super::{PageError, field, see_other};
use crate::db;
use crate::db::enums::{DigestFrequency, EvidenceKind, Relevance, Verification};
use crate::db::schema::recommendations;
use crate::domain::evidence::{self, EvidenceInput};
use crate::domain::items::{acknowledge::acknowledge, edit};
use crate::domain::workflow::{Axis, Destination};
use crate::domain::{comments, users, watchers};
use crate::error::Error;
use crate::http::AppState;

/// Every field any item form sends; each action reads its own.
#[derive(Debug, Deserialize)]
pub struct ActionForm {
    csrf: Option<String>,
    /// The item's version the page showed: a change made since is refused, not overwritten.
    version: Option<i32>,
    to: Option<String>,
    reason: Option<String>,
    body: Option<String>,
    note: Option<String>,
    until: Option<String>,
    title: Option<String>,
    url: Option<String>,
    excerpt: Option<String>,
    source: Option<String>,
    rationale: Option<String>,
    evidence: Option<Uuid>,
    evidence_version: Option<i32>,
    decision: Option<String>,
}

fn required(value: Option<String>, name: &str) -> Result<String, Error> {
    value.ok_or_else(|| Error::invalid(name, "is required"))
}

fn date(raw: Option<String>, name: &str) -> Result<NaiveDate, Error> {
    let raw = required(raw, name)?;
    NaiveDate::parse_from_str(&raw, "%Y-%m-%d")
        .map_err(|_| Error::invalid(name, "must be a date, YYYY-MM-DD"))
}

/// `POST /app/do/{item}/{action}`.
pub async fn item_action(
    state: web::Data<AppState>,
    signed: Signed,
    path: web::Path<(Uuid, String)>,
    form: web::Form<ActionForm>,
) -> Result<HttpResponse, PageError> {
    let (id, action) = path.into_inner();
    let form = form.into_inner();
    check_csrf(&signed.0, form.csrf.as_deref().unwrap_or_default())?;
    let principal = signed.0.principal();
    let text = |raw: &Option<String>, name: &str| field(raw, name);
    let (to, reason, body, note) = (
        text(&form.to, "to")?,
        text(&form.reason, "reason")?,
        text(&form.body, "body")?,
        text(&form.note, "note")?,
    );
    let (title, url, excerpt, source, rationale) = (
        text(&form.title, "title")?,
        text(&form.url, "url")?,
        text(&form.excerpt, "excerpt")?,
        text(&form.source, "source")?,
        text(&form.rationale, "rationale")?,
    );
    let until = text(&form.until, "until")?;
    let decision = text(&form.decision, "decision")?;
    let version = form.version;
    let (evidence_id, evidence_version) = (form.evidence, form.evidence_version);
    let outcome = db::transaction(&state.pool, move |conn| {
        match action.as_str() {
            "comment" => {
                comments::add(conn, &principal, id, &required(body, "body")?)?;
            }
            "status" | "response" => {
                let axis = if action == "status" {
                    Axis::Status
                } else {
                    Axis::Response
                };
                let to = Destination::parse(axis, &required(to, "to")?)?;
                edit::transition(conn, &principal, id, to, reason, version)?;
            }
            "acknowledge" => acknowledge(conn, &principal, id, note)?,
            "snooze" => {
                edit::snooze(conn, &principal, id, Some(date(until, "until")?), reason)?;
            }
            "unsnooze" => edit::snooze(conn, &principal, id, None, None)?,
            "watch" | "unwatch" => {
                let me = watchers::person(&principal)?;
                watchers::choose(conn, me, id, action == "watch")?;
            }
            "evidence" => {
                let input = EvidenceInput {
                    kind: if url.is_some() {
                        EvidenceKind::Url
                    } else {
                        EvidenceKind::Document
                    },
                    title: required(title, "title")?,
                    url,
                    excerpt: excerpt.unwrap_or_default(),
                    source: source.unwrap_or_default(),
                    observed_on: None,
                    rationale: rationale.unwrap_or_default(),
                    relevance: Relevance::ShowsProgress,
                };
                evidence::add(conn, &principal, id, input)?;
            }
            "review" => {
                let evidence_id =
                    evidence_id.ok_or_else(|| Error::invalid("evidence", "is required"))?;
                let row = evidence::get(conn, evidence_id)?;
                if row.recommendation_id != id {
                    return Err(Error::NotFound);
                }
                let decision = match decision.as_deref() {
                    Some("accepted") => Verification::Accepted,
                    Some("rejected") => Verification::Rejected,
                    _ => return Err(Error::invalid("decision", "must be accepted or rejected")),
                };
                let read = evidence_version
                    .ok_or_else(|| Error::invalid("evidence_version", "is required"))?;
                evidence::review(conn, &principal, evidence_id, read, decision, note)?;
            }
            _ => return Ok(None),
        }
        let key: String = recommendations::table
            .find(id)
            .select(recommendations::key)
            .first(conn)?;
        Ok(Some(key))
    })
    .await?;
    match outcome {
        Some(key) => Ok(see_other(&format!("/app/items/{key}"))),
        None => Err(PageError::page(
            StatusCode::NOT_FOUND,
            "No such action",
            "This form asks for something the page does not do.",
        )),
    }
}

#[derive(Debug, Deserialize)]
pub struct PreferencesForm {
    csrf: Option<String>,
    frequency: Option<String>,
}

pub async fn save_preferences(
    state: web::Data<AppState>,
    signed: Signed,
    form: web::Form<PreferencesForm>,
) -> Result<HttpResponse, PageError> {
    check_csrf(&signed.0, form.csrf.as_deref().unwrap_or_default())?;
    let chosen = match form.frequency.as_deref() {
        Some("default") => None,
        Some("weekly") => Some(DigestFrequency::Weekly),
        Some("daily") => Some(DigestFrequency::Daily),
        Some("off") => Some(DigestFrequency::Off),
        _ => {
            return Err(Error::invalid("frequency", "choose default, weekly, daily or off").into());
        }
    };
    let me = signed.0.user;
    db::transaction(&state.pool, move |conn| {
        users::set_digest_preference(conn, me, chosen)
    })
    .await?;
    Ok(see_other("/app/preferences?saved=1"))
}

pub async fn send_digest(
    state: web::Data<AppState>,
    signed: Signed,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PageError> {
    check_csrf(&signed.0, form.csrf.as_deref().unwrap_or_default())?;
    let sent = state.digests.send_on_request(signed.0.user).await?;
    Ok(see_other(&format!("/app/preferences?sent={sent}")))
}
