//! Bringing a report's recommendations in from its text: a preview from the extractor, then
//! the (possibly edited) points created as items in one transaction.

use diesel::PgConnection;
use uuid::Uuid;

use crate::domain::extract::Point;
use crate::domain::history::Author;
use crate::domain::items::edit::{self, NewItem};
use crate::error::{Error, Result};

/// Creates the items of `points` (and their sub-points) in report `report`, returning their keys.
/// The caller's transaction makes it all or nothing.
pub fn create(
    conn: &mut PgConnection,
    report: Uuid,
    points: &[Point],
    author: Author,
) -> Result<Vec<String>> {
    if points.is_empty() {
        return Err(Error::invalid("points", "nothing to import"));
    }
    let mut keys = Vec::new();
    for point in points {
        let id = create_one(conn, report, None, point, author)?;
        keys.push(key_of(conn, id)?);
        for child in &point.children {
            let child_id = create_one(conn, report, Some(id), child, author)?;
            keys.push(key_of(conn, child_id)?);
        }
    }
    Ok(keys)
}

fn create_one(
    conn: &mut PgConnection,
    report: Uuid,
    parent: Option<Uuid>,
    point: &Point,
    author: Author,
) -> Result<Uuid> {
    edit::create(
        conn,
        NewItem {
            report_id: report,
            ordinal: Some(point.ordinal),
            parent_id: parent,
            title: point.title.clone(),
            body: point.body.clone(),
            ..NewItem::default()
        },
        author,
    )
}

fn key_of(conn: &mut PgConnection, id: Uuid) -> Result<String> {
    use crate::db::schema::recommendations;
    use diesel::prelude::*;
    Ok(recommendations::table
        .find(id)
        .select(recommendations::key)
        .first(conn)?)
}
