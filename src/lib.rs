//! recotrack: turns the recommendations in policy reports into tracked work.
//! `docs/ARCHITECTURE.md` is the tour; `app` is where the parts meet.

pub mod app;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod http;
pub mod mailer;
pub mod metrics;
pub mod scheduler;
pub mod telemetry;
pub mod web;
pub mod webhooks;
