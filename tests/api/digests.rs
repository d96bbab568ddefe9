//! Digests end to end: real PostgreSQL, a real SMTP server (aiosmtpd), the real scheduler.

use std::time::Duration;

use actix_web::http::StatusCode;
use diesel::{QueryDsl, RunQueryDsl};
use recotrack::db::enums::Role;
use recotrack::domain::digest::deliveries::Trigger;
use serde_json::{Value, json};

use crate::helpers::{Login, SmtpSink, TestApp, test_settings};

pub(crate) struct Scene {
    pub app: TestApp,
    pub admin: Login,
    pub manager: Login,
    pub owner: Login,
    pub stalled: String,
    pub late: String,
}

const STALLED_TITLE: &str = "Stalled <item> & co";

/// A report managed by `manager` with three items: one stalled 60 days in progress (owned by
/// `owner`, 15 days past its rule), one fresh, one overdue. The owner opted in to weekly digests.
pub(crate) async fn scene(sink: &SmtpSink, stalled_days: i64) -> Scene {
    scene_with(sink.settings(), stalled_days).await
}

/// [`scene`] with these settings.
pub(crate) async fn scene_with(settings: Vec<(&'static str, String)>, stalled_days: i64) -> Scene {
    let app = TestApp::spawn_with(&settings).await;
    let admin = app.user(Role::Admin).await;
    let manager = app.user(Role::Manager).await;
    let owner = app.user(Role::Contributor).await;
    let m = Some(manager.access.as_str());
    let report = app
        .call(
            "POST",
            "/api/v1/reports",
            m,
            Some(json!({"key": "dg", "title": "Digest report"})),
        )
        .await;
    let report_id = report.body["id"].as_str().expect("report").to_owned();
    app.sql(&format!(
        "INSERT INTO report_managers (report_id, user_id) VALUES ('{report_id}', '{}')",
        manager.id
    ));
    let mut ids = Vec::new();
    for title in [STALLED_TITLE, "Fresh item", "Late item"] {
        let item = app
            .call(
                "POST",
                "/api/v1/recommendations",
                m,
                Some(json!({"report_id": report_id, "title": title})),
            )
            .await;
        ids.push(item.body["id"].as_str().expect("id").to_owned());
    }
    let stalled = ids[0].clone();
    app.call(
        "PUT",
        &format!(
            "/api/v1/recommendations/{stalled}/owners/users/{}",
            owner.id
        ),
        m,
        Some(json!({"kind": "responsible"})),
    )
    .await;
    app.call(
        "POST",
        &format!("/api/v1/recommendations/{stalled}/transitions"),
        m,
        Some(json!({"axis": "response", "to": "accepted"})),
    )
    .await;
    let moved = app
        .call(
            "POST",
            &format!("/api/v1/recommendations/{stalled}/transitions"),
            Some(&owner.access),
            Some(json!({"axis": "status", "to": "in_progress"})),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.text);
    app.sql(&format!(
        "UPDATE recommendations SET last_activity_at = now() - interval '{stalled_days} days', \
         status_changed_at = now() - interval '{stalled_days} days' WHERE id = '{stalled}'"
    ));
    let late = ids[2].clone();
    app.sql(&format!(
            "UPDATE recommendations SET due_date = DATE '2020-01-01', original_due_date = DATE '2020-01-01' WHERE id = '{late}'"
        ),
    );
    let pref = app
        .call(
            "PUT",
            "/api/v1/me/digest-preferences",
            Some(&owner.access),
            Some(json!({"frequency": "weekly"})),
        )
        .await;
    assert_eq!(pref.body["effective"], "weekly");
    Scene {
        app,
        admin,
        manager,
        owner,
        stalled,
        late,
    }
}

/// `[recotrack] ...: weekly digest <date>`, the date that of a period begun in the last week.
fn assert_weekly_subject(subject: &str, prefix: &str) {
    let day = subject
        .strip_prefix(prefix)
        .unwrap_or_else(|| panic!("{subject:?} should start with {prefix:?}"));
    let day = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").expect("a date ends the subject");
    let age = (chrono::Utc::now().date_naive() - day).num_days();
    assert!((0..=7).contains(&age), "{subject}");
}

pub(crate) fn message_for<'a>(
    messages: &'a [(String, String, String, String)],
    email: &str,
) -> &'a (String, String, String, String) {
    let mine: Vec<_> = messages.iter().filter(|m| m.0 == email).collect();
    assert_eq!(
        mine.len(),
        1,
        "{email} should get exactly one message, got {}",
        mine.len()
    );
    mine[0]
}

#[actix_web::test]
async fn one_run_sends_each_due_recipient_one_message_with_exactly_its_items() {
    let sink = SmtpSink::start();
    let s = scene(&sink, 60).await;
    let summary = s.app.scheduler.tick(Trigger::Schedule).await.expect("tick");
    assert_eq!(summary.planned.deliveries, 2, "{summary:?}");
    assert_eq!((summary.sent, summary.failed), (2, 0));
    let messages = sink.messages();
    assert_eq!(
        messages.len(),
        2,
        "nothing for the admin (not yet escalated) or the fresh item"
    );

    let (_, subject, text, html) = message_for(&messages, &s.manager.email);
    assert_weekly_subject(subject, "[recotrack] 1 stalled, 1 overdue: weekly digest ");
    let today = chrono::Utc::now().date_naive();
    for part in [text, html] {
        assert!(part.contains("dg/01") && part.contains("dg/03"), "{part}");
        assert!(!part.contains("dg/02"), "the fresh item must not be listed");
        assert!(
            part.contains(
                "Stalled: no activity for 60 days; the rule for items in progress allows 45"
            ),
            "{part}"
        );
        assert!(
            part.contains(&format!(
                "Escalated to managers (step 1) on {today}: stalled 15 days past its rule"
            )),
            "{part}"
        );
        assert!(
            part.contains("Overdue: it was due on 2020-01-01, "),
            "{part}"
        );
        assert!(
            part.contains("You see it as a manager of its report or team because it is overdue"),
            "the overdue item was never escalated: {part}"
        );
        assert!(part.contains("In progress for 60 days"), "{part}");
        assert!(
            part.contains("http://127.0.0.1:8080/app/items/dg/01"),
            "the link opens the item's page: {part}"
        );
        assert!(
            part.find("dg/03") < part.find("dg/01"),
            "the overdue item comes first"
        );
    }
    assert!(text.contains(STALLED_TITLE), "the text part is not escaped");
    assert!(
        html.contains("Stalled &#60;item&#62; &#38; co")
            || html.contains("Stalled &lt;item&gt; &amp; co"),
        "{html}"
    );
    assert!(!html.contains(STALLED_TITLE), "HTML must be escaped");

    let (_, subject, text, _) = message_for(&messages, &s.owner.email);
    assert_weekly_subject(subject, "[recotrack] 1 stalled, 0 overdue: weekly digest ");
    assert!(
        text.contains("dg/01") && !text.contains("dg/03"),
        "the owner gets only what they own: {text}"
    );

    // Housekeeping on the tick: a login window from two days ago is gone, a current one stays.
    s.app.sql("INSERT INTO rate_limit_buckets (key, window_start, hits) VALUES ('old', now() - interval '2 days', 3), ('new', now(), 1)",
    );
    s.app.scheduler.tick(Trigger::Schedule).await.expect("tick");
    let mut conn = s.app.db.connect();
    let keys: Vec<String> = recotrack::db::schema::rate_limit_buckets::table
        .select(recotrack::db::schema::rate_limit_buckets::key)
        .load(&mut conn)
        .expect("buckets");
    assert_eq!(keys, ["new"]);

    // The same period again: nothing new.
    let again = s.app.scheduler.tick(Trigger::Schedule).await.expect("tick");
    assert_eq!((again.planned.deliveries, again.sent), (0, 0));
    assert_eq!(sink.messages().len(), 2);
    let _ = &s.late;
}

#[actix_web::test]
async fn with_the_smtp_server_down_failures_are_recorded_and_later_sent_once() {
    let mut sink = SmtpSink::down();
    let s = scene(&sink, 60).await;
    let first = s.app.scheduler.tick(Trigger::Schedule).await.expect("tick");
    assert_eq!((first.sent, first.failed), (0, 2));
    let runs = s
        .app
        .call("GET", "/api/v1/digests", Some(&s.admin.access), None)
        .await;
    let deliveries: Vec<&Value> = runs
        .body
        .as_array()
        .expect("runs")
        .iter()
        .flat_map(|r| r["deliveries"].as_array().expect("d"))
        .collect();
    assert_eq!(deliveries.len(), 2);
    for d in &deliveries {
        assert_eq!(d["status"], "failed");
        assert_eq!(d["attempts"], 1);
        assert!(d["last_error"].as_str().is_some_and(|e| !e.is_empty()));
    }
    sink.resume();
    tokio::time::sleep(Duration::from_millis(1300)).await; // the first retry waits retry_base_secs
    let second = s.app.scheduler.tick(Trigger::Schedule).await.expect("tick");
    assert_eq!((second.sent, second.failed), (2, 0));
    let third = s.app.scheduler.tick(Trigger::Schedule).await.expect("tick");
    assert_eq!((third.sent, third.failed), (0, 0));
    let messages = sink.messages();
    assert_eq!(messages.len(), 2);
    message_for(&messages, &s.manager.email);
    message_for(&messages, &s.owner.email);
}

#[actix_web::test]
async fn two_scheduler_instances_send_each_message_once() {
    let sink = SmtpSink::start();
    let s = scene(&sink, 60).await;
    let pairs: Vec<(&str, String)> = sink.settings();
    let extra: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let settings = std::sync::Arc::new(test_settings(&s.app.db.url, &extra));
    let (_, other) = recotrack::app::state(settings, &s.app.db.url).expect("second instance");
    let (a, b) = tokio::join!(
        s.app.scheduler.tick(Trigger::Schedule),
        other.tick(Trigger::Schedule)
    );
    let (a, b) = (a.expect("first"), b.expect("second"));
    assert_eq!(
        a.planned.deliveries + b.planned.deliveries,
        2,
        "{a:?} {b:?}"
    );
    // Whatever one instance planned, the two together send it once.
    let (a2, b2) = tokio::join!(
        s.app.scheduler.tick(Trigger::Schedule),
        other.tick(Trigger::Schedule)
    );
    let sent = a.sent + b.sent + a2.expect("a2").sent + b2.expect("b2").sent;
    assert_eq!(sent, 2);
    assert_eq!(sink.messages().len(), 2);
}

#[actix_web::test]
async fn a_missed_period_is_caught_up_once() {
    let sink = SmtpSink::start();
    let s = scene(&sink, 60).await;
    // Nothing ran at the scheduled time (this service was not running): the next tick catches up.
    s.app.scheduler.tick(Trigger::Schedule).await.expect("tick");
    s.app.scheduler.tick(Trigger::Schedule).await.expect("tick");
    let runs = s
        .app
        .call("GET", "/api/v1/digests", Some(&s.admin.access), None)
        .await;
    let weekly: Vec<&Value> = runs
        .body
        .as_array()
        .expect("runs")
        .iter()
        .filter(|r| {
            r["period"]
                .as_str()
                .is_some_and(|p| p.starts_with("weekly:"))
        })
        .collect();
    assert_eq!(
        weekly.len(),
        1,
        "one run for the period, however many ticks"
    );
    // Planned late (after the scheduled moment plus a few ticks) it is a catch-up; a run within
    // two minutes of Monday 08:00 UTC would be the scheduled one.
    let settings = test_settings(&s.app.db.url, &[]);
    let schedules = recotrack::domain::digest::schedule::Schedules::new(&settings.digest);
    let period = schedules
        .latest(
            recotrack::db::enums::DigestFrequency::Weekly,
            chrono::Utc::now(),
        )
        .expect("a weekly period");
    let ticks = i64::try_from(settings.digest.tick_secs * 4).expect("seconds");
    let late = chrono::Utc::now() - period.at > chrono::Duration::seconds(ticks);
    assert_eq!(weekly[0]["period"], period.key.as_str());
    assert_eq!(
        weekly[0]["trigger"],
        if late { "catch_up" } else { "schedule" }
    );
    assert_eq!(sink.messages().len(), 2);
}

async fn preview(app: &TestApp, token: String, user: uuid::Uuid) -> crate::helpers::Reply {
    app.call(
        "GET",
        &format!("/api/v1/digests/preview?user={user}"),
        Some(&token),
        None,
    )
    .await
}

#[actix_web::test]
async fn escalation_reaches_the_manager_only_after_the_configured_days() {
    let sink = SmtpSink::start();
    // 48 days idle in progress: 3 days past the 45-day rule, under manager_after_days = 7.
    let s = scene(&sink, 48).await;
    let early = preview(&s.app, s.admin.access.clone(), s.manager.id).await;
    assert_eq!(early.status, StatusCode::OK, "{}", early.text);
    let keys = |reply: &crate::helpers::Reply| -> Vec<String> {
        reply.body["digest"]["groups"]
            .as_array()
            .map_or_else(Vec::new, |groups| {
                groups
                    .iter()
                    .flat_map(|g| g["items"].as_array().cloned().unwrap_or_default())
                    .map(|i| i["key"].as_str().unwrap_or_default().to_owned())
                    .collect()
            })
    };
    assert_eq!(
        keys(&early),
        ["dg/03"],
        "only the overdue item reaches the manager yet"
    );
    let owner_view = preview(&s.app, s.admin.access.clone(), s.owner.id).await;
    assert_eq!(
        keys(&owner_view),
        ["dg/01"],
        "the owner is reminded as soon as it stalls"
    );

    s.app.sql(&format!(
        "UPDATE recommendations SET last_activity_at = now() - interval '53 days' WHERE id = '{}'",
        s.stalled
    ));
    let later = preview(&s.app, s.manager.access.clone(), s.manager.id).await;
    assert_eq!(keys(&later), ["dg/03", "dg/01"], "overdue first");
    let today = chrono::Utc::now().date_naive();
    let text = later.body["text"].as_str().unwrap_or_default();
    assert!(
        text.contains(&format!(
            "Escalated to managers (step 1) on {today}: stalled 8 days past its rule"
        )),
        "{text}"
    );
    let other = preview(&s.app, s.manager.access.clone(), s.owner.id).await;
    assert_eq!(
        other.status,
        StatusCode::FORBIDDEN,
        "managers preview only their own digest"
    );

    let item_path = format!("/api/v1/recommendations/{}", s.stalled);
    let before = s
        .app
        .call("GET", &item_path, Some(&s.admin.access), None)
        .await;
    s.app.scheduler.tick(Trigger::Schedule).await.expect("tick");
    let after = s
        .app
        .call("GET", &item_path, Some(&s.admin.access), None)
        .await;
    assert!(before.body["version"].is_i64(), "{}", before.text);
    // An escalation is a recorded change: the version moves (a cached copy is stale, and an
    // If-Match on the old version is refused), the stall clock does not.
    assert_eq!(
        after.body["version"].as_i64(),
        before.body["version"].as_i64().map(|v| v + 1)
    );
    assert_eq!(
        after.body["last_activity_at"],
        before.body["last_activity_at"]
    );
    let history = s
        .app
        .call(
            "GET",
            &format!("/api/v1/recommendations/{}/history", s.stalled),
            Some(&s.admin.access),
            None,
        )
        .await;
    let escalated: Vec<&Value> = history
        .body
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["kind"] == "escalated")
        .collect();
    assert_eq!(escalated.len(), 1);
    assert_eq!(escalated[0]["actor_kind"], "system");
}

#[actix_web::test]
async fn system_changes_leave_an_item_stalled_and_snoozed_items_wait() {
    let sink = SmtpSink::start();
    let s = scene(&sink, 60).await;
    // The scheduler's own history events (escalations) are system changes.
    s.app.scheduler.tick(Trigger::Schedule).await.expect("tick");
    let item = s
        .app
        .call(
            "GET",
            &format!("/api/v1/recommendations/{}", s.stalled),
            Some(&s.admin.access),
            None,
        )
        .await;
    assert_eq!(
        item.body["stalled"], true,
        "automated activity must not hide stalled work"
    );
    assert_eq!(item.body["idle_days"], 60);

    let snooze = s
        .app
        .call(
            "POST",
            &format!("/api/v1/recommendations/{}/snooze", s.stalled),
            Some(&s.manager.access),
            Some(json!({"until": "2099-01-01", "reason": "Budget year"})),
        )
        .await;
    assert_eq!(snooze.status, StatusCode::NO_CONTENT, "{}", snooze.text);
    let preview = s
        .app
        .call(
            "GET",
            &format!("/api/v1/digests/preview?user={}", s.owner.id),
            Some(&s.admin.access),
            None,
        )
        .await;
    assert!(
        preview.body["digest"].is_null(),
        "a snoozed item leaves the digest: {}",
        preview.text
    );
    let history = s
        .app
        .call(
            "GET",
            &format!("/api/v1/recommendations/{}/history", s.stalled),
            Some(&s.admin.access),
            None,
        )
        .await;
    assert!(
        history
            .body
            .as_array()
            .expect("events")
            .iter()
            .any(|e| e["kind"] == "snoozed" && e["reason"] == "Budget year")
    );
}

#[actix_web::test]
async fn the_scheduler_stops_when_serve_shuts_down_without_waiting_for_its_next_tick() {
    let app = TestApp::spawn_with(&[("RECOTRACK__DIGEST__TICK_SECS", "3600".into())]).await;
    let task = actix_web::rt::spawn(app.scheduler.clone().run_forever());
    // The first tick runs at once; then the loop waits an hour for the next one.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let asked = std::time::Instant::now();
    app.scheduler.stop();
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("the loop ended within 5 s of stop()")
        .expect("the loop did not panic");
    assert!(
        asked.elapsed() < Duration::from_secs(2),
        "{:?}",
        asked.elapsed()
    );
}
