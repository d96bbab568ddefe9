//! Durable digest work. Planning a period creates its run and one delivery per recipient in one
//! transaction, under an advisory lock, with `(recipient, period)` unique: any number of
//! instances plan each period once. Sending claims due deliveries with `FOR UPDATE SKIP LOCKED`
//! and a lease, marks them sent only after the SMTP server accepted them, and retries failures
//! with backoff.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Int8, Uuid as SqlUuid};
use uuid::Uuid;

use super::compose::{AnchorLine, Context, Digest, LinkSigner, compose};
pub use super::enqueue::{NewDelivery, Rendered, insert};
use super::escalations::record_escalations;
pub use super::runs::{DeliveryView, RunView, list_runs};
use super::schedule::Schedules;
use super::{
    Audience, Qualifying, SQL_SCHEDULED_PERIOD, has_recipients, last_person_activity, select,
};
use crate::config::{DigestSettings, StallRules};
use crate::db::enums::DigestFrequency;
use crate::db::schema::digest_runs as runs;
use crate::domain::items;
use crate::error::Result;

/// Arbitrary but fixed: only one instance plans at a time.
const PLAN_LOCK: i64 = 0x6469_6765_7374_706c;

/// A digest as text and HTML. Implemented by the mailer, so this module never sees templates.
pub trait Renderer {
    fn render(&self, digest: &Digest) -> Result<Rendered>;
}

/// Everything composing needs besides a connection.
pub struct Settings<'a> {
    pub rules: &'a StallRules,
    pub digest: &'a DigestSettings,
    pub base_url: &'a str,
    /// Signs each recipient's action and unsubscribe links.
    pub signer: Option<&'a dyn LinkSigner>,
}

/// An escalation step reached by an item.
pub(super) struct Escalation {
    pub item: Uuid,
    pub stalled_since: DateTime<Utc>,
    pub step: i32,
    pub recipients: Vec<Uuid>,
}

/// Composes the digests of `audience` as they would be sent now, for `period` (e.g.
/// `digest on request 2026-12-03`).
pub fn compose_for(
    conn: &mut PgConnection,
    settings: &Settings<'_>,
    audience: Audience,
    period: &str,
    now: DateTime<Utc>,
) -> Result<Vec<Digest>> {
    Ok(compose_rows(conn, settings, audience, period, now)?.0)
}

/// `weekly:2026-11-23` as a subject says it: `weekly digest 2026-11-23`.
pub fn period_label(key: &str) -> String {
    key.split_once(':').map_or_else(
        || key.to_owned(),
        |(kind, day)| format!("{kind} digest {day}"),
    )
}

/// The digests of `audience`: what qualifies, and what changed on what they watch.
fn compose_rows(
    conn: &mut PgConnection,
    settings: &Settings<'_>,
    audience: Audience,
    period: &str,
    now: DateTime<Utc>,
) -> Result<(Vec<Digest>, Vec<Escalation>)> {
    let (rows, watched): (Vec<Qualifying>, _) = if has_recipients(conn, audience)? {
        (
            select(conn, settings.rules, settings.digest, audience)?,
            super::watched::select(conn, audience, now)?,
        )
    } else {
        (Vec::new(), Vec::new())
    };
    let mut ids: Vec<Uuid> = rows.iter().map(|r| r.item_id).collect();
    ids.sort();
    ids.dedup();
    let owners: HashMap<Uuid, Vec<String>> = items::owners_of(conn, &ids)?
        .into_iter()
        .map(|(item, owners)| (item, owners.into_iter().map(|o| o.name).collect()))
        .collect();
    let last_activity: HashMap<Uuid, (String, DateTime<Utc>)> = last_person_activity(conn, &ids)?
        .into_iter()
        .map(|(item, kind, at)| (item, (kind, at)))
        .collect();
    let mut recipients: Vec<Uuid> = rows.iter().map(|r| r.recipient_id).collect();
    recipients.sort();
    recipients.dedup();
    let previous = previous_items(conn, &recipients)?;
    let mut escalations: HashMap<(Uuid, i32), Escalation> = HashMap::new();
    for row in rows.iter().filter(|r| r.step > 0 && r.stalled) {
        escalations
            .entry((row.item_id, row.step))
            .or_insert_with(|| Escalation {
                item: row.item_id,
                stalled_since: row.last_activity_at,
                step: row.step,
                recipients: Vec::new(),
            })
            .recipients
            .push(row.recipient_id);
    }
    let ctx = Context {
        now,
        base_url: settings.base_url,
        rules: settings.rules,
        period,
        owners: &owners,
        last_activity: &last_activity,
        previous: &previous,
        signer: settings.signer,
    };
    let mut digests = compose(rows, watched, &ctx);
    attach_admin_notes(conn, &mut digests)?;
    Ok((digests, escalations.into_values().collect()))
}

/// Gives admins' digests what only admins act on: the newest history anchor (the copy outside
/// the database that later proves whether history was rewritten) and the deliveries given up.
fn attach_admin_notes(conn: &mut PgConnection, digests: &mut [Digest]) -> Result<()> {
    use crate::db::enums::Role;
    use crate::db::schema::users;
    let recipients: Vec<Uuid> = digests.iter().map(|d| d.recipient_id).collect();
    let admins: Vec<Uuid> = users::table
        .filter(users::id.eq_any(&recipients))
        .filter(users::role.eq(Role::Admin))
        .select(users::id)
        .load(conn)?;
    if admins.is_empty() {
        return Ok(());
    }
    let newest = crate::domain::history::anchor::latest(conn, 1)?.pop();
    let undelivered: Vec<String> = super::queue::given_up(conn, 20)?
        .into_iter()
        .map(|(email, subject, error)| format!("{email}: \"{subject}\" ({error})"))
        .collect();
    for digest in digests
        .iter_mut()
        .filter(|d| admins.contains(&d.recipient_id))
    {
        digest.anchor = newest.as_ref().map(|a| AnchorLine {
            day: a.day,
            digest: a.digest.clone(),
        });
        digest.undelivered = undelivered.clone();
    }
    Ok(())
}

/// The items of each recipient's last scheduled digest (one sent on request, or a
/// subscription's email, does not move what the next scheduled one calls new or resolved).
fn previous_items(
    conn: &mut PgConnection,
    recipients: &[Uuid],
) -> Result<HashMap<Uuid, Vec<Uuid>>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = SqlUuid)]
        recipient_id: Uuid,
        #[diesel(sql_type = diesel::sql_types::Array<SqlUuid>)]
        item_ids: Vec<Uuid>,
    }
    let rows: Vec<Row> = diesel::sql_query(format!(
        "SELECT DISTINCT ON (recipient_id) recipient_id, item_ids FROM digest_deliveries \
         WHERE status = 'sent' AND {SQL_SCHEDULED_PERIOD} AND recipient_id = ANY($1) \
         ORDER BY recipient_id, created_at DESC"
    ))
    .bind::<diesel::sql_types::Array<SqlUuid>, _>(recipients)
    .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| (r.recipient_id, r.item_ids))
        .collect())
}

/// What a planning pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct PlanSummary {
    /// Periods planned now, e.g. `weekly:2026-11-23`.
    pub periods: Vec<String>,
    pub deliveries: usize,
    pub escalations: usize,
    /// What started each period's run (`schedule`, `catch_up`, `manual`), as recorded.
    #[serde(skip)]
    pub triggers: Vec<&'static str>,
}

/// What started a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    Schedule,
    Manual,
}

/// Plans every due period that has no run yet: its run, its deliveries (rendered now), and the
/// escalation steps reached (each recorded once per stall in the item's history).
pub fn plan(
    conn: &mut PgConnection,
    settings: &Settings<'_>,
    schedules: &Schedules,
    renderer: &dyn Renderer,
    now: DateTime<Utc>,
    trigger: Trigger,
) -> Result<PlanSummary> {
    conn.transaction(|conn| {
        #[derive(QueryableByName)]
        struct Locked {
            #[diesel(sql_type = diesel::sql_types::Bool)]
            locked: bool,
        }
        let lock: Locked = diesel::sql_query("SELECT pg_try_advisory_xact_lock($1) AS locked")
            .bind::<Int8, _>(PLAN_LOCK)
            .get_result(conn)?;
        let mut summary = PlanSummary::default();
        if !lock.locked {
            return Ok(summary); // another instance is planning right now
        }
        for frequency in [DigestFrequency::Weekly, DigestFrequency::Daily] {
            let Some(period) = schedules.latest(frequency, now) else {
                continue;
            };
            let planned: i64 = runs::table
                .filter(runs::period.eq(&period.key))
                .count()
                .get_result(conn)?;
            if planned > 0 {
                continue;
            }
            let late = now - period.at
                > chrono::Duration::seconds(
                    i64::try_from(settings.digest.tick_secs * 4).unwrap_or(120),
                );
            let trigger = match (trigger, late) {
                (Trigger::Manual, _) => "manual",
                (Trigger::Schedule, true) => "catch_up",
                (Trigger::Schedule, false) => "schedule",
            };
            let run = Uuid::new_v4();
            diesel::insert_into(runs::table)
                .values((
                    runs::id.eq(run),
                    runs::period.eq(&period.key),
                    runs::trigger.eq(trigger),
                ))
                .execute(conn)?;
            let label = period_label(&period.key);
            let (digests, escalations) =
                compose_rows(conn, settings, Audience::Frequency(frequency), &label, now)?;
            let mut created = 0;
            for digest in &digests {
                created += insert_delivery(conn, run, &period.key, digest, renderer)?;
            }
            summary.escalations += record_escalations(conn, escalations)?;
            diesel::update(runs::table.find(run))
                .set((
                    runs::deliveries.eq(i32::try_from(created).unwrap_or(i32::MAX)),
                    runs::finished_at.eq(Utc::now()),
                ))
                .execute(conn)?;
            summary.deliveries += created;
            summary.periods.push(period.key);
            summary.triggers.push(trigger);
        }
        Ok(summary)
    })
}

/// One delivery of `digest` in `run`, rendered now so every retry sends the same message;
/// 0 when the recipient already has one for `period`.
fn insert_delivery(
    conn: &mut PgConnection,
    run: Uuid,
    period: &str,
    digest: &Digest,
    renderer: &dyn Renderer,
) -> Result<usize> {
    let rendered = renderer.render(digest)?;
    insert(
        conn,
        &NewDelivery {
            run,
            recipient: digest.recipient_id,
            period,
            subject: &digest.subject,
            stalled: digest.stalled,
            overdue: digest.overdue,
            item_ids: &digest.item_ids,
            rendered: &rendered,
            unsubscribe_url: digest.unsubscribe_link.as_deref(),
        },
    )
}

/// Plans `user`'s digest as it stands now, in a run of its own (period
/// `request:<date>:<run id>`), so the scheduled period is not used up and the next scheduled
/// digest still counts what is new against the last scheduled one. `None` when nothing
/// qualifies. Escalations are not recorded: only the schedule escalates.
pub fn plan_on_request(
    conn: &mut PgConnection,
    settings: &Settings<'_>,
    renderer: &dyn Renderer,
    user: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<Uuid>> {
    conn.transaction(|conn| {
        let label = format!("digest on request {}", now.date_naive());
        let (mut digests, _) = compose_rows(conn, settings, Audience::User(user), &label, now)?;
        let Some(digest) = digests.pop() else {
            return Ok(None);
        };
        let run = Uuid::new_v4();
        let period = format!("request:{}:{run}", now.date_naive());
        diesel::insert_into(runs::table)
            .values((
                runs::id.eq(run),
                runs::period.eq(&period),
                runs::trigger.eq("request"),
                runs::deliveries.eq(1),
                runs::finished_at.eq(now),
            ))
            .execute(conn)?;
        insert_delivery(conn, run, &period, &digest, renderer)?;
        Ok(Some(run))
    })
}

/// What a real tick at `now` would send, without sending or keeping anything: planning and
/// claiming run inside a transaction that is rolled back, so a dry run cannot differ from the
/// real run by a rule written twice.
pub fn rehearse(
    conn: &mut PgConnection,
    settings: &Settings<'_>,
    schedules: &Schedules,
    renderer: &dyn Renderer,
    now: DateTime<Utc>,
    timing: super::queue::Timing,
) -> Result<Vec<super::queue::Claimed>> {
    enum Outcome {
        Rehearsed(Vec<super::queue::Claimed>),
        Failed(crate::error::Error),
    }
    impl From<diesel::result::Error> for Outcome {
        fn from(e: diesel::result::Error) -> Self {
            Self::Failed(e.into())
        }
    }
    let outcome = conn.transaction::<(), Outcome, _>(|conn| {
        let rehearse = |conn: &mut PgConnection| {
            plan(conn, settings, schedules, renderer, now, Trigger::Manual)?;
            super::queue::claim(conn, i64::from(i32::MAX), timing)
        };
        match rehearse(conn) {
            Ok(claimed) => Err(Outcome::Rehearsed(claimed)),
            Err(e) => Err(Outcome::Failed(e)),
        }
    });
    match outcome {
        Err(Outcome::Rehearsed(claimed)) => Ok(claimed),
        Err(Outcome::Failed(e)) => Err(e),
        Ok(()) => Ok(Vec::new()),
    }
}
