//! Which digest period is due: the latest scheduled time not after now, in the configured zone.
//! Only the latest is sent when several were missed: one catch-up, not a flood of old news.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use cron::Schedule;

use crate::config::DigestSettings;
use crate::db::enums::DigestFrequency;

/// The schedules, parsed once.
#[derive(Debug, Clone)]
pub struct Schedules {
    weekly: Schedule,
    daily: Schedule,
    zone: Tz,
}

/// A digest period: its frequency and the scheduled moment that opened it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    pub frequency: DigestFrequency,
    pub at: DateTime<Utc>,
    /// `weekly:2026-11-23`: the unique key of the period (the local date of its moment).
    pub key: String,
}

impl Schedules {
    /// The configured schedules (parsed when the settings loaded).
    pub fn new(settings: &DigestSettings) -> Self {
        Self {
            weekly: settings.weekly_schedule.clone(),
            daily: settings.daily_schedule.clone(),
            zone: settings.timezone,
        }
    }

    /// The latest period of `frequency` that opened at or before `now`, if any in the last year.
    pub fn latest(&self, frequency: DigestFrequency, now: DateTime<Utc>) -> Option<Period> {
        let schedule = match frequency {
            DigestFrequency::Weekly => &self.weekly,
            DigestFrequency::Daily => &self.daily,
            DigestFrequency::Off => return None,
        };
        let local_now = now.with_timezone(&self.zone);
        let from = local_now - chrono::Duration::days(366);
        let at = schedule
            .after(&from)
            .take_while(|t| *t <= local_now)
            .last()?;
        let prefix = match frequency {
            DigestFrequency::Weekly => "weekly",
            _ => "daily",
        };
        Some(Period {
            frequency,
            at: at.with_timezone(&Utc),
            key: format!("{prefix}:{}", at.date_naive()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn settings(zone: &str) -> DigestSettings {
        DigestSettings {
            enabled: true,
            weekly_schedule: "0 0 8 * * Mon".parse().expect("weekly"),
            daily_schedule: "0 0 8 * * *".parse().expect("daily"),
            timezone: zone.parse().expect("zone"),
            tick_secs: 30,
            manager_after_days: 7,
            admin_after_days: 21,
            retry_base_secs: 60,
            max_attempts: 8,
            resend_after_secs: 21_600,
        }
    }

    #[test]
    fn the_latest_monday_morning_is_due() {
        let schedules = Schedules::new(&settings("UTC"));
        // Wednesday 2026-11-25 12:00 UTC: the period opened Monday 2026-11-23 08:00.
        let now = Utc
            .with_ymd_and_hms(2026, 11, 25, 12, 0, 0)
            .single()
            .expect("time");
        let period = schedules
            .latest(DigestFrequency::Weekly, now)
            .expect("a period");
        assert_eq!(period.key, "weekly:2026-11-23");
        assert_eq!(
            period.at,
            Utc.with_ymd_and_hms(2026, 11, 23, 8, 0, 0)
                .single()
                .expect("time")
        );
        // Monday 07:59 still belongs to the week before.
        let early = Utc
            .with_ymd_and_hms(2026, 11, 23, 7, 59, 0)
            .single()
            .expect("time");
        assert_eq!(
            schedules
                .latest(DigestFrequency::Weekly, early)
                .expect("p")
                .key,
            "weekly:2026-11-16"
        );
        assert_eq!(
            schedules
                .latest(DigestFrequency::Daily, now)
                .expect("p")
                .key,
            "daily:2026-11-25"
        );
        assert!(schedules.latest(DigestFrequency::Off, now).is_none());
    }

    #[test]
    fn schedules_are_read_in_the_configured_zone() {
        let schedules = Schedules::new(&settings("Asia/Shanghai"));
        // 08:00 in Shanghai is 00:00 UTC.
        let now = Utc
            .with_ymd_and_hms(2026, 11, 23, 0, 30, 0)
            .single()
            .expect("time");
        let period = schedules.latest(DigestFrequency::Weekly, now).expect("p");
        assert_eq!(
            period.at,
            Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0)
                .single()
                .expect("time")
        );
    }
}
