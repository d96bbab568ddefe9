//! The range of dates and times the service accepts. PostgreSQL stores far more (4713 BC to
//! AD 5874897) but refuses some of what chrono parses, and nothing this service tracks lies
//! outside these two centuries: a date beyond them is a typo, answered 422 naming the field.

use chrono::{DateTime, NaiveDate, Utc};

use crate::error::{Error, Result};

/// The earliest date accepted.
pub const EARLIEST: NaiveDate = match NaiveDate::from_ymd_opt(1900, 1, 1) {
    Some(date) => date,
    None => NaiveDate::MIN,
};
/// The latest date accepted.
pub const LATEST: NaiveDate = match NaiveDate::from_ymd_opt(2200, 12, 31) {
    Some(date) => date,
    None => NaiveDate::MAX,
};

fn out_of_range(field: &str) -> Error {
    Error::invalid(field, "must be between 1900-01-01 and 2200-12-31")
}

/// `date`, if it lies in the accepted range.
pub fn date(field: &str, date: NaiveDate) -> Result<NaiveDate> {
    if (EARLIEST..=LATEST).contains(&date) {
        Ok(date)
    } else {
        Err(out_of_range(field))
    }
}

/// An optional date, checked when present.
pub fn optional(field: &str, value: Option<NaiveDate>) -> Result<Option<NaiveDate>> {
    value.map(|d| date(field, d)).transpose()
}

/// A timestamp, if its day lies in the accepted range.
pub fn time(field: &str, at: DateTime<Utc>) -> Result<DateTime<Utc>> {
    date(field, at.date_naive()).map(|_| at)
}

/// How much of a date a source gives.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    Day,
    Month,
    Year,
}

impl Precision {
    pub fn as_str(self) -> &'static str {
        match self {
            Precision::Day => "day",
            Precision::Month => "month",
            Precision::Year => "year",
        }
    }
}

/// A date as precise as its source: `2017`, `2017-05` or `2017-05-12`. Kept as the first day
/// of the period and its precision, and written back the way it was given: no invented days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartialDate {
    pub first_day: NaiveDate,
    pub precision: Precision,
}

impl PartialDate {
    /// Parses `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, within the accepted range.
    pub fn parse(field: &str, raw: &str) -> Result<Self> {
        let bad = || Error::invalid(field, "must be a date as YYYY, YYYY-MM or YYYY-MM-DD");
        let parts: Vec<&str> = raw.trim().split('-').collect();
        let number = |s: &str, len: usize| -> Result<u32> {
            if s.len() == len && s.bytes().all(|b| b.is_ascii_digit()) {
                s.parse().map_err(|_| bad())
            } else {
                Err(bad())
            }
        };
        let (year, month, day, precision) = match parts.as_slice() {
            [y] => (number(y, 4)?, 1, 1, Precision::Year),
            [y, m] => (number(y, 4)?, number(m, 2)?, 1, Precision::Month),
            [y, m, d] => (number(y, 4)?, number(m, 2)?, number(d, 2)?, Precision::Day),
            _ => return Err(bad()),
        };
        let year = i32::try_from(year).map_err(|_| bad())?;
        let first_day = NaiveDate::from_ymd_opt(year, month, day).ok_or_else(bad)?;
        Ok(Self {
            first_day: date(field, first_day)?,
            precision,
        })
    }

    /// The last day of the period: "by 2030" means by 2030-12-31.
    pub fn last_day(&self) -> NaiveDate {
        let next = match self.precision {
            Precision::Day => return self.first_day,
            Precision::Month => self.first_day.checked_add_months(chrono::Months::new(1)),
            Precision::Year => self.first_day.checked_add_months(chrono::Months::new(12)),
        };
        next.and_then(|d| d.pred_opt()).unwrap_or(self.first_day)
    }

    /// A stored date and precision; a missing or unknown precision reads as a whole day.
    pub fn stored(first_day: NaiveDate, precision: Option<&str>) -> Self {
        let precision = match precision {
            Some("month") => Precision::Month,
            Some("year") => Precision::Year,
            _ => Precision::Day,
        };
        Self {
            first_day,
            precision,
        }
    }
}

impl std::fmt::Display for PartialDate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.precision {
            Precision::Day => write!(f, "{}", self.first_day.format("%Y-%m-%d")),
            Precision::Month => write!(f, "{}", self.first_day.format("%Y-%m")),
            Precision::Year => write!(f, "{}", self.first_day.format("%Y")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_dates_keep_their_precision() {
        let month = PartialDate::parse("published_on", "2017-05").expect("month");
        assert_eq!(month.first_day.to_string(), "2017-05-01");
        assert_eq!(month.precision, Precision::Month);
        assert_eq!(month.to_string(), "2017-05");
        assert_eq!(
            PartialDate::parse("p", "2019").expect("year").to_string(),
            "2019"
        );
        assert_eq!(
            PartialDate::parse("p", "2019-04-22")
                .expect("day")
                .to_string(),
            "2019-04-22"
        );
        for bad in [
            "2017-5",
            "May 2017",
            "2017-13",
            "2017-02-30",
            "1899",
            "20170",
            "",
        ] {
            assert!(PartialDate::parse("p", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_range_is_two_centuries_inclusive() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("date");
        assert!(date("d", day(1900, 1, 1)).is_ok());
        assert!(date("d", day(2200, 12, 31)).is_ok());
        assert!(date("d", day(1899, 12, 31)).is_err());
        assert!(date("d", day(2201, 1, 1)).is_err());
        assert!(date("d", day(-4714, 1, 1)).is_err());
        let Err(Error::Invalid { field, .. }) = date("due_before", day(-200_000, 1, 1)) else {
            panic!("out of range must be invalid");
        };
        assert_eq!(field, "due_before");
    }
}
