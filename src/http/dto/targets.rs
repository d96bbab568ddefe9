//! Targets on the wire.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::db::models::Target;
use crate::domain::targets::TargetInput;

/// A measurable commitment inside an item, with its own due date.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "3f0c1a52-8d7e-4b9a-a1c2-5d6e7f809a1b",
    "recommendation_id": "0b7f1e0e-5f7a-4c53-9d8e-3f1f4a0c2b11", "ordinal": 1,
    "text": "conduct 100,000 training sessions for partner countries by 2030", "figure": 100000,
    "unit": "training sessions", "due_date": "2030-12-31", "progress": 0, "overdue": false,
    "updated_at": "2026-12-01T09:00:00Z"}))]
pub struct TargetResponse {
    pub id: Uuid,
    pub recommendation_id: Uuid,
    pub ordinal: i32,
    /// Verbatim from the source.
    pub text: String,
    pub figure: Option<i64>,
    pub unit: Option<String>,
    pub due_date: Option<NaiveDate>,
    /// How much of `figure` is reported done.
    pub progress: i64,
    /// Past its due date with its figure not reached.
    pub overdue: bool,
    pub updated_at: DateTime<Utc>,
}

impl From<Target> for TargetResponse {
    fn from(t: Target) -> Self {
        let overdue = crate::domain::targets::overdue(&t, Utc::now().date_naive());
        Self {
            id: t.id,
            recommendation_id: t.recommendation_id,
            ordinal: t.ordinal,
            text: t.text,
            figure: t.figure,
            unit: t.unit,
            due_date: t.due_date,
            progress: t.progress,
            overdue,
            updated_at: t.updated_at,
        }
    }
}

/// A new target.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"text": "Implement 1,000 small livelihood assistance projects",
    "figure": 1000, "unit": "projects", "due_date": "2027-12-31"}))]
pub struct TargetRequest {
    pub text: String,
    pub figure: Option<i64>,
    pub unit: Option<String>,
    pub due_date: Option<NaiveDate>,
}

impl From<TargetRequest> for TargetInput {
    fn from(r: TargetRequest) -> Self {
        Self {
            text: r.text,
            figure: r.figure,
            unit: r.unit,
            due_date: r.due_date,
        }
    }
}

/// Progress reported against a target.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"progress": 12000}))]
pub struct ProgressRequest {
    pub progress: i64,
}
