//! The source documents that recommendations come from.

use chrono::Utc;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use uuid::Uuid;

use crate::db::models::{Report, ReportFields};
use crate::db::schema::{recommendations, reports};
use crate::domain::dates::PartialDate;
use crate::error::{Error, Result};

/// A report as a client describes it.
#[derive(Debug, Clone, Default)]
pub struct ReportInput {
    pub title: String,
    pub alt_titles: Vec<String>,
    pub publisher: String,
    pub authors: Vec<String>,
    /// As precise as the source: `2017`, `2017-05` or `2017-05-12`.
    pub published_on: Option<String>,
    pub source_url: Option<String>,
    pub source_file: Option<String>,
    pub language: String,
    pub summary: String,
}

/// A report key: lowercase letters, digits and dashes, as in `ccg-2017`.
pub fn check_key(key: &str) -> Result<()> {
    let ok = !key.is_empty()
        && key.len() <= 64
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !key.starts_with('-');
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            "key",
            "use 1-64 lowercase letters, digits and dashes",
        ))
    }
}

fn validate(input: ReportInput) -> Result<ReportFields> {
    let published = input
        .published_on
        .as_deref()
        .filter(|p| !p.trim().is_empty())
        .map(|p| PartialDate::parse("published_on", p))
        .transpose()?;
    let title = input.title.trim().to_owned();
    if title.is_empty() || title.chars().count() > 500 {
        return Err(Error::invalid("title", "must be 1 to 500 characters"));
    }
    if let Some(url) = &input.source_url
        && !(url.starts_with("http://") || url.starts_with("https://"))
    {
        return Err(Error::invalid("source_url", "must be an http(s) URL"));
    }
    let language = if input.language.trim().is_empty() {
        "en".to_owned()
    } else {
        input.language.trim().to_owned()
    };
    let language_ok = language.len() <= 35
        && language.split('-').enumerate().all(|(i, part)| {
            if i == 0 {
                (2..=3).contains(&part.len()) && part.chars().all(|c| c.is_ascii_lowercase())
            } else {
                (2..=8).contains(&part.len()) && part.chars().all(|c| c.is_ascii_alphanumeric())
            }
        });
    if !language_ok {
        return Err(Error::invalid(
            "language",
            "must be a language tag such as `en` or `zh-Hans`",
        ));
    }
    let clean = |list: Vec<String>| {
        list.into_iter()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect()
    };
    Ok(ReportFields {
        title,
        alt_titles: clean(input.alt_titles),
        publisher: input.publisher.trim().to_owned(),
        authors: clean(input.authors),
        published_on: published.map(|p| p.first_day),
        published_precision: published.map(|p| p.precision.as_str().to_owned()),
        source_url: input.source_url,
        source_file: input.source_file,
        language,
        summary: input.summary,
    })
}

/// Creates a report under `key`.
pub fn create(
    conn: &mut PgConnection,
    key: &str,
    input: ReportInput,
    created_by: Option<Uuid>,
) -> Result<Report> {
    check_key(key)?;
    let fields = validate(input)?;
    diesel::insert_into(reports::table)
        .values((
            reports::id.eq(Uuid::new_v4()),
            reports::key.eq(key),
            reports::created_by.eq(created_by),
            &fields,
        ))
        .returning(Report::as_returning())
        .get_result(conn)
        .map_err(|e| match e {
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                Error::Conflict(format!("a report with key {key} exists"))
            }
            other => other.into(),
        })
}

/// Every report, newest publication first.
pub fn list(conn: &mut PgConnection) -> Result<Vec<Report>> {
    Ok(reports::table
        .order((
            reports::published_on.desc().nulls_last(),
            reports::key.asc(),
        ))
        .select(Report::as_select())
        .load(conn)?)
}

/// One report.
pub fn get(conn: &mut PgConnection, id: Uuid) -> Result<Report> {
    Ok(reports::table
        .find(id)
        .select(Report::as_select())
        .first(conn)?)
}

/// One report by its key.
pub fn by_key(conn: &mut PgConnection, key: &str) -> Result<Report> {
    Ok(reports::table
        .filter(reports::key.eq(key))
        .select(Report::as_select())
        .first(conn)?)
}

/// Replaces a report's description (`If-Match` optional through `expected_version`).
pub fn update(
    conn: &mut PgConnection,
    id: Uuid,
    input: ReportInput,
    expected_version: Option<i32>,
) -> Result<Report> {
    let fields = validate(input)?;
    let current: i32 = reports::table
        .find(id)
        .select(reports::version)
        .for_update()
        .first(conn)?;
    if let Some(expected) = expected_version
        && expected != current
    {
        return Err(Error::PreconditionFailed { expected, current });
    }
    Ok(diesel::update(reports::table.find(id))
        .set((
            &fields,
            reports::version.eq(current + 1),
            reports::updated_at.eq(Utc::now()),
        ))
        .returning(Report::as_returning())
        .get_result(conn)?)
}

/// Deletes a report that has no items yet.
pub fn delete(conn: &mut PgConnection, id: Uuid) -> Result<()> {
    reports::table
        .find(id)
        .select(reports::id)
        .for_update()
        .first::<Uuid>(conn)?;
    let items: i64 = recommendations::table
        .filter(recommendations::report_id.eq(id))
        .count()
        .get_result(conn)?;
    if items > 0 {
        return Err(Error::Conflict(format!(
            "the report has {items} recommendations; it cannot be deleted"
        )));
    }
    diesel::delete(reports::table.find(id)).execute(conn)?;
    Ok(())
}

/// Names `user` (a manager or admin) a manager of the report: they receive its digests.
pub fn put_manager(conn: &mut PgConnection, report: Uuid, user: Uuid) -> Result<()> {
    use crate::db::enums::Role;
    use crate::db::schema::{report_managers, users};
    reports::table
        .find(report)
        .select(reports::id)
        .first::<Uuid>(conn)?;
    let role: Option<Role> = users::table
        .find(user)
        .select(users::role)
        .first(conn)
        .optional()?;
    let role = role.ok_or_else(|| Error::invalid("user_id", "no such user"))?;
    crate::domain::policy::may_manage_report(role)?;
    diesel::insert_into(report_managers::table)
        .values((
            report_managers::report_id.eq(report),
            report_managers::user_id.eq(user),
        ))
        .on_conflict_do_nothing()
        .execute(conn)?;
    Ok(())
}

/// Removes `user` from the report's managers; 404 when they were not one.
pub fn remove_manager(conn: &mut PgConnection, report: Uuid, user: Uuid) -> Result<()> {
    use crate::db::schema::report_managers;
    let removed = diesel::delete(report_managers::table.find((report, user))).execute(conn)?;
    if removed == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

/// The ids of the report's managers.
pub fn managers(conn: &mut PgConnection, report: Uuid) -> Result<Vec<Uuid>> {
    use crate::db::schema::report_managers;
    reports::table
        .find(report)
        .select(reports::id)
        .first::<Uuid>(conn)?;
    Ok(report_managers::table
        .filter(report_managers::report_id.eq(report))
        .order(report_managers::created_at)
        .select(report_managers::user_id)
        .load(conn)?)
}
