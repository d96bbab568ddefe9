//! Invented activity for the local demo: what the demo people did, so that a fresh local run
//! shows items that move, finish, stall and fall overdue, and the first digest has content.
//!
//! Applied once (with the demo accounts' first load), only where demo accounts are loaded (the
//! private local cluster). Every step goes through the same domain function the API calls, as
//! the demo user named, so the rules hold for invented work too; each says in the item's
//! history that it was invented. The one thing no API call does, making an item look idle, is
//! done by setting its activity clock back and recording a system event that says so. The
//! reports' texts and their evidence are never touched.

use chrono::{Duration, NaiveDate, Utc};
use diesel::prelude::*;
use serde::Deserialize;
use uuid::Uuid;

use super::item_id;
use crate::db::enums::{EvidenceKind, Relevance, Response, Status, Verification};
use crate::db::schema::{evidence as evidence_rows, recommendations, users};
use crate::domain::auth::{Actor, Principal};
use crate::domain::comments;
use crate::domain::evidence::{self, EvidenceInput};
use crate::domain::history::{Author, Change};
use crate::domain::items::apply::{self, Activity, Write};
use crate::domain::items::{self, edit};
use crate::domain::workflow::Destination;
use crate::error::{Error, Result};

/// What every invented step says about itself.
pub const LABEL: &str = "Invented demo activity";

/// One item's invented story.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoActivity {
    pub recommendation: String,
    #[serde(default)]
    pub steps: Vec<DemoStep>,
    /// A past due date, set by the report's manager.
    pub due: Option<NaiveDate>,
    /// Days without activity to show, ending the story.
    pub idle_days: Option<u32>,
}

/// One thing a demo person did.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoStep {
    pub by: String,
    pub response: Option<Response>,
    pub status: Option<Status>,
    pub comment: Option<String>,
    /// Submits a statement as evidence, with this title.
    pub evidence: Option<String>,
    /// Reviews the item's newest evidence.
    pub review: Option<Verification>,
}

fn person(conn: &mut PgConnection, email: &str) -> Result<Principal> {
    let (id, role) = users::table
        .filter(users::email.eq(crate::domain::users::Email::normalised(email)))
        .filter(users::is_demo.eq(true))
        .select((users::id, users::role))
        .first(conn)
        .optional()?
        .ok_or_else(|| Error::invalid("activity", format!("{email} is not a demo account")))?;
    Ok(Principal {
        actor: Actor::User {
            id,
            session: Uuid::nil(),
        },
        role,
    })
}

fn label(text: &str) -> String {
    format!("{text} ({LABEL})")
}

fn step(conn: &mut PgConnection, item: Uuid, step: &DemoStep) -> Result<()> {
    let who = person(conn, &step.by)?;
    let reason = Some(LABEL.to_owned());
    if let Some(to) = step.response {
        let to = Destination::Response(to);
        edit::transition(conn, &who, item, to, reason.clone(), None)?;
    }
    if let Some(text) = &step.evidence {
        let input = EvidenceInput {
            kind: EvidenceKind::Statement,
            title: label(text),
            url: None,
            excerpt: String::new(),
            source: LABEL.to_owned(),
            observed_on: None,
            rationale: LABEL.to_owned(),
            relevance: Relevance::ShowsImplementation,
        };
        evidence::add(conn, &who, item, input)?;
    }
    if let Some(decision) = step.review {
        let (id, version): (Uuid, i32) = evidence_rows::table
            .filter(evidence_rows::recommendation_id.eq(item))
            .order(evidence_rows::submitted_at.desc())
            .select((evidence_rows::id, evidence_rows::version))
            .first(conn)?;
        evidence::review(conn, &who, id, version, decision, reason.clone())?;
    }
    if let Some(to) = step.status {
        let to = Destination::Status(to);
        edit::transition(conn, &who, item, to, reason, None)?;
    }
    if let Some(text) = &step.comment {
        comments::add(conn, &who, item, &label(text))?;
    }
    Ok(())
}

/// Plays every story, in order. A story naming an item the seeds do not hold is skipped.
pub fn invent(conn: &mut PgConnection, stories: &[DemoActivity]) -> Result<usize> {
    let mut told = 0;
    for story in stories {
        let Some(item) = item_id(conn, &story.recommendation)? else {
            continue;
        };
        for s in &story.steps {
            step(conn, item, s)?;
        }
        if let Some(due) = story.due {
            let manager = report_manager(conn, item)?.ok_or_else(|| {
                Error::invalid("activity", "a due date needs the report's manager")
            })?;
            let who = person(conn, &manager)?;
            let changes = edit::ItemChanges {
                due_date: Some(Some(due)),
                due_date_reason: Some(LABEL.to_owned()),
                ..edit::ItemChanges::default()
            };
            edit::update(conn, &who, item, changes, None)?;
        }
        if let Some(days) = story.idle_days {
            set_clock_back(conn, item, days)?;
        }
        told += 1;
    }
    Ok(told)
}

/// The email of a demo manager of the item's report.
fn report_manager(conn: &mut PgConnection, item: Uuid) -> Result<Option<String>> {
    use crate::db::schema::report_managers;
    Ok(recommendations::table
        .find(item)
        .inner_join(
            report_managers::table.on(report_managers::report_id.eq(recommendations::report_id)),
        )
        .inner_join(users::table.on(users::id.eq(report_managers::user_id)))
        .filter(users::is_demo.eq(true))
        .order(users::email)
        .select(users::email)
        .first(conn)
        .optional()?)
}

/// Makes the item look idle for `days`: its activity clock (and the time in its current
/// state) moves back, and its history says so.
fn set_clock_back(conn: &mut PgConnection, item: Uuid, days: u32) -> Result<()> {
    items::lock(conn, item)?;
    let at = Utc::now() - Duration::days(i64::from(days));
    let write = Write {
        last_activity_at: Some(at),
        status_changed_at: Some(at),
        ..Write::default()
    };
    let event = Change::demo_clock_set_back().reason(Some(format!(
        "{LABEL}: the last activity is shown as {} so the demo has an item idle for {days} days",
        at.date_naive()
    )));
    apply::record(
        conn,
        item,
        Author::SYSTEM,
        Activity::Bookkeeping,
        write,
        vec![event],
    )
}
