use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::feeds::FeedToken;

/// A feed token (its secret is shown only once, on creation).
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedTokenResponse {
    pub id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<FeedToken> for FeedTokenResponse {
    fn from(t: FeedToken) -> Self {
        Self {
            id: t.id,
            name: t.name,
            created_at: t.created_at,
            last_used_at: t.last_used_at,
            revoked_at: t.revoked_at,
        }
    }
}

/// A new feed token.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Work calendar"}))]
pub struct CreateFeedTokenRequest {
    #[serde(default)]
    pub name: String,
}

/// The new token and the feed addresses it opens: give them to a calendar or feed reader.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedFeedTokenResponse {
    #[serde(flatten)]
    pub token: FeedTokenResponse,
    pub token_secret: String,
    /// iCalendar of the due dates of the items you own (add `?report=KEY` or `?scope=all`).
    pub due_dates_url: String,
    /// Atom of one item's changes: replace `{id}` with the item's id.
    pub item_feed_url: String,
    /// Atom of the changes to a saved view's items: replace `{id}` with the view's id.
    pub view_feed_url: String,
}
