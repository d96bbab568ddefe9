//! The pages people read: my items, a report's items, an item, preferences.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;
use uuid::Uuid;

use super::session::Signed;
use super::{PageError, html, see_other};
use crate::db;
use crate::db::enums::{ActorKind, DigestFrequency, EvidenceStage, Response, Status, Verification};
use crate::domain::digest::Audience;
use crate::domain::digest::compose::Digest;
use crate::domain::digest::deliveries::{self, Settings as DigestContext};
use crate::domain::items;
use crate::domain::items::list::{self, Count, Sort};
use crate::domain::policy::{self, Act};
use crate::domain::watchers::{self, WatchState};
use crate::domain::workflow::{self, Axis, ItemState};
use crate::domain::{comments, evidence, history, labels, reports, users as accounts};
use crate::http::AppState;
use crate::http::dto::items::ListQuery;

mod item;
mod my;
mod preferences;
mod report;

pub use item::item;
pub use my::my_items;
pub use preferences::preferences;
pub use report::report;

/// The top bar of every signed-in page.
pub(crate) struct Chrome {
    pub user: String,
    pub csrf: String,
}

impl Chrome {
    fn of(signed: &Signed) -> Self {
        Self {
            user: signed.0.display_name.clone(),
            csrf: signed.0.csrf.clone(),
        }
    }
}

pub async fn home(signed: Option<Signed>) -> HttpResponse {
    see_other(if signed.is_some() {
        "/app/my"
    } else {
        "/app/login"
    })
}

/// A row of a list of items.
pub(crate) struct Row {
    pub key: String,
    pub title: String,
    pub status: &'static str,
    pub response: &'static str,
    pub owners: String,
    pub due: String,
    pub idle_days: i64,
    pub stalled: bool,
    pub overdue: bool,
}

impl From<items::Item> for Row {
    fn from(item: items::Item) -> Self {
        Self {
            status: labels::status(item.rec.status),
            response: labels::response(item.rec.response),
            owners: join_owners(&item.owners),
            due: item.rec.due_date.map(|d| d.to_string()).unwrap_or_default(),
            idle_days: item.assessment.idle_days.max(0),
            stalled: item.assessment.stalled,
            overdue: item.assessment.overdue,
            key: item.rec.key,
            title: item.rec.title,
        }
    }
}

fn join_owners(owners: &[items::Owner]) -> String {
    if owners.is_empty() {
        return "none".to_owned();
    }
    owners
        .iter()
        .map(|o| o.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// An option of a select box.
pub(crate) struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

fn choices<T: Copy + serde::Serialize>(
    all: &[T],
    label: fn(T) -> &'static str,
    chosen: Option<&str>,
) -> Vec<Choice> {
    all.iter()
        .map(|v| {
            let value = crate::db::enums::wire_name(*v);
            Choice {
                selected: chosen == Some(value.as_str()),
                label: label(*v).to_owned(),
                value,
            }
        })
        .collect()
}
