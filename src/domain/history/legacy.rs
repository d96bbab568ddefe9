//! History from before keyed hashes: finding chains that still end in plain SHA-256 events,
//! and sealing the intact ones with a keyed event (an operator's explicit act).

use diesel::prelude::*;
use uuid::Uuid;

use super::keys;
use super::verify::{Problem, check_chain, row};
use super::{Author, Change, append, stored as list};
use crate::db::schema::{history_events as events, history_heads as heads};
use crate::error::Result;

/// Whether any event hashed before keys were introduced remains (sealed or not).
pub fn has_unkeyed_events(conn: &mut PgConnection) -> Result<bool> {
    Ok(diesel::select(diesel::dsl::exists(
        events::table.filter(events::key_id.is_null()),
    ))
    .get_result(conn)?)
}

/// Items whose chain still ends in an event hashed before keys were introduced.
pub fn unsealed_legacy(conn: &mut PgConnection) -> Result<Vec<Uuid>> {
    Ok(heads::table
        .inner_join(
            events::table.on(events::recommendation_id
                .eq(heads::recommendation_id)
                .and(events::seq.eq(heads::seq))),
        )
        .filter(events::key_id.is_null())
        .select(heads::recommendation_id)
        .load(conn)?)
}

/// Appends a keyed `history_rekeyed` event to every item whose chain still ends in an event
/// hashed before keys were introduced, after checking that chain. A broken legacy chain is left
/// as it is (and reported by [`verify`]): sealing it would bless the tampering. Returns how
/// many items were re-anchored and how many were refused.
pub fn rekey_legacy(conn: &mut PgConnection) -> Result<(usize, usize)> {
    let keyring = keys::current()?;
    let pending = unsealed_legacy(conn)?;
    let (mut sealed, mut refused) = (0, 0);
    for item in pending {
        conn.transaction(|conn| {
            crate::domain::items::lock(conn, item)?;
            let all = list(conn, item)?;
            let (problems, head) = check_chain(&all, &keyring);
            let row = row(conn, item)?;
            let only_unanchored = problems
                .iter()
                .all(|p| matches!(p, Problem::Unkeyed { seq } if *seq == row.history_seq));
            if !only_unanchored || head != row.history_head {
                tracing::error!(%item, ?problems, "legacy history is broken; not re-anchored");
                refused += 1;
                return Ok(());
            }
            append(
                conn,
                item,
                Author::SYSTEM,
                vec![
                    Change::history_rekeyed(all.len(), keyring.current.id()).reason(Some(
                        "events hashed with plain SHA-256 are sealed by this keyed event".into(),
                    )),
                ],
            )?;
            sealed += 1;
            Ok::<_, crate::error::Error>(())
        })?;
    }
    Ok((sealed, refused))
}
