//! Wire types: `*Request` bodies in, `*Response` bodies out. Domain rows never go on the wire.

pub mod auth;
pub mod feeds;
pub mod integrity;
pub mod items;
pub mod records;
pub mod reports;
pub mod subscriptions;
pub mod targets;
pub mod teams;
pub mod tokens;
pub mod users;
pub mod views;
pub mod watchers;
pub mod webhooks;

use serde::{Deserialize, Deserializer};
use utoipa::openapi::{Object, ObjectBuilder, Type};

use crate::domain::items::list;
use crate::domain::stats::timeline::Interval;

/// The closed sets of query values, documented from the lists the domain parses them with.
fn string_enum(values: impl IntoIterator<Item = String>, default: &str) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values))
        .default(Some(default.into()))
        .build()
}

/// `sort`: every key, ascending or (with `-`) descending.
pub fn sort_schema() -> Object {
    string_enum(list::Sort::spellings(), list::SortKey::Ordinal.as_str())
}

/// `interval` of the timeline.
pub fn interval_schema() -> Object {
    string_enum(
        Interval::ALL.map(|i| i.as_str().to_owned()),
        Interval::default().as_str(),
    )
}

/// `limit` of a list page.
pub fn limit_schema() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(*list::LIMITS.start()))
        .maximum(Some(*list::LIMITS.end()))
        .default(Some(list::DEFAULT_LIMIT.into()))
        .build()
}

/// Tells an absent field (`None`) from an explicit `null` (`Some(None)`) in PATCH bodies.
pub fn double_option<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}
