//! How a list's total is counted: the caller's `Prefer: count=` choice.

use serde::Serialize;

/// How a list's total is counted (`Prefer: count=...`), and, on the wire, how it was
/// (`total_kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = TotalKind)]
pub enum Count {
    /// Every match counted, however many (`Prefer: count=exact`, or the page holds them all).
    Exact,
    /// The database planner's estimate: one cheap statement, close once statistics are
    /// current. The default.
    #[default]
    Planned,
    /// Not counted (`Prefer: count=none`).
    None,
}

impl Count {
    /// The preference's value as `Prefer` spells it; `None` for a value we do not know (which
    /// RFC 7240 says to ignore).
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.to_ascii_lowercase().as_str() {
            "exact" => Some(Self::Exact),
            "planned" => Some(Self::Planned),
            "none" => Some(Self::None),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Exact => "exact",
            Self::Planned => "planned",
            Self::None => "none",
        }
    }
}
