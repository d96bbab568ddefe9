//! The two state machines, published so dashboards and clients never hard-code them.

use actix_web::{HttpResponse, get};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::enums::{Response, Status, wire_name};
use crate::domain::workflow::{
    response_needs_reason, response_targets, status_needs_reason, status_targets,
};
use crate::error::Error;
use crate::http::auth::Viewer;
use crate::http::problem::Denied;

/// One allowed move.
#[derive(Debug, Serialize, ToSchema)]
pub struct TransitionRule {
    pub from: String,
    pub to: String,
    pub reason_required: bool,
}

/// One axis: its states, where it starts, its moves and the extra conditions.
#[derive(Debug, Serialize, ToSchema)]
pub struct AxisDescription {
    pub states: Vec<String>,
    pub initial: String,
    /// States in which an item is finished with on this axis.
    pub terminal: Vec<String>,
    pub transitions: Vec<TransitionRule>,
    pub guards: Vec<String>,
}

/// Both axes.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkflowResponse {
    pub response: AxisDescription,
    pub status: AxisDescription,
    /// Derived from evidence, never set by hand.
    pub evidence_stages: Vec<String>,
}

fn describe<T: Copy + Serialize>(
    states: &[T],
    targets: fn(T) -> &'static [T],
    needs_reason: fn(T) -> bool,
    guards: Vec<String>,
) -> AxisDescription {
    AxisDescription {
        states: states.iter().map(|s| wire_name(*s)).collect(),
        initial: states.first().map(|s| wire_name(*s)).unwrap_or_default(),
        terminal: states
            .iter()
            .filter(|s| targets(**s).is_empty())
            .map(|s| wire_name(*s))
            .collect(),
        transitions: states
            .iter()
            .flat_map(|from| {
                targets(*from).iter().map(move |to| TransitionRule {
                    from: wire_name(*from),
                    to: wire_name(*to),
                    reason_required: needs_reason(*to),
                })
            })
            .collect(),
        guards,
    }
}

/// The response and status state machines, with their reasons and guards.
///
/// Required role: viewer.
#[utoipa::path(
    tag = "workflow",
    security(("bearer" = ["viewer"])),
    responses((status = 200, description = "Both state machines", body = WorkflowResponse), Denied)
)]
#[get("/workflow")]
pub async fn get_workflow(_caller: Viewer) -> Result<HttpResponse, Error> {
    use Response as R;
    use Status as S;
    let response = describe(
        &[
            R::Pending,
            R::Accepted,
            R::AcceptedInPrinciple,
            R::Noted,
            R::Rejected,
        ],
        response_targets,
        response_needs_reason,
        vec![
            "only managers record responses".into(),
            "once implementation is under way the response can no longer become noted or rejected"
                .into(),
        ],
    );
    let status = describe(
        &[S::NotStarted, S::InProgress, S::PartiallyImplemented, S::Implemented, S::Blocked, S::NotImplemented, S::Superseded],
        status_targets,
        status_needs_reason,
        vec![
            "in_progress, partially_implemented, implemented and blocked need the response accepted or accepted_in_principle".into(),
            "implemented needs at least one piece of evidence accepted by a reviewer other than its submitter".into(),
        ],
    );
    Ok(HttpResponse::Ok().json(WorkflowResponse {
        response,
        status,
        evidence_stages: vec!["none".into(), "claimed".into(), "verified".into()],
    }))
}
