//! Creating an item: its place among its siblings, its key, and its first event.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use uuid::Uuid;

use crate::db::enums::Priority;
use crate::db::models::NewRecommendation;
use crate::db::schema::recommendations;
use crate::domain::dates;
use crate::domain::history::{self, Author, Change};
use crate::domain::items::fields::{Body, ItemKey, Themes, Title};
use crate::domain::reports;
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

/// The highest ordinal of an item among its siblings: no report numbers its points further, and
/// the next ordinal must always fit.
const MAX_ORDINAL: i32 = 100_000;

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
    let title = Title::parse(&item.title)?;
    let body = Body::parse(item.body)?;
    dates::optional("due_date", item.due_date)?;
    let themes = Themes::parse(item.themes)?;
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
    let key = ItemKey::parse(&key)?;
    let id = Uuid::new_v4();
    let row = NewRecommendation {
        id,
        report_id: report.id,
        key: key.as_str().to_owned(),
        ordinal,
        parent_id: item.parent_id,
        title: title.as_str().to_owned(),
        body: body.into_inner(),
        source_ref: item.source_ref,
        themes: themes.into_inner(),
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
                        Error::Conflict(format!("an item with key {} exists", key.as_str()))
                    }
                    Some("recommendations_report_id_parent_id_ordinal_key") => {
                        Error::Conflict(format!("ordinal {ordinal} is taken in this report"))
                    }
                    _ => e.into(),
                }
            }
            other => other.into(),
        })?;
    // A new row starts at version 1 with its clock at now: its first event is all it needs.
    history::append(
        conn,
        id,
        author,
        vec![Change::created(
            key.as_str(),
            title.as_str(),
            ordinal,
            row.due_date,
        )],
    )?;
    Ok(id)
}
