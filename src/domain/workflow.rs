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
mod tests {
    use super::*;

    fn state(response: Response, status: Status, evidence: bool) -> ItemState {
        ItemState {
            response,
            status,
            has_verified_evidence: evidence,
        }
    }

    #[test]
    fn every_status_pair_is_allowed_exactly_as_the_readme_table_says() {
        use Status::*;
        let all = [
            NotStarted,
            InProgress,
            PartiallyImplemented,
            Implemented,
            Blocked,
            NotImplemented,
            Superseded,
        ];
        // Rows: from; columns: to, in the order of `all`. Accepted response, verified evidence,
        // a reason given: only the workflow's own edges decide.
        let allowed: [[u8; 7]; 7] = [
            // NS IP PI IM BL NI SU
            [0, 1, 0, 0, 0, 1, 1], // not_started
            [0, 0, 1, 1, 1, 1, 1], // in_progress
            [0, 1, 0, 1, 0, 1, 1], // partially_implemented
            [0, 0, 0, 0, 0, 0, 0], // implemented
            [0, 1, 0, 0, 0, 1, 1], // blocked
            [0, 0, 0, 0, 0, 0, 0], // not_implemented
            [0, 0, 0, 0, 0, 0, 0], // superseded
        ];
        for (i, from) in all.into_iter().enumerate() {
            for (j, to) in all.into_iter().enumerate() {
                let result = check_status(state(Response::Accepted, from, true), to, Some("why"));
                assert_eq!(result.is_ok(), allowed[i][j] == 1, "{from:?} -> {to:?}");
            }
        }
    }

    #[test]
    fn every_response_pair_is_allowed_exactly_as_the_readme_table_says() {
        use Response::*;
        let all = [Pending, Accepted, AcceptedInPrinciple, Noted, Rejected];
        let allowed: [[u8; 5]; 5] = [
            // PE AC AP NO RE
            [0, 1, 1, 1, 1], // pending
            [0, 0, 0, 0, 0], // accepted
            [0, 0, 0, 0, 0], // accepted_in_principle
            [0, 0, 0, 0, 0], // noted
            [0, 0, 0, 0, 0], // rejected
        ];
        for (i, from) in all.into_iter().enumerate() {
            for (j, to) in all.into_iter().enumerate() {
                let result =
                    check_response(state(from, Status::NotStarted, false), to, Some("why"));
                assert_eq!(result.is_ok(), allowed[i][j] == 1, "{from:?} -> {to:?}");
            }
        }
    }

    #[test]
    fn implementation_waits_for_agreement() {
        for response in [Response::Pending, Response::Noted, Response::Rejected] {
            let refused = check_status(
                state(response, Status::NotStarted, true),
                Status::InProgress,
                None,
            );
            assert!(
                matches!(refused, Err(Refusal::NotAgreed { .. })),
                "{response:?}"
            );
        }
        assert!(
            check_status(
                state(Response::AcceptedInPrinciple, Status::NotStarted, false),
                Status::InProgress,
                None
            )
            .is_ok()
        );
        // Closing without doing stays possible.
        assert!(
            check_status(
                state(Response::Pending, Status::NotStarted, false),
                Status::Superseded,
                Some("merged")
            )
            .is_ok()
        );
    }

    #[test]
    fn implemented_needs_verified_evidence() {
        let refused = check_status(
            state(Response::Accepted, Status::InProgress, false),
            Status::Implemented,
            None,
        );
        match refused {
            Err(Refusal::NoVerifiedEvidence { allowed }) => {
                assert!(!allowed.contains(&"implemented".into()))
            }
            other => panic!("expected NoVerifiedEvidence, got {other:?}"),
        }
    }

    #[test]
    fn reasons_are_required_where_the_rules_say() {
        let s = state(Response::Accepted, Status::InProgress, true);
        assert_eq!(
            check_status(s, Status::Blocked, Some("  ")),
            Err(Refusal::ReasonRequired {
                to: "blocked".into()
            })
        );
        assert!(check_status(s, Status::Blocked, Some("waiting for funds")).is_ok());
        let p = state(Response::Pending, Status::NotStarted, false);
        assert!(matches!(
            check_response(p, Response::Rejected, None),
            Err(Refusal::ReasonRequired { .. })
        ));
        assert!(check_response(p, Response::Accepted, None).is_ok());
    }

    #[test]
    fn responses_move_only_from_pending() {
        let s = state(Response::Accepted, Status::NotStarted, false);
        match check_response(s, Response::Rejected, Some("changed mind")) {
            Err(Refusal::NotAllowed { allowed, .. }) => assert!(allowed.is_empty()),
            other => panic!("expected NotAllowed, got {other:?}"),
        }
    }

    #[test]
    fn refusals_list_what_is_allowed() {
        let s = state(Response::Accepted, Status::NotStarted, false);
        match check_status(s, Status::Implemented, None) {
            Err(Refusal::NotAllowed { allowed, .. }) => {
                assert_eq!(
                    allowed,
                    vec!["in_progress", "not_implemented", "superseded"]
                );
            }
            other => panic!("expected NotAllowed, got {other:?}"),
        }
    }

    #[test]
    fn closed_items() {
        assert!(is_closed(Response::Rejected, Status::NotStarted));
        assert!(is_closed(Response::Accepted, Status::Implemented));
        assert!(!is_closed(Response::Accepted, Status::Blocked));
    }
}
