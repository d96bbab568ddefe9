//! Creating and changing items. Every function runs inside the caller's transaction: the row,
//! its history and its activity clock change together or not at all.

use chrono::{NaiveDate, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{Scope, authorize, check_version, lock, touch};
use crate::db::enums::{Priority, Response, Status, wire_name};
use crate::db::models::NewRecommendation;
use crate::db::schema::recommendations;
use crate::domain::auth::Principal;
use crate::domain::dates;
use crate::domain::history::{self, Author, Change};
use crate::domain::reports;
use crate::domain::workflow::{self, Axis, ItemState};
use crate::error::{Error, Result};

/// A new item, as a manager (or the seed loader) describes it.
#[derive(Debug, Clone, Default)]
pub struct NewItem {
    pub report_id: Uuid,
    pub key: Option<String>,
    pub ordinal: Option<i32>,
    pub parent_id: Option<Uuid>,
    pub title: String,
    /// The same point's wording in another edition of the source.
    pub web_title: Option<String>,
    /// Where a seeded body is in its source (see `domain::provenance`).
    pub provenance: Option<serde_json::Value>,
    pub body: String,
    pub source_ref: Option<String>,
    pub themes: Vec<String>,
    pub priority: Priority,
    pub due_date: Option<NaiveDate>,
}

fn check_key(key: &str) -> Result<()> {
    let ok = !key.is_empty()
        && key.len() <= 128
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "./-".contains(c))
        && key
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            "key",
            "use lowercase letters, digits, `.`, `/` and `-`",
        ))
    }
}

fn check_title(title: &str) -> Result<String> {
    let title = title.trim();
    if title.is_empty() || title.chars().count() > 500 {
        return Err(Error::invalid("title", "must be 1 to 500 characters"));
    }
    Ok(title.to_owned())
}

fn check_body(body: &str) -> Result<()> {
    if body.chars().count() > 20_000 {
        return Err(Error::invalid("body", "must be at most 20000 characters"));
    }
    Ok(())
}

/// The highest ordinal of an item among its siblings: no report numbers its points further, and
/// the next ordinal must always fit.
const MAX_ORDINAL: i32 = 100_000;

/// Themes are lowercase tags of 1 to 60 characters, at most 20, without duplicates.
pub fn clean_themes(themes: Vec<String>) -> Result<Vec<String>> {
    let mut clean: Vec<String> = Vec::new();
    for theme in themes {
        let theme = theme.trim().to_lowercase();
        if theme.is_empty() || theme.chars().count() > 60 {
            return Err(Error::invalid(
                "themes",
                "each theme must be 1 to 60 characters",
            ));
        }
        if !clean.contains(&theme) {
            clean.push(theme);
        }
    }
    if clean.len() > 20 {
        return Err(Error::invalid("themes", "at most 20 themes"));
    }
    Ok(clean)
}

/// Creates an item; `author` is recorded in its history.
pub fn create(conn: &mut PgConnection, item: NewItem, author: Author) -> Result<Uuid> {
    let report = reports::get(conn, item.report_id).map_err(|e| match e {
        Error::NotFound => Error::invalid("report_id", "no such report"),
        other => other,
    })?;
    let parent_key = match item.parent_id {
        Some(parent) => {
            let (parent_report, key): (Uuid, String) = recommendations::table
                .find(parent)
                .select((recommendations::report_id, recommendations::key))
                .first(conn)
                .optional()?
                .ok_or_else(|| Error::invalid("parent_id", "no such recommendation"))?;
            if parent_report != report.id {
                return Err(Error::invalid(
                    "parent_id",
                    "the parent belongs to another report",
                ));
            }
            Some(key)
        }
        None => None,
    };
    let title = check_title(&item.title)?;
    check_body(&item.body)?;
    dates::optional("due_date", item.due_date)?;
    let themes = clean_themes(item.themes)?;
    let ordinal = match item.ordinal {
        Some(n) if (1..=MAX_ORDINAL).contains(&n) => n,
        Some(n) if n > MAX_ORDINAL => {
            return Err(Error::invalid(
                "ordinal",
                format!("must be at most {MAX_ORDINAL}"),
            ));
        }
        Some(_) => return Err(Error::invalid("ordinal", "must be at least 1")),
        None => {
            let siblings = recommendations::table
                .filter(recommendations::report_id.eq(report.id))
                .into_boxed();
            let siblings = match item.parent_id {
                Some(parent) => siblings.filter(recommendations::parent_id.eq(parent)),
                None => siblings.filter(recommendations::parent_id.is_null()),
            };
            let max: Option<i32> = siblings
                .select(diesel::dsl::max(recommendations::ordinal))
                .first(conn)?;
            let next = max.unwrap_or(0).saturating_add(1);
            if next > MAX_ORDINAL {
                return Err(Error::invalid(
                    "ordinal",
                    format!("this level is full: ordinals go up to {MAX_ORDINAL}"),
                ));
            }
            next
        }
    };
    let key = match item.key {
        Some(key) => key,
        None => match &parent_key {
            Some(parent) => format!("{parent}.{ordinal}"),
            None => format!("{}/{ordinal:02}", report.key),
        },
    };
    check_key(&key)?;
    let id = Uuid::new_v4();
    let row = NewRecommendation {
        id,
        report_id: report.id,
        key: key.clone(),
        ordinal,
        parent_id: item.parent_id,
        title: title.clone(),
        body: item.body,
        source_ref: item.source_ref,
        themes,
        priority: item.priority,
        due_date: item.due_date,
        original_due_date: item.due_date,
        web_title: item.web_title,
        provenance: item.provenance,
    };
    diesel::insert_into(recommendations::table)
        .values(&row)
        .execute(conn)
        .map_err(|e| match e {
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, ref info) => {
                match info.constraint_name() {
                    Some("recommendations_key_key") => {
                        Error::Conflict(format!("an item with key {key} exists"))
                    }
                    Some("recommendations_report_id_parent_id_ordinal_key") => {
                        Error::Conflict(format!("ordinal {ordinal} is taken in this report"))
                    }
                    _ => e.into(),
                }
            }
            other => other.into(),
        })?;
    history::append(
        conn,
        id,
        author,
        vec![Change::new("created").after(json!({
            "key": key, "title": title, "ordinal": ordinal, "due_date": row.due_date,
        }))],
    )?;
    Ok(id)
}

/// Changes to an item's fields; `None` leaves a field alone, `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct ItemChanges {
    pub title: Option<String>,
    pub body: Option<String>,
    pub themes: Option<Vec<String>>,
    pub priority: Option<Priority>,
    pub due_date: Option<Option<NaiveDate>>,
    /// Required when an existing due date is moved or cleared.
    pub due_date_reason: Option<String>,
    pub progress_percent: Option<i16>,
    pub progress_note: Option<String>,
}

impl ItemChanges {
    /// Whether only the fields owners may edit are touched.
    fn progress_only(&self) -> bool {
        self.title.is_none()
            && self.body.is_none()
            && self.themes.is_none()
            && self.priority.is_none()
            && self.due_date.is_none()
    }
}

/// Applies `changes`: managers may change everything, owners their progress fields.
pub fn update(
    conn: &mut PgConnection,
    principal: &Principal,
    id: Uuid,
    changes: ItemChanges,
    expected_version: Option<i32>,
) -> Result<()> {
    let rec = lock(conn, id)?;
    let scope = if changes.progress_only() {
        Scope::Work
    } else {
        Scope::Manage
    };
    authorize(conn, principal, id, scope)?;
    check_version(expected_version, rec.version)?;
    let mut log = Vec::new();
    let target = recommendations::table.find(id);
    if let Some(title) = changes.title {
        let title = check_title(&title)?;
        if title != rec.title {
            diesel::update(target)
                .set(recommendations::title.eq(&title))
                .execute(conn)?;
            log.push(Change::new("field_changed").field("title", json!(rec.title), json!(title)));
        }
    }
    if let Some(body) = changes.body
        && body != rec.body
    {
        check_body(&body)?;
        diesel::update(target)
            .set(recommendations::body.eq(&body))
            .execute(conn)?;
        log.push(Change::new("field_changed").field("body", json!(rec.body), json!(body)));
    }
    if let Some(themes) = changes.themes {
        let themes = clean_themes(themes)?;
        if themes != rec.themes {
            diesel::update(target)
                .set(recommendations::themes.eq(&themes))
                .execute(conn)?;
            log.push(Change::new("field_changed").field(
                "themes",
                json!(rec.themes),
                json!(themes),
            ));
        }
    }
    if let Some(priority) = changes.priority
        && priority != rec.priority
    {
        diesel::update(target)
            .set(recommendations::priority.eq(priority))
            .execute(conn)?;
        log.push(Change::new("field_changed").field(
            "priority",
            json!(rec.priority),
            json!(priority),
        ));
    }
    if let Some(due) = changes.due_date
        && due != rec.due_date
    {
        dates::optional("due_date", due)?;
        match rec.due_date {
            // The first deadline becomes the baseline; setting it needs no reason.
            None if rec.original_due_date.is_none() => {
                diesel::update(target)
                    .set((
                        recommendations::due_date.eq(due),
                        recommendations::original_due_date.eq(due),
                    ))
                    .execute(conn)?;
                log.push(Change::new("deadline_set").field("due_date", Value::Null, json!(due)));
            }
            _ => {
                let reason = changes
                    .due_date_reason
                    .filter(|r| !r.trim().is_empty())
                    .ok_or_else(|| {
                        Error::invalid(
                            "due_date_reason",
                            "moving or clearing a due date needs a reason",
                        )
                    })?;
                diesel::update(target)
                    .set(recommendations::due_date.eq(due))
                    .execute(conn)?;
                log.push(
                    Change::new("deadline_revised")
                        .field("due_date", json!(rec.due_date), json!(due))
                        .reason(Some(reason)),
                );
            }
        }
    }
    if let Some(percent) = changes.progress_percent
        && percent != rec.progress_percent
    {
        if !(0..=100).contains(&percent) {
            return Err(Error::invalid(
                "progress_percent",
                "must be between 0 and 100",
            ));
        }
        diesel::update(target)
            .set(recommendations::progress_percent.eq(percent))
            .execute(conn)?;
        log.push(Change::new("field_changed").field(
            "progress_percent",
            json!(rec.progress_percent),
            json!(percent),
        ));
    }
    if let Some(note) = changes.progress_note
        && note != rec.progress_note
    {
        if note.chars().count() > 5000 {
            return Err(Error::invalid(
                "progress_note",
                "must be at most 5000 characters",
            ));
        }
        diesel::update(target)
            .set(recommendations::progress_note.eq(&note))
            .execute(conn)?;
        log.push(Change::new("field_changed").field(
            "progress_note",
            json!(rec.progress_note),
            json!(note),
        ));
    }
    if log.is_empty() {
        return Ok(());
    }
    let author = Author::from(principal);
    history::append(conn, id, author, log)?;
    touch(conn, id, author)
}

/// Moves an item along one axis of the workflow.
pub fn transition(
    conn: &mut PgConnection,
    principal: &Principal,
    id: Uuid,
    axis: Axis,
    to: &str,
    reason: Option<String>,
    expected_version: Option<i32>,
) -> Result<()> {
    let rec = lock(conn, id)?;
    let scope = match axis {
        Axis::Response => Scope::Manage,
        Axis::Status => Scope::Work,
    };
    authorize(conn, principal, id, scope)?;
    check_version(expected_version, rec.version)?;
    let state = ItemState {
        response: rec.response,
        status: rec.status,
        has_verified_evidence: rec.evidence_stage == crate::db::enums::EvidenceStage::Verified,
    };
    let reason = reason
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty());
    if reason.as_ref().is_some_and(|r| r.chars().count() > 5000) {
        return Err(Error::invalid("reason", "must be at most 5000 characters"));
    }
    let unknown = || {
        Error::invalid(
            "to",
            format!("`{to}` is not a state of the {} axis", wire_name(axis)),
        )
    };
    let now = Utc::now();
    let target = recommendations::table.find(id);
    let change = match axis {
        Axis::Response => {
            let to: Response = serde_json::from_value(json!(to)).map_err(|_| unknown())?;
            workflow::check_response(state, to, reason.as_deref())?;
            diesel::update(target)
                .set((
                    recommendations::response.eq(to),
                    recommendations::response_reason.eq(&reason),
                    recommendations::response_changed_at.eq(now),
                ))
                .execute(conn)?;
            Change::new("transition").field("response", json!(rec.response), json!(to))
        }
        Axis::Status => {
            let to: Status = serde_json::from_value(json!(to)).map_err(|_| unknown())?;
            workflow::check_status(state, to, reason.as_deref())?;
            diesel::update(target)
                .set((
                    recommendations::status.eq(to),
                    recommendations::status_reason.eq(&reason),
                    recommendations::status_changed_at.eq(now),
                ))
                .execute(conn)?;
            Change::new("transition").field("status", json!(rec.status), json!(to))
        }
    };
    let author = Author::from(principal);
    history::append(conn, id, author, vec![change.reason(reason)])?;
    touch(conn, id, author)
}

/// Leaves an item out of digests until `until` (a manager's call, recorded with its reason);
/// `None` ends a snooze.
pub fn snooze(
    conn: &mut PgConnection,
    principal: &Principal,
    id: Uuid,
    until: Option<NaiveDate>,
    reason: Option<String>,
) -> Result<()> {
    let rec = lock(conn, id)?;
    authorize(conn, principal, id, Scope::Manage)?;
    let reason = reason
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty());
    let change = match until {
        Some(date) => {
            if date <= Utc::now().date_naive() {
                return Err(Error::invalid("until", "must be a future date"));
            }
            dates::date("until", date)?;
            let reason = reason
                .clone()
                .ok_or_else(|| Error::invalid("reason", "say why the item is snoozed"))?;
            diesel::update(recommendations::table.find(id))
                .set((
                    recommendations::snoozed_until.eq(date),
                    recommendations::snooze_reason.eq(&reason),
                ))
                .execute(conn)?;
            Change::new("snoozed").field("snoozed_until", json!(rec.snoozed_until), json!(date))
        }
        None => {
            if rec.snoozed_until.is_none() {
                return Ok(());
            }
            diesel::update(recommendations::table.find(id))
                .set((
                    recommendations::snoozed_until.eq(None::<NaiveDate>),
                    recommendations::snooze_reason.eq(None::<String>),
                ))
                .execute(conn)?;
            Change::new("unsnoozed").field("snoozed_until", json!(rec.snoozed_until), Value::Null)
        }
    };
    let author = Author::from(principal);
    history::append(conn, id, author, vec![change.reason(reason)])?;
    super::touch_without_activity(conn, id)
}
