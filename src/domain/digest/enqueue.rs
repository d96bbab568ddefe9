//! Queueing one rendered message: the step digests and view subscriptions share, so both get
//! the same `(recipient, period)` uniqueness and the same sender.

use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::digest_deliveries as deliveries;
use crate::error::Result;

/// The two bodies of a message.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub text: String,
    pub html: String,
}

/// A delivery about to be queued, its message rendered.
pub struct NewDelivery<'a> {
    pub run: Uuid,
    pub recipient: Uuid,
    pub period: &'a str,
    pub subject: &'a str,
    pub stalled: usize,
    pub overdue: usize,
    pub item_ids: &'a [Uuid],
    pub rendered: &'a Rendered,
    pub unsubscribe_url: Option<&'a str>,
}

/// Queues `new`; 0 when its recipient has a delivery for its period already.
pub fn insert(conn: &mut PgConnection, new: &NewDelivery<'_>) -> Result<usize> {
    let count = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
    Ok(diesel::insert_into(deliveries::table)
        .values((
            deliveries::id.eq(Uuid::new_v4()),
            deliveries::run_id.eq(new.run),
            deliveries::recipient_id.eq(new.recipient),
            deliveries::period.eq(new.period),
            deliveries::subject.eq(new.subject),
            deliveries::stalled_count.eq(count(new.stalled)),
            deliveries::overdue_count.eq(count(new.overdue)),
            deliveries::item_ids.eq(new.item_ids),
            deliveries::body_text.eq(&new.rendered.text),
            deliveries::body_html.eq(&new.rendered.html),
            deliveries::unsubscribe_url.eq(new.unsubscribe_url),
        ))
        .on_conflict((deliveries::recipient_id, deliveries::period))
        .do_nothing()
        .execute(conn)?)
}
