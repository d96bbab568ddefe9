//! Composing is pure, so these need no database.

use super::*;
use crate::db::enums::{Response, Role};

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
        status: Status::InProgress,
        response: Response::Accepted,
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
        escalated_at: None,
        recipient_role: Role::Manager,
    }
}

struct Signer;
impl LinkSigner for Signer {
    fn sign(&self, _: Uuid, item: Option<Uuid>, action: LinkAction) -> String {
        format!("signed:{}:{}", action.as_str(), item.is_some())
    }
}

#[test]
fn a_digest_counts_buckets_and_puts_the_most_urgent_first_in_each_report() {
    let me = Uuid::new_v4();
    let rows = vec![
        row(me, "b", "b/1", 70, true, false, 0),
        row(me, "a", "a/1", 50, true, false, 1),
        row(me, "a", "a/2", 20, false, true, 0),
        row(me, "a", "a/3", 90, true, false, 0),
    ];
    let empty = HashMap::new();
    let previous: HashMap<Uuid, Vec<Uuid>> =
        HashMap::from([(me, vec![rows[0].item_id, Uuid::new_v4()])]);
    let rules = StallRules {
        pending: 30,
        accepted: 60,
        in_progress: 45,
        blocked: 14,
        partially_implemented: 60,
    };
    let ctx = Context {
        now: Utc::now(),
        base_url: "http://x",
        rules: &rules,
        period: "daily digest 2026-12-01",
        owners: &empty,
        last_activity: &HashMap::new(),
        previous: &previous,
        signer: Some(&Signer),
    };
    let digests = compose(rows, Vec::new(), &ctx);
    assert_eq!(digests.len(), 1);
    let d = &digests[0];
    assert_eq!(
        d.subject,
        "[recotrack] 3 stalled, 1 overdue: daily digest 2026-12-01"
    );
    assert_eq!(
        (d.stalled_14_to_29, d.stalled_30_to_59, d.stalled_60_plus),
        (0, 1, 2)
    );
    assert_eq!((d.newly_in, d.resolved), (3, 1));
    let keys: Vec<Vec<&str>> = d
        .groups
        .iter()
        .map(|g| g.items.iter().map(|i| i.key.as_str()).collect())
        .collect();
    assert_eq!(keys, [vec!["a/2", "a/3", "a/1"], vec!["b/1"]]);
    let escalated = &d.groups[0].items[2];
    assert_eq!(escalated.status_label, "In progress");
    assert_eq!(escalated.link, "http://x/app/items/a/1");
    assert_eq!(
        escalated.reasons[1],
        format!(
            "Escalated to managers (step 1) on {}: stalled 5 days past its rule",
            Utc::now().date_naive()
        )
    );
    let actions: Vec<&str> = escalated.actions.iter().map(|a| a.url.as_str()).collect();
    assert_eq!(actions, ["signed:acknowledge:true", "signed:snooze:true"]);
    assert_eq!(
        d.unsubscribe_link.as_deref(),
        Some("signed:unsubscribe:false")
    );
}
