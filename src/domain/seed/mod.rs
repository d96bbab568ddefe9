//! Loading `seeds/`: the source reports, their recommendations verbatim with provenance, the
//! evidence that links to them, and (for local runs) demo accounts. Loading is idempotent:
//! everything is matched by stable key, unchanged data is left alone, and changed data is
//! updated with a history event made by the system (which never resets the stall clock).
//! Seeds claim nothing a source does not say: items start `pending`/`not_started`, and seeded
//! evidence awaits a person's review like any other.

mod activity;
mod demo;
mod evidence;
mod state;

pub use demo::{DemoFile, DemoMember, DemoOwner, DemoTeam, DemoUser};

use std::path::Path;

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Deserialize;
use uuid::Uuid;

use crate::db::enums::{EvidenceKind, Relevance};
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

/// One report file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportFile {
    pub report: SeedReport,
    #[serde(default)]
    pub recommendations: Vec<SeedRecommendation>,
    #[serde(default)]
    pub evidence: Vec<SeedEvidence>,
    #[serde(default)]
    pub targets: Vec<SeedTarget>,
}

/// A measurable commitment inside a recommendation, quoted from its body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedTarget {
    pub recommendation: String,
    pub ordinal: i32,
    /// Verbatim from the recommendation's body.
    pub text: String,
    pub figure: Option<i64>,
    pub unit: Option<String>,
    /// As precise as the source (`2030` for "by 2030"): due at the end of that period.
    pub due: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedReport {
    pub key: String,
    pub title: String,
    #[serde(default)]
    pub alt_titles: Vec<String>,
    #[serde(default)]
    pub publisher: String,
    #[serde(default)]
    pub authors: Vec<String>,
    /// As precise as the source: `2017`, `2017-05` or `2017-05-12`.
    pub published_on: Option<String>,
    pub source_url: Option<String>,
    pub source_files: Vec<String>,
    pub language: String,
    #[serde(default)]
    pub summary: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedRecommendation {
    pub key: String,
    pub parent: Option<String>,
    pub ordinal: i32,
    pub title: String,
    /// The same point's wording in another edition of the source (kept for reviewers).
    pub web_title: Option<String>,
    pub source_ref: String,
    #[serde(default)]
    pub themes: Vec<String>,
    /// Where `body` is in the report's first source file: `text[start..end]` (in characters),
    /// equal to the body once runs of whitespace are folded.
    pub source_range: [usize; 2],
    /// SHA-256 (hex) of the UTF-8 text at `source_range`, so a copy of the source can be checked
    /// without this program.
    pub source_sha256: String,
    pub due_date: Option<NaiveDate>,
    pub body: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedEvidence {
    /// Stable across edits of the link, so re-seeding finds it whatever its title.
    pub key: String,
    pub recommendation: String,
    pub kind: EvidenceKind,
    /// What the excerpt shows about the recommendation, as the seed's analyst judged it.
    pub relevance: Relevance,
    pub title: String,
    pub excerpt: String,
    pub source: String,
    pub source_file: String,
    /// Where `excerpt` is in `source_file`: exactly `text[start..end]` (in characters).
    pub source_range: [usize; 2],
    /// SHA-256 (hex) of the excerpt's UTF-8 text.
    pub source_sha256: String,
    pub observed_on: Option<NaiveDate>,
    /// What the excerpt does and does not show about the recommendation.
    pub rationale: String,
}

/// What a load did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub reports_created: usize,
    pub items_created: usize,
    pub items_updated: usize,
    pub evidence_created: usize,
    pub demo_users_created: usize,
}

/// Why a seed file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("reading {0}: {1}")]
    Io(String, std::io::Error),
    #[error("{0} is not a valid seed file: {1}")]
    Parse(String, toml::de::Error),
    #[error("{file}: {error}")]
    Load { file: String, error: Error },
}

/// Reads every `*.toml` report file in `dir` (not `demo.toml`), sorted by name.
pub fn read_reports(dir: &Path) -> std::result::Result<Vec<(String, ReportFile)>, SeedError> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| SeedError::Io(dir.display().to_string(), e))?;
    let mut paths: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|x| x == "toml")
                && p.file_name().is_some_and(|n| n != "demo.toml")
        })
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let name = path.display().to_string();
            let text =
                std::fs::read_to_string(&path).map_err(|e| SeedError::Io(name.clone(), e))?;
            let file = toml::from_str(&text).map_err(|e| SeedError::Parse(name.clone(), e))?;
            Ok((name, file))
        })
        .collect()
}

/// Reads `dir/demo.toml`.
pub fn read_demo(dir: &Path) -> std::result::Result<DemoFile, SeedError> {
    let path = dir.join("demo.toml");
    let name = path.display().to_string();
    let text = std::fs::read_to_string(&path).map_err(|e| SeedError::Io(name.clone(), e))?;
    toml::from_str(&text).map_err(|e| SeedError::Parse(name, e))
}

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
