//! The rules of the product, as plain functions over a pool or a connection. Nothing here knows
//! about HTTP or SMTP.

pub mod health;
