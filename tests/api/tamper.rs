//! An item's history cannot be rewritten without detection. Each test plays someone with write
//! access to the database (a superuser who can switch triggers off) but without the service's
//! history key.

use actix_web::http::StatusCode;
use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Int4, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel::{PgConnection, QueryableByName, RunQueryDsl};
use recotrack::db::enums::Role;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::{Login, Reply, TestApp};

struct Desk {
    app: TestApp,
    manager: Login,
    admin: Login,
    item: String,
}

async fn desk() -> Desk {
    let app = TestApp::spawn().await;
    let manager = app.user(Role::Manager).await;
    let admin = app.user(Role::Admin).await;
    let report = app
        .call(
            "POST",
            "/api/v1/reports",
            Some(&manager.access),
            Some(json!({"key": "tamper", "title": "Tamper"})),
        )
        .await;
    let item = app
        .call(
            "POST",
            "/api/v1/recommendations",
            Some(&manager.access),
            Some(
                json!({"report_id": report.body["id"], "title": "Keep the record straight",
                        "due_date": "2027-06-30"}),
            ),
        )
        .await;
    assert_eq!(item.status, StatusCode::CREATED, "{}", item.text);
    let desk = Desk {
        item: item.body["id"].as_str().expect("id").to_owned(),
        app,
        manager,
        admin,
    };
    for (axis, to) in [("response", "accepted"), ("status", "in_progress")] {
        let moved = desk
            .app
            .call(
                "POST",
                &format!("/api/v1/recommendations/{}/transitions", desk.item),
                Some(&desk.manager.access),
                Some(json!({"axis": axis, "to": to})),
            )
            .await;
        assert_eq!(moved.status, StatusCode::OK, "{}", moved.text);
    }
    let comment = desk
        .app
        .call(
            "POST",
            &format!("/api/v1/recommendations/{}/comments", desk.item),
            Some(&desk.manager.access),
            Some(json!({"body": "Work has started."})),
        )
        .await;
    assert_eq!(comment.status, StatusCode::CREATED, "{}", comment.text);
    desk
}

impl Desk {
    async fn verdict(&self) -> Reply {
        let reply = self
            .app
            .call(
                "GET",
                &format!("/api/v1/recommendations/{}/history/verify", self.item),
                Some(&self.manager.access),
                None,
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        reply
    }

    async fn integrity(&self) -> Reply {
        let reply = self
            .app
            .call(
                "GET",
                "/api/v1/history/verify",
                Some(&self.admin.access),
                None,
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        reply
    }

    /// A superuser session with triggers off.
    fn attacker(&self) -> PgConnection {
        let mut conn = self.app.db.connect();
        sql(&mut conn, "SET session_replication_role = replica");
        conn
    }
}

fn sql(conn: &mut PgConnection, statement: &str) {
    diesel::sql_query(statement)
        .execute(conn)
        .unwrap_or_else(|e| panic!("{statement}: {e}"));
}

#[derive(QueryableByName)]
struct Event {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = SqlUuid)]
    recommendation_id: uuid::Uuid,
    #[diesel(sql_type = Int4)]
    seq: i32,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Text)]
    actor_kind: String,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    actor_id: Option<uuid::Uuid>,
    #[diesel(sql_type = Timestamptz)]
    at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Text>)]
    reason: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    field: Option<String>,
    #[diesel(sql_type = Nullable<Jsonb>)]
    before: Option<Value>,
    #[diesel(sql_type = Nullable<Jsonb>)]
    after: Option<Value>,
}

/// The plain SHA-256 chain as the source shows it: what an attacker without the key computes.
pub fn rewrite_with_plain_hashes(conn: &mut PgConnection, item: &str) {
    let events: Vec<Event> = diesel::sql_query(format!(
        "SELECT id, recommendation_id, seq, kind, actor_kind::text AS actor_kind, actor_id, at, \
         reason, field, before, after FROM history_events WHERE recommendation_id = '{item}' \
         ORDER BY seq"
    ))
    .load(conn)
    .expect("events");
    let mut prev = "0".repeat(64);
    for e in events {
        let canonical = json!({
            "item": e.recommendation_id, "seq": e.seq, "kind": e.kind,
            "actor_kind": e.actor_kind, "actor_id": e.actor_id,
            "at": e.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            "reason": e.reason, "field": e.field, "before": e.before, "after": e.after,
            "prev": prev,
        });
        let hash = hex::encode(Sha256::digest(canonical.to_string().as_bytes()));
        sql(
            conn,
            &format!(
                "UPDATE history_events SET prev_hash = '{prev}', hash = '{hash}', key_id = NULL \
                 WHERE id = {}",
                e.id
            ),
        );
        prev = hash;
    }
    sql(
        conn,
        &format!("UPDATE history_heads SET hash = '{prev}' WHERE recommendation_id = '{item}'"),
    );
}

#[actix_web::test]
async fn an_untouched_history_verifies() {
    let d = desk().await;
    let verdict = d.verdict().await;
    assert_eq!(verdict.body["intact"], true, "{}", verdict.text);
    assert_eq!(verdict.body["events"], 4);
    assert_eq!(verdict.body["problems"], json!([]));
    let all = d.integrity().await;
    assert_eq!(all.body["intact"], true, "{}", all.text);
    assert_eq!(all.body["items_checked"], 1);
}

#[actix_web::test]
async fn deleting_the_newest_events_is_detected() {
    let d = desk().await;
    let mut conn = d.attacker();
    sql(
        &mut conn,
        &format!(
            "DELETE FROM history_events WHERE recommendation_id = '{}' AND seq >= 3",
            d.item
        ),
    );
    let verdict = d.verdict().await;
    assert_eq!(verdict.body["intact"], false, "{}", verdict.text);
    assert_eq!(verdict.body["first_broken_seq"], 3);
    let problems = verdict.body["problems"].to_string();
    assert!(problems.contains("records 4 events"), "{problems}");
    // The status event went with the tail: replaying says not_started, the item says otherwise.
    assert!(
        problems.contains("replaying the history gives status"),
        "{problems}"
    );
    let all = d.integrity().await;
    assert_eq!(all.body["intact"], false);
    assert_eq!(all.body["broken"][0]["key"], "tamper/01");
}

#[actix_web::test]
async fn a_chain_rewritten_with_recomputed_plain_hashes_is_detected() {
    let d = desk().await;
    let mut conn = d.attacker();
    sql(
        &mut conn,
        &format!(
            "UPDATE history_events SET after = '\"accepted_in_principle\"' \
             WHERE recommendation_id = '{}' AND field = 'response'",
            d.item
        ),
    );
    sql(
        &mut conn,
        &format!(
            "UPDATE recommendations SET response = 'accepted_in_principle' \
             WHERE id = '{}'",
            d.item
        ),
    );
    rewrite_with_plain_hashes(&mut conn, &d.item);
    let verdict = d.verdict().await;
    assert_eq!(verdict.body["intact"], false, "{}", verdict.text);
    assert!(
        verdict.body["problems"]
            .to_string()
            .contains("a plain SHA-256 where only keyed hashes are valid"),
        "{}",
        verdict.text
    );
}

#[actix_web::test]
async fn a_chain_resealed_under_another_key_is_detected() {
    let d = desk().await;
    let mut conn = d.attacker();
    rewrite_with_plain_hashes(&mut conn, &d.item);
    // Claim the service's key id for hashes made without the key.
    sql(
        &mut conn,
        &format!(
            "UPDATE history_events SET key_id = '0123456789abcdef' WHERE recommendation_id = '{}'",
            d.item
        ),
    );
    let verdict = d.verdict().await;
    assert_eq!(verdict.body["intact"], false, "{}", verdict.text);
    assert_eq!(verdict.body["first_broken_seq"], 1);
    assert!(
        verdict.text.contains("which this service does not hold"),
        "{}",
        verdict.text
    );
}

#[actix_web::test]
async fn rolling_the_item_back_without_its_history_is_detected() {
    let d = desk().await;
    let mut conn = d.attacker();
    sql(
        &mut conn,
        &format!(
            "UPDATE recommendations SET due_date = '2028-01-31' WHERE id = '{}'",
            d.item
        ),
    );
    let verdict = d.verdict().await;
    assert_eq!(verdict.body["intact"], false, "{}", verdict.text);
    assert!(
        verdict.text.contains(
            "replaying the history gives due_date \\\"2027-06-30\\\", but the item has \\\"2028-01-31\\\""
        ),
        "{}",
        verdict.text
    );
}

#[actix_web::test]
async fn history_cannot_be_truncated() {
    let d = desk().await;
    let mut conn = d.app.db.connect();
    let truncated = diesel::sql_query("TRUNCATE history_events CASCADE").execute(&mut conn);
    assert!(truncated.is_err(), "TRUNCATE went through");
    let anchors = diesel::sql_query("TRUNCATE history_anchors").execute(&mut conn);
    assert!(anchors.is_err(), "TRUNCATE of the anchors went through");
    assert_eq!(d.verdict().await.body["events"], 4);
}

#[actix_web::test]
async fn a_tail_deleted_with_its_head_moved_back_still_fails_the_anchor() {
    let d = desk().await;
    // Today's anchor, as the scheduler would record it once the day is over (its as_of is
    // moved to now, so it covers the events above).
    let mut conn = d.app.db.connect();
    let now = Utc::now() + chrono::Duration::seconds(1);
    let (items, events, digest) =
        recotrack::domain::history::anchor::compute(&mut conn, now).expect("anchor");
    assert_eq!((items, events), (1, 4));
    sql(
        &mut conn,
        &format!(
            "INSERT INTO history_anchors (day, as_of, items, events, digest) \
             VALUES ('2020-01-01', '{}', {items}, {events}, '{digest}')",
            now.to_rfc3339()
        ),
    );
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(d.integrity().await.body["intact"], true);

    // A careful attacker removes the comment (which changes no replayed field) and moves the
    // head back to the event before it: the item's own check passes ...
    let mut attacker = d.attacker();
    sql(
        &mut attacker,
        &format!(
            "DELETE FROM history_events WHERE recommendation_id = '{}' AND seq = 4",
            d.item
        ),
    );
    sql(
        &mut attacker,
        &format!(
            "UPDATE history_heads SET seq = 3, hash = (SELECT hash FROM history_events \
             WHERE recommendation_id = '{0}' AND seq = 3) WHERE recommendation_id = '{0}'",
            d.item
        ),
    );
    assert_eq!(d.verdict().await.body["intact"], true);
    // ... but the anchor kept outside the database no longer matches.
    let all = d.integrity().await;
    assert_eq!(all.body["intact"], false, "{}", all.text);
    assert_eq!(all.body["anchors"][0]["day"], "2020-01-01");
    assert_eq!(all.body["anchors"][0]["matches"], false);
}

#[actix_web::test]
async fn only_admins_check_the_whole_history() {
    let d = desk().await;
    let refused = d
        .app
        .call(
            "GET",
            "/api/v1/history/verify",
            Some(&d.manager.access),
            None,
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

#[actix_web::test]
async fn history_from_before_keyed_hashes_is_sealed_once_and_then_verifies() {
    let d = desk().await;
    // Make the item's history look as it did before keyed hashes: a valid plain chain.
    let mut conn = d.attacker();
    rewrite_with_plain_hashes(&mut conn, &d.item);
    assert_eq!(
        d.verdict().await.body["intact"],
        false,
        "unsealed: not yet valid"
    );
    let mut service = d.app.db.connect();
    assert_eq!(
        recotrack::domain::history::rekey_legacy(&mut service).expect("rekey"),
        (1, 0)
    );
    let verdict = d.verdict().await;
    assert_eq!(verdict.body["intact"], true, "{}", verdict.text);
    assert_eq!(verdict.body["events"], 5);
    assert_eq!(
        recotrack::domain::history::rekey_legacy(&mut service).expect("rekey"),
        (0, 0),
        "sealed once"
    );
    // Editing a sealed legacy event is still detected.
    sql(
        &mut conn,
        &format!(
            "UPDATE history_events SET reason = 'edited' WHERE recommendation_id = '{}' AND seq = 2",
            d.item
        ),
    );
    let verdict = d.verdict().await;
    assert_eq!(verdict.body["intact"], false);
    assert_eq!(verdict.body["first_broken_seq"], 2);
}

#[actix_web::test]
async fn a_broken_legacy_chain_is_not_sealed() {
    let d = desk().await;
    let mut conn = d.attacker();
    rewrite_with_plain_hashes(&mut conn, &d.item);
    sql(
        &mut conn,
        &format!(
            "UPDATE history_events SET reason = 'edited' WHERE recommendation_id = '{}' AND seq = 2",
            d.item
        ),
    );
    let mut service = d.app.db.connect();
    assert_eq!(
        recotrack::domain::history::rekey_legacy(&mut service).expect("rekey"),
        (0, 1)
    );
    assert_eq!(d.verdict().await.body["intact"], false);
}

#[actix_web::test]
async fn admins_digests_carry_the_newest_anchor() {
    let d = desk().await;
    let mut conn = d.app.db.connect();
    sql(
        &mut conn,
        &format!(
            "UPDATE recommendations SET last_activity_at = now() - interval '200 days' WHERE id = '{}'",
            d.item
        ),
    );
    sql(
        &mut conn,
        "INSERT INTO history_anchors (day, as_of, items, events, digest) VALUES \
         ('2026-11-29', '2026-11-29T00:00:00Z', 1, 4, '1111111111111111111111111111111111111111111111111111111111111111'), \
         ('2026-11-30', '2026-11-30T00:00:00Z', 1, 4, 'abababababababababababababababababababababababababababababababab')",
    );
    let preview = d
        .app
        .call(
            "GET",
            &format!("/api/v1/digests/preview?user={}", d.admin.id),
            Some(&d.admin.access),
            None,
        )
        .await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.text);
    let text = preview.body["text"].as_str().unwrap_or_default();
    assert!(
        text.contains(
            "History anchor for 2026-11-30: abababababababababababababababababababababababababababababababab"
        ),
        "{text}"
    );
    // A manager's digest does not carry it.
    let manager = d
        .app
        .call(
            "GET",
            &format!("/api/v1/digests/preview?user={}", d.manager.id),
            Some(&d.admin.access),
            None,
        )
        .await;
    assert!(!manager.text.contains("History anchor"), "{}", manager.text);
}

#[actix_web::test]
async fn evidence_accepted_behind_the_historys_back_is_detected() {
    let d = desk().await;
    let contributor = d.app.user(Role::Contributor).await;
    let owned = d
        .app
        .call(
            "PUT",
            &format!(
                "/api/v1/recommendations/{}/owners/users/{}",
                d.item, contributor.id
            ),
            Some(&d.manager.access),
            Some(json!({"kind": "responsible"})),
        )
        .await;
    assert_eq!(owned.status, StatusCode::NO_CONTENT);
    let submitted = d
        .app
        .call(
            "POST",
            &format!("/api/v1/recommendations/{}/evidence", d.item),
            Some(&contributor.access),
            Some(json!({"kind": "statement", "title": "Done, says I"})),
        )
        .await;
    let evidence = submitted.body["id"].as_str().expect("id").to_owned();
    assert_eq!(d.verdict().await.body["intact"], true);
    // The submitter's accomplice in the database: accepted, reviewed by the submitter, who is
    // erased from the editors, and the item marked verified.
    let mut conn = d.attacker();
    sql(
        &mut conn,
        &format!(
            "UPDATE evidence SET editors = '{{}}', submitted_by = NULL, verification = 'accepted', \
             reviewed_by = '{}', reviewed_at = now() WHERE id = '{evidence}'",
            contributor.id
        ),
    );
    sql(
        &mut conn,
        &format!(
            "UPDATE recommendations SET evidence_stage = 'verified', evidence_as_of = current_date \
             WHERE id = '{}'",
            d.item
        ),
    );
    let verdict = d.verdict().await;
    assert_eq!(verdict.body["intact"], false, "{}", verdict.text);
    assert!(
        verdict
            .text
            .contains("its verdict is not the one its history records"),
        "{}",
        verdict.text
    );
}

#[actix_web::test]
async fn an_evidence_stage_set_behind_the_historys_back_is_detected() {
    let d = desk().await;
    let mut conn = d.attacker();
    // What lets a real user then mark the item implemented without accepted evidence.
    sql(
        &mut conn,
        &format!(
            "UPDATE recommendations SET evidence_stage = 'verified', evidence_as_of = current_date \
             WHERE id = '{}'",
            d.item
        ),
    );
    let verdict = d.verdict().await;
    assert_eq!(verdict.body["intact"], false, "{}", verdict.text);
    assert!(
        verdict
            .text
            .contains("replaying the history gives evidence_stage \\\"none\\\", but the item has \\\"verified\\\""),
        "{}",
        verdict.text
    );
}

#[actix_web::test]
async fn an_item_whose_whole_history_was_deleted_is_detected() {
    let d = desk().await;
    let mut conn = d.attacker();
    sql(
        &mut conn,
        &format!(
            "DELETE FROM history_events WHERE recommendation_id = '{0}'; ",
            d.item
        ),
    );
    sql(
        &mut conn,
        &format!(
            "DELETE FROM history_heads WHERE recommendation_id = '{}'",
            d.item
        ),
    );
    let verdict = d.verdict().await;
    assert_eq!(verdict.body["intact"], false, "{}", verdict.text);
    assert!(verdict.text.contains("no history"), "{}", verdict.text);
}

#[actix_web::test]
async fn an_anchor_kept_outside_checks_against_the_history_of_its_day() {
    let d = desk().await;
    let mut conn = d.app.db.connect();
    use recotrack::domain::history::anchor;
    // Yesterday's history is empty: its digest is the keyed digest of nothing.
    let yesterday = (Utc::now() - chrono::Duration::days(1)).date_naive();
    let (items, events, empty) = anchor::compute(
        &mut conn,
        yesterday.and_hms_opt(0, 0, 0).expect("midnight").and_utc(),
    )
    .expect("digest");
    assert_eq!((items, events), (0, 0));
    assert!(anchor::check_outside_copy(&mut conn, yesterday, &empty).expect("check"));
    assert!(
        !anchor::check_outside_copy(&mut conn, yesterday, &"0".repeat(64)).expect("check"),
        "a different copy does not match"
    );
    assert!(
        anchor::check_outside_copy(&mut conn, yesterday, "not hex").is_err(),
        "a malformed copy is refused"
    );
}
