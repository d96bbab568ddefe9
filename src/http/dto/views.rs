use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::views::View;

/// A saved view.
#[derive(Debug, Serialize, ToSchema)]
pub struct ViewResponse {
    pub id: Uuid,
    pub name: String,
    pub owner_id: Uuid,
    /// The team it is shared with: its members may use it.
    pub team_id: Option<Uuid>,
    /// The list's filter parameters, as `GET /recommendations` takes them.
    #[schema(value_type = Object)]
    pub criteria: Value,
    /// The list this view shows.
    pub list_url: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<View> for ViewResponse {
    fn from(v: View) -> Self {
        Self {
            list_url: format!("/api/v1/recommendations?view={}", v.id),
            id: v.id,
            name: v.name,
            owner_id: v.owner_id,
            team_id: v.team_id,
            criteria: v.criteria,
            created_at: v.created_at,
            updated_at: v.updated_at,
        }
    }
}

/// A new view.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Overdue in ccg-2017", "criteria": {"report": "ccg-2017", "overdue": true, "sort": "due_date"}}))]
pub struct CreateViewRequest {
    pub name: String,
    /// Any filters of `GET /recommendations` (`status`, `response`, `report`, `owner`, `team`,
    /// `theme`, `priority`, `due_before`, `due_after`, `stalled`, `overdue`, `q`) and `sort`;
    /// `owner: "me"` means whoever uses the view.
    #[schema(value_type = Object)]
    pub criteria: Value,
    /// Share it with this team.
    pub team_id: Option<Uuid>,
}

/// Changes to a view; absent fields stay, `team_id: null` stops sharing it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateViewRequest {
    pub name: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub criteria: Option<Value>,
    #[serde(default, deserialize_with = "crate::http::dto::double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub team_id: Option<Option<Uuid>>,
}
