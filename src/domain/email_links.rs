//! Signed links in digests: "still on track", "snooze 30 days", "stop watching", and one-click
//! unsubscribe.
//! A link carries its recipient, item, action and expiry, and an HMAC-SHA-256 over them under
//! a key derived from the history key (so it lives where the history key lives, outside the
//! database). Acting links are single-use: redeeming one records its hash in the same
//! transaction as the action. Unsubscribing, from digests or from one subscription to a saved
//! view, and unwatching are idempotent instead (RFC 8058 clients may POST twice), and expires like the others.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use hmac::Mac;
use uuid::Uuid;

use crate::db::schema::email_link_uses;
use crate::domain::auth::secrets;
use crate::domain::history::keys::{self, HmacSha256};
use crate::error::{Error, Result};

/// How long a link in a digest works.
pub const LIFETIME_DAYS: i64 = 14;

/// What a link does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkAction {
    /// Records that the item is still on track, which resets its stall clock.
    Acknowledge,
    /// Leaves the item out of digests for 30 days.
    Snooze,
    /// Turns the recipient's digests off.
    Unsubscribe,
    /// Stops one subscription to a saved view reaching the recipient (its id in the item's
    /// place).
    StopSubscription,
    /// Stops the recipient watching the item.
    Unwatch,
}

impl LinkAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Acknowledge => "acknowledge",
            Self::Snooze => "snooze",
            Self::Unsubscribe => "unsubscribe",
            Self::StopSubscription => "stop-subscription",
            Self::Unwatch => "unwatch",
        }
    }

    /// Whether the link acts once only. Stopping mail is idempotent instead: RFC 8058 clients
    /// may POST twice, and a second stop has nothing left to do.
    pub fn works_once(self) -> bool {
        matches!(self, Self::Acknowledge | Self::Snooze)
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [
            Self::Acknowledge,
            Self::Snooze,
            Self::Unsubscribe,
            Self::StopSubscription,
            Self::Unwatch,
        ]
        .into_iter()
        .find(|a| a.as_str() == raw)
    }
}

/// What a verified link says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkClaim {
    pub recipient: Uuid,
    pub item: Option<Uuid>,
    pub action: LinkAction,
    pub expires_at: DateTime<Utc>,
}

/// Why a link does not act; each gets its own page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkRefusal {
    #[error("this link is not one recotrack made, or it was cut short")]
    Forged,
    #[error("this link has expired; links in a digest work for 14 days")]
    Expired,
    #[error("this link was used already; each action link works once")]
    Used,
}

/// The key links are signed with.
#[derive(Clone)]
pub struct LinkKey(Vec<u8>);

impl std::fmt::Debug for LinkKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkKey(..)")
    }
}

impl LinkKey {
    /// Derived from the installed history key.
    pub fn installed() -> Result<Self> {
        Ok(Self(
            keys::current()?.current.derive("recotrack email links v1"),
        ))
    }

    fn mac(&self, payload: &str) -> Result<Vec<u8>> {
        let mut mac = HmacSha256::new_from_slice(&self.0).map_err(Error::internal)?;
        mac.update(payload.as_bytes());
        Ok(mac.finalize().into_bytes().to_vec())
    }

    /// The token for `claim`: `<payload>.<signature>`, both base64url.
    pub fn sign(&self, claim: &LinkClaim) -> Result<String> {
        let payload = payload(claim);
        Ok(format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(&payload),
            URL_SAFE_NO_PAD.encode(self.mac(&payload)?)
        ))
    }

    /// The claim of a token this key signed, unless it has expired at `now`.
    pub fn verify(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> std::result::Result<LinkClaim, LinkRefusal> {
        let (payload, signature) = token.split_once('.').ok_or(LinkRefusal::Forged)?;
        let payload = URL_SAFE_NO_PAD
            .decode(payload)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .ok_or(LinkRefusal::Forged)?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| LinkRefusal::Forged)?;
        let mut mac = HmacSha256::new_from_slice(&self.0).map_err(|_| LinkRefusal::Forged)?;
        mac.update(payload.as_bytes());
        // Constant-time comparison: the timing of a refusal tells nothing about the signature.
        mac.verify_slice(&signature)
            .map_err(|_| LinkRefusal::Forged)?;
        let claim = parse(&payload).ok_or(LinkRefusal::Forged)?;
        if claim.expires_at <= now {
            return Err(LinkRefusal::Expired);
        }
        Ok(claim)
    }
}

fn payload(claim: &LinkClaim) -> String {
    format!(
        "v1|{}|{}|{}|{}",
        claim.recipient,
        claim.item.map_or_else(|| "-".to_owned(), |i| i.to_string()),
        claim.action.as_str(),
        claim.expires_at.timestamp()
    )
}

fn parse(payload: &str) -> Option<LinkClaim> {
    let mut parts = payload.split('|');
    if parts.next()? != "v1" {
        return None;
    }
    let recipient = Uuid::parse_str(parts.next()?).ok()?;
    let item = match parts.next()? {
        "-" => None,
        id => Some(Uuid::parse_str(id).ok()?),
    };
    let action = LinkAction::parse(parts.next()?)?;
    let expires_at = DateTime::from_timestamp(parts.next()?.parse().ok()?, 0)?;
    if parts.next().is_some() || (action == LinkAction::Unsubscribe) != item.is_none() {
        return None;
    }
    Some(LinkClaim {
        recipient,
        item,
        action,
        expires_at,
    })
}

/// A claim for a digest made at `now`.
pub fn claim_for(
    recipient: Uuid,
    item: Option<Uuid>,
    action: LinkAction,
    now: DateTime<Utc>,
) -> LinkClaim {
    LinkClaim {
        recipient,
        item,
        action,
        expires_at: now + Duration::days(LIFETIME_DAYS),
    }
}

/// Records that `token` acted; refuses a second use. Run in the action's transaction, so a
/// failed action leaves the link usable.
pub fn redeem(
    conn: &mut PgConnection,
    token: &str,
    claim: &LinkClaim,
) -> Result<std::result::Result<(), LinkRefusal>> {
    let inserted = diesel::insert_into(email_link_uses::table)
        .values((
            email_link_uses::link_hash.eq(secrets::digest(token)),
            email_link_uses::recipient_id.eq(claim.recipient),
            email_link_uses::action.eq(claim.action.as_str()),
        ))
        .on_conflict_do_nothing()
        .execute(conn)?;
    Ok(if inserted == 1 {
        Ok(())
    } else {
        Err(LinkRefusal::Used)
    })
}

/// Whether `token` has been used.
pub fn used(conn: &mut PgConnection, token: &str) -> Result<bool> {
    Ok(diesel::select(diesel::dsl::exists(
        email_link_uses::table.filter(email_link_uses::link_hash.eq(secrets::digest(token))),
    ))
    .get_result(conn)?)
}

/// Signs the links of digests composed at `now`, as pages under `{base_url}/app/act/`.
pub struct Signer<'a> {
    pub key: &'a LinkKey,
    pub base_url: &'a str,
    pub now: DateTime<Utc>,
}

/// The page a link opens.
pub fn url(base_url: &str, token: &str) -> String {
    format!("{base_url}/app/act/{token}")
}

impl crate::domain::digest::compose::LinkSigner for Signer<'_> {
    fn sign(&self, recipient: Uuid, item: Option<Uuid>, action: LinkAction) -> String {
        match self.key.sign(&claim_for(recipient, item, action, self.now)) {
            Ok(token) => url(self.base_url, &token),
            // HMAC takes keys of any length; should it ever fail, the page link still works.
            Err(_) => format!("{}/app/", self.base_url),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> LinkKey {
        LinkKey(b"0123456789abcdef0123456789abcdef".to_vec())
    }

    #[test]
    fn a_link_verifies_and_every_tampering_is_refused() {
        let now = Utc::now();
        let claim = claim_for(
            Uuid::new_v4(),
            Some(Uuid::new_v4()),
            LinkAction::Snooze,
            now,
        );
        let token = key().sign(&claim).expect("sign");
        assert_eq!(
            key().verify(&token, now),
            Ok(LinkClaim {
                expires_at: DateTime::from_timestamp(claim.expires_at.timestamp(), 0).expect("t"),
                ..claim
            })
        );
        // Another action with the same signature.
        let (_, signature) = token.split_once('.').expect("dot");
        let forged = format!(
            "{}.{signature}",
            URL_SAFE_NO_PAD.encode(payload(&LinkClaim {
                action: LinkAction::Acknowledge,
                ..claim
            }))
        );
        assert_eq!(key().verify(&forged, now), Err(LinkRefusal::Forged));
        assert_eq!(key().verify("nonsense", now), Err(LinkRefusal::Forged));
        assert_eq!(
            key().verify(&token[..token.len() - 2], now),
            Err(LinkRefusal::Forged)
        );
        let other = LinkKey(b"another key of thirty-two bytes!".to_vec());
        assert_eq!(other.verify(&token, now), Err(LinkRefusal::Forged));
        assert_eq!(
            key().verify(&token, now + Duration::days(15)),
            Err(LinkRefusal::Expired)
        );
    }
}
