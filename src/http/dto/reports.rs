use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::db::models::Report;
use crate::domain::dates::{PartialDate, Precision};
use crate::domain::reports::ReportInput;

/// A source document.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportResponse {
    pub id: Uuid,
    /// Stable, human-readable key, e.g. `ccg-2017`.
    pub key: String,
    pub title: String,
    pub alt_titles: Vec<String>,
    pub publisher: String,
    pub authors: Vec<String>,
    /// When it was published, as precisely as the source says.
    pub published: Option<Published>,
    pub source_url: Option<String>,
    pub source_file: Option<String>,
    pub language: String,
    pub summary: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

impl From<Report> for ReportResponse {
    fn from(r: Report) -> Self {
        Self {
            id: r.id,
            key: r.key,
            title: r.title,
            alt_titles: r.alt_titles,
            publisher: r.publisher,
            authors: r.authors,
            published: r.published_on.map(|day| {
                let date = PartialDate::stored(day, r.published_precision.as_deref());
                Published {
                    value: date.to_string(),
                    precision: date.precision,
                }
            }),
            source_url: r.source_url,
            source_file: r.source_file,
            language: r.language,
            summary: r.summary,
            created_at: r.created_at,
            updated_at: r.updated_at,
            version: r.version,
        }
    }
}

/// A date as precise as its source.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"value": "2017-05", "precision": "month"}))]
pub struct Published {
    /// `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, as the precision says.
    pub value: String,
    pub precision: Precision,
}

/// A report's description, for creating (with `key`) or replacing it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "key": "ccg-2017", "title": "Solutions and Approaches to Int'l Win-Win Cooperation on B&R Initiative",
    "publisher": "Center for China and Globalization (CCG)", "published_on": "2017-05", "language": "en"
}))]
pub struct ReportRequest {
    /// Required when creating; ignored when replacing.
    pub key: Option<String>,
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
    pub source_file: Option<String>,
    #[serde(default)]
    pub language: String,
    #[serde(default)]
    pub summary: String,
}

impl From<ReportRequest> for ReportInput {
    fn from(r: ReportRequest) -> Self {
        Self {
            title: r.title,
            alt_titles: r.alt_titles,
            publisher: r.publisher,
            authors: r.authors,
            published_on: r.published_on,
            source_url: r.source_url,
            source_file: r.source_file,
            language: r.language,
            summary: r.summary,
        }
    }
}
