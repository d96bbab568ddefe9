use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::db::enums::TeamRole;
use crate::db::models::Team;
use crate::domain::auth::Principal;
use crate::domain::teams::TeamDetail;

/// A team.
#[derive(Debug, Serialize, ToSchema)]
pub struct TeamResponse {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub created_at: DateTime<Utc>,
}

impl From<Team> for TeamResponse {
    fn from(team: Team) -> Self {
        Self {
            id: team.id,
            name: team.name,
            description: team.description,
            created_at: team.created_at,
        }
    }
}

/// A member of a team.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberResponse {
    pub user_id: Uuid,
    pub display_name: String,
    /// Shown to managers and admins only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    pub role: TeamRole,
}

/// A team with its members.
#[derive(Debug, Serialize, ToSchema)]
pub struct TeamDetailResponse {
    #[serde(flatten)]
    pub team: TeamResponse,
    pub members: Vec<MemberResponse>,
}

impl TeamDetailResponse {
    /// The team as `caller` may see it: members' email addresses only for those who may see
    /// them.
    pub fn for_caller(detail: TeamDetail, caller: &Principal) -> Self {
        let emails = caller.sees_email_addresses();
        Self {
            team: detail.team.into(),
            members: detail
                .members
                .into_iter()
                .map(|(user, role)| MemberResponse {
                    user_id: user.id,
                    display_name: user.display_name,
                    email: emails.then_some(user.email),
                    role,
                })
                .collect(),
        }
    }
}

/// A new team.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Connectivity desk", "description": "Transport corridors"}))]
pub struct CreateTeamRequest {
    pub name: String,
    #[serde(default)]
    pub description: String,
}

/// A member's role in the team.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"role": "member"}))]
pub struct PutMemberRequest {
    #[serde(default)]
    pub role: TeamRole,
}
