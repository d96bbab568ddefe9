//! Digests of stalled and overdue items: who gets which item and why (one set-based query),
//! what changed on the items each recipient watches, what a digest says, and the durable
//! deliveries that carry it.

pub mod compose;
pub mod deliveries;
pub mod desk;
mod enqueue;
mod escalations;
pub mod queue;
pub mod reasons;
mod runs;
pub mod schedule;
pub mod watched;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Date, Int4, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use uuid::Uuid;

use crate::config::{DigestSettings, StallRules};
use crate::db::enums::{DigestFrequency, Response, Role, Status};
use crate::domain::stall;
use crate::error::Result;

/// One (recipient, item) pair that qualifies, with what is needed to say why.
#[derive(Debug, Clone, QueryableByName)]
pub struct Qualifying {
    #[diesel(sql_type = SqlUuid)]
    pub recipient_id: Uuid,
    #[diesel(sql_type = Text)]
    pub recipient_email: String,
    #[diesel(sql_type = Text)]
    pub recipient_name: String,
    #[diesel(sql_type = crate::db::schema::sql_types::UserRole)]
    pub recipient_role: Role,
    /// 0: as an owner; 1: escalated to a manager; 2: escalated to an admin.
    #[diesel(sql_type = Int4)]
    pub step: i32,
    #[diesel(sql_type = SqlUuid)]
    pub item_id: Uuid,
    #[diesel(sql_type = Text)]
    pub key: String,
    #[diesel(sql_type = Text)]
    pub title: String,
    #[diesel(sql_type = crate::db::schema::sql_types::RecStatus)]
    pub status: Status,
    #[diesel(sql_type = crate::db::schema::sql_types::RecResponse)]
    pub response: Response,
    #[diesel(sql_type = Text)]
    pub report_key: String,
    #[diesel(sql_type = Text)]
    pub report_title: String,
    #[diesel(sql_type = Nullable<Date>)]
    pub due_date: Option<NaiveDate>,
    #[diesel(sql_type = Timestamptz)]
    pub last_activity_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    pub status_changed_at: DateTime<Utc>,
    #[diesel(sql_type = Bool)]
    pub stalled: bool,
    #[diesel(sql_type = Bool)]
    pub overdue: bool,
    /// Implemented, but its last accepted evidence was withdrawn, rejected or edited.
    #[diesel(sql_type = Bool)]
    pub lapsed: bool,
    /// Its earliest overdue target, `text (due date)`.
    #[diesel(sql_type = Nullable<Text>)]
    pub overdue_target: Option<String>,
    #[diesel(sql_type = Int4)]
    pub threshold_days: i32,
    /// When this item's current stall reached this recipient's step, if that was recorded.
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub escalated_at: Option<DateTime<Utc>>,
}

/// Who receives which digest: everyone whose effective frequency is `frequency` (or one user,
/// whatever their frequency, for a preview).
#[derive(Debug, Clone, Copy)]
pub enum Audience {
    Frequency(DigestFrequency),
    User(Uuid),
}

/// Every qualifying (recipient, item) pair in one statement. An item qualifies for its owners
/// (users, and members of owning teams) as soon as it stalls or falls overdue; for the managers
/// of its report or owning teams once it is overdue, has stalled `manager_after_days` past its
/// rule, or has no owner; for admins once it has stalled `admin_after_days` past its rule.
pub fn select(
    conn: &mut PgConnection,
    rules: &StallRules,
    settings: &DigestSettings,
    audience: Audience,
) -> Result<Vec<Qualifying>> {
    let stalled = stall::sql_stalled(rules);
    let overdue = stall::sql_overdue();
    let threshold = stall::sql_threshold(rules);
    let lapsed = stall::SQL_LAPSED;
    let overdue_target = stall::sql_overdue_target();
    let late = stall::sql_target_late();
    let frequency_sql = crate::domain::users::SQL_EFFECTIVE_FREQUENCY;
    let (audience_sql, frequency, user) = match audience {
        Audience::Frequency(f) => ("effective = $3", crate::db::enums::wire_name(f), None),
        Audience::User(id) => ("u.id = $4", String::new(), Some(id)),
    };
    let sql = format!(
        "WITH item AS (
            SELECT recommendations.id, recommendations.report_id, recommendations.key, recommendations.title,
                   recommendations.status, recommendations.response, recommendations.due_date,
                   recommendations.last_activity_at, recommendations.status_changed_at,
                   reports.key AS report_key, reports.title AS report_title,
                   {stalled} AS stalled, coalesce({overdue}, false) AS overdue,
                   {threshold} AS threshold_days,
                   {lapsed} AS lapsed, {overdue_target} AS overdue_target,
                   floor(extract(epoch FROM now() - recommendations.last_activity_at) / 86400)::int
                     - {threshold} AS days_past
            FROM recommendations JOIN reports ON reports.id = recommendations.report_id
            -- Each way to qualify finds its items through its own index (last_activity_at and
            -- due_date with plain predicates, the partial index of lapsed items, the targets'
            -- due dates); one OR over them all would read every item.
            WHERE recommendations.id IN (
                SELECT recommendations.id FROM recommendations WHERE {stalled} OR {overdue}
                UNION SELECT recommendations.id FROM recommendations WHERE {lapsed}
                UNION SELECT t.recommendation_id FROM targets t WHERE {late})
        ),
        owner AS (
            SELECT o.recommendation_id AS item_id, coalesce(o.user_id, tm.user_id) AS user_id
            FROM recommendation_owners o
            LEFT JOIN team_memberships tm ON tm.team_id = o.team_id
            WHERE o.kind <> 'observer' AND o.recommendation_id IN (SELECT id FROM item)
        ),
        manager AS (
            SELECT i.id AS item_id, rm.user_id FROM item i
            JOIN report_managers rm ON rm.report_id = i.report_id
            UNION
            SELECT o.recommendation_id, tm.user_id FROM recommendation_owners o
            JOIN team_memberships tm ON tm.team_id = o.team_id AND tm.role = 'manager'
            WHERE o.recommendation_id IN (SELECT id FROM item)
        ),
        pair AS (
            SELECT ow.item_id, ow.user_id, 0 AS step FROM owner ow WHERE ow.user_id IS NOT NULL
            UNION ALL
            SELECT m.item_id, m.user_id, 1 FROM manager m JOIN item i ON i.id = m.item_id
            WHERE i.overdue OR i.lapsed OR i.overdue_target IS NOT NULL
               OR (i.stalled AND i.days_past >= $1)
               OR NOT EXISTS (SELECT 1 FROM owner ow WHERE ow.item_id = i.id)
            UNION ALL
            SELECT i.id, u.id, 2 FROM item i CROSS JOIN users u
            WHERE u.role = 'admin' AND i.stalled AND i.days_past >= $2
        ),
        recipient AS (
            SELECT u.id, u.email, u.display_name, u.role,
                   {frequency_sql} AS effective
            FROM users u WHERE u.active
        )
        SELECT DISTINCT ON (u.id, i.id)
               u.id AS recipient_id, u.email AS recipient_email, u.display_name AS recipient_name,
               u.role AS recipient_role,
               p.step, i.id AS item_id, i.key, i.title, i.status, i.response, i.report_key, i.report_title,
               i.due_date, i.last_activity_at, i.status_changed_at, i.stalled, i.overdue,
               i.lapsed, i.overdue_target, i.threshold_days,
               (SELECT e.created_at FROM escalations e WHERE e.recommendation_id = i.id
                  AND e.step = p.step AND e.stalled_since = i.last_activity_at) AS escalated_at
        FROM pair p
        JOIN item i ON i.id = p.item_id
        JOIN recipient u ON u.id = p.user_id
        WHERE {audience_sql}
        ORDER BY u.id, i.id, p.step DESC"
    );
    let manager_days = i32::try_from(settings.manager_after_days).unwrap_or(i32::MAX);
    let admin_days = i32::try_from(settings.admin_after_days).unwrap_or(i32::MAX);
    let query = diesel::sql_query(sql)
        .bind::<Int4, _>(manager_days)
        .bind::<Int4, _>(admin_days)
        .bind::<Text, _>(frequency)
        .bind::<Nullable<SqlUuid>, _>(user);
    Ok(query.load(conn)?)
}

/// Deliveries of scheduled digests, over a row of `digest_deliveries` (unqualified): not those
/// sent on request, nor a subscription's emails. What the next scheduled digest calls new,
/// resolved, or changed on a watched item is counted from the last of these.
pub(super) const SQL_SCHEDULED_PERIOD: &str = "period ~ '^(daily|weekly):'";

/// Whether any active user receives digests at `audience` (so an empty one costs nothing).
pub(super) fn has_recipients(conn: &mut PgConnection, audience: Audience) -> Result<bool> {
    match audience {
        Audience::User(_) => Ok(true),
        Audience::Frequency(frequency) => any_at(conn, frequency),
    }
}

fn any_at(conn: &mut PgConnection, frequency: DigestFrequency) -> Result<bool> {
    #[derive(QueryableByName)]
    struct Found {
        #[diesel(sql_type = Bool)]
        found: bool,
    }
    let found: Found = diesel::sql_query(format!(
        "SELECT EXISTS (SELECT 1 FROM users WHERE active AND {} = $1) AS found",
        crate::domain::users::SQL_EFFECTIVE_FREQUENCY
    ))
    .bind::<Text, _>(crate::db::enums::wire_name(frequency))
    .get_result(conn)?;
    Ok(found.found)
}

/// The kind and time of the last change a person made to each item.
pub fn last_person_activity(
    conn: &mut PgConnection,
    items: &[Uuid],
) -> Result<Vec<(Uuid, String, DateTime<Utc>)>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = SqlUuid)]
        item: Uuid,
        #[diesel(sql_type = Text)]
        kind: String,
        #[diesel(sql_type = Timestamptz)]
        at: DateTime<Utc>,
    }
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT DISTINCT ON (recommendation_id) recommendation_id AS item, kind, at FROM history_events \
         WHERE recommendation_id = ANY($1) AND actor_kind <> 'system' ORDER BY recommendation_id, seq DESC",
    )
    .bind::<diesel::sql_types::Array<SqlUuid>, _>(items)
    .load(conn)?;
    Ok(rows.into_iter().map(|r| (r.item, r.kind, r.at)).collect())
}
