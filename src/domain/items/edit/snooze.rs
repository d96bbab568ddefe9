//! Snoozing: a manager's call to leave an item out of digests for a while, with its reason.

use chrono::{NaiveDate, Utc};
use diesel::PgConnection;
use uuid::Uuid;

use crate::domain::auth::Principal;
use crate::domain::dates;
use crate::domain::history::{Author, Change};
use crate::domain::items::apply::{self, Activity, Write};
use crate::domain::items::fields;
use crate::domain::items::lock;
use crate::domain::policy::{self, Act};
use crate::error::{Error, Result};

/// Leaves an item out of digests until `until`; `None` ends a snooze. It is bookkeeping, not
/// work: the stall clock stays where it is, so snoozing and unsnoozing cannot make a stalled
/// item look fresh.
pub fn snooze(
    conn: &mut PgConnection,
    principal: &Principal,
    id: Uuid,
    until: Option<NaiveDate>,
    reason: Option<String>,
) -> Result<()> {
    let rec = lock(conn, id)?;
    policy::item(conn, principal, id, Act::ManageItem)?;
    let reason = fields::reason("reason", reason)?;
    let (write, event) = match until {
        Some(date) => {
            if date <= Utc::now().date_naive() {
                return Err(Error::invalid("until", "must be a future date"));
            }
            dates::date("until", date)?;
            let reason = reason
                .clone()
                .ok_or_else(|| Error::invalid("reason", "say why the item is snoozed"))?;
            (
                Write {
                    snoozed_until: Some(Some(date)),
                    snooze_reason: Some(Some(reason)),
                    ..Write::default()
                },
                Change::snoozed(rec.snoozed_until, date),
            )
        }
        None => {
            if rec.snoozed_until.is_none() {
                return Ok(());
            }
            (
                Write {
                    snoozed_until: Some(None),
                    snooze_reason: Some(None),
                    ..Write::default()
                },
                Change::unsnoozed(rec.snoozed_until),
            )
        }
    };
    apply::record(
        conn,
        id,
        Author::from(principal),
        Activity::Bookkeeping,
        write,
        vec![event.reason(reason)],
    )
}
