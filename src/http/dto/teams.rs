use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::db::enums::TeamRole;
use crate::db::models::Team;
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
    pub email: String,
    pub role: TeamRole,
}

/// A team with its members.
#[derive(Debug, Serialize, ToSchema)]
pub struct TeamDetailResponse {
    #[serde(flatten)]
    pub team: TeamResponse,
    pub members: Vec<MemberResponse>,
}

impl From<TeamDetail> for TeamDetailResponse {
    fn from(detail: TeamDetail) -> Self {
        Self {
            team: detail.team.into(),
            members: detail
                .members
                .into_iter()
                .map(|(user, role)| MemberResponse {
                    user_id: user.id,
                    display_name: user.display_name,
                    email: user.email,
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
