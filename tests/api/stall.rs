//! The stall rule, on real rows: what an item says about itself (the rule in Rust) and what the
//! list's `stalled` filter finds (the rule in SQL) must both match a table written out here,
//! across every state, either side of its threshold, and snoozed or not.

use std::collections::HashSet;

use actix_web::http::StatusCode;
use recotrack::db::enums::Role;
use serde_json::json;

use crate::helpers::TestApp;

/// How an item's snooze stands.
#[derive(Debug, Clone, Copy)]
enum Snooze {
    Awake,
    UntilTomorrow,
    UntilToday,
    EndedYesterday,
}

impl Snooze {
    fn sql(self) -> &'static str {
        match self {
            Snooze::Awake => "NULL",
            Snooze::UntilTomorrow => "current_date + 1",
            Snooze::UntilToday => "current_date",
            Snooze::EndedYesterday => "current_date - 1",
        }
    }
}

#[actix_web::test]
async fn the_rust_and_sql_stall_rules_agree_with_the_table_on_real_rows() {
    use Snooze::*;
    // Thresholds (config/default.toml): pending 30, accepted 30, in_progress 45, blocked 14,
    // partially_implemented 60 days; closed items never stall.
    let table: [(&str, &str, i64, Snooze, bool); 29] = [
        ("pending", "not_started", 29, Awake, false),
        ("pending", "not_started", 31, Awake, true),
        ("pending", "not_started", 31, UntilTomorrow, false),
        ("pending", "not_started", 31, UntilToday, false),
        ("pending", "not_started", 31, EndedYesterday, true),
        ("noted", "not_started", 31, Awake, true),
        ("accepted", "not_started", 29, Awake, false),
        ("accepted", "not_started", 31, Awake, true),
        ("accepted_in_principle", "not_started", 31, Awake, true),
        ("accepted", "in_progress", 31, Awake, false),
        ("accepted", "in_progress", 44, Awake, false),
        ("accepted", "in_progress", 46, Awake, true),
        ("accepted", "in_progress", 46, UntilTomorrow, false),
        ("accepted", "blocked", 13, Awake, false),
        ("accepted", "blocked", 15, Awake, true),
        ("accepted", "blocked", 15, EndedYesterday, true),
        ("accepted", "partially_implemented", 46, Awake, false),
        ("accepted", "partially_implemented", 59, Awake, false),
        ("accepted", "partially_implemented", 61, Awake, true),
        ("accepted", "partially_implemented", 61, UntilToday, false),
        ("accepted", "implemented", 400, Awake, false),
        ("accepted", "not_implemented", 400, Awake, false),
        ("accepted", "superseded", 400, Awake, false),
        ("rejected", "not_started", 400, Awake, false),
        ("pending", "superseded", 400, Awake, false),
        ("noted", "not_implemented", 400, Awake, false),
        ("pending", "not_started", 1, Awake, false),
        ("accepted", "blocked", 1, Awake, false),
        ("accepted", "in_progress", 400, Awake, true),
    ];
    let app = TestApp::spawn().await;
    let manager = app.user(Role::Manager).await;
    let report = app.new_report(&manager, "stall-table").await;
    let mut ids = Vec::new();
    for (n, (response, status, idle, snooze, _)) in table.iter().enumerate() {
        let id = app.new_item(&manager, &report, &format!("Case {n}")).await;
        // An hour beyond the whole days, so no case sits on a boundary.
        app.sql(&format!(
            "UPDATE recommendations SET response = '{response}', status = '{status}', \
                 last_activity_at = now() - interval '{idle} days 1 hour', \
                 response_reason = 'set by the test', status_reason = 'set by the test', \
                 snoozed_until = {snoozed}, snooze_reason = CASE WHEN {snoozed} IS NULL THEN NULL \
                 ELSE 'set by the test' END WHERE id = '{id}'",
            snoozed = snooze.sql()
        ));
        ids.push(id);
    }
    let listed = app
        .get_as(
            &manager,
            "/api/v1/recommendations?report=stall-table&stalled=true&limit=200",
        )
        .await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.text);
    let by_sql: HashSet<String> = listed.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["id"].as_str().map(str::to_owned))
        .collect();
    for ((response, status, idle, snooze, expected), id) in table.iter().zip(&ids) {
        let one = app
            .get_as(&manager, &format!("/api/v1/recommendations/{id}"))
            .await;
        let case = format!("{response}/{status}, {idle} days idle, snooze {snooze:?}");
        assert_eq!(one.body["stalled"], json!(expected), "Rust rule: {case}");
        assert_eq!(by_sql.contains(id), *expected, "SQL rule: {case}");
    }
    assert_eq!(by_sql.len(), 10);
}

#[actix_web::test]
async fn a_persons_change_cannot_set_the_stall_clock_to_a_time_of_its_choosing() {
    use recotrack::domain::history::Author;
    use recotrack::domain::items::apply::{self, Activity, Write};
    let app = TestApp::spawn().await;
    let manager = app.user(Role::Manager).await;
    let report = app.new_report(&manager, "clock").await;
    let item = app
        .new_item(&manager, &report, "Keep the clock honest")
        .await;
    let path = format!("/api/v1/recommendations/{item}");
    let before = app.get_as(&manager, &path).await;
    let mut conn = app.db.connect();
    let id: uuid::Uuid = item.parse().expect("uuid");
    let person = Author {
        kind: recotrack::db::enums::ActorKind::User,
        id: Some(manager.id),
    };
    let write = Write {
        last_activity_at: Some(chrono::Utc::now() + chrono::Duration::days(365)),
        ..Write::default()
    };
    let event = recotrack::domain::history::Change::acknowledged();
    let refused = diesel::Connection::transaction(&mut conn, |conn| {
        apply::record(conn, id, person, Activity::Work, write, vec![event])
    });
    assert!(refused.is_err(), "a person moved the clock");
    let after = app.get_as(&manager, &path).await;
    assert_eq!(
        after.body["last_activity_at"],
        before.body["last_activity_at"]
    );
    assert_eq!(after.body["version"], before.body["version"]);
}

#[actix_web::test]
async fn an_overlong_snooze_reason_or_acknowledgement_note_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let manager = app.user(Role::Manager).await;
    let report = app.new_report(&manager, "long-reasons").await;
    let item = app.new_item(&manager, &report, "Pasted too much").await;
    let path = format!("/api/v1/recommendations/{item}");
    let before = app.get_as(&manager, &path).await;
    let long = "x".repeat(5001);
    let snooze = app
        .call(
            "POST",
            &format!("{path}/snooze"),
            Some(&manager.access),
            Some(json!({"until": "2099-01-31", "reason": long})),
        )
        .await;
    assert_eq!(
        snooze.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        snooze.text
    );
    assert_eq!(snooze.body["field"], "reason");
    let ack = app
        .call(
            "POST",
            &format!("{path}/acknowledgements"),
            Some(&manager.access),
            Some(json!({"note": long})),
        )
        .await;
    assert_eq!(ack.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", ack.text);
    assert_eq!(ack.body["field"], "note");
    let after = app.get_as(&manager, &path).await;
    assert_eq!(after.body["version"], before.body["version"]);
    assert_eq!(after.body["snoozed_until"], serde_json::Value::Null);
    let history = app.get_as(&manager, &format!("{path}/history")).await;
    assert_eq!(
        history.body.as_array().map(Vec::len),
        Some(1),
        "only its creation"
    );
}
