//! The rules of the product, as plain functions over a pool or a connection. Nothing here knows
//! about HTTP or SMTP.

pub mod auth;
pub mod health;
pub mod teams;
pub mod tokens;
pub mod users;
