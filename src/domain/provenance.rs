//! Where a seeded text is in its source document, exactly.

use serde::{Deserialize, Serialize};

/// A passage of a source file: character offsets `[start, end)` and the SHA-256 (hex) of the
/// UTF-8 text there, so anyone holding the source can check the quote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"file": "001_12b2e1b71ed96538.txt", "start": 1289, "end": 1707,
    "sha256": "475a6f1167bfae8915be1c76b36addcc663d90c7a484b9524573587f519687ae"}))]
pub struct Provenance {
    /// The source file, as kept in `seeds/sources/`.
    pub file: String,
    pub start: usize,
    pub end: usize,
    pub sha256: String,
}

impl Provenance {
    /// As stored in the database.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    /// From the database; `None` for anything else.
    pub fn from_json(value: Option<&serde_json::Value>) -> Option<Self> {
        value.and_then(|v| serde_json::from_value(v.clone()).ok())
    }
}
