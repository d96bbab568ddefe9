//! The "Watched items" part of a digest: what other people changed on the items a recipient
//! watches, since the recipient's last scheduled digest was planned (a first digest looks back
//! a week; none looks back further than a month).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Int8, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use uuid::Uuid;

use super::Audience;
use super::compose::{Context, item_page};
use crate::db::enums::Role;
use crate::db::models::HistoryEvent;
use crate::domain::email_links::LinkAction;
use crate::domain::labels;
use crate::error::Result;

/// Changes listed per item; the rest are counted.
pub const MAX_CHANGES_PER_ITEM: usize = 10;

/// One change to a watched item, for one recipient.
#[derive(Debug, Clone)]
pub struct WatchedChange {
    pub recipient_id: Uuid,
    pub recipient_email: String,
    pub recipient_name: String,
    pub recipient_role: Role,
    pub item_id: Uuid,
    pub key: String,
    pub title: String,
    pub event: HistoryEvent,
    /// Who made it, as people read it.
    pub actor: String,
}

#[derive(Clone, QueryableByName)]
struct Row {
    #[diesel(sql_type = SqlUuid)]
    recipient_id: Uuid,
    #[diesel(sql_type = Text)]
    recipient_email: String,
    #[diesel(sql_type = Text)]
    recipient_name: String,
    #[diesel(sql_type = crate::db::schema::sql_types::UserRole)]
    recipient_role: Role,
    #[diesel(sql_type = SqlUuid)]
    item_id: Uuid,
    #[diesel(sql_type = Text)]
    key: String,
    #[diesel(sql_type = Text)]
    title: String,
    #[diesel(sql_type = Int8)]
    event_id: i64,
}

/// Every change others made to items watched by `audience`, in recipient, item and history
/// order. A recipient's own changes are left out: they know of them.
pub fn select(
    conn: &mut PgConnection,
    audience: Audience,
    now: DateTime<Utc>,
) -> Result<Vec<WatchedChange>> {
    let (audience_sql, frequency, user) = match audience {
        Audience::Frequency(f) => ("u.effective = $2", crate::db::enums::wire_name(f), None),
        Audience::User(id) => ("u.id = $3", String::new(), Some(id)),
    };
    let sql = format!(
        "WITH recipient AS (
            SELECT u.id, u.email, u.display_name, u.role, {frequency_sql} AS effective
            FROM users u WHERE u.active
        )
        SELECT u.id AS recipient_id, u.email AS recipient_email, u.display_name AS recipient_name,
               u.role AS recipient_role, r.id AS item_id, r.key, r.title, e.id AS event_id
        FROM item_watchers w
        JOIN recipient u ON u.id = w.user_id
        JOIN recommendations r ON r.id = w.recommendation_id
        JOIN history_events e ON e.recommendation_id = w.recommendation_id
        WHERE {audience_sql}
          AND e.actor_id IS DISTINCT FROM u.id
          AND e.at <= $1
          AND e.at > greatest($1 - interval '31 days', coalesce(
                (SELECT max(d.created_at) FROM digest_deliveries d
                 WHERE d.recipient_id = u.id AND d.{scheduled}),
                $1 - interval '7 days'))
        ORDER BY u.id, r.key, e.seq",
        frequency_sql = crate::domain::users::SQL_EFFECTIVE_FREQUENCY,
        scheduled = super::SQL_SCHEDULED_PERIOD,
    );
    let rows: Vec<Row> = diesel::sql_query(sql)
        .bind::<Timestamptz, _>(now)
        .bind::<Text, _>(frequency)
        .bind::<Nullable<SqlUuid>, _>(user)
        .load(conn)?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    // Each event as the item's history shows it (in its current shape; an old event may show
    // as two), read once per item.
    let mut items: Vec<Uuid> = rows.iter().map(|r| r.item_id).collect();
    items.sort();
    items.dedup();
    let mut events: HashMap<i64, Vec<HistoryEvent>> = HashMap::new();
    for item in items {
        for shown in crate::domain::history::read(conn, item)? {
            events.entry(shown.event.id).or_default().push(shown.event);
        }
    }
    let names =
        crate::domain::users::names_of(conn, events.values().flatten().filter_map(|e| e.actor_id))?;
    Ok(rows
        .into_iter()
        .flat_map(|row| {
            let shown = events.get(&row.event_id).cloned().unwrap_or_default();
            shown.into_iter().map(move |event| (row.clone(), event))
        })
        .map(|(row, event)| {
            let actor = labels::actor(event.actor_kind, event.actor_id, &names);
            WatchedChange {
                recipient_id: row.recipient_id,
                recipient_email: row.recipient_email,
                recipient_name: row.recipient_name,
                recipient_role: row.recipient_role,
                item_id: row.item_id,
                key: row.key,
                title: row.title,
                event,
                actor,
            }
        })
        .collect())
}

/// An item the recipient watches, with what others changed since their last digest.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct WatchedItem {
    pub id: Uuid,
    pub key: String,
    pub title: String,
    /// The item's page (it has a button to stop watching too).
    pub link: String,
    /// Oldest first, one line each, e.g.
    /// `2026-12-03 14:05 UTC, Ada Manager: transition, status: In progress → Implemented`.
    pub changes: Vec<String>,
    /// Changes left out of `changes` (the item's page has them all).
    pub more_changes: usize,
    /// Stops the recipient watching the item (signed for them; empty in previews of another's
    /// digest).
    pub unwatch_link: Option<String>,
}

/// One line of a watched item's change.
fn change_line(change: &WatchedChange) -> String {
    let event = &change.event;
    let mut line = format!(
        "{}, {}: {}",
        event.at.format("%Y-%m-%d %H:%M UTC"),
        change.actor,
        labels::of_wire(&event.kind)
    );
    let what = labels::change_line(event);
    if !what.is_empty() {
        line.push_str(", ");
        line.push_str(&what);
    }
    if let Some(reason) = event.reason.as_deref().filter(|r| !r.is_empty()) {
        line.push_str(&format!(" (\"{reason}\")"));
    }
    line
}

/// The watched items of one recipient, from their changes in item order.
pub(super) fn watched_items(watched: Vec<WatchedChange>, ctx: &Context<'_>) -> Vec<WatchedItem> {
    let mut items: Vec<WatchedItem> = Vec::new();
    for change in watched {
        let line = change_line(&change);
        match items.last_mut() {
            Some(item) if item.id == change.item_id => {
                if item.changes.len() < MAX_CHANGES_PER_ITEM {
                    item.changes.push(line);
                } else {
                    item.more_changes += 1;
                }
            }
            _ => items.push(WatchedItem {
                id: change.item_id,
                link: item_page(ctx.base_url, &change.key),
                unwatch_link: ctx.signer.map(|signer| {
                    signer.sign(
                        change.recipient_id,
                        Some(change.item_id),
                        LinkAction::Unwatch,
                    )
                }),
                key: change.key,
                title: change.title,
                changes: vec![line],
                more_changes: 0,
            }),
        }
    }
    items
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::StallRules;
    use crate::domain::digest::compose::{LinkSigner, compose};

    struct Signer;
    impl LinkSigner for Signer {
        fn sign(&self, _: Uuid, item: Option<Uuid>, action: LinkAction) -> String {
            format!("signed:{}:{}", action.as_str(), item.is_some())
        }
    }

    fn change(recipient: Uuid, item: Uuid, key: &str, seq: i32) -> WatchedChange {
        let at = chrono::DateTime::parse_from_rfc3339("2026-12-03T14:05:00Z")
            .expect("time")
            .with_timezone(&Utc);
        WatchedChange {
            recipient_id: recipient,
            recipient_email: "w@example.org".into(),
            recipient_name: "W".into(),
            recipient_role: Role::Viewer,
            item_id: item,
            key: key.into(),
            title: format!("Title {key}"),
            event: crate::db::models::HistoryEvent {
                id: i64::from(seq),
                recommendation_id: item,
                seq,
                kind: "transition".into(),
                actor_kind: crate::db::enums::ActorKind::User,
                actor_id: None,
                at,
                reason: Some("Board decision".into()),
                field: Some("status".into()),
                before: Some(serde_json::json!("not_started")),
                after: Some(serde_json::json!("in_progress")),
                prev_hash: String::new(),
                hash: String::new(),
                key_id: None,
            },
            actor: "Ada".into(),
        }
    }

    #[test]
    fn a_watcher_with_nothing_stalled_gets_the_changes_listed_up_to_ten_per_item() {
        let me = Uuid::new_v4();
        let (busy, calm) = (Uuid::new_v4(), Uuid::new_v4());
        let mut watched: Vec<WatchedChange> =
            (1..=12).map(|seq| change(me, busy, "a/1", seq)).collect();
        watched.push(change(me, calm, "a/2", 1));
        let rules = StallRules {
            pending: 30,
            accepted: 60,
            in_progress: 45,
            blocked: 14,
            partially_implemented: 60,
        };
        let empty = HashMap::new();
        let ctx = Context {
            now: Utc::now(),
            base_url: "http://x",
            rules: &rules,
            period: "weekly digest 2026-11-30",
            owners: &empty,
            last_activity: &HashMap::new(),
            previous: &HashMap::new(),
            signer: Some(&Signer),
        };
        let digests = compose(Vec::new(), watched, &ctx);
        assert_eq!(digests.len(), 1);
        let d = &digests[0];
        assert_eq!(
            d.subject,
            "[recotrack] 0 stalled, 0 overdue, 2 watched items changed: weekly digest 2026-11-30"
        );
        assert!(d.groups.is_empty() && d.item_ids.is_empty());
        let keys: Vec<&str> = d.watched.iter().map(|w| w.key.as_str()).collect();
        assert_eq!(keys, ["a/1", "a/2"]);
        assert_eq!(d.watched[0].changes.len(), 10);
        assert_eq!(d.watched[0].more_changes, 2);
        assert_eq!(
            d.watched[0].changes[0],
            "2026-12-03 14:05 UTC, Ada: transition, status: Not started → In progress (\"Board decision\")"
        );
        assert_eq!(d.watched[1].link, "http://x/app/items/a/2");
        assert_eq!(
            d.watched[1].unwatch_link.as_deref(),
            Some("signed:unwatch:true")
        );
    }
}
