//! Comments on items: written by owners and managers, readable by everyone.

use diesel::prelude::*;
use uuid::Uuid;

use crate::db::models::Comment;
use crate::db::schema::{comments, recommendations};
use crate::domain::auth::Principal;
use crate::domain::history::{Author, Change};
use crate::domain::items;
use crate::domain::items::apply;
use crate::domain::policy::{self, Act};
use crate::error::{Error, Result};

/// Adds a comment; it counts as activity on the item.
pub fn add(
    conn: &mut PgConnection,
    principal: &Principal,
    item: Uuid,
    body: &str,
) -> Result<Comment> {
    items::lock(conn, item)?;
    policy::item(conn, principal, item, Act::WorkOnItem)?;
    let body = body.trim();
    if body.is_empty() || body.chars().count() > 10_000 {
        return Err(Error::invalid("body", "must be 1 to 10000 characters"));
    }
    let comment: Comment = diesel::insert_into(comments::table)
        .values((
            comments::id.eq(Uuid::new_v4()),
            comments::recommendation_id.eq(item),
            comments::author_id.eq(principal.user_id()),
            comments::body.eq(body),
        ))
        .returning(Comment::as_returning())
        .get_result(conn)?;
    apply::record_event(
        conn,
        item,
        Author::from(principal),
        Change::comment_added(comment.id, body),
    )?;
    Ok(comment)
}

/// One comment.
pub fn get(conn: &mut PgConnection, id: Uuid) -> Result<Comment> {
    Ok(comments::table
        .find(id)
        .select(Comment::as_select())
        .first(conn)?)
}

/// The comments of an item, oldest first.
pub fn list(conn: &mut PgConnection, item: Uuid) -> Result<Vec<Comment>> {
    recommendations::table
        .find(item)
        .select(recommendations::id)
        .first::<Uuid>(conn)?;
    Ok(comments::table
        .filter(comments::recommendation_id.eq(item))
        .order((comments::created_at.asc(), comments::id.asc()))
        .select(Comment::as_select())
        .load(conn)?)
}
