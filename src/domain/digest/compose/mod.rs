//! What a digest says: a summary with counts and age buckets, then the items grouped by report,
//! each with why it qualifies. Pure: given the selection, it needs no database.

use std::cmp::Reverse;
use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::Qualifying;
use super::reasons::reasons;
use super::watched::{WatchedChange, WatchedItem, watched_items};
use crate::config::StallRules;
use crate::db::enums::Status;
use crate::domain::email_links::LinkAction;
use crate::domain::labels;
use crate::domain::policy::{self, Act};

/// An item as the digest shows it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct DigestItem {
    pub id: Uuid,
    pub key: String,
    pub title: String,
    pub status: Status,
    /// The status as people read it, e.g. `Partially implemented`.
    pub status_label: String,
    pub owners: Vec<String>,
    pub days_in_status: i64,
    pub idle_days: i64,
    pub due_date: Option<NaiveDate>,
    /// The last thing a person did, e.g. `transition on 2026-10-02`.
    pub last_activity: String,
    /// Why it is in this digest, one sentence each.
    pub reasons: Vec<String>,
    pub stalled: bool,
    pub overdue: bool,
    /// The item's page.
    pub link: String,
    /// One-click actions, signed for this recipient (empty in previews of another's digest).
    pub actions: Vec<ActionLink>,
}

/// A signed link that acts on an item from the email (confirmed on the page it opens).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ActionLink {
    /// `acknowledge` or `snooze`.
    pub action: String,
    pub label: String,
    pub url: String,
}

/// The items of one report.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ReportGroup {
    pub key: String,
    pub title: String,
    /// The report's page, filtered to what stalls or is overdue.
    pub link: String,
    pub items: Vec<DigestItem>,
}

/// One recipient's digest.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Digest {
    pub recipient_id: Uuid,
    pub recipient_email: String,
    pub recipient_name: String,
    pub subject: String,
    /// E.g. `weekly digest 2026-11-23`.
    pub period: String,
    pub stalled: usize,
    pub overdue: usize,
    /// Stalled items by days without activity: 14-29, 30-59, 60 and more.
    pub stalled_14_to_29: usize,
    pub stalled_30_to_59: usize,
    pub stalled_60_plus: usize,
    /// Items in this digest that were not in the previous one.
    pub newly_in: usize,
    /// Items of the previous digest that no longer qualify.
    pub resolved: usize,
    /// The pages behind the counts.
    pub stalled_link: String,
    pub overdue_link: String,
    pub preferences_link: String,
    /// One-click unsubscribe (RFC 8058), signed for this recipient.
    pub unsubscribe_link: Option<String>,
    pub groups: Vec<ReportGroup>,
    /// Items the recipient watches that others changed, by key.
    pub watched: Vec<WatchedItem>,
    /// The items of `groups` (watched items are not counted).
    pub item_ids: Vec<Uuid>,
    /// For admins: the newest daily history anchor, to keep outside the database.
    pub anchor: Option<AnchorLine>,
    /// For admins: digests given up after their last allowed attempt, one line each.
    pub undelivered: Vec<String>,
}

/// A history anchor as a digest prints it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct AnchorLine {
    pub day: NaiveDate,
    pub digest: String,
}

/// Makes the signed links of one recipient's digest. Implemented where the signing key lives,
/// so composing stays pure.
pub trait LinkSigner {
    /// A signed URL for `action` on `item` (none for unsubscribing).
    fn sign(&self, recipient: Uuid, item: Option<Uuid>, action: LinkAction) -> String;
}

/// Context for composing.
pub struct Context<'a> {
    pub now: DateTime<Utc>,
    pub base_url: &'a str,
    pub rules: &'a StallRules,
    /// E.g. `weekly digest 2026-11-23`.
    pub period: &'a str,
    pub owners: &'a HashMap<Uuid, Vec<String>>,
    pub last_activity: &'a HashMap<Uuid, (String, DateTime<Utc>)>,
    /// Item ids of each recipient's previous digest.
    pub previous: &'a HashMap<Uuid, Vec<Uuid>>,
    /// Signs action and unsubscribe links; `None` leaves them out.
    pub signer: Option<&'a dyn LinkSigner>,
}

/// The page of an item, as a person opens it.
pub fn item_page(base_url: &str, key: &str) -> String {
    format!("{base_url}/app/items/{key}")
}

/// Composes every recipient's digest from the selection and their watched items' changes, in
/// recipient order.
pub fn compose(
    rows: Vec<Qualifying>,
    watched: Vec<WatchedChange>,
    ctx: &Context<'_>,
) -> Vec<Digest> {
    type Parts = (Vec<Qualifying>, Vec<WatchedChange>);
    let mut by_recipient: BTreeMap<Uuid, Parts> = BTreeMap::new();
    for row in rows {
        by_recipient
            .entry(row.recipient_id)
            .or_default()
            .0
            .push(row);
    }
    for change in watched {
        by_recipient
            .entry(change.recipient_id)
            .or_default()
            .1
            .push(change);
    }
    by_recipient
        .into_values()
        .filter_map(|(rows, watched)| compose_one(rows, watched, ctx))
        .collect()
}

/// Most urgent first: overdue items, then the longest without activity.
fn urgency(row: &Qualifying) -> (Reverse<bool>, DateTime<Utc>, String) {
    (Reverse(row.overdue), row.last_activity_at, row.key.clone())
}

fn compose_one(
    mut rows: Vec<Qualifying>,
    watched: Vec<WatchedChange>,
    ctx: &Context<'_>,
) -> Option<Digest> {
    let (recipient_id, recipient_email, recipient_name) = match (rows.first(), watched.first()) {
        (Some(r), _) => (
            r.recipient_id,
            r.recipient_email.clone(),
            r.recipient_name.clone(),
        ),
        (None, Some(w)) => (
            w.recipient_id,
            w.recipient_email.clone(),
            w.recipient_name.clone(),
        ),
        (None, None) => return None,
    };
    rows.sort_by(|a, b| (&a.report_key, urgency(a)).cmp(&(&b.report_key, urgency(b))));
    let base = ctx.base_url;
    let mut groups: Vec<ReportGroup> = Vec::new();
    let (mut stalled, mut overdue, mut b14, mut b30, mut b60) = (0, 0, 0, 0, 0);
    let mut ids = Vec::with_capacity(rows.len());
    for row in rows {
        let idle_days = (ctx.now - row.last_activity_at).num_days().max(0);
        if row.stalled {
            stalled += 1;
            match idle_days {
                60.. => b60 += 1,
                30..=59 => b30 += 1,
                14..=29 => b14 += 1,
                _ => {}
            }
        }
        if row.overdue {
            overdue += 1;
        }
        ids.push(row.item_id);
        let last_activity = ctx.last_activity.get(&row.item_id).map_or_else(
            || {
                format!(
                    "none by a person since {}",
                    row.last_activity_at.date_naive()
                )
            },
            |(kind, at)| format!("{} on {}", kind.replace('_', " "), at.date_naive()),
        );
        let actions = ctx
            .signer
            .map(|signer| {
                [
                    (LinkAction::Acknowledge, "Still on track"),
                    (LinkAction::Snooze, "Snooze 30 days"),
                ]
                .into_iter()
                .filter(|(action, _)| {
                    *action != LinkAction::Snooze
                        || policy::by_role(row.recipient_role, Act::SnoozeFromEmail)
                })
                .map(|(action, label)| ActionLink {
                    action: action.as_str().to_owned(),
                    label: label.to_owned(),
                    url: signer.sign(row.recipient_id, Some(row.item_id), action),
                })
                .collect()
            })
            .unwrap_or_default();
        let item = DigestItem {
            id: row.item_id,
            key: row.key.clone(),
            title: row.title.clone(),
            status: row.status,
            status_label: labels::status(row.status).to_owned(),
            owners: ctx.owners.get(&row.item_id).cloned().unwrap_or_default(),
            days_in_status: (ctx.now - row.status_changed_at).num_days().max(0),
            idle_days,
            due_date: row.due_date,
            last_activity,
            reasons: reasons(&row, ctx.rules, ctx.now),
            stalled: row.stalled,
            overdue: row.overdue,
            link: item_page(base, &row.key),
            actions,
        };
        match groups.last_mut() {
            Some(group) if group.key == row.report_key => group.items.push(item),
            _ => groups.push(ReportGroup {
                link: format!("{base}/app/reports/{}?sort=last_activity", row.report_key),
                key: row.report_key,
                title: row.report_title,
                items: vec![item],
            }),
        }
    }
    let previous: HashSet<Uuid> = ctx
        .previous
        .get(&recipient_id)
        .map(|p| p.iter().copied().collect())
        .unwrap_or_default();
    let current: HashSet<Uuid> = ids.iter().copied().collect();
    let newly_in = current.difference(&previous).count();
    let resolved = previous.difference(&current).count();
    let watched = watched_items(watched, ctx);
    let watched_part = match watched.len() {
        0 => String::new(),
        1 => ", 1 watched item changed".to_owned(),
        n => format!(", {n} watched items changed"),
    };
    Some(Digest {
        subject: format!(
            "[recotrack] {stalled} stalled, {overdue} overdue{watched_part}: {}",
            ctx.period
        ),
        period: ctx.period.to_owned(),
        unsubscribe_link: ctx
            .signer
            .map(|signer| signer.sign(recipient_id, None, LinkAction::Unsubscribe)),
        recipient_id,
        recipient_email,
        recipient_name,
        stalled,
        overdue,
        stalled_14_to_29: b14,
        stalled_30_to_59: b30,
        stalled_60_plus: b60,
        newly_in,
        resolved,
        stalled_link: format!("{base}/app/my?show=stalled"),
        overdue_link: format!("{base}/app/my?show=overdue"),
        preferences_link: format!("{base}/app/preferences"),
        groups,
        watched,
        item_ids: ids,
        anchor: None,
        undelivered: Vec::new(),
    })
}

#[cfg(test)]
mod tests;
