//! Who is calling: passwords, access and refresh tokens, API tokens, login rate limits. The
//! result of authentication is a [`Principal`]; what it may do is decided by its role here and
//! by ownership in the item rules.

pub mod callers;
pub mod jwt;
pub mod passwords;
pub mod rate_limit;
pub mod secrets;
pub mod sessions;
pub mod web_sessions;

use uuid::Uuid;

pub use crate::db::enums::Role;

/// Who is acting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// A person, signed in with a password.
    User { id: Uuid, session: Uuid },
    /// An API token of a dashboard or integration.
    Token { id: Uuid },
}

/// An authenticated caller and the role it acts with (as the database has it, through the
/// caller cache that every role change, deactivation and revocation empties).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Principal {
    pub actor: Actor,
    pub role: Role,
}

impl Principal {
    /// The user behind the request, if a person is calling.
    pub fn user_id(&self) -> Option<Uuid> {
        match self.actor {
            Actor::User { id, .. } => Some(id),
            Actor::Token { .. } => None,
        }
    }

    /// Whether the caller may see people's email addresses (as `/users` shows them): managers
    /// and admins, who assign and reach people; not viewers or dashboards' tokens.
    pub fn sees_email_addresses(&self) -> bool {
        self.role.at_least(Role::Manager)
    }

    /// Refuses unless the caller's role reaches `required`.
    pub fn require(&self, required: Role) -> crate::error::Result<()> {
        if self.role.at_least(required) {
            Ok(())
        } else {
            Err(crate::error::Error::Forbidden(format!(
                "this needs the {} role; you have {}",
                required.as_str(),
                self.role.as_str()
            )))
        }
    }
}
