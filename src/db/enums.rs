//! The PostgreSQL enum types, as Rust enums. Their snake_case names are also the API's words.

use diesel_derive_enum::DbEnum;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A user's (or API token's) role, from most to least power.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, DbEnum, Serialize, Deserialize, ToSchema)]
#[ExistingTypePath = "crate::db::schema::sql_types::UserRole"]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Manager,
    Contributor,
    Viewer,
}

impl Role {
    fn power(self) -> u8 {
        match self {
            Self::Admin => 3,
            Self::Manager => 2,
            Self::Contributor => 1,
            Self::Viewer => 0,
        }
    }

    /// Whether this role may do what `required` may.
    pub fn at_least(self, required: Role) -> bool {
        self.power() >= required.power()
    }

    /// The lowercase name, as on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Manager => "manager",
            Self::Contributor => "contributor",
            Self::Viewer => "viewer",
        }
    }
}

/// A member's place in a team: managers receive the team's digests.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, DbEnum, Serialize, Deserialize, ToSchema, Default,
)]
#[ExistingTypePath = "crate::db::schema::sql_types::TeamRole"]
#[serde(rename_all = "snake_case")]
pub enum TeamRole {
    #[default]
    Member,
    Manager,
}

/// How often a user receives the stalled-items digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, DbEnum, Serialize, Deserialize, ToSchema)]
#[ExistingTypePath = "crate::db::schema::sql_types::DigestFrequency"]
#[serde(rename_all = "snake_case")]
pub enum DigestFrequency {
    Weekly,
    Daily,
    Off,
}

/// Who made a change recorded in history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, DbEnum, Serialize, Deserialize, ToSchema)]
#[ExistingTypePath = "crate::db::schema::sql_types::ActorKind"]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    User,
    Token,
    System,
}

#[cfg(test)]
mod tests {
    use super::Role;

    #[test]
    fn roles_are_ordered_by_power() {
        assert!(Role::Admin.at_least(Role::Manager));
        assert!(Role::Manager.at_least(Role::Contributor));
        assert!(Role::Contributor.at_least(Role::Viewer));
        assert!(!Role::Viewer.at_least(Role::Contributor));
        assert!(!Role::Manager.at_least(Role::Admin));
        assert!(Role::Viewer.at_least(Role::Viewer));
    }
}

/// What the responsible body said about a recommendation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, DbEnum, Serialize, Deserialize, ToSchema)]
#[ExistingTypePath = "crate::db::schema::sql_types::RecResponse"]
#[serde(rename_all = "snake_case")]
pub enum Response {
    Pending,
    Accepted,
    AcceptedInPrinciple,
    Noted,
    Rejected,
}

/// How far implementation has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, DbEnum, Serialize, Deserialize, ToSchema)]
#[ExistingTypePath = "crate::db::schema::sql_types::RecStatus"]
#[serde(rename_all = "snake_case")]
pub enum Status {
    NotStarted,
    InProgress,
    PartiallyImplemented,
    Implemented,
    Blocked,
    NotImplemented,
    Superseded,
}

/// How urgent an item is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, DbEnum, Serialize, Deserialize, ToSchema, Default,
)]
#[ExistingTypePath = "crate::db::schema::sql_types::RecPriority"]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Low,
    #[default]
    Medium,
    High,
    Critical,
}

/// What the evidence says, derived from it: none, claimed (submitted, none accepted), verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, DbEnum, Serialize, Deserialize, ToSchema)]
#[ExistingTypePath = "crate::db::schema::sql_types::EvidenceStage"]
#[serde(rename_all = "snake_case")]
pub enum EvidenceStage {
    None,
    Claimed,
    Verified,
}

/// How an owner relates to an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, DbEnum, Serialize, Deserialize, ToSchema)]
#[ExistingTypePath = "crate::db::schema::sql_types::OwnerKind"]
#[serde(rename_all = "snake_case")]
pub enum OwnerKind {
    Responsible,
    Contributor,
    Observer,
}

/// What a piece of evidence is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, DbEnum, Serialize, Deserialize, ToSchema)]
#[ExistingTypePath = "crate::db::schema::sql_types::EvidenceKind"]
#[serde(rename_all = "snake_case")]
pub enum EvidenceKind {
    Document,
    Url,
    Dataset,
    Statement,
    Media,
}

/// What a piece of evidence shows about its item.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, DbEnum, Serialize, Deserialize, ToSchema,
)]
#[ExistingTypePath = "crate::db::schema::sql_types::EvidenceRelevance"]
#[serde(rename_all = "snake_case")]
pub enum Relevance {
    /// The recommendation itself carried out.
    ShowsImplementation,
    /// Concrete work toward exactly what the recommendation asks.
    #[default]
    ShowsProgress,
    /// Related background; never makes an item's evidence `verified`.
    Context,
}

/// A reviewer's verdict on evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, DbEnum, Serialize, Deserialize, ToSchema)]
#[ExistingTypePath = "crate::db::schema::sql_types::Verification"]
#[serde(rename_all = "snake_case")]
pub enum Verification {
    Pending,
    Accepted,
    Rejected,
}

/// The snake_case wire name of any of these enums.
pub fn wire_name<T: Serialize>(value: T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Where a digest delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, DbEnum, Serialize, Deserialize, ToSchema)]
#[ExistingTypePath = "crate::db::schema::sql_types::DeliveryStatus"]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Pending,
    Sent,
    Failed,
}
