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
