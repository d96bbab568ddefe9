use diesel::sql_types::{BigInt, Text};
use diesel::{QueryableByName, RunQueryDsl};
use recotrack::db::migrate;

use crate::helpers::TestDb;

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn count(conn: &mut diesel::PgConnection, sql: &str) -> i64 {
    diesel::sql_query(sql)
        .get_result::<Count>(conn)
        .expect(sql)
        .n
}

#[test]
fn migrations_run_down_and_up_again() {
    let db = TestDb::create();
    let mut conn = db.connect();
    let tables = "SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = 'public' \
                  AND table_name <> '__diesel_schema_migrations'";
    let migrated = count(&mut conn, tables);
    assert!(
        migrated >= 15,
        "expected the whole schema, found {migrated} tables"
    );

    let reverted = migrate::revert_all(&mut conn).expect("every down.sql runs");
    assert!(!reverted.is_empty());
    assert_eq!(count(&mut conn, tables), 0, "down.sql leaves tables behind");
    assert_eq!(
        count(
            &mut conn,
            "SELECT count(*) AS n FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace \
                          WHERE n.nspname = 'public' AND t.typtype = 'e'"
        ),
        0,
        "down.sql leaves enum types behind"
    );

    migrate::run_pending(&mut conn).expect("every up.sql runs again");
    assert_eq!(count(&mut conn, tables), migrated);
    assert!(migrate::is_current(&mut conn).expect("check"));
}

#[derive(QueryableByName)]
struct Unindexed {
    #[diesel(sql_type = Text)]
    tbl: String,
    #[diesel(sql_type = Text)]
    col: String,
}

#[test]
fn every_foreign_key_has_an_index() {
    let db = TestDb::create();
    let mut conn = db.connect();
    let missing: Vec<Unindexed> = diesel::sql_query(
        "SELECT c.conrelid::regclass::text AS tbl, a.attname::text AS col \
         FROM pg_constraint c \
         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] \
         WHERE c.contype = 'f' AND NOT EXISTS ( \
             SELECT 1 FROM pg_index i \
             WHERE i.indrelid = c.conrelid AND i.indkey[0] = c.conkey[1] AND i.indpred IS NULL)",
    )
    .load(&mut conn)
    .expect("catalog query");
    let missing: Vec<String> = missing
        .iter()
        .map(|m| format!("{}.{}", m.tbl, m.col))
        .collect();
    assert!(
        missing.is_empty(),
        "foreign keys without an index: {missing:?}"
    );
}

#[test]
fn test_databases_are_isolated() {
    let first = TestDb::create();
    let second = TestDb::create();
    let mut one = first.connect();
    let mut two = second.connect();
    diesel::sql_query(
        "INSERT INTO teams (id, name) VALUES (gen_random_uuid(), 'Only in the first')",
    )
    .execute(&mut one)
    .expect("insert");
    assert_eq!(count(&mut one, "SELECT count(*) AS n FROM teams"), 1);
    assert_eq!(count(&mut two, "SELECT count(*) AS n FROM teams"), 0);
}

#[test]
fn history_cannot_be_edited_or_deleted() {
    let db = TestDb::create();
    let mut conn = db.connect();
    let zero = "0".repeat(64);
    diesel::sql_query(format!(
        "WITH r AS (INSERT INTO reports (id, key, title) VALUES (gen_random_uuid(), 'r1', 'R') RETURNING id), \
              rec AS (INSERT INTO recommendations (id, report_id, key, ordinal, title) \
                      SELECT gen_random_uuid(), id, 'r1/01', 1, 'T' FROM r RETURNING id) \
         INSERT INTO history_events (recommendation_id, seq, kind, actor_kind, prev_hash, hash) \
         SELECT id, 1, 'created', 'system', '{zero}', '{zero}' FROM rec"
    ))
    .execute(&mut conn)
    .expect("append");
    let update =
        diesel::sql_query("UPDATE history_events SET reason = 'rewritten'").execute(&mut conn);
    assert!(update.is_err(), "history rows must not be editable");
    let delete = diesel::sql_query("DELETE FROM history_events").execute(&mut conn);
    assert!(delete.is_err(), "history rows must not be deletable");
    assert_eq!(
        count(&mut conn, "SELECT count(*) AS n FROM history_events"),
        1
    );
}

#[test]
fn the_schema_refuses_what_must_never_be_stored() {
    let db = TestDb::create();
    let mut conn = db.connect();
    diesel::sql_query("INSERT INTO reports (id, key, title) VALUES (gen_random_uuid(), 'r1', 'R')")
        .execute(&mut conn)
        .expect("report");
    let insert = |extra_cols: &str, extra_vals: &str| {
        format!(
            "INSERT INTO recommendations (id, report_id, key, ordinal, title{extra_cols}) \
             SELECT gen_random_uuid(), id, 'r1/' || floor(random() * 1e9)::text, 1, 'T'{extra_vals} FROM reports"
        )
    };
    let mut conn2 = db.connect();
    let mut refused = |cols: &str, vals: &str| {
        diesel::sql_query(insert(cols, vals))
            .execute(&mut conn2)
            .is_err()
    };
    // A rejection without a reason.
    assert!(refused(", response", ", 'rejected'"));
    // Implementation under way while the response is still pending.
    assert!(refused(", status", ", 'in_progress'"));
    // A revised due date with no baseline.
    assert!(refused(", due_date", ", DATE '2030-01-01'"));
    // The same, done right, is accepted.
    assert!(!refused(
        ", response, response_reason",
        ", 'rejected', 'Out of scope'"
    ));
}
