//! The rules of the product, as plain functions over a pool or a connection. Nothing here knows
//! about HTTP or SMTP.

pub mod auth;
pub mod comments;
pub mod dates;
pub mod digest;
pub mod email_links;
pub mod evidence;
pub mod extract;
pub mod feeds;
pub mod health;
pub mod history;
pub mod idempotency;
pub mod import;
pub mod items;
pub mod labels;
pub mod lookup;
pub mod policy;
pub mod provenance;
pub mod reports;
pub mod seed;
pub mod stall;
pub mod stats;
pub mod subscriptions;
pub mod targets;
pub mod teams;
pub mod tokens;
pub mod users;
pub mod views;
pub mod watchers;
pub mod webhooks;
pub mod workflow;
