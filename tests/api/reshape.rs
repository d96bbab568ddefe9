//! Events an earlier version recorded in another shape of their kind are shown in the current
//! shape, through a recorded `history_reshaped` event, without touching what was recorded: the
//! chain still verifies, the stored rows are the same, and readers see one shape per kind.

use actix_web::http::StatusCode;
use chrono::{SubsecRound, Utc};
use diesel::sql_types::{Jsonb, Nullable};
use diesel::{PgConnection, QueryableByName, RunQueryDsl};
use hmac::{Hmac, Mac};
use recotrack::db::enums::Role;
use serde_json::{Value, json};
use sha2::Sha256;

use crate::helpers::{TEST_HISTORY_KEY, TestApp, install_test_history_key};

fn sql(conn: &mut PgConnection, statement: &str) {
    diesel::sql_query(statement)
        .execute(conn)
        .unwrap_or_else(|e| panic!("{statement}: {e}"));
}

/// Appends an event to `item`'s chain as an earlier version of the service wrote it: keyed
/// with the test key, linked to the head, the head moved. The hash is computed here, from the
/// documented canonical form, not by the service.
fn append_as_recorded_earlier(
    conn: &mut PgConnection,
    item: &str,
    kind: &str,
    field: Option<&str>,
    before: Value,
    after: Value,
) {
    #[derive(QueryableByName)]
    struct Head {
        #[diesel(sql_type = diesel::sql_types::Int4)]
        seq: i32,
        #[diesel(sql_type = diesel::sql_types::Text)]
        hash: String,
    }
    let head: Head = diesel::sql_query(format!(
        "SELECT seq, hash FROM history_heads WHERE recommendation_id = '{item}'"
    ))
    .get_result(conn)
    .expect("head");
    let seq = head.seq + 1;
    let at = Utc::now().trunc_subsecs(6);
    let canonical = json!({
        "item": item, "seq": seq, "kind": kind, "actor_kind": "system", "actor_id": null,
        "at": at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        "reason": "demo data", "field": field, "before": before, "after": after,
        "prev": head.hash,
    });
    let mut mac = Hmac::<Sha256>::new_from_slice(TEST_HISTORY_KEY.as_bytes()).expect("hmac key");
    mac.update(canonical.to_string().as_bytes());
    let hash = hex::encode(mac.finalize().into_bytes());
    let key_id = recotrack::domain::history::keys::HistoryKey::new(TEST_HISTORY_KEY.as_bytes())
        .expect("key")
        .id()
        .to_owned();
    let field = field.map_or("NULL".to_owned(), |f| format!("'{f}'"));
    sql(
        conn,
        &format!(
            "INSERT INTO history_events (recommendation_id, seq, kind, actor_kind, actor_id, at, \
             reason, field, before, after, prev_hash, hash, key_id) VALUES ('{item}', {seq}, \
             '{kind}', 'system', NULL, '{}', 'demo data', {field}, '{before}'::jsonb, \
             '{after}'::jsonb, '{}', '{hash}', '{key_id}')",
            at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            head.hash
        ),
    );
    sql(
        conn,
        &format!(
            "UPDATE history_heads SET seq = {seq}, hash = '{hash}' WHERE recommendation_id = '{item}'"
        ),
    );
}

/// The demo seed's `owner_added` as an earlier version wrote it: ids, no `owner`.
fn append_old_demo_owner(conn: &mut PgConnection, item: &str, user: uuid::Uuid) {
    append_as_recorded_earlier(
        conn,
        item,
        "owner_added",
        None,
        Value::Null,
        json!({"user_id": user, "team_id": null, "kind": "responsible"}),
    );
}

#[derive(QueryableByName)]
struct Stored {
    #[diesel(sql_type = Nullable<Jsonb>)]
    after: Option<Value>,
}

#[actix_web::test]
async fn old_shapes_are_shown_in_the_current_one_by_a_recorded_event_and_the_record_is_untouched() {
    let app = TestApp::spawn().await;
    let manager = app.user(Role::Manager).await;
    let report = app.new_report(&manager, "shapes").await;
    let item = app.new_item(&manager, &report, "Keep one shape").await;
    let evidence_id = "5b0c3c1e-6a43-4c1b-9d1e-0a2b3c4d5e6f";

    // What the demo seed, the old target seed and the evidence seed wrote.
    let mut conn = app.db.connect();
    append_old_demo_owner(&mut conn, &item, manager.id);
    append_as_recorded_earlier(
        &mut conn,
        &item,
        "field_changed",
        Some("target"),
        json!([null, null]),
        json!(["Train 100 officials", 2030]),
    );
    append_as_recorded_earlier(
        &mut conn,
        &item,
        "evidence_added",
        None,
        Value::Null,
        json!({"evidence_id": evidence_id, "key": "shapes/1", "title": "Annual report",
               "relevance": "shows_progress", "verification": "pending"}),
    );
    app.sql(&format!(
        "INSERT INTO evidence (id, recommendation_id, kind, title, excerpt, source, rationale, \
             relevance, seed_key) VALUES ('{evidence_id}', '{item}', 'statement', 'Annual report', \
             'Training began.', 'Annual report 2025', 'It says training began.', 'shows_progress', \
             'shapes/1')"
    ));
    app.sql(&format!(
        "UPDATE recommendations SET evidence_stage = 'claimed' WHERE id = '{item}'"
    ));
    let path = format!("/api/v1/recommendations/{item}/history");
    let verify = format!("{path}/verify");
    let before = app.get_as(&manager, &verify).await;
    assert_eq!(before.body["intact"], true, "{}", before.text);
    assert_eq!(before.body["events"], 4);

    install_test_history_key();
    let reshaped = recotrack::domain::history::reshape_legacy(&mut conn).expect("reshape");
    assert_eq!(reshaped, 1);
    assert_eq!(
        recotrack::domain::history::reshape_legacy(&mut conn).expect("again"),
        0,
        "a second run records nothing"
    );

    let history = app.get_as(&manager, &path).await;
    assert_eq!(history.status, StatusCode::OK, "{}", history.text);
    let events = history.body.as_array().expect("events");
    let shown: Vec<(i64, &str, Value, Value)> = events
        .iter()
        .map(|e| {
            (
                e["seq"].as_i64().unwrap_or_default(),
                e["kind"].as_str().unwrap_or_default(),
                e["field"].clone(),
                e["reshaped_by"].clone(),
            )
        })
        .collect();
    assert_eq!(
        shown,
        vec![
            (1, "created", Value::Null, Value::Null),
            (2, "owner_added", Value::Null, json!(5)),
            (3, "field_changed", json!("target"), json!(5)),
            (3, "field_changed", json!("target_year"), json!(5)),
            (4, "evidence_added", Value::Null, json!(5)),
            (5, "history_reshaped", Value::Null, Value::Null),
        ]
    );
    assert_eq!(
        events[1]["after"],
        json!({"owner": {"user_id": manager.id, "name": "Test manager"}, "kind": "responsible"})
    );
    assert_eq!(
        (events[2]["before"].clone(), events[2]["after"].clone()),
        (Value::Null, json!("Train 100 officials"))
    );
    assert_eq!(
        (events[3]["before"].clone(), events[3]["after"].clone()),
        (Value::Null, json!(2030))
    );
    assert_eq!(
        events[4]["after"],
        json!({"evidence_id": evidence_id, "seed_key": "shapes/1", "title": "Annual report",
               "relevance": "shows_progress", "verification": "pending"})
    );
    assert!(
        events[5]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("[2, 3, 4]") && r.contains("unchanged")),
        "{}",
        events[5]
    );

    // The record itself is what was written, and the chain, with its correction, verifies.
    let stored: Stored = diesel::sql_query(format!(
        "SELECT after FROM history_events WHERE recommendation_id = '{item}' AND seq = 2"
    ))
    .get_result(&mut conn)
    .expect("stored");
    assert_eq!(
        stored.after,
        Some(json!({"user_id": manager.id, "team_id": null, "kind": "responsible"}))
    );
    let after = app.get_as(&manager, &verify).await;
    assert_eq!(after.body["intact"], true, "{}", after.text);
    assert_eq!(after.body["events"], 5);

    // Owners added today are recorded in the shape the old event is now shown in.
    let owner = app
        .call(
            "PUT",
            &format!("/api/v1/recommendations/{item}/owners/users/{}", manager.id),
            Some(&manager.access),
            Some(json!({"kind": "responsible"})),
        )
        .await;
    assert!(owner.status.is_success(), "{}", owner.text);
    let history = app.get_as(&manager, &path).await;
    let last = history.body.as_array().and_then(|e| e.last()).cloned();
    let last = last.unwrap_or_default();
    assert_eq!(last["kind"], "owner_added");
    assert_eq!(last["after"], events[1]["after"]);
    assert_eq!(last.get("reshaped_by"), None);
}

#[actix_web::test]
async fn the_database_refuses_an_event_of_a_kind_the_service_does_not_write() {
    let app = TestApp::spawn().await;
    let manager = app.user(Role::Manager).await;
    let report = app.new_report(&manager, "kinds").await;
    let item = app.new_item(&manager, &report, "Known kinds only").await;
    let mut conn = app.db.connect();
    let zeros = "0".repeat(64);
    let refused = diesel::sql_query(format!(
        "INSERT INTO history_events (recommendation_id, seq, kind, actor_kind, prev_hash, hash) \
         VALUES ('{item}', 2, 'status_changed', 'system', '{zeros}', '{zeros}')"
    ))
    .execute(&mut conn)
    .expect_err("an unknown kind");
    assert!(
        refused.to_string().contains("history_events_kind_known"),
        "{refused}"
    );
}

#[actix_web::test]
async fn a_correction_written_without_the_key_or_for_another_kind_changes_nothing_shown() {
    let app = TestApp::spawn().await;
    let manager = app.user(Role::Manager).await;
    let report = app.new_report(&manager, "forged").await;
    let item = app
        .new_item(&manager, &report, "The title as created")
        .await;
    let mut conn = app.db.connect();
    append_old_demo_owner(&mut conn, &item, manager.id);
    // Keyed correctly, but it "corrects" the item's creation: not a kind that had old shapes.
    append_as_recorded_earlier(
        &mut conn,
        &item,
        "history_reshaped",
        None,
        Value::Null,
        json!({"events": [{"seq": 1, "events": [{"field": null, "before": null,
               "after": {"key": "forged", "title": "A title nobody gave it"}}]}]}),
    );
    // Written by someone with the database but not the key: a made-up hash.
    let zeros = "0".repeat(64);
    app.sql(&format!(
        "INSERT INTO history_events (recommendation_id, seq, kind, actor_kind, after, prev_hash, \
         hash) VALUES ('{item}', 4, 'history_reshaped', 'system', '{{\"events\": [{{\"seq\": 2, \
         \"events\": [{{\"field\": null, \"before\": null, \"after\": {{\"owner\": {{\"name\": \
         \"Someone else\"}}, \"kind\": \"responsible\"}}}}]}}]}}'::jsonb, '{zeros}', '{zeros}')"
    ));
    let path = format!("/api/v1/recommendations/{item}/history");
    let history = app.get_as(&manager, &path).await;
    assert_eq!(history.status, StatusCode::OK, "{}", history.text);
    let events = history.body.as_array().expect("events");
    assert_eq!(events.len(), 4, "{}", history.text);
    assert_eq!(events[0]["after"]["title"], "The title as created");
    assert_eq!(events[0].get("reshaped_by"), None);
    assert_eq!(
        events[1]["after"],
        json!({"user_id": manager.id, "team_id": null, "kind": "responsible"}),
        "shown as recorded"
    );
    assert_eq!(events[1].get("reshaped_by"), None);
    let verdict = app.get_as(&manager, &format!("{path}/verify")).await;
    assert_eq!(verdict.body["intact"], false, "{}", verdict.text);
    assert_eq!(verdict.body["first_broken_seq"], 4, "{}", verdict.text);
}

#[actix_web::test]
async fn a_chain_still_ending_in_plain_hashes_is_not_sealed_by_recording_shapes() {
    let app = TestApp::spawn().await;
    let manager = app.user(Role::Manager).await;
    let report = app.new_report(&manager, "legacy-shapes").await;
    let item = app
        .new_item(&manager, &report, "From before keyed hashes")
        .await;
    let mut conn = app.db.connect();
    append_old_demo_owner(&mut conn, &item, manager.id);
    // As a version from before keyed hashes left it: plain SHA-256 all along.
    let mut old = app.db.connect();
    sql(&mut old, "SET session_replication_role = replica");
    crate::tamper::rewrite_with_plain_hashes(&mut old, &item);

    install_test_history_key();
    let recorded = recotrack::domain::history::reshape_legacy(&mut conn).expect("reshape");
    assert_eq!(recorded, 0, "only an operator seals legacy chains");
    let unsealed = recotrack::domain::history::unsealed_legacy(&mut conn).expect("unsealed");
    assert_eq!(unsealed.len(), 1);
    let history = app
        .get_as(&manager, &format!("/api/v1/recommendations/{item}/history"))
        .await;
    let kinds: Vec<&str> = history
        .body
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert_eq!(kinds, vec!["created", "owner_added"]);
}

#[actix_web::test]
async fn two_instances_starting_together_record_the_shapes_once() {
    let app = TestApp::spawn().await;
    let manager = app.user(Role::Manager).await;
    let report = app.new_report(&manager, "two-starts").await;
    let item = app.new_item(&manager, &report, "Started twice").await;
    append_old_demo_owner(&mut app.db.connect(), &item, manager.id);
    install_test_history_key();
    let starts: Vec<_> = (0..2)
        .map(|_| {
            let mut conn = app.db.connect();
            std::thread::spawn(move || {
                recotrack::domain::history::reshape_legacy(&mut conn).expect("reshape")
            })
        })
        .collect();
    let recorded: usize = starts.into_iter().map(|s| s.join().expect("a start")).sum();
    assert_eq!(recorded, 1);
    let history = app
        .get_as(&manager, &format!("/api/v1/recommendations/{item}/history"))
        .await;
    let kinds: Vec<&str> = history
        .body
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert_eq!(kinds, vec!["created", "owner_added", "history_reshaped"]);
}
