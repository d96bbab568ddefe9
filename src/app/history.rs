//! The history commands and start-up checks: shapes, legacy chains, verification, anchors.

use anyhow::Context;
use diesel::{Connection, PgConnection};

use super::install_history_keys;
use crate::config::Settings;

/// Records the current shape of events written in an older one (see `history::reshape`):
/// only appends, so it is safe on every start.
fn reshape_old_events(conn: &mut PgConnection) -> anyhow::Result<()> {
    let items = crate::domain::history::reshape_legacy(conn)?;
    if items > 0 {
        tracing::info!(
            items,
            "recorded the current shape of history events written in an older one"
        );
    }
    Ok(())
}

/// At start: records the current shape of events written in an older one, and says when
/// chains still end in events hashed before keys were introduced. Sealing
/// them is an operator's explicit act (`recotrack history seal-legacy`), never automatic: a
/// restart must not be able to bless a chain someone forged with plain hashes.
pub(super) fn warn_of_legacy_history(settings: &Settings, url: &str) -> anyhow::Result<()> {
    install_history_keys(settings)?;
    let mut conn = PgConnection::establish(url).context("connecting to the database")?;
    reshape_old_events(&mut conn)?;
    // Almost always none: one probe of a partial index, and the count only when there are some.
    if !crate::domain::history::has_unkeyed_events(&mut conn)? {
        return Ok(());
    }
    let unsealed = crate::domain::history::unsealed_legacy(&mut conn)?.len();
    if unsealed > 0 {
        tracing::warn!(
            items = unsealed,
            "history from before keyed hashes is not sealed: check it, then run `recotrack history seal-legacy` once"
        );
    }
    Ok(())
}

/// `recotrack history seal-legacy`: seals every intact chain from before keyed hashes with a
/// keyed event; returns a report.
pub fn history_seal_legacy(settings: &Settings, url: &str) -> anyhow::Result<String> {
    install_history_keys(settings)?;
    let mut conn = PgConnection::establish(url).context("connecting to the database")?;
    let (sealed, refused) = crate::domain::history::rekey_legacy(&mut conn)?;
    Ok(format!(
        "sealed {sealed} chains from before keyed hashes; {refused} broken ones left unsealed (see `recotrack history verify`)\n"
    ))
}

/// `recotrack history verify`: checks every item's chain, head and replay, and every recorded
/// anchor; returns a report and whether everything held.
pub fn history_verify(settings: &Settings, url: &str) -> anyhow::Result<(String, bool)> {
    use crate::domain::history::anchor;
    use std::fmt::Write;
    install_history_keys(settings)?;
    let mut conn = PgConnection::establish(url).context("connecting to the database")?;
    let integrity = anchor::check_everything(&mut conn, 366)?;
    let mut out = String::new();
    for (key, id, verdict) in &integrity.broken {
        writeln!(out, "BROKEN {key} ({id}):")?;
        for problem in &verdict.problems {
            writeln!(out, "  {problem}")?;
        }
    }
    for (recorded, matches) in &integrity.anchors {
        if !matches {
            writeln!(
                out,
                "ANCHOR MISMATCH {}: the chains no longer give {}",
                recorded.day, recorded.digest
            )?;
        }
    }
    writeln!(
        out,
        "{} items checked, {} broken; {} anchors checked, {} mismatched",
        integrity.items_checked,
        integrity.broken.len(),
        integrity.anchors.len(),
        integrity.anchors.iter().filter(|(_, m)| !m).count()
    )?;
    Ok((out, integrity.intact()))
}

/// `recotrack history anchor`: records today's anchor if due, and prints the newest ones (day,
/// digest), for a copy kept outside the database.
pub fn history_anchor(
    settings: &Settings,
    url: &str,
    check: Option<(chrono::NaiveDate, String)>,
) -> anyhow::Result<(String, bool)> {
    use crate::domain::history::anchor;
    use std::fmt::Write;
    install_history_keys(settings)?;
    let mut conn = PgConnection::establish(url).context("connecting to the database")?;
    let mut out = String::new();
    if let Some((day, digest)) = check {
        let matches = anchor::check_outside_copy(&mut conn, day, &digest)?;
        writeln!(
            out,
            "{day} {digest}: {}",
            if matches {
                "matches the history as of that midnight"
            } else {
                "DOES NOT MATCH the history as of that midnight"
            }
        )?;
        return Ok((out, matches));
    }
    anchor::record_due(&mut conn, chrono::Utc::now())?;
    for a in anchor::latest(&mut conn, 7)? {
        writeln!(
            out,
            "{}\t{}\titems={}\tevents={}",
            a.day, a.digest, a.items, a.events
        )?;
    }
    Ok((out, true))
}
