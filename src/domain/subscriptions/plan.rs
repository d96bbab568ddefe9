//! Planning subscriptions' emails. Each period of a subscription is one digest run, keyed
//! `view:<subscription>:<local date>` and unique, so whichever instance inserts it plans it and
//! every other finds it done; its deliveries are ordinary digest deliveries, sent, retried and
//! fenced by the digest queue, and unique per (recipient, period). A subscription planned in
//! one transaction either has its run and all its deliveries, or neither.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde_json::Value;
use uuid::Uuid;

use super::{Row, Subscription};
use crate::config::StallRules;
use crate::db::schema::{
    digest_runs as runs, saved_views, team_memberships, users, view_subscription_mutes as mutes,
    view_subscriptions as subs,
};
use crate::domain::digest::compose::{LinkSigner, item_page};
use crate::domain::digest::deliveries::{NewDelivery, Rendered, insert};
use crate::domain::email_links::LinkAction;
use crate::domain::items::criteria::Criteria;
use crate::domain::items::list;
use crate::domain::items::list::Count;
use crate::domain::labels;
use crate::error::Result;

/// Items one email lists; the rest are counted.
pub const ITEMS_PER_EMAIL: i64 = 50;

/// One subscriber's email for one period.
#[derive(Debug, Clone)]
pub struct ViewMail {
    pub recipient_name: String,
    pub subject: String,
    pub view_name: String,
    /// E.g. `weekly, Monday 2026-11-30`.
    pub period: String,
    /// Every item the view holds now.
    pub total: i64,
    pub items: Vec<ViewLine>,
    /// Held by the view but not listed (beyond [`ITEMS_PER_EMAIL`]).
    pub more: i64,
    /// For a team's subscription, the team's name.
    pub team: Option<String>,
    /// Stops this subscription reaching this person (RFC 8058 one-click too).
    pub unsubscribe_link: Option<String>,
}

/// An item as a subscription's email lists it.
#[derive(Debug, Clone)]
pub struct ViewLine {
    pub key: String,
    pub title: String,
    pub report_key: String,
    pub status_label: &'static str,
    pub due_date: Option<NaiveDate>,
    pub stalled: bool,
    pub overdue: bool,
    pub link: String,
}

/// A subscription's email as text and HTML; implemented by the mailer.
pub trait ViewRenderer {
    fn render_view(&self, mail: &ViewMail) -> Result<Rendered>;
}

/// What planning needs besides a connection.
pub struct Settings<'a> {
    pub rules: &'a StallRules,
    pub base_url: &'a str,
    pub signer: Option<&'a dyn LinkSigner>,
}

/// What a pass planned.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Planned {
    /// Periods planned now, e.g. `view:<id>:2026-11-30`.
    pub periods: Vec<String>,
    pub deliveries: usize,
}

struct Due {
    sub: Subscription,
    view_name: String,
    view_owner: Uuid,
    view_team: Option<Uuid>,
    criteria: Value,
    key: String,
    label: String,
}

/// Plans every subscription whose latest period opened at or before `now` (and after it was
/// made) and has no run yet. A subscription that fails to plan is logged and left for the
/// next tick; the others go ahead.
pub fn plan(
    conn: &mut PgConnection,
    settings: &Settings<'_>,
    renderer: &dyn ViewRenderer,
    now: DateTime<Utc>,
) -> Result<Planned> {
    let mut planned = Planned::default();
    for due in due(conn, now)? {
        let key = due.key.clone();
        match conn.transaction(|conn| plan_one(conn, settings, renderer, &due, now)) {
            Ok(Some(count)) => {
                planned.deliveries += count;
                planned.periods.push(key);
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(period = %key, error = %e, "subscription not planned"),
        }
    }
    Ok(planned)
}

/// The subscriptions with a period open and not yet planned, in two statements.
fn due(conn: &mut PgConnection, now: DateTime<Utc>) -> Result<Vec<Due>> {
    type Joined = (Row, String, Uuid, Option<Uuid>, Value);
    let rows: Vec<Joined> = subs::table
        .inner_join(saved_views::table)
        .select((
            Row::as_select(),
            saved_views::name,
            saved_views::owner_id,
            saved_views::team_id,
            saved_views::criteria,
        ))
        .load(conn)?;
    let mut open = Vec::new();
    for (row, view_name, view_owner, view_team, criteria) in rows {
        let sub = match Subscription::try_from(row) {
            Ok(sub) => sub,
            Err(e) => {
                tracing::warn!(error = %e, "subscription with an unreadable cadence");
                continue;
            }
        };
        let Some(opened) = sub.cadence.latest(now) else {
            continue;
        };
        // A period that opened before the subscription existed is not its to send.
        if opened.at < sub.row.created_at {
            continue;
        }
        let label = format!(
            "{}, {}",
            sub.cadence.frequency.as_str(),
            opened.day.format("%A %Y-%m-%d")
        );
        open.push(Due {
            key: format!("view:{}:{}", sub.row.id, opened.day),
            sub,
            view_name,
            view_owner,
            view_team,
            criteria,
            label,
        });
    }
    let keys: Vec<&str> = open.iter().map(|d| d.key.as_str()).collect();
    let done: Vec<String> = runs::table
        .filter(runs::period.eq_any(&keys))
        .select(runs::period)
        .load(conn)?;
    open.retain(|d| !done.contains(&d.key));
    Ok(open)
}

/// Who gets a subscription's email: its person, or its team's members who have not muted it;
/// active accounts who may use the view now (one unshared since, or a member who left the team
/// it is shared with, reaches them no more).
fn recipients(conn: &mut PgConnection, due: &Due) -> Result<Vec<(Uuid, String)>> {
    let row = &due.sub.row;
    let active = users::table
        .filter(users::active.eq(true))
        .select((users::id, users::display_name, users::role))
        .order(users::id);
    let candidates: Vec<(Uuid, String, crate::db::enums::Role)> = match (row.user_id, row.team_id) {
        (Some(user), _) => active.filter(users::id.eq(user)).load(conn)?,
        (None, Some(team)) => active
            .filter(
                users::id.eq_any(
                    team_memberships::table
                        .filter(team_memberships::team_id.eq(team))
                        .select(team_memberships::user_id),
                ),
            )
            .filter(
                users::id.ne_all(
                    mutes::table
                        .filter(mutes::subscription_id.eq(row.id))
                        .select(mutes::user_id),
                ),
            )
            .load(conn)?,
        (None, None) => Vec::new(),
    };
    let mut out = Vec::with_capacity(candidates.len());
    for (id, name, role) in candidates {
        let reader = crate::domain::auth::Principal {
            actor: crate::domain::auth::Actor::User {
                id,
                session: Uuid::nil(),
            },
            role,
        };
        if crate::domain::policy::may_use_view(conn, &reader, due.view_owner, due.view_team)? {
            out.push((id, name));
        }
    }
    Ok(out)
}

/// Plans one subscription's period: `None` when another instance has (its run exists).
fn plan_one(
    conn: &mut PgConnection,
    settings: &Settings<'_>,
    renderer: &dyn ViewRenderer,
    due: &Due,
    now: DateTime<Utc>,
) -> Result<Option<usize>> {
    let run = Uuid::new_v4();
    // The partial unique index on `view:` periods makes a second insert of the same period wait
    // for the first and then do nothing.
    let inserted: Option<Uuid> = diesel::insert_into(runs::table)
        .values((
            runs::id.eq(run),
            runs::period.eq(&due.key),
            runs::trigger.eq("subscription"),
        ))
        .on_conflict_do_nothing()
        .returning(runs::id)
        .get_result(conn)
        .optional()?;
    if inserted.is_none() {
        return Ok(None);
    }
    let criteria: Criteria = serde_json::from_value(due.criteria.clone())
        .map_err(|e| crate::error::Error::internal(format!("stored view criteria: {e}")))?;
    let team = match due.sub.row.team_id {
        Some(team) => Some(
            crate::db::schema::teams::table
                .find(team)
                .select(crate::db::schema::teams::name)
                .first::<String>(conn)?,
        ),
        None => None,
    };
    let mut created = 0;
    for (recipient, name) in recipients(conn, due)? {
        // Resolved per person: `owner: "me"` in a team's view is each member.
        // A name the view holds may have gone since (a deleted report): this person's email is
        // then left out, and the others still go.
        let (filter, sort) = match criteria.resolve(conn, Some(recipient)) {
            Ok(resolved) => resolved,
            Err(e) => {
                tracing::warn!(period = %due.key, error = %e, "view criteria no longer resolve");
                continue;
            }
        };
        let page = list::list(
            conn,
            &filter,
            sort,
            ITEMS_PER_EMAIL,
            None,
            Count::Exact,
            settings.rules,
        )?;
        if page.items.is_empty() && due.sub.row.only_when_non_empty {
            continue;
        }
        let total = page
            .total
            .unwrap_or_else(|| i64::try_from(page.items.len()).unwrap_or(i64::MAX));
        let lines: Vec<ViewLine> = page
            .items
            .iter()
            .map(|item| ViewLine {
                key: item.rec.key.clone(),
                title: item.rec.title.clone(),
                report_key: item.report_key.clone(),
                status_label: labels::status(item.rec.status),
                due_date: item.rec.due_date,
                stalled: item.assessment.stalled,
                overdue: item.assessment.overdue,
                link: item_page(settings.base_url, &item.rec.key),
            })
            .collect();
        let shown = i64::try_from(lines.len()).unwrap_or(i64::MAX);
        let mail = ViewMail {
            recipient_name: name,
            subject: format!(
                "View \"{}\": {total} item{} ({})",
                due.view_name,
                if total == 1 { "" } else { "s" },
                due.label
            ),
            view_name: due.view_name.clone(),
            period: due.label.clone(),
            total,
            more: (total - shown).max(0),
            team: team.clone(),
            unsubscribe_link: settings.signer.map(|signer| {
                signer.sign(
                    recipient,
                    Some(due.sub.row.id),
                    LinkAction::StopSubscription,
                )
            }),
            items: lines,
        };
        let rendered = renderer.render_view(&mail)?;
        created += insert(
            conn,
            &NewDelivery {
                run,
                recipient,
                period: &due.key,
                subject: &mail.subject,
                stalled: mail.items.iter().filter(|l| l.stalled).count(),
                overdue: mail.items.iter().filter(|l| l.overdue).count(),
                item_ids: &page.items.iter().map(|i| i.rec.id).collect::<Vec<_>>(),
                rendered: &rendered,
                unsubscribe_url: mail.unsubscribe_link.as_deref(),
            },
        )?;
    }
    diesel::update(runs::table.find(run))
        .set((
            runs::deliveries.eq(i32::try_from(created).unwrap_or(i32::MAX)),
            runs::finished_at.eq(now),
        ))
        .execute(conn)?;
    Ok(Some(created))
}
