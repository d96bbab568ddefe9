//! What a digest says: a summary with counts and age buckets, then the items grouped by report,
//! each with why it qualifies. Pure: given the selection, it needs no database.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::Qualifying;

/// An item as the digest shows it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct DigestItem {
    pub id: Uuid,
    pub key: String,
    pub title: String,
    pub status: String,
    pub owners: Vec<String>,
    pub days_in_status: i64,
    pub idle_days: i64,
    pub due_date: Option<NaiveDate>,
    /// The last thing a person did, e.g. `transition on 2026-10-02`.
    pub last_activity: String,
    /// Why it is in this digest, one sentence each.
    pub reasons: Vec<String>,
    pub stalled: bool,
    pub overdue: bool,
    pub link: String,
}

/// The items of one report.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ReportGroup {
    pub key: String,
    pub title: String,
    pub items: Vec<DigestItem>,
}

/// One recipient's digest.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Digest {
    pub recipient_id: Uuid,
    pub recipient_email: String,
    pub recipient_name: String,
    pub subject: String,
    pub stalled: usize,
    pub overdue: usize,
    /// Stalled items by days without activity: 14-29, 30-59, 60 and more.
    pub stalled_14_to_29: usize,
    pub stalled_30_to_59: usize,
    pub stalled_60_plus: usize,
    /// Items in this digest that were not in the previous one.
    pub newly_in: usize,
    /// Items of the previous digest that no longer qualify.
    pub resolved: usize,
    pub groups: Vec<ReportGroup>,
    pub item_ids: Vec<Uuid>,
    /// For admins: the newest daily history anchor, to keep outside the database.
    pub anchor: Option<AnchorLine>,
    /// For admins: digests given up after their last allowed attempt, one line each.
    pub undelivered: Vec<String>,
}

/// A history anchor as a digest prints it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct AnchorLine {
    pub day: NaiveDate,
    pub digest: String,
}

/// Context for composing.
pub struct Context<'a> {
    pub now: DateTime<Utc>,
    pub base_url: &'a str,
    pub owners: &'a HashMap<Uuid, Vec<String>>,
    pub last_activity: &'a HashMap<Uuid, (String, DateTime<Utc>)>,
    /// Item ids of each recipient's previous digest.
    pub previous: &'a HashMap<Uuid, Vec<Uuid>>,
}

fn reasons(row: &Qualifying, idle_days: i64) -> Vec<String> {
    let mut out = Vec::new();
    if row.stalled {
        out.push(format!(
            "stalled: {} for {idle_days} days without activity (the rule for {} allows {} days)",
            row.status, row.status, row.threshold_days
        ));
    }
    if row.overdue
        && let Some(due) = row.due_date
    {
        out.push(format!("overdue: it was due on {due}"));
    }
    if let Some(target) = &row.overdue_target {
        out.push(format!("target overdue: {target}"));
    }
    if row.lapsed {
        out.push(
            "implemented, evidence withdrawn: no accepted evidence remains behind it".to_owned(),
        );
    }
    let past = idle_days - i64::from(row.threshold_days);
    let role = match row.step {
        1 => Some("a manager"),
        2 => Some("an admin"),
        _ => None,
    };
    // Say why it reached this recipient, with numbers only where they mean something.
    if let Some(role) = role {
        let why = if row.stalled && past > 0 {
            format!("stalled {past} days past its rule")
        } else if row.overdue {
            "overdue".to_owned()
        } else if row.overdue_target.is_some() {
            "a target is overdue".to_owned()
        } else if row.lapsed {
            "implemented without accepted evidence".to_owned()
        } else {
            "it has no owner".to_owned()
        };
        out.push(format!("escalated to you as {role}: {why}"));
    }
    out
}

/// Composes every recipient's digest from the selection, in recipient order.
pub fn compose(rows: Vec<Qualifying>, ctx: &Context<'_>) -> Vec<Digest> {
    let mut by_recipient: BTreeMap<Uuid, Vec<Qualifying>> = BTreeMap::new();
    for row in rows {
        by_recipient.entry(row.recipient_id).or_default().push(row);
    }
    by_recipient
        .into_values()
        .filter_map(|rows| compose_one(rows, ctx))
        .collect()
}

fn compose_one(mut rows: Vec<Qualifying>, ctx: &Context<'_>) -> Option<Digest> {
    let first = rows.first()?.clone();
    rows.sort_by(|a, b| (&a.report_key, &a.key).cmp(&(&b.report_key, &b.key)));
    let mut groups: Vec<ReportGroup> = Vec::new();
    let (mut stalled, mut overdue, mut b14, mut b30, mut b60) = (0, 0, 0, 0, 0);
    let mut ids = Vec::with_capacity(rows.len());
    for row in rows {
        let idle_days = (ctx.now - row.last_activity_at).num_days();
        if row.stalled {
            stalled += 1;
            match idle_days {
                60.. => b60 += 1,
                30..=59 => b30 += 1,
                14..=29 => b14 += 1,
                _ => {}
            }
        }
        if row.overdue {
            overdue += 1;
        }
        ids.push(row.item_id);
        let last_activity = ctx.last_activity.get(&row.item_id).map_or_else(
            || {
                format!(
                    "none by a person since {}",
                    row.last_activity_at.date_naive()
                )
            },
            |(kind, at)| format!("{} on {}", kind.replace('_', " "), at.date_naive()),
        );
        let item = DigestItem {
            id: row.item_id,
            key: row.key.clone(),
            title: row.title.clone(),
            status: row.status.clone(),
            owners: ctx.owners.get(&row.item_id).cloned().unwrap_or_default(),
            days_in_status: (ctx.now - row.status_changed_at).num_days(),
            idle_days,
            due_date: row.due_date,
            last_activity,
            reasons: reasons(&row, idle_days),
            stalled: row.stalled,
            overdue: row.overdue,
            link: format!("{}/api/v1/recommendations/{}", ctx.base_url, row.item_id),
        };
        match groups.last_mut() {
            Some(group) if group.key == row.report_key => group.items.push(item),
            _ => groups.push(ReportGroup {
                key: row.report_key,
                title: row.report_title,
                items: vec![item],
            }),
        }
    }
    let previous: HashSet<Uuid> = ctx
        .previous
        .get(&first.recipient_id)
        .map(|p| p.iter().copied().collect())
        .unwrap_or_default();
    let current: HashSet<Uuid> = ids.iter().copied().collect();
    let newly_in = current.difference(&previous).count();
    let resolved = previous.difference(&current).count();
    let plural = |n: usize| {
        if n == 1 {
            "recommendation"
        } else {
            "recommendations"
        }
    };
    Some(Digest {
        recipient_id: first.recipient_id,
        recipient_email: first.recipient_email,
        recipient_name: first.recipient_name,
        subject: format!(
            "{stalled} stalled, {overdue} overdue {}",
            plural(stalled.max(overdue))
        ),
        stalled,
        overdue,
        stalled_14_to_29: b14,
        stalled_30_to_59: b30,
        stalled_60_plus: b60,
        newly_in,
        resolved,
        groups,
        item_ids: ids,
        anchor: None,
        undelivered: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(
        recipient: Uuid,
        report: &str,
        key: &str,
        idle: i64,
        stalled: bool,
        overdue: bool,
        step: i32,
    ) -> Qualifying {
        let now = Utc::now();
        Qualifying {
            recipient_id: recipient,
            recipient_email: "m@example.org".into(),
            recipient_name: "M".into(),
            step,
            item_id: Uuid::new_v4(),
            key: key.into(),
            title: format!("Title {key}"),
            status: "in_progress".into(),
            report_key: report.into(),
            report_title: format!("Report {report}"),
            due_date: overdue.then(|| now.date_naive() - chrono::Duration::days(3)),
            last_activity_at: now - chrono::Duration::days(idle),
            status_changed_at: now - chrono::Duration::days(idle + 5),
            stalled,
            overdue,
            lapsed: false,
            overdue_target: None,
            threshold_days: 45,
        }
    }

    #[test]
    fn a_digest_counts_buckets_and_groups_by_report() {
        let me = Uuid::new_v4();
        let rows = vec![
            row(me, "b", "b/1", 70, true, false, 0),
            row(me, "a", "a/2", 50, true, true, 1),
            row(me, "a", "a/1", 20, false, true, 0),
        ];
        let empty = HashMap::new();
        let previous: HashMap<Uuid, Vec<Uuid>> =
            HashMap::from([(me, vec![rows[0].item_id, Uuid::new_v4()])]);
        let ctx = Context {
            now: Utc::now(),
            base_url: "http://x",
            owners: &empty,
            last_activity: &HashMap::new(),
            previous: &previous,
        };
        let digests = compose(rows, &ctx);
        assert_eq!(digests.len(), 1);
        let d = &digests[0];
        assert_eq!(d.subject, "2 stalled, 2 overdue recommendations");
        assert_eq!(
            (d.stalled_14_to_29, d.stalled_30_to_59, d.stalled_60_plus),
            (0, 1, 1)
        );
        assert_eq!((d.newly_in, d.resolved), (2, 1));
        let keys: Vec<_> = d
            .groups
            .iter()
            .map(|g| (g.key.as_str(), g.items.len()))
            .collect();
        assert_eq!(keys, [("a", 2), ("b", 1)]);
        assert_eq!(d.groups[0].items[0].key, "a/1");
        let escalated = &d.groups[0].items[1];
        assert!(
            escalated
                .reasons
                .iter()
                .any(|r| r.starts_with("escalated to you as a manager: stalled 5 days")),
            "{:?}",
            escalated.reasons
        );
        assert!(escalated.reasons.iter().any(|r| r.starts_with("overdue")));
        assert!(
            escalated
                .link
                .starts_with("http://x/api/v1/recommendations/")
        );
    }
}
