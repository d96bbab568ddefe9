//! Seeded evidence: links from the source reports to the recommendations they bear on, each
//! with its relevance and the analyst's reason. Seeding submits them; it never reviews them, so
//! they await a person's review like any other evidence. Links are matched by their stable key.

use std::collections::HashSet;

use diesel::prelude::*;
use uuid::Uuid;

use super::{SeedEvidence, item_id};
use crate::db::enums::Verification;
use crate::db::schema::{evidence, recommendations};
use crate::domain::evidence::{self as rules, EvidenceInput, Seeded};
use crate::domain::history::{Author, EventKind};
use crate::domain::items;
use crate::error::{Error, Result};

/// Loads the links of one report file; returns how many were created. Links a person edited
/// are left alone; seeded links that are no longer in the file are withdrawn; an acceptance
/// nobody made (an earlier seed accepted its own links) is withdrawn too.
pub fn load(conn: &mut PgConnection, report: Uuid, links: &[SeedEvidence]) -> Result<usize> {
    let mut created = 0;
    for link in links {
        created += usize::from(load_one(conn, link)?);
    }
    let keep: HashSet<&str> = links.iter().map(|l| l.key.as_str()).collect();
    let seeded: Vec<(Uuid, Uuid, Option<String>)> = evidence::table
        .inner_join(recommendations::table)
        .filter(recommendations::report_id.eq(report))
        .filter(evidence::submitted_by.is_null())
        .filter(evidence::editors.eq(Vec::<Uuid>::new()))
        .select((
            evidence::id,
            evidence::recommendation_id,
            evidence::seed_key,
        ))
        .load(conn)?;
    for (id, item, key) in seeded {
        if key.as_deref().is_some_and(|k| keep.contains(k)) {
            continue;
        }
        withdraw(conn, id, item)?;
    }
    Ok(created)
}

fn source_of(link: &SeedEvidence) -> String {
    format!("{} [{}]", link.source, link.source_file)
}

fn provenance_of(link: &SeedEvidence) -> serde_json::Value {
    crate::domain::provenance::Provenance {
        file: link.source_file.clone(),
        start: link.source_range[0],
        end: link.source_range[1],
        sha256: link.source_sha256.clone(),
    }
    .to_json()
}

fn load_one(conn: &mut PgConnection, link: &SeedEvidence) -> Result<bool> {
    let item = item_id(conn, &link.recommendation)?.ok_or_else(|| {
        Error::invalid(
            "recommendation",
            format!("{} does not exist", link.recommendation),
        )
    })?;
    let by_key: Option<Uuid> = evidence::table
        .filter(evidence::seed_key.eq(&link.key))
        .select(evidence::id)
        .first(conn)
        .optional()?;
    if let Some(id) = by_key {
        update(conn, id, item, link)?;
        return Ok(false);
    }
    // Not found by its key: the history says whether the seed added it before (under its key,
    // or, before links had keys, under its title) and what became of it.
    let earlier: Option<Uuid> = seeded_before(conn, item, link)?;
    match earlier {
        Some(id) if exists(conn, id)? => {
            // Seeded before it had a key (a person may have retitled it since): it keeps the key.
            diesel::update(evidence::table.find(id))
                .set(evidence::seed_key.eq(&link.key))
                .execute(conn)?;
            update(conn, id, item, link)?;
            Ok(false)
        }
        Some(id) if removed_by_a_person(conn, item, id)? => {
            tracing::info!(link = %link.key, "a person withdrew this seeded link; not added again");
            Ok(false)
        }
        _ => {
            insert(conn, item, link)?;
            Ok(true)
        }
    }
}

/// The evidence the seed added for `link` earlier, by its key or (for links seeded before they
/// had keys) its title, newest first.
fn seeded_before(conn: &mut PgConnection, item: Uuid, link: &SeedEvidence) -> Result<Option<Uuid>> {
    use crate::db::enums::ActorKind;
    use crate::db::schema::history_events as events;
    use diesel::dsl::sql;
    use diesel::sql_types::{Bool, Text};
    let after: Option<serde_json::Value> = events::table
        .filter(events::recommendation_id.eq(item))
        .filter(events::kind.eq(EventKind::EvidenceAdded.as_str()))
        .filter(events::actor_kind.eq(ActorKind::System))
        .filter(
            // Stored rows keep the shape they were written in: the seed's older events name
            // the key `key` (see `history::reshape`).
            sql::<Bool>("(coalesce(after->>'seed_key', after->>'key') = ")
                .bind::<Text, _>(&link.key)
                .sql(" OR (coalesce(after->>'seed_key', after->>'key') IS NULL AND after->>'title' = ")
                .bind::<Text, _>(&link.title)
                .sql("))"),
        )
        .order(events::seq.desc())
        .select(events::after)
        .first::<Option<serde_json::Value>>(conn)
        .optional()?
        .flatten();
    Ok(after
        .and_then(|a| {
            a.get("evidence_id")
                .and_then(|v| v.as_str())
                .map(str::to_owned)
        })
        .and_then(|id| id.parse().ok()))
}

fn exists(conn: &mut PgConnection, id: Uuid) -> Result<bool> {
    Ok(diesel::select(diesel::dsl::exists(evidence::table.find(id))).get_result(conn)?)
}

/// Whether a person (not the seed) withdrew evidence `id` of `item`.
fn removed_by_a_person(conn: &mut PgConnection, item: Uuid, id: Uuid) -> Result<bool> {
    use crate::db::enums::ActorKind;
    use crate::db::schema::history_events as events;
    use diesel::dsl::sql;
    use diesel::sql_types::{Bool, Text};
    Ok(diesel::select(diesel::dsl::exists(
        events::table
            .filter(events::recommendation_id.eq(item))
            .filter(events::kind.eq(EventKind::EvidenceRemoved.as_str()))
            .filter(events::actor_kind.ne(ActorKind::System))
            .filter(sql::<Bool>("before->>'evidence_id' = ").bind::<Text, _>(id.to_string())),
    ))
    .get_result(conn)?)
}

fn input_of(link: &SeedEvidence) -> EvidenceInput {
    EvidenceInput {
        kind: link.kind,
        title: link.title.clone(),
        url: None,
        excerpt: link.excerpt.clone(),
        source: source_of(link),
        observed_on: link.observed_on,
        rationale: link.rationale.clone(),
        relevance: link.relevance,
    }
}

fn insert(conn: &mut PgConnection, item: Uuid, link: &SeedEvidence) -> Result<()> {
    items::lock(conn, item)?;
    let seeded = Seeded {
        key: link.key.clone(),
        provenance: provenance_of(link),
    };
    rules::insert(
        conn,
        item,
        input_of(link),
        None,
        Some(seeded),
        Author::SYSTEM,
    )?;
    Ok(())
}

fn update(conn: &mut PgConnection, id: Uuid, item: Uuid, link: &SeedEvidence) -> Result<()> {
    items::lock(conn, item)?;
    let row = rules::get(conn, id)?;
    if !row.editors.is_empty() {
        // A person edited this link: theirs is the current version.
        return Ok(());
    }
    let changed = row.title != link.title
        || row.excerpt != link.excerpt
        || row.rationale != link.rationale
        || row.source != source_of(link)
        || row.observed_on != link.observed_on
        || row.relevance != link.relevance;
    let self_accepted = row.verification != Verification::Pending && row.reviewed_by.is_none();
    // Where the excerpt is in its source is the seed's to say, and no verdict depends on it.
    diesel::update(
        evidence::table
            .find(id)
            .filter(evidence::provenance.is_distinct_from(provenance_of(link))),
    )
    .set(evidence::provenance.eq(provenance_of(link)))
    .execute(conn)?;
    if !changed && !self_accepted {
        return Ok(());
    }
    // A new version (or an acceptance nobody made) awaits a person's review.
    let reason = if changed {
        "seed file changed"
    } else {
        "accepted by an earlier seed without a reviewer: it awaits a person's review"
    };
    let input = EvidenceInput {
        kind: row.kind,
        url: row.url.clone(),
        ..input_of(link)
    };
    rules::replace(conn, &row, input, None, Author::SYSTEM, Some(reason.into()))?;
    Ok(())
}

/// Removes a link the seed no longer makes (an analyst dropped it as not showing its item).
fn withdraw(conn: &mut PgConnection, id: Uuid, item: Uuid) -> Result<()> {
    items::lock(conn, item)?;
    let row = rules::get(conn, id)?;
    rules::remove(
        conn,
        &row,
        Author::SYSTEM,
        Some("no longer in the seed: it does not show what it was linked to".into()),
    )
}
