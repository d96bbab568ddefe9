//! Settings parsed into the types that use them, once, at load: a schedule, a time zone or an
//! address that loads is valid everywhere, and nothing parses it again.

use std::fmt::Display;
use std::str::FromStr;

use serde::{Deserialize, Deserializer};

/// A value read as a string and parsed with its `FromStr`; `what` says what it should be.
fn parsed<'de, D, T>(deserializer: D, what: &str) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr,
    T::Err: Display,
{
    let raw = String::deserialize(deserializer)?;
    raw.parse()
        .map_err(|e| serde::de::Error::custom(format!("`{raw}` {what} ({e})")))
}

/// A cron expression with seconds, e.g. `0 0 8 * * Mon`.
pub fn schedule<'de, D: Deserializer<'de>>(d: D) -> Result<cron::Schedule, D::Error> {
    parsed(
        d,
        "is not a cron expression with seconds, e.g. `0 0 8 * * Mon`",
    )
}

/// An IANA time zone name such as `Europe/Berlin`.
pub fn time_zone<'de, D: Deserializer<'de>>(d: D) -> Result<chrono_tz::Tz, D::Error> {
    parsed(d, "is not an IANA time zone name such as `Europe/Berlin`")
}

/// A mailbox, `Name <address>` or a bare address.
pub fn mailbox<'de, D: Deserializer<'de>>(d: D) -> Result<lettre::message::Mailbox, D::Error> {
    parsed(
        d,
        "is not an email address such as `recotrack <recotrack@example.org>`",
    )
}
