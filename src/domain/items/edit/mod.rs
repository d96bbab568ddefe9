//! Creating and changing items. Every function runs inside the caller's transaction and ends in
//! [`super::apply::record`]: the row, its history and its activity clock change together or not
//! at all.

mod create;
mod snooze;
mod transition;
mod update;

pub use create::{NewItem, create};
pub use snooze::snooze;
pub use transition::transition;
pub use update::{ItemChanges, update};
