//! The success paths of the routes the workflow tests do not walk: reports and their managers,
//! evidence edits, comments, owners removed, the workflow description and the API documents.

use actix_web::http::StatusCode;
use recotrack::db::enums::Role;
use serde_json::json;

use crate::helpers::TestApp;

#[actix_web::test]
async fn reports_are_read_replaced_managed_and_deleted() {
    let app = TestApp::spawn().await;
    let manager = app.user(Role::Manager).await;
    let contributor = app.user(Role::Contributor).await;
    let m = Some(manager.access.as_str());
    let created = app
        .call("POST", "/api/v1/reports", m, Some(json!({"key": "r-1", "title": "First", "authors": ["A. Author"], "published_on": "2024-03-01"})))
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let id = created.body["id"].as_str().expect("id").to_owned();
    let path = format!("/api/v1/reports/{id}");
    let listed = app.call("GET", "/api/v1/reports", m, None).await;
    assert_eq!(listed.body[0]["key"], "r-1");
    let got = app.call("GET", &path, m, None).await;
    assert_eq!(got.header("etag"), Some("\"1\""));
    assert_eq!(got.body["authors"], json!(["A. Author"]));

    let replaced = app
        .call(
            "PATCH",
            &path,
            m,
            Some(json!({"title": "First, revised", "language": "zh-Hans"})),
        )
        .await;
    assert_eq!(replaced.status, StatusCode::OK, "{}", replaced.text);
    assert_eq!(replaced.body["version"], 2);
    assert_eq!(replaced.body["key"], "r-1", "the key stays");
    let bad_language = app
        .call(
            "PATCH",
            &path,
            m,
            Some(json!({"title": "x", "language": "English!"})),
        )
        .await;
    assert_eq!(bad_language.body["field"], "language");

    let named = app
        .call("PUT", &format!("{path}/managers/{}", manager.id), m, None)
        .await;
    assert_eq!(named.status, StatusCode::NO_CONTENT);
    let not_a_manager = app
        .call(
            "PUT",
            &format!("{path}/managers/{}", contributor.id),
            m,
            None,
        )
        .await;
    assert_eq!(not_a_manager.status, StatusCode::UNPROCESSABLE_ENTITY);
    let managers = app.call("GET", &format!("{path}/managers"), m, None).await;
    assert_eq!(managers.body, json!([manager.id]));
    assert_eq!(
        app.call(
            "DELETE",
            &format!("{path}/managers/{}", manager.id),
            m,
            None
        )
        .await
        .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.call(
            "DELETE",
            &format!("{path}/managers/{}", manager.id),
            m,
            None
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );

    assert_eq!(
        app.call("DELETE", &path, m, None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.call("GET", &path, m, None).await.status,
        StatusCode::NOT_FOUND
    );
}

#[actix_web::test]
async fn evidence_is_edited_and_withdrawn_by_its_submitter_and_comments_are_listed() {
    let app = TestApp::spawn().await;
    let manager = app.user(Role::Manager).await;
    let owner = app.user(Role::Contributor).await;
    let m = Some(manager.access.as_str());
    let o = Some(owner.access.as_str());
    let report = app
        .call(
            "POST",
            "/api/v1/reports",
            m,
            Some(json!({"key": "r-2", "title": "Second"})),
        )
        .await;
    let item = app
        .call(
            "POST",
            "/api/v1/recommendations",
            m,
            Some(json!({"report_id": report.body["id"], "title": "Item"})),
        )
        .await;
    let id = item.body["id"].as_str().expect("id").to_owned();
    app.call(
        "PUT",
        &format!("/api/v1/recommendations/{id}/owners/users/{}", owner.id),
        m,
        Some(json!({"kind": "responsible"})),
    )
    .await;

    let evidence = app
        .call(
            "POST",
            &format!("/api/v1/recommendations/{id}/evidence"),
            o,
            Some(json!({"kind": "document", "title": "Draft plan"})),
        )
        .await;
    let evidence_id = evidence.body["id"].as_str().expect("id").to_owned();
    let edited = app
        .call(
            "PATCH",
            &format!("/api/v1/evidence/{evidence_id}"),
            o,
            Some(json!({"kind": "document", "title": "Final plan", "excerpt": "Adopted."})),
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.text);
    assert_eq!(edited.body["title"], "Final plan");
    let listed = app
        .call(
            "GET",
            &format!("/api/v1/recommendations/{id}/evidence"),
            o,
            None,
        )
        .await;
    assert_eq!(listed.body[0]["title"], "Final plan");
    let reject_without_note = app
        .call_with(
            "POST",
            &format!("/api/v1/evidence/{evidence_id}/review"),
            m,
            Some(json!({"decision": "rejected"})),
            &[("if-match", "\"2\"")],
        )
        .await;
    assert_eq!(reject_without_note.body["field"], "note");
    assert_eq!(
        app.call(
            "DELETE",
            &format!("/api/v1/evidence/{evidence_id}"),
            o,
            None
        )
        .await
        .status,
        StatusCode::NO_CONTENT
    );
    let item_now = app
        .call("GET", &format!("/api/v1/recommendations/{id}"), o, None)
        .await;
    assert_eq!(item_now.body["evidence_stage"], "none");

    let comment = app
        .call(
            "POST",
            &format!("/api/v1/recommendations/{id}/comments"),
            o,
            Some(json!({"body": "Plan withdrawn; new one next week"})),
        )
        .await;
    assert_eq!(comment.status, StatusCode::CREATED);
    let comments = app
        .call(
            "GET",
            &format!("/api/v1/recommendations/{id}/comments"),
            m,
            None,
        )
        .await;
    assert_eq!(
        comments.body[0]["body"],
        "Plan withdrawn; new one next week"
    );
    assert_eq!(comments.body[0]["author_id"], owner.id.to_string());

    assert_eq!(
        app.call(
            "DELETE",
            &format!("/api/v1/recommendations/{id}/owners/users/{}", owner.id),
            m,
            None
        )
        .await
        .status,
        StatusCode::NO_CONTENT
    );
    let history = app
        .call(
            "GET",
            &format!("/api/v1/recommendations/{id}/history"),
            m,
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
            "evidence_added",
            "evidence_updated",
            "evidence_removed",
            "comment_added",
            "owner_removed"
        ]
    );
}

#[actix_web::test]
async fn the_workflow_and_the_api_documents_are_served() {
    let app = TestApp::spawn().await;
    let viewer = app.user(Role::Viewer).await;
    let workflow = app
        .call("GET", "/api/v1/workflow", Some(&viewer.access), None)
        .await;
    assert_eq!(workflow.status, StatusCode::OK);
    assert!(
        workflow.body["status"]["transitions"]
            .as_array()
            .expect("transitions")
            .contains(&json!(
                {"from": "in_progress", "to": "blocked", "reason_required": true}
            ))
    );
    assert_eq!(workflow.body["response"]["initial"], "pending");
    assert_eq!(
        workflow.body["status"]["terminal"],
        json!(["implemented", "not_implemented", "superseded"])
    );
    let document = app.get("/api-docs/openapi.json").await;
    assert_eq!(document.body["openapi"], "3.1.0");
    let ui = app.call("GET", "/docs/", None, None).await;
    assert_eq!(ui.status, StatusCode::OK);
    assert!(
        ui.text.contains("swagger-ui"),
        "Swagger UI is served from the binary"
    );
}

#[actix_web::test]
async fn a_known_path_with_another_method_gets_405_with_allow() {
    let app = TestApp::spawn().await;
    let reply = app
        .call("DELETE", "/api/v1/stats/summary", None, None)
        .await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(reply.header("allow"), Some("GET, HEAD"));
    assert_eq!(
        reply.body["type"],
        "urn:recotrack:problem:method-not-allowed"
    );
    let item = app
        .call(
            "PUT",
            "/api/v1/recommendations/00000000-0000-4000-8000-000000000000",
            None,
            None,
        )
        .await;
    assert_eq!(item.header("allow"), Some("GET, HEAD, PATCH"));
    let unknown = app.call("DELETE", "/api/v1/nowhere", None, None).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}
