//! Wire types: `*Request` bodies in, `*Response` bodies out. Domain rows never go on the wire.

pub mod auth;
pub mod integrity;
pub mod items;
pub mod reports;
pub mod targets;
pub mod teams;
pub mod tokens;
pub mod users;

use serde::{Deserialize, Deserializer};

/// Tells an absent field (`None`) from an explicit `null` (`Some(None)`) in PATCH bodies.
pub fn double_option<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}
