//! Why an item is in a digest, one sentence per reason. The text and HTML bodies, the preview
//! and the API all print these lines, so what a person reads is said once, here. Every number
//! comes from the row: a reason never counts below zero or names a rule that did not apply.

use chrono::{DateTime, Utc};

use super::Qualifying;
use crate::domain::{labels, stall};

/// The configured thresholds, so the rule named is the one applied.
pub fn reasons(
    row: &Qualifying,
    rules: &crate::config::StallRules,
    now: DateTime<Utc>,
) -> Vec<String> {
    let idle_days = (now - row.last_activity_at).num_days().max(0);
    let (rule, threshold) = stall::rule(rules, row.response, row.status);
    let past = idle_days - i64::from(threshold);
    let mut out = Vec::new();
    if row.stalled {
        out.push(format!(
            "Stalled: no activity for {idle_days} days; the rule for items {} allows {threshold}",
            labels::stall_rule(rule)
        ));
    }
    if row.overdue
        && let Some(due) = row.due_date
    {
        let late = (now.date_naive() - due).num_days().max(1);
        out.push(format!(
            "Overdue: it was due on {due}, {late} {} ago",
            days(late)
        ));
    }
    if let Some(target) = &row.overdue_target {
        out.push(format!("A target is overdue: {target}"));
    }
    if row.lapsed {
        out.push(
            "Evidence withdrawn: marked implemented, but no accepted evidence remains behind it"
                .to_owned(),
        );
    }
    let role = match row.step {
        1 => "managers",
        2 => "admins",
        _ => return out,
    };
    // Escalation is a stall that outlasted its rule; anything else reaches a manager by duty.
    if row.stalled && past > 0 {
        let on = row.escalated_at.unwrap_or(now).date_naive();
        out.push(format!(
            "Escalated to {role} (step {}) on {on}: stalled {past} {} past its rule",
            row.step,
            days(past)
        ));
    } else if row.step == 1 {
        let why = if row.overdue {
            "it is overdue"
        } else if row.overdue_target.is_some() {
            "a target is overdue"
        } else if row.lapsed {
            "it is implemented without accepted evidence"
        } else {
            "it has no owner"
        };
        out.push(format!(
            "You see it as a manager of its report or team because {why}"
        ));
    }
    out
}

fn days(n: i64) -> &'static str {
    if n == 1 { "day" } else { "days" }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::enums::{Response, Status};
    use chrono::{Duration, TimeZone};
    use uuid::Uuid;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 3, 9, 0, 0)
            .single()
            .expect("time")
    }

    fn row(status: Status, response: Response, idle: i64, step: i32) -> Qualifying {
        Qualifying {
            recipient_id: Uuid::nil(),
            recipient_email: "m@example.org".into(),
            recipient_name: "M".into(),
            step,
            item_id: Uuid::nil(),
            key: "r/01".into(),
            title: "T".into(),
            status,
            response,
            report_key: "r".into(),
            report_title: "R".into(),
            due_date: None,
            last_activity_at: now() - Duration::days(idle),
            status_changed_at: now() - Duration::days(idle),
            stalled: false,
            overdue: false,
            lapsed: false,
            overdue_target: None,
            threshold_days: 0,
            escalated_at: None,
            recipient_role: crate::db::enums::Role::Manager,
        }
    }

    fn rules() -> crate::config::StallRules {
        crate::config::StallRules {
            pending: 30,
            accepted: 60,
            in_progress: 45,
            blocked: 14,
            partially_implemented: 60,
        }
    }

    #[test]
    fn a_pending_item_names_the_pending_rule() {
        let mut r = row(Status::NotStarted, Response::Pending, 40, 0);
        r.stalled = true;
        assert_eq!(
            reasons(&r, &rules(), now()),
            ["Stalled: no activity for 40 days; the rule for items awaiting a response allows 30"]
        );
    }

    #[test]
    fn an_overdue_item_a_manager_sees_is_not_called_escalated() {
        let mut r = row(Status::InProgress, Response::Accepted, 3, 1);
        r.overdue = true;
        r.due_date = Some(chrono::NaiveDate::from_ymd_opt(2026, 11, 30).expect("date"));
        assert_eq!(
            reasons(&r, &rules(), now()),
            [
                "Overdue: it was due on 2026-11-30, 3 days ago",
                "You see it as a manager of its report or team because it is overdue",
            ]
        );
    }

    #[test]
    fn an_escalation_says_its_step_its_date_and_how_far_past_the_rule() {
        let mut r = row(Status::InProgress, Response::Accepted, 60, 1);
        r.stalled = true;
        r.escalated_at = Some(
            Utc.with_ymd_and_hms(2026, 11, 20, 7, 0, 0)
                .single()
                .expect("t"),
        );
        assert_eq!(
            reasons(&r, &rules(), now()),
            [
                "Stalled: no activity for 60 days; the rule for items in progress allows 45",
                "Escalated to managers (step 1) on 2026-11-20: stalled 15 days past its rule",
            ]
        );
        let mut admin = r.clone();
        admin.step = 2;
        admin.escalated_at = None;
        assert_eq!(
            reasons(&admin, &rules(), now())[1],
            "Escalated to admins (step 2) on 2026-12-03: stalled 15 days past its rule"
        );
    }

    #[test]
    fn a_lapsed_item_says_its_evidence_is_gone() {
        let mut r = row(Status::Implemented, Response::Accepted, 2, 0);
        r.lapsed = true;
        assert_eq!(
            reasons(&r, &rules(), now()),
            ["Evidence withdrawn: marked implemented, but no accepted evidence remains behind it"]
        );
    }
}
