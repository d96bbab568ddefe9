use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::db::enums::{Role, TeamRole};
use crate::db::models::User;
use crate::domain::users::Profile;

/// A user account (never with its password hash).
#[derive(Debug, Serialize, ToSchema)]
pub struct UserResponse {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
}

impl From<User> for UserResponse {
    fn from(user: User) -> Self {
        Self {
            id: user.id,
            email: user.email,
            display_name: user.display_name,
            role: user.role,
            active: user.active,
            created_at: user.created_at,
            last_login_at: user.last_login_at,
        }
    }
}

/// A new account.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "ada@example.org", "display_name": "Ada Lovelace",
                          "role": "contributor", "password": "a long passphrase"}))]
pub struct CreateUserRequest {
    pub email: String,
    pub display_name: String,
    pub role: Role,
    /// At least 12 characters. Without one, the user cannot sign in until it is set.
    pub password: Option<String>,
}

/// Changes to an account; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"role": "manager"}))]
pub struct UpdateUserRequest {
    pub display_name: Option<String>,
    pub role: Option<Role>,
    /// `false` deactivates the account and signs out all its sessions at once.
    pub active: Option<bool>,
    /// A new password; signs out all sessions.
    pub password: Option<String>,
}

/// A team the caller belongs to.
#[derive(Debug, Serialize, ToSchema)]
pub struct MembershipResponse {
    pub team_id: Uuid,
    pub name: String,
    pub role: TeamRole,
}

/// Who is calling.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CallerKind {
    User,
    Token,
}

/// The caller: a person, or an API token.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeResponse {
    pub id: Uuid,
    pub kind: CallerKind,
    pub role: Role,
    /// Users only.
    pub email: Option<String>,
    /// The user's name, or the token's.
    pub display_name: String,
    pub teams: Vec<MembershipResponse>,
    /// Items owned by the user directly or through a team.
    pub owned_items: i64,
}

impl From<Profile> for MeResponse {
    fn from(profile: Profile) -> Self {
        Self {
            id: profile.user.id,
            kind: CallerKind::User,
            role: profile.user.role,
            email: Some(profile.user.email),
            display_name: profile.user.display_name,
            teams: profile
                .teams
                .into_iter()
                .map(|(team, role)| MembershipResponse {
                    team_id: team.id,
                    name: team.name,
                    role,
                })
                .collect(),
            owned_items: profile.owned_items,
        }
    }
}
