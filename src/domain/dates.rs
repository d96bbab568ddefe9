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

#[cfg(test)]
mod tests {
    use super::*;

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
