//! The delivery queue against slow SMTP servers, several instances and crashes: each
//! recipient gets one copy, and where the code cannot promise that, the delivery log says so.

use std::time::Duration;

use actix_web::http::StatusCode;
use recotrack::db::enums::Role;
use recotrack::domain::digest::queue::{self, Timing};
use serde_json::Value;

use crate::helpers::{Login, SmtpSink, TestApp};

/// `count` recipients, each with one planned delivery in one run; returns their emails.
async fn planned(app: &TestApp, count: usize) -> Vec<String> {
    app.sql(
        "INSERT INTO digest_runs (id, period, trigger) VALUES \
         ('00000000-0000-0000-0000-0000000000aa', 'weekly:2026-11-30', 'manual')",
    );
    let mut emails = Vec::new();
    for n in 0..count {
        let (id, email) = app.create_user(Role::Manager);
        app.sql(&format!(
            "INSERT INTO digest_deliveries (id, run_id, recipient_id, period, subject, \
                 stalled_count, overdue_count, item_ids, body_text, body_html) VALUES \
                 (gen_random_uuid(), '00000000-0000-0000-0000-0000000000aa', '{id}', \
                 'weekly:2026-11-30', 'Digest {n}', 1, 0, '{{}}', 'Text {n}', '<p>Html {n}</p>')"
        ));
        emails.push(email);
    }
    emails
}

fn copies(sink: &SmtpSink, email: &str) -> usize {
    sink.messages().iter().filter(|m| m.0 == email).count()
}

async fn deliveries(app: &TestApp, admin: &Login) -> Vec<Value> {
    let runs = app
        .call("GET", "/api/v1/digests", Some(&admin.access), None)
        .await;
    assert_eq!(runs.status, StatusCode::OK, "{}", runs.text);
    runs.body[0]["deliveries"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

const SHORT: Timing = Timing {
    lease_secs: 1,
    resend_after_secs: 3600,
};

#[actix_web::test]
async fn a_sender_whose_lease_ran_out_can_neither_send_nor_mark() {
    let app = TestApp::spawn().await;
    planned(&app, 1).await;
    let mut first = app.db.connect();
    let mut second = app.db.connect();
    let slow = queue::claim(&mut first, 5, SHORT).expect("claim");
    assert_eq!(slow.len(), 1);
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    // The lease ran out before the slow sender began: another instance claims it.
    let fresh = queue::claim(&mut second, 5, SHORT).expect("claim");
    assert_eq!(fresh.len(), 1);
    assert_ne!(fresh[0].lease_token, slow[0].lease_token);
    assert!(!queue::begin_sending(&mut first, &slow[0], SHORT).expect("renew"));
    assert!(!queue::mark_sent(&mut first, &slow[0], "<stale@x>").expect("mark"));
    assert_eq!(
        queue::mark_failed(&mut first, &slow[0], "late", 1, 8).expect("mark"),
        queue::Failure::LostClaim
    );
    assert!(queue::begin_sending(&mut second, &fresh[0], SHORT).expect("renew"));
    assert!(queue::mark_sent(&mut second, &fresh[0], "<ok@x>").expect("mark"));
    assert!(
        queue::claim(&mut second, 5, SHORT)
            .expect("claim")
            .is_empty()
    );
}

#[actix_web::test]
async fn two_instances_and_a_slow_smtp_server_send_each_digest_once() {
    let sink = SmtpSink::slow(0.7);
    let app = TestApp::spawn_with(&sink.settings()).await;
    let other = TestApp::spawn_on(app.db.alias(), &sink.settings()).await;
    let emails = planned(&app, 8).await;
    let (a, b) =
        futures_util::future::join(app.scheduler.deliver_due(), other.scheduler.deliver_due())
            .await;
    let (a, b) = (a.expect("instance a"), b.expect("instance b"));
    assert_eq!(a.0 + b.0, 8, "sent by a: {a:?}, by b: {b:?}");
    for email in &emails {
        assert_eq!(copies(&sink, email), 1, "{email}");
    }
    let admin = app.user(Role::Admin).await;
    for delivery in deliveries(&app, &admin).await {
        assert_eq!(delivery["status"], "sent");
        assert_eq!(delivery["possible_duplicate"], false);
    }
}

#[actix_web::test]
async fn a_sender_that_died_mid_send_is_not_repeated_until_the_grace_and_then_marked() {
    let sink = SmtpSink::start();
    let app = TestApp::spawn_with(&sink.settings()).await;
    let emails = planned(&app, 1).await;
    // The first sender claims it, begins sending, and dies before recording the outcome (as
    // after a SIGKILL between the SMTP server's acceptance and `mark_sent`).
    let mut dead = app.db.connect();
    let claimed = queue::claim(&mut dead, 5, SHORT).expect("claim");
    assert!(queue::begin_sending(&mut dead, &claimed[0], SHORT).expect("renew"));
    drop(dead);
    tokio::time::sleep(Duration::from_millis(1_200)).await;

    // Its lease is over, but the message may have been accepted: no resend yet.
    let (sent, _) = app.scheduler.deliver_due().await.expect("deliver");
    assert_eq!(sent, 0);
    assert_eq!(copies(&sink, &emails[0]), 0);

    // After `digest.resend_after_secs` it goes out, marked as a possible duplicate.
    app.sql("UPDATE digest_deliveries SET sending_since = now() - interval '7 hours'");
    let (sent, _) = app.scheduler.deliver_due().await.expect("deliver");
    assert_eq!(sent, 1);
    assert_eq!(copies(&sink, &emails[0]), 1);
    let admin = app.user(Role::Admin).await;
    let log = deliveries(&app, &admin).await;
    assert_eq!(log[0]["status"], "sent");
    assert_eq!(log[0]["possible_duplicate"], true);
}

#[actix_web::test]
async fn a_delivery_that_keeps_failing_is_given_up_and_reported_to_admins() {
    let sink = SmtpSink::down();
    let mut settings = sink.settings();
    settings.push(("RECOTRACK__DIGEST__MAX_ATTEMPTS", "2".into()));
    let app = TestApp::spawn_with(&settings).await;
    planned(&app, 1).await;
    let (_, failed) = app.scheduler.deliver_due().await.expect("first attempt");
    assert_eq!(failed, 1);
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let (_, failed) = app.scheduler.deliver_due().await.expect("second attempt");
    assert_eq!(failed, 1);
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    let (sent, failed) = app.scheduler.deliver_due().await.expect("no third attempt");
    assert_eq!((sent, failed), (0, 0), "given up after two attempts");

    let admin = app.user(Role::Admin).await;
    let log = deliveries(&app, &admin).await;
    assert_eq!(log[0]["status"], "failed");
    assert_eq!(log[0]["attempts"], 2);
    assert!(log[0]["gave_up_at"].is_string(), "{log:?}");
    let mut conn = app.db.connect();
    assert_eq!(
        queue::given_up(&mut conn, 20).expect("given up").len(),
        1,
        "listed as given up"
    );

    // An admin's digest names it (the admin needs something to read about: an item stalled
    // long enough to reach admins).
    let manager = app.user(Role::Manager).await;
    let report = app
        .call(
            "POST",
            "/api/v1/reports",
            Some(&manager.access),
            Some(serde_json::json!({"key": "gu", "title": "Given up"})),
        )
        .await;
    let item = app
        .call(
            "POST",
            "/api/v1/recommendations",
            Some(&manager.access),
            Some(serde_json::json!({"report_id": report.body["id"], "title": "Old"})),
        )
        .await;
    app.sql(&format!(
        "UPDATE recommendations SET last_activity_at = now() - interval '200 days' WHERE id = '{}'",
        item.body["id"].as_str().expect("id")
    ));
    let preview = app
        .call(
            "GET",
            &format!("/api/v1/digests/preview?user={}", admin.id),
            Some(&admin.access),
            None,
        )
        .await;
    let text = preview.body["text"].as_str().unwrap_or_default();
    assert!(
        text.contains("Digests given up after their last attempt") && text.contains("Digest 0"),
        "{text}"
    );
}
