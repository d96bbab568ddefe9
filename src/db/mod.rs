//! Persistence: the connection pool, the helper that runs diesel off the async workers, the
//! embedded migrations, and the private PostgreSQL cluster used when no server is configured.

pub mod enums;
pub mod explain;
pub mod held;
pub mod local;
pub mod migrate;
pub mod models;
pub mod schema;

use std::time::Duration;

use diesel::connection::InstrumentationEvent;
use diesel::pg::PgConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool, PooledConnection};
use diesel::{Connection, RunQueryDsl};

use crate::error::{Error, Result};

pub type PgPool = Pool<ConnectionManager<PgConnection>>;
pub type PooledConn = PooledConnection<ConnectionManager<PgConnection>>;

/// Pool sizing and timeouts, as read from the `database` settings.
#[derive(Debug, Clone, Copy)]
pub struct PoolOptions {
    pub max_size: u32,
    pub connect_timeout: Duration,
    pub statement_timeout_ms: u64,
}

#[derive(Debug)]
struct SessionSettings {
    statement_timeout_ms: u64,
    statements: prometheus_client::metrics::counter::Counter,
}

impl CustomizeConnection<PgConnection, diesel::r2d2::Error> for SessionSettings {
    fn on_acquire(&self, conn: &mut PgConnection) -> std::result::Result<(), diesel::r2d2::Error> {
        // A runaway query must not hold a connection (and a request) forever.
        diesel::sql_query(format!(
            "SET statement_timeout = {}",
            self.statement_timeout_ms
        ))
        .execute(conn)
        .map_err(diesel::r2d2::Error::QueryError)?;
        // Counting starts after setup, so the figure is the statements requests cause.
        let statements = self.statements.clone();
        conn.set_instrumentation(move |event: InstrumentationEvent<'_>| {
            if matches!(event, InstrumentationEvent::StartQuery { .. }) {
                statements.inc();
            }
        });
        Ok(())
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
        .test_on_check_out(true)
        .connection_customizer(Box::new(SessionSettings {
            statement_timeout_ms: options.statement_timeout_ms,
            statements,
        }))
        .build_unchecked(ConnectionManager::new(url))
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
