//! The feeds' formats: an item's or a view's history as Atom 1.0 (RFC 4287), due dates as iCalendar
//! (RFC 5545), written by `atom_syndication` and `icalendar`.

use std::collections::HashMap;

use chrono::Utc;
use icalendar::{Calendar, Component, Event, EventLike};
use uuid::Uuid;

use crate::db::models::HistoryEvent;
use crate::domain::items::due::Dated;
use crate::domain::labels;

/// What a feed is about: an item, or a saved view.
pub struct FeedHead {
    /// The feed's permanent id: the item's page, or `urn:uuid:<view id>`.
    pub id: String,
    pub title: String,
    pub updated: chrono::DateTime<Utc>,
    /// A page people open for it (none for a view, which has no page).
    pub page: Option<String>,
}

/// One event of a feed, and the item it is about.
pub struct FeedEntry<'a> {
    pub key: &'a str,
    /// Put before each entry's title where a feed holds many items (`[key] title: `).
    pub item_title: Option<&'a str>,
    pub event: &'a HistoryEvent,
}

/// `text` with every character XML 1.0 forbids (most control characters, U+FFFE, U+FFFF)
/// replaced by U+FFFD: one control character in a progress note or a view's name would
/// otherwise make the whole feed unreadable for everyone who follows it. The same characters
/// are forbidden in iCalendar text (RFC 5545 CONTROL).
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => c,
            '\u{0}'..='\u{1f}' | '\u{7f}' | '\u{fffe}' | '\u{ffff}' => '\u{fffd}',
            _ => c,
        })
        .collect()
}

pub fn page_of(base_url: &str, key: &str) -> String {
    format!("{}/app/items/{key}", base_url.trim_end_matches('/'))
}

/// Events, newest first, as an Atom feed. An event's entry id is the same in every feed that
/// holds it (its item's page and its place in the item's history), so a reader that follows
/// both an item and a view sees it once.
pub fn atom(
    base_url: &str,
    head: &FeedHead,
    entries: &[FeedEntry<'_>],
    names: &HashMap<Uuid, String>,
) -> String {
    use atom_syndication::{Content, Entry, Feed, Link, Person, Text};
    let alternate = |href: String| Link {
        href,
        rel: "alternate".into(),
        ..Default::default()
    };
    let atom_entries: Vec<Entry> = entries
        .iter()
        .map(|entry| {
            let e = entry.event;
            let page = page_of(base_url, entry.key);
            let who = labels::actor(e.actor_kind, e.actor_id, names);
            let what = labels::of_wire(&e.kind);
            let change = labels::change_line(e);
            let mut title = if change.is_empty() {
                what.clone()
            } else {
                format!("{what}: {change}")
            };
            if let Some(item_title) = entry.item_title {
                title = format!("[{}] {item_title}: {title}", entry.key);
            }
            let mut body = title.clone();
            if let Some(reason) = e.reason.as_deref().filter(|r| !r.is_empty()) {
                body.push_str(&format!("\nReason: {reason}"));
            }
            Entry {
                id: format!("{page}#event-{}", e.seq),
                title: Text::plain(printable(&title)),
                updated: e.at.fixed_offset(),
                authors: vec![Person {
                    name: printable(&who),
                    ..Default::default()
                }],
                links: vec![alternate(page)],
                content: Some(Content {
                    value: Some(printable(&body)),
                    content_type: Some("text".into()),
                    ..Default::default()
                }),
                ..Default::default()
            }
        })
        .collect();
    let feed = Feed {
        id: head.id.clone(),
        title: Text::plain(printable(&head.title)),
        updated: entries
            .first()
            .map_or(head.updated, |e| e.event.at.max(head.updated))
            .fixed_offset(),
        links: head.page.clone().map(alternate).into_iter().collect(),
        authors: vec![Person {
            name: "recotrack".into(),
            ..Default::default()
        }],
        entries: atom_entries,
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
    calendar.name(&printable(name));
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
                .summary(&printable(&summary))
                .description(&printable(&format!(
                    "{} in {}. Response: {}; status: {}.",
                    d.title,
                    d.report,
                    labels::response(d.response),
                    labels::status(d.status)
                )))
                .url(&page_of(base_url, &d.key))
                .all_day(d.due)
                .done(),
        );
    }
    calendar.done().to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn characters_xml_forbids_become_the_replacement_character() {
        assert_eq!(
            super::printable("bell\u{7} tab\t line\n nul\u{0} \u{fffe}é<&>"),
            "bell\u{fffd} tab\t line\n nul\u{fffd} \u{fffd}é<&>"
        );
    }
}
