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
            let result = check_response(state(from, Status::NotStarted, false), to, Some("why"));
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
