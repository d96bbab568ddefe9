//! Targets: a measurable commitment with its own due date, progress reported by owners, in the
//! item's history and in digests when overdue.

use actix_web::http::StatusCode;
use recotrack::db::enums::Role;
use serde_json::json;

use crate::helpers::TestApp;

#[actix_web::test]
async fn a_target_is_defined_by_managers_progressed_by_owners_and_reported_when_overdue() {
    let app = TestApp::spawn().await;
    let manager = app.user(Role::Manager).await;
    let owner = app.user(Role::Contributor).await;
    let stranger = app.user(Role::Contributor).await;
    let admin = app.user(Role::Admin).await;
    let report = app
        .call(
            "POST",
            "/api/v1/reports",
            Some(&manager.access),
            Some(json!({"key": "targets", "title": "Targets"})),
        )
        .await;
    let item = app
        .call(
            "POST",
            "/api/v1/recommendations",
            Some(&manager.access),
            Some(
                json!({"report_id": report.body["id"], "title": "Train people",
                        "body": "Conduct 500 training sessions by 2025."}),
            ),
        )
        .await;
    let item = item.body["id"].as_str().expect("item").to_owned();
    app.call(
        "PUT",
        &format!("/api/v1/recommendations/{item}/owners/users/{}", owner.id),
        Some(&manager.access),
        Some(json!({"kind": "responsible"})),
    )
    .await;
    let path = format!("/api/v1/recommendations/{item}/targets");
    let body = json!({"text": "Conduct 500 training sessions by 2025", "figure": 500,
                      "unit": "training sessions", "due_date": "2025-12-31"});
    let refused = app
        .call("POST", &path, Some(&owner.access), Some(body.clone()))
        .await;
    assert_eq!(
        refused.status,
        StatusCode::FORBIDDEN,
        "owners report, managers define"
    );
    let bad = app
        .call(
            "POST",
            &path,
            Some(&manager.access),
            Some(json!({"text": "x", "figure": -5})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.body["field"], "figure");
    let created = app
        .call("POST", &path, Some(&manager.access), Some(body))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_eq!(
        created.body["overdue"], true,
        "due 2025-12-31, nothing reported"
    );
    assert!(created.header("location").is_some());
    let target = created.body["id"].as_str().expect("target").to_owned();

    // The dashboards count it, overall and per report.
    let summary = app
        .call("GET", "/api/v1/stats/summary", Some(&manager.access), None)
        .await;
    assert_eq!(summary.body["targets_overdue"], 1, "{}", summary.text);
    let by_report = app
        .call(
            "GET",
            "/api/v1/stats/by-report",
            Some(&manager.access),
            None,
        )
        .await;
    assert_eq!(
        by_report.body[0]["targets_overdue"], 1,
        "{}",
        by_report.text
    );

    // The item itself has no due date: the deadline is the target's.
    let got = app
        .call(
            "GET",
            &format!("/api/v1/recommendations/{item}"),
            Some(&manager.access),
            None,
        )
        .await;
    assert_eq!(got.body["due_date"], serde_json::Value::Null);

    // Overdue targets reach the owner's digest.
    let preview = app
        .call(
            "GET",
            &format!("/api/v1/digests/preview?user={}", owner.id),
            Some(&admin.access),
            None,
        )
        .await;
    assert!(
        preview.body["text"].as_str().unwrap_or_default().contains(
            "A target is overdue: Conduct 500 training sessions by 2025 (due 2025-12-31)"
        ),
        "{}",
        preview.text
    );

    let progress = format!("/api/v1/targets/{target}");
    let not_theirs = app
        .call(
            "PATCH",
            &progress,
            Some(&stranger.access),
            Some(json!({"progress": 500})),
        )
        .await;
    assert_eq!(not_theirs.status, StatusCode::FORBIDDEN);
    let negative = app
        .call(
            "PATCH",
            &progress,
            Some(&owner.access),
            Some(json!({"progress": -1})),
        )
        .await;
    assert_eq!(negative.status, StatusCode::UNPROCESSABLE_ENTITY);
    let reached = app
        .call(
            "PATCH",
            &progress,
            Some(&owner.access),
            Some(json!({"progress": 500})),
        )
        .await;
    assert_eq!(reached.status, StatusCode::OK, "{}", reached.text);
    assert_eq!(reached.body["overdue"], false);
    let listed = app.call("GET", &path, Some(&stranger.access), None).await;
    assert_eq!(listed.body[0]["progress"], 500);
    let summary = app
        .call("GET", "/api/v1/stats/summary", Some(&manager.access), None)
        .await;
    assert_eq!(summary.body["targets_overdue"], 0);

    let history = app
        .call(
            "GET",
            &format!("/api/v1/recommendations/{item}/history"),
            Some(&manager.access),
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
        ["created", "owner_added", "target_added", "target_progress"]
    );
    let verdict = app
        .call(
            "GET",
            &format!("/api/v1/recommendations/{item}/history/verify"),
            Some(&manager.access),
            None,
        )
        .await;
    assert_eq!(verdict.body["intact"], true, "{}", verdict.text);

    // Reached, it no longer makes the item qualify.
    let preview = app
        .call(
            "GET",
            &format!("/api/v1/digests/preview?user={}", owner.id),
            Some(&admin.access),
            None,
        )
        .await;
    assert!(!preview.text.contains("target overdue"), "{}", preview.text);

    // The CSV export lists the item's targets.
    let csv = app
        .call(
            "GET",
            "/api/v1/recommendations.csv",
            Some(&manager.access),
            None,
        )
        .await;
    assert!(
        csv.text
            .contains("Conduct 500 training sessions by 2025 (due 2025-12-31)"),
        "{}",
        csv.text
    );
}
