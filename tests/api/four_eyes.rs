//! Evidence is accepted only by someone other than the people who produced it, and a verdict
//! covers exactly the version it saw: each attack here once succeeded.

use actix_web::http::StatusCode;
use diesel::RunQueryDsl;
use recotrack::db::enums::Role;
use serde_json::{Value, json};

use crate::helpers::{Login, Reply, TestApp};

struct Desk {
    app: TestApp,
    manager: Login,
    other_manager: Login,
    contributor: Login,
    item: String,
}

async fn desk() -> Desk {
    let app = TestApp::spawn().await;
    let manager = app.user(Role::Manager).await;
    let other_manager = app.user(Role::Manager).await;
    let contributor = app.user(Role::Contributor).await;
    let report = app
        .call(
            "POST",
            "/api/v1/reports",
            Some(&manager.access),
            Some(json!({"key": "four-eyes", "title": "Four eyes"})),
        )
        .await;
    let item = app
        .call(
            "POST",
            "/api/v1/recommendations",
            Some(&manager.access),
            Some(json!({"report_id": report.body["id"], "title": "Open the joint laboratory"})),
        )
        .await;
    let item = item.body["id"].as_str().expect("item id").to_owned();
    let owned = app
        .call(
            "PUT",
            &format!(
                "/api/v1/recommendations/{item}/owners/users/{}",
                contributor.id
            ),
            Some(&manager.access),
            Some(json!({"kind": "responsible"})),
        )
        .await;
    assert_eq!(owned.status, StatusCode::NO_CONTENT, "{}", owned.text);
    let desk = Desk {
        app,
        manager,
        other_manager,
        contributor,
        item,
    };
    for (axis, to) in [("response", "accepted"), ("status", "in_progress")] {
        let moved = desk.transition(&desk.manager, axis, to).await;
        assert_eq!(moved.status, StatusCode::OK, "{}", moved.text);
    }
    desk
}

impl Desk {
    async fn transition(&self, who: &Login, axis: &str, to: &str) -> Reply {
        self.app
            .call(
                "POST",
                &format!("/api/v1/recommendations/{}/transitions", self.item),
                Some(&who.access),
                Some(json!({"axis": axis, "to": to})),
            )
            .await
    }

    async fn submit(&self, who: &Login, title: &str) -> String {
        let reply = self
            .app
            .call(
                "POST",
                &format!("/api/v1/recommendations/{}/evidence", self.item),
                Some(&who.access),
                Some(
                    json!({"kind": "url", "title": title, "url": "https://example.org/lab-opened"}),
                ),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
        assert_eq!(reply.body["version"], 1);
        reply.body["id"].as_str().expect("evidence id").to_owned()
    }

    async fn edit(&self, who: &Login, evidence: &str, title: &str, url: &str) -> Reply {
        self.app
            .call(
                "PATCH",
                &format!("/api/v1/evidence/{evidence}"),
                Some(&who.access),
                Some(json!({"kind": "url", "title": title, "url": url})),
            )
            .await
    }

    async fn review(
        &self,
        who: &Login,
        evidence: &str,
        version: Option<&str>,
        decision: &str,
    ) -> Reply {
        let tag = version.map(|v| format!("\"{v}\""));
        let headers: Vec<(&str, &str)> = tag.iter().map(|t| ("if-match", t.as_str())).collect();
        self.app
            .call_with(
                "POST",
                &format!("/api/v1/evidence/{evidence}/review"),
                Some(&who.access),
                Some(json!({"decision": decision, "note": "checked against the source"})),
                &headers,
            )
            .await
    }

    async fn evidence(&self, evidence: &str) -> Value {
        let listed = self
            .app
            .call(
                "GET",
                &format!("/api/v1/recommendations/{}/evidence", self.item),
                Some(&self.manager.access),
                None,
            )
            .await;
        listed
            .body
            .as_array()
            .expect("evidence list")
            .iter()
            .find(|e| e["id"] == evidence)
            .cloned()
            .expect("the evidence is listed")
    }

    async fn item(&self) -> Value {
        self.app
            .call(
                "GET",
                &format!("/api/v1/recommendations/{}", self.item),
                Some(&self.manager.access),
                None,
            )
            .await
            .body
    }

    async fn history_kinds(&self) -> Vec<String> {
        let history = self
            .app
            .call(
                "GET",
                &format!("/api/v1/recommendations/{}/history", self.item),
                Some(&self.manager.access),
                None,
            )
            .await;
        history
            .body
            .as_array()
            .expect("events")
            .iter()
            .filter_map(|e| e["kind"].as_str().map(str::to_owned))
            .collect()
    }
}

#[actix_web::test]
async fn a_manager_who_rewrote_pending_evidence_cannot_accept_it() {
    let d = desk().await;
    let evidence = d.submit(&d.contributor, "Lab opened").await;
    let rewritten = d
        .edit(
            &d.manager,
            &evidence,
            "Lab opened (confirmed)",
            "https://example.org/elsewhere",
        )
        .await;
    assert_eq!(rewritten.status, StatusCode::OK, "{}", rewritten.text);
    assert_eq!(rewritten.body["version"], 2);
    let editors = rewritten.body["editors"].as_array().expect("editors");
    assert!(editors.contains(&json!(d.manager.id.to_string())));
    assert!(editors.contains(&json!(d.contributor.id.to_string())));

    let self_accept = d.review(&d.manager, &evidence, Some("2"), "accepted").await;
    assert_eq!(
        self_accept.status,
        StatusCode::FORBIDDEN,
        "{}",
        self_accept.text
    );
    assert_eq!(d.evidence(&evidence).await["verification"], "pending");
    let implemented = d.transition(&d.contributor, "status", "implemented").await;
    assert_eq!(
        implemented.status,
        StatusCode::CONFLICT,
        "{}",
        implemented.text
    );

    // Someone who touched no version may accept it.
    let accepted = d
        .review(&d.other_manager, &evidence, Some("2"), "accepted")
        .await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.text);
    assert_eq!(accepted.body["version"], 3);
    let implemented = d.transition(&d.contributor, "status", "implemented").await;
    assert_eq!(implemented.status, StatusCode::OK, "{}", implemented.text);
}

#[actix_web::test]
async fn editing_accepted_evidence_sends_it_back_to_review_and_flags_the_implemented_item() {
    let d = desk().await;
    let evidence = d.submit(&d.contributor, "Lab opened").await;
    let accepted = d.review(&d.manager, &evidence, Some("1"), "accepted").await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.text);
    let done = d.transition(&d.contributor, "status", "implemented").await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    assert_eq!(done.body["evidence_stage"], "verified");

    // The submitter swaps the link after the verdict.
    let swapped = d
        .edit(
            &d.contributor,
            &evidence,
            "Lab opened",
            "https://example.org/a-different-page",
        )
        .await;
    assert_eq!(swapped.status, StatusCode::OK, "{}", swapped.text);
    assert_eq!(swapped.body["verification"], "pending");
    assert_eq!(swapped.body["reviewed_by"], Value::Null);
    assert_eq!(swapped.body["version"], 3);

    let item = d.item().await;
    assert_eq!(item["status"], "implemented", "a person decides the status");
    assert_eq!(item["evidence_stage"], "claimed");
    assert_eq!(item["evidence_as_of"], Value::Null);
    let kinds = d.history_kinds().await;
    assert_eq!(
        kinds[kinds.len() - 2..],
        ["evidence_updated".to_owned(), "evidence_lapsed".to_owned()]
    );
    // The history keeps both versions whole.
    let history = d
        .app
        .call(
            "GET",
            &format!("/api/v1/recommendations/{}/history", d.item),
            Some(&d.manager.access),
            None,
        )
        .await;
    let update = history
        .body
        .as_array()
        .expect("events")
        .iter()
        .find(|e| e["kind"] == "evidence_updated")
        .cloned()
        .expect("the edit is recorded");
    assert_eq!(update["before"]["url"], "https://example.org/lab-opened");
    assert_eq!(update["before"]["verification"], "accepted");
    assert_eq!(
        update["after"]["url"],
        "https://example.org/a-different-page"
    );
    assert_eq!(update["after"]["version"], 3);
}

#[actix_web::test]
async fn a_review_must_name_the_version_it_read() {
    let d = desk().await;
    let evidence = d.submit(&d.contributor, "Lab opened").await;

    let blind = d.review(&d.manager, &evidence, None, "accepted").await;
    assert_eq!(
        blind.status,
        StatusCode::PRECONDITION_REQUIRED,
        "{}",
        blind.text
    );
    assert_eq!(
        blind.body["type"],
        "urn:recotrack:problem:precondition-required"
    );

    // The reviewer read version 1; the submitter edits before the verdict arrives.
    let edited = d
        .edit(
            &d.contributor,
            &evidence,
            "Lab opened",
            "https://example.org/v2",
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.text);
    let stale = d.review(&d.manager, &evidence, Some("1"), "accepted").await;
    assert_eq!(
        stale.status,
        StatusCode::PRECONDITION_FAILED,
        "{}",
        stale.text
    );
    let now = d.evidence(&evidence).await;
    assert_eq!(now["verification"], "pending");
    assert_eq!(now["version"], 2);
    assert_eq!(d.item().await["evidence_stage"], "claimed");
}

#[actix_web::test]
async fn withdrawing_or_rejecting_the_only_accepted_evidence_flags_an_implemented_item() {
    let d = desk().await;
    let first = d.submit(&d.contributor, "Lab opened").await;
    let accepted = d.review(&d.manager, &first, Some("1"), "accepted").await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.text);
    let done = d.transition(&d.contributor, "status", "implemented").await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);

    let rejected = d
        .review(&d.other_manager, &first, Some("2"), "rejected")
        .await;
    assert_eq!(rejected.status, StatusCode::OK, "{}", rejected.text);
    let item = d.item().await;
    assert_eq!(item["status"], "implemented");
    assert_eq!(item["evidence_stage"], "none");
    assert_eq!(
        d.history_kinds().await.last().map(String::as_str),
        Some("evidence_lapsed")
    );

    // Accepted again, then withdrawn by a manager: flagged again.
    let second = d.submit(&d.contributor, "Lab inaugurated").await;
    let accepted = d.review(&d.manager, &second, Some("1"), "accepted").await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.text);
    assert_eq!(d.item().await["evidence_stage"], "verified");
    let withdrawn = d
        .app
        .call(
            "DELETE",
            &format!("/api/v1/evidence/{second}"),
            Some(&d.manager.access),
            None,
        )
        .await;
    assert_eq!(
        withdrawn.status,
        StatusCode::NO_CONTENT,
        "{}",
        withdrawn.text
    );
    assert_eq!(d.item().await["evidence_stage"], "none");
    let kinds = d.history_kinds().await;
    assert_eq!(
        kinds[kinds.len() - 2..],
        ["evidence_removed".to_owned(), "evidence_lapsed".to_owned()]
    );

    // The owner's digest says so.
    let admin = d.app.user(Role::Admin).await;
    let preview = d
        .app
        .call(
            "GET",
            &format!("/api/v1/digests/preview?user={}", d.contributor.id),
            Some(&admin.access),
            None,
        )
        .await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.text);
    assert!(
        preview.body["text"].as_str().unwrap_or_default().contains(
            "Evidence withdrawn: marked implemented, but no accepted evidence remains behind it"
        ),
        "{}",
        preview.text
    );
}

#[actix_web::test]
async fn the_database_refuses_a_reviewer_who_edited_the_evidence() {
    let d = desk().await;
    let evidence = d.submit(&d.contributor, "Lab opened").await;
    let mut conn = d.app.db.connect();
    let bypass = diesel::sql_query(format!(
        "UPDATE evidence SET verification = 'accepted', reviewed_at = now(), reviewed_by = '{}' \
         WHERE id = '{evidence}'",
        d.contributor.id
    ))
    .execute(&mut conn);
    assert!(bypass.is_err(), "a submitter stored as its own reviewer");
}

#[actix_web::test]
async fn accepted_background_does_not_make_an_item_verified() {
    let d = desk().await;
    let reply = d
        .app
        .call(
            "POST",
            &format!("/api/v1/recommendations/{}/evidence", d.item),
            Some(&d.contributor.access),
            Some(
                json!({"kind": "statement", "title": "Labs matter", "relevance": "context",
                        "excerpt": "Laboratories help cooperation."}),
            ),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    assert_eq!(reply.body["relevance"], "context");
    let evidence = reply.body["id"].as_str().expect("id").to_owned();
    assert_eq!(
        d.item().await["evidence_stage"],
        "none",
        "background claims nothing"
    );
    let accepted = d.review(&d.manager, &evidence, Some("1"), "accepted").await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.text);
    assert_eq!(d.item().await["evidence_stage"], "none");
    let implemented = d.transition(&d.contributor, "status", "implemented").await;
    assert_eq!(
        implemented.status,
        StatusCode::CONFLICT,
        "{}",
        implemented.text
    );
}

#[actix_web::test]
async fn an_edit_based_on_a_stale_version_is_refused_and_changes_nothing() {
    let d = desk().await;
    let evidence = d.submit(&d.contributor, "Lab opened").await;
    let first = d
        .edit(
            &d.manager,
            &evidence,
            "Lab opened (manager)",
            "https://example.org/m",
        )
        .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    // The submitter still holds version 1.
    let stale = d
        .app
        .call_with(
            "PATCH",
            &format!("/api/v1/evidence/{evidence}"),
            Some(&d.contributor.access),
            Some(json!({"kind": "url", "title": "Mine", "url": "https://example.org/c"})),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(
        stale.status,
        StatusCode::PRECONDITION_FAILED,
        "{}",
        stale.text
    );
    let now = d.evidence(&evidence).await;
    assert_eq!(now["title"], "Lab opened (manager)");
    assert_eq!(now["version"], 2);
}
