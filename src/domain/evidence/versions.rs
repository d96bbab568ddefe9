//! The versions of a piece of evidence: submitted, replaced, reviewed, removed. The API, the
//! pages and the seed all come through these, so each is validated and recorded one way.

use chrono::Utc;
use diesel::prelude::*;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{EvidenceInput, lock, record, validate};
use crate::db::enums::Verification;
use crate::db::models::Evidence;
use crate::db::schema::evidence;
use crate::domain::auth::Principal;
use crate::domain::history::{Author, Change};
use crate::domain::items;
use crate::domain::policy;
use crate::domain::policy::Act;
use crate::error::{Error, Result};

/// What history keeps of a version: all of its content, so a review can be traced to the exact
/// text that was accepted.
fn snapshot(e: &Evidence) -> Value {
    json!({
        "evidence_id": e.id, "version": e.version, "kind": e.kind, "title": e.title,
        "url": e.url, "excerpt": e.excerpt, "source": e.source, "observed_on": e.observed_on,
        "rationale": e.rationale, "relevance": e.relevance, "verification": e.verification,
        "seed_key": e.seed_key,
    })
}

/// What a version says, as the columns that hold it: written the same way by a first version
/// and a later one (a `None` clears its column).
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = evidence, treat_none_as_null = true)]
struct Content<'a> {
    kind: crate::db::enums::EvidenceKind,
    title: &'a str,
    url: Option<&'a str>,
    excerpt: &'a str,
    source: &'a str,
    observed_on: Option<chrono::NaiveDate>,
    rationale: &'a str,
    relevance: crate::db::enums::Relevance,
}

impl<'a> Content<'a> {
    fn of(input: &'a EvidenceInput) -> Self {
        Self {
            kind: input.kind,
            title: input.title.trim(),
            url: input.url.as_deref(),
            excerpt: &input.excerpt,
            source: &input.source,
            observed_on: input.observed_on,
            rationale: &input.rationale,
            relevance: input.relevance,
        }
    }
}

/// Where seeded evidence comes from: its stable key in the seed and where its excerpt is.
pub struct Seeded {
    pub key: String,
    pub provenance: Value,
}

/// Adds evidence to an item (owners and managers); it awaits review.
pub fn add(
    conn: &mut PgConnection,
    principal: &Principal,
    item: Uuid,
    input: EvidenceInput,
) -> Result<Evidence> {
    items::lock(conn, item)?;
    policy::item(conn, principal, item, Act::WorkOnItem)?;
    insert(
        conn,
        item,
        input,
        principal.user_id(),
        None,
        Author::from(principal),
    )
}

/// Inserts the first version of a piece of evidence for `item` as `author`, submitted by
/// `submitter` (none for the seed), in the caller's transaction, which holds the item's lock.
pub fn insert(
    conn: &mut PgConnection,
    item: Uuid,
    input: EvidenceInput,
    submitter: Option<Uuid>,
    seeded: Option<Seeded>,
    author: Author,
) -> Result<Evidence> {
    validate(&input)?;
    let (seed_key, provenance) = seeded.map_or((None, None), |s| (Some(s.key), Some(s.provenance)));
    let row: Evidence = diesel::insert_into(evidence::table)
        .values((
            evidence::id.eq(Uuid::new_v4()),
            evidence::recommendation_id.eq(item),
            Content::of(&input),
            evidence::submitted_by.eq(submitter),
            evidence::editors.eq(submitter.into_iter().collect::<Vec<_>>()),
            evidence::seed_key.eq(seed_key),
            evidence::provenance.eq(provenance),
        ))
        .returning(Evidence::as_returning())
        .get_result(conn)?;
    record(conn, item, author, Change::evidence_added(snapshot(&row)))?;
    Ok(row)
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
    policy::edit_evidence(conn, principal, &row)?;
    items::check_version(expected_version, row.version)?;
    replace(
        conn,
        &row,
        input,
        principal.user_id(),
        Author::from(principal),
        None,
    )
}

/// Makes `input` the next version of `row` (locked by the caller), edited by `editor`, as
/// `author`, with `reason`.
pub fn replace(
    conn: &mut PgConnection,
    row: &Evidence,
    input: EvidenceInput,
    editor: Option<Uuid>,
    author: Author,
    reason: Option<String>,
) -> Result<Evidence> {
    validate(&input)?;
    let mut editors = row.editors.clone();
    if let Some(editor) = editor
        && !editors.contains(&editor)
    {
        editors.push(editor);
    }
    let updated: Evidence = diesel::update(evidence::table.find(row.id))
        .set((
            Content::of(&input),
            evidence::version.eq(evidence::version + 1),
            evidence::editors.eq(&editors),
            evidence::verification.eq(Verification::Pending),
            evidence::reviewed_by.eq(None::<Uuid>),
            evidence::reviewed_at.eq(None::<chrono::DateTime<Utc>>),
            evidence::review_note.eq(None::<String>),
        ))
        .returning(Evidence::as_returning())
        .get_result(conn)?;
    let event = Change::evidence_updated(snapshot(row), snapshot(&updated)).reason(reason);
    record(conn, row.recommendation_id, author, event)?;
    Ok(updated)
}

/// Withdraws a piece of evidence.
pub fn delete(conn: &mut PgConnection, principal: &Principal, id: Uuid) -> Result<()> {
    let row = lock(conn, id)?;
    policy::edit_evidence(conn, principal, &row)?;
    remove(conn, &row, Author::from(principal), None)
}

/// Removes `row` (locked by the caller) as `author`, with `reason`.
pub fn remove(
    conn: &mut PgConnection,
    row: &Evidence,
    author: Author,
    reason: Option<String>,
) -> Result<()> {
    diesel::delete(evidence::table.find(row.id)).execute(conn)?;
    let event = Change::evidence_removed(snapshot(row)).reason(reason);
    record(conn, row.recommendation_id, author, event)
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
    let reviewer = policy::review_evidence(principal, &row)?;
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
    let event = Change::evidence_reviewed(
        json!(row.verification),
        json!(decision),
        snapshot(&reviewed),
    )
    .reason(note);
    record(conn, row.recommendation_id, Author::from(principal), event)?;
    Ok(reviewed)
}
