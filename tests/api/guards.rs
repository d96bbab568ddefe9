//! Bad input gets a clear answer and changes nothing; responses say how they may be handled;
//! nobody can lock everyone out. Each test is an attack that once succeeded.

use actix_web::http::StatusCode;
use base64::Engine;
use diesel::RunQueryDsl;
use recotrack::db::enums::Role;
use serde_json::{Value, json};

use crate::helpers::{Login, TestApp};

async fn report_with_item(app: &TestApp, manager: &Login, extra: Value) -> (String, String) {
    let report = app
        .call(
            "POST",
            "/api/v1/reports",
            Some(&manager.access),
            Some(json!({"key": "guards", "title": "Guards"})),
        )
        .await;
    let report = report.body["id"].as_str().expect("report").to_owned();
    let mut body = json!({"report_id": report, "title": "An item"});
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    let item = app
        .call(
            "POST",
            "/api/v1/recommendations",
            Some(&manager.access),
            Some(body),
        )
        .await;
    assert_eq!(item.status, StatusCode::CREATED, "{}", item.text);
    (report, item.body["id"].as_str().expect("item").to_owned())
}

#[actix_web::test]
async fn dates_outside_two_centuries_are_refused_naming_the_field() {
    let app = TestApp::spawn().await;
    let manager = app.user(Role::Manager).await;
    let (report, item) = report_with_item(&app, &manager, json!({})).await;
    let m = Some(manager.access.as_str());

    let listed = app
        .call(
            "GET",
            "/api/v1/recommendations?due_before=-4714-01-01",
            m,
            None,
        )
        .await;
    assert_eq!(
        listed.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        listed.text
    );
    assert_eq!(listed.body["field"], "due_before");

    let created = app
        .call(
            "POST",
            "/api/v1/recommendations",
            m,
            Some(json!({"report_id": report, "title": "Far", "due_date": "-200000-01-01"})),
        )
        .await;
    assert_eq!(
        created.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        created.text
    );
    assert_eq!(created.body["field"], "due_date");

    let late = app
        .call(
            "PATCH",
            &format!("/api/v1/recommendations/{item}"),
            m,
            Some(json!({"due_date": "2201-01-01"})),
        )
        .await;
    assert_eq!(
        late.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        late.text
    );
    assert_eq!(late.body["field"], "due_date");

    let evidence = app
        .call(
            "POST",
            &format!("/api/v1/recommendations/{item}/evidence"),
            m,
            Some(json!({"kind": "statement", "title": "Old", "observed_on": "-200000-01-01"})),
        )
        .await;
    assert_eq!(
        evidence.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        evidence.text
    );
    assert_eq!(evidence.body["field"], "observed_on");

    // A cursor forged to hold year -262143.
    let cursor = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(json!({"s": "due_date", "v": "-262143-01-01", "i": item}).to_string());
    let paged = app
        .call(
            "GET",
            &format!("/api/v1/recommendations?sort=due_date&cursor={cursor}"),
            m,
            None,
        )
        .await;
    assert_eq!(
        paged.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        paged.text
    );
    assert_eq!(paged.body["field"], "cursor");

    let timeline = app
        .call("GET", "/api/v1/stats/timeline?from=0001-01-01", m, None)
        .await;
    assert_eq!(
        timeline.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        timeline.text
    );
    assert_eq!(timeline.body["field"], "from");

    // Nothing was created or changed.
    let all = app.call("GET", "/api/v1/recommendations", m, None).await;
    assert_eq!(all.body["total"], 1);
    assert_eq!(all.body["items"][0]["due_date"], Value::Null);
}

#[actix_web::test]
async fn a_nul_character_is_refused_before_the_database_sees_it() {
    let app = TestApp::spawn().await;
    let manager = app.user(Role::Manager).await;
    let (report, _) = report_with_item(&app, &manager, json!({})).await;
    let m = Some(manager.access.as_str());
    let body = app
        .call(
            "POST",
            "/api/v1/recommendations",
            m,
            Some(json!({"report_id": report, "title": "Nul\u{0}title"})),
        )
        .await;
    assert_eq!(
        body.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        body.text
    );
    assert_eq!(body.body["field"], "title");
    assert_eq!(body.body["type"], "urn:recotrack:problem:validation");

    // The CSV export once answered 200 with a byte-order mark and then broke off.
    for path in [
        "/api/v1/recommendations.csv?q=a%00b",
        "/api/v1/recommendations.csv?theme=%00",
        "/api/v1/recommendations?q=a%00b",
    ] {
        let reply = app.call("GET", path, m, None).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path}: {}",
            reply.text
        );
        assert_eq!(reply.body["field"], "query");
        assert!(reply.content_type.starts_with("application/problem+json"));
    }
    let all = app.call("GET", "/api/v1/recommendations", m, None).await;
    assert_eq!(all.body["total"], 1);
}

#[actix_web::test]
async fn every_csv_cell_that_looks_like_a_formula_is_kept_as_text() {
    let app = TestApp::spawn().await;
    let manager = app.user(Role::Manager).await;
    let (_, item) = report_with_item(
        &app,
        &manager,
        json!({"title": "=HYPERLINK(\"http://evil.example\")", "body": "  @SUM(A1)",
               "themes": ["=cmd|' /C calc'!A0", "@sum"]}),
    )
    .await;
    let target = app
        .call(
            "POST",
            &format!("/api/v1/recommendations/{item}/targets"),
            Some(&manager.access),
            Some(json!({"text": "+1 000 projects"})),
        )
        .await;
    assert_eq!(target.status, StatusCode::CREATED, "{}", target.text);
    let reply = app
        .call(
            "GET",
            "/api/v1/recommendations.csv",
            Some(&manager.access),
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let text = reply.text.trim_start_matches('\u{feff}');
    assert!(text.contains("\r\n"), "rows end with CRLF");
    assert_eq!(
        text.matches('\n').count(),
        text.matches("\r\n").count(),
        "every line break is CRLF: {text:?}"
    );
    let mut rows = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = rows
        .headers()
        .expect("header")
        .iter()
        .map(str::to_owned)
        .collect();
    let record = rows
        .records()
        .next()
        .expect("one row")
        .expect("a valid row");
    let column = |name: &str| {
        let at = header.iter().position(|h| h == name).expect(name);
        record.get(at).unwrap_or_default().to_owned()
    };
    assert_eq!(column("title"), "'=HYPERLINK(\"http://evil.example\")");
    assert_eq!(column("body"), "'  @SUM(A1)");
    assert_eq!(column("themes"), "'=cmd|' /c calc'!a0; @sum");
    assert_eq!(column("targets"), "'+1 000 projects");
    assert_eq!(column("id"), item);
}

#[actix_web::test]
async fn responses_forbid_sniffing_and_secrets_are_never_cached() {
    let app = TestApp::spawn().await;
    let admin = app.user(Role::Admin).await;
    for (method, path) in [
        ("GET", "/healthz"),
        ("GET", "/api/v1/nowhere"),
        ("GET", "/api/v1/recommendations?due_before=x"),
    ] {
        let reply = app.call(method, path, Some(&admin.access), None).await;
        assert_eq!(
            reply.header("x-content-type-options"),
            Some("nosniff"),
            "{method} {path}"
        );
    }
    let login = app.login_as(&admin.email, crate::helpers::PASSWORD).await;
    assert_eq!(login.header("cache-control"), Some("no-store"));
    let refreshed = app
        .call(
            "POST",
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": login.body["refresh_token"]})),
        )
        .await;
    assert_eq!(refreshed.status, StatusCode::OK, "{}", refreshed.text);
    assert_eq!(refreshed.header("cache-control"), Some("no-store"));
    let token = app
        .call(
            "POST",
            "/api/v1/tokens",
            Some(&admin.access),
            Some(json!({"name": "Board", "role": "viewer"})),
        )
        .await;
    assert_eq!(token.status, StatusCode::CREATED, "{}", token.text);
    assert_eq!(token.header("cache-control"), Some("no-store"));
}

#[actix_web::test]
async fn metrics_can_be_kept_behind_a_token() {
    let app = TestApp::spawn_with(&[(
        "RECOTRACK__METRICS__TOKEN",
        "scrape-token-0123456789".into(),
    )])
    .await;
    let anonymous = app.get("/metrics").await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        anonymous.body["type"],
        "urn:recotrack:problem:unauthenticated"
    );
    let wrong = app
        .call("GET", "/metrics", Some("scrape-token-wrong"), None)
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let scraper = app
        .call("GET", "/metrics", Some("scrape-token-0123456789"), None)
        .await;
    assert_eq!(scraper.status, StatusCode::OK);
    assert!(
        scraper.text.contains("recotrack_http_requests"),
        "{}",
        scraper.text
    );
    // Open by default.
    let open = TestApp::spawn().await;
    assert_eq!(open.get("/metrics").await.status, StatusCode::OK);
}

#[actix_web::test]
async fn the_last_admin_cannot_demote_or_deactivate_themself() {
    let app = TestApp::spawn().await;
    let admin = app.user(Role::Admin).await;
    let path = format!("/api/v1/users/{}", admin.id);
    for change in [json!({"role": "manager"}), json!({"active": false})] {
        let refused = app
            .call("PATCH", &path, Some(&admin.access), Some(change.clone()))
            .await;
        assert_eq!(
            refused.status,
            StatusCode::CONFLICT,
            "{change}: {}",
            refused.text
        );
        assert!(
            refused.body["detail"]
                .as_str()
                .unwrap_or_default()
                .contains("last active admin"),
            "{}",
            refused.text
        );
    }
    let me = app
        .call("GET", "/api/v1/me", Some(&admin.access), None)
        .await;
    assert_eq!(me.body["role"], "admin");
    // With a second admin, stepping down is fine.
    let second = app.user(Role::Admin).await;
    let stepped = app
        .call(
            "PATCH",
            &path,
            Some(&second.access),
            Some(json!({"role": "manager"})),
        )
        .await;
    assert_eq!(stepped.status, StatusCode::OK, "{}", stepped.text);
    let last = app
        .call(
            "PATCH",
            &format!("/api/v1/users/{}", second.id),
            Some(&second.access),
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(last.status, StatusCode::CONFLICT, "{}", last.text);
}

#[actix_web::test]
async fn snoozing_and_unsnoozing_does_not_reset_the_stall_clock() {
    let app = TestApp::spawn().await;
    let manager = app.user(Role::Manager).await;
    let (_, item) = report_with_item(&app, &manager, json!({})).await;
    let mut conn = app.db.connect();
    diesel::sql_query(format!(
        "UPDATE recommendations SET last_activity_at = now() - interval '90 days' WHERE id = '{item}'"
    ))
    .execute(&mut conn)
    .expect("age the item");
    let path = format!("/api/v1/recommendations/{item}/snooze");
    let snoozed = app
        .call(
            "POST",
            &path,
            Some(&manager.access),
            Some(json!({"until": "2199-01-01", "reason": "waiting for the budget"})),
        )
        .await;
    assert_eq!(snoozed.status, StatusCode::NO_CONTENT, "{}", snoozed.text);
    let woken = app.call("DELETE", &path, Some(&manager.access), None).await;
    assert_eq!(woken.status, StatusCode::NO_CONTENT, "{}", woken.text);
    let now = app
        .call(
            "GET",
            &format!("/api/v1/recommendations/{item}"),
            Some(&manager.access),
            None,
        )
        .await;
    assert_eq!(now.body["stalled"], true, "{}", now.text);
    assert_eq!(now.body["idle_days"], 90);
    assert_eq!(now.body["version"], 3, "snoozes are recorded as changes");
}

#[actix_web::test]
async fn forged_cursors_huge_ordinals_and_invented_methods_are_refused_or_contained() {
    let app = TestApp::spawn().await;
    let manager = app.user(Role::Manager).await;
    let (report, item) = report_with_item(&app, &manager, json!({})).await;
    let m = Some(manager.access.as_str());
    let cursor = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(json!({"s": "ordinal", "v": "a\u{0}", "i": item}).to_string());
    let paged = app
        .call(
            "GET",
            &format!("/api/v1/recommendations?cursor={cursor}"),
            m,
            None,
        )
        .await;
    assert_eq!(
        paged.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        paged.text
    );
    assert_eq!(paged.body["field"], "cursor");

    let huge = app
        .call(
            "POST",
            "/api/v1/recommendations",
            m,
            Some(json!({"report_id": report, "title": "Last", "ordinal": 2147483647})),
        )
        .await;
    assert_eq!(
        huge.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        huge.text
    );
    assert_eq!(huge.body["field"], "ordinal");
    let next = app
        .call(
            "POST",
            "/api/v1/recommendations",
            m,
            Some(json!({"report_id": report, "title": "Next"})),
        )
        .await;
    assert_eq!(next.status, StatusCode::CREATED, "{}", next.text);

    let invented = app.call("FOOBARBAZ", "/healthz", None, None).await;
    assert!(invented.status.is_client_error());
    let metrics = app.get("/metrics").await;
    assert!(
        !metrics.text.contains("FOOBARBAZ"),
        "one series per invented method"
    );
    assert!(
        metrics.text.contains("method=\"other\""),
        "{}",
        metrics.text
    );
}

#[actix_web::test]
async fn a_retry_with_another_if_match_is_another_request() {
    let app = TestApp::spawn().await;
    let manager = app.user(Role::Manager).await;
    let (_, item) = report_with_item(&app, &manager, json!({})).await;
    let path = format!("/api/v1/recommendations/{item}/transitions");
    let send = |tag: &'static str| {
        let (app, path, token) = (&app, path.clone(), manager.access.clone());
        async move {
            app.call_with(
                "POST",
                &path,
                Some(&token),
                Some(json!({"axis": "response", "to": "accepted"})),
                &[("Idempotency-Key", "tagged"), ("If-Match", tag)],
            )
            .await
        }
    };
    let first = send("\"1\"").await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    let other = send("\"2\"").await;
    assert_eq!(
        other.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        other.text
    );
    assert_eq!(
        other.body["type"],
        "urn:recotrack:problem:idempotency-key-reused"
    );
}
