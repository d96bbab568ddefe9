//! Escalations: a stall past its rule is escalated once per step, to managers and then admins,
//! and recorded in the item's history.

use diesel::prelude::*;

use super::deliveries::Escalation;
use crate::domain::history::{Author, Change};
use crate::domain::items::{
    self,
    apply::{self, Activity, Write},
};
use crate::error::Result;

pub(super) fn record_escalations(
    conn: &mut PgConnection,
    escalations: Vec<Escalation>,
) -> Result<usize> {
    use crate::db::schema::escalations as table;
    let mut recorded = 0;
    for e in escalations {
        let step = i16::try_from(e.step).unwrap_or(i16::MAX);
        let inserted = diesel::insert_into(table::table)
            .values((
                table::recommendation_id.eq(e.item),
                table::stalled_since.eq(e.stalled_since),
                table::step.eq(step),
                table::notified_user_ids.eq(&e.recipients),
            ))
            .on_conflict_do_nothing()
            .execute(conn)?;
        if inserted == 1 {
            items::lock(conn, e.item)?;
            let level = if e.step == 1 { "managers" } else { "admins" };
            // Made by the system: recorded, and the version moves (a client's cached copy is
            // stale), but the stall clock keeps running.
            let event = Change::escalated(level, e.step, &e.recipients).reason(Some(format!(
                "stalled since {}",
                e.stalled_since.date_naive()
            )));
            apply::record(
                conn,
                e.item,
                Author::SYSTEM,
                Activity::Bookkeeping,
                Write::default(),
                vec![event],
            )?;
            recorded += 1;
        }
    }
    Ok(recorded)
}
