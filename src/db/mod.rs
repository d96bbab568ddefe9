//! Persistence: the connection pool, the helper that runs diesel off the async workers, the
//! embedded migrations, and the private PostgreSQL cluster used when no server is configured.

pub mod enums;
pub mod explain;
pub mod fragment;
pub mod held;
pub mod local;
pub mod migrate;
pub mod models;
pub mod schema;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use diesel::connection::InstrumentationEvent;
use diesel::pg::PgConnection;
use diesel::r2d2::{ManageConnection, Pool, PooledConnection, R2D2Connection};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::{Connection, RunQueryDsl};

use crate::error::{Error, Result};

pub type PgPool = Pool<Manager>;
pub type PooledConn = PooledConnection<Manager>;

/// Pool sizing and timeouts, as read from the `database` settings.
#[derive(Debug, Clone, Copy)]
pub struct PoolOptions {
    pub max_size: u32,
    pub connect_timeout: Duration,
    pub statement_timeout_ms: u64,
}

/// A pooled connection that remembers whether the server went away under it.
pub struct Tracked {
    conn: PgConnection,
    lost: Arc<AtomicBool>,
}

impl std::ops::Deref for Tracked {
    type Target = PgConnection;
    fn deref(&self) -> &PgConnection {
        &self.conn
    }
}

impl std::ops::DerefMut for Tracked {
    fn deref_mut(&mut self) -> &mut PgConnection {
        &mut self.conn
    }
}

/// Opens connections for the pool and tells it which to throw away. No statement is sent to
/// test a connection before use: one whose server went away fails its first statement (which
/// the caller answers 503, see [`Error`]'s `From<diesel::result::Error>`), the connection's
/// instrumentation notes the failure, and the pool discards it on return instead of lending
/// it out again.
#[derive(Debug)]
pub struct Manager {
    url: String,
    statement_timeout_ms: u64,
    statements: prometheus_client::metrics::counter::Counter,
}

fn is_lost(error: &DieselError) -> bool {
    matches!(
        error,
        DieselError::DatabaseError(
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
            _
        )
    )
}

impl ManageConnection for Manager {
    type Connection = Tracked;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> std::result::Result<Tracked, Self::Error> {
        let mut conn =
            PgConnection::establish(&self.url).map_err(diesel::r2d2::Error::ConnectionError)?;
        // A runaway query must not hold a connection (and a request) forever.
        diesel::sql_query(format!(
            "SET statement_timeout = {}",
            self.statement_timeout_ms
        ))
        .execute(&mut conn)
        .map_err(diesel::r2d2::Error::QueryError)?;
        // Counting starts after setup, so the figure is the statements requests cause.
        let statements = self.statements.clone();
        let lost = Arc::new(AtomicBool::new(false));
        let noted = lost.clone();
        conn.set_instrumentation(move |event: InstrumentationEvent<'_>| match event {
            InstrumentationEvent::StartQuery { .. } => {
                statements.inc();
            }
            InstrumentationEvent::FinishQuery {
                error: Some(error), ..
            } if is_lost(error) => noted.store(true, Ordering::Relaxed),
            _ => {}
        });
        Ok(Tracked { conn, lost })
    }

    fn is_valid(&self, conn: &mut Tracked) -> std::result::Result<(), Self::Error> {
        conn.conn.ping().map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut Tracked) -> bool {
        std::thread::panicking() || conn.lost.load(Ordering::Relaxed) || conn.conn.is_broken()
    }
}

/// Builds the pool without connecting: the first checkout connects, and a database that comes
/// back after an outage is picked up again without a restart. Every statement any of its
/// connections sends is counted in `statements`.
pub fn build_pool(
    url: &str,
    options: PoolOptions,
    statements: prometheus_client::metrics::counter::Counter,
) -> PgPool {
    Pool::builder()
        .max_size(options.max_size)
        .min_idle(Some(1))
        .connection_timeout(options.connect_timeout)
        .test_on_check_out(false)
        .build_unchecked(Manager {
            url: url.to_owned(),
            statement_timeout_ms: options.statement_timeout_ms,
            statements,
        })
}

/// Runs `work` with a pooled connection on the blocking thread pool, so diesel never stalls an
/// async worker. Inside a request that holds a connection ([`held::Held`]), `work` runs on that
/// one, in its transaction.
pub async fn run<T, F>(pool: &PgPool, work: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce(&mut PgConnection) -> Result<T> + Send + 'static,
{
    if let Some(held) = held::Held::current() {
        return held.run(work).await;
    }
    let pool = pool.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = pool.get()?;
        work(&mut conn)
    })
    .await
    .map_err(Error::internal)?
}

/// Like [`run`], inside one transaction: everything `work` writes commits together or not at all.
pub async fn transaction<T, F>(pool: &PgPool, work: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce(&mut PgConnection) -> Result<T> + Send + 'static,
{
    // A held request connection already runs each piece of work in a savepoint of its own.
    if let Some(held) = held::Held::current() {
        return held.run(work).await;
    }
    run(pool, move |conn| conn.transaction(work)).await
}

/// Makes the rest of the caller's transaction the only one holding `scope` (e.g.
/// `views-of:<user>`), so a count checked against a cap and the insert after it cannot be
/// overtaken by another transaction doing the same. Released at commit or rollback.
pub fn serialize_on(conn: &mut PgConnection, scope: &str) -> Result<()> {
    use diesel::RunQueryDsl;
    diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind::<diesel::sql_types::Text, _>(scope)
        .execute(conn)?;
    Ok(())
}
