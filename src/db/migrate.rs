//! Migrations are compiled into the binary and applied under a PostgreSQL advisory lock, so any
//! number of instances can start at once and exactly one of them migrates.

use diesel::RunQueryDsl;
use diesel::pg::PgConnection;
use diesel::sql_types::BigInt;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

/// The migrations in `migrations/`, embedded at build time.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// Arbitrary but fixed: the advisory lock key that serialises migration runs.
const MIGRATION_LOCK: i64 = 0x7265_636f_6d69_6772;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, thiserror::Error)]
#[error("migrating the database failed: {0}")]
pub struct MigrateError(#[source] BoxError);

/// Applies every pending migration; returns the versions it applied.
pub fn run_pending(conn: &mut PgConnection) -> Result<Vec<String>, MigrateError> {
    with_lock(conn, |conn| {
        conn.run_pending_migrations(MIGRATIONS)
            .map(|versions| versions.iter().map(ToString::to_string).collect())
    })
}

/// Reverts every applied migration, newest first (used to prove each `down.sql` works).
pub fn revert_all(conn: &mut PgConnection) -> Result<Vec<String>, MigrateError> {
    with_lock(conn, |conn| {
        conn.revert_all_migrations(MIGRATIONS)
            .map(|versions| versions.iter().map(ToString::to_string).collect())
    })
}

/// Whether the schema has every migration this binary knows.
pub fn is_current(conn: &mut PgConnection) -> Result<bool, MigrateError> {
    conn.has_pending_migration(MIGRATIONS)
        .map(|pending| !pending)
        .map_err(MigrateError)
}

fn with_lock<T>(
    conn: &mut PgConnection,
    work: impl FnOnce(&mut PgConnection) -> Result<T, BoxError>,
) -> Result<T, MigrateError> {
    diesel::sql_query("SELECT pg_advisory_lock($1)")
        .bind::<BigInt, _>(MIGRATION_LOCK)
        .execute(conn)
        .map_err(|e| MigrateError(Box::new(e)))?;
    let outcome = work(conn).map_err(MigrateError);
    let unlocked = diesel::sql_query("SELECT pg_advisory_unlock($1)")
        .bind::<BigInt, _>(MIGRATION_LOCK)
        .execute(conn)
        .map_err(|e| MigrateError(Box::new(e)));
    let value = outcome?;
    unlocked?;
    Ok(value)
}
