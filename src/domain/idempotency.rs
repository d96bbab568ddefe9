//! `Idempotency-Key`: a retried `POST` returns the first answer instead of doing the work again.
//! Keys belong to the caller (user or API token), are bound to the request they first came
//! with, and are kept for a day. The claim is made in the same transaction as the work and the
//! answer it records (see `db::held`), so a key is either unused or carries its answer.
//! Answers that carry a secret are never kept: their key only remembers that it was used.

use diesel::prelude::*;
use serde_json::Value;
use uuid::Uuid;

use crate::db::schema::idempotency_keys as keys;
use crate::error::{Error, Result};

/// A response as first sent, to be sent again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// What a key says about a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// First use: do the work, then [`record`] its answer in the same transaction.
    Fresh,
    /// Seen before with the same request: answer with this.
    Replay(Stored),
    /// Seen before with the same request, whose answer carried a secret that is shown once.
    SecretShown,
}

/// What to keep of an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Kept whole, to be replayed.
    Keep(Stored),
    /// It carried a secret: keep only that the request was carried out, with this status.
    Secret { status: u16 },
}

/// How long keys are kept.
pub const KEEP_HOURS: i64 = 24;

/// Claims `key` for `request_hash` on behalf of `actor`, inside the caller's transaction. A
/// concurrent request with the same key waits (on the key's unique index) until the first one
/// commits or rolls back, then replays its answer or claims the key itself. The same key with
/// another request is refused (422).
pub fn claim(conn: &mut PgConnection, actor: Uuid, key: &str, request_hash: &str) -> Result<Claim> {
    if key.is_empty() || key.len() > 255 || !key.chars().all(|c| c.is_ascii_graphic()) {
        return Err(Error::invalid(
            "Idempotency-Key",
            "must be 1 to 255 visible ASCII characters, e.g. a UUID",
        ));
    }
    let inserted = diesel::insert_into(keys::table)
        .values((
            keys::actor_id.eq(actor),
            keys::key.eq(key),
            keys::request_hash.eq(request_hash),
        ))
        .on_conflict_do_nothing()
        .execute(conn)?;
    if inserted == 1 {
        return Ok(Claim::Fresh);
    }
    type Row = (String, Option<i16>, Option<Vec<u8>>, Option<Value>, bool);
    let (hash, status, body, headers, secret): Row = keys::table
        .find((actor, key))
        .select((
            keys::request_hash,
            keys::response_status,
            keys::response_body,
            keys::response_headers,
            keys::carries_secret,
        ))
        .first(conn)?;
    if hash != request_hash {
        return Err(Error::IdempotencyKeyReused);
    }
    if secret {
        return Ok(Claim::SecretShown);
    }
    let status = status
        .and_then(|s| u16::try_from(s).ok())
        .ok_or_else(|| Error::internal("an idempotency key without its answer"))?;
    let headers = headers
        .and_then(|h| serde_json::from_value::<Vec<(String, String)>>(h).ok())
        .unwrap_or_default();
    Ok(Claim::Replay(Stored {
        status,
        headers,
        body: body.unwrap_or_default(),
    }))
}

/// Keeps the answer to a key claimed in the same transaction.
pub fn record(conn: &mut PgConnection, actor: Uuid, key: &str, answer: &Answer) -> Result<()> {
    let target = keys::table.find((actor, key));
    match answer {
        Answer::Keep(stored) => diesel::update(target)
            .set((
                keys::response_status.eq(i16::try_from(stored.status).unwrap_or(500)),
                keys::response_body.eq(&stored.body),
                keys::response_headers
                    .eq(serde_json::to_value(&stored.headers).map_err(Error::internal)?),
            ))
            .execute(conn)?,
        Answer::Secret { status } => diesel::update(target)
            .set((
                keys::response_status.eq(i16::try_from(*status).unwrap_or(500)),
                keys::carries_secret.eq(true),
            ))
            .execute(conn)?,
    };
    Ok(())
}

/// Forgets keys older than [`KEEP_HOURS`].
pub fn prune(conn: &mut PgConnection) -> Result<usize> {
    Ok(diesel::delete(
        keys::table
            .filter(keys::created_at.lt(chrono::Utc::now() - chrono::Duration::hours(KEEP_HOURS))),
    )
    .execute(conn)?)
}
