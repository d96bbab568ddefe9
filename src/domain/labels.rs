//! What people read instead of wire names: "Partially implemented", not
//! `partially_implemented`. Emails and pages use these; the API keeps the wire names.

use crate::db::enums::{Response, Status};

pub fn status(status: Status) -> &'static str {
    match status {
        Status::NotStarted => "Not started",
        Status::InProgress => "In progress",
        Status::PartiallyImplemented => "Partially implemented",
        Status::Implemented => "Implemented",
        Status::Blocked => "Blocked",
        Status::NotImplemented => "Not implemented",
        Status::Superseded => "Superseded",
    }
}

pub fn response(response: Response) -> &'static str {
    match response {
        Response::Pending => "Pending",
        Response::Accepted => "Accepted",
        Response::AcceptedInPrinciple => "Accepted in principle",
        Response::Noted => "Noted",
        Response::Rejected => "Rejected",
    }
}

/// The stall rules by the names `domain::stall::rule` gives them.
pub fn stall_rule(rule: &str) -> &'static str {
    match rule {
        "in_progress" => "in progress",
        "blocked" => "blocked",
        "partially_implemented" => "partially implemented",
        "accepted" => "accepted, not started",
        _ => "awaiting a response",
    }
}

/// A status or response by its wire name, for places that hold only the name.
pub fn of_wire(name: &str) -> String {
    serde_json::from_value::<Status>(serde_json::Value::from(name))
        .map(status)
        .or_else(|_| {
            serde_json::from_value::<Response>(serde_json::Value::from(name)).map(response)
        })
        .map_or_else(|_| name.replace('_', " "), str::to_owned)
}

/// A recorded value as people read it: `none`, a state's label, or the value itself.
pub fn value(value: &Option<serde_json::Value>) -> String {
    match value {
        None | Some(serde_json::Value::Null) => "none".to_owned(),
        Some(serde_json::Value::String(s)) => of_wire(s),
        Some(other) => other.to_string(),
    }
}

/// What a history event changed, as one line (`status: Not started → In progress`); empty for
/// an event that names no field.
pub fn change_line(event: &crate::db::models::HistoryEvent) -> String {
    event
        .field
        .as_ref()
        .map(|f| {
            format!(
                "{}: {} → {}",
                f.replace('_', " "),
                value(&event.before),
                value(&event.after)
            )
        })
        .unwrap_or_default()
}

/// Who made a history event, as people read it: a person by name, an API token, or
/// recotrack itself; `names` holds the people's names.
pub fn actor(
    kind: crate::db::enums::ActorKind,
    id: Option<uuid::Uuid>,
    names: &std::collections::HashMap<uuid::Uuid, String>,
) -> String {
    use crate::db::enums::ActorKind;
    match kind {
        ActorKind::System => "recotrack".to_owned(),
        ActorKind::Token => "an API token".to_owned(),
        ActorKind::User => id
            .and_then(|id| names.get(&id).cloned())
            .unwrap_or_else(|| "someone no longer here".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_read_as_words() {
        assert_eq!(of_wire("partially_implemented"), "Partially implemented");
        assert_eq!(of_wire("accepted_in_principle"), "Accepted in principle");
        assert_eq!(of_wire("evidence_added"), "evidence added");
        assert_eq!(stall_rule("pending"), "awaiting a response");
    }
}
