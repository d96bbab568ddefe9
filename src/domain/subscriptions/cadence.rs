//! When a subscription is due: daily or weekly, at an hour in its own time zone. Like digests,
//! only the latest period is sent when several were missed.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// How often a subscription sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    Daily,
    Weekly,
}

impl Frequency {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Daily => "daily",
            Self::Weekly => "weekly",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Daily, Self::Weekly]
            .into_iter()
            .find(|f| f.as_str() == raw)
    }
}

/// A day of the week, as the API names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Day {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

const DAYS: [Day; 7] = [
    Day::Monday,
    Day::Tuesday,
    Day::Wednesday,
    Day::Thursday,
    Day::Friday,
    Day::Saturday,
    Day::Sunday,
];

impl Day {
    /// ISO number, Monday 1 (as stored).
    pub fn number(self) -> i16 {
        DAYS.iter()
            .position(|d| *d == self)
            .and_then(|i| i16::try_from(i + 1).ok())
            .unwrap_or(1)
    }

    pub fn from_number(n: i16) -> Option<Self> {
        usize::try_from(n)
            .ok()
            .and_then(|n| n.checked_sub(1))
            .and_then(|i| DAYS.get(i).copied())
    }

    fn weekday(self) -> Weekday {
        match self {
            Self::Monday => Weekday::Mon,
            Self::Tuesday => Weekday::Tue,
            Self::Wednesday => Weekday::Wed,
            Self::Thursday => Weekday::Thu,
            Self::Friday => Weekday::Fri,
            Self::Saturday => Weekday::Sat,
            Self::Sunday => Weekday::Sun,
        }
    }
}

/// When a subscription sends, parsed once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cadence {
    pub frequency: Frequency,
    /// Weekly subscriptions only.
    pub day: Option<Day>,
    pub hour: u32,
    pub zone: Tz,
}

/// A period that opened: its moment and the local date that names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Opened {
    pub at: DateTime<Utc>,
    pub day: NaiveDate,
}

impl Cadence {
    /// Checks what a caller sent: a weekly cadence takes a day (Monday when not given), a daily
    /// one none; the hour is 0-23; the zone an IANA name.
    pub fn new(frequency: Frequency, day: Option<Day>, hour: u32, zone: &str) -> Result<Self> {
        let day = match (frequency, day) {
            (Frequency::Weekly, day) => Some(day.unwrap_or(Day::Monday)),
            (Frequency::Daily, None) => None,
            (Frequency::Daily, Some(_)) => {
                return Err(Error::invalid(
                    "weekday",
                    "only weekly subscriptions take a day",
                ));
            }
        };
        if hour > 23 {
            return Err(Error::invalid("hour", "must be 0 to 23"));
        }
        let zone = zone.parse::<Tz>().map_err(|_| {
            Error::invalid("time_zone", "must be an IANA time zone, e.g. Europe/London")
        })?;
        Ok(Self {
            frequency,
            day,
            hour,
            zone,
        })
    }

    /// The latest moment this cadence opened a period at or before `now`.
    pub fn latest(&self, now: DateTime<Utc>) -> Option<Opened> {
        let today = now.with_timezone(&self.zone).date_naive();
        (0..=8).find_map(|back| {
            let day = today - Duration::days(back);
            if self.day.is_some_and(|d| d.weekday() != day.weekday()) {
                return None;
            }
            let at = self.moment(day)?;
            (at <= now).then_some(Opened { at, day })
        })
    }

    /// `hour:00` on `day` in the zone; in a spring-forward gap, the first moment after it.
    fn moment(&self, day: NaiveDate) -> Option<DateTime<Utc>> {
        (self.hour..self.hour + 2).find_map(|hour| {
            let local = day.and_hms_opt(hour.min(23), 0, 0)?;
            self.zone
                .from_local_datetime(&local)
                .earliest()
                .map(|t| t.with_timezone(&Utc))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0)
            .single()
            .expect("a time")
    }

    #[test]
    fn weekly_on_a_day_at_an_hour_in_its_own_zone() {
        let cadence =
            Cadence::new(Frequency::Weekly, Some(Day::Wednesday), 9, "Asia/Tokyo").expect("valid");
        // Friday 2026-12-04 12:00 UTC: Wednesday 09:00 in Tokyo was 00:00 UTC on the 2nd.
        let opened = cadence.latest(at(2026, 12, 4, 12, 0)).expect("opened");
        assert_eq!(opened.at, at(2026, 12, 2, 0, 0));
        assert_eq!(opened.day.to_string(), "2026-12-02");
        // A minute before that moment, the period of the week before was the latest.
        let before = cadence.latest(at(2026, 12, 1, 23, 59)).expect("opened");
        assert_eq!(before.day.to_string(), "2026-11-25");
    }

    #[test]
    fn daily_at_an_hour_rolls_over_at_that_hour() {
        let cadence = Cadence::new(Frequency::Daily, None, 8, "Europe/London").expect("valid");
        assert_eq!(
            cadence
                .latest(at(2026, 12, 4, 7, 59))
                .map(|o| o.day.to_string()),
            Some("2026-12-03".to_owned())
        );
        assert_eq!(
            cadence.latest(at(2026, 12, 4, 8, 0)).map(|o| o.at),
            Some(at(2026, 12, 4, 8, 0))
        );
    }

    #[test]
    fn an_hour_lost_to_summer_time_opens_at_the_next_hour() {
        // Europe/London skipped 01:00-02:00 on 2026-03-29.
        let cadence = Cadence::new(Frequency::Daily, None, 1, "Europe/London").expect("valid");
        let opened = cadence.latest(at(2026, 3, 29, 12, 0)).expect("opened");
        assert_eq!(opened.at, at(2026, 3, 29, 1, 0));
        assert_eq!(opened.day.to_string(), "2026-03-29");
    }

    #[test]
    fn what_a_caller_may_not_ask_for_is_refused_by_field() {
        let field = |r: Result<Cadence>| match r {
            Err(Error::Invalid { field, .. }) => field,
            other => format!("{other:?}"),
        };
        assert_eq!(
            field(Cadence::new(Frequency::Daily, Some(Day::Friday), 8, "UTC")),
            "weekday"
        );
        assert_eq!(
            field(Cadence::new(Frequency::Daily, None, 24, "UTC")),
            "hour"
        );
        assert_eq!(
            field(Cadence::new(Frequency::Weekly, None, 8, "Mars/Olympus")),
            "time_zone"
        );
        let weekly = Cadence::new(Frequency::Weekly, None, 8, "UTC").expect("valid");
        assert_eq!(weekly.day, Some(Day::Monday));
        assert_eq!(Day::from_number(Day::Sunday.number()), Some(Day::Sunday));
        assert_eq!(Day::from_number(0), None);
    }
}
