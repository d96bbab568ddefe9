//! The two status axes, written once. `response` is what the responsible body said; `status` is
//! how far implementation has come. The server enforces these rules and `GET /api/v1/workflow`
//! publishes them, so clients never hard-code them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::enums::{Response, Status, wire_name};
use crate::error::Error;

/// Which axis a transition moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Axis {
    Response,
    Status,
}

/// Where a response may go from `from`.
pub fn response_targets(from: Response) -> &'static [Response] {
    use Response::*;
    match from {
        Pending => &[Accepted, AcceptedInPrinciple, Noted, Rejected],
        Accepted | AcceptedInPrinciple | Noted | Rejected => &[],
    }
}

/// Where a status may go from `from`, before guards.
pub fn status_targets(from: Status) -> &'static [Status] {
    use Status::*;
    match from {
        NotStarted => &[InProgress, NotImplemented, Superseded],
        InProgress => &[
            PartiallyImplemented,
            Implemented,
            Blocked,
            NotImplemented,
            Superseded,
        ],
        Blocked => &[InProgress, NotImplemented, Superseded],
        PartiallyImplemented => &[InProgress, Implemented, NotImplemented, Superseded],
        Implemented | NotImplemented | Superseded => &[],
    }
}

/// Whether moving to `to` needs a reason.
pub fn response_needs_reason(to: Response) -> bool {
    matches!(to, Response::Noted | Response::Rejected)
}

/// Whether moving to `to` needs a reason.
pub fn status_needs_reason(to: Status) -> bool {
    matches!(
        to,
        Status::Blocked | Status::NotImplemented | Status::Superseded
    )
}

/// Whether the body agreed to act, so implementation may start.
pub fn is_agreed(response: Response) -> bool {
    matches!(response, Response::Accepted | Response::AcceptedInPrinciple)
}

/// Items in these states are finished with: they never stall and are never overdue.
pub fn is_closed(response: Response, status: Status) -> bool {
    response == Response::Rejected
        || matches!(
            status,
            Status::Implemented | Status::NotImplemented | Status::Superseded
        )
}

/// What a transition is judged against.
#[derive(Debug, Clone, Copy)]
pub struct ItemState {
    pub response: Response,
    pub status: Status,
    /// At least one piece of evidence was accepted by someone other than its submitter.
    pub has_verified_evidence: bool,
}

/// Why a transition was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("cannot move {axis} from {from} to {to}")]
    NotAllowed {
        axis: &'static str,
        from: String,
        to: String,
        allowed: Vec<String>,
    },
    #[error("implementation cannot start while the response is {response}")]
    NotAgreed {
        response: String,
        allowed: Vec<String>,
    },
    #[error("`implemented` needs evidence accepted by a reviewer other than its submitter")]
    NoVerifiedEvidence { allowed: Vec<String> },
    #[error("moving to {to} needs a reason")]
    ReasonRequired { to: String },
}

impl From<Refusal> for Error {
    fn from(refusal: Refusal) -> Self {
        let detail = refusal.to_string();
        match refusal {
            Refusal::ReasonRequired { .. } => Self::invalid("reason", detail),
            Refusal::NotAllowed { allowed, .. }
            | Refusal::NotAgreed { allowed, .. }
            | Refusal::NoVerifiedEvidence { allowed } => Self::Transition { detail, allowed },
        }
    }
}

/// Where a transition goes: a state of one axis, parsed once from its wire name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Destination {
    Response(Response),
    Status(Status),
}

impl Destination {
    /// The state of `axis` named `to`; a name that is not one is refused, naming the field `to`.
    pub fn parse(axis: Axis, to: &str) -> Result<Self, Error> {
        let unknown = || {
            Error::invalid(
                "to",
                format!("`{to}` is not a state of the {} axis", wire_name(axis)),
            )
        };
        let name = serde_json::Value::String(to.to_owned());
        Ok(match axis {
            Axis::Response => Self::Response(serde_json::from_value(name).map_err(|_| unknown())?),
            Axis::Status => Self::Status(serde_json::from_value(name).map_err(|_| unknown())?),
        })
    }

    /// Judges the move from `state`.
    pub fn check(self, state: ItemState, reason: Option<&str>) -> Result<(), Refusal> {
        match self {
            Self::Response(to) => check_response(state, to, reason),
            Self::Status(to) => check_status(state, to, reason),
        }
    }
}

fn status_guard(state: ItemState, to: Status) -> Option<Refusal> {
    let starts_work = matches!(
        to,
        Status::InProgress | Status::PartiallyImplemented | Status::Implemented | Status::Blocked
    );
    if starts_work && !is_agreed(state.response) {
        return Some(Refusal::NotAgreed {
            response: wire_name(state.response),
            allowed: Vec::new(),
        });
    }
    if to == Status::Implemented && !state.has_verified_evidence {
        return Some(Refusal::NoVerifiedEvidence {
            allowed: Vec::new(),
        });
    }
    None
}

fn response_guard(state: ItemState, to: Response) -> Option<Refusal> {
    // A body cannot withdraw agreement from work already under way.
    let work_started = !matches!(
        state.status,
        Status::NotStarted | Status::NotImplemented | Status::Superseded
    );
    (work_started && !is_agreed(to)).then(|| Refusal::NotAgreed {
        response: wire_name(to),
        allowed: Vec::new(),
    })
}

/// The targets a transition on `axis` may reach now, guards included.
pub fn allowed(state: ItemState, axis: Axis) -> Vec<String> {
    match axis {
        Axis::Response => response_targets(state.response)
            .iter()
            .filter(|to| response_guard(state, **to).is_none())
            .map(|to| wire_name(*to))
            .collect(),
        Axis::Status => status_targets(state.status)
            .iter()
            .filter(|to| status_guard(state, **to).is_none())
            .map(|to| wire_name(*to))
            .collect(),
    }
}

fn with_allowed(refusal: Refusal, allowed: Vec<String>) -> Refusal {
    match refusal {
        Refusal::NotAgreed { response, .. } => Refusal::NotAgreed { response, allowed },
        Refusal::NoVerifiedEvidence { .. } => Refusal::NoVerifiedEvidence { allowed },
        other => other,
    }
}

fn has_text(reason: Option<&str>) -> bool {
    reason.is_some_and(|r| !r.trim().is_empty())
}

/// Judges a status transition.
pub fn check_status(state: ItemState, to: Status, reason: Option<&str>) -> Result<(), Refusal> {
    if !status_targets(state.status).contains(&to) {
        return Err(Refusal::NotAllowed {
            axis: "status",
            from: wire_name(state.status),
            to: wire_name(to),
            allowed: allowed(state, Axis::Status),
        });
    }
    if let Some(refusal) = status_guard(state, to) {
        return Err(with_allowed(refusal, allowed(state, Axis::Status)));
    }
    if status_needs_reason(to) && !has_text(reason) {
        return Err(Refusal::ReasonRequired { to: wire_name(to) });
    }
    Ok(())
}

/// Judges a response transition.
pub fn check_response(state: ItemState, to: Response, reason: Option<&str>) -> Result<(), Refusal> {
    if !response_targets(state.response).contains(&to) {
        return Err(Refusal::NotAllowed {
            axis: "response",
            from: wire_name(state.response),
            to: wire_name(to),
            allowed: allowed(state, Axis::Response),
        });
    }
    if let Some(refusal) = response_guard(state, to) {
        return Err(with_allowed(refusal, allowed(state, Axis::Response)));
    }
    if response_needs_reason(to) && !has_text(reason) {
        return Err(Refusal::ReasonRequired { to: wire_name(to) });
    }
    Ok(())
}

#[cfg(test)]
mod tests;
