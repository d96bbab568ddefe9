//! Stalled and overdue: computed from an item's state, never stored, so a rule change applies
//! everywhere at once. `sql_stalled` and `assess` must agree; a test checks they do.

use chrono::{DateTime, NaiveDate, Utc};

use crate::config::StallRules;
use crate::db::enums::{Response, Status};
use crate::domain::workflow::{is_agreed, is_closed};

/// The rule that applies to an item where it stands, and its threshold in days.
pub fn rule(rules: &StallRules, response: Response, status: Status) -> (&'static str, u32) {
    match status {
        Status::InProgress => ("in_progress", rules.in_progress),
        Status::Blocked => ("blocked", rules.blocked),
        Status::PartiallyImplemented => ("partially_implemented", rules.partially_implemented),
        _ if is_agreed(response) => ("accepted", rules.accepted),
        _ => ("pending", rules.pending),
    }
}

/// What the rules say about one item now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Assessment {
    pub stalled: bool,
    pub overdue: bool,
    /// Whole days since the last activity by a person.
    pub idle_days: i64,
    /// The rule applied (`in_progress`, `blocked`, ...) and its threshold.
    pub rule: &'static str,
    pub threshold_days: u32,
}

/// The inputs of an assessment.
#[derive(Debug, Clone, Copy)]
pub struct Facts {
    pub response: Response,
    pub status: Status,
    pub last_activity_at: DateTime<Utc>,
    pub due_date: Option<NaiveDate>,
    pub snoozed_until: Option<NaiveDate>,
}

impl Facts {
    /// What the rule reads of an item's row: the one place a row becomes the rule's input.
    pub fn of(rec: &crate::db::models::Recommendation) -> Self {
        Self {
            response: rec.response,
            status: rec.status,
            last_activity_at: rec.last_activity_at,
            due_date: rec.due_date,
            snoozed_until: rec.snoozed_until,
        }
    }
}

/// Assesses one item at `now`.
pub fn assess(rules: &StallRules, facts: Facts, now: DateTime<Utc>) -> Assessment {
    let (rule, threshold_days) = rule(rules, facts.response, facts.status);
    let closed = is_closed(facts.response, facts.status);
    let today = now.date_naive();
    let snoozed = facts.snoozed_until.is_some_and(|until| until >= today);
    let idle = now - facts.last_activity_at;
    Assessment {
        stalled: !closed && !snoozed && idle > chrono::Duration::days(i64::from(threshold_days)),
        overdue: !closed && facts.due_date.is_some_and(|due| due < today),
        idle_days: idle.num_days(),
        rule,
        threshold_days,
    }
}

/// [`rule`] as a SQL `CASE` over a row of `recommendations`, each rule's threshold written by
/// `value` (days, or a cutoff time).
fn sql_by_rule(rules: &StallRules, value: impl Fn(u32) -> String) -> String {
    format!(
        "(CASE WHEN recommendations.status = 'in_progress' THEN {} \
           WHEN recommendations.status = 'blocked' THEN {} \
           WHEN recommendations.status = 'partially_implemented' THEN {} \
           WHEN recommendations.response IN ('accepted', 'accepted_in_principle') THEN {} \
           ELSE {} END)",
        value(rules.in_progress),
        value(rules.blocked),
        value(rules.partially_implemented),
        value(rules.accepted),
        value(rules.pending),
    )
}

/// The threshold in days that applies to a row of `recommendations`, as SQL.
pub fn sql_threshold(rules: &StallRules) -> String {
    sql_by_rule(rules, |days| days.to_string())
}

/// The same judgement as SQL over `recommendations`, for filters and set-based selections.
/// It opens with a plain bound on `last_activity_at` (the smallest threshold) so the index on
/// that column narrows a large table before the per-state threshold is evaluated. The cutoffs
/// are constants computed here, so a scan of a million rows compares timestamps rather than
/// doing interval arithmetic on each.
pub fn sql_stalled(rules: &StallRules) -> String {
    sql_stalled_at(rules, Utc::now())
}

fn cutoff(now: DateTime<Utc>, days: u32) -> String {
    let at = now - chrono::Duration::days(i64::from(days));
    format!("TIMESTAMPTZ '{}'", at.format("%Y-%m-%d %H:%M:%S%.6f+00"))
}

fn sql_stalled_at(rules: &StallRules, now: DateTime<Utc>) -> String {
    let shortest = [
        rules.pending,
        rules.accepted,
        rules.in_progress,
        rules.blocked,
        rules.partially_implemented,
    ]
    .into_iter()
    .min()
    .unwrap_or(1);
    format!(
        "(recommendations.last_activity_at < {shortest} \
         AND NOT {SQL_CLOSED} AND (recommendations.snoozed_until IS NULL OR recommendations.snoozed_until < DATE '{today}') \
         AND recommendations.last_activity_at < {cutoffs})",
        shortest = cutoff(now, shortest),
        today = now.date_naive(),
        cutoffs = sql_by_rule(rules, |days| cutoff(now, days)),
    )
}

/// Overdue, as SQL (today in UTC, as [`assess`] sees it).
pub fn sql_overdue() -> String {
    format!(
        "(recommendations.due_date < DATE '{}' AND NOT {SQL_CLOSED})",
        Utc::now().date_naive()
    )
}

/// Target `t` is overdue: past its due date with its figure not reached, as SQL (today in UTC,
/// as `domain::targets::overdue` sees it).
pub fn sql_target_late() -> String {
    format!(
        "(t.due_date < DATE '{}' AND (t.figure IS NULL OR t.progress < t.figure))",
        Utc::now().date_naive()
    )
}

/// The earliest overdue target of the item, as `text (due YYYY-MM-DD)`, or NULL; as SQL.
pub fn sql_overdue_target() -> String {
    format!(
        "(SELECT t.text || ' (due ' || t.due_date::text || ')' FROM targets t \
          WHERE t.recommendation_id = recommendations.id AND {} \
          ORDER BY t.due_date, t.ordinal LIMIT 1)",
        sql_target_late()
    )
}

/// Implemented with no accepted evidence left behind it (withdrawn, rejected or edited after
/// the item was marked implemented), as SQL. Such an item is reported until a person acts.
pub const SQL_LAPSED: &str = "(recommendations.status = 'implemented' \
                              AND recommendations.evidence_stage <> 'verified')";

const SQL_CLOSED: &str = "(recommendations.response = 'rejected' OR recommendations.status IN \
                          ('implemented', 'not_implemented', 'superseded'))";

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: StallRules = StallRules {
        pending: 30,
        accepted: 30,
        in_progress: 45,
        blocked: 14,
        partially_implemented: 60,
    };

    fn facts(response: Response, status: Status, idle_days: i64) -> Facts {
        Facts {
            response,
            status,
            last_activity_at: Utc::now() - chrono::Duration::days(idle_days),
            due_date: None,
            snoozed_until: None,
        }
    }

    #[test]
    fn each_state_uses_its_own_threshold() {
        let now = Utc::now();
        let blocked = assess(&RULES, facts(Response::Accepted, Status::Blocked, 15), now);
        assert!(blocked.stalled);
        assert_eq!(blocked.rule, "blocked");
        assert!(
            !assess(
                &RULES,
                facts(Response::Accepted, Status::InProgress, 15),
                now
            )
            .stalled
        );
        assert!(
            assess(
                &RULES,
                facts(Response::Accepted, Status::InProgress, 46),
                now
            )
            .stalled
        );
        assert_eq!(
            assess(
                &RULES,
                facts(Response::Accepted, Status::NotStarted, 1),
                now
            )
            .rule,
            "accepted"
        );
        assert_eq!(
            assess(&RULES, facts(Response::Pending, Status::NotStarted, 1), now).rule,
            "pending"
        );
    }

    #[test]
    fn closed_items_never_stall_nor_fall_overdue() {
        let now = Utc::now();
        let mut done = facts(Response::Accepted, Status::Implemented, 400);
        done.due_date = Some(now.date_naive() - chrono::Duration::days(10));
        let a = assess(&RULES, done, now);
        assert!(!a.stalled && !a.overdue);
        assert!(
            !assess(
                &RULES,
                facts(Response::Rejected, Status::NotStarted, 400),
                now
            )
            .stalled
        );
    }

    #[test]
    fn snoozed_items_wait_and_late_items_are_overdue() {
        let now = Utc::now();
        let mut snoozed = facts(Response::Accepted, Status::Blocked, 100);
        snoozed.snoozed_until = Some(now.date_naive());
        assert!(!assess(&RULES, snoozed, now).stalled);
        let mut late = facts(Response::Accepted, Status::InProgress, 1);
        late.due_date = Some(now.date_naive() - chrono::Duration::days(1));
        assert!(assess(&RULES, late, now).overdue);
    }
}
