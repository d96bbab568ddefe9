use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::subscriptions::{Day, Frequency, Subscription};

/// A subscription to a saved view.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubscriptionResponse {
    pub id: Uuid,
    pub view_id: Uuid,
    /// The person subscribed (absent for a team's subscription).
    pub user_id: Option<Uuid>,
    /// The team subscribed: each active member gets the email (absent for a person's).
    pub team_id: Option<Uuid>,
    pub frequency: Frequency,
    /// The day a weekly subscription sends.
    pub weekday: Option<Day>,
    /// The hour (0-23) it sends, in `time_zone`.
    pub hour: u32,
    /// IANA time zone, e.g. `Europe/London`.
    pub time_zone: String,
    /// Sends nothing for a period in which the view holds no items.
    pub only_when_non_empty: bool,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
}

impl From<Subscription> for SubscriptionResponse {
    fn from(s: Subscription) -> Self {
        Self {
            id: s.row.id,
            view_id: s.row.view_id,
            user_id: s.row.user_id,
            team_id: s.row.team_id,
            frequency: s.cadence.frequency,
            weekday: s.cadence.day,
            hour: s.cadence.hour,
            time_zone: s.cadence.zone.name().to_owned(),
            only_when_non_empty: s.row.only_when_non_empty,
            created_by: s.row.created_by,
            created_at: s.row.created_at,
        }
    }
}

/// A new subscription: yours, or (managers) a team's.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"frequency": "weekly", "weekday": "monday", "hour": 8, "time_zone": "Europe/London", "only_when_non_empty": true}))]
pub struct CreateSubscriptionRequest {
    pub frequency: Frequency,
    /// Weekly only; Monday when not given.
    pub weekday: Option<Day>,
    /// 0-23; 8 when not given.
    pub hour: Option<u32>,
    /// IANA time zone; the service's digest time zone when not given.
    pub time_zone: Option<String>,
    /// Send nothing for a period in which the view holds no items (default false: an empty
    /// view's email says so).
    pub only_when_non_empty: Option<bool>,
    /// Subscribe this team instead of yourself (managers and admins).
    pub team_id: Option<Uuid>,
}
