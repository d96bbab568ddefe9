//! Evidence that an item is being done: submitted by owners, reviewed by managers. An item's
//! `evidence_stage` and `evidence_as_of` are derived from it here, in the same transaction.

use chrono::{NaiveDate, Utc};
use diesel::prelude::*;
use serde_json::json;
use uuid::Uuid;

use crate::db::enums::{EvidenceKind, EvidenceStage, Relevance, Role, Status, Verification};
use crate::db::models::{Evidence, NewEvidence};
use crate::db::schema::{evidence, recommendations};
use crate::domain::auth::Principal;
use crate::domain::history::{self, Author, Change};
use crate::domain::items::{self, Scope};
use crate::error::{Error, Result};

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

fn validate(input: &EvidenceInput) -> Result<()> {
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

/// Recomputes the item's evidence stage: [`stage_of`] its evidence, `verified` as of the newest
/// accepted observation.
///
/// Returns what history must record besides the caller's own event: when an implemented item
/// loses its last accepted evidence it keeps its status (a person decides what happens next)
/// but the loss is recorded as `evidence_lapsed`, and digests report it.
pub fn refresh_stage(conn: &mut PgConnection, item: Uuid) -> Result<Vec<Change>> {
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
    diesel::update(recommendations::table.find(item))
        .set((
            recommendations::evidence_stage.eq(stage),
            recommendations::evidence_as_of.eq(as_of),
        ))
        .execute(conn)?;
    let lapsed = status == Status::Implemented
        && before == EvidenceStage::Verified
        && stage != EvidenceStage::Verified;
    Ok(if lapsed {
        vec![
            Change::new("evidence_lapsed")
                .field("evidence_stage", json!(before), json!(stage))
                .reason(Some(
                    "implemented, but no accepted evidence remains behind it".into(),
                )),
        ]
    } else {
        Vec::new()
    })
}

/// What history keeps of a version: all of its content, so a review can be traced to the exact
/// text that was accepted.
fn snapshot(e: &Evidence) -> serde_json::Value {
    json!({
        "evidence_id": e.id, "version": e.version, "kind": e.kind, "title": e.title,
        "url": e.url, "excerpt": e.excerpt, "source": e.source, "observed_on": e.observed_on,
        "rationale": e.rationale, "relevance": e.relevance, "verification": e.verification,
        "seed_key": e.seed_key,
    })
}

/// Adds evidence to an item (owners and managers); it awaits review.
pub fn add(
    conn: &mut PgConnection,
    principal: &Principal,
    item: Uuid,
    input: EvidenceInput,
) -> Result<Evidence> {
    items::lock(conn, item)?;
    items::authorize(conn, principal, item, Scope::Work)?;
    validate(&input)?;
    let row: Evidence = diesel::insert_into(evidence::table)
        .values(NewEvidence {
            id: Uuid::new_v4(),
            recommendation_id: item,
            kind: input.kind,
            title: input.title.trim().to_owned(),
            url: input.url,
            excerpt: input.excerpt,
            source: input.source,
            observed_on: input.observed_on,
            rationale: input.rationale,
            submitted_by: principal.user_id(),
            editors: principal.user_id().into_iter().collect(),
            relevance: input.relevance,
        })
        .returning(Evidence::as_returning())
        .get_result(conn)?;
    let mut log = vec![Change::new("evidence_added").after(snapshot(&row))];
    log.extend(refresh_stage(conn, item)?);
    let author = Author::from(principal);
    history::append(conn, item, author, log)?;
    items::touch(conn, item, author)?;
    Ok(row)
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
fn lock(conn: &mut PgConnection, id: Uuid) -> Result<Evidence> {
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

/// Submitters (while they may still work on the item) and managers may change or withdraw
/// evidence, whatever its review state: a change makes a new version that awaits review again.
fn may_edit(conn: &mut PgConnection, principal: &Principal, row: &Evidence) -> Result<()> {
    if principal.role.at_least(Role::Manager) {
        return Ok(());
    }
    items::authorize(conn, principal, row.recommendation_id, Scope::Work)?;
    if row.submitted_by.is_none() || row.submitted_by != principal.user_id() {
        return Err(Error::Forbidden(
            "only its submitter or a manager may change this evidence".into(),
        ));
    }
    Ok(())
}

/// Replaces the description of a piece of evidence with a new version. Whoever makes it
/// becomes one of its editors (who may never review it), and the new version awaits review
/// whatever the old one's verdict was: a review covers the content it saw, nothing later.
pub fn update(
    conn: &mut PgConnection,
    principal: &Principal,
    id: Uuid,
    input: EvidenceInput,
    expected_version: Option<i32>,
) -> Result<Evidence> {
    let row = lock(conn, id)?;
    may_edit(conn, principal, &row)?;
    items::check_version(expected_version, row.version)?;
    validate(&input)?;
    let mut editors = row.editors.clone();
    if let Some(editor) = principal.user_id()
        && !editors.contains(&editor)
    {
        editors.push(editor);
    }
    let updated: Evidence = diesel::update(evidence::table.find(id))
        .set((
            evidence::kind.eq(input.kind),
            evidence::title.eq(input.title.trim()),
            evidence::url.eq(&input.url),
            evidence::excerpt.eq(&input.excerpt),
            evidence::source.eq(&input.source),
            evidence::observed_on.eq(input.observed_on),
            evidence::rationale.eq(&input.rationale),
            evidence::relevance.eq(input.relevance),
            evidence::version.eq(evidence::version + 1),
            evidence::editors.eq(&editors),
            evidence::verification.eq(Verification::Pending),
            evidence::reviewed_by.eq(None::<Uuid>),
            evidence::reviewed_at.eq(None::<chrono::DateTime<Utc>>),
            evidence::review_note.eq(None::<String>),
        ))
        .returning(Evidence::as_returning())
        .get_result(conn)?;
    let mut log = vec![
        Change::new("evidence_updated")
            .before(snapshot(&row))
            .after(snapshot(&updated)),
    ];
    log.extend(refresh_stage(conn, row.recommendation_id)?);
    let author = Author::from(principal);
    history::append(conn, row.recommendation_id, author, log)?;
    items::touch(conn, row.recommendation_id, author)?;
    Ok(updated)
}

/// Withdraws a piece of evidence.
pub fn delete(conn: &mut PgConnection, principal: &Principal, id: Uuid) -> Result<()> {
    let row = lock(conn, id)?;
    may_edit(conn, principal, &row)?;
    diesel::delete(evidence::table.find(id)).execute(conn)?;
    let mut log = vec![Change::new("evidence_removed").before(snapshot(&row))];
    log.extend(refresh_stage(conn, row.recommendation_id)?);
    let author = Author::from(principal);
    history::append(conn, row.recommendation_id, author, log)?;
    items::touch(conn, row.recommendation_id, author)
}

/// Refuses unless `principal` may judge `row`: a manager, a person (not an API token), and
/// nobody who submitted or edited any version of it (four eyes). Answers the reviewer's id.
/// The review itself and the pages that offer a review form both ask this.
pub fn may_review(principal: &Principal, row: &Evidence) -> Result<Uuid> {
    principal.require(Role::Manager)?;
    let reviewer = principal.user_id().ok_or_else(|| {
        Error::Forbidden("evidence is reviewed by a person, not an API token".into())
    })?;
    if row.submitted_by == Some(reviewer) || row.editors.contains(&reviewer) {
        return Err(Error::Forbidden(
            "nobody may review evidence they submitted or edited".into(),
        ));
    }
    Ok(reviewer)
}

/// A manager's verdict on one version. Nobody who submitted or edited any version may review
/// it, and the reviewer names the version they read (`expected_version`, from `If-Match`): if
/// it changed since, nothing is recorded (412).
pub fn review(
    conn: &mut PgConnection,
    principal: &Principal,
    id: Uuid,
    expected_version: i32,
    decision: Verification,
    note: Option<String>,
) -> Result<Evidence> {
    let row = lock(conn, id)?;
    let reviewer = may_review(principal, &row)?;
    items::check_version(Some(expected_version), row.version)?;
    if decision == Verification::Pending {
        return Err(Error::invalid("decision", "must be accepted or rejected"));
    }
    let note = note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    if decision == Verification::Rejected && note.is_none() {
        return Err(Error::invalid("note", "say why the evidence is rejected"));
    }
    let reviewed: Evidence = diesel::update(evidence::table.find(id))
        .set((
            evidence::verification.eq(decision),
            evidence::reviewed_by.eq(reviewer),
            evidence::reviewed_at.eq(Utc::now()),
            evidence::review_note.eq(&note),
            evidence::version.eq(evidence::version + 1),
        ))
        .returning(Evidence::as_returning())
        .get_result(conn)?;
    let mut log = vec![
        Change::new("evidence_reviewed")
            .field("verification", json!(row.verification), json!(decision))
            .after(snapshot(&reviewed))
            .reason(note),
    ];
    log.extend(refresh_stage(conn, row.recommendation_id)?);
    let author = Author::from(principal);
    history::append(conn, row.recommendation_id, author, log)?;
    items::touch(conn, row.recommendation_id, author)?;
    Ok(reviewed)
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
