//! Evidence that an item is being done: submitted by owners, reviewed by managers. An item's
//! `evidence_stage` and `evidence_as_of` are derived from it here, in the same transaction.

use chrono::{NaiveDate, Utc};
use diesel::prelude::*;
use serde_json::json;
use uuid::Uuid;

use crate::db::enums::{EvidenceKind, EvidenceStage, Relevance, Status, Verification};
use crate::db::models::Evidence;
use crate::db::schema::{evidence, recommendations};
use crate::domain::history::{Author, Change};
use crate::domain::items;
use crate::domain::items::apply::{self, Activity, Write};
use crate::error::{Error, Result};

mod versions;
pub use versions::{Seeded, add, delete, insert, remove, replace, review, update};

/// What a submitter says about a piece of evidence.
#[derive(Debug, Clone)]
pub struct EvidenceInput {
    pub kind: EvidenceKind,
    pub title: String,
    pub url: Option<String>,
    pub excerpt: String,
    pub source: String,
    pub observed_on: Option<NaiveDate>,
    pub rationale: String,
    /// What it shows: the item done, progress toward it, or only background.
    pub relevance: Relevance,
}

pub(super) fn validate(input: &EvidenceInput) -> Result<()> {
    let title = input.title.trim();
    if title.is_empty() || title.chars().count() > 500 {
        return Err(Error::invalid("title", "must be 1 to 500 characters"));
    }
    if let Some(url) = &input.url
        && !(url.starts_with("http://") || url.starts_with("https://"))
    {
        return Err(Error::invalid("url", "must be an http(s) URL"));
    }
    if input.kind == EvidenceKind::Url && input.url.is_none() {
        return Err(Error::invalid("url", "evidence of kind `url` needs a URL"));
    }
    crate::domain::dates::optional("observed_on", input.observed_on)?;
    if input.excerpt.chars().count() > 20_000 {
        return Err(Error::invalid(
            "excerpt",
            "must be at most 20000 characters",
        ));
    }
    if input.source.chars().count() > 500 || input.rationale.chars().count() > 5000 {
        return Err(Error::invalid(
            "source",
            "source at most 500, rationale at most 5000 characters",
        ));
    }
    Ok(())
}

/// The evidence stage an item's evidence gives, from each piece's verdict and relevance:
/// `verified` once any accepted piece shows progress or implementation, `claimed` while such a
/// piece awaits review, else `none`. Background (`context`) never counts.
pub fn stage_of(evidence: impl Iterator<Item = (Verification, Relevance)>) -> EvidenceStage {
    let mut stage = EvidenceStage::None;
    for (verification, relevance) in evidence {
        match (verification, relevance) {
            (_, Relevance::Context) => {}
            (Verification::Accepted, _) => return EvidenceStage::Verified,
            (Verification::Pending, _) => stage = EvidenceStage::Claimed,
            (Verification::Rejected, _) => {}
        }
    }
    stage
}

/// verdict, relevance, observed on, reviewed at
type StageRow = (
    Verification,
    Relevance,
    Option<NaiveDate>,
    Option<chrono::DateTime<Utc>>,
);

/// The item's evidence stage recomputed: [`stage_of`] its evidence, `verified` as of the newest
/// accepted observation, as the columns to write.
///
/// Also answers what history must record besides the caller's own event: when an implemented
/// item loses its last accepted evidence it keeps its status (a person decides what happens
/// next) but the loss is recorded as `evidence_lapsed`, and digests report it.
fn restage(conn: &mut PgConnection, item: Uuid) -> Result<(Write, Option<Change>)> {
    let (status, before): (Status, EvidenceStage) = recommendations::table
        .find(item)
        .select((recommendations::status, recommendations::evidence_stage))
        .first(conn)?;
    let rows: Vec<StageRow> = evidence::table
        .filter(evidence::recommendation_id.eq(item))
        .select((
            evidence::verification,
            evidence::relevance,
            evidence::observed_on,
            evidence::reviewed_at,
        ))
        .load(conn)?;
    let stage = stage_of(rows.iter().map(|(v, r, _, _)| (*v, *r)));
    let accepted_dates: Vec<NaiveDate> = rows
        .iter()
        .filter(|(v, r, _, _)| *v == Verification::Accepted && *r != Relevance::Context)
        .filter_map(|(_, _, observed, reviewed)| observed.or(reviewed.map(|r| r.date_naive())))
        .collect();
    let as_of = (stage == EvidenceStage::Verified).then(|| {
        accepted_dates
            .iter()
            .max()
            .copied()
            .unwrap_or_else(|| Utc::now().date_naive())
    });
    let lapsed = status == Status::Implemented
        && before == EvidenceStage::Verified
        && stage != EvidenceStage::Verified;
    let write = Write {
        evidence_stage: Some(stage),
        evidence_as_of: Some(as_of),
        ..Write::default()
    };
    let lapse = lapsed.then(|| {
        Change::evidence_lapsed(json!(before), json!(stage)).reason(Some(
            "implemented, but no accepted evidence remains behind it".into(),
        ))
    });
    Ok((write, lapse))
}

/// Records `event` (a change to the evidence of `item`) with the item's recomputed stage, in the
/// caller's transaction: every evidence change ends here.
fn record(conn: &mut PgConnection, item: Uuid, author: Author, event: Change) -> Result<()> {
    let (write, lapse) = restage(conn, item)?;
    let mut events = vec![event];
    events.extend(lapse);
    apply::record(conn, item, author, Activity::Work, write, events)
}

/// One piece of evidence, as it stands now.
pub fn get(conn: &mut PgConnection, id: Uuid) -> Result<Evidence> {
    Ok(evidence::table
        .find(id)
        .select(Evidence::as_select())
        .first(conn)?)
}

/// The evidence of an item, oldest first.
pub fn list(conn: &mut PgConnection, item: Uuid) -> Result<Vec<Evidence>> {
    items::must_exist(conn, item)?;
    Ok(evidence::table
        .filter(evidence::recommendation_id.eq(item))
        .order((evidence::submitted_at.asc(), evidence::id.asc()))
        .select(Evidence::as_select())
        .load(conn)?)
}

/// Locks a piece of evidence and its item; returns the evidence.
pub(super) fn lock(conn: &mut PgConnection, id: Uuid) -> Result<Evidence> {
    let item: Uuid = evidence::table
        .find(id)
        .select(evidence::recommendation_id)
        .first(conn)?;
    items::lock(conn, item)?;
    Ok(evidence::table
        .find(id)
        .select(Evidence::as_select())
        .for_update()
        .first(conn)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use EvidenceStage::{Claimed, None as Nothing, Verified};
    use Relevance::{Context, ShowsImplementation, ShowsProgress};
    use Verification::{Accepted, Pending, Rejected};

    #[test]
    fn the_stage_follows_accepted_and_pending_evidence_but_never_background() {
        let cases: [(&[(Verification, Relevance)], EvidenceStage); 7] = [
            (&[], Nothing),
            (&[(Accepted, Context)], Nothing),
            (&[(Pending, Context), (Rejected, ShowsProgress)], Nothing),
            (&[(Pending, ShowsProgress)], Claimed),
            (&[(Pending, ShowsProgress), (Accepted, Context)], Claimed),
            (&[(Accepted, ShowsProgress)], Verified),
            (
                &[
                    (Rejected, ShowsImplementation),
                    (Accepted, ShowsImplementation),
                ],
                Verified,
            ),
        ];
        for (evidence, expected) in cases {
            assert_eq!(stage_of(evidence.iter().copied()), expected, "{evidence:?}");
        }
    }
}
