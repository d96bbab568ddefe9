//! Fixed-window counters in PostgreSQL, shared by every instance of the service.

use chrono::{DateTime, TimeZone, Utc};
use diesel::prelude::*;
use diesel::upsert::excluded;

use crate::db::schema::rate_limit_buckets as buckets;
use crate::error::{Error, Result};

/// One limit: at most `max` hits per `window_secs`.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub max: u32,
    pub window_secs: u64,
}

fn window_start(now: DateTime<Utc>, window_secs: u64) -> DateTime<Utc> {
    let window = i64::try_from(window_secs.max(1)).unwrap_or(i64::MAX);
    let start = now.timestamp().div_euclid(window) * window;
    Utc.timestamp_opt(start, 0).single().unwrap_or(now)
}

/// Counts one attempt against `key` before it is made, and refuses it if that goes past
/// `limit`. Counting first and atomically (one upsert, which locks the window's row) means
/// parallel attempts cannot all slip under the limit.
pub fn reserve(conn: &mut PgConnection, key: &str, limit: Limit) -> Result<()> {
    let now = Utc::now();
    let start = window_start(now, limit.window_secs);
    let hits: i32 = diesel::insert_into(buckets::table)
        .values((
            buckets::key.eq(key),
            buckets::window_start.eq(start),
            buckets::hits.eq(1),
        ))
        .on_conflict((buckets::key, buckets::window_start))
        .do_update()
        .set(buckets::hits.eq(buckets::hits + excluded(buckets::hits)))
        .returning(buckets::hits)
        .get_result(conn)?;
    if hits > i32::try_from(limit.max).unwrap_or(i32::MAX) {
        let window = i64::try_from(limit.window_secs).unwrap_or(0);
        let retry = (start.timestamp() + window - now.timestamp()).max(1);
        return Err(Error::RateLimited {
            retry_after_secs: u64::try_from(retry).unwrap_or(1),
        });
    }
    Ok(())
}

/// Gives back an attempt [`reserve`]d in the current window (it succeeded).
pub fn refund(conn: &mut PgConnection, key: &str, window_secs: u64) -> Result<()> {
    let start = window_start(Utc::now(), window_secs);
    diesel::update(
        buckets::table
            .find((key, start))
            .filter(buckets::hits.gt(0)),
    )
    .set(buckets::hits.eq(buckets::hits - 1))
    .execute(conn)?;
    // A window with nothing left in it is of no use: keep the table to real attempts.
    diesel::delete(
        buckets::table
            .find((key, start))
            .filter(buckets::hits.eq(0)),
    )
    .execute(conn)?;
    Ok(())
}

/// Deletes windows that ended more than a day ago; returns how many.
pub fn prune(conn: &mut PgConnection) -> Result<usize> {
    Ok(diesel::delete(
        buckets::table.filter(buckets::window_start.lt(Utc::now() - chrono::Duration::days(1))),
    )
    .execute(conn)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_aligned() {
        let at = Utc.timestamp_opt(1_000_123, 0).single().expect("time");
        assert_eq!(window_start(at, 900).timestamp(), 999_900);
        assert_eq!(window_start(at, 1).timestamp(), 1_000_123);
    }
}
