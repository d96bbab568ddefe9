//! Integration tests against a real PostgreSQL. Run them with `scripts/test`, which starts a
//! throwaway cluster; each test gets its own database cloned from a migrated template.

mod auth;
mod browser;
mod callers;
mod cli;
mod compose;
mod conventions;
mod delivery;
mod digests;
mod extract;
mod feeds;
mod four_eyes;
mod guards;
mod health;
mod helpers;
mod items;
mod layout;
mod manager_loop;
mod pages;
mod readme;
mod reliability;
mod reshape;
mod roles;
mod routes;
mod schema;
mod seeds;
mod stall;
mod stats;
mod subscriptions;
mod tamper;
mod targets;
mod views;
mod watchers;
mod webhooks;
