//! Status counts per period, rebuilt from history: what a burn-up chart plots. An item counts
//! from its creation, `not_started` until its first recorded status change.

use chrono::{Datelike, Duration, Months, NaiveDate};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Date, Text};
use serde::Serialize;
use utoipa::ToSchema;

use super::counts::StatusCounts;
use super::{Condition, STATUS_CHANGES_CTE, STATUSES, Scope, scoped_cte};
use crate::error::{Error, Result};

/// The length of one period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Interval {
    Day,
    /// Monday to Sunday.
    #[default]
    Week,
    Month,
}

impl Interval {
    pub const ALL: [Self; 3] = [Self::Day, Self::Week, Self::Month];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Day => "day",
            Self::Week => "week",
            Self::Month => "month",
        }
    }

    pub fn parse(raw: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|interval| interval.as_str() == raw)
            .ok_or_else(|| Error::invalid("interval", "use day, week or month"))
    }

    fn sql(self) -> &'static str {
        match self {
            Self::Day => "1 day",
            Self::Week => "1 week",
            Self::Month => "1 month",
        }
    }

    /// The start of the period holding `date`.
    fn floor(self, date: NaiveDate) -> NaiveDate {
        match self {
            Self::Day => date,
            Self::Week => date - Duration::days(i64::from(date.weekday().num_days_from_monday())),
            Self::Month => date.with_day(1).unwrap_or(date),
        }
    }

    /// The default span when `from` is not given: 30 days, 12 weeks or 12 months back.
    fn default_from(self, to: NaiveDate) -> NaiveDate {
        match self {
            Self::Day => to - Duration::days(29),
            Self::Week => to - Duration::weeks(11),
            Self::Month => to.checked_sub_months(Months::new(11)).unwrap_or(to),
        }
    }

    fn periods_between(self, from: NaiveDate, to: NaiveDate) -> i64 {
        let days = (to - from).num_days();
        match self {
            Self::Day => days + 1,
            Self::Week => days / 7 + 1,
            Self::Month => days / 28 + 1,
        }
    }
}

/// More periods than a chart can show are refused rather than computed.
pub const MAX_PERIODS: i64 = 400;

/// One period of the timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Period {
    /// First day of the period.
    pub start: NaiveDate,
    /// First day after the period.
    pub end: NaiveDate,
    /// Items that existed at the end of the period (or now, for the current one).
    pub total: i64,
    /// Where those items stood at the end of the period.
    pub status_counts: StatusCounts,
    /// Status changes made during the period.
    pub transitions: i64,
    /// The same changes by the status moved to.
    pub transitions_to: StatusCounts,
}

/// The whole timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(example = json!({"interval": "week", "from": "2026-09-07", "to": "2026-11-23", "periods": [
    {"start": "2026-11-16", "end": "2026-11-23", "total": 55,
     "status_counts": {"not_started": 31, "in_progress": 20, "partially_implemented": 4,
       "implemented": 0, "blocked": 0, "not_implemented": 0, "superseded": 0},
     "transitions": 3,
     "transitions_to": {"not_started": 0, "in_progress": 2, "partially_implemented": 1,
       "implemented": 0, "blocked": 0, "not_implemented": 0, "superseded": 0}}]}))]
pub struct Timeline {
    pub interval: String,
    /// Start of the first period (`from`, moved back to the start of its period).
    pub from: NaiveDate,
    /// The last day asked for; its period is the last one.
    pub to: NaiveDate,
    pub periods: Vec<Period>,
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Date)]
    period_start: NaiveDate,
    #[diesel(sql_type = Date)]
    period_end: NaiveDate,
    #[diesel(sql_type = BigInt)]
    total: i64,
    #[diesel(sql_type = Array<BigInt>)]
    standing: Vec<i64>,
    #[diesel(sql_type = BigInt)]
    transitions: i64,
    #[diesel(sql_type = Array<BigInt>)]
    moved: Vec<i64>,
}

/// Reads counts in the order of `STATUSES`, as the statement writes them.
fn status_counts(counts: &[i64]) -> StatusCounts {
    let mut n = counts.iter().copied();
    let mut next = || n.next().unwrap_or(0);
    StatusCounts {
        not_started: next(),
        in_progress: next(),
        partially_implemented: next(),
        implemented: next(),
        blocked: next(),
        not_implemented: next(),
        superseded: next(),
    }
}

fn per_status(column: &str) -> String {
    let counts: Vec<String> = STATUSES
        .iter()
        .map(|s| format!("count(*) FILTER (WHERE {column} = '{s}')"))
        .collect();
    format!("ARRAY[{}]", counts.join(", "))
}

/// Status counts per `interval` from `from` to `to` (inclusive) for the items in `scope`.
pub fn timeline(
    conn: &mut PgConnection,
    scope: &Scope,
    interval: Interval,
    from: Option<NaiveDate>,
    to: NaiveDate,
) -> Result<Timeline> {
    let from = interval.floor(from.unwrap_or_else(|| interval.default_from(to)));
    if from > to {
        return Err(Error::invalid("from", "must not be after `to`"));
    }
    if interval.periods_between(from, to) > MAX_PERIODS {
        return Err(Error::invalid(
            "from",
            format!("at most {MAX_PERIODS} periods; use a longer interval or a shorter span"),
        ));
    }
    let condition = Condition::of(scope);
    let n = condition.len();
    let (p_from, p_to, p_step) = (n + 1, n + 2, n + 3);
    let sql = format!(
        "WITH periods AS ( \
           SELECT p::date AS period_start, (p + ${p_step}::interval)::date AS period_end, \
             (p + ${p_step}::interval)::timestamp AT TIME ZONE 'UTC' AS end_at, \
             p::timestamp AT TIME ZONE 'UTC' AS start_at \
           FROM generate_series(${p_from}::date, ${p_to}::date, ${p_step}::interval) p), \
         {scoped}, {STATUS_CHANGES_CTE}, \
         spans AS ( \
           SELECT id, at, status, lead(at) OVER (PARTITION BY id ORDER BY at, seq) AS until \
           FROM changes), \
         standing AS ( \
           SELECT p.period_start, count(spans.id) AS total, {standing} AS standing \
           FROM periods p LEFT JOIN spans ON spans.at < p.end_at \
             AND (spans.until IS NULL OR spans.until >= p.end_at) \
           GROUP BY p.period_start), \
         moved AS ( \
           SELECT p.period_start, count(c.id) AS transitions, {moved} AS moved \
           FROM periods p LEFT JOIN changes c ON c.is_transition \
             AND c.at >= p.start_at AND c.at < p.end_at \
           GROUP BY p.period_start) \
         SELECT p.period_start, p.period_end, standing.total, standing.standing, \
           moved.transitions, moved.moved \
         FROM periods p JOIN standing USING (period_start) JOIN moved USING (period_start) \
         ORDER BY p.period_start",
        scoped = scoped_cte(&condition.sql),
        standing = per_status("spans.status"),
        moved = per_status("c.status"),
    );
    let rows: Vec<Row> = condition
        .query(sql)
        .bind::<Date, _>(from)
        .bind::<Date, _>(to)
        .bind::<Text, _>(interval.sql())
        .load(conn)?;
    Ok(Timeline {
        interval: match interval {
            Interval::Day => "day",
            Interval::Week => "week",
            Interval::Month => "month",
        }
        .to_owned(),
        from,
        to,
        periods: rows
            .into_iter()
            .map(|r| Period {
                start: r.period_start,
                end: r.period_end,
                total: r.total,
                status_counts: status_counts(&r.standing),
                transitions: r.transitions,
                transitions_to: status_counts(&r.moved),
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    #[test]
    fn periods_start_on_their_boundary() {
        assert_eq!(Interval::Week.floor(date("2026-11-26")), date("2026-11-23"));
        assert_eq!(Interval::Week.floor(date("2026-11-23")), date("2026-11-23"));
        assert_eq!(
            Interval::Month.floor(date("2026-11-26")),
            date("2026-11-01")
        );
        assert_eq!(Interval::Day.floor(date("2026-11-26")), date("2026-11-26"));
    }

    #[test]
    fn defaults_cover_twelve_periods() {
        let to = date("2026-11-23");
        let from = Interval::Week.floor(Interval::Week.default_from(to));
        assert_eq!(Interval::Week.periods_between(from, to), 12);
        assert_eq!(
            Interval::Day.periods_between(Interval::Day.default_from(to), to),
            30
        );
    }

    #[test]
    fn counts_are_read_in_workflow_order() {
        let c = status_counts(&[1, 2, 3, 4, 5, 6, 7]);
        assert_eq!((c.not_started, c.implemented, c.superseded), (1, 4, 7));
    }
}
