//! The feeds' formats: an item's history as Atom 1.0 (RFC 4287), due dates as iCalendar
//! (RFC 5545), written by `atom_syndication` and `icalendar`.

use std::collections::HashMap;

use chrono::Utc;
use icalendar::{Calendar, Component, Event, EventLike};
use uuid::Uuid;

use crate::db::enums::ActorKind;
use crate::db::models::HistoryEvent;
use crate::domain::items::due::Dated;
use crate::domain::labels;

/// The item a feed is about.
pub struct FeedItem<'a> {
    pub key: &'a str,
    pub title: &'a str,
    pub updated: chrono::DateTime<Utc>,
}

fn page_of(base_url: &str, key: &str) -> String {
    format!("{}/app/items/{key}", base_url.trim_end_matches('/'))
}

/// An item's events, newest first, as an Atom feed.
pub fn atom(
    base_url: &str,
    item: &FeedItem<'_>,
    events: &[HistoryEvent],
    names: &HashMap<Uuid, String>,
) -> String {
    use atom_syndication::{Content, Entry, Feed, Link, Person, Text};
    let page = page_of(base_url, item.key);
    let entries: Vec<Entry> = events
        .iter()
        .map(|e| {
            let who = match e.actor_kind {
                ActorKind::System => "recotrack".to_owned(),
                ActorKind::Token => "an API token".to_owned(),
                _ => e
                    .actor_id
                    .and_then(|id| names.get(&id).cloned())
                    .unwrap_or_else(|| "someone no longer here".to_owned()),
            };
            let what = labels::of_wire(&e.kind);
            let change = labels::change_line(e);
            let title = if change.is_empty() {
                what.clone()
            } else {
                format!("{what}: {change}")
            };
            let mut body = title.clone();
            if let Some(reason) = e.reason.as_deref().filter(|r| !r.is_empty()) {
                body.push_str(&format!("\nReason: {reason}"));
            }
            Entry {
                id: format!("{page}#event-{}", e.seq),
                title: Text::plain(title),
                updated: e.at.fixed_offset(),
                authors: vec![Person {
                    name: who,
                    ..Default::default()
                }],
                links: vec![Link {
                    href: page.clone(),
                    rel: "alternate".into(),
                    ..Default::default()
                }],
                content: Some(Content {
                    value: Some(body),
                    content_type: Some("text".into()),
                    ..Default::default()
                }),
                ..Default::default()
            }
        })
        .collect();
    let feed = Feed {
        id: page.clone(),
        title: Text::plain(format!("{} {}", item.key, item.title)),
        updated: events
            .first()
            .map_or(item.updated, |e| e.at.max(item.updated))
            .fixed_offset(),
        links: vec![Link {
            href: page,
            rel: "alternate".into(),
            ..Default::default()
        }],
        authors: vec![Person {
            name: "recotrack".into(),
            ..Default::default()
        }],
        entries,
        ..Default::default()
    };
    feed.to_string()
}

/// Due dates as an iCalendar of all-day events: one per item due date and per dated target.
pub fn calendar(base_url: &str, name: &str, dated: &[Dated]) -> String {
    let host = url::Url::parse(base_url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| "recotrack".into());
    let mut calendar = Calendar::new();
    calendar.name(name);
    let now = Utc::now();
    for d in dated {
        let (uid, summary) = match &d.target {
            None => (
                format!("item-{}@{host}", d.item),
                format!("Due: {} {}", d.key, d.title),
            ),
            Some((target, text)) => (
                format!("target-{target}@{host}"),
                format!("Target due: {} {text}", d.key),
            ),
        };
        calendar.push(
            Event::new()
                .uid(&uid)
                .timestamp(now)
                .summary(&summary)
                .description(&format!(
                    "{} in {}. Response: {}; status: {}.",
                    d.title,
                    d.report,
                    labels::response(d.response),
                    labels::status(d.status)
                ))
                .url(&page_of(base_url, &d.key))
                .all_day(d.due)
                .done(),
        );
    }
    calendar.done().to_string()
}
