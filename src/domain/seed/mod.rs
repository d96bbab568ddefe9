//! Loading `seeds/`: the source reports, their recommendations verbatim with provenance, the
//! evidence that links to them, and (for local runs) demo accounts. Loading is idempotent:
//! everything is matched by stable key, unchanged data is left alone, and changed data is
//! updated with a history event made by the system (which never resets the stall clock).
//! Seeds claim nothing a source does not say: items start `pending`/`not_started`, and seeded
//! evidence awaits a person's review like any other.

mod activity;
mod demo;
mod evidence;
mod files;
mod state;

pub use demo::{DemoFile, DemoMember, DemoOwner, DemoTeam, DemoUser};
pub use files::{
    ReportFile, SeedError, SeedEvidence, SeedRecommendation, SeedReport, SeedTarget, Summary,
    read_demo, read_reports,
};

use diesel::prelude::*;
use uuid::Uuid;

use crate::db::models::Recommendation;
use crate::db::schema::{recommendations, reports};
use crate::domain::history::Author;
use crate::domain::items;
use crate::domain::items::apply::{self, Activity};
use crate::domain::items::draft::Draft;
use crate::domain::items::edit::{self, NewItem};
use crate::domain::items::fields::{Body, Themes, Title};
use crate::domain::reports::{self as report_rules, ReportInput};
use crate::error::{Error, Result};

/// Arbitrary but fixed: serialises seeding between instances starting together.
const SEED_LOCK: i64 = 0x7365_6564_6c6f_636b;

/// Loads report files (and demo data, if given), each file in its own transaction.
pub fn load(
    conn: &mut PgConnection,
    files: &[(String, ReportFile)],
    demo: Option<&DemoFile>,
) -> std::result::Result<Summary, SeedError> {
    let mut summary = Summary::default();
    for (name, file) in files {
        conn.transaction(|conn| {
            diesel::sql_query(format!("SELECT pg_advisory_xact_lock({SEED_LOCK})"))
                .execute(conn)?;
            load_report(conn, file, &mut summary)
        })
        .map_err(|error| SeedError::Load {
            file: name.clone(),
            error,
        })?;
    }
    if let Some(demo) = demo {
        conn.transaction(|conn| {
            diesel::sql_query(format!("SELECT pg_advisory_xact_lock({SEED_LOCK})"))
                .execute(conn)?;
            demo::load(conn, demo, &mut summary)
        })
        .map_err(|error| SeedError::Load {
            file: "demo.toml".into(),
            error,
        })?;
    }
    // Planned list totals are the planner's estimates: make them right from the first request
    // rather than after autovacuum's next look. Only when the seeds wrote items: `serve` loads
    // them at every start, and a start that changes nothing should not sample a large table.
    if summary.items_created + summary.items_updated + summary.demo_users_created > 0 {
        diesel::sql_query("ANALYZE recommendations, recommendation_owners")
            .execute(conn)
            .map_err(|error| SeedError::Load {
                file: "(statistics)".into(),
                error: error.into(),
            })?;
    }
    Ok(summary)
}

fn load_report(conn: &mut PgConnection, file: &ReportFile, summary: &mut Summary) -> Result<()> {
    let seed = &file.report;
    let input = ReportInput {
        title: seed.title.clone(),
        alt_titles: seed.alt_titles.clone(),
        publisher: seed.publisher.clone(),
        authors: seed.authors.clone(),
        published_on: seed.published_on.clone(),
        source_url: seed.source_url.clone(),
        source_file: Some(seed.source_files.join(", ")),
        language: seed.language.clone(),
        summary: seed.summary.clone(),
    };
    let report = match reports::table
        .filter(reports::key.eq(&seed.key))
        .select(reports::id)
        .first::<Uuid>(conn)
        .optional()?
    {
        Some(id) => {
            let current = report_rules::get(conn, id)?;
            let unchanged = current.title == input.title
                && current.alt_titles == input.alt_titles
                && current.publisher == input.publisher
                && current.authors == input.authors
                && current.published_on.map(|d| {
                    crate::domain::dates::PartialDate::stored(
                        d,
                        current.published_precision.as_deref(),
                    )
                    .to_string()
                }) == input.published_on
                && current.source_file == input.source_file
                && current.summary == input.summary;
            if !unchanged {
                report_rules::update(conn, id, input, None)?;
            }
            id
        }
        None => {
            summary.reports_created += 1;
            report_rules::create(conn, &seed.key, input, None)?.id
        }
    };
    for rec in &file.recommendations {
        load_recommendation(conn, report, rec, provenance_of(file, rec), summary)?;
    }
    for rec in &file.recommendations {
        if let Some(id) = item_id(conn, &rec.key)? {
            state::withdraw_seeded_state(conn, id)?;
        }
    }
    summary.evidence_created += evidence::load(conn, report, &file.evidence)?;
    for target in &file.targets {
        load_target(conn, target)?;
    }
    Ok(())
}

fn item_id(conn: &mut PgConnection, key: &str) -> Result<Option<Uuid>> {
    Ok(recommendations::table
        .filter(recommendations::key.eq(key))
        .select(recommendations::id)
        .first(conn)
        .optional()?)
}

fn load_recommendation(
    conn: &mut PgConnection,
    report: Uuid,
    seed: &SeedRecommendation,
    provenance: serde_json::Value,
    summary: &mut Summary,
) -> Result<()> {
    let parent_id = match &seed.parent {
        Some(parent) => Some(item_id(conn, parent)?.ok_or_else(|| {
            Error::invalid(
                "parent",
                format!("{parent} is not defined before {}", seed.key),
            )
        })?),
        None => None,
    };
    let Some(id) = item_id(conn, &seed.key)? else {
        edit::create(
            conn,
            NewItem {
                report_id: report,
                key: Some(seed.key.clone()),
                ordinal: Some(seed.ordinal),
                parent_id,
                title: seed.title.clone(),
                web_title: seed.web_title.clone(),
                provenance: Some(provenance),
                body: seed.body.clone(),
                source_ref: Some(seed.source_ref.clone()),
                themes: seed.themes.clone(),
                priority: Default::default(),
                due_date: seed.due_date,
            },
            Author::SYSTEM,
        )?;
        summary.items_created += 1;
        return Ok(());
    };
    let rec: Recommendation = items::lock(conn, id)?;
    let people = fields_changed_by_people(conn, id)?;
    // The seed owns a field only until a person changes it: from then on the person's value
    // stands, and a changed seed file is reported, never applied over it.
    let seed_owns = |field: &str, differs: bool| {
        if differs && people.iter().any(|f| f == field) {
            tracing::warn!(item = %seed.key, field, "seed file differs from a value a person set; kept the person's");
            false
        } else {
            differs
        }
    };
    let title = Title::parse(&seed.title)?;
    let themes = Themes::parse(seed.themes.clone())?;
    let mut draft = Draft::new(&rec);
    if seed_owns("title", rec.title != title.as_str()) {
        draft.title(title);
    }
    if seed_owns("body", rec.body != seed.body) {
        draft.body(Body::parse(seed.body.clone())?);
    }
    if seed_owns("themes", rec.themes != themes.as_slice()) {
        draft.themes(themes);
    }
    let source_ref = Some(seed.source_ref.clone());
    if seed_owns("source_ref", rec.source_ref != source_ref) {
        draft.source_ref(source_ref);
    }
    draft.provenance(provenance);
    if seed_owns("web_title", rec.web_title != seed.web_title) {
        draft.web_title(seed.web_title.clone());
    }
    if seed_owns("due_date", rec.due_date != seed.due_date) {
        draft.due_date(seed.due_date, Some(SEED_CHANGED.into()))?;
    }
    if draft.events.is_empty() {
        return Ok(());
    }
    draft.because(SEED_CHANGED);
    apply::record(
        conn,
        id,
        Author::SYSTEM,
        Activity::Work,
        draft.write,
        draft.events,
    )?;
    summary.items_updated += 1;
    Ok(())
}

/// Why the seed changed an item: its file did.
const SEED_CHANGED: &str = "seed file changed";

/// The provenance of a seeded recommendation's body.
fn provenance_of(file: &ReportFile, seed: &SeedRecommendation) -> serde_json::Value {
    crate::domain::provenance::Provenance {
        file: file
            .report
            .source_files
            .first()
            .cloned()
            .unwrap_or_default(),
        start: seed.source_range[0],
        end: seed.source_range[1],
        sha256: seed.source_sha256.clone(),
    }
    .to_json()
}

/// Adds a seeded target, or brings its definition in line with the file (its progress is the
/// people's, never the seed's).
fn load_target(conn: &mut PgConnection, seed: &SeedTarget) -> Result<()> {
    use crate::db::models::Target;
    use crate::db::schema::targets;
    use crate::domain::targets::{self as rules, TargetInput};
    let item = item_id(conn, &seed.recommendation)?.ok_or_else(|| {
        Error::invalid(
            "recommendation",
            format!("{} does not exist", seed.recommendation),
        )
    })?;
    let due_date = seed
        .due
        .as_deref()
        .map(|d| crate::domain::dates::PartialDate::parse("due", d).map(|p| p.last_day()))
        .transpose()?;
    let input = TargetInput {
        text: seed.text.clone(),
        figure: seed.figure,
        unit: seed.unit.clone(),
        due_date,
    };
    let existing: Option<Target> = targets::table
        .filter(targets::recommendation_id.eq(item))
        .filter(targets::ordinal.eq(seed.ordinal))
        .select(Target::as_select())
        .first(conn)
        .optional()?;
    match existing {
        None => {
            rules::add(conn, item, Some(seed.ordinal), input, Author::SYSTEM)?;
        }
        Some(current) => {
            let now = TargetInput {
                text: current.text.clone(),
                figure: current.figure,
                unit: current.unit.clone(),
                due_date: current.due_date,
            };
            if now != input {
                rules::redefine(conn, &current, input)?;
            }
        }
    }
    Ok(())
}

/// The fields of `item` that a person (not the system) has changed.
fn fields_changed_by_people(conn: &mut PgConnection, item: Uuid) -> Result<Vec<String>> {
    use crate::db::enums::ActorKind;
    use crate::db::schema::history_events as events;
    Ok(events::table
        .filter(events::recommendation_id.eq(item))
        .filter(events::actor_kind.ne(ActorKind::System))
        .filter(events::field.is_not_null())
        .select(events::field.assume_not_null())
        .distinct()
        .load(conn)?)
}
