//! The delivery queue: claiming due deliveries, fencing each send with a lease token, and
//! recording outcomes. What it guarantees, exactly:
//!
//! - Two healthy instances never send the same delivery: a claim takes rows with
//!   `FOR UPDATE SKIP LOCKED` and gives them a fresh `lease_token`; the sender renews the lease
//!   (comparing the token) right before each message and records `sending_since`; a delivery
//!   with `sending_since` set is not claimable again until `resend_after_secs` have passed,
//!   however slow the SMTP server is; and only the holder of the current token can mark the
//!   outcome.
//! - A send whose outcome is known (accepted, or refused with an error) is recorded as such.
//! - The one window left: the sender dies (or loses the database) after the SMTP server
//!   accepted a message and before `mark_sent`. The delivery is then sent again once
//!   `resend_after_secs` have passed, marked `possible_duplicate` in the delivery log. An SMTP
//!   timeout is treated as a failure and retried, so a server that accepted but answered too
//!   late can also cause a second copy.

use chrono::Utc;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Double, Int4, Text, Uuid as SqlUuid};
use uuid::Uuid;

use crate::db::enums::DeliveryStatus;
use crate::db::schema::digest_deliveries as deliveries;
use crate::error::Result;

/// A delivery claimed for sending.
#[derive(Debug, Clone, QueryableByName)]
pub struct Claimed {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = Text)]
    pub email: String,
    #[diesel(sql_type = Text)]
    pub display_name: String,
    #[diesel(sql_type = Text)]
    pub subject: String,
    #[diesel(sql_type = Text)]
    pub body_text: String,
    #[diesel(sql_type = Text)]
    pub body_html: String,
    #[diesel(sql_type = Int4)]
    pub attempts: i32,
    /// This claim's fence: only it may renew the lease or record the outcome.
    #[diesel(sql_type = SqlUuid)]
    pub lease_token: Uuid,
    /// An earlier sender may have handed this message to the SMTP server already.
    #[diesel(sql_type = Bool)]
    pub possible_duplicate: bool,
    /// One-click unsubscribe (RFC 8058), for the `List-Unsubscribe` header.
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    pub unsubscribe_url: Option<String>,
}

/// Timing of the queue, from the digest and email settings.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// How long a claim or a renewal reserves a delivery.
    pub lease_secs: i64,
    /// How long a delivery whose sender died mid-send waits before it is sent again.
    pub resend_after_secs: i64,
}

/// The row of `delivery`, as long as this claim still holds it: the fence every write compares.
#[expect(
    clippy::type_complexity,
    reason = "diesel's type for a filtered row; written once here so no write forgets the fence"
)]
fn still_held(
    delivery: &Claimed,
) -> diesel::dsl::Filter<
    diesel::dsl::Filter<
        diesel::dsl::Find<deliveries::table, Uuid>,
        diesel::dsl::Eq<deliveries::lease_token, Uuid>,
    >,
    diesel::dsl::NotEq<deliveries::status, DeliveryStatus>,
> {
    deliveries::table
        .find(delivery.id)
        .filter(deliveries::lease_token.eq(delivery.lease_token))
        .filter(deliveries::status.ne(DeliveryStatus::Sent))
}

/// Claims up to `limit` due deliveries: not sent, not given up, not in the middle of a send
/// (unless that send began more than `resend_after_secs` ago).
pub fn claim(conn: &mut PgConnection, limit: i64, timing: Timing) -> Result<Vec<Claimed>> {
    Ok(diesel::sql_query(
        "WITH due AS (
            SELECT id FROM digest_deliveries
            WHERE status <> 'sent' AND gave_up_at IS NULL AND next_attempt_at <= now()
              AND (sending_since IS NULL OR sending_since <= now() - make_interval(secs => $3))
            ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
         UPDATE digest_deliveries d
         SET next_attempt_at = now() + make_interval(secs => $2), attempts = d.attempts + 1,
             lease_token = gen_random_uuid(),
             possible_duplicate = d.possible_duplicate OR d.sending_since IS NOT NULL,
             sending_since = NULL
         FROM due, users u
         WHERE d.id = due.id AND u.id = d.recipient_id
         RETURNING d.id, u.email, u.display_name, d.subject, d.body_text, d.body_html, d.attempts,
                   d.lease_token, d.possible_duplicate, d.unsubscribe_url",
    )
    .bind::<BigInt, _>(limit)
    .bind::<Double, _>(timing.lease_secs as f64)
    .bind::<Double, _>(timing.resend_after_secs as f64)
    .load(conn)?)
}

/// Renews the lease of a claimed delivery and records that its send begins now. False when the
/// claim is no longer this sender's (its lease ran out and another claim took it): then it must
/// not be sent.
pub fn begin_sending(conn: &mut PgConnection, delivery: &Claimed, timing: Timing) -> Result<bool> {
    let now = Utc::now();
    let renewed = diesel::update(still_held(delivery))
        .set((
            deliveries::next_attempt_at.eq(now + chrono::Duration::seconds(timing.lease_secs)),
            deliveries::sending_since.eq(now),
        ))
        .execute(conn)?;
    Ok(renewed == 1)
}

/// Records that the SMTP server accepted the message; false when the claim was lost meanwhile.
pub fn mark_sent(conn: &mut PgConnection, delivery: &Claimed, message_id: &str) -> Result<bool> {
    let marked = diesel::update(still_held(delivery))
        .set((
            deliveries::status.eq(DeliveryStatus::Sent),
            deliveries::sent_at.eq(Utc::now()),
            deliveries::message_id.eq(message_id),
            deliveries::last_error.eq(None::<String>),
            deliveries::sending_since.eq(None::<chrono::DateTime<Utc>>),
            deliveries::lease_token.eq(None::<Uuid>),
        ))
        .execute(conn)?;
    Ok(marked == 1)
}

/// What happened to a failed delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Tried again later.
    Retry,
    /// Given up after the last allowed attempt.
    GaveUp,
    /// The claim was no longer this sender's; nothing recorded.
    LostClaim,
}

/// Records a failed attempt (the SMTP server refused it or could not be reached) and when to
/// try again: `base_secs` doubled per attempt, at most an hour; after `max_attempts`, gives up.
pub fn mark_failed(
    conn: &mut PgConnection,
    delivery: &Claimed,
    error: &str,
    base_secs: u64,
    max_attempts: u32,
) -> Result<Failure> {
    let attempts = delivery.attempts;
    let exponent = u32::try_from(attempts.clamp(1, 20) - 1).unwrap_or(0);
    let delay = base_secs
        .saturating_mul(2u64.saturating_pow(exponent))
        .min(3600);
    let message: String = error.chars().take(500).collect();
    let now = Utc::now();
    let give_up = u32::try_from(attempts).unwrap_or(u32::MAX) >= max_attempts;
    let marked = diesel::update(still_held(delivery))
        .set((
            deliveries::status.eq(DeliveryStatus::Failed),
            deliveries::last_error.eq(message),
            deliveries::next_attempt_at
                .eq(now + chrono::Duration::seconds(i64::try_from(delay).unwrap_or(3600))),
            deliveries::sending_since.eq(None::<chrono::DateTime<Utc>>),
            deliveries::lease_token.eq(None::<Uuid>),
            deliveries::gave_up_at.eq(give_up.then_some(now)),
        ))
        .execute(conn)?;
    Ok(match (marked, give_up) {
        (0, _) => Failure::LostClaim,
        (_, true) => Failure::GaveUp,
        _ => Failure::Retry,
    })
}

/// Deliveries given up for good: recipient email, subject and last error, newest first.
pub fn given_up(conn: &mut PgConnection, limit: i64) -> Result<Vec<(String, String, String)>> {
    use crate::db::schema::users;
    Ok(deliveries::table
        .inner_join(users::table.on(users::id.eq(deliveries::recipient_id)))
        .filter(deliveries::gave_up_at.is_not_null())
        .order(deliveries::gave_up_at.desc())
        .limit(limit)
        .select((
            users::email,
            deliveries::subject,
            deliveries::last_error.assume_not_null(),
        ))
        .load(conn)?)
}
