//! The seed files: what a report file and its recommendations, evidence and targets hold, and
//! reading them (every file is parsed and checked before anything is loaded).

use std::path::Path;

use chrono::NaiveDate;
use serde::Deserialize;

use super::DemoFile;
use crate::db::enums::{EvidenceKind, Relevance};
use crate::error::Error;

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
