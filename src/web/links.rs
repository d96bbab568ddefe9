//! The pages signed digest links open. Mail scanners fetch links before people click them, so
//! a GET only shows what the link would do; the action happens on the POST of that page. A
//! one-click unsubscribe (RFC 8058) is the mail client POSTing `List-Unsubscribe=One-Click` to
//! the same address, with no cookie and no CSRF token: the signed link is the credential.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::Utc;
use diesel::prelude::*;
use serde::Deserialize;
use uuid::Uuid;

use super::{PageError, field, html};
use crate::db;
use crate::db::enums::DigestFrequency;
use crate::db::schema::recommendations;
use crate::domain::auth::{Actor, Principal};
use crate::domain::email_links::{self, LinkAction, LinkClaim, LinkRefusal};
use crate::domain::items::{acknowledge::acknowledge, edit};
use crate::domain::{subscriptions, users, watchers};
use crate::error::Error;
use crate::http::AppState;

/// How long "snooze" from a digest leaves an item out.
const SNOOZE_DAYS: i64 = 30;

#[derive(Template)]
#[template(path = "app/act.html")]
struct ConfirmPage<'a> {
    action: &'a str,
    key: &'a str,
    title: &'a str,
    recipient: &'a str,
    default_reason: &'a str,
}

#[derive(Template)]
#[template(path = "app/done.html")]
struct DonePage<'a> {
    title: &'a str,
    message: &'a str,
    key: Option<&'a str>,
}

fn refused(refusal: LinkRefusal) -> PageError {
    let (status, title) = match refusal {
        LinkRefusal::Forged => (StatusCode::BAD_REQUEST, "This link does not work"),
        LinkRefusal::Expired => (StatusCode::GONE, "This link has expired"),
        LinkRefusal::Used => (StatusCode::CONFLICT, "This link was used already"),
    };
    PageError::page(status, title, &refusal.to_string()).back_to("/app/my")
}

fn verified(state: &AppState, token: &str) -> Result<LinkClaim, PageError> {
    state
        .digests
        .links()
        .verify(token, Utc::now())
        .map_err(refused)
}

/// The recipient as the domain sees them now: an account deactivated since the digest was
/// sent acts no more, and a changed role applies.
fn recipient(conn: &mut PgConnection, id: Uuid) -> crate::error::Result<(Principal, String)> {
    let user = users::get(conn, id)?;
    if !user.active {
        return Err(Error::Forbidden("this account is deactivated".into()));
    }
    Ok((
        Principal {
            actor: Actor::User {
                id,
                session: Uuid::nil(),
            },
            role: user.role,
        },
        user.display_name,
    ))
}

/// `GET /app/act/{token}`: what the link would do, with a button that does it.
pub async fn confirm(
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let token = token.into_inner();
    let claim = verified(&state, &token)?;
    let (name, item, used) = db::run(&state.pool, move |conn| {
        let (_, name) = recipient(conn, claim.recipient)?;
        let item: Option<(String, String)> = match (claim.action, claim.item) {
            // The subscription's view by name; a subscription ended since has nothing to stop.
            (LinkAction::StopSubscription, Some(id)) => Some((
                String::new(),
                subscriptions::view_name(conn, id)?.ok_or(Error::NotFound)?,
            )),
            (_, Some(id)) => Some(
                recommendations::table
                    .find(id)
                    .select((recommendations::key, recommendations::title))
                    .first(conn)?,
            ),
            (_, None) => None,
        };
        let used = claim.action.works_once() && email_links::used(conn, &token)?;
        Ok((name, item, used))
    })
    .await?;
    if used {
        return Err(refused(LinkRefusal::Used));
    }
    let (key, title) = item.unwrap_or_default();
    Ok(html(
        StatusCode::OK,
        &ConfirmPage {
            action: claim.action.as_str(),
            key: &key,
            title: &title,
            recipient: &name,
            default_reason: "Snoozed from the digest",
        },
    ))
}

#[derive(Debug, Deserialize)]
pub struct ActForm {
    note: Option<String>,
    reason: Option<String>,
}

/// `POST /app/act/{token}`: does what the link says, once.
pub async fn act(
    state: web::Data<AppState>,
    token: web::Path<String>,
    form: Option<web::Form<ActForm>>,
) -> Result<HttpResponse, PageError> {
    let token = token.into_inner();
    let claim = verified(&state, &token)?;
    let (note, reason) = match &form {
        Some(form) => (field(&form.note, "note")?, field(&form.reason, "reason")?),
        None => (None, None),
    };
    let outcome = db::transaction(&state.pool, move |conn| {
        let (principal, _) = recipient(conn, claim.recipient)?;
        // Whether a link works once is decided in one place; the others may be used again.
        if claim.action.works_once()
            && let Err(refusal) = email_links::redeem(conn, &token, &claim)?
        {
            return Ok(Err(refusal));
        }
        let item = match (claim.action, claim.item) {
            (LinkAction::Unsubscribe, _) => {
                users::set_digest_preference(conn, claim.recipient, Some(DigestFrequency::Off))?;
                None
            }
            (LinkAction::StopSubscription, Some(id)) => {
                subscriptions::stop_for(conn, id, claim.recipient)?;
                None
            }
            (LinkAction::Unwatch, Some(item)) => {
                watchers::choose(conn, claim.recipient, item, false)?;
                Some(item)
            }
            (LinkAction::Acknowledge, Some(item)) => {
                acknowledge(conn, &principal, item, note)?;
                Some(item)
            }
            (LinkAction::Snooze, Some(item)) => {
                let until = Utc::now().date_naive() + chrono::Duration::days(SNOOZE_DAYS);
                let reason = reason.or_else(|| Some("Snoozed from the digest".to_owned()));
                edit::snooze(conn, &principal, item, Some(until), reason)?;
                Some(item)
            }
            (_, None) => return Err(Error::NotFound),
        };
        let key: Option<String> = match item {
            Some(item) => Some(
                recommendations::table
                    .find(item)
                    .select(recommendations::key)
                    .first(conn)?,
            ),
            None => None,
        };
        Ok(Ok(key))
    })
    .await?;
    let key = outcome.map_err(refused)?;
    let (title, message) = match claim.action {
        LinkAction::Unsubscribe => (
            "Unsubscribed",
            "You will receive no more digests. Your preferences page turns them back on.",
        ),
        LinkAction::StopSubscription => (
            "Subscription stopped",
            "This saved view's emails will no longer reach you. Your digests are unchanged.",
        ),
        LinkAction::Unwatch => (
            "No longer watching",
            "Changes to this item will no longer be in your digest. Its page lets you watch it again.",
        ),
        LinkAction::Acknowledge => (
            "Recorded: still on track",
            "Thank you. The item's history records it, and its stall clock starts again.",
        ),
        LinkAction::Snooze => (
            "Snoozed for 30 days",
            "The item stays out of digests for 30 days; its history records why.",
        ),
    };
    Ok(html(
        StatusCode::OK,
        &DonePage {
            title,
            message,
            key: key.as_deref(),
        },
    ))
}
