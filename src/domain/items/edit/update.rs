//! Editing an item's fields: managers everything, owners their progress.

use chrono::NaiveDate;
use diesel::PgConnection;
use uuid::Uuid;

use crate::db::enums::Priority;
use crate::domain::auth::Principal;
use crate::domain::history::Author;
use crate::domain::items::apply::{self, Activity};
use crate::domain::items::draft::Draft;
use crate::domain::items::fields::{Body, Progress, ProgressNote, Themes, Title};
use crate::domain::items::{check_version, lock};
use crate::domain::policy::{self, Act};
use crate::error::Result;

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
        Act::WorkOnItem
    } else {
        Act::ManageItem
    };
    policy::item(conn, principal, id, scope)?;
    check_version(expected_version, rec.version)?;
    let mut draft = Draft::new(&rec);
    if let Some(title) = changes.title {
        draft.title(Title::parse(&title)?);
    }
    if let Some(body) = changes.body {
        draft.body(Body::parse(body)?);
    }
    if let Some(themes) = changes.themes {
        draft.themes(Themes::parse(themes)?);
    }
    if let Some(priority) = changes.priority {
        draft.priority(priority);
    }
    if let Some(due) = changes.due_date {
        draft.due_date(due, changes.due_date_reason)?;
    }
    if let Some(percent) = changes.progress_percent {
        draft.progress(Progress::parse(percent)?);
    }
    if let Some(note) = changes.progress_note {
        draft.progress_note(ProgressNote::parse(note)?);
    }
    apply::record(
        conn,
        id,
        Author::from(principal),
        Activity::Work,
        draft.write,
        draft.events,
    )
}
