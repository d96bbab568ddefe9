use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::db::enums::Role;
use crate::db::models::ApiToken;

/// An API token (its secret is shown only once, on creation).
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiTokenResponse {
    pub id: Uuid,
    pub name: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

impl From<ApiToken> for ApiTokenResponse {
    fn from(token: ApiToken) -> Self {
        Self {
            id: token.id,
            name: token.name,
            role: token.role,
            created_at: token.created_at,
            expires_at: token.expires_at,
            revoked_at: token.revoked_at,
            last_used_at: token.last_used_at,
        }
    }
}

/// A new API token.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Board dashboard", "role": "viewer"}))]
pub struct CreateApiTokenRequest {
    pub name: String,
    /// `viewer` or `contributor`.
    pub role: Role,
    pub expires_at: Option<DateTime<Utc>>,
}

/// The created token, with its secret: store it now, it cannot be shown again.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedApiTokenResponse {
    #[serde(flatten)]
    pub token: ApiTokenResponse,
    /// Send as `Authorization: Bearer <token>`.
    pub token_secret: String,
}
