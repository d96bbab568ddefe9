//! Targets: the measurable commitments inside an item ("conduct 100,000 training sessions for
//! partner countries by 2030"), each with its verbatim text, figure, unit, own due date and the
//! progress reported against it. Managers define them; owners report progress.

use chrono::Utc;
use diesel::prelude::*;
use serde_json::json;
use uuid::Uuid;

use crate::db::models::Target;
use crate::db::schema::targets;
use crate::domain::auth::Principal;
use crate::domain::dates;
use crate::domain::history::{Author, Change};
use crate::domain::items;
use crate::domain::items::apply;
use crate::domain::policy::{self, Act};
use crate::error::{Error, Result};

/// A target as a manager (or the seed) describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetInput {
    pub text: String,
    pub figure: Option<i64>,
    pub unit: Option<String>,
    pub due_date: Option<chrono::NaiveDate>,
}

fn validate(input: &TargetInput) -> Result<()> {
    let text = input.text.trim();
    if text.is_empty() || text.chars().count() > 500 {
        return Err(Error::invalid("text", "must be 1 to 500 characters"));
    }
    if input.figure.is_some_and(|f| f <= 0) {
        return Err(Error::invalid("figure", "must be a positive number"));
    }
    if input
        .unit
        .as_deref()
        .is_some_and(|u| u.trim().is_empty() || u.chars().count() > 100)
    {
        return Err(Error::invalid("unit", "must be 1 to 100 characters"));
    }
    dates::optional("due_date", input.due_date)?;
    Ok(())
}

/// Whether `target` is past its due date with its figure not reached.
pub fn overdue(target: &Target, today: chrono::NaiveDate) -> bool {
    target.due_date.is_some_and(|due| due < today)
        && target.figure.is_none_or(|figure| target.progress < figure)
}

fn snapshot(t: &Target) -> serde_json::Value {
    json!({"target_id": t.id, "ordinal": t.ordinal, "text": t.text, "figure": t.figure,
           "unit": t.unit, "due_date": t.due_date, "progress": t.progress})
}

/// One target.
pub fn get(conn: &mut PgConnection, id: Uuid) -> Result<Target> {
    Ok(targets::table
        .find(id)
        .select(Target::as_select())
        .first(conn)?)
}

/// The targets of `item`, in order.
pub fn list(conn: &mut PgConnection, item: Uuid) -> Result<Vec<Target>> {
    items::must_exist(conn, item)?;
    Ok(targets::table
        .filter(targets::recommendation_id.eq(item))
        .order(targets::ordinal.asc())
        .select(Target::as_select())
        .load(conn)?)
}

/// Adds a target to `item` as `author` (a manager, or the seed) at `ordinal` (the next one when
/// `None`).
pub fn add(
    conn: &mut PgConnection,
    item: Uuid,
    ordinal: Option<i32>,
    input: TargetInput,
    author: Author,
) -> Result<Target> {
    validate(&input)?;
    items::lock(conn, item)?;
    let ordinal = match ordinal {
        Some(n) => n,
        None => {
            let max: Option<i32> = targets::table
                .filter(targets::recommendation_id.eq(item))
                .select(diesel::dsl::max(targets::ordinal))
                .first(conn)?;
            max.unwrap_or(0).saturating_add(1)
        }
    };
    if !(1..=1000).contains(&ordinal) {
        return Err(Error::invalid(
            "ordinal",
            "an item holds at most 1000 targets",
        ));
    }
    let row: Target = diesel::insert_into(targets::table)
        .values((
            targets::id.eq(Uuid::new_v4()),
            targets::recommendation_id.eq(item),
            targets::ordinal.eq(ordinal),
            targets::text.eq(input.text.trim()),
            targets::figure.eq(input.figure),
            targets::unit.eq(input.unit.as_deref().map(str::trim)),
            targets::due_date.eq(input.due_date),
        ))
        .returning(Target::as_returning())
        .get_result(conn)?;
    apply::record_event(conn, item, author, Change::target_added(snapshot(&row)))?;
    Ok(row)
}

/// Adds a target as a manager.
pub fn create(
    conn: &mut PgConnection,
    principal: &Principal,
    item: Uuid,
    input: TargetInput,
) -> Result<Target> {
    policy::item(conn, principal, item, Act::ManageItem)?;
    add(conn, item, None, input, Author::from(principal))
}

/// Replaces a target's definition as the seed (text, figure, unit, due date); progress stays.
pub fn redefine(conn: &mut PgConnection, target: &Target, input: TargetInput) -> Result<()> {
    validate(&input)?;
    items::lock(conn, target.recommendation_id)?;
    let row: Target = diesel::update(targets::table.find(target.id))
        .set((
            targets::text.eq(input.text.trim()),
            targets::figure.eq(input.figure),
            targets::unit.eq(input.unit.as_deref().map(str::trim)),
            targets::due_date.eq(input.due_date),
            targets::updated_at.eq(Utc::now()),
        ))
        .returning(Target::as_returning())
        .get_result(conn)?;
    apply::record_event(
        conn,
        target.recommendation_id,
        Author::SYSTEM,
        Change::target_changed(snapshot(target), snapshot(&row))
            .reason(Some("seed file changed".into())),
    )
}

/// Reports how much of a target is done (its owners or managers); recorded in the item's history.
pub fn report_progress(
    conn: &mut PgConnection,
    principal: &Principal,
    id: Uuid,
    progress: i64,
) -> Result<Target> {
    let item: Uuid = targets::table
        .find(id)
        .select(targets::recommendation_id)
        .first(conn)?;
    items::lock(conn, item)?;
    policy::item(conn, principal, item, Act::WorkOnItem)?;
    if progress < 0 {
        return Err(Error::invalid("progress", "must be 0 or more"));
    }
    let before: Target = targets::table
        .find(id)
        .select(Target::as_select())
        .for_update()
        .first(conn)?;
    if before.progress == progress {
        return Ok(before);
    }
    let row: Target = diesel::update(targets::table.find(id))
        .set((
            targets::progress.eq(progress),
            targets::updated_at.eq(Utc::now()),
        ))
        .returning(Target::as_returning())
        .get_result(conn)?;
    apply::record_event(
        conn,
        item,
        Author::from(principal),
        Change::target_progress(id, before.progress, progress),
    )?;
    Ok(row)
}
