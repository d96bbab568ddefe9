//! A list's criteria as words (statuses by name, a report by key, `owner: "me"`), parsed into a
//! [`Filter`] and [`Sort`] in one place for the list API, its CSV export, the web pages, saved
//! views and the subscriptions the scheduler sends.

use chrono::NaiveDate;
use diesel::PgConnection;
use serde::Deserialize;
use uuid::Uuid;

use super::list::{Filter, Sort};
use crate::db::enums::{Priority, Response, Status};
use crate::domain::lookup::Named;
use crate::domain::{dates, reports};
use crate::error::{Error, Result};

/// The filters and sort of a list, as sent or as a saved view keeps them.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Criteria {
    pub status: Option<String>,
    pub response: Option<String>,
    pub report: Option<String>,
    pub owner: Option<String>,
    pub team: Option<String>,
    pub theme: Option<String>,
    pub priority: Option<Priority>,
    pub due_before: Option<NaiveDate>,
    pub due_after: Option<NaiveDate>,
    pub stalled: Option<bool>,
    pub overdue: Option<bool>,
    pub q: Option<String>,
    pub sort: Option<String>,
}

fn csv<T: serde::de::DeserializeOwned>(field: &str, raw: Option<&str>) -> Result<Vec<T>> {
    raw.map(|list| {
        list.split(',')
            .filter(|s| !s.trim().is_empty())
            .map(|s| {
                serde_json::from_value(serde_json::Value::String(s.trim().to_owned())).map_err(
                    |_| Error::invalid(field, format!("`{}` is not a valid value", s.trim())),
                )
            })
            .collect()
    })
    .unwrap_or_else(|| Ok(Vec::new()))
}

impl Criteria {
    /// The filter, with what is named by key, email or name still to resolve ([`resolved`]).
    pub fn filter(&self) -> Result<Filter> {
        Ok(Filter {
            statuses: csv::<Status>("status", self.status.as_deref())?,
            responses: csv::<Response>("response", self.response.as_deref())?,
            report_id: None,
            owner: None,
            team: None,
            theme: self.theme.clone(),
            priority: self.priority,
            due_before: dates::optional("due_before", self.due_before)?,
            due_after: dates::optional("due_after", self.due_after)?,
            stalled: self.stalled,
            overdue: self.overdue,
            q: self.q.clone(),
        })
    }

    pub fn named(&self) -> Named {
        Named {
            report: self.report.clone(),
            owner: self.owner.clone(),
            team: self.team.clone(),
        }
    }

    pub fn sort(&self) -> Result<Sort> {
        Sort::parse(self.sort.as_deref().unwrap_or("ordinal"))
    }

    /// Filter and sort with every name resolved, as `caller` (who `owner: "me"` is) sees them.
    pub fn resolve(&self, conn: &mut PgConnection, caller: Option<Uuid>) -> Result<(Filter, Sort)> {
        let sort = self.sort()?;
        let filter = resolved(conn, self.filter()?, &self.named(), None, caller)?;
        Ok((filter, sort))
    }
}

/// `filter` with the names in `named` resolved; `report`, when given, is the report the path
/// names (and must exist).
pub fn resolved(
    conn: &mut PgConnection,
    mut filter: Filter,
    named: &Named,
    report: Option<Uuid>,
    caller: Option<Uuid>,
) -> Result<Filter> {
    let ids = named.resolve(conn, caller)?;
    filter.report_id = report.or(ids.report);
    filter.owner = ids.owner;
    filter.team = ids.team;
    if let Some(report) = report {
        reports::get(conn, report)?;
    }
    Ok(filter)
}
