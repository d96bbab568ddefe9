//! Dashboard figures, CSV export and conditional GET, against a real database, and the bound on
//! SQL statements per request.

use actix_web::http::StatusCode;
use chrono::{Duration, Utc};
use recotrack::db::enums::Role;
use serde_json::{Value, json};

use crate::helpers::{Login, Reply, TestApp};

struct Desk {
    app: TestApp,
    manager: Login,
    contributor: Login,
    reports: Vec<String>,
}

impl Desk {
    async fn open() -> Self {
        let app = TestApp::spawn().await;
        let manager = app.user(Role::Manager).await;
        let contributor = app.user(Role::Contributor).await;
        let mut reports = Vec::new();
        for key in ["alpha-2026", "beta-2026"] {
            let reply = app
                .call(
                    "POST",
                    "/api/v1/reports",
                    Some(&manager.access),
                    Some(json!({"key": key, "title": format!("Report {key}")})),
                )
                .await;
            assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
            reports.push(reply.body["id"].as_str().expect("id").to_owned());
        }
        Self {
            app,
            manager,
            contributor,
            reports,
        }
    }

    async fn as_manager(&self, method: &str, path: &str, body: Option<Value>) -> Reply {
        self.app
            .call(method, path, Some(&self.manager.access), body)
            .await
    }

    async fn item(&self, report: usize, title: &str, themes: &[&str]) -> String {
        let reply = self
            .as_manager(
                "POST",
                "/api/v1/recommendations",
                Some(json!({"report_id": self.reports[report], "title": title,
                            "body": format!("{title}, \"quoted\",\nover two lines"), "themes": themes})),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
        reply.body["id"].as_str().expect("id").to_owned()
    }

    async fn transition(&self, token: &str, id: &str, axis: &str, to: &str) {
        let reply = self
            .app
            .call(
                "POST",
                &format!("/api/v1/recommendations/{id}/transitions"),
                Some(token),
                Some(json!({"axis": axis, "to": to})),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "{axis} -> {to}: {}",
            reply.text
        );
    }

    /// Accepts `id`, starts it and implements it on reviewed evidence, as its owner.
    async fn implement(&self, id: &str) {
        let owner = self
            .as_manager(
                "PUT",
                &format!(
                    "/api/v1/recommendations/{id}/owners/users/{}",
                    self.contributor.id
                ),
                Some(json!({"kind": "responsible"})),
            )
            .await;
        assert_eq!(owner.status, StatusCode::NO_CONTENT, "{}", owner.text);
        self.transition(&self.manager.access, id, "response", "accepted")
            .await;
        self.transition(&self.contributor.access, id, "status", "in_progress")
            .await;
        let evidence = self
            .app
            .call(
                "POST",
                &format!("/api/v1/recommendations/{id}/evidence"),
                Some(&self.contributor.access),
                Some(json!({"kind": "statement", "title": "Done", "observed_on": "2026-05-02"})),
            )
            .await;
        assert_eq!(evidence.status, StatusCode::CREATED, "{}", evidence.text);
        let evidence_id = evidence.body["id"].as_str().expect("id");
        let review = self
            .app
            .call_with(
                "POST",
                &format!("/api/v1/evidence/{evidence_id}/review"),
                Some(&self.manager.access),
                Some(json!({"decision": "accepted"})),
                &[("if-match", "\"1\"")],
            )
            .await;
        assert_eq!(review.status, StatusCode::OK, "{}", review.text);
        self.transition(&self.contributor.access, id, "status", "implemented")
            .await;
    }

    fn sql(&self, statement: &str) {
        self.app.sql(statement);
    }

    /// Moves an item's creation and the history events of one kind/field `days` into the past.
    fn backdate(&self, id: &str, days: i64, filter: &str) {
        self.sql("ALTER TABLE history_events DISABLE TRIGGER history_events_no_update");
        self.sql(&format!(
            "UPDATE history_events SET at = now() - interval '{days} days' \
             WHERE recommendation_id = '{id}' AND {filter}"
        ));
        self.sql("ALTER TABLE history_events ENABLE TRIGGER history_events_no_update");
    }
}

#[actix_web::test]
async fn the_summary_and_groups_count_what_the_items_say() {
    let desk = Desk::open().await;
    let done = desk.item(0, "Green corridors", &["green"]).await;
    let _waiting = desk.item(0, "Green bonds", &["green", "finance"]).await;
    let _untagged = desk.item(0, "Untagged", &[]).await;
    let other = desk.item(1, "Ports", &["connectivity"]).await;
    desk.implement(&done).await;
    // An agreed item nobody touched for 40 days is stalled (the accepted rule allows 30).
    desk.transition(&desk.manager.access, &other, "response", "accepted")
        .await;
    desk.sql(&format!(
        "UPDATE recommendations SET last_activity_at = now() - interval '40 days' WHERE id = '{other}'"
    ));
    let evidence = desk
        .app
        .call(
            "POST",
            &format!("/api/v1/recommendations/{other}/evidence"),
            Some(&desk.manager.access),
            Some(json!({"kind": "url", "title": "Port opened", "url": "https://example.org/p"})),
        )
        .await;
    assert_eq!(evidence.status, StatusCode::CREATED);
    desk.sql(&format!(
        "UPDATE recommendations SET last_activity_at = now() - interval '40 days' WHERE id = '{other}'"
    ));

    let summary = desk.as_manager("GET", "/api/v1/stats/summary", None).await;
    assert_eq!(summary.status, StatusCode::OK, "{}", summary.text);
    let s = &summary.body;
    assert_eq!(s["total"], 4);
    assert_eq!(s["by_status"]["implemented"], 1);
    assert_eq!(s["by_status"]["not_started"], 3);
    assert_eq!(s["awaiting_response"], 2);
    assert_eq!(s["stalled"], 1);
    assert_eq!(s["implemented_share"], 0.25);
    assert_eq!(s["evidence_pending_review"], 1);
    assert_eq!(s["oldest_stalled"]["id"], other.as_str());

    let alpha = desk
        .as_manager(
            "GET",
            &format!("/api/v1/stats/summary?report={}", desk.reports[0]),
            None,
        )
        .await;
    assert_eq!(alpha.body["total"], 3);
    assert_eq!(alpha.body["stalled"], 0);
    assert_eq!(alpha.body["oldest_stalled"], Value::Null);
    let green = desk
        .as_manager("GET", "/api/v1/stats/summary?theme=Green", None)
        .await;
    assert_eq!(green.body["total"], 2);
    let mine = desk
        .as_manager(
            "GET",
            &format!("/api/v1/stats/summary?owner={}", desk.contributor.id),
            None,
        )
        .await;
    assert_eq!(mine.body["total"], 1);
    assert_eq!(mine.body["by_status"]["implemented"], 1);

    let by_report = desk
        .as_manager("GET", "/api/v1/stats/by-report", None)
        .await;
    let groups = by_report.body.as_array().expect("groups");
    assert_eq!(groups.len(), 2);
    let beta = groups
        .iter()
        .find(|g| g["key"] == "beta-2026")
        .expect("beta group");
    assert_eq!(beta["total"], 1);
    assert_eq!(beta["stalled"], 1);
    assert_eq!(beta["oldest_stalled"]["id"], other.as_str());
    assert_eq!(beta["id"], desk.reports[1].as_str());

    let by_theme = desk.as_manager("GET", "/api/v1/stats/by-theme", None).await;
    let themes: Vec<(String, i64)> = by_theme
        .body
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| {
            (
                g["key"].as_str().unwrap_or_default().to_owned(),
                g["total"].as_i64().unwrap_or_default(),
            )
        })
        .collect();
    assert!(themes.contains(&("green".to_owned(), 2)), "{themes:?}");
    assert!(themes.contains(&("finance".to_owned(), 1)), "{themes:?}");
    assert!(themes.contains(&(String::new(), 1)), "{themes:?}");

    let by_owner = desk.as_manager("GET", "/api/v1/stats/by-owner", None).await;
    let owners = by_owner.body.as_array().expect("groups");
    let contributor = owners
        .iter()
        .find(|g| g["id"] == desk.contributor.id.to_string())
        .expect("the contributor's group");
    assert_eq!(contributor["kind"], "user");
    assert_eq!(contributor["by_status"]["implemented"], 1);
    let unowned = owners
        .iter()
        .find(|g| g["kind"] == "unowned")
        .expect("unowned group");
    assert_eq!(unowned["total"], 3);

    let bad = desk
        .as_manager("GET", "/api/v1/stats/summary?report=nope", None)
        .await;
    // `nope` is read as a report key that names no report: refused, naming the parameter.
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.content_type, "application/problem+json");
    assert_eq!(bad.body["field"], "report");
    let anonymous = desk.app.get("/api/v1/stats/summary").await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn the_timeline_and_cycle_times_are_rebuilt_from_history() {
    let desk = Desk::open().await;
    let id = desk.item(0, "Joint laboratories", &["science"]).await;
    desk.implement(&id).await;
    let _fresh = desk.item(0, "Created today", &[]).await;
    // The item was created 20 days ago, agreed 12 days ago, started 10 days ago.
    desk.sql(&format!(
        "UPDATE recommendations SET created_at = now() - interval '20 days' WHERE id = '{id}'"
    ));
    desk.backdate(&id, 20, "kind = 'created'");
    desk.backdate(&id, 12, "field = 'response'");
    desk.backdate(&id, 10, "field = 'status' AND after = '\"in_progress\"'");

    let today = Utc::now().date_naive();
    let from = today - Duration::days(21);
    let reply = desk
        .as_manager(
            "GET",
            &format!("/api/v1/stats/timeline?interval=day&from={from}&to={today}"),
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let periods = reply.body["periods"].as_array().expect("periods");
    assert_eq!(periods.len(), 22);
    let day = |n: i64| {
        let start = (today - Duration::days(n)).to_string();
        periods
            .iter()
            .find(|p| p["start"] == start.as_str())
            .unwrap_or_else(|| panic!("period {start}"))
            .clone()
    };
    assert_eq!(day(21)["total"], 0);
    assert_eq!(day(15)["total"], 1);
    assert_eq!(day(15)["status_counts"]["not_started"], 1);
    assert_eq!(day(5)["status_counts"]["in_progress"], 1);
    assert_eq!(day(10)["transitions_to"]["in_progress"], 1);
    assert_eq!(day(0)["total"], 2);
    assert_eq!(day(0)["status_counts"]["implemented"], 1);
    assert_eq!(day(0)["transitions"], 1);

    let weekly = desk.as_manager("GET", "/api/v1/stats/timeline", None).await;
    assert_eq!(weekly.body["interval"], "week");
    assert_eq!(weekly.body["periods"].as_array().map(Vec::len), Some(12));
    let too_long = desk
        .as_manager(
            "GET",
            "/api/v1/stats/timeline?interval=day&from=2000-01-01",
            None,
        )
        .await;
    assert_eq!(too_long.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(too_long.body["field"], "from", "{}", too_long.text);

    let cycle = desk
        .as_manager("GET", "/api/v1/stats/cycle-times", None)
        .await;
    assert_eq!(cycle.status, StatusCode::OK, "{}", cycle.text);
    let accepted = &cycle.body["accepted_to_implemented"];
    assert_eq!(accepted["count"], 1);
    assert_eq!(accepted["median_days"], 12.0);
    let in_status = cycle.body["time_in_status"].as_array().expect("statuses");
    let in_progress = in_status
        .iter()
        .find(|s| s["status"] == "in_progress")
        .expect("in_progress");
    assert_eq!(in_progress["count"], 1);
    assert_eq!(in_progress["median_days"], 10.0);
}

#[actix_web::test]
async fn stats_and_items_answer_304_until_something_changes() {
    let desk = Desk::open().await;
    let id = desk.item(0, "Cached", &[]).await;
    let token = desk.manager.access.clone();
    for path in [
        "/api/v1/stats/summary".to_owned(),
        "/api/v1/stats/by-report".to_owned(),
        format!("/api/v1/recommendations/{id}"),
    ] {
        let first = desk.as_manager("GET", &path, None).await;
        let tag = first.header("etag").expect("ETag").to_owned();
        let again = desk
            .app
            .call_with("GET", &path, Some(&token), None, &[("If-None-Match", &tag)])
            .await;
        assert_eq!(again.status, StatusCode::NOT_MODIFIED, "{path}");
        assert_eq!(again.header("etag"), Some(tag.as_str()));
        let edited = desk
            .as_manager(
                "PATCH",
                &format!("/api/v1/recommendations/{id}"),
                Some(json!({"title": format!("Cached after {path}")})),
            )
            .await;
        assert_eq!(edited.status, StatusCode::OK);
        let after = desk
            .app
            .call_with("GET", &path, Some(&token), None, &[("If-None-Match", &tag)])
            .await;
        // A new title changes the item's body but none of the figures.
        if path.contains("/recommendations/") {
            assert_eq!(after.status, StatusCode::OK, "{path}");
            assert_ne!(after.header("etag"), Some(tag.as_str()));
        } else {
            assert_eq!(after.status, StatusCode::NOT_MODIFIED, "{path}");
        }
    }
    let before = desk.as_manager("GET", "/api/v1/stats/summary", None).await;
    let tag = before.header("etag").expect("ETag").to_owned();
    desk.item(1, "One more", &[]).await;
    let after = desk
        .app
        .call_with(
            "GET",
            "/api/v1/stats/summary",
            Some(&token),
            None,
            &[("If-None-Match", &tag)],
        )
        .await;
    assert_eq!(after.status, StatusCode::OK);
    assert_eq!(after.body["total"], 2);
}

#[actix_web::test]
async fn lists_export_as_csv_a_spreadsheet_reads() {
    let desk = Desk::open().await;
    for n in 0..5 {
        desk.item(0, &format!("=Item {n}"), &["green", "water"])
            .await;
    }
    desk.item(1, "Elsewhere", &[]).await;
    let token = desk.manager.access.clone();
    let by_suffix = desk
        .as_manager(
            "GET",
            &format!("/api/v1/recommendations.csv?report={}", desk.reports[0]),
            None,
        )
        .await;
    assert_eq!(by_suffix.status, StatusCode::OK);
    assert!(by_suffix.content_type.starts_with("text/csv"));
    let text = by_suffix.text.trim_start_matches('\u{feff}');
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader.headers().expect("header row").clone();
    assert_eq!(&header[0], "key");
    assert_eq!(&header[3], "title");
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), 5);
    assert_eq!(&rows[0][0], "alpha-2026/01");
    // Quotes, commas and line breaks survive; a leading `=` is kept as text, not a formula.
    assert_eq!(&rows[0][3], "'=Item 0");
    assert_eq!(&rows[0][4], "'=Item 0, \"quoted\",\nover two lines");
    assert_eq!(&rows[0][5], "green; water");

    let by_accept = desk
        .app
        .call_with(
            "GET",
            "/api/v1/recommendations?limit=1",
            Some(&token),
            None,
            &[("Accept", "text/csv")],
        )
        .await;
    assert!(by_accept.content_type.starts_with("text/csv"));
    assert_eq!(
        by_accept.header("vary"),
        Some("Accept"),
        "a cache must not hand the CSV to a client asking for JSON"
    );
    let all = csv::Reader::from_reader(by_accept.text.trim_start_matches('\u{feff}').as_bytes())
        .records()
        .count();
    assert_eq!(all, 6, "an export has every page");

    let missing = desk
        .as_manager(
            "GET",
            "/api/v1/reports/00000000-0000-4000-8000-000000000000/recommendations.csv",
            None,
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.content_type, "application/problem+json");
    let bad = desk
        .as_manager("GET", "/api/v1/recommendations.csv?status=nope", None)
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.content_type, "application/problem+json");
}

/// Statements one request sends, measured through `/metrics`.
async fn statements_for(desk: &Desk, path: &str) -> u64 {
    let before = desk.app.statements().await;
    let reply = desk.as_manager("GET", path, None).await;
    assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.text);
    desk.app.statements().await - before
}

#[actix_web::test]
async fn lists_and_stats_send_the_same_few_statements_whatever_the_size() {
    let desk = Desk::open().await;
    let paths = [
        "/api/v1/recommendations?limit=200".to_owned(),
        "/api/v1/recommendations?limit=1".to_owned(),
        "/api/v1/recommendations?stalled=false&sort=-last_activity&limit=200".to_owned(),
        "/api/v1/recommendations.csv".to_owned(),
        "/api/v1/stats/summary".to_owned(),
        "/api/v1/stats/by-report".to_owned(),
        "/api/v1/stats/by-theme".to_owned(),
        "/api/v1/stats/by-owner".to_owned(),
        "/api/v1/stats/timeline".to_owned(),
        "/api/v1/stats/cycle-times".to_owned(),
    ];
    // Two, so that a page of one is not the whole list and must be counted.
    desk.item(0, "First", &["a"]).await;
    desk.item(1, "Second", &["b"]).await;
    let mut small = Vec::new();
    for path in &paths {
        small.push(statements_for(&desk, path).await);
    }
    // Many more items, each with owners, evidence and history.
    for n in 0..30 {
        let id = desk.item(n % 2, &format!("Item {n}"), &["a", "b"]).await;
        if n % 3 == 0 {
            desk.implement(&id).await;
        }
    }
    for (path, before) in paths.iter().zip(&small) {
        let after = statements_for(&desk, path).await;
        assert_eq!(
            after, *before,
            "{path}: {before} statements with 2 items, {after} with 32"
        );
        // Connection checks and the caller's lookup, then at most three for the work itself.
        assert!(after <= 6, "{path}: {after} statements");
    }
}
