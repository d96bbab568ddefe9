use actix_web::http::StatusCode;
use diesel::RunQueryDsl;
use recotrack::db::enums::Role;
use serde_json::{Value, json};

use crate::helpers::{Login, TestApp};

struct World {
    app: TestApp,
    manager: Login,
    report: String,
}

async fn world() -> World {
    let app = TestApp::spawn().await;
    let manager = app.user(Role::Manager).await;
    let reply = app
        .call(
            "POST",
            "/api/v1/reports",
            Some(&manager.access),
            Some(
                json!({"key": "test-2026", "title": "A test report", "published_on": "2026-01-15"}),
            ),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    let report = reply.body["id"].as_str().expect("id").to_owned();
    World {
        app,
        manager,
        report,
    }
}

impl World {
    async fn item(&self, title: &str, extra: Value) -> Value {
        let mut body =
            json!({"report_id": self.report, "title": title, "body": format!("Body of {title}")});
        if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            body.extend(extra.clone());
        }
        let reply = self
            .app
            .call(
                "POST",
                "/api/v1/recommendations",
                Some(&self.manager.access),
                Some(body),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
        reply.body
    }

    async fn move_to(
        &self,
        token: &str,
        id: &str,
        axis: &str,
        to: &str,
        reason: Option<&str>,
    ) -> crate::helpers::Reply {
        self.app
            .call(
                "POST",
                &format!("/api/v1/recommendations/{id}/transitions"),
                Some(token),
                Some(json!({"axis": axis, "to": to, "reason": reason})),
            )
            .await
    }

    fn sql(&self, statement: &str) {
        self.app.sql(statement);
    }
}

#[actix_web::test]
async fn a_recommendation_goes_from_pending_to_implemented_with_reviewed_evidence() {
    let w = world().await;
    let contributor = w.app.user(Role::Contributor).await;
    let item = w
        .item(
            "Build joint laboratories",
            json!({"themes": ["Science", "science", "labs"]}),
        )
        .await;
    let id = item["id"].as_str().expect("id");
    assert_eq!(item["key"], "test-2026/01");
    assert_eq!(item["themes"], json!(["science", "labs"]));
    assert_eq!(item["response"], "pending");
    assert_eq!(item["evidence_stage"], "none");

    // A contributor who does not own it may not touch it.
    let refused = w
        .move_to(&contributor.access, id, "status", "in_progress", None)
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let owner = w
        .app
        .call(
            "PUT",
            &format!(
                "/api/v1/recommendations/{id}/owners/users/{}",
                contributor.id
            ),
            Some(&w.manager.access),
            Some(json!({"kind": "responsible"})),
        )
        .await;
    assert_eq!(owner.status, StatusCode::NO_CONTENT, "{}", owner.text);

    // Work cannot start before the response is agreed; the refusal says where it may go.
    let early = w
        .move_to(&contributor.access, id, "status", "in_progress", None)
        .await;
    assert_eq!(early.status, StatusCode::CONFLICT);
    assert_eq!(
        early.body["type"],
        "urn:recotrack:problem:invalid-transition"
    );
    assert_eq!(
        early.body["allowed"],
        json!(["not_implemented", "superseded"])
    );
    // Responses are the managers' to record.
    assert_eq!(
        w.move_to(&contributor.access, id, "response", "accepted", None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let accepted = w
        .move_to(&w.manager.access, id, "response", "accepted", None)
        .await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.text);
    let started = w
        .move_to(&contributor.access, id, "status", "in_progress", None)
        .await;
    assert_eq!(started.status, StatusCode::OK, "{}", started.text);

    // Not implemented without accepted evidence.
    let premature = w
        .move_to(&contributor.access, id, "status", "implemented", None)
        .await;
    assert_eq!(premature.status, StatusCode::CONFLICT);
    assert!(
        !premature.body["allowed"]
            .as_array()
            .expect("allowed")
            .contains(&json!("implemented"))
    );

    let evidence = w
        .app
        .call(
            "POST",
            &format!("/api/v1/recommendations/{id}/evidence"),
            Some(&contributor.access),
            Some(json!({"kind": "statement", "title": "Lab opened", "excerpt": "The lab opened in May.",
                        "source": "Annual report", "observed_on": "2026-05-02"})),
        )
        .await;
    assert_eq!(evidence.status, StatusCode::CREATED, "{}", evidence.text);
    let evidence_id = evidence.body["id"].as_str().expect("id").to_owned();
    let claimed = w
        .app
        .call(
            "GET",
            &format!("/api/v1/recommendations/{id}"),
            Some(&contributor.access),
            None,
        )
        .await;
    assert_eq!(claimed.body["evidence_stage"], "claimed");

    // A manager's own evidence cannot be reviewed by that manager.
    let own = w
        .app
        .call(
            "POST",
            &format!("/api/v1/recommendations/{id}/evidence"),
            Some(&w.manager.access),
            Some(
                json!({"kind": "url", "title": "Press release", "url": "https://example.org/lab"}),
            ),
        )
        .await;
    let own_id = own.body["id"].as_str().expect("id").to_owned();
    let self_review = w
        .app
        .call_with(
            "POST",
            &format!("/api/v1/evidence/{own_id}/review"),
            Some(&w.manager.access),
            Some(json!({"decision": "accepted"})),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(
        self_review.status,
        StatusCode::FORBIDDEN,
        "{}",
        self_review.text
    );
    assert_eq!(
        w.move_to(&contributor.access, id, "status", "implemented", None)
            .await
            .status,
        StatusCode::CONFLICT,
        "self-reviewed evidence must not count"
    );

    let review = w
        .app
        .call_with(
            "POST",
            &format!("/api/v1/evidence/{evidence_id}/review"),
            Some(&w.manager.access),
            Some(json!({"decision": "accepted"})),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(review.status, StatusCode::OK, "{}", review.text);
    let done = w
        .move_to(&contributor.access, id, "status", "implemented", None)
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    assert_eq!(done.body["status"], "implemented");
    assert_eq!(done.body["evidence_stage"], "verified");
    assert_eq!(done.body["evidence_as_of"], "2026-05-02");

    let history = w
        .app
        .call(
            "GET",
            &format!("/api/v1/recommendations/{id}/history"),
            Some(&contributor.access),
            None,
        )
        .await;
    let kinds: Vec<&str> = history
        .body
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert_eq!(
        kinds,
        [
            "created",
            "owner_added",
            "transition",
            "transition",
            "evidence_added",
            "evidence_added",
            "evidence_reviewed",
            "transition"
        ]
    );
    let last = &history.body[7];
    assert_eq!(last["field"], "status");
    assert_eq!(last["before"], "in_progress");
    assert_eq!(last["after"], "implemented");
    assert_eq!(last["actor_id"], contributor.id.to_string());
    let verdict = w
        .app
        .call(
            "GET",
            &format!("/api/v1/recommendations/{id}/history/verify"),
            Some(&contributor.access),
            None,
        )
        .await;
    assert_eq!(verdict.body["intact"], true);
    assert_eq!(verdict.body["events"], 8);
}

#[actix_web::test]
async fn every_status_move_is_allowed_exactly_when_the_workflow_says() {
    let w = world().await;
    let item = w.item("Table", json!({})).await;
    let id = item["id"].as_str().expect("id").to_owned();
    // Where each status may go (the README's table), in the order the API lists them.
    let moves: [(&str, &[&str]); 7] = [
        (
            "not_started",
            &["in_progress", "not_implemented", "superseded"],
        ),
        (
            "in_progress",
            &[
                "partially_implemented",
                "implemented",
                "blocked",
                "not_implemented",
                "superseded",
            ],
        ),
        (
            "partially_implemented",
            &[
                "in_progress",
                "implemented",
                "not_implemented",
                "superseded",
            ],
        ),
        ("implemented", &[]),
        ("blocked", &["in_progress", "not_implemented", "superseded"]),
        ("not_implemented", &[]),
        ("superseded", &[]),
    ];
    let mut checked = 0;
    for (from, targets) in moves {
        for (to, _) in moves {
            // Put the item in `from` with every guard satisfied, then ask the API.
            w.sql(&format!(
                "UPDATE recommendations SET response = 'accepted', status = '{}', status_reason = 'set by test', \
                 evidence_stage = 'verified', evidence_as_of = DATE '2026-01-01' WHERE id = '{id}'",
                from
            ));
            let reply = w
                .move_to(&w.manager.access, &id, "status", to, Some("because"))
                .await;
            let expected = targets.contains(&to);
            assert_eq!(
                reply.status == StatusCode::OK,
                expected,
                "{from} -> {to}: {}",
                reply.text
            );
            if !expected {
                assert_eq!(reply.status, StatusCode::CONFLICT);
                assert_eq!(reply.body["allowed"], json!(targets), "{from}");
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 49);
}

#[actix_web::test]
async fn every_response_move_is_allowed_exactly_when_the_workflow_says() {
    let w = world().await;
    let item = w.item("Table", json!({})).await;
    let id = item["id"].as_str().expect("id").to_owned();
    // Only a pending response moves, to any of the four answers.
    let moves: [(&str, &[&str]); 5] = [
        (
            "pending",
            &["accepted", "accepted_in_principle", "noted", "rejected"],
        ),
        ("accepted", &[]),
        ("accepted_in_principle", &[]),
        ("noted", &[]),
        ("rejected", &[]),
    ];
    for (from, targets) in moves {
        for (to, _) in moves {
            w.sql(&format!(
                "UPDATE recommendations SET status = 'not_started', response = '{}', response_reason = 'set by test' \
                 WHERE id = '{id}'",
                from
            ));
            let reply = w
                .move_to(&w.manager.access, &id, "response", to, Some("because"))
                .await;
            let expected = targets.contains(&to);
            assert_eq!(
                reply.status == StatusCode::OK,
                expected,
                "{from} -> {to}: {}",
                reply.text
            );
        }
    }
    // Reasons: required for noted and rejected.
    w.sql(&format!(
        "UPDATE recommendations SET response = 'pending', response_reason = NULL WHERE id = '{id}'"
    ));
    let bare = w
        .move_to(&w.manager.access, &id, "response", "rejected", None)
        .await;
    assert_eq!(bare.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bare.body["field"], "reason");
    let unknown = w
        .move_to(&w.manager.access, &id, "response", "maybe", None)
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unknown.body["field"], "to");
}

#[actix_web::test]
async fn two_writers_on_one_version_one_wins_one_gets_412() {
    let w = world().await;
    let item = w.item("Race", json!({})).await;
    let id = item["id"].as_str().expect("id");
    let got = w
        .app
        .call(
            "GET",
            &format!("/api/v1/recommendations/{id}"),
            Some(&w.manager.access),
            None,
        )
        .await;
    let tag = got.header("etag").expect("ETag").to_owned();
    let patch = |title: &'static str| {
        let client = awc::Client::default();
        let url = format!("{}/api/v1/recommendations/{id}", w.app.address);
        let token = w.manager.access.clone();
        let tag = tag.clone();
        async move {
            client
                .patch(url)
                .insert_header(("Authorization", format!("Bearer {token}")))
                .insert_header(("If-Match", tag))
                .send_json(&json!({"title": title}))
                .await
                .expect("sent")
                .status()
        }
    };
    let (a, b) = tokio::join!(patch("First title"), patch("Second title"));
    let mut statuses = [a, b];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::PRECONDITION_FAILED]);
    let history = w
        .app
        .call(
            "GET",
            &format!("/api/v1/recommendations/{id}/history"),
            Some(&w.manager.access),
            None,
        )
        .await;
    let edits = history
        .body
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["field"] == "title")
        .count();
    assert_eq!(edits, 1);
    let now = w
        .app
        .call(
            "GET",
            &format!("/api/v1/recommendations/{id}"),
            Some(&w.manager.access),
            None,
        )
        .await;
    assert_eq!(now.body["version"], 2);
    let tag = now.header("etag").expect("ETag");
    assert!(tag.starts_with("\"2."), "{tag}");
    let unchanged = w
        .app
        .call_with(
            "GET",
            &format!("/api/v1/recommendations/{id}"),
            Some(&w.manager.access),
            None,
            &[("If-None-Match", tag)],
        )
        .await;
    assert_eq!(unchanged.status, StatusCode::NOT_MODIFIED);
    assert!(unchanged.text.is_empty());
}

#[actix_web::test]
async fn a_tampered_history_row_is_detected() {
    let w = world().await;
    let item = w.item("Tamper", json!({})).await;
    let id = item["id"].as_str().expect("id");
    w.move_to(&w.manager.access, id, "response", "accepted", None)
        .await;
    w.move_to(&w.manager.access, id, "status", "in_progress", None)
        .await;
    let clean = w
        .app
        .call(
            "GET",
            &format!("/api/v1/recommendations/{id}/history/verify"),
            Some(&w.manager.access),
            None,
        )
        .await;
    assert_eq!(clean.body["intact"], true);
    assert_eq!(clean.body["events"], 3);
    // Someone with database access rewrites the second event, bypassing the append-only trigger.
    let mut conn = w.app.db.connect();
    diesel::sql_query("SET session_replication_role = replica")
        .execute(&mut conn)
        .expect("superuser");
    diesel::sql_query(format!(
        "UPDATE history_events SET after = '\"rejected\"' WHERE recommendation_id = '{id}' AND seq = 2"
    ))
    .execute(&mut conn)
    .expect("tamper");
    let verdict = w
        .app
        .call(
            "GET",
            &format!("/api/v1/recommendations/{id}/history/verify"),
            Some(&w.manager.access),
            None,
        )
        .await;
    assert_eq!(verdict.body["intact"], false);
    assert_eq!(verdict.body["first_broken_seq"], 2);
}

#[actix_web::test]
async fn lists_filter_and_page_through_every_item_once() {
    let w = world().await;
    let mut ids = Vec::new();
    for n in 1..=7 {
        let themes = if n % 2 == 0 {
            json!(["green"])
        } else {
            json!(["trade"])
        };
        let item = w
            .item(
                &format!("Item number {n}"),
                json!({"themes": themes, "due_date": format!("2030-01-{n:02}")}),
            )
            .await;
        ids.push(item["id"].as_str().expect("id").to_owned());
    }
    let railway = w
        .item(
            "Railway corridor",
            json!({"body": "Build the China-Laos railway freight stations"}),
        )
        .await;
    // Page through everything, three at a time, by due date.
    let mut seen = Vec::new();
    let mut path = format!(
        "/api/v1/reports/{}/recommendations?limit=3&sort=due_date",
        w.report
    );
    loop {
        let page = w
            .app
            .call_with(
                "GET",
                &path,
                Some(&w.manager.access),
                None,
                &[("prefer", "count=exact")],
            )
            .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        assert_eq!(page.body["total"], 8);
        assert_eq!(page.body["total_kind"], "exact");
        assert_eq!(page.header("x-total-count"), Some("8"));
        for item in page.body["items"].as_array().expect("items") {
            seen.push(item["id"].as_str().expect("id").to_owned());
        }
        match page.body["next_cursor"].as_str() {
            Some(cursor) => {
                let link = page.header("link").expect("Link header");
                assert!(
                    link.contains("rel=\"next\"") && link.contains(cursor),
                    "{link}"
                );
                path = format!(
                    "/api/v1/reports/{}/recommendations?limit=3&sort=due_date&cursor={cursor}",
                    w.report
                );
            }
            None => break,
        }
    }
    let mut expected = ids.clone();
    expected.push(railway["id"].as_str().expect("id").to_owned());
    assert_eq!(
        seen, expected,
        "due-date order, undated last, each item once"
    );

    let green = w
        .app
        .call(
            "GET",
            "/api/v1/recommendations?theme=green&sort=-ordinal",
            Some(&w.manager.access),
            None,
        )
        .await;
    assert_eq!(green.body["total"], 3);
    assert_eq!(green.body["items"][0]["title"], "Item number 6");
    let search = w
        .app
        .call(
            "GET",
            "/api/v1/recommendations?q=railway%20freight",
            Some(&w.manager.access),
            None,
        )
        .await;
    assert_eq!(search.body["total"], 1);
    assert_eq!(search.body["items"][0]["title"], "Railway corridor");
    let due = w
        .app
        .call(
            "GET",
            "/api/v1/recommendations?due_before=2030-01-03",
            Some(&w.manager.access),
            None,
        )
        .await;
    assert_eq!(due.body["total"], 2);

    // Overdue and stalled are computed: move one item's clock back and one deadline past.
    w.sql(&format!("UPDATE recommendations SET due_date = DATE '2020-01-01', original_due_date = DATE '2020-01-01' WHERE id = '{}'", ids[0]));
    w.sql(&format!(
        "UPDATE recommendations SET last_activity_at = now() - interval '90 days' WHERE id = '{}'",
        ids[1]
    ));
    let overdue = w
        .app
        .call(
            "GET",
            "/api/v1/recommendations?overdue=true",
            Some(&w.manager.access),
            None,
        )
        .await;
    assert_eq!(overdue.body["total"], 1);
    assert_eq!(overdue.body["items"][0]["id"], ids[0].as_str());
    assert_eq!(overdue.body["items"][0]["overdue"], true);
    let stalled = w
        .app
        .call(
            "GET",
            "/api/v1/recommendations?stalled=true",
            Some(&w.manager.access),
            None,
        )
        .await;
    assert_eq!(stalled.body["total"], 1);
    assert_eq!(stalled.body["items"][0]["stalled"], true);
    assert_eq!(stalled.body["items"][0]["stall_rule"], "pending");
    let by_status = w
        .app
        .call(
            "GET",
            "/api/v1/recommendations?status=not_started,blocked",
            Some(&w.manager.access),
            None,
        )
        .await;
    assert_eq!(by_status.body["total"], 8);

    for (query, field) in [
        ("status=done", "status"),
        ("sort=colour", "sort"),
        ("limit=0", "limit"),
        ("cursor=abc", "cursor"),
    ] {
        let bad = w
            .app
            .call(
                "GET",
                &format!("/api/v1/recommendations?{query}"),
                Some(&w.manager.access),
                None,
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        assert_eq!(bad.body["field"], field, "{query}");
    }
    let unknown = w
        .app
        .call(
            "GET",
            "/api/v1/recommendations?colour=red",
            Some(&w.manager.access),
            None,
        )
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
}

#[actix_web::test]
async fn deadlines_keep_their_baseline_and_moves_need_a_reason() {
    let w = world().await;
    let item = w.item("Deadline", json!({})).await;
    let id = item["id"].as_str().expect("id");
    let path = format!("/api/v1/recommendations/{id}");
    let first = w
        .app
        .call(
            "PATCH",
            &path,
            Some(&w.manager.access),
            Some(json!({"due_date": "2027-06-30"})),
        )
        .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    assert_eq!(first.body["original_due_date"], "2027-06-30");
    let unexplained = w
        .app
        .call(
            "PATCH",
            &path,
            Some(&w.manager.access),
            Some(json!({"due_date": "2028-06-30"})),
        )
        .await;
    assert_eq!(unexplained.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unexplained.body["field"], "due_date_reason");
    let moved = w
        .app
        .call(
            "PATCH",
            &path,
            Some(&w.manager.access),
            Some(json!({"due_date": "2028-06-30", "due_date_reason": "Funding slipped a year"})),
        )
        .await;
    assert_eq!(moved.body["due_date"], "2028-06-30");
    assert_eq!(moved.body["original_due_date"], "2027-06-30");
    let history = w
        .app
        .call(
            "GET",
            &format!("{path}/history"),
            Some(&w.manager.access),
            None,
        )
        .await;
    let revised = history
        .body
        .as_array()
        .expect("events")
        .iter()
        .find(|e| e["kind"] == "deadline_revised")
        .expect("revision");
    assert_eq!(revised["reason"], "Funding slipped a year");
    assert_eq!(revised["before"], "2027-06-30");
}

#[actix_web::test]
async fn team_owners_work_on_their_items_but_only_managers_redefine_them() {
    let w = world().await;
    let admin = w.app.user(Role::Admin).await;
    let member = w.app.user(Role::Contributor).await;
    let team = w
        .app
        .call(
            "POST",
            "/api/v1/teams",
            Some(&admin.access),
            Some(json!({"name": "Desk"})),
        )
        .await;
    let team_id = team.body["id"].as_str().expect("id").to_owned();
    w.app
        .call(
            "PUT",
            &format!("/api/v1/teams/{team_id}/members/{}", member.id),
            Some(&admin.access),
            Some(json!({})),
        )
        .await;
    let item = w.item("Team item", json!({})).await;
    let id = item["id"].as_str().expect("id");
    let path = format!("/api/v1/recommendations/{id}");
    assert_eq!(
        w.app
            .call(
                "PATCH",
                &path,
                Some(&member.access),
                Some(json!({"progress_percent": 10}))
            )
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let owned = w
        .app
        .call(
            "PUT",
            &format!("{path}/owners/teams/{team_id}"),
            Some(&w.manager.access),
            Some(json!({"kind": "responsible"})),
        )
        .await;
    assert_eq!(owned.status, StatusCode::NO_CONTENT);
    let progress = w
        .app
        .call(
            "PATCH",
            &path,
            Some(&member.access),
            Some(json!({"progress_percent": 40, "progress_note": "Site chosen"})),
        )
        .await;
    assert_eq!(progress.status, StatusCode::OK, "{}", progress.text);
    assert_eq!(progress.body["progress_percent"], 40);
    assert_eq!(progress.body["owners"][0]["name"], "Desk");
    let retitle = w
        .app
        .call(
            "PATCH",
            &path,
            Some(&member.access),
            Some(json!({"title": "Mine now"})),
        )
        .await;
    assert_eq!(retitle.status, StatusCode::FORBIDDEN);
    let comment = w
        .app
        .call(
            "POST",
            &format!("{path}/comments"),
            Some(&member.access),
            Some(json!({"body": "On it"})),
        )
        .await;
    assert_eq!(comment.status, StatusCode::CREATED);
    let me = w
        .app
        .call("GET", "/api/v1/me", Some(&member.access), None)
        .await;
    assert_eq!(me.body["owned_items"], 1);
    let mine = w
        .app
        .call(
            "GET",
            &format!("/api/v1/recommendations?owner={}", member.id),
            Some(&member.access),
            None,
        )
        .await;
    assert_eq!(mine.body["total"], 1);
}

#[actix_web::test]
async fn bad_input_is_refused_and_changes_nothing() {
    let w = world().await;
    let missing_title = w
        .app
        .call(
            "POST",
            "/api/v1/recommendations",
            Some(&w.manager.access),
            Some(json!({"report_id": w.report})),
        )
        .await;
    assert_eq!(missing_title.status, StatusCode::BAD_REQUEST);
    let blank = w
        .app
        .call(
            "POST",
            "/api/v1/recommendations",
            Some(&w.manager.access),
            Some(json!({"report_id": w.report, "title": "  "})),
        )
        .await;
    assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(blank.body["field"], "title");
    let item = w.item("Keep", json!({})).await;
    let duplicate = w
        .app
        .call(
            "POST",
            "/api/v1/recommendations",
            Some(&w.manager.access),
            Some(json!({"report_id": w.report, "title": "Dup", "key": item["key"]})),
        )
        .await;
    assert_eq!(duplicate.status, StatusCode::CONFLICT);
    let list = w
        .app
        .call(
            "GET",
            "/api/v1/recommendations",
            Some(&w.manager.access),
            None,
        )
        .await;
    assert_eq!(list.body["total"], 1);
    let busy = w
        .app
        .call(
            "DELETE",
            &format!("/api/v1/reports/{}", w.report),
            Some(&w.manager.access),
            None,
        )
        .await;
    assert_eq!(busy.status, StatusCode::CONFLICT);
    let stale = w
        .app
        .call(
            "GET",
            &format!("/api/v1/reports/{}", w.report),
            Some(&w.manager.access),
            None,
        )
        .await;
    assert_eq!(stale.status, StatusCode::OK);
}
