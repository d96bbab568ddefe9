//! Wire types: `*Request` bodies in, `*Response` bodies out. Domain rows never go on the wire.

pub mod auth;
pub mod teams;
pub mod tokens;
pub mod users;
