//! Who a caller is, answered from each instance's cache: a change made on one instance (a
//! sign-out, a role change, a deactivation, a revoked token, a reused refresh token) is obeyed
//! by another instance on the same database within a second, and by the one that made it at
//! once. And the statements a request costs once its caller is known.

use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use recotrack::db::enums::Role;
use serde_json::json;

use crate::helpers::{Login, TestApp};

/// A second instance of the service on `app`'s database.
async fn second_instance(app: &TestApp) -> TestApp {
    TestApp::spawn_on(app.db.alias(), &[]).await
}

/// Waits until `bearer` gets `want` from `path` on `app`; how long that took, or `None` after
/// five seconds.
async fn until_status(
    app: &TestApp,
    path: &str,
    bearer: &str,
    want: StatusCode,
) -> Option<Duration> {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(5) {
        if app.call("GET", path, Some(bearer), None).await.status == want {
            return Some(started.elapsed());
        }
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

/// Calls `path` on `app` as `bearer` until a call costs no statement for the caller (the
/// listener is connected and the answer is cached); fails after five seconds.
async fn warm(app: &TestApp, path: &str, bearer: &str, statements_when_warm: u64) {
    let started = Instant::now();
    loop {
        let before = app.statements().await;
        let reply = app.call("GET", path, Some(bearer), None).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        if app.statements().await - before == statements_when_warm {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the caller was never answered from the cache"
        );
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}

fn within_a_second(took: Option<Duration>, what: &str) {
    let took = took.unwrap_or_else(|| panic!("{what}: still accepted after 5 s"));
    assert!(took < Duration::from_secs(1), "{what}: took {took:?}");
}

#[actix_web::test]
async fn a_session_signed_out_on_one_instance_is_refused_by_another_within_a_second() {
    let one = TestApp::spawn().await;
    let two = second_instance(&one).await;
    let viewer = one.user(Role::Viewer).await;
    // `/metrics` is public; `/api/v1/workflow` needs a caller and no other statement.
    warm(&two, "/api/v1/workflow", &viewer.access, 0).await;
    let out = one
        .call("POST", "/api/v1/auth/logout", Some(&viewer.access), None)
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    // The instance that signed it out refuses it at once.
    let here = one
        .call("GET", "/api/v1/workflow", Some(&viewer.access), None)
        .await;
    assert_eq!(here.status, StatusCode::UNAUTHORIZED, "{}", here.text);
    within_a_second(
        until_status(
            &two,
            "/api/v1/workflow",
            &viewer.access,
            StatusCode::UNAUTHORIZED,
        )
        .await,
        "a signed-out session on the other instance",
    );
    assert_eq!(
        two.call("GET", "/api/v1/workflow", Some(&viewer.access), None)
            .await
            .body["type"],
        json!("urn:recotrack:problem:unauthenticated")
    );
}

#[actix_web::test]
async fn a_role_change_and_a_deactivation_reach_another_instance_within_a_second() {
    let one = TestApp::spawn().await;
    let two = second_instance(&one).await;
    let admin = one.user(Role::Admin).await;
    let manager = one.user(Role::Manager).await;
    warm(&two, "/api/v1/workflow", &manager.access, 0).await;
    let allowed = two.get_as(&manager, "/api/v1/digests").await;
    assert_eq!(allowed.status, StatusCode::OK, "{}", allowed.text);
    let demoted = one
        .call(
            "PATCH",
            &format!("/api/v1/users/{}", manager.id),
            Some(&admin.access),
            Some(json!({"role": "viewer"})),
        )
        .await;
    assert_eq!(demoted.status, StatusCode::OK, "{}", demoted.text);
    // GET /digests needs a manager: the demoted caller is refused with 403.
    within_a_second(
        until_status(
            &two,
            "/api/v1/digests",
            &manager.access,
            StatusCode::FORBIDDEN,
        )
        .await,
        "a demotion on the other instance",
    );
    let viewer = one.user(Role::Viewer).await;
    warm(&two, "/api/v1/workflow", &viewer.access, 0).await;
    let off = one
        .call(
            "PATCH",
            &format!("/api/v1/users/{}", viewer.id),
            Some(&admin.access),
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.text);
    within_a_second(
        until_status(
            &two,
            "/api/v1/workflow",
            &viewer.access,
            StatusCode::UNAUTHORIZED,
        )
        .await,
        "a deactivation on the other instance",
    );
}

#[actix_web::test]
async fn a_revoked_api_token_and_a_reused_refresh_token_are_refused_everywhere_within_a_second() {
    let one = TestApp::spawn().await;
    let two = second_instance(&one).await;
    let admin = one.user(Role::Admin).await;
    let token = one.api_token(&admin, Role::Viewer).await;
    warm(&two, "/api/v1/workflow", &token, 0).await;
    let listed = one.get_as(&admin, "/api/v1/tokens").await;
    let id = listed.body.as_array().expect("tokens")[0]["id"]
        .as_str()
        .expect("token id")
        .to_owned();
    let revoked = one
        .call(
            "DELETE",
            &format!("/api/v1/tokens/{id}"),
            Some(&admin.access),
            None,
        )
        .await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT, "{}", revoked.text);
    within_a_second(
        until_status(&two, "/api/v1/workflow", &token, StatusCode::UNAUTHORIZED).await,
        "a revoked API token on the other instance",
    );

    // A stolen refresh token used twice revokes the session it belongs to.
    let victim: Login = one.user(Role::Viewer).await;
    warm(&two, "/api/v1/workflow", &victim.access, 0).await;
    let body = json!({"refresh_token": victim.refresh});
    let first = one
        .call("POST", "/api/v1/auth/refresh", None, Some(body.clone()))
        .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    let replayed = one
        .call("POST", "/api/v1/auth/refresh", None, Some(body))
        .await;
    assert_eq!(
        replayed.status,
        StatusCode::UNAUTHORIZED,
        "{}",
        replayed.text
    );
    within_a_second(
        until_status(
            &two,
            "/api/v1/workflow",
            &victim.access,
            StatusCode::UNAUTHORIZED,
        )
        .await,
        "a session revoked by refresh-token reuse on the other instance",
    );
}

#[actix_web::test]
async fn a_known_caller_costs_no_statement_and_an_item_one_a_page_one_a_transition_three_in_its_transaction()
 {
    // One pooled connection, so every request below meets the same warm connection.
    let app = TestApp::spawn_with(&[("RECOTRACK__DATABASE__POOL_SIZE", "1".to_owned())]).await;
    let manager = app.user(Role::Manager).await;
    let report = app.new_report(&manager, "perf-1").await;
    let item = app.new_item(&manager, &report, "Counted item").await;
    let owner = app.user(Role::Contributor).await;
    let added = app
        .call(
            "PUT",
            &format!("/api/v1/recommendations/{item}/owners/users/{}", owner.id),
            Some(&manager.access),
            Some(json!({"kind": "responsible"})),
        )
        .await;
    assert_eq!(added.status, StatusCode::NO_CONTENT, "{}", added.text);
    let path = format!("/api/v1/recommendations/{item}");
    warm(&app, &path, &manager.access, 1).await;

    let before = app.statements().await;
    let one = app.get_as(&manager, &path).await;
    assert_eq!(app.statements().await - before, 1, "GET one item");
    assert_eq!(one.body["owners"][0]["name"], json!("Test contributor"));
    assert_eq!(one.body["report_key"], json!("perf-1"));

    // The page holds the whole list, so its total is exact without a count. (The first list on
    // a connection also looks up the status type's OID once; a second one does not.)
    let list = "/api/v1/recommendations?status=not_started&limit=50";
    for _ in 0..4 {
        app.get_as(&manager, list).await;
    }
    let before = app.statements().await;
    let page = app
        .get_as(
            &manager,
            "/api/v1/recommendations?status=not_started&limit=50",
        )
        .await;
    assert_eq!(app.statements().await - before, 1, "GET a page");
    assert_eq!(
        page.body["items"][0]["owners"][0]["kind"],
        json!("responsible")
    );

    // A first transition on the connection looks its enum types up once.
    let other = app
        .new_item(&manager, &report, "Warms the connection")
        .await;
    let warmed = app
        .call(
            "POST",
            &format!("/api/v1/recommendations/{other}/transitions"),
            Some(&manager.access),
            Some(json!({"axis": "response", "to": "accepted"})),
        )
        .await;
    assert_eq!(warmed.status, StatusCode::OK, "{}", warmed.text);
    let version = one.body["version"].as_i64().expect("version");
    let before = app.statements().await;
    let moved = app
        .call_with(
            "POST",
            &format!("{path}/transitions"),
            Some(&manager.access),
            Some(json!({"axis": "response", "to": "accepted"})),
            &[("If-Match", &format!("\"{version}\""))],
        )
        .await;
    // BEGIN, lock and read, update returning the row and head, append, COMMIT.
    assert_eq!(app.statements().await - before, 5, "a transition");
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.text);
    assert_eq!(moved.body["response"], json!("accepted"));
    assert_eq!(moved.body["version"], json!(version + 1));
    assert_eq!(moved.body["owners"][0]["name"], json!("Test contributor"));
    assert_eq!(moved.body["report_key"], json!("perf-1"));
    // What the transition answered is what a read shows, and the history chain holds.
    let read = app.get_as(&manager, &path).await;
    assert_eq!(read.body, moved.body);
    let history = app.get_as(&manager, &format!("{path}/history")).await;
    let events = history.body.as_array().expect("events");
    assert_eq!(
        events.last().expect("an event")["kind"],
        json!("transition")
    );
    let verified = app
        .get_as(&manager, &format!("{path}/history/verify"))
        .await;
    assert_eq!(verified.body["intact"], json!(true), "{}", verified.text);
}

#[actix_web::test]
async fn connections_whose_server_went_away_give_one_503_each_and_are_not_lent_again() {
    let app = TestApp::spawn().await;
    let manager = app.user(Role::Manager).await;
    let report = app.new_report(&manager, "perf-2").await;
    let item = app.new_item(&manager, &report, "Survives a cut").await;
    let path = format!("/api/v1/recommendations/{item}");
    // Fill the pool (three connections in the tests) by reading in parallel.
    let reads: Vec<_> = (0..6).map(|_| app.get_as(&manager, &path)).collect();
    for reply in futures_util::future::join_all(reads).await {
        assert_eq!(reply.status, StatusCode::OK);
    }
    // The server ends every session of the service (as a failover or restart would).
    app.sql(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    );
    let mut statuses = Vec::new();
    for _ in 0..8 {
        statuses.push(app.get_as(&manager, &path).await.status.as_u16());
    }
    let unavailable = statuses.iter().filter(|s| **s == 503).count();
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 503),
        "only 200 or 503: {statuses:?}"
    );
    assert!(
        unavailable <= 3,
        "at most one 503 per pooled connection: {statuses:?}"
    );
    assert_eq!(&statuses[5..], &[200, 200, 200], "{statuses:?}");
}

#[actix_web::test]
async fn a_flood_of_bad_refresh_tokens_does_not_empty_the_cache_for_everyone() {
    let app = TestApp::spawn().await;
    let viewer = app.user(Role::Viewer).await;
    warm(&app, "/api/v1/workflow", &viewer.access, 0).await;
    for n in 0..20 {
        let refused = app
            .call(
                "POST",
                "/api/v1/auth/refresh",
                None,
                Some(json!({"refresh_token": format!("rtr_made-up-{n}")})),
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{}", refused.text);
    }
    let before = app.statements().await;
    let reply = app.get_as(&viewer, "/api/v1/workflow").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        app.statements().await - before,
        0,
        "still answered from memory"
    );
}
