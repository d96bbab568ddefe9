use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use recotrack::db::migrate;

use crate::helpers::TestApp;

#[actix_web::test]
async fn healthz_answers_ok() {
    let app = TestApp::spawn().await;
    let reply = app.get("/healthz").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["status"], "ok");
    let id = reply
        .header("x-request-id")
        .expect("every response carries a request id");
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
    let other = app.get("/nowhere").await;
    assert_ne!(other.header("x-request-id"), Some(id), "one id per request");
}

#[actix_web::test]
async fn readyz_is_ready_on_a_migrated_database() {
    let app = TestApp::spawn().await;
    let reply = app.get("/readyz").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["status"], "ready");
}

#[actix_web::test]
async fn readyz_is_503_problem_when_the_database_is_gone() {
    let app = TestApp::spawn().await;
    assert_eq!(app.get("/readyz").await.status, StatusCode::OK);
    app.db.drop_database();
    let started = Instant::now();
    let reply = app.get("/readyz").await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(reply.content_type, "application/problem+json");
    assert_eq!(reply.body["type"], "urn:recotrack:problem:unavailable");
    assert_eq!(reply.body["status"], 503);
    // The answer comes within the pool's connect timeout, not after a hang.
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "{:?}",
        started.elapsed()
    );
    // Liveness does not depend on the database.
    assert_eq!(app.get("/healthz").await.status, StatusCode::OK);
}

#[actix_web::test]
async fn readyz_is_503_when_the_schema_is_behind() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.connect();
    migrate::revert_all(&mut conn).expect("revert");
    let reply = app.get("/readyz").await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(reply.body["type"], "urn:recotrack:problem:not-migrated");
}

#[actix_web::test]
async fn unknown_routes_get_a_problem_document() {
    let app = TestApp::spawn().await;
    let reply = app.get("/api/v1/nothing-here").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.content_type, "application/problem+json");
    assert_eq!(reply.body["type"], "urn:recotrack:problem:not-found");
}

#[actix_web::test]
async fn metrics_count_requests_by_route_and_status_and_show_the_pool() {
    let app = TestApp::spawn().await;
    app.get("/healthz").await;
    app.get("/healthz").await;
    app.get("/api/v1/recommendations/00000000-0000-4000-8000-000000000000")
        .await;
    app.get("/readyz").await;
    let metrics = app.get("/metrics").await;
    assert_eq!(metrics.status, StatusCode::OK);
    assert!(metrics.content_type.starts_with("text/plain"));
    let text = metrics.text;
    assert!(
        text.contains(
            r#"recotrack_http_requests_total{method="GET",route="/healthz",status="200"} 2"#
        ),
        "{text}"
    );
    // Ids never become labels: the route template does.
    assert!(text.contains(r#"route="/api/v1/recommendations/{id}",status="401"} 1"#));
    assert!(text.contains("recotrack_http_request_duration_seconds_bucket"));
    assert!(text.contains("recotrack_db_pool_connections "));
    assert!(text.contains("recotrack_scheduler_lag_seconds "));
    let statements = app.statements().await;
    assert!(statements > 0, "readiness asked the database");
}
