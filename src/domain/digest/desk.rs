//! What the HTTP layer and the pages may ask of whatever runs digests (the scheduler in
//! `serve`): a small handle, so they never depend on the scheduler itself.

use std::future::Future;
use std::pin::Pin;

use uuid::Uuid;

use super::compose::Digest;
use super::deliveries::{PlanSummary, Rendered, Trigger};
use crate::domain::email_links::LinkKey;
use crate::error::Result;

/// A digest job under way.
pub type Pending<'a, T> = Pin<Box<dyn Future<Output = Result<T>> + 'a>>;

/// What one tick did.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct TickSummary {
    pub planned: PlanSummary,
    pub sent: usize,
    pub failed: usize,
}

/// The digest runner, as handlers reach it.
pub trait DigestDesk: std::fmt::Debug + Send + Sync {
    /// Plans due periods, then sends everything due.
    fn tick(&self, trigger: Trigger) -> Pending<'_, TickSummary>;
    /// Sends `user` their digest now, outside the schedule; false when nothing qualifies.
    fn send_on_request(&self, user: Uuid) -> Pending<'_, bool>;
    /// A digest as its email's text and HTML.
    fn render(&self, digest: &Digest) -> Result<Rendered>;
    /// The key digest links are signed with.
    fn links(&self) -> &LinkKey;
}
