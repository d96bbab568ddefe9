//! Whether the service can do its work: the database answers and its schema is current.

use diesel::RunQueryDsl;

use crate::db::{self, PgPool, migrate};
use crate::error::{Error, Result};

/// Succeeds when the database is reachable and every migration of this binary is applied.
pub async fn readiness(pool: &PgPool) -> Result<()> {
    db::run(pool, |conn| {
        diesel::sql_query("SELECT 1").execute(conn)?;
        match migrate::is_current(conn) {
            Ok(true) => Ok(()),
            Ok(false) => Err(Error::NotMigrated),
            Err(e) => Err(Error::Unavailable(Box::new(e))),
        }
    })
    .await
}
