//! Field edits compared against the item as it stands: each differing value becomes one column
//! of the write and one `field_changed` (or deadline) event, the same way for a manager's
//! edit, an owner's progress and a seed file that changed.

use chrono::NaiveDate;
use serde_json::{Value, json};

use super::apply::Write;
use super::fields::{Body, Progress, ProgressNote, Themes, Title};
use crate::db::enums::Priority;
use crate::db::models::Recommendation;
use crate::domain::dates;
use crate::domain::history::{Change, Field};
use crate::error::{Error, Result};

/// The write and the events an edit makes, built against the item's current row.
pub struct Draft<'a> {
    rec: &'a Recommendation,
    pub write: Write,
    pub events: Vec<Change>,
}

impl<'a> Draft<'a> {
    pub fn new(rec: &'a Recommendation) -> Self {
        Self {
            rec,
            write: Write::default(),
            events: Vec::new(),
        }
    }

    fn changed(&mut self, field: Field, before: Value, after: Value) {
        self.events
            .push(Change::field_changed(field, before, after));
    }

    pub fn title(&mut self, title: Title) {
        if title.as_str() != self.rec.title {
            self.changed(Field::Title, json!(self.rec.title), json!(title.as_str()));
            self.write.title = Some(title.into_inner());
        }
    }

    pub fn body(&mut self, body: Body) {
        if body.as_str() != self.rec.body {
            self.changed(Field::Body, json!(self.rec.body), json!(body.as_str()));
            self.write.body = Some(body.into_inner());
        }
    }

    pub fn themes(&mut self, themes: Themes) {
        if themes.as_slice() != self.rec.themes.as_slice() {
            self.changed(
                Field::Themes,
                json!(self.rec.themes),
                json!(themes.as_slice()),
            );
            self.write.themes = Some(themes.into_inner());
        }
    }

    pub fn priority(&mut self, priority: Priority) {
        if priority != self.rec.priority {
            self.changed(Field::Priority, json!(self.rec.priority), json!(priority));
            self.write.priority = Some(priority);
        }
    }

    pub fn progress(&mut self, progress: Progress) {
        if progress.get() != self.rec.progress_percent {
            self.changed(
                Field::ProgressPercent,
                json!(self.rec.progress_percent),
                json!(progress.get()),
            );
            self.write.progress_percent = Some(progress.get());
        }
    }

    pub fn progress_note(&mut self, note: ProgressNote) {
        let note = note.into_inner();
        if note != self.rec.progress_note {
            self.changed(
                Field::ProgressNote,
                json!(self.rec.progress_note),
                json!(note),
            );
            self.write.progress_note = Some(note);
        }
    }

    pub fn source_ref(&mut self, source_ref: Option<String>) {
        if source_ref != self.rec.source_ref {
            self.changed(
                Field::SourceRef,
                json!(self.rec.source_ref),
                json!(source_ref),
            );
            self.write.source_ref = Some(source_ref);
        }
    }

    pub fn web_title(&mut self, web_title: Option<String>) {
        if web_title != self.rec.web_title {
            self.changed(Field::WebTitle, json!(self.rec.web_title), json!(web_title));
            self.write.web_title = Some(web_title);
        }
    }

    pub fn provenance(&mut self, provenance: Value) {
        if self.rec.provenance.as_ref() != Some(&provenance) {
            self.changed(
                Field::Provenance,
                json!(self.rec.provenance),
                provenance.clone(),
            );
            self.write.provenance = Some(Some(provenance));
        }
    }

    /// A new due date. The first one an item gets is its baseline and needs no reason; moving
    /// or clearing one after that needs `reason`.
    pub fn due_date(&mut self, due: Option<NaiveDate>, reason: Option<String>) -> Result<()> {
        if due == self.rec.due_date {
            return Ok(());
        }
        dates::optional("due_date", due)?;
        if self.rec.due_date.is_none() && self.rec.original_due_date.is_none() {
            self.events.push(Change::deadline_set(due));
            self.write.original_due_date = Some(due);
        } else {
            let reason = reason.filter(|r| !r.trim().is_empty()).ok_or_else(|| {
                Error::invalid(
                    "due_date_reason",
                    "moving or clearing a due date needs a reason",
                )
            })?;
            self.events
                .push(Change::deadline_revised(self.rec.due_date, due).reason(Some(reason)));
        }
        self.write.due_date = Some(due);
        Ok(())
    }

    /// Gives every event so far `reason` (a seed file's changes all have the same one).
    pub fn because(&mut self, reason: &str) {
        self.events = std::mem::take(&mut self.events)
            .into_iter()
            .map(|e| e.reason(Some(reason.to_owned())))
            .collect();
    }
}
