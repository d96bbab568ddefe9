//! Subscriptions to saved views: a person's own, or a whole team's (made by a manager), sending
//! the view's items by email on a [`Cadence`], or only when the view has any. Each period of a
//! subscription is one digest run, and its emails go through the digest queue (see `plan`).

pub mod cadence;
pub mod plan;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use uuid::Uuid;

pub use cadence::{Cadence, Day, Frequency};

use crate::db::schema::{teams, view_subscription_mutes as mutes, view_subscriptions as subs};
use crate::domain::auth::Principal;
use crate::domain::views::View;
use crate::domain::{policy, views};
use crate::error::{Error, Result};

/// Subscriptions one view may have.
pub const MAX_PER_VIEW: i64 = 200;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = subs)]
pub struct Row {
    pub id: Uuid,
    pub view_id: Uuid,
    pub user_id: Option<Uuid>,
    pub team_id: Option<Uuid>,
    pub frequency: String,
    pub weekday: Option<i16>,
    pub hour: i16,
    pub time_zone: String,
    pub only_when_non_empty: bool,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
}

/// A subscription as the API shows it.
#[derive(Debug, Clone)]
pub struct Subscription {
    pub row: Row,
    pub cadence: Cadence,
}

impl TryFrom<Row> for Subscription {
    type Error = Error;
    fn try_from(row: Row) -> Result<Self> {
        let frequency = Frequency::parse(&row.frequency)
            .ok_or_else(|| Error::internal(format!("stored frequency {}", row.frequency)))?;
        let day = row.weekday.and_then(Day::from_number);
        let hour = u32::try_from(row.hour).unwrap_or(0);
        let cadence = Cadence::new(frequency, day, hour, &row.time_zone)?;
        Ok(Self { row, cadence })
    }
}

/// Who a new subscription is for: the caller, or a team.
#[derive(Debug, Clone, Copy)]
pub enum For {
    Me,
    Team(Uuid),
}

/// A new subscription.
#[derive(Debug, Clone, Copy)]
pub struct New {
    pub target: For,
    pub cadence: Cadence,
    pub only_when_non_empty: bool,
}

/// Who may see a subscription: its person, the members of its team, the view's owner, managers
/// and admins.
fn may_see(conn: &mut PgConnection, who: &Principal, view: &View, row: &Row) -> Result<bool> {
    if policy::by_role(who.role, policy::Act::SubscribeTeam) {
        return Ok(true);
    }
    let Some(user) = who.user_id() else {
        return Ok(false);
    };
    if view.owner_id == user {
        return Ok(true);
    }
    match (row.user_id, row.team_id) {
        (Some(owner), _) => Ok(owner == user),
        (None, Some(team)) => crate::domain::teams::is_member(conn, team, user),
        (None, None) => Ok(false),
    }
}

/// Who may end a subscription: its person, or an admin; for a team's, who may subscribe a team;
/// and whoever owns the view (it is theirs that is being sent).
fn may_end(who: &Principal, view: &View, row: &Row) -> bool {
    if who.user_id() == Some(view.owner_id) {
        return true;
    }
    match row.user_id {
        Some(owner) => who.user_id() == Some(owner) || who.role == crate::db::enums::Role::Admin,
        None => policy::subscribe_team(who).is_ok(),
    }
}

/// Subscribes to view `view` (which `who` must be able to use).
pub fn create(
    conn: &mut PgConnection,
    who: &Principal,
    view: Uuid,
    new: New,
) -> Result<Subscription> {
    let person = who
        .user_id()
        .ok_or_else(|| Error::Forbidden("subscriptions are for people, not API tokens".into()))?;
    let shown = views::get(conn, who, view)?;
    let (user, team) = match new.target {
        For::Me => (Some(person), None),
        For::Team(team) => {
            policy::subscribe_team(who)?;
            let exists: i64 = teams::table.find(team).count().get_result(conn)?;
            if exists == 0 {
                return Err(Error::invalid("team_id", "names no team"));
            }
            // Its members must be able to use the view: a team is sent only what is shared
            // with it, never someone's private view.
            if shown.team_id != Some(team) {
                return Err(Error::invalid(
                    "team_id",
                    "the view is not shared with this team; its owner shares it first",
                ));
            }
            (None, Some(team))
        }
    };
    crate::db::serialize_on(conn, &format!("subscriptions-of:{view}"))?;
    let count: i64 = subs::table
        .filter(subs::view_id.eq(view))
        .count()
        .get_result(conn)?;
    if count >= MAX_PER_VIEW {
        return Err(Error::Conflict(format!(
            "a view takes at most {MAX_PER_VIEW} subscriptions"
        )));
    }
    let cadence = new.cadence;
    let row = diesel::insert_into(subs::table)
        .values((
            subs::id.eq(Uuid::new_v4()),
            subs::view_id.eq(view),
            subs::user_id.eq(user),
            subs::team_id.eq(team),
            subs::frequency.eq(cadence.frequency.as_str()),
            subs::weekday.eq(cadence.day.map(Day::number)),
            subs::hour.eq(i16::try_from(cadence.hour).unwrap_or(0)),
            subs::time_zone.eq(cadence.zone.name()),
            subs::only_when_non_empty.eq(new.only_when_non_empty),
            subs::created_by.eq(person),
        ))
        .returning(Row::as_returning())
        .get_result(conn)
        .map_err(|e| match e {
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                Error::Conflict(match new.target {
                    For::Me => "you are subscribed to this view already".into(),
                    For::Team(_) => "this team is subscribed to this view already".into(),
                })
            }
            other => other.into(),
        })?;
    Subscription::try_from(row)
}

/// The subscriptions of view `view` that `who` may see.
pub fn list(conn: &mut PgConnection, who: &Principal, view: Uuid) -> Result<Vec<Subscription>> {
    let shown = views::get(conn, who, view)?;
    let rows: Vec<Row> = subs::table
        .filter(subs::view_id.eq(view))
        .order((subs::created_at, subs::id))
        .select(Row::as_select())
        .load(conn)?;
    let mut out = Vec::new();
    for row in rows {
        if may_see(conn, who, &shown, &row)? {
            out.push(Subscription::try_from(row)?);
        }
    }
    Ok(out)
}

/// Whether `row` is `who`'s own: they may see and end it even when the view is no longer
/// theirs to use (unshared since), so nobody is left unable to stop a subscription.
fn own(who: &Principal, row: &Row) -> bool {
    row.user_id.is_some() && row.user_id == who.user_id()
}

/// Subscription `id` of view `view`, if `who` may see it (404 otherwise).
pub fn get(conn: &mut PgConnection, who: &Principal, view: Uuid, id: Uuid) -> Result<Subscription> {
    let row: Row = subs::table
        .filter(subs::view_id.eq(view))
        .find(id)
        .select(Row::as_select())
        .first(conn)?;
    if !own(who, &row) {
        let shown = views::get(conn, who, view)?;
        if !may_see(conn, who, &shown, &row)? {
            return Err(Error::NotFound);
        }
    }
    Subscription::try_from(row)
}

/// Ends subscription `id` of view `view`.
pub fn delete(conn: &mut PgConnection, who: &Principal, view: Uuid, id: Uuid) -> Result<()> {
    let sub = get(conn, who, view, id)?;
    if !own(who, &sub.row) && !may_end(who, &views::get(conn, who, view)?, &sub.row) {
        return Err(Error::Forbidden(
            "only its subscriber, or a manager for a team's, may end a subscription".into(),
        ));
    }
    diesel::delete(subs::table.find(id)).execute(conn)?;
    Ok(())
}

/// What the unsubscribe link in a subscription's email does for `user`: ends their own
/// subscription, or stops the team's reaching them. Idempotent (mail clients may POST twice);
/// returns the view's name when there was anything to stop.
pub fn stop_for(conn: &mut PgConnection, id: Uuid, user: Uuid) -> Result<Option<String>> {
    let Some(row) = subs::table
        .find(id)
        .select(Row::as_select())
        .first(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let name = crate::db::schema::saved_views::table
        .find(row.view_id)
        .select(crate::db::schema::saved_views::name)
        .first::<String>(conn)?;
    match row.user_id {
        Some(owner) if owner == user => {
            diesel::delete(subs::table.find(id)).execute(conn)?;
        }
        Some(_) => return Ok(None),
        None => {
            diesel::insert_into(mutes::table)
                .values((mutes::subscription_id.eq(id), mutes::user_id.eq(user)))
                .on_conflict_do_nothing()
                .execute(conn)?;
        }
    }
    Ok(Some(name))
}

/// The view's name of subscription `id`, for the confirmation page of its unsubscribe link.
pub fn view_name(conn: &mut PgConnection, id: Uuid) -> Result<Option<String>> {
    Ok(subs::table
        .find(id)
        .inner_join(crate::db::schema::saved_views::table)
        .select(crate::db::schema::saved_views::name)
        .first(conn)
        .optional()?)
}
