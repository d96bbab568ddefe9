use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::db::enums::DigestFrequency;
use crate::domain::watchers::{WatchState, Watched};

/// Whether you watch an item.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"item_id": "0b7e6c1e-5d7a-4a55-9a39-5d0f7b0d8a11", "watching": true, "by_default": false, "digest": "weekly"}))]
pub struct WatchResponse {
    pub item_id: Uuid,
    pub watching: bool,
    /// Watching because you observe the item (directly or through a team), not by choice;
    /// `DELETE` stops it all the same.
    pub by_default: bool,
    /// The digest the item's changes arrive in. `off` (the default for contributors and
    /// viewers) means they reach you nowhere until you choose a frequency at
    /// `/me/digest-preferences`.
    pub digest: DigestFrequency,
}

impl WatchResponse {
    pub fn new(item_id: Uuid, state: WatchState) -> Self {
        Self {
            item_id,
            watching: state.watching,
            by_default: state.by_default,
            digest: state.digest,
        }
    }
}

/// An item you watch.
#[derive(Debug, Serialize, ToSchema)]
pub struct WatchedItemResponse {
    pub item_id: Uuid,
    pub key: String,
    pub title: String,
    /// Watched because you observe it, not by choice.
    pub by_default: bool,
}

impl From<Watched> for WatchedItemResponse {
    fn from(w: Watched) -> Self {
        Self {
            item_id: w.id,
            key: w.key,
            title: w.title,
            by_default: w.by_default,
        }
    }
}
